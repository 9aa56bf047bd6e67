//! The real API served in-process, as `tests/src/lib.rs` does: `api::app`
//! on 127.0.0.1:0 with the projection workers, and a load generator.

use crate::util::{Result, Sample};
use api::auth::{Claims, JwtKeys, ISSUER};
use api::{AppState, Limits};
use domain::actor::Role;
use sqlx::PgPool;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const SECRET: &[u8] = b"combipat-bench-secret";

pub struct Server {
    pub base: String,
    pub pool: PgPool,
    keys: JwtKeys,
    stop: tokio::sync::watch::Sender<bool>,
    workers: Vec<tokio::task::JoinHandle<()>>,
    server: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Serves the API on `pool` (sized like `COMBIPAT_DB_POOL`'s default).
    pub async fn start(pool: PgPool) -> Result<Server> {
        Self::start_with_mail(pool, None, true).await
    }

    /// [`Server::start`], with the notifier and the sender delivering to
    /// the SMTP server on 127.0.0.1:`smtp_port` (`notify_lag.rs`); unless
    /// `sealed`, requests are stored in clear (the baseline of sealing).
    pub async fn start_with_mail(
        pool: PgPool,
        smtp_port: Option<u16>,
        sealed: bool,
    ) -> Result<Server> {
        let keys = JwtKeys::from_secret(SECRET);
        // As the service reads it (COMBIPAT_COMMITTERS, the service's setting).
        let limits = Limits {
            committers: crate::util::committers(),
            ..Limits::default()
        };
        let mut state = AppState::new(pool.clone(), keys.clone(), false, limits);
        if !sealed {
            state = state.unsealed_requests_for_benchmark();
        }
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        let mut workers =
            projections::spawn_all(pool.clone(), &state.metrics.registry, stop_rx.clone());
        if let Some(port) = smtp_port {
            workers.extend(crate::notify_lag::spawn_notifications(
                &pool, &state, port, stop_rx,
            )?);
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, api::app(state)).await;
        });
        Ok(Server {
            base: format!("http://{addr}"),
            pool,
            keys,
            stop,
            workers,
            server,
        })
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for w in self.workers {
            let _ = w.await;
        }
        self.server.abort();
        self.pool.close().await;
    }

    pub fn token(&self, role: Role, sub: &str, scope: &[(&str, &str)]) -> String {
        token(&self.keys, role, sub, scope)
    }
}

pub fn token(keys: &JwtKeys, role: Role, sub: &str, scope: &[(&str, &str)]) -> String {
    let get = |k: &str| {
        scope
            .iter()
            .find(|(key, _)| *key == k)
            .map(|(_, v)| v.to_string())
    };
    let now = chrono::Utc::now().timestamp();
    keys.issue(&Claims {
        sub: sub.to_string(),
        role,
        patronato: get("patronato"),
        office: get("office"),
        region: get("region"),
        sede: get("sede"),
        name: None,
        iss: ISSUER.to_string(),
        iat: now,
        exp: now + 12 * 3600,
        nbf: None,
    })
}

pub fn http_client(max_idle: usize) -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(max_idle)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client")
}

/// What the load generator needs to create requests.
#[derive(Clone)]
pub struct Creator {
    pub http: reqwest::Client,
    pub url: String,
    pub tokens: Arc<Vec<String>>,
    pub citizens: Arc<Vec<String>>,
}

/// The answer to a successful creation.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Created {
    pub position: i64,
}

impl Creator {
    pub async fn create(&self, i: u64) -> std::result::Result<Created, String> {
        let token = &self.tokens[(i as usize) % self.tokens.len()];
        let cf = &self.citizens[(i as usize * 7919) % self.citizens.len()];
        let res = self
            .http
            .post(&self.url)
            .bearer_auth(token)
            .json(&serde_json::json!({
                "codice_fiscale": cf,
                "mandate_declared": true,
                "topic": "requisiti_accesso",
                "subtopic": "naspi",
                "text": "Il cittadino chiede quali requisiti contributivi servono per la NASpI dopo un contratto a termine di dieci mesi.",
            }))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = res.status();
        let body = res.bytes().await.map_err(|e| e.to_string())?;
        if status.as_u16() != 201 {
            return Err(format!("{status}: {}", String::from_utf8_lossy(&body)));
        }
        serde_json::from_slice(&body).map_err(|e| e.to_string())
    }
}

