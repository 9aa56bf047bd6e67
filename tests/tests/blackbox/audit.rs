//! The audit API over HTTP: reads of streams and of the global log, the
//! NDJSON export, state as of a version or an instant, hash-chain
//! verification after tampering, the record of every audit read, and the
//! auditor-only access.

use chrono::{DateTime, Utc};
use combipat_tests::{who, TestApp};
use domain::actor::Role;
use serde_json::{json, Value};
use sqlx::PgPool;

const MARIO: &str = "RSSMRA60E12H501E";
const ANNA: &str = "BNCNNA52S63H501H";

fn auditor(app: &TestApp) -> String {
    app.token(Role::Auditor, "aud.demo", &[])
}

async fn clock(app: &TestApp) -> DateTime<Utc> {
    let t = auditor(app);
    let c = app.get(&t, "/api/v1/admin/clock").await.ok();
    DateTime::parse_from_rfc3339(c["now"].as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

async fn raw_get(app: &TestApp, token: &str, path: &str) -> (u16, String, String) {
    let res = app
        .http
        .get(format!("{}{}", app.base, path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ct, res.text().await.unwrap())
}

/// What the operator sees of the request right after an action.
async fn observe(app: &TestApp, token: &str, id: &str, position: i64) -> Value {
    app.get(
        token,
        &format!("/api/v1/requests/{id}?min_position={position}"),
    )
    .await
    .ok()["request"]
        .clone()
}

#[sqlx::test(migrations = "../migrations")]
async fn state_as_of_version_n_is_what_the_client_saw_after_its_nth_action(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let created = app.create_request(&op, MARIO, "Requisiti NASpI").await;
    let id = created["request_id"].as_str().unwrap().to_string();
    let before_creation = created["position"].as_i64().unwrap();
    let mut seen = vec![(
        observe(&app, &op, &id, before_creation).await,
        clock(&app).await,
    )];
    let sede = seen[0].0["current_sede"].as_str().unwrap().to_string();
    let officer = app.officer("uff.bianchi", &sede);
    let other = if sede == "3202" { "3203" } else { "3202" };
    let path = |rest: &str| format!("/api/v1/requests/{id}/{rest}");
    let steps: Vec<(String, String, Value)> = vec![
        (officer.clone(), path("take-in-charge"), json!({})),
        (
            officer.clone(),
            path("replies"),
            json!({"text": "Prima risposta"}),
        ),
        (op.clone(), path("messages"), json!({"text": "Un dubbio"})),
        (
            officer.clone(),
            path("replies"),
            json!({"text": "Chiarito"}),
        ),
        (
            officer.clone(),
            path("forward"),
            json!({"to_sede": other, "reason": "Competenza"}),
        ),
    ];
    for (i, (token, p, body)) in steps.into_iter().enumerate() {
        if i == 2 {
            app.advance_days(3).await;
        }
        let done = app.post(&token, &p, body).await.ok();
        let pos = done["position"].as_i64().unwrap();
        seen.push((observe(&app, &op, &id, pos).await, clock(&app).await));
    }
    let new_officer = app.officer("uff.eur", other);
    for (p, body) in [
        (path("appointment-enablement"), json!({})),
        (path("close"), json!({"note": "Fine"})),
    ] {
        let done = app.post(&new_officer, &p, body).await.ok();
        let pos = done["position"].as_i64().unwrap();
        seen.push((observe(&app, &op, &id, pos).await, clock(&app).await));
    }

    let aud = auditor(&app);
    for (n, (observed, instant)) in seen.iter().enumerate() {
        let n = n + 1;
        for query in [
            format!("version={n}"),
            format!("as_of={}", instant.to_rfc3339().replace('+', "%2B")),
        ] {
            let got = app
                .get(&aud, &format!("/api/v1/audit/requests/{id}/state?{query}"))
                .await
                .ok();
            let ctx = format!("action {n} ({query})");
            assert_eq!(got["version"], n as u64, "{ctx}");
            assert_eq!(got["status"], observed["status"], "{ctx}");
            let state = &got["state"];
            assert_eq!(state["version"], observed["version"], "{ctx}");
            assert_eq!(state["current_sede"], observed["current_sede"], "{ctx}");
            assert_eq!(state["replies"], observed["replies"], "{ctx}");
            assert_eq!(state["solleciti"], observed["solleciti"], "{ctx}");
            assert_eq!(state["forwards"], observed["forwards"], "{ctx}");
            assert_eq!(state["in_charge_by"], observed["in_charge_by"], "{ctx}");
            assert_eq!(
                state["interactions_used"], observed["interactions_used"],
                "{ctx}"
            );
            assert_eq!(
                state["appointment_enabled"], observed["appointment_enabled"],
                "{ctx}"
            );
            assert_eq!(
                state["closed_at"].is_null(),
                observed["closed_at"].is_null(),
                "{ctx}"
            );
            assert_eq!(state["sent"]["protocol"], observed["protocol"], "{ctx}");
        }
    }
    // Before the request existed, and beyond its last version: nothing.
    let before = seen[0].1 - chrono::Duration::hours(1);
    app.get(
        &aud,
        &format!(
            "/api/v1/audit/requests/{id}/state?as_of={}",
            before.to_rfc3339().replace('+', "%2B")
        ),
    )
    .await
    .problem(404, "not_found");
    app.get(
        &aud,
        &format!(
            "/api/v1/audit/requests/{id}/state?version={}",
            seen.len() + 1
        ),
    )
    .await
    .problem(404, "not_found");
    // Neither an instant nor a version: today's state, what the operator sees last (E5).
    let today = app
        .get(&aud, &format!("/api/v1/audit/requests/{id}/state"))
        .await
        .ok();
    let (last, _) = seen.last().unwrap();
    assert_eq!(today["version"], seen.len() as u64);
    assert_eq!(today["status"], last["status"]);
    assert_eq!(today["state"]["current_sede"], last["current_sede"]);
    app.get(
        &aud,
        &format!(
            "/api/v1/audit/requests/{id}/state?version=1&as_of={}",
            seen[0].1.to_rfc3339().replace('+', "%2B")
        ),
    )
    .await
    .problem(400, "invalid_query");
    app.stop().await;
}

/// Two requests with a few events each; returns their ids.
async fn some_history(app: &TestApp) -> Vec<String> {
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let mut ids = Vec::new();
    for cf in [MARIO, ANNA] {
        let created = app.create_request(&op, cf, "Domanda").await;
        let id = created["request_id"].as_str().unwrap().to_string();
        let detail = app
            .get(
                &op,
                &format!("/api/v1/requests/{id}?min_position={}", created["position"]),
            )
            .await
            .ok();
        let sede = detail["request"]["current_sede"].as_str().unwrap();
        let officer = app.officer("uff.bianchi", sede);
        app.post(
            &officer,
            &format!("/api/v1/requests/{id}/replies"),
            json!({"text": "Risposta della sede"}),
        )
        .await
        .ok();
        ids.push(id);
    }
    ids
}

#[sqlx::test(migrations = "../migrations")]
async fn changing_one_byte_of_one_event_is_reported_at_that_event_and_no_earlier(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ids = some_history(&app).await;
    let aud = auditor(&app);
    let ok = app.get(&aud, "/api/v1/audit/verify").await.ok();
    assert_eq!(ok["ok"], true, "{ok}");
    assert!(ok["first_broken"].is_null());
    assert!(ok["events_checked"].as_u64().unwrap() >= 4);

    // The reply of the second request: one character of its text changes
    // (stored sealed, docs/privacy.md: one base64 digit of the sealed value).
    let stream = format!("request-{}", ids[1]);
    let (position, text): (i64, String) = sqlx::query_as(
        "SELECT position, payload #>> '{_sealed,fields64}' FROM events \
         WHERE stream_id = $1 AND event_type = 'ReplyReceived'",
    )
    .bind(&stream)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let flipped = if text.as_bytes()[30] == b'0' {
        "1"
    } else {
        "0"
    };
    let tampered = format!("{}{flipped}{}", &text[..30], &text[31..]);
    assert_ne!(tampered, text);
    assert_eq!(tampered.len(), text.len());
    let mut tx = app.pool.begin().await.unwrap();
    sqlx::query("ALTER TABLE events DISABLE TRIGGER events_no_update")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("UPDATE events SET payload = jsonb_set(payload, '{_sealed,fields64}', to_jsonb($2::text)) WHERE position = $1")
        .bind(position)
        .bind(&tampered)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("ALTER TABLE events ENABLE TRIGGER events_no_update")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let whole = app.get(&aud, "/api/v1/audit/verify").await.ok();
    assert_eq!(whole["ok"], false, "{whole}");
    assert_eq!(whole["first_broken"]["position"], position, "{whole}");
    assert_eq!(whole["first_broken"]["stream_id"], stream.as_str());
    assert_eq!(whole["first_broken"]["reason"], "hash_mismatch");
    assert_eq!(whole["broken_links"], 1, "only that event: {whole}");
    let one = app
        .get(&aud, &format!("/api/v1/audit/verify?stream_id={stream}"))
        .await
        .ok();
    assert_eq!(one["ok"], false);
    assert_eq!(one["first_broken"]["position"], position);
    assert_eq!(one["first_broken"]["version"], 2);
    let untouched = app
        .get(
            &aud,
            &format!("/api/v1/audit/verify?stream_id=request-{}", ids[0]),
        )
        .await
        .ok();
    assert_eq!(untouched["ok"], true);
    app.get(&aud, "/api/v1/audit/verify?stream_id=request-nessuno")
        .await
        .problem(404, "not_found");
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn auditors_read_the_log_export_it_and_every_read_is_recorded(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ids = some_history(&app).await;
    let aud = auditor(&app);
    let mut audit_calls = 0;

    // A stream with its metadata and hash chain.
    let stream = app
        .get(
            &aud,
            &format!("/api/v1/audit/streams/request-{}/events", ids[0]),
        )
        .await
        .ok();
    audit_calls += 1;
    let items = stream["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["event_type"], "RequestSent");
    assert_eq!(items[0]["metadata"]["actor_id"], "op.rossi");
    assert_eq!(items[0]["metadata"]["actor_role"], "operator");
    assert!(items[0]["metadata"]["correlation_id"].is_string());
    assert_eq!(items[1]["prev_hash"], items[0]["hash"]);
    assert_eq!(items[0]["hash"].as_str().unwrap().len(), 64);
    app.get(&aud, "/api/v1/audit/streams/request-nessuno/events")
        .await
        .problem(404, "not_found");
    audit_calls += 1;

    // The global log in pages of 2: every event once, in position order.
    let total_before: i64 = app.event_count().await;
    let mut positions = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            None => "/api/v1/audit/events?limit=2".to_string(),
            Some(c) => format!("/api/v1/audit/events?limit=2&cursor={c}"),
        };
        let page = app.get(&aud, &path).await.ok();
        audit_calls += 1;
        for e in page["items"].as_array().unwrap() {
            positions.push(e["position"].as_i64().unwrap());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert!(positions.windows(2).all(|w| w[0] < w[1]));
    // The listing is the log as of its first page, which recorded itself.
    assert_eq!(positions.len() as i64, total_before + 1);

    // Filters.
    let replies = app
        .get(&aud, "/api/v1/audit/events?event_type=ReplyReceived")
        .await
        .ok();
    audit_calls += 1;
    assert_eq!(replies["items"].as_array().unwrap().len(), 2);
    let by_officer = app
        .get(&aud, "/api/v1/audit/events?actor=uff.bianchi")
        .await
        .ok();
    audit_calls += 1;
    assert!(by_officer["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["metadata"]["actor_id"] == "uff.bianchi"));
    assert_eq!(by_officer["items"].as_array().unwrap().len(), 2);
    let range = app
        .get(&aud, "/api/v1/audit/events?from_position=2&to_position=3")
        .await
        .ok();
    audit_calls += 1;
    let range: Vec<i64> = range["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["position"].as_i64().unwrap())
        .collect();
    assert_eq!(range, [2, 3]);
    let future = (Utc::now() + chrono::Duration::days(400)).to_rfc3339();
    let none = app
        .get(
            &aud,
            &format!(
                "/api/v1/audit/events?from_time={}",
                future.replace('+', "%2B")
            ),
        )
        .await
        .ok();
    audit_calls += 1;
    assert!(none["items"].as_array().unwrap().is_empty());

    // The NDJSON export: one line per event, as committed when it started.
    let (status, ct, body) = raw_get(&app, &aud, "/api/v1/audit/export").await;
    audit_calls += 1;
    assert_eq!(status, 200);
    assert_eq!(ct, "application/x-ndjson");
    let lines: Vec<Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len() as i64, app.event_count().await);
    assert!(lines
        .windows(2)
        .all(|w| w[0]["position"].as_i64() < w[1]["position"].as_i64()));
    let (_, _, sent_only) = raw_get(
        &app,
        &aud,
        "/api/v1/audit/export?event_type=RequestSent&stream_type=request",
    )
    .await;
    audit_calls += 1;
    assert_eq!(sent_only.lines().count(), 2);

    // Every audit read above is an AuditRead event of the auditor's stream,
    // hash-chained like any other.
    let recorded = app
        .scalar(
            "SELECT count(*) FROM events WHERE stream_id = 'audit-aud.demo' \
             AND event_type = 'AuditRead'",
        )
        .await;
    assert_eq!(recorded, audit_calls);
    let reads = app
        .get(
            &aud,
            "/api/v1/audit/streams/audit-aud.demo/events?limit=1000",
        )
        .await
        .ok();
    assert_eq!(
        reads["items"][0]["payload"]["operation"],
        "listStreamEvents"
    );
    assert_eq!(reads["items"][0]["metadata"]["actor_role"], "auditor");
    let verified = app
        .get(&aud, "/api/v1/audit/verify?stream_id=audit-aud.demo")
        .await
        .ok();
    assert_eq!(verified["ok"], true);

    // Auditors only.
    let others = [
        app.operator("op.rossi", who::PATRONATO, who::OFFICE),
        app.officer("uff.bianchi", "3201"),
        app.token(Role::Analyst, "ana.demo", &[]),
        app.token(
            Role::PatronatoAdmin,
            "adm.inca",
            &[("patronato", who::PATRONATO), ("office", who::OFFICE)],
        ),
    ];
    let paths = [
        format!("/api/v1/audit/streams/request-{}/events", ids[0]),
        "/api/v1/audit/events".to_string(),
        "/api/v1/audit/export".to_string(),
        format!("/api/v1/audit/requests/{}/state?version=1", ids[0]),
        "/api/v1/audit/verify".to_string(),
    ];
    let events_before = app.event_count().await;
    for token in &others {
        for p in &paths {
            app.get(token, p).await.problem(403, "forbidden");
        }
    }
    let anonymous = app
        .send(
            reqwest::Method::GET,
            None,
            "/api/v1/audit/events",
            None,
            &[],
        )
        .await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(
        app.event_count().await,
        events_before,
        "refused reads record nothing"
    );
    app.stop().await;
}
