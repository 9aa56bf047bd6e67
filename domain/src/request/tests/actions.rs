//! `available_actions`: what the operator and the officer are offered at key
//! moments, with the reasons and dates they read.

use super::*;

#[track_caller]
fn action(state: &Request, actor: &Actor, now: Timestamp, which: Action) -> ActionAvailability {
    state
        .available_actions(actor, now)
        .into_iter()
        .find(|a| a.action == which)
        .unwrap_or_else(|| panic!("{which:?} not offered"))
}

#[track_caller]
fn allowed(state: &Request, actor: &Actor, now: Timestamp) -> Vec<Action> {
    assert_actions_agree_with_decide(state, actor, now);
    state
        .available_actions(actor, now)
        .into_iter()
        .filter(|a| a.allowed)
        .map(|a| a.action)
        .collect()
}

#[test]
fn operator_on_a_fresh_request() {
    let state = given([sent(day(0))]).into_state();
    let now = day(3);
    assert_eq!(
        allowed(&state, &operator(), now),
        vec![Action::AddAttachment]
    );

    let remove = action(&state, &operator(), now, Action::RemoveAttachment);
    assert_eq!(remove.code, Some("attachment_not_found"));

    let message = action(&state, &operator(), now, Action::SendMessage);
    assert_eq!(message.code, Some("no_reply_yet"));
    assert_eq!(
        message.message.as_deref(),
        Some(RuleViolation::NoReplyYet.to_string().as_str())
    );

    let sollecito = action(&state, &operator(), now, Action::SendSollecito);
    assert!(!sollecito.allowed);
    assert_eq!(sollecito.code, Some("sollecito_too_early"));
    assert_eq!(sollecito.available_from, Some(day(15)));
    // day(15) is 20 January 2026, 08:00 UTC: 09:00 in Rome (CET).
    assert_eq!(
        sollecito.message.as_deref(),
        Some("Sollecito possibile dal 20/01 alle 09:00")
    );

    // "Da più di 15 giorni": the first whole minute after the 15 days.
    let book = action(&state, &operator(), now, Action::BookAppointment);
    assert!(!book.allowed);
    assert_eq!(book.code, Some("appointment_not_eligible"));
    assert_eq!(book.available_from, Some(day(15) + Duration::minutes(1)));
    assert_eq!(
        book.message.as_deref(),
        Some("Appuntamento prenotabile dal 20/01 alle 09:01")
    );
}

#[test]
fn sollecito_message_in_winter_is_cet() {
    // Sent 10 January 2026 at 09:30 UTC: opens 25 January at 09:30 UTC = 10:30 CET.
    let state = given([sent(utc(2026, 1, 10, 9, 30))]).into_state();
    let sollecito = action(
        &state,
        &operator(),
        utc(2026, 1, 11, 0, 0),
        Action::SendSollecito,
    );
    assert_eq!(
        sollecito.message.as_deref(),
        Some("Sollecito possibile dal 25/01 alle 10:30")
    );
    assert_eq!(sollecito.available_from, Some(utc(2026, 1, 25, 9, 30)));
}

#[test]
fn sollecito_message_in_summer_is_cest() {
    // Sent 1 July 2026 at 08:15 UTC: opens 16 July at 08:15 UTC = 10:15 CEST.
    let state = given([sent(utc(2026, 7, 1, 8, 15))]).into_state();
    let sollecito = action(
        &state,
        &operator(),
        utc(2026, 7, 2, 0, 0),
        Action::SendSollecito,
    );
    assert_eq!(
        sollecito.message.as_deref(),
        Some("Sollecito possibile dal 16/07 alle 10:15")
    );
}

#[test]
fn sollecito_message_near_midnight_shows_the_rome_date() {
    // 31 January 2026 23:30 UTC is already 1 February 00:30 in Rome.
    let state = given([sent(utc(2026, 1, 16, 23, 30))]).into_state();
    let sollecito = action(
        &state,
        &operator(),
        utc(2026, 1, 17, 0, 0),
        Action::SendSollecito,
    );
    assert_eq!(
        sollecito.message.as_deref(),
        Some("Sollecito possibile dal 01/02 alle 00:30")
    );
}

#[test]
fn second_sollecito_message_shows_15_days_after_the_first() {
    // First sollecito on 20 March 2026 at 10:00 UTC (CET); the second opens on
    // 4 April at 10:00 UTC, which is 12:00 in Rome after the change to CEST.
    let state = given([
        sent(utc(2026, 3, 1, 10, 0)),
        sollecito(1, utc(2026, 3, 20, 10, 0)),
    ])
    .into_state();
    let sollecito = action(
        &state,
        &operator(),
        utc(2026, 3, 21, 0, 0),
        Action::SendSollecito,
    );
    assert_eq!(
        sollecito.message.as_deref(),
        Some("Sollecito possibile dal 04/04 alle 12:00")
    );
}

