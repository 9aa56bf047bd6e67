//! Limits per codice fiscale (SPEC §4): one active booking per counter type,
//! three in total, across counters and sedi; live holds count too; a new
//! hold of the same counter type replaces the previous one.

use super::*;

fn other_sede_slot(code: &str, start: Timestamp) -> SlotRef {
    SlotRef {
        sede: SedeCode::parse("5200").unwrap(),
        ..slot_at(code, start)
    }
}

/// Places and confirms a hold on `slot` at `t`.
fn book(c: CitizenBookings, n: u128, slot: &SlotRef, t: Timestamp) -> CitizenBookings {
    let plan = c
        .place_hold(hold_id(n), slot, t + hold_duration(), t)
        .unwrap();
    let c = plan.events.iter().fold(c, CitizenBookings::apply);
    let e = c
        .confirm(hold_id(n), booking_id(n), code(n as u64), t)
        .unwrap();
    c.apply(&e)
}

#[test]
fn one_active_booking_per_counter_type_even_at_another_sede() {
    let t = now0();
    let c = book(CitizenBookings::default(), 1, &slot(at(monday(), 9, 0)), t);
    assert_eq!(
        c.place_hold(
            hold_id(2),
            &other_sede_slot("servizi_veloci", at(monday(), 10, 0)),
            t,
            t
        ),
        Err(BookingViolation::LimitPerCounterType {
            counter: "servizi_veloci".into()
        })
    );
    // Another counter type is fine.
    assert!(c
        .place_hold(
            hold_id(2),
            &other_sede_slot("reception", at(monday(), 10, 0)),
            t + hold_duration(),
            t
        )
        .is_ok());
    // Once the appointment is over, the counter type is free again.
    let after = at(monday(), 9, 15);
    assert!(c
        .place_hold(
            hold_id(3),
            &slot(at(monday(), 11, 0)),
            after + hold_duration(),
            after
        )
        .is_ok());
}

#[test]
fn three_in_total_across_counters_and_sedi() {
    let t = now0();
    let mut c = CitizenBookings::default();
    c = book(c, 1, &slot_at("servizi_veloci", at(monday(), 9, 0)), t);
    c = book(c, 2, &other_sede_slot("reception", at(monday(), 9, 0)), t);
    c = book(c, 3, &slot_at("invalidita_civile", at(monday(), 10, 0)), t);
    assert_eq!(c.active_bookings(t).count(), 3);
    assert_eq!(
        c.place_hold(
            hold_id(4),
            &other_sede_slot("rilascio_pin", at(monday(), 11, 0)),
            t,
            t
        ),
        Err(BookingViolation::LimitTotal { max: 3 })
    );
    // Cancelling one makes room.
    let e = c.cancel(booking_id(2), t).unwrap();
    let c = c.apply(&e);
    assert!(c
        .place_hold(
            hold_id(4),
            &other_sede_slot("rilascio_pin", at(monday(), 11, 0)),
            t + hold_duration(),
            t
        )
        .is_ok());
}

#[test]
fn live_holds_count_and_expired_ones_do_not() {
    let t = now0();
    let mut c = CitizenBookings::default();
    for (n, counter) in [(1, "servizi_veloci"), (2, "reception"), (3, "rilascio_pin")] {
        let plan = c
            .place_hold(
                hold_id(n),
                &slot_at(counter, at(monday(), 9, 0)),
                t + hold_duration(),
                t,
            )
            .unwrap();
        c = plan.events.iter().fold(c, CitizenBookings::apply);
    }
    assert_eq!(
        c.place_hold(
            hold_id(4),
            &slot_at("invalidita_civile", at(monday(), 9, 0)),
            t,
            t
        ),
        Err(BookingViolation::LimitTotal { max: 3 })
    );
    let later = t + hold_duration();
    assert!(c
        .place_hold(
            hold_id(4),
            &slot_at("invalidita_civile", at(monday(), 9, 0)),
            later + hold_duration(),
            later
        )
        .is_ok());
    // An expired hold cannot be confirmed.
    assert_eq!(
        c.confirm(hold_id(1), booking_id(1), code(1), later),
        Err(BookingViolation::HoldExpired)
    );
}

