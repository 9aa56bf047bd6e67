//! Retention (issue 26): attachment contents of requests closed longer ago
//! than the period are listed by a dry run and deleted for real by the same
//! step; a file of a request still open is kept. Booking contacts past their
//! period after the appointment lose their key, the log's copy with it (a
//! rebuild keeps them erased), and the read model's copy.

use chrono::{Duration, Utc};
use combipat_tests::{pdf, who, TestApp};
use commands::privacy::crypto::LocalMasterKey;
use commands::privacy::keys::SubjectKeys;
use commands::privacy::retention::{run, ContactKey, RetentionPolicy};
use commands::privacy::Pseudonyms;
use serde_json::{json, Value};
use sqlx::PgPool;
use std::sync::Arc;

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
        ..RetentionPolicy::default()
    };
    let pseudonyms = Pseudonyms::new([7; 32]);
    let soon = Utc::now() + Duration::days(1);
    let later = Utc::now() + Duration::days(3_651);
    // Within the period: nothing.
    assert!(run(&app.pool, &policy, &pseudonyms, soon, true)
        .await
        .unwrap()
        .attachments
        .is_empty());
    // Past it: the dry run lists the closed request's file only, and keeps it.
    let dry = run(&app.pool, &policy, &pseudonyms, later, true)
        .await
        .unwrap();
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
    let applied = run(&app.pool, &policy, &pseudonyms, later, false)
        .await
        .unwrap();
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
    assert!(run(&app.pool, &policy, &pseudonyms, later, true)
        .await
        .unwrap()
        .attachments
        .is_empty());
    app.stop().await;
}

