//! Issue 27 on the real binary: citizens book in a burst, the server is
//! killed with SIGKILL while the confirmations go out, and restarted. Every
//! booking's confirmation reaches the SMTP server (scripts/mailcatcher.py,
//! aiosmtpd) exactly once, counted by notification id and by `Message-ID`:
//! the messages the dead server had on the wire were unterminated (their
//! final `.` waits for the record of their sending, docs/notifications.md)
//! and the catcher discarded them.

use combipat_api::auth::{Claims, JwtKeys, ISSUER};
use domain::actor::Role;
use sqlx::PgPool;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SECRET: &str = "notifications-crash-test-secret";
/// Roma Monteverde Gianicolense and Milano Centro: many quick slots.
const COUNTERS: &[(&str, &str)] = &[("3231", "servizi_veloci"), ("3101", "servizi_veloci")];
const BOOKINGS: usize = 40;

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn database_url(pool: &PgPool) -> String {
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let base = base.split('?').next().unwrap();
    let (server, _) = base.rsplit_once('/').unwrap();
    format!(
        "{server}/{}",
        pool.connect_options().get_database().unwrap()
    )
}

fn mail_catcher(smtp: u16, web: u16) -> Proc {
    let out = Command::new("bash")
        .arg(root().join("scripts/mailcatcher.sh"))
        .arg("python")
        .output()
        .expect("scripts/mailcatcher.sh runs");
    assert!(out.status.success(), "mail catcher not installed: {out:?}");
    let python = String::from_utf8(out.stdout).unwrap();
    Proc(
        Command::new(python.trim())
            .arg(root().join("scripts/mailcatcher.py"))
            .args([
                "--smtp-port",
                &smtp.to_string(),
                "--http-port",
                &web.to_string(),
            ])
            .stdout(Stdio::null())
            .spawn()
            .expect("mail catcher starts"),
    )
}

/// The server, its log (info and above, both streams) appended to `log`.
fn server(db: &str, port: u16, smtp: u16, log: &std::path::Path) -> Proc {
    let file = || {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("log file")
    };
    Proc(
        Command::new(env!("CARGO_BIN_EXE_combipat"))
            .arg("serve")
            .env("DATABASE_URL", db)
            .env("COMBIPAT_JWT_SECRET", SECRET)
            .env("COMBIPAT_ADDR", format!("127.0.0.1:{port}"))
            .env("COMBIPAT_LOG", "info")
            // The database server is shared by parallel tests: a small pool.
            .env("COMBIPAT_DB_POOL", "8")
            .env("COMBIPAT_REFERENCE_DIR", root().join("reference"))
            .env("COMBIPAT_SMTP_HOST", "127.0.0.1")
            .env("COMBIPAT_SMTP_PORT", smtp.to_string())
            .env("COMBIPAT_SMTP_TLS", "none")
            .env("COMBIPAT_NOTIFY_RETRY_BASE_MS", "100")
            // Generous: a loaded machine's catcher may be slow to answer, and
            // a missing answer after the final `.` means a retry.
            .env("COMBIPAT_SMTP_TIMEOUT_SECS", "30")
            // Short, so the dead server's rows are taken again soon; a live
            // sender's row taken over is abandoned, never sent twice.
            .env("COMBIPAT_NOTIFY_LEASE_SECS", "3")
            .stdout(Stdio::from(file()))
            .stderr(Stdio::from(file()))
            .spawn()
            .expect("the combipat binary starts"),
    )
}

async fn wait_up(http: &reqwest::Client, url: &str) {
    for _ in 0..200 {
        if http.get(url).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} does not answer");
}