#[test]
fn a_new_hold_of_the_same_counter_type_replaces_the_previous_one() {
    let t = now0();
    let first = slot(at(monday(), 9, 0));
    let second = other_sede_slot("servizi_veloci", at(monday(), 10, 0));
    let plan = CitizenBookings::default()
        .place_hold(hold_id(1), &first, t + hold_duration(), t)
        .unwrap();
    assert_eq!(plan.replaces, None);
    let c = plan
        .events
        .iter()
        .fold(CitizenBookings::default(), CitizenBookings::apply);
    let plan = c
        .place_hold(hold_id(2), &second, t + hold_duration(), t)
        .unwrap();
    assert_eq!(plan.replaces, Some((hold_id(1), first.clone())));
    assert_eq!(plan.events.len(), 2);
    let c = plan.events.iter().fold(c, CitizenBookings::apply);
    assert_eq!(c.live_holds(t).count(), 1);
    assert_eq!(
        c.confirm(hold_id(1), booking_id(1), code(1), t),
        Err(BookingViolation::HoldExpired)
    );
    // Holding again the slot one holds is refused like any taken slot.
    assert_eq!(
        c.place_hold(hold_id(3), &second, t, t),
        Err(BookingViolation::SlotUnavailable)
    );
    assert!(c.confirm(hold_id(2), booking_id(2), code(2), t).is_ok());
}

#[test]
fn cancelling_is_refused_once_started_or_twice() {
    let t = now0();
    let c = book(CitizenBookings::default(), 1, &slot(at(monday(), 9, 0)), t);
    assert_eq!(
        c.cancel(booking_id(1), at(monday(), 9, 0)),
        Err(BookingViolation::NotCancellable)
    );
    let e = c.cancel(booking_id(1), t).unwrap();
    let c = c.apply(&e);
    assert_eq!(
        c.cancel(booking_id(1), t),
        Err(BookingViolation::AlreadyCancelled)
    );
    assert_eq!(
        c.cancel(booking_id(7), t),
        Err(BookingViolation::BookingNotFound)
    );
    assert_eq!(
        c.confirm(hold_id(1), booking_id(2), code(2), t),
        Err(BookingViolation::AlreadyConfirmed)
    );
}

#[test]
fn a_decision_with_an_older_clock_sees_the_stream_as_of_its_latest_event() {
    // Hold 1 expires; hold 2 of the same counter type is placed after it.
    let t = now0();
    let s = slot(at(monday(), 9, 0));
    let plan = CitizenBookings::default()
        .place_hold(hold_id(1), &s, t + hold_duration(), t)
        .unwrap();
    let c = plan
        .events
        .iter()
        .fold(CitizenBookings::default(), CitizenBookings::apply);
    let later = t + hold_duration() + chrono::Duration::seconds(10);
    let s2 = slot(at(monday(), 9, 12));
    let plan = c
        .place_hold(hold_id(2), &s2, later + hold_duration(), later)
        .unwrap();
    assert!(plan.replaces.is_none(), "hold 1 had expired");
    let c = plan.events.iter().fold(c, CitizenBookings::apply);
    // A command whose clock reads before hold 1 expired, decided only now.
    let stale = t + hold_duration() - chrono::Duration::seconds(5);
    let s3 = slot(at(monday(), 9, 24));
    let plan = c
        .place_hold(hold_id(3), &s3, stale + hold_duration(), stale)
        .unwrap();
    assert_eq!(plan.replaces.map(|(h, _)| h), Some(hold_id(2)));
    let c = plan.events.iter().fold(c, CitizenBookings::apply);
    let at_end = c.latest.unwrap();
    assert_eq!(
        c.live_holds(at_end).count(),
        1,
        "one live hold per counter type"
    );
}