#[test]
fn operator_after_15_days_without_reply() {
    let state = given([sent_with_attachments(day(0), [1])]).into_state();
    // At 15 days the sollecito opens ("almeno 15 giorni"); the appointment
    // needs more than 15 days.
    assert_eq!(
        allowed(&state, &operator(), day(15)),
        vec![
            Action::AddAttachment,
            Action::RemoveAttachment,
            Action::SendSollecito,
        ]
    );
    assert_eq!(
        allowed(&state, &operator(), day(15) + Duration::minutes(1)),
        vec![
            Action::AddAttachment,
            Action::RemoveAttachment,
            Action::SendSollecito,
            Action::BookAppointment,
        ]
    );
    let sollecito = action(&state, &operator(), day(15), Action::SendSollecito);
    assert_eq!(sollecito.message, None);
    assert_eq!(sollecito.available_from, None);
}

#[test]
fn operator_after_the_first_reply_has_2_of_2_interactions() {
    let state = given([sent(day(0)), replied(day(2))]).into_state();
    let message = action(&state, &operator(), day(3), Action::SendMessage);
    assert!(message.allowed);
    assert_eq!(message.code, None);
    assert_eq!(
        message.message.as_deref(),
        Some("interazioni residue: 2 di 2")
    );
    let sollecito = action(&state, &operator(), day(20), Action::SendSollecito);
    assert_eq!(sollecito.code, Some("sollecito_after_reply"));
    assert_eq!(sollecito.available_from, None);
    let book = action(&state, &operator(), day(20), Action::BookAppointment);
    assert!(!book.allowed);
    assert_eq!(book.available_from, None);
    assert_eq!(
        allowed(&state, &operator(), day(3)),
        vec![Action::AddAttachment, Action::SendMessage]
    );
}

#[test]
fn operator_after_one_follow_up_answered_has_1_of_2_interactions() {
    let state = given([
        sent(day(0)),
        replied(day(1)),
        message(1, day(2)),
        replied(day(3)),
    ])
    .into_state();
    let message = action(&state, &operator(), day(4), Action::SendMessage);
    assert!(message.allowed);
    assert_eq!(
        message.message.as_deref(),
        Some("interazioni residue: 1 di 2")
    );
}

#[test]
fn operator_while_a_follow_up_awaits_the_sede() {
    let state = given([sent(day(0)), replied(day(1)), message(1, day(2))]).into_state();
    let message = action(&state, &operator(), day(3), Action::SendMessage);
    assert!(!message.allowed);
    assert_eq!(message.code, Some("awaiting_sede_reply"));
    assert_ne!(
        message.message.as_deref(),
        Some("interazioni residue: 1 di 2")
    );
}

#[test]
fn operator_after_the_interactions_are_used_up_may_book() {
    let state = given([
        sent(day(0)),
        replied(day(1)),
        message(1, day(2)),
        replied(day(3)),
        message(2, day(4)),
        replied(day(5)),
    ])
    .into_state();
    let message = action(&state, &operator(), day(6), Action::SendMessage);
    assert_eq!(message.code, Some("interactions_exhausted"));
    assert_eq!(
        allowed(&state, &operator(), day(6)),
        vec![Action::AddAttachment, Action::BookAppointment]
    );
}

#[test]
fn operator_when_the_sede_enabled_booking() {
    let state = given([sent(day(0)), enabled(day(1))]).into_state();
    assert!(action(&state, &operator(), day(2), Action::BookAppointment).allowed);
}

#[test]
fn operator_on_a_closed_request_may_only_book() {
    let state = given([sent_with_attachments(day(0), [1]), closed(day(1))]).into_state();
    assert_eq!(
        allowed(&state, &operator(), day(30)),
        vec![Action::BookAppointment]
    );
    for a in state.available_actions(&operator(), day(30)) {
        if a.action != Action::BookAppointment {
            assert_eq!(a.code, Some("conversation_closed"), "{:?}", a.action);
        }
    }
}

#[test]
fn operator_remove_is_offered_only_for_attachments_still_its_own() {
    let own = given([sent_with_attachments(day(0), [1])]).into_state();
    assert!(action(&own, &operator(), day(1), Action::RemoveAttachment).allowed);
    let taken_over = given([sent_with_attachments(day(0), [1]), taken(day(1))]).into_state();
    let remove = action(&taken_over, &operator(), day(2), Action::RemoveAttachment);
    assert_eq!(remove.code, Some("attachment_not_removable"));
    let sede_only = given([sent(day(0)), replied_with(day(1), atts([40]))]).into_state();
    let remove = action(&sede_only, &operator(), day(2), Action::RemoveAttachment);
    assert_eq!(remove.code, Some("attachment_not_removable"));
    let mixed = given([
        sent_with_attachments(day(0), [1]),
        taken(day(1)),
        added(2, day(2)),
    ])
    .into_state();
    assert!(action(&mixed, &operator(), day(3), Action::RemoveAttachment).allowed);
}

