//! Fixtures: request events appended through the real event store.
#![allow(dead_code)]

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use domain::actor::PatronatoRole;
use domain::codice_fiscale::CodiceFiscale;
use domain::ids::{
    AttachmentId, Cap, OfficeId, PatronatoId, PracticeRef, PracticeRefKind, ProtocolNumber,
    RegionCode, RequestId, SedeCode, TopicCode, UserId,
};
use domain::request::{
    AttachmentRef, CitizenRecord, RequestEvent, RequestSent, Requester, Routing,
};
use domain::time::Timestamp;
use sqlx::PgPool;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use store::{append, load_stream, Appended, Expected, Metadata, NewEvent};
use uuid::Uuid;

pub const CF: &str = "RSSMRA85T10A562S";

pub fn t0() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

pub fn day(n: i64) -> Timestamp {
    t0() + Duration::days(n)
}

pub fn user(s: &str) -> UserId {
    UserId::parse(s).unwrap()
}

pub fn sede(s: &str) -> SedeCode {
    SedeCode::parse(s).unwrap()
}

pub fn cf() -> CodiceFiscale {
    CodiceFiscale::parse(CF).unwrap()
}

static PROTOCOL_SEQ: AtomicU32 = AtomicU32::new(1);

/// What varies between the requests of a test.
#[derive(Debug, Clone)]
pub struct Spec {
    pub id: RequestId,
    pub patronato: &'static str,
    pub office: &'static str,
    pub by: &'static str,
    pub sede: &'static str,
    pub at: Timestamp,
    pub topic_label: &'static str,
    pub subtopic_label: Option<&'static str>,
    pub text: String,
    pub citizen: bool,
    pub attachments: Vec<AttachmentRef>,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            id: RequestId::new(),
            patronato: "INCA",
            office: "ROMA1",
            by: "op1",
            sede: "ROMA01",
            at: t0(),
            topic_label: "Prestazione in corso o respinta",
            subtopic_label: Some("NASpI"),
            text: "Domanda presentata a gennaio, nessuna notizia.".into(),
            citizen: true,
            attachments: Vec::new(),
        }
    }
}

pub fn attachment(name: &str) -> AttachmentRef {
    AttachmentRef {
        id: AttachmentId::new(),
        sha256: "ab".repeat(32),
        filename: name.to_string(),
        media_type: "application/pdf".into(),
        size: 1234,
    }
}

pub fn sent(spec: &Spec) -> RequestEvent {
    let destination = sede(spec.sede);
    let seq = PROTOCOL_SEQ.fetch_add(1, Ordering::Relaxed);
    let requester = if spec.citizen {
        Requester::Citizen(CitizenRecord {
            codice_fiscale: cf().into(),
            surname: "ROSSI".into(),
            name: "MARIO".into(),
            birth_date: NaiveDate::from_ymd_opt(1985, 12, 10).unwrap().into(),
            birth_place: Some("BOLOGNA".into()),
            cap: Cap::parse("00184").unwrap(),
        })
    } else {
        Requester::OwnBehalf {
            region: RegionCode::parse("LAZIO").unwrap(),
        }
    };
    RequestEvent::RequestSent(Box::new(RequestSent {
        request_id: spec.id,
        protocol: ProtocolNumber::new(&destination, 2026, seq),
        requester,
        mandate_declared: spec.citizen,
        topic: TopicCode::parse("prestazione_in_corso").unwrap(),
        topic_label: spec.topic_label.into(),
        subtopic: spec
            .subtopic_label
            .map(|_| TopicCode::parse("naspi").unwrap()),
        subtopic_label: spec.subtopic_label.map(Into::into),
        practice_ref: spec
            .citizen
            .then(|| PracticeRef::parse(PracticeRefKind::Protocollo, "INPS-123").unwrap()),
        text: spec.text.clone(),
        notes: None,
        attachments: spec.attachments.clone(),
        by: user(spec.by),
        by_role: if spec.citizen {
            PatronatoRole::Operator
        } else {
            PatronatoRole::RegionalReferent
        },
        patronato: PatronatoId::parse(spec.patronato).unwrap(),
        office: OfficeId::parse(spec.office).unwrap(),
        destination,
        routing: Routing::Suggested,
        copied_from: None,
        at: spec.at,
    }))
}

pub fn taken(by: &str, s: &str, at: Timestamp) -> RequestEvent {
    RequestEvent::TakenInCharge {
        by: user(by),
        sede: sede(s),
        at,
    }
}

pub fn reply(s: &str, text: &str, at: Timestamp) -> RequestEvent {
    RequestEvent::ReplyReceived {
        by: user("officer1"),
        sede: sede(s),
        text: text.into(),
        attachments: Vec::new(),
        at,
    }
}

pub fn closed(s: &str, at: Timestamp) -> RequestEvent {
    RequestEvent::ConversationClosed {
        by: user("officer1"),
        sede: sede(s),
        note: Some("Pratica definita.".into()),
        at,
    }
}

pub fn forwarded(from: &str, to: &str, at: Timestamp) -> RequestEvent {
    RequestEvent::ForwardedToSede {
        by: user("officer1"),
        from: sede(from),
        to: sede(to),
        reason: "Competenza territoriale".into(),
        at,
    }
}

pub fn metadata() -> Metadata {
    Metadata {
        actor_id: "tester".into(),
        actor_role: "operator".into(),
        patronato: None,
        office: None,
        sede: None,
        command: "test".into(),
        correlation_id: Uuid::now_v7(),
        causation_id: None,
        idempotency_key: None,
    }
}

pub fn new_event(e: &RequestEvent) -> NewEvent {
    NewEvent {
        event_type: e.event_type().to_string(),
        schema_version: RequestEvent::SCHEMA_VERSION,
        payload: serde_json::to_value(e).unwrap(),
    }
}

