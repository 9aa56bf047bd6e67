//! The daily digest of overdue requests (issue 27, docs/notifications.md):
//! with the manual clock, from 08:00 Rome each officer of each sede with
//! requests awaiting a reply for more than 15 days gets one e-mail listing
//! that sede's overdue requests, once per day: not again the same day, not
//! after a restart of the sender, not when the notifier replays the log.

use super::notifications::{assert_each_once, set_clock, spawn, start_notifications, to, Catcher};
use api::directory::Directory;
use combipat_tests::{reference_dir, who, TestApp};
use notify::AddressBook;
use serde_json::{json, Value};
use sqlx::PgPool;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

const MARIO: &str = "RSSMRA60E12H501E";
const ANNA: &str = "BNCNNA52S63H501H";
const NICOLO: &str = "DNGNCL90B28G273B";
const FRANCESCA: &str = "CLMFNC81L70F205M";

async fn digests(app: &TestApp) -> i64 {
    app.scalar("SELECT count(*) FROM notification_outbox WHERE kind = 'overdue_digest'")
        .await
}

/// Waits until the projections have applied every event of the log.
async fn caught_up(app: &TestApp) {
    let start = Instant::now();
    while app
        .scalar(
            "SELECT count(*) FROM projection_checkpoints \
             WHERE position < (SELECT max(position) FROM events)",
        )
        .await
        > 0
    {
        assert!(start.elapsed() < Duration::from_secs(30), "projections lag");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The digests at the server (the operator also gets the reply's e-mail).
async fn digest_mails(catcher: &Catcher, n: usize) -> Vec<Value> {
    let start = Instant::now();
    loop {
        let all: Vec<Value> = catcher
            .messages()
            .await
            .into_iter()
            .filter(|m| m["notification"].as_str().unwrap().starts_with("digest:"))
            .collect();
        if all.len() >= n || start.elapsed() > Duration::from_secs(30) {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The digests received, by recipient: the protocols each lists.
fn listed(messages: &[Value], protocols: &BTreeSet<String>) -> BTreeMap<String, BTreeSet<String>> {
    messages
        .iter()
        .filter(|m| m["notification"].as_str().unwrap().starts_with("digest:"))
        .map(|m| {
            let text = m["text"].as_str().unwrap();
            let found = protocols
                .iter()
                .filter(|p| text.contains(p.as_str()))
                .cloned()
                .collect();
            (to(m).to_string(), found)
        })
        .collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_overdue_digest_goes_once_a_day_to_each_sedes_officers_with_its_requests(pool: PgPool) {
    let catcher = Catcher::start(None).await;
    let (app, stop) = spawn(pool, &catcher, 5).await;
    let directory = Directory::load(&reference_dir()).unwrap();
    // 07:00 in Rome: before the digest's hour.
    set_clock(&app, "2026-11-02T06:00:00Z").await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let mut by_sede: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for cf in [MARIO, ANNA, NICOLO, FRANCESCA] {
        let created = app
            .create_request(&op, cf, &format!("Domanda di {cf}"))
            .await;
        let protocol = created["protocol"].as_str().unwrap().to_string();
        let sede = protocol.split('.').nth(1).unwrap().to_string();
        let id = created["request_id"].as_str().unwrap().to_string();
        by_sede.entry(sede).or_default().push((protocol, id));
    }
    assert!(
        by_sede.len() >= 2,
        "the requests reach one sede: {by_sede:?}"
    );
    let all_protocols: BTreeSet<String> =
        by_sede.values().flatten().map(|(p, _)| p.clone()).collect();
    // One of the first sede's requests is answered: not overdue.
    let (answered_sede, requests) = by_sede.iter().next().unwrap();
    let (answered, answered_id) = requests[0].clone();
    let officer = app.officer("uff.digest", answered_sede);
    app.post(
        &officer,
        &format!("/api/v1/requests/{answered_id}/take-in-charge"),
        json!({}),
    )
    .await
    .ok();
    app.post(
        &officer,
        &format!("/api/v1/requests/{answered_id}/replies"),
        json!({"text": "Risposta entro i termini."}),
    )
    .await
    .ok();
    caught_up(&app).await;

    // Sixteen days later, 07:00 in Rome: overdue, but not yet the hour.
    set_clock(&app, "2026-11-18T06:00:00Z").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(digests(&app).await, 0);

    // 08:30 in Rome: each officer of each sede with overdue requests.
    let mut expected: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (sede, requests) in &by_sede {
        let overdue: BTreeSet<String> = requests
            .iter()
            .map(|(p, _)| p.clone())
            .filter(|p| *p != answered)
            .collect();
        if overdue.is_empty() {
            continue;
        }
        for officer in directory.officers_of(sede) {
            let address = directory.email_of(&officer).unwrap();
            expected.insert(address, overdue.clone());
        }
    }
    assert!(!expected.is_empty(), "no officer for {by_sede:?}");
    set_clock(&app, "2026-11-18T07:30:00Z").await;
    let messages = digest_mails(&catcher, expected.len()).await;
    assert_each_once(&messages);
    assert_eq!(listed(&messages, &all_protocols), expected);
    for m in &messages {
        let n = expected[to(m)].len();
        assert_eq!(m["subject"], format!("Richieste scadute: {n}"), "{m:#?}");
        assert!(m["text"]
            .as_str()
            .unwrap()
            .contains("in attesa di risposta da oltre 15 giorni"));
    }
    // In the app too, for the officer.
    let (sede, first) = by_sede
        .keys()
        .flat_map(|s| directory.officers_of(s).into_iter().map(move |o| (s, o)))
        .find(|(_, o)| expected.contains_key(&directory.email_of(o).unwrap()))
        .unwrap();
    let token = app.officer(&first, sede);
    let list = app.get(&token, "/api/v1/notifications").await.ok();
    assert_eq!(list["items"][0]["kind"], "overdue_digest");

    // Later the same day: nothing more.
    set_clock(&app, "2026-11-18T15:00:00Z").await;
    // A restarted sender looks again: the day's digest is planned already.
    // Its notifier replays the whole log: the same ids, nothing new.
    let state = stop.state.clone();
    stop.stop().await;
    sqlx::query(
        "UPDATE projection_checkpoints SET position = 0, tx_id = 0 WHERE name = 'notifier'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let outbox_before = app.scalar("SELECT count(*) FROM notification_outbox").await;
    let stop = start_notifications(&app, &state, &catcher, 5);
    let start = Instant::now();
    while app
        .scalar(
            "SELECT count(*) FROM projection_checkpoints WHERE name = 'notifier' \
             AND position < (SELECT max(position) FROM events)",
        )
        .await
        > 0
    {
        assert!(start.elapsed() < Duration::from_secs(30), "no replay");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(digests(&app).await, expected.len() as i64);
    assert_eq!(
        app.scalar("SELECT count(*) FROM notification_outbox").await,
        outbox_before
    );
    assert_eq!(digest_mails(&catcher, 0).await.len(), expected.len());

    // The next day at 08:30: once again, the same requests still overdue.
    set_clock(&app, "2026-11-19T07:30:00Z").await;
    let messages = digest_mails(&catcher, 2 * expected.len()).await;
    assert_each_once(&messages);
    assert_eq!(messages.len(), 2 * expected.len());
    let day_two: Vec<Value> = messages
        .iter()
        .filter(|m| {
            m["notification"]
                .as_str()
                .unwrap()
                .starts_with("digest:2026-11-19:")
        })
        .cloned()
        .collect();
    assert_eq!(listed(&day_two, &all_protocols), expected);
    stop.stop().await;
    app.stop().await;
}
