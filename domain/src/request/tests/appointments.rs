//! Appointments on a request (SPEC §2.4): refused before one of the three
//! grounds holds, accepted once it does; one pending appointment at a time;
//! the status shows it and comes back when it is cancelled.

use super::*;
use crate::booking::CounterCode;

fn cancel_cmd() -> RequestCommand {
    RequestCommand::CancelAppointment { reason: None }
}

// --- ground (a): more than 15 days without a reply ------------------------------

#[test]
fn at_exactly_15_days_without_reply_booking_is_refused_with_the_opening_instant() {
    // "Da più di 15 giorni" (manual §3.3): the first whole minute after.
    for now in [day(15) - minutes(1), day(15)] {
        given([sent(day(0))])
            .when(operator(), book_cmd(day(20)), now)
            .then_err(RuleViolation::AppointmentNotEligible {
                available_from: Some(day(15) + minutes(1)),
            });
    }
}

#[test]
fn more_than_15_days_without_reply_booking_is_accepted_on_that_ground() {
    let opens = day(15) + minutes(1);
    let state = given([sent(day(0))])
        .when(operator(), book_cmd(day(20)), opens)
        .then_events(vec![booked(opens, day(20))]);
    assert_eq!(state.status, Some(Status::AppuntamentoPrenotato));
    assert_eq!(
        state.appointment.as_ref().map(|a| a.ground),
        Some(AppointmentGround::NoReplyWithinStandard)
    );
}

#[test]
fn a_reply_before_day_15_removes_the_time_ground() {
    given([sent(day(0)), replied(day(3))])
        .when(operator(), book_cmd(day(30)), day(20))
        .then_err(RuleViolation::AppointmentNotEligible {
            available_from: None,
        });
}

// --- ground (b): enabled by the sede ------------------------------------------------

#[test]
fn enabled_by_the_sede_booking_is_accepted_at_once() {
    let events = [sent(day(0)), replied(day(1))];
    given(events.clone())
        .when(operator(), book_cmd(day(5)), day(2))
        .then_err(RuleViolation::AppointmentNotEligible {
            available_from: None,
        });
    given(events.into_iter().chain([enabled(day(2))]))
        .when(operator(), book_cmd(day(5)), day(2))
        .then_events(vec![booked_on(
            AppointmentGround::EnabledBySede,
            day(2),
            day(5),
        )]);
}

// --- ground (c): the conversation cannot continue ------------------------------------

#[test]
fn a_closed_conversation_allows_booking_and_shows_it() {
    let events = [sent(day(0)), replied(day(1))];
    given(events.clone())
        .when(operator(), book_cmd(day(5)), day(2))
        .then_err(RuleViolation::AppointmentNotEligible {
            available_from: None,
        });
    let state = given(events.into_iter().chain([closed(day(2))]))
        .when(operator(), book_cmd(day(5)), day(2))
        .then_events(vec![booked_on(
            AppointmentGround::ConversationOver,
            day(2),
            day(5),
        )]);
    assert!(state.is_closed());
    assert_eq!(state.status, Some(Status::AppuntamentoPrenotato));
    // Cancelled: back to Chiusa.
    let state = state.apply(&appointment_cancelled(day(3)));
    assert_eq!(state.status, Some(Status::Chiusa));
    assert!(state.appointment.is_none());
}

#[test]
fn the_two_further_interactions_used_up_allow_booking() {
    let events = vec![
        sent(day(0)),
        replied(day(1)),
        message(1, day(2)),
        replied(day(3)),
    ];
    given(events.clone())
        .when(operator(), book_cmd(day(10)), day(4))
        .then_err(RuleViolation::AppointmentNotEligible {
            available_from: None,
        });
    let more = events
        .into_iter()
        .chain([message(2, day(4)), replied(day(5))]);
    given(more)
        .when(operator(), book_cmd(day(10)), day(5))
        .then_events(vec![booked_on(
            AppointmentGround::ConversationOver,
            day(5),
            day(10),
        )]);
}

// --- one appointment at a time, at the right counter ---------------------------------

#[test]
fn a_second_appointment_is_refused_while_the_first_is_pending() {
    let state = given([sent(day(0)), booked(day(15), day(20))]);
    state
        .when(operator(), book_cmd(day(21)), day(16))
        .then_err(RuleViolation::AppointmentAlreadyBooked);
    // Once it is over, another may be booked.
    state
        .when(colleague(), book_cmd(day(30)), day(21))
        .then_ok();
}

#[test]
fn the_slot_must_be_of_the_current_sedes_patronati_counter_and_in_the_future() {
    let g = given([sent(day(0))]);
    let mut slot = patronati_slot(day(20));
    slot.sede = other_sede();
    g.when(
        operator(),
        RequestCommand::BookAppointment {
            booking_id: booking_id(),
            code: booking_code(),
            slot: slot.clone(),
        },
        day(16),
    )
    .then_err(RuleViolation::AppointmentWrongCounter);
    slot.sede = dest();
    slot.counter = CounterCode::parse("servizi_veloci").unwrap();
    g.when(
        operator(),
        RequestCommand::BookAppointment {
            booking_id: booking_id(),
            code: booking_code(),
            slot,
        },
        day(16),
    )
    .then_err(RuleViolation::AppointmentWrongCounter);
    g.when(operator(), book_cmd(day(16)), day(16))
        .then_err(RuleViolation::AppointmentSlotInPast);
}