/// Appends `events` at the end of the request's stream, in one transaction.
pub async fn append_events(pool: &PgPool, id: RequestId, events: &[RequestEvent]) -> Appended {
    append_raw(pool, id, &events.iter().map(new_event).collect::<Vec<_>>()).await
}

/// The pseudonym the fixtures seal a citizen's events for. Not keyed (the
/// service's is `commands::privacy::Pseudonyms`), but like it shared by the
/// omocodia variants of a code.
pub fn test_pseudonym(code: &str) -> String {
    let base = CodiceFiscale::parse(code).map_or_else(|_| code.to_string(), |cf| cf.base_code());
    format!("c{}", hex::encode(&base.as_bytes()[..16]))
}

/// Seals the personal fields of the events that name their citizen, as the
/// commands do, under a key stored in `subject_keys`: the projections read
/// them opened, with the citizen's pseudonym beside them.
async fn seal(pool: &PgPool, events: &[NewEvent]) -> Vec<NewEvent> {
    use store::privacy::crypto::{LocalMasterKey, MasterKey};
    use store::privacy::{keys::SubjectKeys, open::register_master_key, personal};
    let master: Arc<dyn MasterKey> = Arc::new(LocalMasterKey::new("projections-test", &[9; 32]));
    register_master_key(master.clone());
    let keys = SubjectKeys::new(pool.clone(), master);
    let mut sealed = events.to_vec();
    for e in &mut sealed {
        let Some(code) = personal::subject_code(&e.event_type, &e.payload) else {
            continue;
        };
        let subject = test_pseudonym(code);
        let dek = keys
            .key_for_sealing(&subject, "citizen", Utc::now())
            .await
            .unwrap()
            .expect("a live key");
        let to = personal::SealFor {
            subject: Some((subject.as_str(), &dek)),
            joint: None,
        };
        personal::seal_payload(&e.event_type, &mut e.payload, to).unwrap();
    }
    sealed
}

pub async fn append_raw(pool: &PgPool, id: RequestId, events: &[NewEvent]) -> Appended {
    let events = &seal(pool, events).await;
    let mut tx = pool.begin().await.unwrap();
    let loaded = load_stream(&mut *tx, &id.stream_id(), "request", None)
        .await
        .unwrap();
    let expected = if loaded.expected.version == 0 {
        Expected::new_stream(id.stream_id(), "request")
    } else {
        loaded.expected
    };
    let appended = append(&mut tx, &expected, events, &metadata(), Utc::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    appended
}

/// Sends a new request; returns its id.
/// How a worker connects to the test's database (its own sessions, with
/// the server's default settings).
pub fn connect(pool: &PgPool) -> sqlx::postgres::PgConnectOptions {
    store::session_options(pool, &[])
}

pub async fn send(pool: &PgPool, spec: &Spec) -> RequestId {
    append_events(pool, spec.id, &[sent(spec)]).await;
    spec.id
}

/// Every row of a table, as sorted JSON text (for before/after comparisons).
pub async fn table_contents(pool: &PgPool, table: &str) -> Vec<String> {
    sqlx::query_scalar(&format!(
        "SELECT to_jsonb(t)::text FROM {table} t ORDER BY 1"
    ))
    .fetch_all(pool)
    .await
    .unwrap()
}

/// A varied history: requests with replies, forwards, attachments, closures.
pub async fn varied_history(pool: &PgPool, n: i64) -> Vec<domain::ids::RequestId> {
    let mut ids = Vec::new();
    for i in 0..n {
        let spec = Spec {
            at: day(i),
            attachments: if i % 3 == 0 {
                vec![attachment("a.pdf")]
            } else {
                vec![]
            },
            ..Spec::default()
        };
        let mut events = vec![sent(&spec)];
        if i % 2 == 0 {
            events.push(taken(
                "officer1",
                "ROMA01",
                day(i) + chrono::Duration::hours(1),
            ));
            events.push(reply(
                "ROMA01",
                "Risposta",
                day(i) + chrono::Duration::hours(2),
            ));
        }
        if i % 5 == 0 {
            events.push(forwarded(
                "ROMA01",
                "MILA01",
                day(i) + chrono::Duration::hours(3),
            ));
        }
        if i % 4 == 0 {
            events.push(RequestEvent::AttachmentAdded {
                attachment: attachment("b.pdf"),
                by: user("op1"),
                side: domain::actor::Side::Patronato,
                at: day(i) + chrono::Duration::hours(4),
            });
            events.push(closed("ROMA01", day(i) + chrono::Duration::hours(5)));
        }
        append_events(pool, spec.id, &events).await;
        ids.push(spec.id);
    }
    ids
}

/// An appointment booked on the request at `start`.
pub fn booked(
    booking: domain::booking::BookingId,
    start: Timestamp,
    at: Timestamp,
) -> RequestEvent {
    use domain::booking::{BookingCode, CounterCode, SlotRef, PATRONATI_COUNTER};
    RequestEvent::AppointmentBooked {
        booking_id: booking,
        code: BookingCode::parse("K7M2Q9XA").unwrap(),
        slot: SlotRef {
            sede: sede("ROMA01"),
            counter: CounterCode::parse(PATRONATI_COUNTER).unwrap(),
            start,
            end: start + Duration::minutes(30),
        },
        ground: domain::request::AppointmentGround::EnabledBySede,
        by: user("op1"),
        at,
    }
}

/// The appointment `booking` cancelled by the patronato.
pub fn cancelled(booking: domain::booking::BookingId, at: Timestamp) -> RequestEvent {
    RequestEvent::AppointmentCancelled {
        booking_id: booking,
        by: user("op1"),
        side: domain::actor::Side::Patronato,
        reason: None,
        at,
    }
}