async fn messages(http: &reqwest::Client, web: u16) -> Vec<serde_json::Value> {
    http.get(format!("http://127.0.0.1:{web}/api/messages"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Free slots, `n` of them, over the counters' first open days.
async fn free_slots(http: &reqwest::Client, base: &str, n: usize) -> Vec<(String, String)> {
    let mut out = vec![];
    for (sede, counter) in COUNTERS {
        let path = format!("{base}/api/v1/sedi/{sede}/counters/{counter}");
        let cal: serde_json::Value = http
            .get(format!("{path}/calendar"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for day in cal["days"].as_array().unwrap() {
            if day["availability"] != "available" {
                continue;
            }
            let slots: serde_json::Value = http
                .get(format!(
                    "{path}/slots?date={}",
                    day["date"].as_str().unwrap()
                ))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            for s in slots["slots"].as_array().unwrap() {
                out.push((path.clone(), s["start"].as_str().unwrap().to_string()));
                if out.len() == n {
                    return out;
                }
            }
        }
    }
    panic!("only {} free slots", out.len());
}

#[sqlx::test(migrations = "../migrations")]
async fn after_a_kill_9_mid_burst_every_confirmation_arrives_exactly_once(pool: PgPool) {
    reference::load_all(&pool, &root().join("reference"))
        .await
        .expect("reference data loads");
    let citizens: Vec<String> = sqlx::query_scalar(
        "SELECT codice_fiscale FROM ref_citizens ORDER BY codice_fiscale LIMIT $1",
    )
    .bind(BOOKINGS as i64)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(citizens.len(), BOOKINGS);
    let (smtp, web, port) = (free_port(), free_port(), free_port());
    let _catcher = mail_catcher(smtp, web);
    let db = database_url(&pool);
    let log = std::env::temp_dir().join(format!("combipat-notifications-crash-{port}.log"));
    let _ = std::fs::remove_file(&log);
    let mut first = server(&db, port, smtp, &log);
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    wait_up(&http, &format!("{base}/healthz")).await;
    wait_up(&http, &format!("http://127.0.0.1:{web}/api/messages")).await;

    let slots = free_slots(&http, &base, BOOKINGS).await;
    let book = |i: usize| {
        let (http, base) = (&http, &base);
        let (path, start) = &slots[i];
        let cf = &citizens[i];
        // Signed-in citizens: anonymous holds are limited per address.
        let now = chrono::Utc::now().timestamp();
        let token = JwtKeys::from_secret(SECRET.as_bytes()).issue(&Claims {
            sub: cf.clone(),
            role: Role::Citizen,
            patronato: None,
            office: None,
            region: None,
            sede: None,
            name: None,
            iss: ISSUER.into(),
            iat: now,
            exp: now + 3600,
            nbf: None,
        });
        async move {
            let hold: serde_json::Value = http
                .post(format!("{path}/holds"))
                .bearer_auth(&token)
                .json(&serde_json::json!({"start": start, "codice_fiscale": cf}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let hold_id = hold["hold_id"].as_str().unwrap_or_else(|| panic!("{hold}"));
            let res = http
                .post(format!("{base}/api/v1/holds/{hold_id}/confirmation"))
                .bearer_auth(&token)
                .json(&serde_json::json!({
                    "mode": "in_presenza",
                    "email": format!("cittadino{i}@example.it"),
                    "codice_fiscale": cf,
                }))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 201);
            let body: serde_json::Value = res.json().await.unwrap();
            body["booking_id"].as_str().unwrap().to_string()
        }
    };
    let bookings: Vec<String> = futures::future::join_all((0..BOOKINGS).map(book)).await;

    // Kill -9 while the confirmations go out (some arrived, not all).
    let start = Instant::now();
    loop {
        let n = messages(&http, web).await.len();
        if n > 0 || start.elapsed() > Duration::from_secs(30) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.0.kill().expect("SIGKILL");
    first.0.wait().unwrap();
    let at_kill = messages(&http, web).await.len();
    let in_flight: i64 =
        sqlx::query_scalar("SELECT count(*) FROM notification_outbox WHERE status = 'sending'")
            .fetch_one(&pool)
            .await
            .unwrap();
    drop(first);
    let _restarted = server(&db, port, smtp, &log);
    wait_up(&http, &format!("{base}/healthz")).await;

    // Every booking's confirmation arrives.
    let start = Instant::now();
    let all = loop {
        let all = messages(&http, web).await;
        let ids: std::collections::HashSet<&str> = all
            .iter()
            .filter_map(|m| m["notification"].as_str())
            .collect();
        // And the outbox agrees: rows the dead sender left `sending` are sent
        // again once their lease has passed.
        let sent: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM notification_outbox WHERE kind = 'booking_confirmed' AND status = 'sent'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        if (ids.len() >= BOOKINGS && sent == BOOKINGS as i64)
            || start.elapsed() > Duration::from_secs(60)
        {
            // What arrived meanwhile, after the last mark.
            tokio::time::sleep(Duration::from_millis(300)).await;
            break messages(&http, web).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mut by_id: HashMap<String, Vec<&serde_json::Value>> = HashMap::new();
    for m in &all {
        by_id
            .entry(m["notification"].as_str().unwrap().to_string())
            .or_default()
            .push(m);
    }
    if by_id.len() != BOOKINGS {
        let rows: Vec<(String, String, i32, Option<String>)> = sqlx::query_as(
            "SELECT id, status, attempts, last_error FROM notification_outbox \
             WHERE kind = 'booking_confirmed' ORDER BY id",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        let missing: Vec<_> = rows.iter().filter(|r| !by_id.contains_key(&r.0)).collect();
        panic!(
            "{} distinct of {BOOKINGS} ({at_kill} at the kill, {in_flight} in flight); missing: {missing:?}",
            by_id.len()
        );
    }
    let booked_ids: std::collections::HashSet<String> = sqlx::query_scalar(
        "SELECT id FROM notification_outbox WHERE kind = 'booking_confirmed' AND status = 'sent'",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    assert_eq!(booked_ids.len(), BOOKINGS);
    let confirmed_bookings: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT booking_id) FROM notification_outbox \
         WHERE kind = 'booking_confirmed' AND booking_id = ANY($1::uuid[])",
    )
    .bind(&bookings)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(confirmed_bookings, BOOKINGS as i64);
    for (id, copies) in &by_id {
        assert!(booked_ids.contains(id), "{id} was not planned");
        assert_eq!(copies.len(), 1, "{id} arrived {} times", copies.len());
    }
    // By `Message-ID` too, each the one the outbox recorded.
    let recorded: HashMap<String, String> = sqlx::query_as(
        "SELECT id, message_id FROM notification_outbox WHERE kind = 'booking_confirmed'",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let mut mids: HashMap<&str, usize> = HashMap::new();
    for m in &all {
        let mid = m["message_id"].as_str().unwrap();
        *mids.entry(mid).or_default() += 1;
        assert_eq!(
            recorded[m["notification"].as_str().unwrap()],
            mid,
            "the outbox recorded another Message-ID"
        );
    }
    assert_eq!(mids.len(), BOOKINGS);
    assert!(mids.values().all(|&n| n == 1), "{mids:?}");
    assert_eq!(
        all.len(),
        BOOKINGS,
        "{} messages for {BOOKINGS} bookings",
        all.len()
    );
    // The notifier's lag is on /metrics beside the projections', and the
    // age of the oldest unsent notification.
    let start = Instant::now();
    let metrics = loop {
        let text = http
            .get(format!("{base}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if text.contains("combipat_projection_lag_events{projection=\"notifier\"} 0")
            || start.elapsed() > Duration::from_secs(20)
        {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for line in [
        "combipat_projection_lag_events{projection=\"notifier\"} 0",
        "combipat_projection_lag_seconds{projection=\"notifier\"} 0",
        "combipat_projection_lag_events{projection=\"bookings\"} 0",
        "combipat_notifications_oldest_unsent_seconds 0",
        "combipat_notifications_queued 0",
    ] {
        assert!(metrics.contains(line), "{line} not in {metrics}");
    }
    assert!(!metrics.contains("@example.it"));
    // Nor in the logs of either process, which did log the sending.
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("notifications sent over SMTP"), "{logged}");
    assert!(!logged.contains("@example.it"), "an address in the log");
    let _ = std::fs::remove_file(&log);
    eprintln!(
        "{at_kill} messages at the kill, {in_flight} rows in flight; {} after the restart, each once",
        all.len()
    );
    // The kill was mid-burst: some had arrived, some had not.
    assert!(at_kill > 0 && at_kill < BOOKINGS, "{at_kill} at the kill");
}
