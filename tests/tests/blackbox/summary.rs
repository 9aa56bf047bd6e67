//! "Stampa riepilogo": the print-ready HTML page of a request, scoped like
//! its detail, with every value escaped.

use combipat_tests::{pdf, who, TestApp};
use serde_json::json;
use sqlx::PgPool;

const NICOLO: &str = "DNGNCL90B28G273B";

async fn html(app: &TestApp, token: &str, path: &str) -> (u16, String, String) {
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

#[sqlx::test(migrations = "../migrations")]
async fn the_summary_prints_the_whole_request_escaped(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let upload = app
        .upload(
            &op,
            "/api/v1/uploads",
            "estratto <conto>.pdf",
            pdf("summary"),
        )
        .await
        .ok();
    let created = app
        .post(
            &op,
            "/api/v1/requests",
            json!({
                "codice_fiscale": NICOLO,
                "mandate_declared": true,
                "topic": "requisiti_accesso",
                "subtopic": "naspi",
                "text": "Requisiti? <script>alert('x')</script> & altro",
                "notes": "Nota \"importante\"",
                "attachments": [upload["id"]],
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    let id = created.body["request_id"].as_str().unwrap().to_string();
    let protocol = created.body["protocol"].as_str().unwrap().to_string();
    let detail = app
        .get(
            &op,
            &format!(
                "/api/v1/requests/{id}?min_position={}",
                created.body["position"]
            ),
        )
        .await
        .ok();
    let sede = detail["request"]["current_sede"]
        .as_str()
        .unwrap()
        .to_string();
    let officer = app.officer("uff.bianchi", &sede);
    let path = |rest: &str| format!("/api/v1/requests/{id}/{rest}");
    app.post(&officer, &path("take-in-charge"), json!({}))
        .await
        .ok();
    app.post(
        &officer,
        &path("replies"),
        json!({"text": "Risposta <b>grassetto</b>\nseconda riga"}),
    )
    .await
    .ok();
    app.post(
        &op,
        &path("messages"),
        json!({"text": "Grazie <img src=x onerror=alert(1)>"}),
    )
    .await
    .ok();
    app.advance_days(16).await;
    app.post(
        &officer,
        &path("close"),
        json!({"note": "Chiusa </td></tr>"}),
    )
    .await
    .ok();

    let (status, ct, page) = html(&app, &op, &path("summary")).await;
    assert_eq!(status, 200, "{page}");
    assert!(ct.starts_with("text/html"), "{ct}");
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("@media print"));
    assert!(page.contains(&protocol));
    assert!(page.contains("Data di apertura"));
    // The citizen (D'Angelo's apostrophe is escaped too).
    assert!(page.contains(NICOLO));
    assert!(page.contains("D&#39;Angelo Nicolò"), "{page}");
    // The attachment (its sanitised name).
    let filename = upload["filename"].as_str().unwrap();
    assert!(page.contains(filename), "{filename} in {page}");
    // Every timeline entry, in order.
    let entries = [
        "Richiesta inoltrata",
        "Presa in carico",
        "Risposta della sede",
        "Nuovo messaggio (interazione 1 di 2)",
        "Conversazione chiusa",
    ];
    let mut at = 0;
    for e in entries {
        let found = page[at..]
            .find(e)
            .unwrap_or_else(|| panic!("{e} in {page}"));
        at += found + e.len();
    }
    let timeline = &page[page.find("Cronologia").unwrap()..];
    assert_eq!(timeline.matches("<tr><td>").count(), 5, "one row per event");
    // Nothing the users wrote is markup.
    assert!(!page.contains("<script>"));
    assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; altro"));
    assert!(!page.contains("<b>grassetto"));
    assert!(!page.contains("<img"));
    assert!(page.contains("Chiusa &lt;/td&gt;&lt;/tr&gt;"));
    assert!(page.contains("Nota &quot;importante&quot;"));

    // Scoped like the detail: the destination sede sees it, others get 404.
    let (status, _, _) = html(&app, &officer, &path("summary")).await;
    assert_eq!(status, 200);
    let stranger = app.operator("op.verdi", who::PATRONATO, who::OTHER_OFFICE);
    let other_sede = app.officer("uff.eur", if sede == "3202" { "3203" } else { "3202" });
    let acli = app.operator("op.galli", who::OTHER_PATRONATO, "ACLI-MI01");
    for token in [&stranger, &other_sede, &acli] {
        app.get(token, &path("summary"))
            .await
            .problem(404, "not_found");
    }
    app.get(
        &op,
        "/api/v1/requests/00000000-0000-0000-0000-000000000000/summary",
    )
    .await
    .problem(404, "not_found");
    app.stop().await;
}
