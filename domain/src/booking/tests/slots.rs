//! The slot aggregate: one holder at a time, 5-minute holds that expire by
//! themselves, confirmation by the holder only, cancellation frees the slot.

use super::*;

fn nine() -> SlotRef {
    slot(at(monday(), 9, 0))
}

fn held_by(who: &str, n: u128, t: Timestamp) -> Slot {
    Slot::default()
        .hold(&nine(), hold_id(n), &cf(who), false, t)
        .map(|e| Slot::default().apply(&e))
        .unwrap()
}

#[test]
fn a_held_slot_cannot_be_held_again_until_the_hold_expires() {
    let t = now0();
    let s = held_by(MARIO, 1, t);
    assert!(matches!(s.occupancy(t), Occupancy::Held(_)));
    for later in [Duration::zero(), Duration::seconds(299)] {
        assert_eq!(
            s.hold(&nine(), hold_id(2), &cf(ANNA), false, t + later),
            Err(BookingViolation::SlotUnavailable)
        );
    }
    // Exactly 5 minutes later the slot is free again, without any event.
    let later = t + hold_duration();
    assert!(s.is_free(later));
    let e = s
        .hold(&nine(), hold_id(2), &cf(ANNA), false, later)
        .unwrap();
    let s = s.apply(&e);
    assert_eq!(s.hold.as_ref().unwrap().codice_fiscale, cf(ANNA).into());
}

#[test]
fn the_holder_confirms_within_five_minutes() {
    let t = now0();
    let s = held_by(MARIO, 1, t);
    let e = s
        .confirm(
            hold_id(1),
            &cf(MARIO),
            false,
            details(),
            None,
            booking_id(1),
            code(1),
            t + Duration::seconds(299),
        )
        .unwrap();
    let s = s.apply(&e);
    assert!(matches!(
        s.occupancy(t + Duration::days(1)),
        Occupancy::Booked(_)
    ));
    // Booked for good: nobody holds it, even long after.
    assert_eq!(
        s.hold(
            &nine(),
            hold_id(3),
            &cf(ANNA),
            false,
            t + Duration::hours(1)
        ),
        Err(BookingViolation::SlotUnavailable)
    );
    // A second confirmation of the same hold.
    assert_eq!(
        s.confirm(
            hold_id(1),
            &cf(MARIO),
            false,
            details(),
            None,
            booking_id(2),
            code(2),
            t
        ),
        Err(BookingViolation::AlreadyConfirmed)
    );
}

#[test]
fn a_late_or_foreign_confirmation_is_refused() {
    let t = now0();
    let s = held_by(MARIO, 1, t);
    assert_eq!(
        s.confirm(
            hold_id(1),
            &cf(MARIO),
            false,
            details(),
            None,
            booking_id(1),
            code(1),
            t + hold_duration()
        ),
        Err(BookingViolation::HoldExpired)
    );
    assert_eq!(
        s.confirm(
            hold_id(1),
            &cf(ANNA),
            false,
            details(),
            None,
            booking_id(1),
            code(1),
            t
        ),
        Err(BookingViolation::HoldNotFound)
    );
    assert_eq!(
        s.confirm(
            hold_id(9),
            &cf(MARIO),
            false,
            details(),
            None,
            booking_id(1),
            code(1),
            t
        ),
        Err(BookingViolation::HoldNotFound)
    );
    // Expired, then taken by Anna: Mario's hold is gone for good.
    let later = t + Duration::minutes(6);
    let e = s
        .hold(&nine(), hold_id(2), &cf(ANNA), false, later)
        .unwrap();
    let s = s.apply(&e);
    assert_eq!(
        s.confirm(
            hold_id(1),
            &cf(MARIO),
            false,
            details(),
            None,
            booking_id(1),
            code(1),
            later
        ),
        Err(BookingViolation::HoldExpired)
    );
    assert_eq!(
        Slot::default().confirm(
            hold_id(1),
            &cf(MARIO),
            false,
            details(),
            None,
            booking_id(1),
            code(1),
            t
        ),
        Err(BookingViolation::HoldNotFound)
    );
}

#[test]
fn cancelling_frees_the_slot_until_it_starts() {
    let t = now0();
    let s = held_by(MARIO, 1, t);
    let e = s
        .confirm(
            hold_id(1),
            &cf(MARIO),
            false,
            details(),
            None,
            booking_id(1),
            code(1),
            t,
        )
        .unwrap();
    let s = s.apply(&e);
    assert_eq!(
        s.cancel(booking_id(1), Canceller::Citizen, None, at(monday(), 9, 0)),
        Err(BookingViolation::NotCancellable)
    );
    assert_eq!(
        s.cancel(booking_id(9), Canceller::Citizen, None, t),
        Err(BookingViolation::BookingNotFound)
    );
    let e = s
        .cancel(booking_id(1), Canceller::Citizen, None, t)
        .unwrap();
    let s = s.apply(&e);
    assert!(s.is_free(t));
    assert_eq!(
        s.cancel(booking_id(1), Canceller::Citizen, None, t),
        Err(BookingViolation::AlreadyCancelled)
    );
    // Free for the next one.
    assert!(s.hold(&nine(), hold_id(2), &cf(ANNA), false, t).is_ok());
}

