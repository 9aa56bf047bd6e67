//! Tests of the booking rules. Fixtures: sede 5100 (Roma, patron day 29/06),
//! counter `servizi_veloci` open Monday–Friday 08:30–12:30 and Tuesday
//! 14:00–16:00, 15-minute slots. `monday()` is Monday 12 January 2026.

use super::*;
use crate::codice_fiscale::CodiceFiscale;
use crate::ids::{SedeCode, UserId};
use crate::time::Timestamp;
use chrono::{Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use uuid::Uuid;

mod calendar;
mod limits;
mod properties;
mod queue;
mod slots;

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn monday() -> NaiveDate {
    ymd(2026, 1, 12)
}

/// The Rome local instant of `date` at `h:m`.
fn at(date: NaiveDate, h: u32, m: u32) -> Timestamp {
    rome_instant(date, hm(h, m))
}

/// A week before Monday 12 January 2026, 10:00 in Rome.
fn now0() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()
}

fn sede() -> SedeCode {
    SedeCode::parse("5100").unwrap()
}

fn counter(code: &str) -> CounterCode {
    CounterCode::parse(code).unwrap()
}

fn schedule_of(code: &str, slot_minutes: u32) -> CounterSchedule {
    let mut hours: Vec<WeeklyHours> = (1..=5)
        .map(|weekday| WeeklyHours {
            weekday,
            opens: hm(8, 30),
            closes: hm(12, 30),
        })
        .collect();
    hours.push(WeeklyHours {
        weekday: 2,
        opens: hm(14, 0),
        closes: hm(16, 0),
    });
    CounterSchedule {
        sede: sede(),
        counter: counter(code),
        counter_name: "Servizi veloci".into(),
        active: true,
        slot_minutes,
        hours,
        patron_day: Some(PatronDay {
            month: 6,
            day: 29,
            saint: "Santi Pietro e Paolo".into(),
        }),
    }
}

fn schedule() -> CounterSchedule {
    schedule_of("servizi_veloci", 15)
}

fn slot_at(code: &str, start: Timestamp) -> SlotRef {
    SlotRef {
        sede: sede(),
        counter: counter(code),
        start,
        end: start + Duration::minutes(15),
    }
}

fn slot(start: Timestamp) -> SlotRef {
    slot_at("servizi_veloci", start)
}

const MARIO: &str = "RSSMRA60E12H501E";
const ANNA: &str = "BNCNNA52S63H501H";
const FRANCESCA: &str = "CLMFNC81L70F205M";

fn cf(code: &str) -> CodiceFiscale {
    CodiceFiscale::parse(code).unwrap()
}

fn hold_id(n: u128) -> HoldId {
    HoldId(Uuid::from_u128(0xA000 + n))
}

fn booking_id(n: u128) -> BookingId {
    BookingId(Uuid::from_u128(0xB000 + n))
}

fn code(n: u64) -> BookingCode {
    BookingCode::from_bits(n)
}

fn details() -> BookingDetails {
    BookingDetails::parse(
        BookingMode::InPresenza,
        Some("Estratto conto contributivo"),
        Some("333 123 4567"),
        None,
        false,
    )
    .unwrap()
}

fn officer() -> UserId {
    UserId::parse("inps-5100").unwrap()
}

#[test]
fn booking_code_shape_and_alphabet() {
    let c = BookingCode::from_bits(0);
    assert_eq!(c.as_str(), "00000000");
    let c = BookingCode::from_bits((1 << 40) - 1);
    assert_eq!(c.as_str(), "ZZZZZZZZ");
    assert_eq!(
        BookingCode::parse("k7m2-q9xa").unwrap().as_str(),
        "K7M2Q9XA"
    );
    assert!(
        BookingCode::parse("K7M2Q9XI").is_err(),
        "no I in the alphabet"
    );
    assert!(BookingCode::parse("K7M2Q9X").is_err());
    assert!(CounterCode::parse("servizi_veloci").is_ok());
    assert!(CounterCode::parse("Servizi").is_err());
}

#[test]
fn the_patronati_counter_is_the_reference_datas() {
    assert_eq!(PATRONATI_COUNTER, "servizi_patronati");
}

