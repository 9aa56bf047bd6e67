//! What each event means for the people to tell: pure, no I/O, tested
//! without PostgreSQL. `projection.rs` decodes the log and writes what this
//! plans; the sender (`sender.rs`) renders and delivers it later.

use chrono::{Duration, NaiveTime, TimeZone};
use chrono_tz::Europe::Rome;
use domain::actor::Side;
use domain::booking::{Booker, Canceller, SlotEvent, SlotRef};
use domain::request::RequestEvent;
use domain::time::Timestamp;
use serde_json::json;
use uuid::Uuid;

/// What a notification says. `as_str` is the stored `kind` and the name a
/// user mutes in the preferences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    BookingConfirmed,
    BookingCancelled,
    BookingReminder,
    AppointmentBooked,
    AppointmentCancelled,
    ReplyReceived,
    RequestForwarded,
    ConversationClosed,
    OverdueDigest,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::BookingConfirmed,
        Kind::BookingCancelled,
        Kind::BookingReminder,
        Kind::AppointmentBooked,
        Kind::AppointmentCancelled,
        Kind::ReplyReceived,
        Kind::RequestForwarded,
        Kind::ConversationClosed,
        Kind::OverdueDigest,
    ];

    /// The kinds an operator or an officer receives (and may mute).
    pub const FOR_USERS: [Kind; 6] = [
        Kind::AppointmentBooked,
        Kind::AppointmentCancelled,
        Kind::ReplyReceived,
        Kind::RequestForwarded,
        Kind::ConversationClosed,
        Kind::OverdueDigest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::BookingConfirmed => "booking_confirmed",
            Kind::BookingCancelled => "booking_cancelled",
            Kind::BookingReminder => "booking_reminder",
            Kind::AppointmentBooked => "appointment_booked",
            Kind::AppointmentCancelled => "appointment_cancelled",
            Kind::ReplyReceived => "reply_received",
            Kind::RequestForwarded => "request_forwarded",
            Kind::ConversationClosed => "conversation_closed",
            Kind::OverdueDigest => "overdue_digest",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The Italian name shown in the preferences and the list.
    pub fn label(self) -> &'static str {
        match self {
            Kind::BookingConfirmed => "Conferma di prenotazione",
            Kind::BookingCancelled => "Annullamento di prenotazione",
            Kind::BookingReminder => "Promemoria dell'appuntamento",
            Kind::AppointmentBooked => "Appuntamento prenotato su una richiesta",
            Kind::AppointmentCancelled => "Appuntamento annullato su una richiesta",
            Kind::ReplyReceived => "Risposta ricevuta",
            Kind::RequestForwarded => "Richiesta inoltrata ad altra sede",
            Kind::ConversationClosed => "Conversazione chiusa",
            Kind::OverdueDigest => "Riepilogo giornaliero delle richieste scadute",
        }
    }
}

/// To whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// The citizen who booked: the booking's recapiti, read when sending.
    Citizen,
    /// The operator who sent the request (the notifier remembers who that is).
    RequestAuthor,
    /// A user of the directory.
    User(String),
}

/// One notification to write to the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub kind: Kind,
    pub recipient: Recipient,
    pub booking_id: Option<Uuid>,
    pub request_id: Option<Uuid>,
    pub sede: Option<String>,
    /// What the message needs beyond the read models; never an address.
    pub details: serde_json::Value,
    /// When it may go, on the service clock.
    pub due_at: Timestamp,
}

/// The outbox id of a notification caused by the event at `position`: the
/// same cause, kind and recipient always give the same id, so writing it
/// twice (replay, crash, two workers) keeps one row.
pub fn notification_id(position: i64, kind: Kind, recipient: &str) -> String {
    format!("{position}:{}:{recipient}", kind.as_str())
}

/// The stored name of a recipient inside an id: `citizen` or `user:<id>`.
pub fn recipient_key(recipient: &Recipient, author: Option<&str>) -> Option<String> {
    match recipient {
        Recipient::Citizen => Some("citizen".to_string()),
        Recipient::RequestAuthor => author.map(|a| format!("user:{a}")),
        Recipient::User(u) => Some(format!("user:{u}")),
    }
}

/// The reminder of an appointment: at 18:00 Europe/Rome of the day before
/// its (Rome) day. A booking made after that instant gets no reminder: its
/// confirmation came moments before.
pub fn reminder_due(slot_start: Timestamp) -> Timestamp {
    let day_before = slot_start.with_timezone(&Rome).date_naive() - Duration::days(1);
    let at = day_before.and_time(NaiveTime::from_hms_opt(18, 0, 0).expect("valid time"));
    Rome.from_local_datetime(&at)
        .earliest()
        // 18:00 always exists in Rome (changes happen at night); belt and braces.
        .unwrap_or_else(|| Rome.from_utc_datetime(&at))
        .with_timezone(&chrono::Utc)
}