#[test]
fn a_released_hold_frees_the_slot_at_once() {
    let t = now0();
    let s = held_by(MARIO, 1, t);
    assert_eq!(s.release(hold_id(2), t), None);
    let e = s.release(hold_id(1), t).unwrap();
    let s = s.apply(&e);
    assert!(s.is_free(t));
    assert_eq!(s.release(hold_id(1), t), None, "nothing left to release");
}

#[test]
fn direct_bookings_of_requests_need_a_free_future_slot() {
    let t = now0();
    let booker = Booker::Request {
        request_id: crate::ids::RequestId(Uuid::from_u128(1)),
        protocol: crate::ids::ProtocolNumber::new(&sede(), 2026, 1),
        by: UserId::parse("op-rossi").unwrap(),
        patronato: crate::ids::PatronatoId::parse("INCA").unwrap(),
        office: crate::ids::OfficeId::parse("INCA-RM1").unwrap(),
    };
    let free = Slot::default();
    assert!(free
        .book_directly(&nine(), booking_id(1), code(1), booker.clone(), t)
        .is_ok());
    assert_eq!(
        free.book_directly(
            &nine(),
            booking_id(1),
            code(1),
            booker.clone(),
            at(monday(), 9, 0)
        ),
        Err(BookingViolation::SlotInPast)
    );
    assert_eq!(
        held_by(MARIO, 1, t).book_directly(&nine(), booking_id(1), code(1), booker, t),
        Err(BookingViolation::SlotUnavailable)
    );
}

#[test]
fn a_hold_must_start_before_the_slot() {
    assert_eq!(
        Slot::default().hold(&nine(), hold_id(1), &cf(MARIO), false, at(monday(), 9, 0)),
        Err(BookingViolation::SlotInPast)
    );
}

#[test]
fn booking_details_are_parsed_once() {
    use BookingMode::*;
    let ok = BookingDetails::parse(
        RicontattoTelefonico,
        Some("  x  "),
        Some("+39 333-1234567"),
        Some("Mario.Rossi@Example.IT"),
        false,
    )
    .unwrap();
    assert_eq!(ok.reason.as_deref(), Some("x"));
    assert_eq!(ok.mobile.unwrap().as_str(), "+393331234567");
    assert_eq!(ok.email.unwrap().as_str(), "Mario.Rossi@example.it");
    let err = |mode, reason: Option<&str>, mobile: Option<&str>, email: Option<&str>, auth| {
        BookingDetails::parse(mode, reason, mobile, email, auth).unwrap_err()
    };
    assert_eq!(
        err(WebMeeting, None, None, Some("a@b.it"), false),
        BookingViolation::WebMeetingRequiresAuthentication
    );
    assert!(BookingDetails::parse(WebMeeting, None, None, Some("a@b.it"), true).is_ok());
    assert_eq!(
        err(WebMeeting, None, Some("3331234567"), None, true),
        BookingViolation::EmailRequiredForWebMeeting
    );
    assert_eq!(
        err(InPresenza, None, None, None, false),
        BookingViolation::ContactRequired
    );
    assert_eq!(
        err(InPresenza, None, Some(" "), Some(""), false),
        BookingViolation::ContactRequired
    );
    assert_eq!(
        err(RicontattoTelefonico, None, None, Some("a@b.it"), false),
        BookingViolation::MobileRequiredForCallback
    );
    let long = "é".repeat(151);
    assert_eq!(
        err(InPresenza, Some(&long), None, Some("a@b.it"), false),
        BookingViolation::ReasonTooLong { max: 150 }
    );
    assert!(BookingDetails::parse(
        InPresenza,
        Some(&"é".repeat(150)),
        None,
        Some("a@b.it"),
        false
    )
    .is_ok());
    for bad in [
        "06 1234567",
        "333123",
        "33312345678",
        "+44 3331234567",
        "333a234567",
    ] {
        assert_eq!(
            Mobile::parse(bad),
            Err(BookingViolation::MobileInvalid),
            "{bad}"
        );
    }
    for good in [
        "3331234567",
        "0039 333 1234567",
        "320.123.4567",
        "333123456",
    ] {
        assert!(Mobile::parse(good).is_ok(), "{good}");
    }
    for bad in [
        "a",
        "a@b",
        "@b.it",
        "a@.it",
        "a..b@c.it",
        ".a@b.it",
        "a@b.i",
        "a b@c.it",
        "a@b@c.it",
        "a@-b.it",
        "a@b.1t",
        "à@b.it",
    ] {
        assert_eq!(
            Email::parse(bad),
            Err(BookingViolation::EmailInvalid),
            "{bad}"
        );
    }
    for good in [
        "a@b.it",
        "nome.cognome+inps@posta.example.com",
        "x_y@sub-dominio.eu",
    ] {
        assert!(Email::parse(good).is_ok(), "{good}");
    }
}
