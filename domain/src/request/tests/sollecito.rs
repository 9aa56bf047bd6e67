//! Sollecito and appointment grounds (SPEC §2.4): 15 × 24 h from the send
//! instant, and from the previous sollecito.

use super::*;

// --- sollecito ------------------------------------------------------------------

#[test]
fn sollecito_at_day_14_23_59_is_refused_with_the_exact_opening_instant() {
    let now = day(14) + Duration::hours(23) + minutes(59);
    given([sent(day(0))])
        .when(operator(), RequestCommand::SendSollecito, now)
        .then_err(RuleViolation::SollecitoTooEarly {
            available_from: day(0) + Duration::hours(15 * 24),
        });
}

#[test]
fn sollecito_one_second_before_15_days_is_refused() {
    given([sent(day(0))])
        .when(
            operator(),
            RequestCommand::SendSollecito,
            day(15) - Duration::seconds(1),
        )
        .then_err(RuleViolation::SollecitoTooEarly {
            available_from: day(15),
        });
}

#[test]
fn sollecito_at_exactly_15_days_is_allowed_as_number_1() {
    let state = given([sent(day(0))])
        .when(operator(), RequestCommand::SendSollecito, day(15))
        .then_events(vec![sollecito(1, day(15))]);
    assert_eq!(state.solleciti, 1);
    assert_eq!(state.last_sollecito_at, Some(day(15)));
}

#[test]
fn sollecito_is_15_times_24_hours_across_the_dst_change() {
    // Sent Friday 20 March 2026 at 11:00 in Rome (CET); the clocks go forward on
    // 29 March: the sollecito opens at 12:00 Rome time (CEST) on 4 April.
    let sent_at = utc(2026, 3, 20, 10, 0);
    let opens = utc(2026, 4, 4, 10, 0);
    given([sent(sent_at)])
        .when(
            operator(),
            RequestCommand::SendSollecito,
            opens - minutes(1),
        )
        .then_err(RuleViolation::SollecitoTooEarly {
            available_from: opens,
        });
    given([sent(sent_at)])
        .when(operator(), RequestCommand::SendSollecito, opens)
        .then_ok();
}

#[test]
fn second_sollecito_is_refused_until_15_days_after_the_first() {
    let history = [sent(day(0)), sollecito(1, day(20))];
    given(history.clone())
        .when(
            operator(),
            RequestCommand::SendSollecito,
            day(35) - minutes(1),
        )
        .then_err(RuleViolation::SollecitoTooEarly {
            available_from: day(35),
        });
    given(history)
        .when(operator(), RequestCommand::SendSollecito, day(35))
        .then_events(vec![sollecito(2, day(35))]);
}

#[test]
fn solleciti_are_numbered_1_2_3() {
    let mut state = given([sent(day(0))]).into_state();
    for (n, at) in [(1, day(15)), (2, day(30)), (3, day(47))] {
        let events = state
            .decide(&operator(), RequestCommand::SendSollecito, at)
            .unwrap();
        assert_eq!(events, vec![sollecito(n, at)]);
        state = events.iter().fold(state, Request::apply);
    }
    assert_eq!(state.solleciti, 3);
    assert_eq!(state.sollecito_available_from(), Some(day(62)));
}

#[test]
fn sollecito_available_from_follows_send_then_the_previous_sollecito() {
    assert_eq!(Request::default().sollecito_available_from(), None);
    assert_eq!(
        given([sent(day(0))]).state().sollecito_available_from(),
        Some(day(15))
    );
    assert_eq!(
        given([sent(day(0)), sollecito(1, day(16))])
            .state()
            .sollecito_available_from(),
        Some(day(31))
    );
}