#[test]
fn operator_with_the_attachment_limit_reached() {
    let state = given([sent_with_attachments(day(0), 1..=(MAX_ATTACHMENTS as u128))]).into_state();
    let add = action(&state, &operator(), day(1), Action::AddAttachment);
    assert_eq!(add.code, Some("too_many_attachments"));
    assert_actions_agree_with_decide(&state, &operator(), day(1));
}

#[test]
fn officer_on_a_fresh_request_may_do_everything() {
    let state = given([sent(day(0))]).into_state();
    assert_eq!(
        allowed(&state, &officer(), day(1)),
        vec![
            Action::TakeInCharge,
            Action::Reply,
            Action::Forward,
            Action::EnableAppointment,
            Action::Close,
        ]
    );
}

#[test]
fn officer_after_taking_in_charge() {
    let state = given([sent(day(0)), taken(day(1))]).into_state();
    let take = action(&state, &officer(), day(2), Action::TakeInCharge);
    assert_eq!(take.code, Some("already_in_charge"));
    assert_eq!(
        allowed(&state, &officer(), day(2)),
        vec![
            Action::Reply,
            Action::Forward,
            Action::EnableAppointment,
            Action::Close,
        ]
    );
}

#[test]
fn officer_after_replying() {
    let state = given([
        sent(day(0)),
        taken(day(1)),
        replied(day(2)),
        enabled(day(2)),
    ])
    .into_state();
    let reply = action(&state, &officer(), day(3), Action::Reply);
    assert_eq!(reply.code, Some("nothing_to_reply"));
    let enable = action(&state, &officer(), day(3), Action::EnableAppointment);
    assert_eq!(enable.code, Some("appointment_already_enabled"));
    assert_eq!(
        allowed(&state, &officer(), day(3)),
        vec![Action::Forward, Action::Close]
    );
}

#[test]
fn officer_after_a_follow_up_may_reply_again() {
    let state = given([sent(day(0)), replied(day(1)), message(1, day(2))]).into_state();
    assert!(action(&state, &officer(), day(3), Action::Reply).allowed);
}

#[test]
fn officer_of_the_new_sede_after_forward() {
    let state = given([
        sent(day(0)),
        taken(day(1)),
        forwarded(&dest(), &other_sede(), day(2)),
    ])
    .into_state();
    assert!(state.available_actions(&officer(), day(3)).is_empty());
    assert_eq!(
        allowed(&state, &other_officer(), day(3)),
        vec![
            Action::TakeInCharge,
            Action::Reply,
            Action::Forward,
            Action::EnableAppointment,
            Action::Close,
        ]
    );
}

#[test]
fn officer_on_a_closed_request_may_do_nothing() {
    let state = given([sent(day(0)), closed(day(1))]).into_state();
    let actions = state.available_actions(&officer(), day(2));
    assert_eq!(actions.len(), 5);
    for a in actions {
        assert!(!a.allowed);
        assert_eq!(a.code, Some("conversation_closed"), "{:?}", a.action);
        assert_eq!(a.message.as_deref(), Some("La conversazione è chiusa"));
    }
    assert_actions_agree_with_decide(&state, &officer(), day(2));
}

#[test]
fn actions_agree_with_decide_at_key_moments() {
    let histories: Vec<Vec<RequestEvent>> = vec![
        vec![sent(day(0))],
        vec![sent_with_attachments(day(0), [1, 2]), removed(1, day(1))],
        vec![sent(day(0)), taken(day(1)), sollecito(1, day(15))],
        vec![sent(day(0)), replied_with(day(1), atts([3]))],
        vec![
            sent(day(0)),
            replied(day(1)),
            message_with(1, day(2), atts([4])),
        ],
        vec![sent(day(0)), forwarded(&dest(), &other_sede(), day(1))],
        vec![sent(day(0)), enabled(day(1)), closed(day(2))],
        vec![sent_by_referent(day(0))],
    ];
    let actors = [
        operator(),
        colleague(),
        admin(),
        referent(),
        operator_other_office(),
        operator_other_patronato(),
        officer(),
        other_officer(),
        officer_of(&cric()),
        auditor(),
        analyst(),
    ];
    for history in histories {
        let last = history.last().unwrap().at();
        let state = given(history).into_state();
        for now in [
            day(1),
            day(15) - minutes(1),
            day(15),
            day(29),
            day(30),
            day(90),
        ] {
            if now < last {
                continue;
            }
            for actor in &actors {
                assert_actions_agree_with_decide(&state, actor, now);
            }
        }
    }
}
