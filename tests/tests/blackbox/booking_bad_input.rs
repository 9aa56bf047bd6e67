//! Bad input on the booking, appointment and clock endpoints, like
//! `bad_input.rs` does for requests: malformed JSON, unknown, missing and
//! mistyped fields, oversize reasons and contacts are 4xx problem+json with a
//! stable code, nothing is appended; and no `detail` anywhere carries
//! axum's or serde's English text ("Failed to deserialize …").

use combipat_tests::{who, Resp, TestApp};
use domain::actor::Role;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

const MARIO: &str = "RSSMRA60E12H501E";
/// Roma Monteverde Gianicolense (12-minute slots).
const ROMA: &str = "3231";
/// Thursday 09:06 in Rome.
const SLOT: &str = "2026-12-03T08:06:00Z";

/// English that must not leak into an Italian `detail`.
const ENGLISH: &[&str] = &[
    "Failed",
    "failed",
    "deserialize",
    "expected",
    "unknown field",
    "missing field",
    "invalid type",
    "unknown variant",
    " at line ",
    "EOF",
    "while parsing",
    "trailing characters",
    "query string",
    "boundary",
];

#[track_caller]
fn refused(r: &Resp, status: u16, code: &str) {
    assert_ne!(r.status, 500, "{r:?}");
    r.problem(status, code);
    let detail = r.body["detail"].as_str().unwrap();
    for word in ENGLISH {
        if *word == "boundary" && detail.contains("(boundary)") {
            continue;
        }
        assert!(!detail.contains(word), "English {word:?} in {r:?}");
    }
}

async fn raw(app: &TestApp, token: Option<&str>, path: &str, body: &str) -> Resp {
    app.send_bytes(
        Method::POST,
        token,
        path,
        Some("application/json"),
        body.as_bytes().to_vec(),
    )
    .await
}

async fn set_clock(app: &TestApp, at: &str) {
    let t = app.token(Role::SystemAdmin, "clock", &[]);
    app.post(&t, "/api/v1/admin/clock", json!({ "set": at }))
        .await
        .ok();
}

#[sqlx::test(migrations = "../migrations")]
async fn booking_bodies_that_cannot_be_read_append_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    set_clock(&app, "2026-12-01T08:00:00Z").await;
    let holds = format!("/api/v1/sedi/{ROMA}/counters/servizi_veloci/holds");
    let held = app
        .send(
            Method::POST,
            None,
            &holds,
            Some(&json!({"start": SLOT, "codice_fiscale": MARIO})),
            &[],
        )
        .await;
    assert_eq!(held.status, 201, "{held:?}");
    let confirm = format!(
        "/api/v1/holds/{}/confirmation",
        held.body["hold_id"].as_str().unwrap()
    );
    let events = app.event_count().await;

    // Malformed JSON.
    for body in ["{", "{,}", "[", "", "nul"] {
        refused(&raw(&app, None, &holds, body).await, 400, "invalid_json");
        refused(&raw(&app, None, &confirm, body).await, 400, "invalid_json");
    }
    // Unknown, missing and mistyped fields.
    let bad_holds: [Value; 6] = [
        json!({"start": SLOT, "codice_fiscale": MARIO, "priorita": 1}),
        json!({"codice_fiscale": MARIO}),
        json!({"start": "domani alle nove", "codice_fiscale": MARIO}),
        json!({"start": 42, "codice_fiscale": MARIO}),
        json!({"start": SLOT, "codice_fiscale": ["RSS"]}),
        json!([SLOT]),
    ];
    for body in bad_holds {
        let r = app.send(Method::POST, None, &holds, Some(&body), &[]).await;
        refused(&r, 422, "invalid_body");
    }
    let bad_confirms: [Value; 4] = [
        json!({"codice_fiscale": MARIO, "mode": "in_presenza", "mobile": "3331234567", "nota": "x"}),
        json!({"codice_fiscale": MARIO, "mobile": "3331234567"}),
        json!({"codice_fiscale": MARIO, "mode": "teletrasporto", "mobile": "3331234567"}),
        json!({"codice_fiscale": MARIO, "mode": "in_presenza", "mobile": 3331234567u64}),
    ];
    for body in bad_confirms {
        let r = app
            .send(Method::POST, None, &confirm, Some(&body), &[])
            .await;
        refused(&r, 422, "invalid_body");
    }
    // What the rules refuse: reason over 150 characters (however many bytes),
    // contacts that are not contacts, no contact at all.
    let base = json!({"codice_fiscale": MARIO, "mode": "in_presenza", "mobile": "3331234567"});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    for (body, code) in [
        (
            with("reason", json!("è".repeat(151))),
            "booking_reason_too_long",
        ),
        (with("mobile", json!("12")), "mobile_invalid"),
        (with("email", json!("non-una-email")), "email_invalid"),
        (
            json!({"codice_fiscale": MARIO, "mode": "in_presenza"}),
            "contact_required",
        ),
    ] {
        let r = app
            .send(Method::POST, None, &confirm, Some(&body), &[])
            .await;
        refused(&r, 422, code);
    }
    // Cancellation bodies.
    let cancel = "/api/v1/bookings/00000000-0000-7000-8000-000000000000/cancellation";
    refused(&raw(&app, None, cancel, "{").await, 400, "invalid_json");
    refused(
        &raw(&app, None, cancel, "{\"codice\": \"X\"}").await,
        422,
        "invalid_body",
    );
    // Bad query parameters of the calendar.
    let cal = format!("/api/v1/sedi/{ROMA}/counters/servizi_veloci");
    for q in [
        "/calendar?month=dicembre",
        "/slots?date=ieri",
        "/slots?pagina=2",
    ] {
        let r = app
            .send(Method::GET, None, &format!("{cal}{q}"), None, &[])
            .await;
        assert_eq!(r.status, 400, "{q}: {r:?}");
        refused(&r, 400, r.code().to_string().as_str());
    }

    assert_eq!(app.event_count().await, events, "a refusal appends nothing");
    // The hold is still there and can be confirmed.
    app.send(Method::POST, None, &confirm, Some(&base), &[])
        .await
        .ok();
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn appointment_and_clock_bodies_that_cannot_be_read(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    set_clock(&app, "2026-12-01T08:00:00Z").await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let created = app.create_request(&op, MARIO, "Requisiti NASpI").await;
    let id = created["request_id"].as_str().unwrap();
    app.advance_days(16).await;
    let appointment = format!("/api/v1/requests/{id}/appointment");
    let events = app.event_count().await;
    refused(
        &raw(&app, Some(&op), &appointment, "{").await,
        400,
        "invalid_json",
    );
    for body in [
        json!({}),
        json!({"start": SLOT, "sportello": "reception"}),
        json!({"start": true}),
    ] {
        refused(
            &app.post(&op, &appointment, body).await,
            422,
            "invalid_body",
        );
    }
    let clock = "/api/v1/admin/clock";
    let sys = app.token(Role::SystemAdmin, "sys.demo", &[]);
    refused(
        &raw(&app, Some(&sys), clock, "{\"advance_days\": ").await,
        400,
        "invalid_json",
    );
    refused(
        &app.post(&sys, clock, json!({"advance_giorni": 1})).await,
        422,
        "invalid_body",
    );
    refused(
        &app.post(&sys, clock, json!({"advance_days": "uno"})).await,
        422,
        "invalid_body",
    );
    assert_eq!(app.event_count().await, events, "a refusal appends nothing");
    app.stop().await;
}

