//! Bad input of every kind: each is answered with problem+json, a stable code
//! and an Italian explanation, never a 500, and nothing is appended or stored.

use api::auth::{Claims, ISSUER};
use api::Limits;
use chrono::NaiveDate;
use combipat_tests::{pdf, who, Resp, TestApp};
use domain::actor::Role;
use domain::codice_fiscale::{compose, Sex};
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

const MARIO: &str = "RSSMRA60E12H501E";
const ANNA: &str = "BNCNNA52S63H501H";
/// Anna Bianchi's pension on which INCA holds no mandate.
const ANNA_PENSION_NO_MANDATE: &str = "SO-3201-00654321";

/// What must not change when a call is refused.
struct Baseline {
    events: i64,
    uploads: i64,
}

impl Baseline {
    async fn take(app: &TestApp) -> Baseline {
        Baseline {
            events: app.event_count().await,
            uploads: app.upload_count().await,
        }
    }
}

/// Common Italian words: a detail without any of them is not Italian.
fn looks_italian(detail: &str) -> bool {
    const WORDS: &[&str] = &[
        "il",
        "lo",
        "la",
        "i",
        "gli",
        "le",
        "un",
        "una",
        "di",
        "del",
        "della",
        "dei",
        "delle",
        "non",
        "è",
        "per",
        "con",
        "da",
        "al",
        "alla",
        "sono",
        "deve",
        "richiesta",
        "valido",
        "valida",
        "supera",
        "autenticazione",
        "risorsa",
        "esiste",
        "tipo",
        "contenuto",
        "sconosciuto",
        "sconosciuta",
        "stato",
        "parametri",
        "cursore",
        "codice",
        "numero",
        "intero",
        "data",
        "ambito",
        "cartella",
        "ricerca",
        "chiave",
        "operazione",
        "metodo",
    ];
    detail
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| WORDS.contains(&w.to_lowercase().as_str()))
}

/// Asserts a refusal: never a 500, problem+json with this status and code, an
/// Italian detail, and nothing appended or uploaded.
#[track_caller]
fn assert_problem(r: &Resp, status: u16, code: &str) {
    assert_ne!(r.status, 500, "{r:?}");
    r.problem(status, code);
    let detail = r.body["detail"].as_str().unwrap();
    assert!(looks_italian(detail), "detail not in Italian: {r:?}");
    assert_eq!(r.body["status"], status, "{r:?}");
}

async fn refused(app: &TestApp, base: &Baseline, r: Resp, status: u16, code: &str) {
    assert_problem(&r, status, code);
    assert_eq!(
        app.event_count().await,
        base.events,
        "refused with {code} but appended: {r:?}"
    );
    assert_eq!(
        app.upload_count().await,
        base.uploads,
        "refused with {code} but stored an upload: {r:?}"
    );
}

fn create_body(extra: Value) -> Value {
    let mut body = json!({
        "codice_fiscale": MARIO,
        "mandate_declared": true,
        "topic": "requisiti_accesso",
        "subtopic": "naspi",
        "text": "Requisiti NASpI",
    });
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            body.as_object_mut().unwrap().remove(k);
        } else {
            body[k] = v.clone();
        }
    }
    body
}

