//! Slots of a day, closed days (Sunday, national holidays, Easter Monday,
//! the patron saint's day, the sede's closures), notices, the month view.

use super::*;
use std::collections::HashSet;

fn none() -> HashSet<Timestamp> {
    HashSet::new()
}

#[test]
fn a_morning_is_cut_into_slots_of_the_sedes_length() {
    let plan = schedule().day(monday(), &SedeCalendar::default());
    assert_eq!(plan.closed, None);
    assert_eq!(plan.slots.len(), 16, "08:30-12:30 in 15 minutes");
    assert_eq!(plan.slots[0].start, at(monday(), 8, 30));
    assert_eq!(plan.slots[15].end, at(monday(), 12, 30));
    // 12 minutes: 20 slots; 20 minutes: 12; 9 minutes: 26 (a last 6-minute piece is not offered).
    for (len, n) in [(12, 20), (20, 12), (9, 26), (8, 30)] {
        let plan = schedule_of("servizi_veloci", len).day(monday(), &SedeCalendar::default());
        assert_eq!(plan.slots.len(), n, "{len} minutes");
        assert!(plan
            .slots
            .iter()
            .all(|s| s.end - s.start == Duration::minutes(len as i64)));
    }
}

#[test]
fn a_second_interval_adds_its_slots() {
    let tuesday = monday().succ_opt().unwrap();
    let plan = schedule().day(tuesday, &SedeCalendar::default());
    assert_eq!(plan.slots.len(), 16 + 8);
    assert_eq!(plan.slots[16].start, at(tuesday, 14, 0));
}

#[test]
fn slot_instants_follow_daylight_saving_time() {
    // Winter: 08:30 in Rome is 07:30 UTC; summer: 06:30 UTC.
    let winter = schedule().slots_of(monday());
    assert_eq!(
        winter[0].start,
        Utc.with_ymd_and_hms(2026, 1, 12, 7, 30, 0).unwrap()
    );
    let summer = schedule().slots_of(ymd(2026, 7, 13));
    assert_eq!(
        summer[0].start,
        Utc.with_ymd_and_hms(2026, 7, 13, 6, 30, 0).unwrap()
    );
    // The Monday after the spring change (29 March 2026) has all its slots.
    assert_eq!(schedule().slots_of(ymd(2026, 3, 30)).len(), 16);
}

#[test]
fn closed_days_offer_no_slot_and_say_why() {
    let cal = SedeCalendar::default();
    let s = schedule();
    let cases = [
        (ymd(2026, 1, 11), "not_open"),          // Sunday
        (ymd(2026, 1, 10), "not_open"),          // Saturday
        (ymd(2026, 12, 25), "national_holiday"), // Natale (Friday)
        (ymd(2026, 4, 6), "national_holiday"),   // Lunedì dell'Angelo
        (ymd(2026, 6, 2), "national_holiday"),   // Festa della Repubblica (Tuesday)
        (ymd(2026, 6, 29), "patron_day"),        // Santi Pietro e Paolo (Monday)
    ];
    for (date, kind) in cases {
        let plan = s.day(date, &cal);
        assert!(plan.slots.is_empty(), "{date}");
        let reason = serde_json::to_value(plan.closed.as_ref().unwrap()).unwrap();
        assert_eq!(reason["kind"], kind, "{date}");
        assert!(!plan.closed.unwrap().describe().is_empty());
    }
    // The day after is open.
    assert!(s.day(ymd(2026, 6, 30), &cal).closed.is_none());
    // Another city's patron day is a working day here.
    let mut milano = s.clone();
    milano.patron_day = Some(PatronDay {
        month: 12,
        day: 7,
        saint: "Sant'Ambrogio".into(),
    });
    assert!(milano.day(ymd(2026, 6, 29), &cal).closed.is_none());
    assert!(milano.day(ymd(2026, 12, 7), &cal).closed.is_some());
}

#[test]
fn a_closure_of_the_sede_or_of_one_counter() {
    let cal = SedeCalendar::default();
    let whole = cal
        .declare_closure(
            ClosureId::new(),
            monday(),
            None,
            "Assemblea del personale",
            officer(),
            now0(),
        )
        .unwrap();
    let cal = cal.apply(&whole);
    let plan = schedule().day(monday(), &cal);
    assert_eq!(
        plan.closed,
        Some(ClosedReason::SedeClosure {
            reason: "Assemblea del personale".into()
        })
    );
    let tuesday = monday().succ_opt().unwrap();
    let one = cal
        .declare_closure(
            ClosureId::new(),
            tuesday,
            Some(counter("reception")),
            "Lavori",
            officer(),
            now0(),
        )
        .unwrap();
    let cal = cal.apply(&one);
    assert!(schedule().day(tuesday, &cal).closed.is_none());
    assert!(schedule_of("reception", 15)
        .day(tuesday, &cal)
        .closed
        .is_some());
    assert_eq!(
        cal.declare_closure(
            ClosureId::new(),
            monday(),
            None,
            "Ancora",
            officer(),
            now0()
        ),
        Err(BookingViolation::ClosureAlreadyDeclared)
    );
    assert_eq!(
        cal.declare_closure(
            ClosureId::new(),
            ymd(2026, 1, 4),
            None,
            "Ieri",
            officer(),
            now0()
        ),
        Err(BookingViolation::DateInPast)
    );
    assert_eq!(
        cal.declare_closure(ClosureId::new(), tuesday, None, "  ", officer(), now0()),
        Err(BookingViolation::ClosureReasonRequired)
    );
    // Withdrawn: open again.
    let SedeCalendarEvent::ClosureDeclared { closure_id, .. } = whole else {
        unreachable!()
    };
    let e = cal.withdraw_closure(closure_id, officer(), now0()).unwrap();
    let cal = cal.apply(&e);
    assert!(schedule().day(monday(), &cal).closed.is_none());
    assert_eq!(
        cal.withdraw_closure(closure_id, officer(), now0()),
        Err(BookingViolation::ClosureNotFound)
    );
}

