//! `POST /requests/check`: every rule of creation, nothing written; and the
//! copy of a request for another citizen, which must not carry the first
//! citizen's practice reference.

use combipat_tests::{who, TestApp};
use domain::actor::Role;
use serde_json::json;
use sqlx::PgPool;

const MARIO: &str = "RSSMRA60E12H501E";
const ANNA: &str = "BNCNNA52S63H501H";

#[sqlx::test(migrations = "../migrations")]
async fn a_check_answers_the_codes_of_creation_and_writes_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let events = app.event_count().await;
    let practice = |value: &str| {
        json!({"codice_fiscale": MARIO, "mandate_declared": true, "topic": "sollecito_domanda",
               "subtopic": "naspi", "text": "Stato della domanda",
               "practice_ref": {"kind": "protocollo", "value": value}})
    };
    // Fig. 10: a reference that belongs to someone else.
    let foreign = app
        .post(
            &op,
            "/api/v1/requests/check",
            practice("INPS.3201.14/02/2025.0004321"),
        )
        .await;
    foreign.problem(422, "practice_ref_not_associated");
    let created = app
        .post(
            &op,
            "/api/v1/requests",
            practice("INPS.3201.14/02/2025.0004321"),
        )
        .await;
    created.problem(422, "practice_ref_not_associated");
    app.post(
        &op,
        "/api/v1/requests/check",
        json!({"codice_fiscale": MARIO, "topic": "requisiti_accesso", "text": "x"}),
    )
    .await
    .problem(422, "mandate_not_declared");

    let ok = app
        .post(
            &op,
            "/api/v1/requests/check",
            practice("INPS.3201.03/03/2025.0001234"),
        )
        .await
        .ok();
    assert_eq!(ok["basis"], "cap");
    assert_eq!(ok["cap"], "00184");
    assert!(ok["destination"]["name"]
        .as_str()
        .is_some_and(|n| !n.is_empty()));
    assert_eq!(ok["proposed_sede"], ok["destination"]["code"]);
    assert!(ok["reason"].as_str().unwrap().contains("00184"), "{ok}");
    assert_eq!(app.event_count().await, events, "a check writes nothing");

    // A sede chosen instead of the proposed one is named as such.
    let mut chosen = practice("INPS.3201.03/03/2025.0001234");
    chosen["destination_sede"] = json!("3202");
    let other = app.post(&op, "/api/v1/requests/check", chosen).await.ok();
    assert_eq!(other["destination"]["code"], "3202");
    assert_ne!(other["proposed_sede"], "3202");
    assert!(other["reason"].as_str().unwrap().starts_with("Sede scelta"));

    let officer = app.officer("uff.bianchi", "3201");
    app.post(
        &officer,
        "/api/v1/requests/check",
        practice("INPS.3201.03/03/2025.0001234"),
    )
    .await
    .problem(403, "not_allowed_for_role");
    assert_eq!(app.event_count().await, events);
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_referent_previews_the_cric_of_their_region(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let referent = app.token(
        Role::RegionalReferent,
        "ref.lazio",
        &[
            ("patronato", "INCA"),
            ("office", "INCA-LAZ"),
            ("region", "LAZ"),
        ],
    );
    let ok = app
        .post(
            &referent,
            "/api/v1/requests/check",
            json!({"topic": "chiarimento_normativo", "text": "Circolare 12/2025"}),
        )
        .await
        .ok();
    assert_eq!(ok["basis"], "cric");
    assert_eq!(ok["destination"]["kind"], "cric");
    assert_eq!(ok["cap"], serde_json::Value::Null);
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn the_same_request_for_another_citizen_does_not_carry_the_first_practice(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let first = app
        .post(
            &op,
            "/api/v1/requests",
            json!({"codice_fiscale": MARIO, "mandate_declared": true, "topic": "sollecito_domanda",
                   "subtopic": "naspi", "text": "Stato della domanda",
                   "practice_ref": {"kind": "protocollo", "value": "INPS.3201.03/03/2025.0001234"}}),
        )
        .await
        .ok();
    // Without a reference of Anna's own, the rule asks for one (not "not yours").
    let copy = app
        .post(
            &op,
            "/api/v1/requests/check",
            json!({"copy_from": first["request_id"], "codice_fiscale": ANNA,
                   "mandate_declared": true}),
        )
        .await;
    copy.problem(422, "practice_ref_required");
    // With Anna's own reference the copy is sent.
    let sent = app
        .post(
            &op,
            "/api/v1/requests",
            json!({"copy_from": first["request_id"], "codice_fiscale": ANNA,
                   "mandate_declared": true,
                   "practice_ref": {"kind": "protocollo", "value": "INPS.3201.14/02/2025.0004321"}}),
        )
        .await;
    assert_eq!(sent.status, 201, "{sent:?}");
    // A new request for the same citizen keeps the reference.
    let same = app
        .post(
            &op,
            "/api/v1/requests",
            json!({"copy_from": first["request_id"], "mandate_declared": true}),
        )
        .await;
    assert_eq!(same.status, 201, "{same:?}");
    app.stop().await;
}