async fn contacts_of(app: &TestApp, booking_id: &str) -> (Option<String>, Option<String>, bool) {
    sqlx::query_as(
        "SELECT mobile, email, contacts_erased_at IS NOT NULL FROM bookings WHERE booking_id = $1::uuid",
    )
    .bind(booking_id)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// Mario's booking as the log opens it now: the `SlotBooked` event's payload.
async fn booked_in_the_log(app: &TestApp, booking_id: &str) -> Value {
    let stream: String = sqlx::query_scalar(
        "SELECT stream_id FROM events WHERE event_type = 'SlotBooked' \
         AND payload->>'booking_id' = $1",
    )
    .bind(booking_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let loaded = store::load_stream(&app.pool, &stream, "slot", None)
        .await
        .unwrap();
    loaded
        .events
        .into_iter()
        .find(|e| e.event_type == "SlotBooked")
        .unwrap()
        .payload
}

#[sqlx::test(migrations = "../migrations")]
async fn booking_contacts_past_retention_lose_their_key_and_their_copy(pool: PgPool) {
    // The server names subjects with the same pseudonyms as this test.
    let pseudonyms = Pseudonyms::new([7; 32]);
    let named = pseudonyms.clone();
    let app = TestApp::spawn_configured(pool, TestApp::limits(), true, move |state| {
        state.with_pseudonyms(named)
    })
    .await;
    app.set_clock("2026-12-01T08:00:00Z").await;
    let mario = app
        .book_as_citizen(
            "RSSMRA60E12H501E",
            "2026-12-03T08:06:00Z",
            json!({"mode": "in_presenza", "reason": "Estratto conto",
               "mobile": "333 1234567", "email": "mario.rossi@example.it"}),
        )
        .await;
    let anna = app
        .book_as_citizen(
            "BNCNNA52S63H501H",
            "2026-12-03T10:06:00Z",
            json!({"mode": "in_presenza", "mobile": "333 7654321"}),
        )
        .await;
    app.wait_projections(anna["position"].as_i64().unwrap())
        .await;
    let mario_id = mario["booking_id"].as_str().unwrap().to_string();
    let anna_id = anna["booking_id"].as_str().unwrap().to_string();

    // Mario's contacts are sealed in the log under his booking's own key
    // (and his citizen's); the log holds them nowhere in clear.
    let mario_subject = pseudonyms.booking(mario_id.parse().unwrap());
    let kind: String = sqlx::query_scalar("SELECT kind FROM subject_keys WHERE subject = $1")
        .bind(&mario_subject)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(kind, "booking");
    let log: String = sqlx::query_scalar("SELECT string_agg(payload::text, E'\\n') FROM events")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    for clear in ["3331234567", "mario.rossi@example.it", "Estratto conto"] {
        assert!(!log.contains(clear), "{clear} in clear in the log");
    }
    let opened = booked_in_the_log(&app, &mario_id).await;
    assert_eq!(
        opened["booker"]["details"]["mobile"], "+393331234567",
        "{opened}"
    );
    let keys = SubjectKeys::new(
        app.pool.clone(),
        Arc::new(LocalMasterKey::new("test.key", &[42; 32])),
    );

    let policy = RetentionPolicy {
        booking_contacts_after_appointment: Duration::days(90),
        ..RetentionPolicy::default()
    };
    let at = |s: &str| s.parse::<chrono::DateTime<Utc>>().unwrap();
    // Mario's appointment ended 90 days before 09:00 of 3 March; Anna's not yet.
    let between = at("2027-03-03T09:00:00Z");
    let dry = run(&app.pool, &policy, &pseudonyms, between, true)
        .await
        .unwrap();
    assert_eq!(dry.booking_contacts.len(), 1, "{dry:?}");
    assert_eq!(dry.booking_contacts[0].booking_id.to_string(), mario_id);
    assert_eq!(dry.booking_contacts[0].subject, mario_subject);
    assert_eq!(dry.booking_contacts[0].key, ContactKey::WouldErase);
    // The dry run changed nothing.
    assert_eq!(
        contacts_of(&app, &mario_id).await,
        (
            Some("+393331234567".into()),
            Some("mario.rossi@example.it".into()),
            false
        )
    );
    let live: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT wrapped_key FROM subject_keys WHERE subject = $1")
            .bind(&mario_subject)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(live.is_some());

    let applied = run(&app.pool, &policy, &pseudonyms, between, false)
        .await
        .unwrap();
    assert_eq!(applied.booking_contacts[0].key, ContactKey::Erased);
    assert_eq!(contacts_of(&app, &mario_id).await, (None, None, true));
    let reason: Option<String> =
        sqlx::query_scalar("SELECT reason FROM bookings WHERE booking_id = $1::uuid")
            .bind(&mario_id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(reason, None);
    // The key is gone for good, and the erasure is in the log, by pseudonym.
    assert!(keys
        .key_for_opening(&mario_subject)
        .await
        .unwrap()
        .is_none());
    let (payload,): (Value,) = sqlx::query_as(
        "SELECT payload FROM events WHERE event_type = 'SubjectErased' AND stream_id = $1",
    )
    .bind(format!("erasure-{mario_subject}"))
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(payload["erased_by"], "combipat-retention");
    assert!(payload["legal_ground"]
        .as_str()
        .unwrap()
        .starts_with("retention"));
    // The log's copy went with the key; the citizen's code did not.
    let opened = booked_in_the_log(&app, &mario_id).await;
    let text = opened.to_string();
    for clear in ["3331234567", "mario.rossi@example.it", "Estratto conto"] {
        assert!(!text.contains(clear), "{clear} in the opened log: {text}");
    }
    assert_eq!(opened["booker"]["details"]["mobile"], Value::Null);
    assert_eq!(opened["booker"]["details"]["reason"], "dato cancellato");
    assert_eq!(opened["booker"]["codice_fiscale"], "RSSMRA60E12H501E");
    // Anna's contacts are untouched; a second run finds nothing of Mario's.
    assert_eq!(
        contacts_of(&app, &anna_id).await,
        (Some("+393337654321".into()), None, false)
    );
    assert!(run(&app.pool, &policy, &pseudonyms, between, true)
        .await
        .unwrap()
        .booking_contacts
        .is_empty());

    // Later, Anna's are past too.
    let later = at("2027-03-04T09:00:00Z");
    let applied = run(&app.pool, &policy, &pseudonyms, later, false)
        .await
        .unwrap();
    assert_eq!(applied.booking_contacts.len(), 1, "{applied:?}");
    assert_eq!(applied.booking_contacts[0].key, ContactKey::Erased);
    assert_eq!(contacts_of(&app, &anna_id).await, (None, None, true));

    // A rebuild projects the log as it opens now: the contacts stay erased.
    projections::rebuild_by_name(&app.pool, "bookings")
        .await
        .unwrap();
    for id in [&mario_id, &anna_id] {
        let (mobile, email, _) = contacts_of(&app, id).await;
        assert_eq!((mobile, email), (None, None), "{id} after the rebuild");
    }
    // The next run finds Mario's row unmarked (its reason reads "dato
    // cancellato"; Anna's holds nothing), and the key already gone.
    let again = run(&app.pool, &policy, &pseudonyms, later, false)
        .await
        .unwrap();
    assert_eq!(again.booking_contacts.len(), 1, "{again:?}");
    assert_eq!(again.booking_contacts[0].booking_id.to_string(), mario_id);
    assert_eq!(again.booking_contacts[0].key, ContactKey::AlreadyErased);
    assert_eq!(contacts_of(&app, &mario_id).await, (None, None, true));
    app.stop().await;
}