/// The request endpoints of `bad_input.rs`, checked for English in `detail`.
#[sqlx::test(migrations = "../migrations")]
async fn request_refusals_carry_no_english(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let created = app.create_request(&op, MARIO, "Requisiti NASpI").await;
    let id = created["request_id"].as_str().unwrap();
    let events = app.event_count().await;
    let body = json!({
        "codice_fiscale": MARIO, "mandate_declared": true,
        "topic": "requisiti_accesso", "subtopic": "naspi", "text": "Requisiti"});
    let with = |k: &str, v: Value| {
        let mut b = body.clone();
        b[k] = v;
        b
    };
    for b in [
        with("priority", json!("alta")),
        with("mandate_declared", json!("sì")),
        with("attachments", json!(["non-un-uuid"])),
        with("practice_ref", json!({"kind": "pensione"})),
        with("practice_ref", json!({"kind": "segreto", "value": "X"})),
        json!([1, 2]),
    ] {
        let r = app.post(&op, "/api/v1/requests", b).await;
        refused(&r, 422, "invalid_body");
    }
    for raw_body in ["{", "{\"text\": }", "{} coda"] {
        refused(
            &raw(&app, Some(&op), "/api/v1/requests", raw_body).await,
            400,
            "invalid_json",
        );
    }
    // Query strings and multipart forms.
    for q in ["?limit=molti", "?ordine=1"] {
        let r = app.get(&op, &format!("/api/v1/requests{q}")).await;
        assert_eq!(r.status, 400, "{r:?}");
        refused(&r, 400, r.code().to_string().as_str());
    }
    let upload = format!("/api/v1/requests/{id}/attachments");
    let r = app
        .send_bytes(
            Method::POST,
            Some(&op),
            &upload,
            Some("multipart/form-data"),
            b"--x\r\n".to_vec(),
        )
        .await;
    refused(&r, 400, "invalid_multipart");
    let r = app
        .send_bytes(
            Method::POST,
            Some(&op),
            &upload,
            Some("multipart/form-data; boundary=x"),
            b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n%PDF-1.4 tronco"
                .to_vec(),
        )
        .await;
    refused(&r, 400, "invalid_multipart");
    assert_eq!(app.event_count().await, events, "a refusal appends nothing");
    app.stop().await;
}