fn slot_details(slot: &SlotRef) -> serde_json::Value {
    json!({ "slot_start": slot.start, "slot_end": slot.end })
}

/// What a slot event means. `SlotBooked` for a citizen: the confirmation
/// (now) and the reminder (the day before); for a request, nothing here (its
/// `AppointmentBooked` tells the operator). A cancellation tells the
/// citizen, whoever cancelled; one by a patronato concerns a request's
/// appointment and is told by `AppointmentCancelled`.
pub fn plan_slot(event: &SlotEvent) -> Vec<Planned> {
    match event {
        SlotEvent::SlotBooked {
            slot,
            booking_id,
            booker: Booker::Citizen { .. },
            at,
            ..
        } => {
            let base = Planned {
                kind: Kind::BookingConfirmed,
                recipient: Recipient::Citizen,
                booking_id: Some(booking_id.0),
                request_id: None,
                sede: Some(slot.sede.to_string()),
                details: slot_details(slot),
                due_at: *at,
            };
            let reminder_at = reminder_due(slot.start);
            let mut out = vec![base.clone()];
            if *at < reminder_at {
                out.push(Planned {
                    kind: Kind::BookingReminder,
                    due_at: reminder_at,
                    ..base
                });
            }
            out
        }
        SlotEvent::SlotBookingCancelled {
            booking_id,
            by,
            reason,
            at,
        } if !matches!(by, Canceller::Patronato { .. }) => {
            let side = match by {
                Canceller::Citizen => "citizen",
                _ => "sede",
            };
            vec![Planned {
                kind: Kind::BookingCancelled,
                recipient: Recipient::Citizen,
                booking_id: Some(booking_id.0),
                request_id: None,
                sede: None,
                details: json!({ "side": side, "reason": reason }),
                due_at: *at,
            }]
        }
        _ => vec![],
    }
}

/// What the notifier must remember of a request event (its author), if anything.
pub fn author_of(event: &RequestEvent) -> Option<(&str, &str)> {
    match event {
        RequestEvent::RequestSent(sent) => Some((sent.by.as_str(), sent.protocol.as_str())),
        _ => None,
    }
}

/// What a request event means for the operator who sent the request. Their
/// own acts tell them nothing; everything the sede does does.
pub fn plan_request(request_id: Uuid, event: &RequestEvent, author: Option<&str>) -> Vec<Planned> {
    let planned = |kind, sede: &str, details, at: &Timestamp, booking: Option<Uuid>| Planned {
        kind,
        recipient: Recipient::RequestAuthor,
        booking_id: booking,
        request_id: Some(request_id),
        sede: Some(sede.to_string()),
        details,
        due_at: *at,
    };
    let not_author = |by: &str| author != Some(by);
    match event {
        RequestEvent::ReplyReceived { sede, at, .. } => {
            vec![planned(
                Kind::ReplyReceived,
                sede.as_str(),
                json!({}),
                at,
                None,
            )]
        }
        RequestEvent::ForwardedToSede {
            from,
            to,
            reason,
            at,
            ..
        } => vec![planned(
            Kind::RequestForwarded,
            to.as_str(),
            json!({ "from": from.as_str(), "to": to.as_str(), "reason": reason }),
            at,
            None,
        )],
        RequestEvent::ConversationClosed { sede, note, at, .. } => vec![planned(
            Kind::ConversationClosed,
            sede.as_str(),
            json!({ "note": note }),
            at,
            None,
        )],
        RequestEvent::AppointmentBooked {
            booking_id,
            slot,
            at,
            ..
        } => vec![planned(
            Kind::AppointmentBooked,
            slot.sede.as_str(),
            slot_details(slot),
            at,
            Some(booking_id.0),
        )],
        RequestEvent::AppointmentCancelled {
            booking_id,
            by,
            side,
            reason,
            at,
        } if not_author(by.as_str()) => {
            let side = match side {
                Side::Patronato => "patronato",
                Side::Sede => "sede",
            };
            vec![Planned {
                kind: Kind::AppointmentCancelled,
                recipient: Recipient::RequestAuthor,
                booking_id: Some(booking_id.0),
                request_id: Some(request_id),
                sede: None,
                details: json!({ "side": side, "reason": reason }),
                due_at: *at,
            }]
        }
        _ => vec![],
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
