//! Notification delivery lag (issue 27): sede officers reply to requests in
//! an open loop at the offered rate; each reply makes the notifier plan a
//! `reply_received` e-mail to the request's author, which the sender
//! delivers to a real SMTP server (`scripts/mailcatcher.py`, aiosmtpd). The
//! lag of one: the reply's HTTP answer → the message complete at the SMTP
//! server (its receipt time there, the same machine's clock).
//!
//! Replies, not creations: a request's creation notifies no one, and the
//! open loop of creations is the one the projection lag is measured on.

use crate::util::{Result, Sample};
use api::auth::JwtKeys;
use api::AppState;
use domain::actor::Role;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The bench's operators are not in a directory: each gets an address.
struct BenchAddresses;

impl notify::AddressBook for BenchAddresses {
    fn email_of(&self, user_id: &str) -> Option<String> {
        Some(format!("{user_id}@bench.combipat.local"))
    }

    fn officers_of(&self, _sede: &str) -> Vec<String> {
        vec![]
    }
}

/// The notifier and the sender, as `serve` starts them (api/src/notifications.rs).
pub fn spawn_notifications(
    pool: &PgPool,
    state: &AppState,
    smtp_port: u16,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Result<Vec<tokio::task::JoinHandle<()>>> {
    let notifier = projections::Worker::new(
        (*pool.connect_options()).clone(),
        Arc::new(notify::NotifierProjection),
        projections::Metrics::unregistered(),
        projections::WorkerConfig::default(),
    );
    let smtp = notify::SmtpConfig {
        host: "127.0.0.1".into(),
        port: smtp_port,
        tls: notify::TlsMode::None,
        username: None,
        password: None,
        from: "INPS Sportelli di Sede <noreply@bench.combipat.local>".into(),
        reply_to: None,
        timeout: Duration::from_secs(30),
    };
    let sender = notify::Sender {
        pool: pool.clone(),
        clock: state.clock.clone(),
        email: Arc::new(notify::channels::SmtpEmail::new(&smtp)?),
        sms: Arc::new(notify::channels::LogSms),
        addresses: Arc::new(BenchAddresses),
        metrics: notify::metrics::NotifyMetrics::register(&state.metrics.registry),
        config: notify::SenderConfig {
            from: smtp.from.clone(),
            ..notify::SenderConfig::default()
        },
    };
    Ok(vec![
        tokio::spawn(notifier.run(stop.clone())),
        tokio::spawn(sender.run(stop)),
    ])
}

/// The mail catcher, a child process killed when dropped.
pub struct Catcher {
    _child: tokio::process::Child,
    pub smtp_port: u16,
    web_port: u16,
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl Catcher {
    pub async fn start() -> Result<Catcher> {
        use tokio::io::AsyncBufReadExt;
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let out = std::process::Command::new("bash")
            .arg(root.join("scripts/mailcatcher.sh"))
            .arg("python")
            .output()?;
        if !out.status.success() {
            return Err("scripts/mailcatcher.sh python failed".into());
        }
        let python = String::from_utf8(out.stdout)?.trim().to_string();
        let (smtp_port, web_port) = (free_port()?, free_port()?);
        let mut child = tokio::process::Command::new(python)
            .arg(root.join("scripts/mailcatcher.py"))
            .args(["--smtp-port", &smtp_port.to_string()])
            .args(["--http-port", &web_port.to_string()])
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .map_err(|_| "mail catcher did not start in 30 s")??;
        Ok(Catcher {
            _child: child,
            smtp_port,
            web_port,
        })
    }

    /// Notification id → receipt time (Unix seconds) of what arrived.
    async fn received(&self) -> Result<Vec<(String, f64)>> {
        let all: Vec<serde_json::Value> =
            reqwest::get(format!("http://127.0.0.1:{}/api/messages", self.web_port))
                .await?
                .json()
                .await?;
        Ok(all
            .iter()
            .filter_map(|m| {
                Some((
                    m["notification"].as_str()?.to_string(),
                    m["received_at"].as_f64()?,
                ))
            })
            .collect())
    }
}

/// What the reply loop measured.
pub struct ReplyLoop {
    pub offered: u64,
    pub ok: u64,
    pub failed: u64,
    pub lag: Sample,
    /// Replies acknowledged whose e-mail had not arrived 120 s after the load.
    pub missing: u64,
    /// E-mails that arrived more than once (by notification id).
    pub duplicates: u64,
    pub first_error: Option<String>,
}

fn epoch_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Replies in an open loop at `rate`/s for `duration`, to requests awaiting
/// a reply, each by an officer of the request's sede.
pub async fn reply_open_loop(
    base: &str,
    pool: &PgPool,
    catcher: &Catcher,
    rate: u64,
    duration: Duration,
) -> Result<ReplyLoop> {
    let total = (rate as f64 * duration.as_secs_f64()) as i64;
    let targets: Vec<(uuid::Uuid, String)> = sqlx::query_as(
        "SELECT request_id, current_sede FROM request_summary \
         WHERE awaiting_reply_since IS NOT NULL AND closed_at IS NULL \
         ORDER BY request_id LIMIT $1",
    )
    .bind(total)
    .fetch_all(pool)
    .await?;
    let keys = JwtKeys::from_secret(crate::server::SECRET);
    let mut tokens: HashMap<String, Arc<String>> = HashMap::new();
    let http = crate::server::http_client(256);
    let acks: Arc<std::sync::Mutex<HashMap<i64, f64>>> = Arc::default();
    let failed = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let first_error: Arc<std::sync::Mutex<Option<String>>> = Arc::default();
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let started = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(targets.len());
    for (i, (id, sede)) in targets.iter().enumerate() {
        let token = tokens
            .entry(sede.clone())
            .or_insert_with(|| {
                Arc::new(crate::server::token(
                    &keys,
                    Role::SedeOfficer,
                    "uff.bench",
                    &[("sede", sede)],
                ))
            })
            .clone();
        tokio::time::sleep_until(started + interval * i as u32).await;
        let (http, acks, failed, first_error) = (
            http.clone(),
            acks.clone(),
            failed.clone(),
            first_error.clone(),
        );
        let url = format!("{base}/api/v1/requests/{id}/replies");
        tasks.push(tokio::spawn(async move {
            let res = http
                .post(&url)
                .bearer_auth(token.as_str())
                .json(&serde_json::json!({"text": "La risposta della sede alla richiesta."}))
                .send()
                .await;
            let at = epoch_now();
            let body: std::result::Result<serde_json::Value, String> = match res {
                Ok(r) if r.status().is_success() => r.json().await.map_err(|e| e.to_string()),
                Ok(r) => Err(format!("{}", r.status())),
                Err(e) => Err(e.to_string()),
            };
            match body.map(|b| b["position"].as_i64()) {
                Ok(Some(position)) => {
                    acks.lock().expect("lock").insert(position, at);
                }
                other => {
                    failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    first_error
                        .lock()
                        .expect("lock")
                        .get_or_insert_with(|| format!("{other:?}"));
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let ok = acks.lock().expect("lock").len() as u64;
    // Until every acknowledged reply's e-mail is recorded sent (bounded).
    let waited = tokio::time::Instant::now();
    while waited.elapsed() < Duration::from_secs(120) {
        let sent: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM notification_outbox \
             WHERE kind = 'reply_received' AND status IN ('sent', 'skipped', 'dead')",
        )
        .fetch_one(pool)
        .await?;
        if sent as u64 >= ok {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let acks = acks.lock().expect("lock").clone();
    let mut lag = Sample::default();
    let mut seen: HashMap<i64, u32> = HashMap::new();
    for (id, received_at) in catcher.received().await? {
        let Some(position) = id.split(':').next().and_then(|p| p.parse::<i64>().ok()) else {
            continue;
        };
        let Some(ack) = acks.get(&position) else {
            continue;
        };
        let n = seen.entry(position).or_default();
        *n += 1;
        if *n == 1 {
            lag.push(Duration::from_secs_f64((received_at - ack).max(0.0)));
        }
    }
    let duplicates = seen.values().map(|n| (*n - 1) as u64).sum();
    let first_error = first_error.lock().expect("lock").clone();
    Ok(ReplyLoop {
        offered: targets.len() as u64,
        ok,
        failed: failed.load(std::sync::atomic::Ordering::Relaxed),
        missing: ok.saturating_sub(seen.len() as u64),
        duplicates,
        lag,
        first_error,
    })
}

/// The figure, at the creations' open-loop rate, beside their projection lag.
pub async fn figures(
    s: &crate::Settings,
    base: &str,
    pool: &sqlx::PgPool,
    catcher: &Catcher,
    report: &mut crate::report::Report,
) -> Result<()> {
    let r = reply_open_loop(
        base,
        pool,
        catcher,
        s.open_rate,
        Duration::from_secs_f64(s.open_secs),
    )
    .await?;
    if let Some(e) = &r.first_error {
        println!(
            "http: first reply failure: {}",
            e.chars().take(300).collect::<String>()
        );
    }
    report.figure(
        "http",
        &format!(
            "notification delivery lag (reply → its e-mail at the SMTP server) at {}/s replies offered for {:.0} s: p50 / p99",
            s.open_rate, s.open_secs
        ),
        format!(
            "{:.0} ms / {:.0} ms (max {:.0} ms; {} offered, {} ok, {} failed; {} e-mails not arrived within 120 s, {} duplicates)",
            r.lag.p50().unwrap_or(f64::NAN),
            r.lag.p99().unwrap_or(f64::NAN),
            r.lag.max().unwrap_or(f64::NAN),
            r.offered,
            r.ok,
            r.failed,
            r.missing,
            r.duplicates
        ),
        None,
        None,
    );
    Ok(())
}
