//! Notifications (issue 27) against a real SMTP server: the mail catcher of
//! `scripts/mailcatcher.py` (aiosmtpd) on free ports, counted by notification
//! id at the server. A booking → one Italian e-mail with its `.ics`; the
//! reminder when the manual clock reaches the day before, once; SMTP down →
//! retried → all arrive; one that keeps failing → dead letter, retried by an
//! officer; a sede's reply → the operator's unread count and e-mail.

use api::directory::Directory;
use combipat_tests::{reference_dir, who, Resp, TestApp};
use domain::actor::Role;
use notify::SenderConfig;
use serde_json::{json, Value};
use sqlx::PgPool;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Roma Monteverde Gianicolense (as in bookings.rs).
const ROMA: &str = "3231";
const MARIO: &str = "RSSMRA60E12H501E";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The mail catcher, a child process killed when dropped.
pub(crate) struct Catcher {
    child: Option<Child>,
    smtp_port: u16,
    web_port: u16,
    http: reqwest::Client,
}

fn catcher_python() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = std::process::Command::new("bash")
        .arg(root.join("scripts/mailcatcher.sh"))
        .arg("python")
        .output()
        .expect("scripts/mailcatcher.sh runs");
    assert!(out.status.success(), "mail catcher not installed: {out:?}");
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

impl Catcher {
    pub(crate) async fn start(reject: Option<&str>) -> Catcher {
        let mut c = Catcher {
            child: None,
            smtp_port: free_port(),
            web_port: free_port(),
            http: reqwest::Client::new(),
        };
        c.restart(reject).await;
        c
    }