#[test]
fn every_event_type_is_listed_and_round_trips() {
    let t = now0();
    let s = slot(at(monday(), 9, 0));
    let slot_events = [
        SlotEvent::SlotHeld {
            slot: s.clone(),
            hold_id: hold_id(1),
            codice_fiscale: cf(MARIO).into(),
            authenticated: false,
            at: t,
            expires_at: t + hold_duration(),
        },
        SlotEvent::SlotBooked {
            slot: s.clone(),
            booking_id: booking_id(1),
            code: code(7),
            hold_id: Some(hold_id(1)),
            booker: Booker::Citizen {
                codice_fiscale: cf(MARIO).into(),
                authenticated: false,
                details: details(),
            },
            service: None,
            at: t,
        },
        SlotEvent::SlotHoldReleased {
            hold_id: hold_id(1),
            at: t,
        },
        SlotEvent::SlotBookingCancelled {
            booking_id: booking_id(1),
            by: Canceller::Sede { by: officer() },
            reason: None,
            at: t,
        },
    ];
    let names: Vec<&str> = slot_events.iter().map(SlotEvent::event_type).collect();
    assert_eq!(names, SlotEvent::TYPES);
    for e in &slot_events {
        let json = serde_json::to_value(e).unwrap();
        assert_eq!(json["type"], e.event_type());
        assert_eq!(&serde_json::from_value::<SlotEvent>(json).unwrap(), e);
    }
    let citizen_events = [
        CitizenEvent::CitizenHoldPlaced {
            hold_id: hold_id(1),
            slot: s.clone(),
            at: t,
            expires_at: t,
        },
        CitizenEvent::CitizenHoldReleased {
            hold_id: hold_id(1),
            at: t,
        },
        CitizenEvent::CitizenBookingConfirmed {
            booking_id: booking_id(1),
            hold_id: hold_id(1),
            code: code(1),
            slot: s,
            at: t,
        },
        CitizenEvent::CitizenBookingCancelled {
            booking_id: booking_id(1),
            at: t,
        },
    ];
    let names: Vec<&str> = citizen_events
        .iter()
        .map(CitizenEvent::event_type)
        .collect();
    assert_eq!(names, CitizenEvent::TYPES);
    for e in &citizen_events {
        let json = serde_json::to_value(e).unwrap();
        assert_eq!(&serde_json::from_value::<CitizenEvent>(json).unwrap(), e);
    }
    let cal = SedeCalendar::default();
    let cal_events = [
        cal.declare_closure(ClosureId::new(), monday(), None, "Assemblea", officer(), t)
            .unwrap(),
        SedeCalendarEvent::ClosureWithdrawn {
            closure_id: ClosureId::new(),
            by: officer(),
            at: t,
        },
        cal.publish_notice(
            NoticeId::new(),
            monday(),
            monday(),
            None,
            "Avviso",
            officer(),
            t,
        )
        .unwrap(),
        SedeCalendarEvent::NoticeWithdrawn {
            notice_id: NoticeId::new(),
            by: officer(),
            at: t,
        },
    ];
    let names: Vec<&str> = cal_events
        .iter()
        .map(SedeCalendarEvent::event_type)
        .collect();
    assert_eq!(names, SedeCalendarEvent::TYPES);
    let q = Queue::default();
    let issued = q.issue(None, t);
    let q = q.apply(&issued);
    let called = q.call_next(Some("3"), officer(), t).unwrap();
    let q = q.apply(&called);
    let queue_events = [
        issued,
        called,
        q.serve(1, officer(), t).unwrap(),
        q.skip(1, officer(), t).unwrap(),
    ];
    let names: Vec<&str> = queue_events.iter().map(QueueEvent::event_type).collect();
    assert_eq!(names, QueueEvent::TYPES);
    // No event type name is shared between aggregates (the log is one table).
    let mut all: Vec<&str> = SlotEvent::TYPES
        .iter()
        .chain(CitizenEvent::TYPES)
        .chain(SedeCalendarEvent::TYPES)
        .chain(QueueEvent::TYPES)
        .chain(crate::request::RequestEvent::TYPES)
        .copied()
        .collect();
    let n = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), n);
}

#[test]
fn stream_ids() {
    let s = slot(at(monday(), 9, 0));
    assert_eq!(s.stream_id(), "slot-5100-servizi_veloci-20260112T0800Z");
    assert_eq!(citizen_stream_id("c0123"), "citizen-bookings-c0123");
    assert_eq!(sede_calendar_stream_id(&sede()), "sede-calendar-5100");
    assert_eq!(
        queue_stream_id(&sede(), &counter("reception"), monday()),
        "queue-5100-reception-20260112"
    );
}
