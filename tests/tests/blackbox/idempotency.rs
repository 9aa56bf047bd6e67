//! Idempotency keys: the first successful answer to (user, key) is replayed,
//! a key reused for another input is refused, concurrent retries make one
//! request, and refusals are not recorded.

use combipat_tests::{who, RespWithHeaders, TestApp};
use futures::future::join_all;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

const MARIO: &str = "RSSMRA60E12H501E";
const ANNA: &str = "BNCNNA52S63H501H";

fn body(cf: &str, text: &str) -> Value {
    json!({
        "codice_fiscale": cf,
        "mandate_declared": true,
        "topic": "requisiti_accesso",
        "subtopic": "assegno_unico",
        "text": text,
    })
}

async fn post_with_key(
    app: &TestApp,
    token: &str,
    path: &str,
    body: &Value,
    key: &str,
) -> RespWithHeaders {
    app.send_with_headers(
        Method::POST,
        Some(token),
        path,
        Some(body),
        &[("idempotency-key", key)],
    )
    .await
}

fn replayed(r: &RespWithHeaders) -> bool {
    r.headers
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true")
}

async fn count_sent(app: &TestApp) -> i64 {
    app.scalar("SELECT count(*) FROM events WHERE event_type = 'RequestSent'")
        .await
}

#[sqlx::test(migrations = "../migrations")]
async fn the_same_key_twice_makes_one_request(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let b = body(MARIO, "Requisiti assegno unico");

    let first = post_with_key(&app, &op, "/api/v1/requests", &b, "crea-1").await;
    assert_eq!(first.resp.status, 201, "{first:?}");
    assert!(!replayed(&first), "{first:?}");
    let second = post_with_key(&app, &op, "/api/v1/requests", &b, "crea-1").await;
    assert!(second.resp.status.is_success(), "{second:?}");
    assert!(replayed(&second), "the replay must say so: {second:?}");
    for field in ["request_id", "protocol", "version", "position"] {
        assert_eq!(
            first.resp.body[field], second.resp.body[field],
            "{field}: {first:?} vs {second:?}"
        );
    }
    assert_eq!(count_sent(&app).await, 1);
    assert_eq!(app.event_count().await, 1);

    // The event records the key it came with.
    let key: String =
        sqlx::query_scalar("SELECT metadata ->> 'idempotency_key' FROM events LIMIT 1")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(key, "crea-1");

    // The same key with a different body: refused, nothing appended.
    let other = post_with_key(
        &app,
        &op,
        "/api/v1/requests",
        &body(MARIO, "Un altro testo"),
        "crea-1",
    )
    .await;
    other.resp.problem(422, "idempotency_key_reused");
    assert!(!replayed(&other));
    // The same key on another operation (a command on the request): refused too.
    let id = first.resp.body["request_id"].as_str().unwrap().to_string();
    let officer = app.officer("uff.bianchi", "3201");
    let take = post_with_key(
        &app,
        &officer,
        &format!("/api/v1/requests/{id}/take-in-charge"),
        &json!({}),
        "crea-1",
    )
    .await;
    assert_eq!(
        take.resp.status, 200,
        "keys are per user: the officer's crea-1 is a new key: {take:?}"
    );
    let again = post_with_key(
        &app,
        &op,
        &format!("/api/v1/requests/{id}/solleciti"),
        &json!({}),
        "crea-1",
    )
    .await;
    again.resp.problem(422, "idempotency_key_reused");
    assert_eq!(count_sent(&app).await, 1);
    assert_eq!(app.event_count().await, 2);

    // A new key makes a new request.
    let third = post_with_key(&app, &op, "/api/v1/requests", &b, "crea-2").await;
    assert_eq!(third.resp.status, 201, "{third:?}");
    assert_ne!(third.resp.body["request_id"], first.resp.body["request_id"]);
    assert_eq!(count_sent(&app).await, 2);
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn twenty_concurrent_retries_make_one_request(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let b = body(MARIO, "Requisiti assegno unico, invio ripetuto");
    let answers =
        join_all((0..20).map(|_| post_with_key(&app, &op, "/api/v1/requests", &b, "raffica")))
            .await;
    let first = &answers[0].resp.body;
    let mut fresh = 0;
    for a in &answers {
        assert!(a.resp.status.is_success(), "{a:?}");
        assert_eq!(a.resp.body["request_id"], first["request_id"], "{a:?}");
        assert_eq!(a.resp.body["protocol"], first["protocol"], "{a:?}");
        assert_eq!(a.resp.body["position"], first["position"], "{a:?}");
        if !replayed(a) {
            fresh += 1;
            assert_eq!(a.resp.status, 201);
        }
    }
    assert_eq!(fresh, 1, "exactly one answer is the original");
    assert_eq!(count_sent(&app).await, 1);
    assert_eq!(
        app.scalar("SELECT count(DISTINCT stream_id) FROM events")
            .await,
        1
    );
    // Losers gave their protocol numbers back: the next request gets number 2.
    let protocol = first["protocol"].as_str().unwrap();
    assert!(protocol.ends_with(".0000001"), "{protocol}");
    let next = app.create_request(&op, MARIO, "Un'altra").await;
    assert!(
        next["protocol"].as_str().unwrap().ends_with(".0000002"),
        "{next}"
    );
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn keys_belong_to_their_user(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let rossi = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let ferri = app.operator("op.ferri", who::PATRONATO, who::OFFICE);
    let b = body(ANNA, "Requisiti assegno unico per la nipote");
    let a = post_with_key(&app, &rossi, "/api/v1/requests", &b, "stessa-chiave").await;
    let f = post_with_key(&app, &ferri, "/api/v1/requests", &b, "stessa-chiave").await;
    assert_eq!(a.resp.status, 201, "{a:?}");
    assert_eq!(f.resp.status, 201, "{f:?}");
    assert!(!replayed(&a) && !replayed(&f));
    assert_ne!(a.resp.body["request_id"], f.resp.body["request_id"]);
    assert_ne!(a.resp.body["protocol"], f.resp.body["protocol"]);
    assert_eq!(count_sent(&app).await, 2);
    // Each replays their own.
    let a2 = post_with_key(&app, &rossi, "/api/v1/requests", &b, "stessa-chiave").await;
    let f2 = post_with_key(&app, &ferri, "/api/v1/requests", &b, "stessa-chiave").await;
    assert!(replayed(&a2) && replayed(&f2));
    assert_eq!(a2.resp.body["request_id"], a.resp.body["request_id"]);
    assert_eq!(f2.resp.body["request_id"], f.resp.body["request_id"]);
    assert_eq!(count_sent(&app).await, 2);
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_refusal_is_not_recorded(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let created = app.create_request(&op, MARIO, "Requisiti NASpI").await;
    let id = created["request_id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/requests/{id}/solleciti");

    let early = post_with_key(&app, &op, &path, &json!({}), "sollecito-1").await;
    early.resp.problem(422, "sollecito_too_early");
    let still_early = post_with_key(&app, &op, &path, &json!({}), "sollecito-1").await;
    still_early.resp.problem(422, "sollecito_too_early");
    assert!(!replayed(&still_early), "a refusal is never replayed");
    assert_eq!(app.event_count().await, 1);
    assert_eq!(
        app.scalar("SELECT count(*) FROM idempotency_keys").await,
        0,
        "nothing is recorded for a refusal"
    );

    app.advance_days(15).await;
    let ok = post_with_key(&app, &op, &path, &json!({}), "sollecito-1").await;
    assert_eq!(ok.resp.status, 200, "{ok:?}");
    assert!(!replayed(&ok));
    assert_eq!(ok.resp.body["version"], 2);
    assert_eq!(app.event_count().await, 2);

    // Now the success is recorded and replayed, even though a second sollecito
    // would be refused as too early.
    let replay = post_with_key(&app, &op, &path, &json!({}), "sollecito-1").await;
    assert_eq!(replay.resp.status, 200, "{replay:?}");
    assert!(replayed(&replay));
    assert_eq!(replay.resp.body, ok.resp.body);
    assert_eq!(app.event_count().await, 2);
    let other_key = post_with_key(&app, &op, &path, &json!({}), "sollecito-2").await;
    other_key.resp.problem(422, "sollecito_too_early");
    assert_eq!(app.event_count().await, 2);
    app.stop().await;
}