    async fn restart(&mut self, reject: Option<&str>) {
        self.stop().await;
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/mailcatcher.py");
        let mut cmd = Command::new(catcher_python());
        cmd.arg(script)
            .args(["--smtp-port", &self.smtp_port.to_string()])
            .args(["--http-port", &self.web_port.to_string()])
            .stdout(Stdio::piped())
            .kill_on_drop(true);
        if let Some(r) = reject {
            cmd.args(["--reject", r]);
        }
        let mut child = cmd.spawn().expect("mail catcher starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("mail catcher ready in time")
            .unwrap()
            .unwrap_or_default();
        assert!(first.starts_with("mailcatcher"), "{first}");
        self.child = Some(child);
    }

    async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.unwrap();
        }
    }

    pub(crate) async fn messages(&self) -> Vec<Value> {
        self.http
            .get(format!("http://127.0.0.1:{}/api/messages", self.web_port))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Waits until at least `n` messages arrived (at most 30 s), returns all.
    pub(crate) async fn wait_for(&self, n: usize) -> Vec<Value> {
        let start = Instant::now();
        loop {
            let m = self.messages().await;
            if m.len() >= n || start.elapsed() > Duration::from_secs(30) {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The service with the demo directory, and the notifier and sender to the catcher.
pub(crate) async fn spawn(pool: PgPool, catcher: &Catcher, max_attempts: i32) -> (TestApp, Stop) {
    let directory = Directory::load(&reference_dir()).unwrap();
    let mut captured = None;
    let app = TestApp::spawn_configured(pool, TestApp::limits(), true, |state| {
        let state = state.with_directory(directory, false);
        captured = Some(state.clone());
        state
    })
    .await;
    let state = captured.unwrap();
    let stop = start_notifications(&app, &state, catcher, max_attempts);
    (app, stop)
}

/// The notifier and the sender, as a `serve` process starts them.
pub(crate) fn start_notifications(
    app: &TestApp,
    state: &api::state::AppState,
    catcher: &Catcher,
    max_attempts: i32,
) -> Stop {
    let smtp = notify::SmtpConfig {
        host: "127.0.0.1".into(),
        port: catcher.smtp_port,
        tls: notify::TlsMode::None,
        username: None,
        password: None,
        from: "INPS Sportelli di Sede <noreply@combipat.test>".into(),
        reply_to: Some("Contact center INPS <contact@combipat.test>".into()),
        timeout: Duration::from_secs(3),
    };
    let config = SenderConfig {
        max_attempts,
        base_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_secs(1),
        poll_interval: Duration::from_millis(100),
        from: smtp.from.clone(),
        ..SenderConfig::default()
    };
    let (tx, rx) = tokio::sync::watch::channel(false);
    // The test app's projections registered their metrics already.
    let metrics = projections::Metrics::unregistered();
    let tasks = api::notifications::spawn(app.pool.clone(), state, metrics, Some(smtp), config, rx)
        .unwrap();
    Stop {
        tx,
        tasks,
        state: state.clone(),
    }
}

pub(crate) struct Stop {
    tx: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    pub(crate) state: api::state::AppState,
}

impl Stop {
    pub(crate) async fn stop(self) {
        let _ = self.tx.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

async fn public(app: &TestApp, path: &str, body: Value) -> Resp {
    app.send(reqwest::Method::POST, None, path, Some(&body), &[])
        .await
}

pub(crate) async fn set_clock(app: &TestApp, at: &str) {
    let t = app.token(Role::SystemAdmin, "clock", &[]);
    app.post(&t, "/api/v1/admin/clock", json!({ "set": at }))
        .await
        .ok();
}

/// A citizen books `start` at Roma's "servizi veloci" with this e-mail.
async fn book(app: &TestApp, cf: &str, start: &str, email: &str) -> Value {
    let hold = public(
        app,
        &format!("/api/v1/sedi/{ROMA}/counters/servizi_veloci/holds"),
        json!({"start": start, "codice_fiscale": cf}),
    )
    .await
    .ok();
    let confirm = format!(
        "/api/v1/holds/{}/confirmation",
        hold["hold_id"].as_str().unwrap()
    );
    let booking = public(
        app,
        &confirm,
        json!({"mode": "in_presenza", "email": email, "reason": "Estratto conto", "codice_fiscale": cf}),
    )
    .await;
    assert_eq!(booking.status, 201, "{booking:?}");
    booking.body
}

pub(crate) fn to(m: &Value) -> &str {
    m["to"][0].as_str().unwrap()
}

/// Every notification id once: no duplicate at the server.
pub(crate) fn assert_each_once(messages: &[Value]) {
    let mut ids: Vec<&str> = messages
        .iter()
        .map(|m| m["notification"].as_str().unwrap())
        .collect();
    ids.sort();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n, "a notification arrived twice: {ids:?}");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_booking_sends_one_italian_email_with_its_calendar_and_the_reminder_the_day_before_once(
    pool: PgPool,
) {
    let catcher = Catcher::start(None).await;
    let (app, stop) = spawn(pool, &catcher, 5).await;
    set_clock(&app, "2026-12-01T08:00:00Z").await;
    let booking = book(
        &app,
        MARIO,
        "2026-12-02T07:30:00Z",
        "mario.rossi@example.it",
    )
    .await;
    let code = booking["code"].as_str().unwrap();

    let messages = catcher.wait_for(1).await;
    assert_eq!(messages.len(), 1, "{messages:#?}");
    let m = &messages[0];
    assert_eq!(to(m), "mario.rossi@example.it");
    assert_eq!(
        m["subject"],
        "Prenotazione confermata per mercoledì 2 dicembre 2026"
    );
    assert!(m["from"]
        .as_str()
        .unwrap()
        .contains("noreply@combipat.test"));
    assert!(m["reply_to"]
        .as_str()
        .unwrap()
        .contains("contact@combipat.test"));
    assert!(m["message_id"]
        .as_str()
        .unwrap()
        .ends_with("@combipat.test>"));
    let text = m["text"].as_str().unwrap();
    for expected in [
        "La prenotazione è confermata",
        "Giorno: mercoledì 2 dicembre 2026",
        // 07:30 UTC is 08:30 in Rome in December.
        "Ora: 08:30 – ",
        "Modalità: Accesso in sede",
        &format!("Codice di prenotazione: {code}"),
    ] {
        assert!(text.contains(expected), "{expected:?} not in {text}");
    }
    let html = m["html"].as_str().unwrap();
    assert!(
        html.contains("<html lang=\"it\">") && html.contains(code),
        "{html}"
    );
    let attachments = m["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 1, "{attachments:?}");
    let ics = &attachments[0];
    assert_eq!(ics["filename"], format!("prenotazione-{code}.ics"));
    assert_eq!(ics["content_type"], "text/calendar");
    let body = ics["content"].as_str().unwrap();
    for line in [
        "BEGIN:VCALENDAR",
        "METHOD:PUBLISH",
        "DTSTART:20261202T073000Z",
        "STATUS:CONFIRMED",
        "END:VCALENDAR",
    ] {
        assert!(body.contains(line), "{line} not in {body}");
    }
    assert!(body.contains(&format!(
        "UID:{}@combipat.inps.it",
        booking["booking_id"].as_str().unwrap()
    )));

    // The reminder is due at 18:00 Rome the day before (17:00 UTC): not yet.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(catcher.messages().await.len(), 1);
    set_clock(&app, "2026-12-01T16:59:00Z").await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(catcher.messages().await.len(), 1);
    set_clock(&app, "2026-12-01T17:00:30Z").await;
    let messages = catcher.wait_for(2).await;
    assert_eq!(messages.len(), 2, "{messages:#?}");
    let reminder = &messages[1];
    assert_eq!(
        reminder["subject"],
        "Promemoria: appuntamento domani, mercoledì 2 dicembre 2026"
    );
    assert!(reminder["text"].as_str().unwrap().contains(code));
    // Later still: the reminder is not sent again.
    set_clock(&app, "2026-12-01T20:00:00Z").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let messages = catcher.messages().await;
    assert_eq!(messages.len(), 2, "{messages:#?}");
    assert_each_once(&messages);
    // No address is kept in the outbox.
    let stored: i64 = app
        .scalar("SELECT count(*) FROM notification_outbox WHERE details::text LIKE '%@%'")
        .await;
    assert_eq!(stored, 0);
    stop.stop().await;
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn with_smtp_down_notifications_wait_then_all_arrive_and_one_that_keeps_failing_is_dead_lettered(
    pool: PgPool,
) {
    let mut catcher = Catcher::start(None).await;
    catcher.stop().await;
    let (app, stop) = spawn(pool, &catcher, 8).await;
    set_clock(&app, "2026-12-01T08:00:00Z").await;
    let cfs: Vec<String> = sqlx::query_scalar(
        "SELECT codice_fiscale FROM ref_citizens ORDER BY codice_fiscale LIMIT 4",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let starts = [
        "2026-12-02T07:30:00Z",
        "2026-12-02T07:42:00Z",
        "2026-12-02T07:54:00Z",
        "2026-12-02T08:06:00Z",
    ];
    let mut bookings = vec![];
    for (i, cf) in cfs.iter().enumerate() {
        let email = if i == 3 {
            "fail.sempre@example.it".to_string()
        } else {
            format!("cittadino{i}@example.it")
        };
        bookings.push(book(&app, cf, starts[i], &email).await);
    }
    // Down: the rows are tried, fail, and wait.
    let start = Instant::now();
    loop {
        let failed = app
            .scalar("SELECT count(*) FROM notification_outbox WHERE kind = 'booking_confirmed' AND attempts >= 1 AND status = 'pending'")
            .await;
        if failed == 4 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no failed attempt recorded"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Back, refusing one recipient for a while (451, a temporary failure).
    catcher.restart(Some("^fail")).await;
    let messages = catcher.wait_for(3).await;
    assert_eq!(messages.len(), 3, "{messages:#?}");
    assert_each_once(&messages);
    let mut recipients: Vec<&str> = messages.iter().map(to).collect();
    recipients.sort();
    assert_eq!(
        recipients,
        [
            "cittadino0@example.it",
            "cittadino1@example.it",
            "cittadino2@example.it"
        ]
    );
    // The failing one reaches the dead-letter list.
    let officer = app.officer("uff.roma", ROMA);
    let start = Instant::now();
    let dead = loop {
        let dead = app
            .get(&officer, "/api/v1/notifications/dead-letters")
            .await
            .ok();
        if !dead["items"].as_array().unwrap().is_empty() {
            break dead;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "nothing dead-lettered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let items = dead["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{dead}");
    assert_eq!(items[0]["kind"], "booking_confirmed");
    assert_eq!(items[0]["attempts"], 8);
    assert_eq!(items[0]["sede_code"], ROMA);
    assert_eq!(items[0]["booking_id"], bookings[3]["booking_id"]);
    assert!(
        !dead.to_string().contains("fail.sempre"),
        "address in {dead}"
    );
    let id = items[0]["id"].as_str().unwrap().to_string();
    // Another sede's officer sees none of it; an operator may not look.
    let other = app.officer("uff.milano", "3101");
    let theirs = app
        .get(&other, "/api/v1/notifications/dead-letters")
        .await
        .ok();
    assert_eq!(theirs["items"], json!([]));
    let retry = format!(
        "/api/v1/notifications/dead-letters/{}/retry",
        urlencode(&id)
    );
    app.post(&other, &retry, json!({}))
        .await
        .problem(404, "not_found");
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    app.get(&op, "/api/v1/notifications/dead-letters")
        .await
        .problem(403, "forbidden");
    // The recipient's server accepts again; the officer retries it: it arrives, once.
    catcher.restart(None).await;
    let retried = app.post(&officer, &retry, json!({})).await.ok();
    assert_eq!(retried["status"], "pending");
    app.post(&officer, &retry, json!({}))
        .await
        .problem(404, "not_found");
    let messages = catcher.wait_for(1).await;
    assert_eq!(messages.len(), 1, "{messages:#?}");
    assert_eq!(to(&messages[0]), "fail.sempre@example.it");
    assert_eq!(messages[0]["notification"], id.as_str());
    // The metrics saw it all, without an address (the sender counts a
    // message once the server answered, just after the catcher shows it).
    let start = Instant::now();
    let metrics = loop {
        let metrics = app
            .http
            .get(format!("{}/metrics", app.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if metrics.contains("combipat_notifications_sent_total{channel=\"email\"} 4")
            || start.elapsed() > Duration::from_secs(10)
        {
            break metrics;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        metrics.contains("combipat_notifications_dead_lettered_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("combipat_notifications_sent_total{channel=\"email\"} 4"),
        "{metrics}"
    );
    assert!(!metrics.contains("@example.it"));
    stop.stop().await;
    app.stop().await;
}

fn urlencode(s: &str) -> String {
    s.replace(':', "%3A")
}

#[sqlx::test(migrations = "../migrations")]
async fn a_sede_reply_raises_the_operators_unread_count_and_emails_them(pool: PgPool) {
    let catcher = Catcher::start(None).await;
    let (app, stop) = spawn(pool, &catcher, 5).await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    assert_eq!(
        app.get(&op, "/api/v1/notifications/unread").await.ok()["unread"],
        0
    );
    let created = app.create_request(&op, MARIO, "Requisiti NASpI?").await;
    let id = created["request_id"].as_str().unwrap();
    let protocol = created["protocol"].as_str().unwrap();
    let sede = protocol.split('.').nth(1).unwrap();
    let officer = app.officer("uff.bianchi", sede);
    app.post(
        &officer,
        &format!("/api/v1/requests/{id}/take-in-charge"),
        json!({}),
    )
    .await
    .ok();
    app.post(
        &officer,
        &format!("/api/v1/requests/{id}/replies"),
        json!({"text": "Servono 13 settimane di contributi."}),
    )
    .await
    .ok();
    let start = Instant::now();
    while app.get(&op, "/api/v1/notifications/unread").await.ok()["unread"] != 1 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no unread notification"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let list = app.get(&op, "/api/v1/notifications").await.ok();
    assert_eq!(list["unread"], 1);
    assert_eq!(list["items"][0]["kind"], "reply_received");
    assert_eq!(list["items"][0]["request_id"], id);
    assert_eq!(list["items"][0]["details"]["protocol"], protocol);
    // A colleague and the officer have none of it.
    let colleague = app.operator("op.ferri", who::PATRONATO, who::OFFICE);
    assert_eq!(
        app.get(&colleague, "/api/v1/notifications").await.ok()["items"],
        json!([])
    );
    let messages = catcher.wait_for(1).await;
    assert_eq!(messages.len(), 1, "{messages:#?}");
    assert_eq!(to(&messages[0]), "op.rossi@demo.combipat.local");
    assert_eq!(
        messages[0]["subject"],
        format!("Risposta ricevuta – richiesta {protocol}")
    );
    // Read.
    let marked = app
        .post(&op, "/api/v1/notifications/read", json!({}))
        .await
        .ok();
    assert_eq!(marked["marked"], 1);
    assert_eq!(marked["unread"], 0);
    // Preferences: every kind on by default; muting one; an unknown kind refused.
    let prefs = app.get(&op, "/api/v1/notifications/preferences").await.ok();
    assert!(prefs["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k["email"] == true));
    let prefs = app
        .send(
            reqwest::Method::PUT,
            Some(&op),
            "/api/v1/notifications/preferences",
            Some(&json!({"muted": ["conversation_closed"]})),
            &[],
        )
        .await
        .ok();
    let closed = prefs["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "conversation_closed")
        .unwrap()
        .clone();
    assert_eq!(closed["email"], false);
    app.send(
        reqwest::Method::PUT,
        Some(&op),
        "/api/v1/notifications/preferences",
        Some(&json!({"muted": ["tutto"]})),
        &[],
    )
    .await
    .problem(400, "unknown_notification_kind");
    // Muted: closing the conversation shows in the app, sends no e-mail.
    app.post(&officer, &format!("/api/v1/requests/{id}/close"), json!({}))
        .await
        .ok();
    let start = Instant::now();
    while app.get(&op, "/api/v1/notifications/unread").await.ok()["unread"] != 1 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "closing not notified"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let start = Instant::now();
    while app
        .scalar("SELECT count(*) FROM notification_outbox WHERE kind = 'conversation_closed' AND status = 'skipped'")
        .await
        != 1
    {
        assert!(start.elapsed() < Duration::from_secs(30), "closing not handled");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(catcher.messages().await.len(), 1);
    // Roles without notifications.
    let analyst = app.token(Role::Analyst, "ana", &[]);
    app.get(&analyst, "/api/v1/notifications/unread")
        .await
        .problem(403, "forbidden");
    stop.stop().await;
    app.stop().await;
}