#[test]
fn notices_are_dated_and_shown_on_their_days() {
    let cal = SedeCalendar::default();
    let e = cal
        .publish_notice(
            NoticeId::new(),
            monday(),
            monday() + Duration::days(1),
            Some(counter("servizi_veloci")),
            "A causa di assemblea, i contatti telefonici potrebbero non essere effettuati nell'ora prenotata",
            officer(),
            now0(),
        )
        .unwrap();
    let cal = cal.apply(&e);
    let days = schedule().month(2026, 1, &cal, &none(), now0());
    let with_notice: Vec<u32> = days
        .iter()
        .filter(|d| !d.notices.is_empty())
        .map(|d| chrono::Datelike::day(&d.date))
        .collect();
    assert_eq!(with_notice, [12, 13]);
    let other = schedule_of("reception", 15).month(2026, 1, &cal, &none(), now0());
    assert!(other.iter().all(|d| d.notices.is_empty()));
    assert_eq!(
        cal.publish_notice(
            NoticeId::new(),
            monday(),
            monday() - Duration::days(1),
            None,
            "x",
            officer(),
            now0()
        ),
        Err(BookingViolation::PeriodInvalid)
    );
    assert_eq!(
        cal.publish_notice(
            NoticeId::new(),
            monday(),
            monday(),
            None,
            " ",
            officer(),
            now0()
        ),
        Err(BookingViolation::NoticeTextRequired)
    );
}

#[test]
fn the_month_view_tells_available_full_closed_past_and_not_yet_bookable() {
    let now = at(ymd(2026, 1, 7), 10, 0); // Wednesday 7 January, 10:00
    let s = schedule();
    let cal = SedeCalendar::default();
    // Every slot of Friday 9 January taken.
    let friday = ymd(2026, 1, 9);
    let taken: HashSet<Timestamp> = s.slots_of(friday).iter().map(|x| x.start).collect();
    let days = s.month(2026, 1, &cal, &taken, now);
    assert_eq!(days.len(), 31);
    let day = |d: u32| &days[d as usize - 1];
    assert_eq!(day(1).availability, DayAvailability::Past);
    assert_eq!(day(6).availability, DayAvailability::Past);
    // Today: only the slots after 10:00 (10:00 itself has started): 10:15 … 12:15.
    assert_eq!(day(7).availability, DayAvailability::Available);
    assert_eq!(day(7).free_slots, 9);
    assert_eq!(day(8).free_slots, 16);
    assert_eq!(day(9).availability, DayAvailability::Full);
    assert_eq!(day(10).availability, DayAvailability::Closed);
    assert_eq!(day(11).availability, DayAvailability::Closed);
    assert_eq!(day(13).free_slots, 24);
    // Two months ahead: beyond the 60-day horizon.
    let march = s.month(2026, 3, &cal, &none(), now);
    assert_eq!(march[5].availability, DayAvailability::Available); // 6 March: day 58
    assert_eq!(march[9].availability, DayAvailability::NotYetBookable); // 10 March
    assert!(s.month(2026, 13, &cal, &none(), now).is_empty());
}

#[test]
fn a_bookable_slot_is_offered_open_future_and_within_the_horizon() {
    let s = schedule();
    let cal = SedeCalendar::default();
    let now = now0();
    assert_eq!(
        s.bookable_slot(at(monday(), 9, 0), &cal, now),
        Ok(slot(at(monday(), 9, 0)))
    );
    assert_eq!(
        s.bookable_slot(at(monday(), 9, 5), &cal, now),
        Err(BookingViolation::SlotNotOffered)
    );
    assert_eq!(
        s.bookable_slot(at(monday(), 12, 30), &cal, now),
        Err(BookingViolation::SlotNotOffered)
    );
    assert!(matches!(
        s.bookable_slot(at(ymd(2026, 6, 29), 9, 0), &cal, at(ymd(2026, 6, 1), 9, 0)),
        Err(BookingViolation::DayClosed { .. })
    ));
    assert_eq!(
        s.bookable_slot(at(ymd(2026, 1, 5), 9, 0), &cal, now),
        Err(BookingViolation::SlotInPast)
    );
    assert_eq!(
        s.bookable_slot(at(ymd(2026, 3, 10), 9, 0), &cal, now),
        Err(BookingViolation::BeyondHorizon { days: 60 })
    );
    let mut inactive = s.clone();
    inactive.active = false;
    assert_eq!(
        inactive.bookable_slot(at(monday(), 9, 0), &cal, now),
        Err(BookingViolation::CounterInactive)
    );
}
