//! The whole lifecycle over HTTP, crossing the 15-day rules with the manual clock.

use combipat_tests::{who, TestApp};
use serde_json::{json, Value};
use sqlx::PgPool;

const MARIO: &str = "RSSMRA60E12H501E";

fn path(id: &str, rest: &str) -> String {
    format!("/api/v1/requests/{id}{rest}")
}

fn action<'a>(detail: &'a Value, name: &str) -> &'a Value {
    detail["next_actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == name)
        .unwrap_or_else(|| panic!("no action {name} in {detail}"))
}

#[sqlx::test(migrations = "../migrations")]
async fn a_request_lives_from_sending_to_closing(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let colleague = app.operator("op.ferri", who::PATRONATO, who::OFFICE);

    // Send.
    let created = app
        .post(
            &op,
            "/api/v1/requests",
            json!({
                "codice_fiscale": MARIO,
                "mandate_declared": true,
                "topic": "requisiti_accesso",
                "subtopic": "naspi",
                "text": "Requisiti NASpI dopo un contratto a termine?",
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    let id = created.body["request_id"].as_str().unwrap().to_string();
    let protocol = created.body["protocol"].as_str().unwrap().to_string();
    let parts: Vec<&str> = protocol.split('.').collect();
    assert_eq!(parts[0], "INPS");
    assert_eq!(parts[2].len(), 4);
    assert_eq!(parts[3].len(), 7);
    let pos = created.body["position"].as_i64().unwrap();

    // Detail, read-your-writes.
    let detail = app
        .get(&op, &format!("{}?min_position={pos}", path(&id, "")))
        .await
        .ok();
    assert_eq!(detail["request"]["status"], "inoltrata");
    assert_eq!(detail["request"]["protocol"], protocol.as_str());
    let sede = detail["request"]["current_sede"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(sede, parts[1], "protocol names the destination sede");
    let sollecito = action(&detail, "send_sollecito");
    assert_eq!(sollecito["allowed"], false);
    assert_eq!(sollecito["code"], "sollecito_too_early");
    assert!(sollecito["message"]
        .as_str()
        .unwrap()
        .starts_with("Sollecito possibile dal "));
    assert_eq!(action(&detail, "send_message")["code"], "no_reply_yet");
    assert_eq!(action(&detail, "book_appointment")["allowed"], false);

    // History: the office sees it; "mine" of a colleague does not.
    let office = app.get(&colleague, "/api/v1/requests").await.ok();
    assert!(office["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["request_id"] == id.as_str()));
    let mine = app
        .get(&colleague, "/api/v1/requests?scope=mine")
        .await
        .ok();
    assert!(mine["items"].as_array().unwrap().is_empty());
    let by_protocol = app
        .get(&op, &format!("/api/v1/requests?protocol={protocol}"))
        .await
        .ok();
    assert_eq!(by_protocol["items"].as_array().unwrap().len(), 1);

    // Sollecito before 15 days: refused, with the date it opens.
    let early = app.post(&op, &path(&id, "/solleciti"), json!({})).await;
    early.problem(422, "sollecito_too_early");
    assert!(early.body["available_from"].is_string());
    assert_eq!(early.body["available_from"], sollecito["available_from"]);

    // The sede's inbox has it as new.
    let officer = app.officer("uff.bianchi", &sede);
    let inbox = app
        .get(&officer, &format!("/api/v1/sedi/{sede}/inbox?bucket=new"))
        .await
        .ok();
    assert!(inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["request_id"] == id.as_str()));

    // 15 days later: sollecito allowed once, overdue in the inbox, appointment bookable.
    app.advance_days(15).await;
    let s1 = app
        .post(&op, &path(&id, "/solleciti"), json!({}))
        .await
        .ok();
    let again = app.post(&op, &path(&id, "/solleciti"), json!({})).await;
    again.problem(422, "sollecito_too_early");
    let overdue = app
        .get(
            &officer,
            &format!(
                "/api/v1/sedi/{sede}/inbox?bucket=overdue&min_position={}",
                s1["position"]
            ),
        )
        .await
        .ok();
    assert!(overdue["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["request_id"] == id.as_str()));
    let detail = app
        .get(
            &op,
            &format!("{}?min_position={}", path(&id, ""), s1["position"]),
        )
        .await
        .ok();
    assert_eq!(detail["request"]["status"], "sollecitata");
    assert_eq!(detail["request"]["solleciti"], 1);
    assert!(detail["request"]["last_sollecito_at"].is_string());
    // The appointment needs *more than* 15 days: the first whole minute after.
    assert_eq!(action(&detail, "book_appointment")["allowed"], false);
    app.advance_seconds(60).await;
    let detail = app
        .get(
            &op,
            &format!("{}?min_position={}", path(&id, ""), s1["position"]),
        )
        .await
        .ok();
    assert_eq!(action(&detail, "book_appointment")["allowed"], true);

    // The sede works it.
    app.post(&officer, &path(&id, "/take-in-charge"), json!({}))
        .await
        .ok();
    app.post(&officer, &path(&id, "/take-in-charge"), json!({}))
        .await
        .problem(422, "already_in_charge");
    let reply = app
        .post(
            &officer,
            &path(&id, "/replies"),
            json!({"text": "Servono 13 settimane di contributi."}),
        )
        .await
        .ok();
    app.post(&officer, &path(&id, "/replies"), json!({"text": "ancora"}))
        .await
        .problem(422, "nothing_to_reply");
    app.post(&op, &path(&id, "/solleciti"), json!({}))
        .await
        .problem(422, "sollecito_after_reply");

    // Home panel: the creator sees one reply in the last 3 days; the colleague none.
    let panel = app
        .get(
            &op,
            &format!(
                "/api/v1/home/recent-replies?min_position={}",
                reply["position"]
            ),
        )
        .await
        .ok();
    assert_eq!(panel["count"], 1);
    assert_eq!(panel["items"][0]["request_id"], id.as_str());
    let other_panel = app
        .get(&colleague, "/api/v1/home/recent-replies")
        .await
        .ok();
    assert_eq!(other_panel["count"], 0);

    // Follow-ups: at most 2 after the first reply, each after the sede answered.
    app.post(
        &op,
        &path(&id, "/messages"),
        json!({"text": "E per i lavoratori stagionali?"}),
    )
    .await
    .ok();
    app.post(
        &colleague,
        &path(&id, "/messages"),
        json!({"text": "Sollecitiamo"}),
    )
    .await
    .problem(422, "awaiting_sede_reply");
    app.post(
        &officer,
        &path(&id, "/replies"),
        json!({"text": "Stessi requisiti."}),
    )
    .await
    .ok();
    let detail = app.get(&op, &path(&id, "")).await.ok();
    assert_eq!(detail["interactions_left"], 1);
    assert_eq!(
        action(&detail, "send_message")["message"],
        "interazioni residue: 1 di 2"
    );
    app.post(
        &op,
        &path(&id, "/messages"),
        json!({"text": "Ultima domanda."}),
    )
    .await
    .ok();
    app.post(
        &officer,
        &path(&id, "/replies"),
        json!({"text": "Risposta finale."}),
    )
    .await
    .ok();
    app.post(&op, &path(&id, "/messages"), json!({"text": "Una terza?"}))
        .await
        .problem(422, "interactions_exhausted");

    // Forward: the new sede has it, the old one no longer sees it.
    let other_sede = if sede == "3202" { "3203" } else { "3202" };
    app.post(
        &officer,
        &path(&id, "/forward"),
        json!({"to_sede": sede, "reason": "x"}),
    )
    .await
    .problem(422, "forward_to_same_sede");
    app.post(
        &officer,
        &path(&id, "/forward"),
        json!({"to_sede": "9999", "reason": "x"}),
    )
    .await
    .problem(422, "destination_unknown");
    app.post(
        &officer,
        &path(&id, "/forward"),
        json!({"to_sede": "2850", "reason": "x"}),
    )
    .await
    .problem(422, "destination_inactive");
    app.post(
        &officer,
        &path(&id, "/forward"),
        json!({"to_sede": other_sede, "reason": "  "}),
    )
    .await
    .problem(422, "reason_required");
    let fwd = app
        .post(
            &officer,
            &path(&id, "/forward"),
            json!({"to_sede": other_sede, "reason": "Competenza territoriale"}),
        )
        .await
        .ok();
    app.get(&officer, &path(&id, ""))
        .await
        .problem(404, "not_found");
    let new_officer = app.officer("uff.eur", other_sede);
    let inbox = app
        .get(
            &new_officer,
            &format!(
                "/api/v1/sedi/{other_sede}/inbox?min_position={}",
                fwd["position"]
            ),
        )
        .await
        .ok();
    let row = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["request_id"] == id.as_str())
        .expect("forwarded request in the new inbox");
    assert_eq!(
        row["protocol"],
        protocol.as_str(),
        "the protocol number is kept"
    );
    assert_eq!(row["status"], "inoltrata_ad_altra_sede");

    // Close: nothing more can happen.
    app.post(
        &new_officer,
        &path(&id, "/appointment-enablement"),
        json!({}),
    )
    .await
    .ok();
    let closed = app
        .post(
            &new_officer,
            &path(&id, "/close"),
            json!({"note": "Conversazione conclusa"}),
        )
        .await
        .ok();
    app.post(&new_officer, &path(&id, "/close"), json!({}))
        .await
        .problem(422, "conversation_closed");
    app.post(&op, &path(&id, "/messages"), json!({"text": "?"}))
        .await
        .problem(422, "conversation_closed");

    // The timeline tells the whole story, in order.
    let timeline = app
        .get(
            &op,
            &format!(
                "{}?min_position={}",
                path(&id, "/timeline"),
                closed["position"]
            ),
        )
        .await
        .ok();
    let kinds: Vec<&str> = timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "sent",
            "sollecito",
            "taken_in_charge",
            "reply",
            "message",
            "reply",
            "message",
            "reply",
            "forwarded",
            "appointment_enabled",
            "closed"
        ]
    );
    let detail = app.get(&op, &path(&id, "")).await.ok();
    assert_eq!(detail["request"]["status"], "chiusa");
    assert!(detail["next_actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"] != "book_appointment")
        .all(|a| a["allowed"] == false));
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_regional_referent_writes_on_their_own_behalf_to_the_cric(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let referent = app.token(
        domain::actor::Role::RegionalReferent,
        "ref.lazio",
        &[
            ("patronato", "INCA"),
            ("office", "INCA-LAZ"),
            ("region", "LAZ"),
        ],
    );
    let created = app
        .post(
            &referent,
            "/api/v1/requests",
            json!({"topic": "chiarimento_normativo", "text": "Chiarimento sulla circolare ADI"}),
        )
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    assert!(created.body["protocol"]
        .as_str()
        .unwrap()
        .starts_with("INPS.2290."));
    app.post(
        &referent,
        "/api/v1/requests",
        json!({"topic": "sollecito_domanda", "text": "x"}),
    )
    .await
    .problem(422, "topic_not_allowed_for_role");
    app.post(
        &referent,
        "/api/v1/requests",
        json!({"codice_fiscale": MARIO, "mandate_declared": true, "topic": "requisiti_accesso", "text": "x"}),
    )
    .await
    .problem(422, "own_behalf_only");
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    app.post(
        &op,
        "/api/v1/requests",
        json!({"codice_fiscale": MARIO, "mandate_declared": true, "topic": "chiarimento_normativo", "text": "x"}),
    )
    .await
    .problem(422, "topic_not_allowed_for_role");
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn copy_from_makes_the_same_request_for_another_citizen(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let first = app
        .post(
            &op,
            "/api/v1/requests",
            json!({"codice_fiscale": MARIO, "mandate_declared": true, "topic": "requisiti_accesso",
                   "subtopic": "assegno_unico", "text": "Requisiti ISEE", "notes": "urgente"}),
        )
        .await
        .ok();
    let copy = app
        .post(
            &op,
            "/api/v1/requests",
            json!({"copy_from": first["request_id"], "codice_fiscale": "BNCNNA52S63H501H",
                   "mandate_declared": true}),
        )
        .await;
    assert_eq!(copy.status, 201, "{copy:?}");
    let detail = app
        .get(
            &op,
            &format!(
                "/api/v1/requests/{}?min_position={}",
                copy.body["request_id"].as_str().unwrap(),
                copy.body["position"]
            ),
        )
        .await
        .ok();
    assert_eq!(detail["request"]["codice_fiscale"], "BNCNNA52S63H501H");
    assert_eq!(detail["request"]["subtopic"], "assegno_unico");
    assert_eq!(detail["request"]["text"], "Requisiti ISEE");
    assert_ne!(copy.body["protocol"], first["protocol"]);
    // The mandate is declared every time.
    app.post(
        &op,
        "/api/v1/requests",
        json!({"copy_from": first["request_id"], "codice_fiscale": "BNCNNA52S63H501H"}),
    )
    .await
    .problem(422, "mandate_not_declared");
    app.stop().await;
}