/// Closed loop: `concurrency` clients, each sending as soon as the last answer came.
pub async fn closed_loop(
    creator: &Creator,
    concurrency: usize,
    duration: Duration,
) -> (u64, u64, f64, Sample, Option<String>) {
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let first_error = Arc::new(std::sync::Mutex::new(None::<String>));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for c in 0..concurrency {
        let creator = creator.clone();
        let ok = ok.clone();
        let failed = failed.clone();
        let first_error = first_error.clone();
        tasks.push(tokio::spawn(async move {
            let mut sample = Sample::default();
            let mut i = c as u64 * 1_000_000;
            while Instant::now() < deadline {
                let t = Instant::now();
                match creator.create(i).await {
                    Ok(_) => {
                        ok.fetch_add(1, Ordering::Relaxed);
                        sample.push(t.elapsed());
                    }
                    Err(e) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        first_error.lock().expect("lock").get_or_insert(e);
                    }
                }
                i += 1;
            }
            sample
        }));
    }
    let mut all = Sample::default();
    for t in tasks {
        if let Ok(s) = t.await {
            all.extend(s);
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let err = first_error.lock().expect("lock").take();
    (
        ok.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed),
        secs,
        all,
        err,
    )
}

/// What the open-loop run measured.
pub struct OpenLoop {
    pub offered: u64,
    pub ok: u64,
    pub failed: u64,
    pub secs: f64,
    pub latency: Sample,
    pub lag: Sample,
    pub lag_timeouts: u64,
    pub first_error: Option<String>,
    pub max_in_flight: u64,
}

