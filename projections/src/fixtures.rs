//! Events for the folds' unit tests (no PostgreSQL): a request's history as
//! the log would hand it to a projection.

use crate::events::RequestFact;
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use domain::actor::{PatronatoRole, Side};
use domain::booking::{BookingCode, BookingId, CounterCode, SlotRef, PATRONATI_COUNTER};
use domain::codice_fiscale::CodiceFiscale;
use domain::ids::{
    AttachmentId, Cap, OfficeId, PatronatoId, PracticeRef, PracticeRefKind, ProtocolNumber,
    RequestId, SedeCode, TopicCode, UserId,
};
use domain::request::{
    AppointmentGround, AttachmentRef, CitizenRecord, RequestEvent, RequestSent, Requester, Routing,
};
use domain::time::Timestamp;
use uuid::Uuid;

/// The pseudonym of the fixtures' citizen, as a sealed `RequestSent` carries it.
pub(crate) const CITIZEN: &str = "c0123456789abcdef0123456789abcdef";

pub(crate) fn day(n: i64) -> Timestamp {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap() + Duration::days(n)
}

pub(crate) fn user(s: &str) -> UserId {
    UserId::parse(s).unwrap()
}

pub(crate) fn sede(s: &str) -> SedeCode {
    SedeCode::parse(s).unwrap()
}

pub(crate) fn attachment(name: &str) -> AttachmentRef {
    AttachmentRef {
        id: AttachmentId::new(),
        sha256: "ab".repeat(32),
        filename: name.to_string(),
        media_type: "application/pdf".into(),
        size: 1234,
    }
}

/// A citizen's request sent by `op1` of INCA ROMA1 to `to` at `at`.
pub(crate) fn sent_to(to: &str, at: Timestamp, attachments: Vec<AttachmentRef>) -> RequestEvent {
    let destination = sede(to);
    RequestEvent::RequestSent(Box::new(RequestSent {
        request_id: RequestId::new(),
        protocol: ProtocolNumber::new(&destination, 2026, 1),
        requester: Requester::Citizen(CitizenRecord {
            codice_fiscale: CodiceFiscale::parse("RSSMRA85T10A562S").unwrap().into(),
            surname: "ROSSI".into(),
            name: "MARIO".into(),
            birth_date: NaiveDate::from_ymd_opt(1985, 12, 10).unwrap().into(),
            birth_place: Some("BOLOGNA".into()),
            cap: Cap::parse("00184").unwrap(),
        }),
        mandate_declared: true,
        topic: TopicCode::parse("prestazione_in_corso").unwrap(),
        topic_label: "Prestazione in corso o respinta".into(),
        subtopic: Some(TopicCode::parse("naspi").unwrap()),
        subtopic_label: Some("NASpI".into()),
        practice_ref: Some(PracticeRef::parse(PracticeRefKind::Protocollo, "INPS-123").unwrap()),
        text: "Domanda presentata a gennaio, nessuna notizia.".into(),
        notes: None,
        attachments,
        by: user("op1"),
        by_role: PatronatoRole::Operator,
        patronato: PatronatoId::parse("INCA").unwrap(),
        office: OfficeId::parse("ROMA1").unwrap(),
        destination,
        routing: Routing::Suggested,
        copied_from: None,
        at,
    }))
}

pub(crate) fn sent(at: Timestamp) -> RequestEvent {
    sent_to("ROMA01", at, Vec::new())
}

pub(crate) fn taken(s: &str, at: Timestamp) -> RequestEvent {
    RequestEvent::TakenInCharge {
        by: user("officer1"),
        sede: sede(s),
        at,
    }
}

pub(crate) fn reply(s: &str, at: Timestamp) -> RequestEvent {
    RequestEvent::ReplyReceived {
        by: user("officer1"),
        sede: sede(s),
        text: "Serve l'ISEE.".into(),
        attachments: Vec::new(),
        at,
    }
}

pub(crate) fn message(interaction: u8, at: Timestamp) -> RequestEvent {
    RequestEvent::MessageSent {
        by: user("op1"),
        text: "Ecco.".into(),
        attachments: Vec::new(),
        interaction,
        at,
    }
}

pub(crate) fn sollecito(number: u32, at: Timestamp) -> RequestEvent {
    RequestEvent::SollecitoSent {
        by: user("op1"),
        number,
        at,
    }
}

pub(crate) fn forwarded(from: &str, to: &str, at: Timestamp) -> RequestEvent {
    RequestEvent::ForwardedToSede {
        by: user("officer1"),
        from: sede(from),
        to: sede(to),
        reason: "Competenza territoriale".into(),
        at,
    }
}

pub(crate) fn enabled(s: &str, at: Timestamp) -> RequestEvent {
    RequestEvent::AppointmentEnabled {
        by: user("officer1"),
        sede: sede(s),
        at,
    }
}

pub(crate) fn closed(s: &str, at: Timestamp) -> RequestEvent {
    RequestEvent::ConversationClosed {
        by: user("officer1"),
        sede: sede(s),
        note: Some("Pratica definita.".into()),
        at,
    }
}

pub(crate) fn added(a: &AttachmentRef, at: Timestamp) -> RequestEvent {
    RequestEvent::AttachmentAdded {
        attachment: a.clone(),
        by: user("op1"),
        side: Side::Patronato,
        at,
    }
}

pub(crate) fn removed(a: &AttachmentRef, at: Timestamp) -> RequestEvent {
    RequestEvent::AttachmentRemoved {
        attachment_id: a.id,
        by: user("op1"),
        at,
    }
}

pub(crate) fn booked(booking: BookingId, start: Timestamp, at: Timestamp) -> RequestEvent {
    RequestEvent::AppointmentBooked {
        booking_id: booking,
        code: BookingCode::parse("K7M2Q9XA").unwrap(),
        slot: SlotRef {
            sede: sede("ROMA01"),
            counter: CounterCode::parse(PATRONATI_COUNTER).unwrap(),
            start,
            end: start + Duration::minutes(30),
        },
        ground: AppointmentGround::EnabledBySede,
        by: user("op1"),
        at,
    }
}

pub(crate) fn cancelled(booking: BookingId, at: Timestamp) -> RequestEvent {
    RequestEvent::AppointmentCancelled {
        booking_id: booking,
        by: user("op1"),
        side: Side::Patronato,
        reason: None,
        at,
    }
}

/// The events of one request as the log numbers them: versions from 1,
/// positions from `first_position`.
pub(crate) fn facts(
    request: Uuid,
    first_position: i64,
    events: &[RequestEvent],
) -> Vec<RequestFact> {
    events
        .iter()
        .enumerate()
        .map(|(i, event)| RequestFact {
            request_id: request,
            version: i as i32 + 1,
            position: first_position + i as i64,
            tx_id: 1,
            event: event.clone(),
            actor_role: Some(fixture_role(event)),
            citizen: match event {
                RequestEvent::RequestSent(_) => Some(CITIZEN.to_string()),
                _ => None,
            },
        })
        .collect()
}

/// Who acts in the fixtures: a sede officer for the sede's events, else an
/// operator.
fn fixture_role(event: &RequestEvent) -> domain::actor::Role {
    use domain::actor::Role;
    match event {
        RequestEvent::TakenInCharge { .. }
        | RequestEvent::ReplyReceived { .. }
        | RequestEvent::ForwardedToSede { .. }
        | RequestEvent::AppointmentEnabled { .. }
        | RequestEvent::ConversationClosed { .. } => Role::SedeOfficer,
        RequestEvent::AppointmentCancelled { side, .. } if *side == Side::Sede => Role::SedeOfficer,
        _ => Role::Operator,
    }
}