#[sqlx::test(migrations = "../migrations")]
async fn json_bodies_that_cannot_be_read(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let officer = app.officer("uff.bianchi", "3201");
    let created = app.create_request(&op, MARIO, "Requisiti NASpI").await;
    let id = created["request_id"].as_str().unwrap().to_string();
    let replies = format!("/api/v1/requests/{id}/replies");
    let messages = format!("/api/v1/requests/{id}/messages");
    let base = Baseline::take(&app).await;

    // Malformed JSON: 400 invalid_json.
    for raw in ["{", "{\"text\": }", "{\"text\": \"a\"} trailing", "", "nul"] {
        let r = app
            .post_raw(&op, "/api/v1/requests", "application/json", raw)
            .await;
        refused(&app, &base, r, 400, "invalid_json").await;
        let r = app
            .post_raw(&officer, &replies, "application/json", raw)
            .await;
        refused(&app, &base, r, 400, "invalid_json").await;
    }

    // Unknown field: 422 invalid_body.
    let r = app
        .post(
            &op,
            "/api/v1/requests",
            create_body(json!({"priority": "alta"})),
        )
        .await;
    refused(&app, &base, r, 422, "invalid_body").await;
    let r = app
        .post(
            &op,
            "/api/v1/requests",
            create_body(json!({"practice_ref": {"kind": "pensione", "value": "VO-1", "extra": 1}})),
        )
        .await;
    refused(&app, &base, r, 422, "invalid_body").await;
    let r = app
        .post(&officer, &replies, json!({"text": "ok", "urgent": true}))
        .await;
    refused(&app, &base, r, 422, "invalid_body").await;
    let r = app
        .post(
            &officer,
            &format!("/api/v1/requests/{id}/close"),
            json!({"nota": "x"}),
        )
        .await;
    refused(&app, &base, r, 422, "invalid_body").await;

    // Missing required field: 422 invalid_body.
    let r = app.post(&officer, &replies, json!({})).await;
    refused(&app, &base, r, 422, "invalid_body").await;
    let r = app.post(&op, &messages, json!({"attachments": []})).await;
    refused(&app, &base, r, 422, "invalid_body").await;
    let r = app
        .post(
            &officer,
            &format!("/api/v1/requests/{id}/forward"),
            json!({"to_sede": "3202"}),
        )
        .await;
    refused(&app, &base, r, 422, "invalid_body").await;
    let r = app
        .post(
            &op,
            "/api/v1/requests",
            create_body(json!({"practice_ref": {"kind": "pensione"}})),
        )
        .await;
    refused(&app, &base, r, 422, "invalid_body").await;

    // Wrong types: 422 invalid_body.
    for body in [
        create_body(json!({"mandate_declared": "sì"})),
        create_body(json!({"text": 42})),
        create_body(json!({"attachments": "nessuno"})),
        create_body(json!({"attachments": ["non-un-uuid"]})),
        create_body(json!({"copy_from": 7})),
        create_body(json!({"practice_ref": {"kind": "codice_segreto", "value": "X1"}})),
        json!([1, 2, 3]),
        json!("testo"),
    ] {
        let r = app.post(&op, "/api/v1/requests", body.clone()).await;
        refused(&app, &base, r, 422, "invalid_body").await;
    }
    let r = app.post(&officer, &replies, json!({"text": ["a"]})).await;
    refused(&app, &base, r, 422, "invalid_body").await;

    // JSON without (or with another) content type: 415.
    let body = serde_json::to_vec(&create_body(json!({}))).unwrap();
    for ct in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let r = app
            .send_bytes(
                Method::POST,
                Some(&op),
                "/api/v1/requests",
                ct,
                body.clone(),
            )
            .await;
        refused(&app, &base, r, 415, "unsupported_media_type").await;
    }
    let r = app
        .send_bytes(
            Method::POST,
            Some(&officer),
            &replies,
            None,
            br#"{"text":"ok"}"#.to_vec(),
        )
        .await;
    refused(&app, &base, r, 415, "unsupported_media_type").await;

    // The request is untouched and still works.
    app.post(&officer, &replies, json!({"text": "Risposta valida"}))
        .await
        .ok();
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn texts_and_codes_the_rules_refuse(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let officer = app.officer("uff.bianchi", "3201");
    let created = app.create_request(&op, MARIO, "Requisiti NASpI").await;
    let id = created["request_id"].as_str().unwrap().to_string();
    let path = |rest: &str| format!("/api/v1/requests/{id}{rest}");
    let base = Baseline::take(&app).await;

    // Texts: 4000 characters are fine however many bytes they take; 4001 are not.
    let too_long = "è".repeat(4001);
    let r = app
        .post(
            &op,
            "/api/v1/requests",
            create_body(json!({ "text": too_long })),
        )
        .await;
    refused(&app, &base, r, 422, "text_too_long").await;
    let r = app
        .post(&officer, &path("/replies"), json!({ "text": too_long }))
        .await;
    refused(&app, &base, r, 422, "text_too_long").await;
    for blank in ["", "   \n\t "] {
        let r = app
            .post(
                &op,
                "/api/v1/requests",
                create_body(json!({ "text": blank })),
            )
            .await;
        refused(&app, &base, r, 422, "text_required").await;
        let r = app
            .post(&officer, &path("/replies"), json!({ "text": blank }))
            .await;
        refused(&app, &base, r, 422, "text_required").await;
    }
    let r = app
        .post(&op, "/api/v1/requests", create_body(json!({"text": null})))
        .await;
    refused(&app, &base, r, 422, "field_required").await;

    // Notes, close notes, forward reasons.
    let r = app
        .post(
            &op,
            "/api/v1/requests",
            create_body(json!({ "notes": "è".repeat(2001) })),
        )
        .await;
    refused(&app, &base, r, 422, "notes_too_long").await;
    let r = app
        .post(
            &officer,
            &path("/close"),
            json!({ "note": "è".repeat(1001) }),
        )
        .await;
    refused(&app, &base, r, 422, "notes_too_long").await;
    let r = app
        .post(
            &officer,
            &path("/forward"),
            json!({ "to_sede": "3202", "reason": "è".repeat(1001) }),
        )
        .await;
    refused(&app, &base, r, 422, "reason_too_long").await;

    // Codici fiscali that are not codici fiscali: a cf_* code each.
    for (cf, code) in [
        ("RSSMRA60E12H501X", "cf_invalid_check_char"),
        ("RSSMRA60E12H501", "cf_wrong_length"),
        ("RSSMRA60E12H501EE", "cf_wrong_length"),
        ("RSSMRA60Z12H501E", "cf_invalid_month"),
        ("", "cf_empty"),
        ("RSSMRA60E12H5@1E", "cf_invalid_characters"),
    ] {
        let r = app
            .post(
                &op,
                "/api/v1/requests",
                create_body(json!({ "codice_fiscale": cf })),
            )
            .await;
        assert!(r.code().starts_with("cf_"), "{cf}: {r:?}");
        refused(&app, &base, r, 422, code).await;
    }

    // Topics that are not in the catalogue.
    for topic in ["oroscopo", "!!", ""] {
        let r = app
            .post(
                &op,
                "/api/v1/requests",
                create_body(json!({ "topic": topic, "subtopic": null })),
            )
            .await;
        refused(&app, &base, r, 422, "topic_unknown").await;
    }
    let r = app
        .post(
            &op,
            "/api/v1/requests",
            create_body(json!({ "subtopic": "vincita_lotteria" })),
        )
        .await;
    refused(&app, &base, r, 422, "subtopic_unknown").await;

    // A well-formed code of nobody the registry knows.
    let nobody = compose(
        "Zanzottera",
        "Ermenegilda",
        NaiveDate::from_ymd_opt(1937, 2, 28).unwrap(),
        Sex::Female,
        "H501",
    )
    .unwrap();
    let r = app
        .post(
            &op,
            "/api/v1/requests",
            create_body(json!({ "codice_fiscale": nobody.as_str() })),
        )
        .await;
    refused(&app, &base, r, 422, "citizen_not_found").await;

    // Practice references: not the citizen's (fig. 10) vs no mandate (fig. 11).
    let practice = |cf: &str, kind: &str, value: &str| {
        create_body(json!({
            "codice_fiscale": cf,
            "topic": "prestazione_in_corso",
            "subtopic": "pensione_vecchiaia",
            "practice_ref": {"kind": kind, "value": value},
        }))
    };
    let r = app
        .post(
            &op,
            "/api/v1/requests",
            practice(MARIO, "pensione", ANNA_PENSION_NO_MANDATE),
        )
        .await;
    refused(&app, &base, r, 422, "practice_ref_not_associated").await;
    let r = app
        .post(
            &op,
            "/api/v1/requests",
            practice(MARIO, "protocollo", "INPS.9999.01/01/2025.0000001"),
        )
        .await;
    refused(&app, &base, r, 422, "practice_ref_not_associated").await;
    let r = app
        .post(
            &op,
            "/api/v1/requests",
            practice(ANNA, "pensione", ANNA_PENSION_NO_MANDATE),
        )
        .await;
    refused(&app, &base, r, 422, "practice_not_enabled").await;
    let not_associated = app
        .post(
            &op,
            "/api/v1/requests",
            practice(MARIO, "pensione", ANNA_PENSION_NO_MANDATE),
        )
        .await;
    let not_enabled = app
        .post(
            &op,
            "/api/v1/requests",
            practice(ANNA, "pensione", ANNA_PENSION_NO_MANDATE),
        )
        .await;
    assert_ne!(
        not_associated.body["detail"], not_enabled.body["detail"],
        "the two refusals must read differently"
    );
    let r = app
        .post(&op, "/api/v1/requests", practice(ANNA, "pensione", "  "))
        .await;
    refused(&app, &base, r, 422, "invalid_practice_ref").await;
    let mut no_ref = practice(ANNA, "pensione", "x");
    no_ref.as_object_mut().unwrap().remove("practice_ref");
    let r = app.post(&op, "/api/v1/requests", no_ref).await;
    refused(&app, &base, r, 422, "practice_ref_required").await;

    // Mandate, destination, uploads.
    let r = app
        .post(
            &op,
            "/api/v1/requests",
            create_body(json!({ "mandate_declared": false })),
        )
        .await;
    refused(&app, &base, r, 422, "mandate_not_declared").await;
    let r = app
        .post(
            &op,
            "/api/v1/requests",
            create_body(json!({ "destination_sede": "9999" })),
        )
        .await;
    refused(&app, &base, r, 422, "destination_unknown").await;
    let r = app
        .post(
            &op,
            "/api/v1/requests",
            create_body(json!({ "destination_sede": "2850" })),
        )
        .await;
    refused(&app, &base, r, 422, "destination_inactive").await;
    let r = app
        .post(
            &op,
            "/api/v1/requests",
            create_body(json!({ "attachments": [Uuid::new_v4()] })),
        )
        .await;
    refused(&app, &base, r, 422, "upload_not_found").await;
    let r = app
        .post(
            &officer,
            &path("/replies"),
            json!({ "text": "ok", "attachments": [Uuid::new_v4()] }),
        )
        .await;
    refused(&app, &base, r, 422, "upload_not_found").await;
    // Someone else's upload is as good as none.
    let theirs = app
        .upload(
            &officer,
            "/api/v1/uploads",
            "circolare.pdf",
            pdf("circolare"),
        )
        .await;
    assert_eq!(theirs.status, 201, "{theirs:?}");
    let base = Baseline::take(&app).await;
    let r = app
        .post(
            &op,
            "/api/v1/requests",
            create_body(json!({ "attachments": [theirs.body["id"]] })),
        )
        .await;
    refused(&app, &base, r, 422, "upload_not_found").await;

    // Exactly 4000 characters (8000 bytes) are accepted.
    let r = app
        .post(
            &op,
            "/api/v1/requests",
            create_body(json!({ "text": "è".repeat(4000), "notes": "è".repeat(2000) })),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn attachments_that_are_refused(pool: PgPool) {
    let app = TestApp::spawn_with(
        pool,
        Limits {
            max_attachment_bytes: 2048,
            ..Default::default()
        },
        true,
    )
    .await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let created = app.create_request(&op, MARIO, "Requisiti NASpI").await;
    let id = created["request_id"].as_str().unwrap().to_string();
    let add = format!("/api/v1/requests/{id}/attachments");
    let base = Baseline::take(&app).await;

    let big = |size: usize| {
        let mut content = pdf("grande");
        content.resize(size, b' ');
        content
    };
    for path in ["/api/v1/uploads", add.as_str()] {
        // Over the limit: just over, and far over (the body limit itself).
        for size in [2049, 3000, 200 * 1024] {
            let r = app.upload(&op, path, "grande.pdf", big(size)).await;
            assert_eq!(r.status, 413, "{path} {size}: {r:?}");
            assert_eq!(r.content_type, "application/problem+json", "{r:?}");
            assert!(r.code().contains("too_large"), "{r:?}");
            let code = r.code().to_string();
            refused(&app, &base, r, 413, &code).await;
        }
        // Types recognised by content, not by name.
        for (name, content) in [
            (
                "relazione.pdf",
                b"<!DOCTYPE html><html><body>ciao</body></html>".to_vec(),
            ),
            (
                "relazione.pdf",
                b"MZ\x90\x00\x03\x00\x00\x00 program".to_vec(),
            ),
            ("nota.pdf", "solo testo, niente PDF".as_bytes().to_vec()),
        ] {
            let r = app.upload(&op, path, name, content).await;
            refused(&app, &base, r, 415, "attachment_type_not_allowed").await;
        }
        // Empty.
        let r = app.upload(&op, path, "vuoto.pdf", vec![]).await;
        refused(&app, &base, r, 422, "attachment_empty").await;
        // No `file` field.
        let form = reqwest::multipart::Form::new()
            .text("descrizione", "manca il file")
            .part(
                "documento",
                reqwest::multipart::Part::bytes(pdf("altro campo")).file_name("doc.pdf"),
            );
        let r = app.post_form(&op, path, form).await;
        refused(&app, &base, r, 422, "missing_file").await;
        // Not multipart at all.
        let r = app
            .send_bytes(
                Method::POST,
                Some(&op),
                path,
                Some("application/json"),
                b"{}".to_vec(),
            )
            .await;
        refused(&app, &base, r, 400, "invalid_multipart").await;
        // Multipart without a boundary.
        let r = app
            .send_bytes(
                Method::POST,
                Some(&op),
                path,
                Some("multipart/form-data"),
                b"--x\r\n".to_vec(),
            )
            .await;
        refused(&app, &base, r, 400, "invalid_multipart").await;
    }

    // Exactly at the limit is fine.
    let ok = app.upload(&op, &add, "giusto.pdf", big(2048)).await;
    assert_eq!(ok.status, 200, "{ok:?}");
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn tokens_that_are_refused(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let created = app.create_request(&op, MARIO, "Requisiti NASpI").await;
    let id = created["request_id"].as_str().unwrap().to_string();
    let base = Baseline::take(&app).await;

    let now = chrono::Utc::now().timestamp();
    let claims = |exp: i64, iss: &str, office: Option<&str>| Claims {
        sub: "op.rossi".into(),
        role: Role::Operator,
        patronato: Some("INCA".into()),
        office: office.map(str::to_string),
        region: None,
        sede: None,
        name: None,
        iss: iss.into(),
        iat: now - 7200,
        exp,
        nbf: None,
    };
    let expired = app.issue(&claims(now - 3600, ISSUER, Some(who::OFFICE)));
    let foreign_issuer = app.issue(&claims(now + 3600, "altro", Some(who::OFFICE)));
    let no_office = app.issue(&claims(now + 3600, ISSUER, None));
    let other_key = api::auth::JwtKeys::from_secret(b"un'altra chiave").issue(&claims(
        now + 3600,
        ISSUER,
        Some(who::OFFICE),
    ));
    let mut tampered = op.clone();
    tampered.pop();
    tampered.push(if op.ends_with('A') { 'B' } else { 'A' });

    let cases: Vec<(Option<String>, &str)> = vec![
        (None, "token_missing"),
        (Some("Basic b3A6cm9zc2k=".into()), "token_missing"),
        (Some(format!("Token {op}")), "token_missing"),
        (Some("Bearer garbage".into()), "token_invalid"),
        (Some(format!("Bearer {tampered}")), "token_invalid"),
        (Some(format!("Bearer {other_key}")), "token_invalid"),
        (Some(format!("Bearer {foreign_issuer}")), "token_invalid"),
        (Some(format!("Bearer {expired}")), "token_expired"),
        (Some(format!("Bearer {no_office}")), "token_claims_invalid"),
    ];
    for (authorization, code) in &cases {
        let headers: Vec<(&str, &str)> = authorization
            .as_deref()
            .map(|a| vec![("authorization", a)])
            .unwrap_or_default();
        for (method, path, body) in [
            (Method::GET, "/api/v1/requests".to_string(), None),
            (Method::GET, format!("/api/v1/requests/{id}"), None),
            (
                Method::POST,
                "/api/v1/requests".to_string(),
                Some(create_body(json!({}))),
            ),
            (
                Method::POST,
                format!("/api/v1/requests/{id}/solleciti"),
                Some(json!({})),
            ),
        ] {
            let r = app
                .send(method.clone(), None, &path, body.as_ref(), &headers)
                .await;
            assert_eq!(
                r.status, 401,
                "{method} {path} with {authorization:?}: {r:?}"
            );
            refused(&app, &base, r, 401, code).await;
        }
    }
    // Uploads are refused before the file is read.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(pdf("anonimo")).file_name("a.pdf"),
    );
    let r = app
        .http
        .post(format!("{}/api/v1/uploads", app.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(app.upload_count().await, base.uploads);
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn unknown_routes_and_bad_query_parameters(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let officer = app.officer("uff.bianchi", "3201");
    let created = app.create_request(&op, MARIO, "Requisiti NASpI").await;
    let id = created["request_id"].as_str().unwrap().to_string();
    let base = Baseline::take(&app).await;

    // Routes and ids that name nothing.
    for path in [
        "/api/v1/nothing-here",
        "/api/v2/requests",
        "/api/v1/requests/not-a-uuid",
        "/api/v1/requests/not-a-uuid/timeline",
        "/api/v1/requests/00000000-0000-0000-0000-000000000000",
        "/api/v1/sedi/!!/inbox",
    ] {
        let r = app.get(&op, path).await;
        refused(&app, &base, r, 404, "not_found").await;
    }
    let r = app
        .post(
            &officer,
            "/api/v1/requests/not-a-uuid/replies",
            json!({"text": "x"}),
        )
        .await;
    refused(&app, &base, r, 404, "not_found").await;
    let r = app
        .send(Method::GET, None, "/api/v1/nothing-here", None, &[])
        .await;
    refused(&app, &base, r, 404, "not_found").await;

    // A known route with a method it does not have.
    let r = app
        .send(
            Method::PUT,
            Some(&op),
            "/api/v1/requests",
            Some(&json!({})),
            &[],
        )
        .await;
    assert_eq!(r.status, 405, "{r:?}");
    let code = r.code().to_string();
    refused(&app, &base, r, 405, &code).await;

    // History parameters.
    for (query, code) in [
        ("limit=abc", "invalid_limit"),
        ("limit=-1", "invalid_limit"),
        ("limit=1.5", "invalid_limit"),
        ("status=foo", "invalid_status"),
        ("cursor=zz", "invalid_cursor"),
        ("cursor=00ff", "invalid_cursor"),
        ("sent_from=2025-13-01", "invalid_query"),
        ("sent_from=ieri", "invalid_query"),
        (
            "sent_from=2025-03-10&sent_to=2025-03-01",
            "invalid_date_range",
        ),
        ("protocol=abc", "invalid_protocol"),
        ("codice_fiscale=XYZ", "cf_wrong_length"),
        ("min_position=abc", "invalid_query"),
        ("scope=everyone", "invalid_scope"),
        ("bucket=new", "invalid_query"),
        ("colour=blue", "invalid_query"),
    ] {
        let r = app.get(&op, &format!("/api/v1/requests?{query}")).await;
        refused(&app, &base, r, 400, code).await;
    }
    // Inbox parameters.
    for (query, code) in [
        ("limit=abc", "invalid_limit"),
        ("bucket=foo", "invalid_bucket"),
        ("status=foo", "invalid_status"),
        ("cursor=zz", "invalid_cursor"),
        ("scope=mine", "invalid_query"),
    ] {
        let r = app
            .get(&officer, &format!("/api/v1/sedi/3201/inbox?{query}"))
            .await;
        refused(&app, &base, r, 400, code).await;
    }
    // Home panel and detail parameters.
    for (query, code) in [
        ("limit=abc", "invalid_limit"),
        ("replied_on=ieri", "invalid_query"),
        ("cursor=zz", "invalid_cursor"),
        ("protocol=abc", "invalid_protocol"),
    ] {
        let r = app
            .get(&op, &format!("/api/v1/home/recent-replies?{query}"))
            .await;
        refused(&app, &base, r, 400, code).await;
    }
    let r = app
        .get(&op, &format!("/api/v1/requests/{id}?min_position=abc"))
        .await;
    refused(&app, &base, r, 400, "invalid_query").await;
    let r = app
        .send(
            Method::GET,
            Some(&op),
            "/api/v1/requests",
            None,
            &[("x-min-position", "abc")],
        )
        .await;
    refused(&app, &base, r, 400, "invalid_min_position").await;

    // An invalid idempotency key.
    let too_long = "k".repeat(201);
    for key in ["   ", too_long.as_str()] {
        let r = app
            .send(
                Method::POST,
                Some(&op),
                "/api/v1/requests",
                Some(&create_body(json!({}))),
                &[("idempotency-key", key)],
            )
            .await;
        refused(&app, &base, r, 400, "invalid_idempotency_key").await;
    }

    // Good parameters still work.
    let page = app
        .get(&op, "/api/v1/requests?limit=1&status=inoltrata")
        .await
        .ok();
    assert!(page["items"].is_array());
    app.stop().await;
}
