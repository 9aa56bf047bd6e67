//! Past the in-flight bound the service sheds load with a clear 503 instead of
//! queueing without bound.

use combipat_tests::{who, TestApp};
use serde_json::json;
use sqlx::PgPool;
use tokio::io::AsyncWriteExt;

#[sqlx::test(migrations = "../migrations")]
async fn requests_beyond_the_bound_get_503_overloaded_and_change_nothing(pool: PgPool) {
    let limits = api::Limits {
        max_in_flight: 1,
        ..Default::default()
    };
    let app = TestApp::spawn_with(pool, limits, true).await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);

    // One request holds the only slot: its body never finishes arriving.
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/requests HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {op}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"text\":"
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    slow.flush().await.unwrap();
    answers_with(&app, &op, 503).await;

    let before = app.event_count().await;
    let shed = app
        .post(
            &op,
            "/api/v1/requests",
            json!({"codice_fiscale": "RSSMRA60E12H501E", "mandate_declared": true,
                   "topic": "requisiti_accesso", "text": "x"}),
        )
        .await;
    shed.problem(503, "overloaded");
    assert_eq!(app.event_count().await, before);

    // Once the slot is free, the same call goes through.
    drop(slow);
    answers_with(&app, &op, 200).await;
    let ok = app
        .post(
            &op,
            "/api/v1/requests",
            json!({"codice_fiscale": "RSSMRA60E12H501E", "mandate_declared": true,
                   "topic": "requisiti_accesso", "text": "x"}),
        )
        .await;
    assert_eq!(ok.status, 201, "{ok:?}");
    app.stop().await;
}

/// Waits until a cheap read answers `status`: the slow request's hold on the
/// bound (or its release) is observed, not assumed after a pause.
async fn answers_with(app: &TestApp, token: &str, status: u16) {
    for _ in 0..1000 {
        if app.get(token, "/api/v1/topics").await.status == status {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("GET /api/v1/topics never answered {status}");
}
