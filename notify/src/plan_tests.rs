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

fn booked(at: &str, start: &str) -> SlotEvent {
    let code = domain::booking::BookingCode::from_bits(42);
    serde_json::from_value(json!({
        "type": "SlotBooked",
        "slot": {"sede": "3231", "counter": "servizi_veloci", "start": start, "end": start},
        "booking_id": "0194d2a0-0000-7000-8000-000000000001",
        "code": code.as_str(),
        "hold_id": null,
        "booker": {"kind": "citizen", "codice_fiscale": "RSSMRA60E12H501E", "authenticated": false,
                   "details": {"mode": "in_presenza", "reason": null, "mobile": null, "email": "a@b.it"}},
        "at": at,
    }))
    .unwrap()
}

#[test]
fn a_citizens_booking_plans_its_confirmation_now_and_its_reminder_the_day_before() {
    let planned = plan_slot(&booked("2026-12-01T08:00:00Z", "2026-12-02T07:30:00Z"));
    let kinds: Vec<_> = planned.iter().map(|p| (p.kind, p.due_at)).collect();
    assert_eq!(
        kinds,
        [
            (Kind::BookingConfirmed, rome(2026, 12, 1, 9, 0)),
            (Kind::BookingReminder, rome(2026, 12, 1, 18, 0)),
        ]
    );
    assert!(planned.iter().all(|p| p.recipient == Recipient::Citizen));
    // Nothing in the plan is an address.
    assert!(planned.iter().all(|p| !p.details.to_string().contains('@')));
}

#[test]
fn a_booking_made_after_the_reminders_time_gets_no_reminder() {
    let planned = plan_slot(&booked("2026-12-01T17:30:00Z", "2026-12-02T07:30:00Z"));
    assert_eq!(planned.len(), 1);
    assert_eq!(planned[0].kind, Kind::BookingConfirmed);
}

#[test]
fn a_patronatos_cancellation_is_told_by_the_request_not_the_slot() {
    let cancelled = |by: serde_json::Value| -> SlotEvent {
        serde_json::from_value(json!({
            "type": "SlotBookingCancelled",
            "booking_id": "0194d2a0-0000-7000-8000-000000000001",
            "by": by, "reason": "Sede chiusa", "at": "2026-12-01T08:00:00Z",
        }))
        .unwrap()
    };
    assert!(plan_slot(&cancelled(json!({"side": "patronato", "by": "op.rossi"}))).is_empty());
    let by_sede = plan_slot(&cancelled(json!({"side": "sede", "by": "uff.bianchi"})));
    assert_eq!(by_sede.len(), 1);
    assert_eq!(by_sede[0].kind, Kind::BookingCancelled);
    assert_eq!(by_sede[0].details["reason"], "Sede chiusa");
    assert_eq!(by_sede[0].details["side"], "sede");
}