#[test]
fn after_a_forward_the_appointment_is_at_the_new_sede() {
    let g = given([sent(day(0)), forwarded(&dest(), &other_sede(), day(1))]);
    g.when(operator(), book_cmd(day(20)), day(16))
        .then_err(RuleViolation::AppointmentWrongCounter);
    let mut slot = patronati_slot(day(20));
    slot.sede = other_sede();
    g.when(
        operator(),
        RequestCommand::BookAppointment {
            booking_id: booking_id(),
            code: booking_code(),
            slot,
        },
        day(16),
    )
    .then_ok();
}

#[test]
fn only_the_patronato_side_books_and_out_of_scope_is_not_found() {
    let g = given([sent(day(0))]);
    g.when(officer(), book_cmd(day(20)), day(16))
        .then_err(RuleViolation::NotAllowedForRole);
    g.when(operator_other_office(), book_cmd(day(20)), day(16))
        .then_err(RuleViolation::NotFound);
    g.when(other_officer(), book_cmd(day(20)), day(16))
        .then_err(RuleViolation::NotFound);
    g.when(admin(), book_cmd(day(20)), day(16)).then_ok();
}

// --- cancelling ------------------------------------------------------------------------

#[test]
fn cancelling_restores_the_previous_status() {
    let state = given([sent(day(0)), taken(day(1)), booked(day(15), day(20))])
        .when(operator(), cancel_cmd(), day(16))
        .then_events(vec![RequestEvent::AppointmentCancelled {
            booking_id: booking_id(),
            by: uid("op-rossi"),
            side: Side::Patronato,
            reason: None,
            at: day(16),
        }]);
    assert_eq!(state.status, Some(Status::PresaInCarico));
    assert_eq!(state.appointments_booked, 1);
    // And a new one may be booked.
    given([
        sent(day(0)),
        booked(day(15), day(20)),
        appointment_cancelled(day(16)),
    ])
    .when(operator(), book_cmd(day(21)), day(16))
    .then_ok();
}

#[test]
fn a_status_changed_after_booking_stays_when_cancelled() {
    let state = given([
        sent(day(0)),
        booked(day(15), day(20)),
        replied(day(16)),
        appointment_cancelled(day(17)),
    ])
    .into_state();
    assert_eq!(state.status, Some(Status::RispostaRicevuta));
}

#[test]
fn the_sede_may_cancel_and_nobody_cancels_what_is_not_there_or_started() {
    let g = given([sent(day(0)), booked(day(15), day(20))]);
    g.when(officer(), cancel_cmd(), day(16)).then_events(vec![
        RequestEvent::AppointmentCancelled {
            booking_id: booking_id(),
            by: officer_id(&dest()),
            side: Side::Sede,
            reason: None,
            at: day(16),
        },
    ]);
    g.when(operator(), cancel_cmd(), day(20))
        .then_err(RuleViolation::AppointmentNotCancellable);
    g.when(
        operator(),
        RequestCommand::CancelAppointment {
            reason: Some("x".repeat(MAX_REASON_CHARS + 1)),
        },
        day(16),
    )
    .then_err(RuleViolation::ReasonTooLong {
        max: MAX_REASON_CHARS,
    });
    given([sent(day(0))])
        .when(operator(), cancel_cmd(), day(16))
        .then_err(RuleViolation::NoAppointment);
    g.when(auditor(), cancel_cmd(), day(16))
        .then_err(RuleViolation::NotAllowedForRole);
}

// --- the offered action agrees --------------------------------------------------------

#[test]
fn book_appointment_action_agrees_with_decide_with_and_without_an_appointment() {
    let histories = [
        vec![sent(day(0))],
        vec![sent(day(0)), booked(day(15), day(20))],
        vec![
            sent(day(0)),
            booked(day(15), day(20)),
            appointment_cancelled(day(16)),
        ],
        vec![
            sent(day(0)),
            replied(day(1)),
            closed(day(2)),
            booked(day(2), day(5)),
        ],
    ];
    for events in histories {
        let state = given(events).into_state();
        for now in [day(1), day(15), day(16), day(21)] {
            for actor in [operator(), officer(), auditor()] {
                assert_actions_agree_with_decide(&state, &actor, now);
            }
            let offered = state
                .available_actions(&operator(), now)
                .into_iter()
                .find(|a| a.action == Action::BookAppointment)
                .unwrap();
            let decided = state.decide(&operator(), book_cmd(now + Duration::days(3)), now);
            assert_eq!(offered.allowed, decided.is_ok(), "at {now}: {decided:?}");
        }
    }
}

#[test]
fn appointment_events_round_trip_as_json_with_their_ground() {
    let e = booked_on(AppointmentGround::EnabledBySede, day(2), day(5));
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(json["type"], "AppointmentBooked");
    assert_eq!(json["ground"], "enabled_by_sede");
    assert_eq!(json["slot"]["counter"], "servizi_patronati");
    assert_eq!(serde_json::from_value::<RequestEvent>(json).unwrap(), e);
}