/// Open loop: one creation every `1/rate` s whatever the answers, latency
/// measured from the intended sending instant (no coordinated omission).
///
/// Projection lag: every `lag_every`-th acknowledged creation is followed
/// until the `requests` projection has applied it — the test of
/// `projections::wait_for_position` (checkpoint `(tx_id, position)` at or past
/// the event's), done by one poller for all followed commands every 2 ms, so
/// that measuring the lag does not itself load the database (one
/// `wait_for_position` per command polls every 20 ms each: thousands of
/// queries per second once the lag reaches seconds).
pub async fn open_loop(
    creator: &Creator,
    lag_pool: &PgPool,
    rate: u64,
    duration: Duration,
    lag_every: u64,
) -> OpenLoop {
    use store::LogPosition;
    let total = (rate as f64 * duration.as_secs_f64()) as u64;
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let started = tokio::time::Instant::now();
    let latencies = Arc::new(std::sync::Mutex::new(Sample::default()));
    let lags = Arc::new(std::sync::Mutex::new(Sample::default()));
    let pending: Arc<std::sync::Mutex<Vec<(LogPosition, tokio::time::Instant)>>> =
        Arc::new(std::sync::Mutex::new(Vec::new()));
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let lag_timeouts = Arc::new(AtomicU64::new(0));
    let first_error = Arc::new(std::sync::Mutex::new(None::<String>));
    let in_flight = Arc::new(AtomicU64::new(0));
    let max_in_flight = Arc::new(AtomicU64::new(0));
    let sending_done = Arc::new(std::sync::atomic::AtomicBool::new(false));

    let poller = {
        let pool = lag_pool.clone();
        let pending = pending.clone();
        let lags = lags.clone();
        let lag_timeouts = lag_timeouts.clone();
        let sending_done = sending_done.clone();
        tokio::spawn(async move {
            let mut done_at: Option<tokio::time::Instant> = None;
            loop {
                let checkpoint: Option<(i64, i64)> = sqlx::query_as(
                    "SELECT tx_id, position FROM projection_checkpoints WHERE name = $1",
                )
                .bind(projections::requests::NAME)
                .fetch_optional(&pool)
                .await
                .ok()
                .flatten();
                let now = tokio::time::Instant::now();
                if let Some((tx_id, position)) = checkpoint {
                    let at = LogPosition { tx_id, position };
                    let mut p = pending.lock().expect("lock");
                    let mut l = lags.lock().expect("lock");
                    p.retain(|(target, acked)| {
                        if *target <= at {
                            l.push(now - *acked);
                            false
                        } else {
                            true
                        }
                    });
                }
                if sending_done.load(Ordering::Relaxed) {
                    let since = *done_at.get_or_insert(now);
                    let left = pending.lock().expect("lock").len() as u64;
                    if left == 0 {
                        return;
                    }
                    if now - since > Duration::from_secs(60) {
                        lag_timeouts.fetch_add(left, Ordering::Relaxed);
                        return;
                    }
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        })
    };

    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        let at = started + interval.mul_f64(i as f64);
        tokio::time::sleep_until(at).await;
        let creator = creator.clone();
        let latencies = latencies.clone();
        let pending = pending.clone();
        let ok = ok.clone();
        let failed = failed.clone();
        let lag_timeouts = lag_timeouts.clone();
        let first_error = first_error.clone();
        let lag_pool = lag_pool.clone();
        let in_flight = in_flight.clone();
        let max_in_flight = max_in_flight.clone();
        tasks.push(tokio::spawn(async move {
            let now = in_flight.fetch_add(1, Ordering::Relaxed) + 1;
            max_in_flight.fetch_max(now, Ordering::Relaxed);
            let result = creator.create(5_000_000_000 + i).await;
            in_flight.fetch_sub(1, Ordering::Relaxed);
            match result {
                Ok(created) => {
                    let acked = tokio::time::Instant::now();
                    latencies.lock().expect("lock").push(acked - at);
                    ok.fetch_add(1, Ordering::Relaxed);
                    if lag_every > 0 && i % lag_every == 0 {
                        match store::log::position_of(&lag_pool, created.position).await {
                            Ok(Some(target)) => pending.lock().expect("lock").push((target, acked)),
                            _ => {
                                lag_timeouts.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                }
                Err(e) => {
                    failed.fetch_add(1, Ordering::Relaxed);
                    first_error.lock().expect("lock").get_or_insert(e);
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let secs = started.elapsed().as_secs_f64();
    sending_done.store(true, Ordering::Relaxed);
    let _ = poller.await;
    let latency = std::mem::take(&mut *latencies.lock().expect("lock"));
    let lag = std::mem::take(&mut *lags.lock().expect("lock"));
    let first_error = first_error.lock().expect("lock").take();
    OpenLoop {
        offered: total,
        ok: ok.load(Ordering::Relaxed),
        failed: failed.load(Ordering::Relaxed),
        secs,
        latency,
        lag,
        lag_timeouts: lag_timeouts.load(Ordering::Relaxed),
        first_error,
        max_in_flight: max_in_flight.load(Ordering::Relaxed),
    }
}

/// Citizens whose CAP the routing table covers (so a creation is routed).
pub async fn routable_citizens(pool: &PgPool, limit: i64) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT c.codice_fiscale FROM ref_citizens c \
         WHERE EXISTS (SELECT 1 FROM ref_cap_routes r WHERE c.cap LIKE r.cap_prefix || '%') \
         ORDER BY md5(c.codice_fiscale) LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// `combipat-bench serve-child`: serves until stdin closes or SIGTERM.
pub async fn serve_child(
    url: &str,
    pool_size: u32,
    smtp_port: Option<u16>,
    sealed: bool,
) -> Result<()> {
    // The service's own pool settings.
    let pool = api::cli::pool_options(pool_size).connect(url).await?;
    let server = Server::start_with_mail(pool, smtp_port, sealed).await?;
    println!("listening {}", server.base);
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    term.await;
    server.stop().await;
    Ok(())
}

/// The API served by a child process of this binary (`serve-child`).
pub struct Child {
    pub base: String,
    pub pid: u32,
    child: tokio::process::Child,
}

impl Child {
    /// The child, its notifications sent to 127.0.0.1:`smtp_port` when given;
    /// requests stored in clear unless `sealed`.
    pub async fn spawn_with_mail(
        url: &str,
        pool_size: u32,
        smtp_port: Option<u16>,
        sealed: bool,
    ) -> Result<Child> {
        use tokio::io::AsyncBufReadExt;
        let mut command = tokio::process::Command::new(std::env::current_exe()?);
        command
            .arg("serve-child")
            .arg("--database-url")
            .arg(url)
            .arg("--pool")
            .arg(pool_size.to_string());
        if let Some(port) = smtp_port {
            command.arg("--smtp-port").arg(port.to_string());
        }
        if !sealed {
            command.arg("--unsealed");
        }
        let mut child = command
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let pid = child.id().ok_or("child exited")?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .map_err(|_| "server child did not start in 60 s")??
            .ok_or("server child exited")?;
        let base = line
            .strip_prefix("listening ")
            .ok_or_else(|| format!("unexpected line from the server child: {line}"))?
            .to_string();
        Ok(Child { base, pid, child })
    }

    pub async fn stop(mut self) {
        // SIGTERM: the child stops its workers and closes its pool.
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.pid.to_string())
            .status();
        if tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}
