//! Routing over HTTP: the suggestion (`suggestDestination`) and the
//! operator's override of the destination, refused for an inactive or
//! unknown sede.

use combipat_tests::{who, TestApp};
use serde_json::{json, Value};
use sqlx::PgPool;

const MARIO: &str = "RSSMRA60E12H501E";

async fn suggest(app: &TestApp, token: &str, query: &str) -> Value {
    app.get(token, &format!("/api/v1/routing?{query}"))
        .await
        .ok()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_suggestion_says_where_and_why(pool: PgPool) {
    let app = TestApp::spawn_with(pool, Default::default(), false).await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let with_list = app.scalar("SELECT count(*) FROM ref_municipalities").await > 0;

    let roma = suggest(
        &app,
        &op,
        "cap=00184&topic=requisiti_accesso&subtopic=naspi",
    )
    .await;
    assert_eq!(roma["sede"]["code"], "3201");
    assert_eq!(
        roma["sede"]["name"],
        "Filiale metropolitana di Roma Flaminio"
    );
    assert_eq!(roma["sede"]["kind"], "filiale_metropolitana");
    assert_eq!(roma["sede"]["slot_minutes"], 10);
    assert_eq!(roma["region"], "DCM-RM");
    assert_eq!(roma["province"], "RM");
    if with_list {
        assert_eq!(roma["rule"], "municipality");
        assert_eq!(roma["municipality"], "058091");
        assert_eq!(roma["municipality_name"], "Roma");
    } else {
        assert_eq!(roma["rule"], "cap_prefix");
    }

    // A hub topic: the Polo, and the territorial sede it replaced.
    let polo = suggest(
        &app,
        &op,
        "cap=00184&topic=prestazione_in_corso&subtopic=convenzioni_internazionali",
    )
    .await;
    assert_eq!(polo["sede"]["code"], "2280");
    assert_eq!(polo["sede"]["kind"], "polo");
    assert_eq!(polo["rule"], "hub");
    assert_eq!(polo["territorial_sede"], "3201");

    // A CAP shared by two provinces of two regions: the municipality decides.
    if with_list {
        let shared = suggest(&app, &op, "cap=12071&topic=requisiti_accesso").await;
        assert_eq!(shared["province"], "CN");
        assert_eq!(shared["region"], "PIE");
        let massimino = suggest(
            &app,
            &op,
            "cap=12071&topic=requisiti_accesso&municipality=F046",
        )
        .await;
        assert_eq!(massimino["province"], "SV");
        assert_eq!(massimino["region"], "LIG");
        assert_eq!(massimino["sede"]["code"], "1704");
        assert_eq!(massimino["municipality_name"], "Massimino");
    }

    app.get(&op, "/api/v1/routing?cap=0018&topic=naspi")
        .await
        .problem(400, "invalid_cap");
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn an_override_must_name_an_active_sede(pool: PgPool) {
    let app = TestApp::spawn_with(pool, Default::default(), false).await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let body = |destination: Option<&str>| {
        let mut b = json!({
            "codice_fiscale": MARIO,
            "mandate_declared": true,
            "topic": "requisiti_accesso",
            "subtopic": "naspi",
            "text": "Requisiti NASpI dopo un contratto a termine?",
        });
        if let Some(d) = destination {
            b["destination_sede"] = d.into();
        }
        b
    };
    // The inactive agenzia of Tropea, and a code that names no sede.
    app.post(&op, "/api/v1/requests", body(Some("2850")))
        .await
        .problem(422, "destination_inactive");
    app.post(&op, "/api/v1/requests", body(Some("9999")))
        .await
        .problem(422, "destination_unknown");
    assert_eq!(app.event_count().await, 0);

    // The suggestion, then another active sede chosen by the operator.
    let suggested = app.post(&op, "/api/v1/requests", body(None)).await.ok();
    assert!(
        suggested["protocol"]
            .as_str()
            .unwrap()
            .starts_with("INPS.3201."),
        "{suggested}"
    );
    let chosen = app
        .post(&op, "/api/v1/requests", body(Some("1106")))
        .await
        .ok();
    assert!(
        chosen["protocol"]
            .as_str()
            .unwrap()
            .starts_with("INPS.1106."),
        "{chosen}"
    );
    app.stop().await;
}
