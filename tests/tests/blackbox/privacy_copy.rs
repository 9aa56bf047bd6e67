//! The citizen's copy (GDPR art. 15, issue 26): an auditor gets everything
//! combipat holds about one codice fiscale — registry entry, requests with
//! texts, timelines and attachments, bookings with contacts, who read the
//! citizen's data — and nothing of anyone else; the copy records itself.

use combipat_tests::{pdf, who, TestApp};
use domain::actor::Role;
use serde_json::{json, Value};
use sqlx::PgPool;

const MARIO: &str = "RSSMRA60E12H501E";
const ANNA: &str = "BNCNNA52S63H501H";
/// Roma Monteverde Gianicolense.
const ROMA: &str = "3231";

async fn set_clock(app: &TestApp, at: &str) {
    let t = app.token(Role::SystemAdmin, "clock", &[]);
    app.post(&t, "/api/v1/admin/clock", json!({ "set": at }))
        .await
        .ok();
}

/// A citizen's booking at Roma with the given contacts; returns the answer.
async fn book(app: &TestApp, cf: &str, start: &str, contacts: Value) -> Value {
    let hold = app
        .send(
            reqwest::Method::POST,
            None,
            &format!("/api/v1/sedi/{ROMA}/counters/servizi_veloci/holds"),
            Some(&json!({"start": start, "codice_fiscale": cf})),
            &[],
        )
        .await
        .ok();
    let mut body = contacts;
    body["codice_fiscale"] = json!(cf);
    app.send(
        reqwest::Method::POST,
        None,
        &format!(
            "/api/v1/holds/{}/confirmation",
            hold["hold_id"].as_str().unwrap()
        ),
        Some(&body),
        &[],
    )
    .await
    .ok()
}

async fn copy_of(app: &TestApp, token: &str, cf: &str) -> combipat_tests::Resp {
    app.send(
        reqwest::Method::GET,
        Some(token),
        &format!("/api/v1/privacy/subject-copy?codice_fiscale={cf}"),
        None,
        &[("X-Access-Purpose", "Richiesta di accesso art. 15 prot. 42")],
    )
    .await
}