#[test]
fn sollecito_by_a_colleague_or_the_admin_is_allowed() {
    given([sent(day(0))])
        .when(colleague(), RequestCommand::SendSollecito, day(15))
        .then_events(vec![RequestEvent::SollecitoSent {
            by: uid("op-bianchi"),
            number: 1,
            at: day(15),
        }]);
    given([sent(day(0)), sollecito(1, day(15))])
        .when(admin(), RequestCommand::SendSollecito, day(30))
        .then_events(vec![RequestEvent::SollecitoSent {
            by: uid("adm-neri"),
            number: 2,
            at: day(30),
        }]);
}

#[test]
fn sollecito_by_the_referent_on_their_request() {
    given([sent_by_referent(day(0))])
        .when(referent(), RequestCommand::SendSollecito, day(15))
        .then_ok();
}

#[test]
fn sollecito_after_taking_in_charge_without_reply_is_allowed() {
    given([sent(day(0)), taken(day(2))])
        .when(operator(), RequestCommand::SendSollecito, day(15))
        .then_events(vec![sollecito(1, day(15))]);
}

#[test]
fn sollecito_is_refused_while_the_sede_has_answered_the_last_communication() {
    given([sent(day(0)), replied(day(1))])
        .when(operator(), RequestCommand::SendSollecito, day(40))
        .then_err(RuleViolation::SollecitoAfterReply);
    // And after a sollecito that was answered.
    given([sent(day(0)), sollecito(1, day(15)), replied(day(16))])
        .when(operator(), RequestCommand::SendSollecito, day(40))
        .then_err(RuleViolation::SollecitoAfterReply);
}

/// A follow-up the sede never answers must not leave the patronato without a
/// way forward: 15 days after it, a sollecito is possible again.
#[test]
fn an_unanswered_follow_up_can_be_solicited_15_days_after_it() {
    let g = given([sent(day(0)), replied(day(1)), message(1, day(2))]);
    g.when(operator(), RequestCommand::SendSollecito, day(16))
        .then_err(RuleViolation::SollecitoTooEarly {
            available_from: day(17),
        });
    g.when(operator(), RequestCommand::SendSollecito, day(17))
        .then_events(vec![sollecito(1, day(17))]);
    // Also after an earlier sollecito on the request itself.
    given([
        sent(day(0)),
        sollecito(1, day(15)),
        replied(day(16)),
        message(1, day(17)),
    ])
    .when(operator(), RequestCommand::SendSollecito, day(32))
    .then_events(vec![sollecito(2, day(32))]);
}

#[test]
fn sollecito_after_reply_is_refused_even_before_15_days() {
    given([sent(day(0)), replied(day(1))])
        .when(operator(), RequestCommand::SendSollecito, day(2))
        .then_err(RuleViolation::SollecitoAfterReply);
}

#[test]
fn sollecito_is_refused_when_closed() {
    given([sent(day(0)), closed(day(1))])
        .when(operator(), RequestCommand::SendSollecito, day(20))
        .then_err(RuleViolation::Closed);
}

#[test]
fn sollecito_too_early_message_is_in_rome_time() {
    let v = RuleViolation::SollecitoTooEarly {
        available_from: day(15),
    };
    assert_eq!(v.code(), "sollecito_too_early");
    assert_eq!(v.available_from(), Some(day(15)));
    // day(15) = 20 January 2026 08:00 UTC = 09:00 CET.
    assert_eq!(v.to_string(), "Sollecito possibile dal 20/01 alle 09:00");
}

// --- appointment grounds ---------------------------------------------------------

#[test]
fn appointment_ground_until_more_than_15_days_is_not_yet_with_the_opening_instant() {
    let state = given([sent(day(0))]).into_state();
    let opens = day(15) + Duration::minutes(1);
    assert_eq!(state.appointment_ground(day(3)), Err(Some(opens)));
    assert_eq!(state.appointment_ground(day(15)), Err(Some(opens)));
    assert_eq!(
        state.appointment_ground(opens - Duration::seconds(1)),
        Err(Some(opens))
    );
    // A send at 10:30:45 opens at the first whole minute after 15 days.
    let odd = given([sent(day(0) + Duration::seconds(45))]).into_state();
    assert_eq!(
        odd.appointment_ground(day(15) + Duration::seconds(50)),
        Err(Some(opens))
    );
}

