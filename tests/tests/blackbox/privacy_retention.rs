//! Retention (issue 26): attachment contents of requests closed longer ago
//! than the period are listed by a dry run and deleted for real by the same
//! step; a file of a request still open is kept.

use chrono::{Duration, Utc};
use combipat_tests::{pdf, who, TestApp};
use commands::privacy::retention::{run, RetentionPolicy};
use serde_json::{json, Value};
use sqlx::PgPool;

async fn request_with_file(app: &TestApp, op: &str, tag: &str) -> (String, String, Value) {
    let upload = app
        .upload(op, "/api/v1/uploads", &format!("{tag}.pdf"), pdf(tag))
        .await
        .ok();
    let created = app
        .post(
            op,
            "/api/v1/requests",
            json!({"codice_fiscale": "RSSMRA60E12H501E", "mandate_declared": true,
                   "topic": "requisiti_accesso", "subtopic": "naspi", "text": tag,
                   "attachments": [upload["id"]]}),
        )
        .await
        .ok();
    let id = created["request_id"].as_str().unwrap().to_string();
    let detail = app
        .request_detail(op, &id, created["position"].as_i64().unwrap())
        .await;
    let attachment = detail["attachments"][0]["attachment_id"]
        .as_str()
        .or(detail["attachments"][0]["id"].as_str())
        .unwrap()
        .to_string();
    (id, attachment, detail)
}

#[sqlx::test(migrations = "../migrations")]
async fn attachment_contents_past_retention_are_listed_then_deleted(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let (closed_id, closed_file, detail) = request_with_file(&app, &op, "chiusa").await;
    let (open_id, open_file, _) = request_with_file(&app, &op, "aperta").await;
    let sede = detail["request"]["current_sede"].as_str().unwrap();
    let officer = app.officer("uff.bianchi", sede);
    app.post(
        &officer,
        &format!("/api/v1/requests/{closed_id}/replies"),
        json!({"text": "Risposta."}),
    )
    .await
    .ok();
    let closed = app
        .post(
            &officer,
            &format!("/api/v1/requests/{closed_id}/close"),
            json!({}),
        )
        .await
        .ok();
    app.wait_projections(closed["position"].as_i64().unwrap())
        .await;

    let policy = RetentionPolicy {
        attachments_after_closure: Duration::days(3_650),
    };
    let soon = Utc::now() + Duration::days(1);
    let later = Utc::now() + Duration::days(3_651);
    // Within the period: nothing.
    assert!(run(&app.pool, &policy, soon, true)
        .await
        .unwrap()
        .attachments
        .is_empty());
    // Past it: the dry run lists the closed request's file only, and keeps it.
    let dry = run(&app.pool, &policy, later, true).await.unwrap();
    assert_eq!(dry.attachments.len(), 1, "{dry:?}");
    assert_eq!(dry.attachments[0].request_ids[0].to_string(), closed_id);
    let download = |id: String, file: String| {
        let app = &app;
        let op = op.clone();
        async move {
            app.http
                .get(format!(
                    "{}/api/v1/requests/{id}/attachments/{file}",
                    app.base
                ))
                .bearer_auth(op)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(download(closed_id.clone(), closed_file.clone()).await, 200);
    // Applied: the content is gone for real; the open request's file stays.
    let applied = run(&app.pool, &policy, later, false).await.unwrap();
    assert_eq!(applied.attachments.len(), 1);
    let sha = &applied.attachments[0].sha256;
    let bytes = app
        .scalar(&format!(
            "SELECT octet_length(content)::bigint FROM attachment_blobs WHERE encode(sha256, 'hex') = '{sha}'"
        ))
        .await;
    assert_eq!(bytes, 0);
    assert_eq!(download(closed_id, closed_file).await, 404);
    assert_eq!(download(open_id, open_file).await, 200);
    assert!(run(&app.pool, &policy, later, true)
        .await
        .unwrap()
        .attachments
        .is_empty());
    app.stop().await;
}