#[sqlx::test(migrations = "../migrations")]
async fn an_auditor_gets_everything_about_one_citizen_and_nothing_else(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    set_clock(&app, "2026-12-01T08:00:00Z").await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let upload = app
        .upload(&op, "/api/v1/uploads", "CI_Rossi_Mario.pdf", pdf("ci"))
        .await
        .ok();
    let mario = app
        .post(
            &op,
            "/api/v1/requests",
            json!({"codice_fiscale": MARIO, "mandate_declared": true,
                   "topic": "requisiti_accesso", "subtopic": "naspi",
                   "text": "Mario chiede della NASpI dopo il licenziamento",
                   "attachments": [upload["id"]]}),
        )
        .await
        .ok();
    let mario_id = mario["request_id"].as_str().unwrap().to_string();
    let anna = app
        .create_request(&op, ANNA, "Anna chiede dell'assegno unico")
        .await;
    let detail = app
        .request_detail(&op, &mario_id, anna["position"].as_i64().unwrap())
        .await;
    let sede = detail["request"]["current_sede"].as_str().unwrap();
    let officer = app.officer("uff.verdi", sede);
    app.post(
        &officer,
        &format!("/api/v1/requests/{mario_id}/replies"),
        json!({"text": "Risposta per Mario: requisiti verificati."}),
    )
    .await
    .ok();
    book(
        &app,
        MARIO,
        "2026-12-03T08:06:00Z",
        json!({"mode": "in_presenza", "reason": "Estratto conto",
               "mobile": "333 1234567", "email": "mario.rossi@example.it"}),
    )
    .await;
    let last = book(
        &app,
        ANNA,
        "2026-12-03T08:18:00Z",
        json!({"mode": "in_presenza", "mobile": "333 7654321"}),
    )
    .await;
    app.wait_projections(last["position"].as_i64().unwrap())
        .await;

    let auditor = app.token(Role::Auditor, "aud.demo", &[]);
    // Anyone else is refused, and nothing is recorded for them.
    for token in [&op, &officer, &app.token(Role::Analyst, "ana.demo", &[])] {
        copy_of(&app, token, MARIO).await.problem(403, "forbidden");
    }
    copy_of(&app, &auditor, "RSSMRA60E12H501X")
        .await
        .problem(400, "cf_invalid_check_char");
    let before = app
        .scalar("SELECT count(*) FROM events WHERE event_type = 'AuditRead'")
        .await;

    let copy = copy_of(&app, &auditor, MARIO).await.ok();
    assert_eq!(copy["codice_fiscale"], MARIO);
    let subject = copy["subject"].as_str().unwrap();
    assert!(subject.starts_with('c') && !subject.contains("RSSMRA"));
    assert_eq!(
        copy["registry"][0]["surname"]
            .as_str()
            .map(str::to_uppercase)
            .as_deref(),
        Some("ROSSI"),
        "{copy}"
    );
    let requests = copy["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 1, "only Mario's request: {copy}");
    let request = &requests[0];
    assert_eq!(request["request"]["request_id"], mario_id);
    assert_eq!(
        request["request"]["text"],
        "Mario chiede della NASpI dopo il licenziamento"
    );
    assert_eq!(request["request"]["status"], "risposta_ricevuta");
    let texts: Vec<&str> = request["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["text"].as_str())
        .collect();
    assert!(
        texts.contains(&"Risposta per Mario: requisiti verificati."),
        "{texts:?}"
    );
    assert_eq!(
        request["attachments"][0]["filename"], "CI_Rossi_Mario.pdf",
        "{request}"
    );
    let bookings = copy["bookings"].as_array().unwrap();
    assert_eq!(bookings.len(), 1, "only Mario's booking: {copy}");
    assert_eq!(bookings[0]["mobile"], "+393331234567");
    assert_eq!(bookings[0]["email"], "mario.rossi@example.it");

    // Who read Mario: the operator's detail read, and this copy itself.
    let reads = copy["reads"].as_array().unwrap();
    let ops: Vec<(&str, &str)> = reads
        .iter()
        .map(|r| {
            (
                r["actor_id"].as_str().unwrap(),
                r["operation"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(ops.contains(&("op.rossi", "getRequest")), "{ops:?}");
    let own = reads.last().unwrap();
    assert_eq!(own["operation"], "getSubjectCopy");
    assert_eq!(own["actor_id"], "aud.demo");
    assert_eq!(own["purpose"], "Richiesta di accesso art. 15 prot. 42");
    assert!(reads.iter().all(|r| r["subject"] == subject));
    assert_eq!(copy["reads_truncated"], false);
    // An auditor's read is an AuditRead event as well.
    assert_eq!(
        app.scalar("SELECT count(*) FROM events WHERE event_type = 'AuditRead'")
            .await,
        before + 1
    );

    // Nothing of Anna anywhere in Mario's copy.
    let text = copy.to_string();
    for anna_data in [ANNA, "Bianchi", "BIANCHI", "assegno unico", "+393337654321"] {
        assert!(!text.contains(anna_data), "{anna_data} in Mario's copy");
    }
    // Mario's copy is found by an omocodia variant of his code too.
    let variant = domain::codice_fiscale::CodiceFiscale::parse(MARIO)
        .unwrap()
        .omocodia_variants()[0]
        .as_str()
        .to_string();
    let again = copy_of(&app, &auditor, &variant).await.ok();
    assert_eq!(again["subject"], subject);
    assert_eq!(again["requests"].as_array().unwrap().len(), 1);
    app.stop().await;
}

/// With a pseudonym key of its own (COMBIPAT_PSEUDONYM_KEY), the read log and
/// the copy name the citizen under that key, not one derived from the JWT
/// secret.
#[sqlx::test(migrations = "../migrations")]
async fn the_configured_pseudonym_key_names_the_subjects(pool: PgPool) {
    use commands::privacy::Pseudonyms;
    let own = Pseudonyms::new([9; 32]);
    let configured = own.clone();
    let app = TestApp::spawn_configured(pool, TestApp::limits(), true, move |state| {
        state.with_pseudonyms(configured)
    })
    .await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let created = app.create_request(&op, MARIO, "Domanda").await;
    app.request_detail(
        &op,
        created["request_id"].as_str().unwrap(),
        created["position"].as_i64().unwrap(),
    )
    .await;
    let mario = domain::codice_fiscale::CodiceFiscale::parse(MARIO).unwrap();
    let expected = own.citizen(&mario);
    let derived = Pseudonyms::derived_from(combipat_tests::SECRET, "jwt").citizen(&mario);
    assert_ne!(expected, derived);
    let subjects: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT subject FROM personal_data_reads")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(subjects, vec![expected.clone()]);
    let auditor = app.token(Role::Auditor, "aud.demo", &[]);
    let copy = copy_of(&app, &auditor, MARIO).await.ok();
    assert_eq!(copy["subject"], expected);
    assert_eq!(copy["reads"].as_array().unwrap().len(), 2, "{copy}");
    app.stop().await;
}