#[test]
fn appointment_ground_no_reply_within_standard_after_more_than_15_days() {
    let opens = day(15) + Duration::minutes(1);
    let state = given([sent(day(0)), taken(day(1)), sollecito(1, day(15))]).into_state();
    assert_eq!(
        state.appointment_ground(opens),
        Ok(AppointmentGround::NoReplyWithinStandard)
    );
    assert_eq!(
        given([sent(day(0))]).state().appointment_ground(opens),
        Ok(AppointmentGround::NoReplyWithinStandard)
    );
}

#[test]
fn appointment_ground_while_the_last_follow_up_awaits_its_answer() {
    // The second follow-up is sent: the sede can still answer it, so the
    // conversation is not over (ground c) ...
    let state = given([
        sent(day(0)),
        replied(day(1)),
        message(1, day(2)),
        replied(day(3)),
        message(2, day(4)),
    ])
    .into_state();
    let opens = day(19) + Duration::minutes(1);
    assert_eq!(state.appointment_ground(day(5)), Err(Some(opens)));
    // ... but when it stays unanswered for more than 15 days, ground (a) holds.
    assert_eq!(
        state.appointment_ground(opens),
        Ok(AppointmentGround::NoReplyWithinStandard)
    );
    // The first follow-up unanswered: the same.
    let first = given([sent(day(0)), replied(day(1)), message(1, day(2))]).into_state();
    assert_eq!(
        first.appointment_ground(day(17) + Duration::minutes(1)),
        Ok(AppointmentGround::NoReplyWithinStandard)
    );
}

#[test]
fn appointment_ground_enabled_by_sede() {
    // Before 15 days and after a reply: only the enablement opens it.
    let state = given([sent(day(0)), replied(day(1)), enabled(day(2))]).into_state();
    assert_eq!(
        state.appointment_ground(day(3)),
        Ok(AppointmentGround::EnabledBySede)
    );
    let early = given([sent(day(0)), enabled(day(1))]).into_state();
    assert_eq!(
        early.appointment_ground(day(1)),
        Ok(AppointmentGround::EnabledBySede)
    );
}

#[test]
fn appointment_ground_conversation_over_when_closed() {
    let state = given([sent(day(0)), replied(day(1)), closed(day(2))]).into_state();
    assert_eq!(
        state.appointment_ground(day(3)),
        Ok(AppointmentGround::ConversationOver)
    );
    // Closed takes precedence over an enablement.
    let both = given([sent(day(0)), enabled(day(1)), closed(day(2))]).into_state();
    assert_eq!(
        both.appointment_ground(day(3)),
        Ok(AppointmentGround::ConversationOver)
    );
}

#[test]
fn appointment_ground_conversation_over_when_interactions_are_used_up() {
    let state = given([
        sent(day(0)),
        replied(day(1)),
        message(1, day(2)),
        replied(day(3)),
        message(2, day(4)),
        replied(day(5)),
    ])
    .into_state();
    assert_eq!(
        state.appointment_ground(day(6)),
        Ok(AppointmentGround::ConversationOver)
    );
}

#[test]
fn appointment_ground_after_a_reply_without_enablement_is_never() {
    let state = given([sent(day(0)), replied(day(1))]).into_state();
    assert_eq!(state.appointment_ground(day(2)), Err(None));
    assert_eq!(state.appointment_ground(day(100)), Err(None));
    let one_follow_up = given([
        sent(day(0)),
        replied(day(1)),
        message(1, day(2)),
        replied(day(3)),
    ])
    .into_state();
    assert_eq!(one_follow_up.appointment_ground(day(40)), Err(None));
}

#[test]
fn appointment_ground_on_a_missing_request_is_never() {
    assert_eq!(Request::default().appointment_ground(day(30)), Err(None));
}
