//! What slot events do to the two tables, given/when/then, without PostgreSQL.

use super::*;
use crate::fixtures::{day, sede, user, CITIZEN};
use chrono::Duration;
use domain::booking::{
    BookingCode, BookingDetails, BookingId, BookingMode, CounterCode, HoldId, Mobile,
    RequestedService,
};
use domain::codice_fiscale::CodiceFiscale;
use domain::ids::{OfficeId, PatronatoId, ProtocolNumber, RequestId};

const STREAM: &str = "slot-ROMA01-servizi_veloci-20260310T0800Z";

fn slot() -> SlotRef {
    SlotRef {
        sede: sede("ROMA01"),
        counter: CounterCode::parse("servizi_veloci").unwrap(),
        start: day(8),
        end: day(8) + Duration::minutes(15),
    }
}

fn held(hold: HoldId) -> SlotEvent {
    SlotEvent::SlotHeld {
        slot: slot(),
        hold_id: hold,
        codice_fiscale: CodiceFiscale::parse("RSSMRA85T10A562S").unwrap().into(),
        authenticated: false,
        at: day(1),
        expires_at: day(1) + Duration::minutes(5),
    }
}

fn booked_by_citizen(booking: BookingId, hold: HoldId) -> SlotEvent {
    SlotEvent::SlotBooked {
        slot: slot(),
        booking_id: booking,
        code: BookingCode::parse("K7M2Q9XA").unwrap(),
        hold_id: Some(hold),
        booker: Booker::Citizen {
            codice_fiscale: CodiceFiscale::parse("RSSMRA85T10A562S").unwrap().into(),
            authenticated: false,
            details: BookingDetails {
                mode: BookingMode::RicontattoTelefonico,
                reason: Some("ISEE".into()),
                mobile: Some(Mobile::parse("3331234567").unwrap()),
                email: None,
            },
        },
        service: Some(RequestedService {
            code: "isee".into(),
            name: "ISEE".into(),
        }),
        at: day(1),
    }
}

fn booked_for_request(booking: BookingId) -> SlotEvent {
    let destination = sede("ROMA01");
    SlotEvent::SlotBooked {
        slot: slot(),
        booking_id: booking,
        code: BookingCode::parse("K7M2Q9XA").unwrap(),
        hold_id: None,
        booker: Booker::Request {
            request_id: RequestId::new(),
            protocol: ProtocolNumber::new(&destination, 2026, 7),
            by: user("op1"),
            patronato: PatronatoId::parse("INCA").unwrap(),
            office: OfficeId::parse("ROMA1").unwrap(),
        },
        service: None,
        at: day(2),
    }
}

fn released(hold: HoldId) -> SlotEvent {
    SlotEvent::SlotHoldReleased {
        hold_id: hold,
        at: day(1),
    }
}

fn cancelled(booking: BookingId) -> SlotEvent {
    SlotEvent::SlotBookingCancelled {
        booking_id: booking,
        by: Canceller::Sede {
            by: user("officer1"),
        },
        reason: Some("Sede chiusa".into()),
        at: day(3),
    }
}

/// The slot stream's events from version 1, in one batch.
fn given(events: &[SlotEvent]) -> Bookings {
    let mut fold = Bookings::default();
    when(&mut fold, 1, events);
    fold
}

fn when(fold: &mut Bookings, first_version: i32, events: &[SlotEvent]) {
    for (i, e) in events.iter().enumerate() {
        let version = first_version + i as i32;
        let citizen = matches!(e, SlotEvent::SlotBooked { .. }).then_some(CITIZEN);
        fold.apply((STREAM, version, 100 + i64::from(version)), citizen, e);
    }
}

fn row(fold: &Bookings) -> &SlotRow {
    &fold.slots[STREAM]
}

#[test]
fn a_hold_takes_the_slot_until_it_expires() {
    let hold = HoldId::new();
    let fold = given(&[held(hold)]);
    let r = row(&fold);
    assert_eq!((r.state.as_str(), r.hold_id), ("held", Some(hold.0)));
    assert_eq!(r.hold_expires_at, Some(day(1) + Duration::minutes(5)));
    assert_eq!(
        (r.sede_code.as_str(), r.counter_type.as_str()),
        ("ROMA01", "servizi_veloci")
    );
    assert_eq!((r.slot_start, r.version), (day(8), 1));
    assert!(fold.changed.contains(STREAM));
    assert!(fold.bookings.is_empty());
}

