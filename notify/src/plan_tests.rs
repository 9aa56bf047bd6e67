use super::*;
use chrono::{TimeZone, Utc};

fn rome(y: i32, m: u32, d: u32, h: u32, min: u32) -> Timestamp {
    Rome.with_ymd_and_hms(y, m, d, h, min, 0)
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn the_reminder_is_at_six_pm_rome_of_the_day_before() {
    assert_eq!(
        reminder_due(rome(2026, 12, 15, 9, 30)),
        rome(2026, 12, 14, 18, 0)
    );
    // Early morning in Rome is still the previous day in UTC: Rome's day counts.
    assert_eq!(
        reminder_due(rome(2026, 12, 15, 0, 30)),
        rome(2026, 12, 14, 18, 0)
    );
    // Across the change to summer time (29 March 2026).
    assert_eq!(
        reminder_due(rome(2026, 3, 30, 8, 0)),
        rome(2026, 3, 29, 18, 0)
    );
    assert_eq!(
        rome(2026, 3, 29, 18, 0),
        Utc.with_ymd_and_hms(2026, 3, 29, 16, 0, 0).unwrap()
    );
}

#[test]
fn ids_are_the_cause_the_kind_and_the_recipient() {
    assert_eq!(
        notification_id(42, Kind::BookingConfirmed, "citizen"),
        "42:booking_confirmed:citizen"
    );
    assert_eq!(
        recipient_key(&Recipient::RequestAuthor, Some("op.rossi")).as_deref(),
        Some("user:op.rossi")
    );
    assert_eq!(recipient_key(&Recipient::RequestAuthor, None), None);
}

#[test]
fn kinds_round_trip() {
    for k in Kind::ALL {
        assert_eq!(Kind::parse(k.as_str()), Some(k));
    }
    assert_eq!(Kind::parse("altro"), None);
}