#[test]
fn a_citizens_booking_confirms_the_hold_with_the_citizens_details() {
    let (hold, booking) = (HoldId::new(), BookingId::new());
    let fold = given(&[held(hold), booked_by_citizen(booking, hold)]);
    let r = row(&fold);
    assert_eq!(
        (r.state.as_str(), r.booking_id),
        ("booked", Some(booking.0))
    );
    assert_eq!((r.hold_id, r.hold_expires_at), (None, None));
    let b = &fold.bookings[0];
    assert_eq!((b.booker_kind, b.status), ("citizen", "confirmed"));
    assert_eq!(b.codice_fiscale.as_deref(), Some("RSSMRA85T10A562S"));
    assert_eq!(b.booked_by, b.codice_fiscale);
    assert_eq!(b.citizen_pseudonym.as_deref(), Some(CITIZEN));
    assert_eq!(
        (b.mode, b.mobile.as_deref()),
        (Some("ricontatto_telefonico"), Some("+393331234567"))
    );
    assert!(!b.authenticated);
    assert_eq!((b.confirmed_at, b.last_position), (day(1), 102));
}

#[test]
fn a_requests_appointment_names_its_request_and_who_booked() {
    let booking = BookingId::new();
    let fold = given(&[booked_for_request(booking)]);
    let b = &fold.bookings[0];
    assert_eq!(b.booker_kind, "request");
    assert!(b.request_id.is_some() && b.authenticated);
    assert_eq!(
        (
            b.booked_by.as_deref(),
            b.patronato.as_deref(),
            b.office.as_deref()
        ),
        (Some("op1"), Some("INCA"), Some("ROMA1"))
    );
    assert_eq!((b.codice_fiscale.as_deref(), b.mode), (None, None));
    assert_eq!(b.citizen_pseudonym, None);
}

#[test]
fn releasing_a_hold_frees_the_slot_but_another_holds_does_not() {
    let hold = HoldId::new();
    let mut fold = given(&[held(hold)]);
    when(&mut fold, 2, &[released(HoldId::new())]);
    assert_eq!(row(&fold).state, "held");
    assert_eq!(row(&fold).version, 2);
    when(&mut fold, 3, &[released(hold)]);
    let r = row(&fold);
    assert_eq!(
        (r.state.as_str(), r.hold_id, r.hold_expires_at),
        ("free", None, None)
    );
}

#[test]
fn a_cancellation_frees_the_slot_and_cancels_a_confirmed_booking_once() {
    let booking = BookingId::new();
    let mut fold = given(&[booked_for_request(booking)]);
    when(&mut fold, 2, &[cancelled(booking), cancelled(booking)]);
    let r = row(&fold);
    assert_eq!((r.state.as_str(), r.booking_id), ("free", None));
    assert_eq!(fold.cancellations.len(), 1);
    let c = &fold.cancellations[0];
    assert_eq!((c.booking_id, c.cancelled_side), (booking.0, "sede"));
    assert_eq!(c.cancelled_by.as_deref(), Some("officer1"));
    assert_eq!((c.cancelled_at, c.last_position), (day(3), 102));
}

#[test]
fn a_booking_cancelled_before_or_never_written_is_not_cancelled_again() {
    let (gone, unknown) = (BookingId::new(), BookingId::new());
    let mut fold = Bookings {
        confirmed: [(gone.0, false)].into_iter().collect(),
        ..Bookings::default()
    };
    when(&mut fold, 1, &[cancelled(gone), cancelled(unknown)]);
    assert!(fold.cancellations.is_empty());
    // No slot row to free: nothing is written for the slot either.
    assert!(fold.changed.is_empty());
}

#[test]
fn an_event_applied_twice_changes_nothing() {
    let (hold, booking) = (HoldId::new(), BookingId::new());
    let events = [
        held(hold),
        booked_by_citizen(booking, hold),
        cancelled(booking),
    ];
    let mut fold = given(&events);
    let slot = row(&fold).clone();
    fold.changed.clear();
    fold.cancellations.clear();
    when(&mut fold, 1, &events);
    assert_eq!(row(&fold), &slot);
    assert!(fold.changed.is_empty());
    assert!(fold.cancellations.is_empty());
}
