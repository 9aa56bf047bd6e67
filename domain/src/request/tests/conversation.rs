//! The conversation (SPEC §2.4, §2.8): replies, follow-ups, take in charge,
//! forward, appointment enablement, closing, and who may do what.

use super::*;

// --- reply ---------------------------------------------------------------------

#[test]
fn sede_replies_to_a_new_request() {
    given([sent(day(0))])
        .when(
            officer(),
            RequestCommand::Reply {
                text: format!("  {REPLY}\n"),
                attachments: atts([50]),
            },
            day(3),
        )
        .then_events(vec![replied_by(&dest(), day(3), atts([50]))]);
}

#[test]
fn sede_may_reply_without_taking_in_charge_first_or_after() {
    given([sent(day(0)), taken(day(1))])
        .when(officer(), reply_cmd(), day(2))
        .then_events(vec![replied(day(2))]);
}

#[test]
fn reply_text_is_required() {
    given([sent(day(0))])
        .when(
            officer(),
            RequestCommand::Reply {
                text: "   ".to_string(),
                attachments: vec![],
            },
            day(1),
        )
        .then_err(RuleViolation::TextRequired);
}

#[test]
fn reply_text_too_long_is_refused() {
    given([sent(day(0))])
        .when(
            officer(),
            RequestCommand::Reply {
                text: "ç".repeat(MAX_TEXT_CHARS + 1),
                attachments: vec![],
            },
            day(1),
        )
        .then_err(RuleViolation::TextTooLong {
            max: MAX_TEXT_CHARS,
        });
}

#[test]
fn sede_reply_when_nothing_is_pending_is_refused() {
    given([sent(day(0)), replied(day(1))])
        .when(officer(), reply_cmd(), day(2))
        .then_err(RuleViolation::NothingToReply);
    given([
        sent(day(0)),
        replied(day(1)),
        message(1, day(2)),
        replied(day(3)),
    ])
    .when(officer(), reply_cmd(), day(4))
    .then_err(RuleViolation::NothingToReply);
}

#[test]
fn sede_replies_to_a_follow_up() {
    given([sent(day(0)), replied(day(1)), message(1, day(2))])
        .when(officer(), reply_cmd(), day(3))
        .then_events(vec![replied(day(3))]);
}

#[test]
fn new_sede_replies_after_forward() {
    given([sent(day(0)), forwarded(&dest(), &other_sede(), day(1))])
        .when(other_officer(), reply_cmd(), day(2))
        .then_events(vec![replied_by(&other_sede(), day(2), vec![])]);
}

// --- the follow-up rule --------------------------------------------------------

#[test]
fn no_message_before_the_first_reply() {
    given([sent(day(0))])
        .when(operator(), message_cmd(), day(1))
        .then_err(RuleViolation::NoReplyYet);
    given([sent(day(0)), taken(day(1))])
        .when(operator(), message_cmd(), day(2))
        .then_err(RuleViolation::NoReplyYet);
    given([sent(day(0)), sollecito(1, day(15))])
        .when(operator(), message_cmd(), day(16))
        .then_err(RuleViolation::NoReplyYet);
}

#[test]
fn after_the_first_reply_a_message_is_interaction_1() {
    given([sent(day(0)), replied(day(1))])
        .when(
            operator(),
            RequestCommand::SendMessage {
                text: format!(" {MESSAGE} "),
                attachments: atts([20]),
            },
            day(2),
        )
        .then_events(vec![message_with(1, day(2), atts([20]))]);
}

#[test]
fn second_message_before_the_sede_replies_again_is_refused() {
    given([sent(day(0)), replied(day(1)), message(1, day(2))])
        .when(operator(), message_cmd(), day(3))
        .then_err(RuleViolation::AwaitingSedeReply);
}

#[test]
fn after_the_second_reply_message_2_is_allowed() {
    given([
        sent(day(0)),
        replied(day(1)),
        message(1, day(2)),
        replied(day(3)),
    ])
    .when(operator(), message_cmd(), day(4))
    .then_events(vec![message(2, day(4))]);
}

#[test]
fn third_message_is_refused_interactions_exhausted() {
    given([
        sent(day(0)),
        replied(day(1)),
        message(1, day(2)),
        replied(day(3)),
        message(2, day(4)),
        replied(day(5)),
    ])
    .when(operator(), message_cmd(), day(6))
    .then_err(RuleViolation::InteractionsExhausted {
        max: MAX_FURTHER_INTERACTIONS,
    });
}

#[test]
fn message_2_awaiting_reply_is_refused_as_awaiting() {
    given([
        sent(day(0)),
        replied(day(1)),
        message(1, day(2)),
        replied(day(3)),
        message(2, day(4)),
    ])
    .when(operator(), message_cmd(), day(5))
    .then_err(RuleViolation::AwaitingSedeReply);
}

#[test]
fn a_colleague_or_the_admin_may_follow_up() {
    let history = [sent(day(0)), replied(day(1))];
    let state = given(history.clone())
        .when(colleague(), message_cmd(), day(2))
        .then_ok();
    assert_eq!(state.interactions_used, 1);
    given(history)
        .when(admin(), message_cmd(), day(2))
        .then_events(vec![RequestEvent::MessageSent {
            by: uid("adm-neri"),
            text: MESSAGE.to_string(),
            attachments: vec![],
            interaction: 1,
            at: day(2),
        }]);
}

#[test]
fn message_text_is_required_and_bounded() {
    let history = [sent(day(0)), replied(day(1))];
    given(history.clone())
        .when(
            operator(),
            RequestCommand::SendMessage {
                text: "\n".to_string(),
                attachments: vec![],
            },
            day(2),
        )
        .then_err(RuleViolation::TextRequired);
    given(history)
        .when(
            operator(),
            RequestCommand::SendMessage {
                text: "ñ".repeat(MAX_TEXT_CHARS + 1),
                attachments: vec![],
            },
            day(2),
        )
        .then_err(RuleViolation::TextTooLong {
            max: MAX_TEXT_CHARS,
        });
}

#[test]
fn the_whole_follow_up_sequence_through_decide() {
    let mut state = given([sent(day(0))]).into_state();
    let steps: [(Actor, RequestCommand, Result<u8, RuleViolation>); 9] = [
        (operator(), message_cmd(), Err(RuleViolation::NoReplyYet)),
        (officer(), reply_cmd(), Ok(0)),
        (officer(), reply_cmd(), Err(RuleViolation::NothingToReply)),
        (operator(), message_cmd(), Ok(1)),
        (
            operator(),
            message_cmd(),
            Err(RuleViolation::AwaitingSedeReply),
        ),
        (officer(), reply_cmd(), Ok(0)),
        (operator(), message_cmd(), Ok(2)),
        (officer(), reply_cmd(), Ok(0)),
        (
            operator(),
            message_cmd(),
            Err(RuleViolation::InteractionsExhausted {
                max: MAX_FURTHER_INTERACTIONS,
            }),
        ),
    ];
    for (i, (actor, command, expected)) in steps.into_iter().enumerate() {
        let now = day(1 + i as i64);
        match (state.decide(&actor, command, now), expected) {
            (Ok(events), Ok(interaction)) => {
                if let RequestEvent::MessageSent { interaction: n, .. } = &events[0] {
                    assert_eq!(*n, interaction, "step {i}");
                }
                state = events.iter().fold(state, Request::apply);
            }
            (Err(v), Err(e)) => assert_eq!(v, e, "step {i}"),
            (got, want) => panic!("step {i}: got {got:?}, want {want:?}"),
        }
    }
    assert_eq!(state.replies, 3);
    assert_eq!(state.interactions_used, 2);
    assert_eq!(state.interactions_left(), 0);
}

// --- take in charge --------------------------------------------------------------

#[test]
fn sede_takes_a_request_in_charge() {
    let state = given([sent(day(0))])
        .when(officer(), RequestCommand::TakeInCharge, day(1))
        .then_events(vec![taken(day(1))]);
    assert_eq!(state.in_charge_by, Some(officer_id(&dest())));
}

#[test]
fn take_in_charge_twice_is_refused() {
    given([sent(day(0)), taken(day(1))])
        .when(officer(), RequestCommand::TakeInCharge, day(2))
        .then_err(RuleViolation::AlreadyInCharge);
}

#[test]
fn take_in_charge_twice_by_another_officer_of_the_same_sede_is_refused() {
    let colleague_officer = Actor::Sede(SedeOfficer {
        id: uid("inps-5100-b"),
        sede: dest(),
    });
    given([sent(day(0)), taken(day(1))])
        .when(colleague_officer, RequestCommand::TakeInCharge, day(2))
        .then_err(RuleViolation::AlreadyInCharge);
}

#[test]
fn after_forward_the_new_sede_can_take_in_charge_again() {
    given([
        sent(day(0)),
        taken(day(1)),
        forwarded(&dest(), &other_sede(), day(2)),
    ])
    .when(other_officer(), RequestCommand::TakeInCharge, day(3))
    .then_events(vec![taken_by(&other_sede(), day(3))]);
}

// --- forward ---------------------------------------------------------------------

#[test]
fn sede_forwards_to_another_sede_with_a_reason() {
    let state = given([sent(day(0)), taken(day(1))])
        .when(
            officer(),
            RequestCommand::Forward {
                to: SedeLookup::Active(other_sede()),
                reason: format!("  {REASON} "),
            },
            day(2),
        )
        .then_events(vec![forwarded(&dest(), &other_sede(), day(2))]);
    assert_eq!(state.status, Some(Status::InoltrataAdAltraSede));
    assert_eq!(state.current_sede, Some(other_sede()));
    assert_eq!(state.in_charge_by, None);
    assert_eq!(state.forwards, 1);
    // The protocol number and the original destination are kept.
    let sent = state.sent.as_ref().unwrap();
    assert_eq!(sent.protocol, protocol());
    assert_eq!(sent.destination, dest());
}

#[test]
fn forward_twice_along_a_chain() {
    let state = given([sent(day(0)), forwarded(&dest(), &other_sede(), day(1))])
        .when(
            other_officer(),
            forward_cmd(SedeLookup::Active(third_sede())),
            day(2),
        )
        .then_events(vec![forwarded(&other_sede(), &third_sede(), day(2))]);
    assert_eq!(state.current_sede, Some(third_sede()));
    assert_eq!(state.forwards, 2);
}

#[test]
fn forward_to_the_same_sede_is_refused() {
    given([sent(day(0))])
        .when(officer(), forward_cmd(SedeLookup::Active(dest())), day(1))
        .then_err(RuleViolation::ForwardToSameSede);
}

#[test]
fn forward_to_an_unknown_sede_is_refused() {
    given([sent(day(0))])
        .when(officer(), forward_cmd(SedeLookup::Unknown), day(1))
        .then_err(RuleViolation::DestinationUnknown);
}

#[test]
fn forward_to_an_inactive_sede_is_refused() {
    given([sent(day(0))])
        .when(
            officer(),
            forward_cmd(SedeLookup::Inactive(sede("5900"))),
            day(1),
        )
        .then_err(RuleViolation::DestinationInactive);
}

#[test]
fn forward_reason_is_required() {
    for reason in ["", "   ", "\t\n"] {
        given([sent(day(0))])
            .when(
                officer(),
                RequestCommand::Forward {
                    to: SedeLookup::Active(other_sede()),
                    reason: reason.to_string(),
                },
                day(1),
            )
            .then_err(RuleViolation::ReasonRequired);
    }
}

#[test]
fn forward_reason_too_long_is_refused_counting_characters() {
    let forward = |reason: String| RequestCommand::Forward {
        to: SedeLookup::Active(other_sede()),
        reason,
    };
    given([sent(day(0))])
        .when(officer(), forward("à".repeat(MAX_REASON_CHARS + 1)), day(1))
        .then_err(RuleViolation::ReasonTooLong {
            max: MAX_REASON_CHARS,
        });
    given([sent(day(0))])
        .when(officer(), forward("à".repeat(MAX_REASON_CHARS)), day(1))
        .then_ok();
}

// --- enable appointment --------------------------------------------------------

#[test]
fn sede_enables_appointment_booking() {
    let state = given([sent(day(0))])
        .when(officer(), RequestCommand::EnableAppointment, day(1))
        .then_events(vec![enabled(day(1))]);
    assert!(state.appointment_enabled);
}

#[test]
fn enable_appointment_twice_is_refused() {
    given([sent(day(0)), enabled(day(1))])
        .when(officer(), RequestCommand::EnableAppointment, day(2))
        .then_err(RuleViolation::AppointmentAlreadyEnabled);
}

// --- close ------------------------------------------------------------------------

#[test]
fn sede_closes_the_conversation_with_a_trimmed_note() {
    let state = given([sent(day(0)), replied(day(1))])
        .when(
            officer(),
            RequestCommand::Close {
                note: Some("  Pratica definita. ".to_string()),
            },
            day(2),
        )
        .then_events(vec![RequestEvent::ConversationClosed {
            by: officer_id(&dest()),
            sede: dest(),
            note: Some("Pratica definita.".to_string()),
            at: day(2),
        }]);
    assert!(state.is_closed());
    assert_eq!(state.closed_at, Some(day(2)));
}

#[test]
fn blank_close_note_is_recorded_as_none() {
    given([sent(day(0))])
        .when(
            officer(),
            RequestCommand::Close {
                note: Some("   ".to_string()),
            },
            day(1),
        )
        .then_events(vec![closed(day(1))]);
}

#[test]
fn close_note_too_long_is_refused() {
    given([sent(day(0))])
        .when(
            officer(),
            RequestCommand::Close {
                note: Some("é".repeat(MAX_REASON_CHARS + 1)),
            },
            day(1),
        )
        .then_err(RuleViolation::NotesTooLong {
            max: MAX_REASON_CHARS,
        });
}

#[test]
fn close_twice_is_refused() {
    given([sent(day(0)), closed(day(1))])
        .when(officer(), close_cmd(), day(2))
        .then_err(RuleViolation::Closed);
}

#[test]
fn every_command_after_close_is_refused_conversation_closed() {
    let history = [
        sent_with_attachments(day(0), [1]),
        added(2, day(1)),
        closed(day(2)),
    ];
    let cases: Vec<(Actor, RequestCommand)> = vec![
        (operator(), add_cmd(3)),
        (operator(), remove_cmd(1)),
        (operator(), remove_cmd(2)),
        (operator(), message_cmd()),
        (operator(), RequestCommand::SendSollecito),
        (admin(), RequestCommand::SendSollecito),
        (officer(), RequestCommand::TakeInCharge),
        (officer(), reply_cmd()),
        (officer(), forward_to_other()),
        (officer(), RequestCommand::EnableAppointment),
        (officer(), close_cmd()),
    ];
    for (actor, command) in cases {
        // Long after, when the time-based rules would otherwise allow it.
        given(history.clone())
            .when(actor, command, day(60))
            .then_err(RuleViolation::Closed);
    }
}

#[test]
fn closed_after_replies_and_messages_still_refuses_everything() {
    let history = [
        sent(day(0)),
        replied(day(1)),
        message(1, day(2)),
        closed(day(3)),
    ];
    given(history.clone())
        .when(officer(), reply_cmd(), day(4))
        .then_err(RuleViolation::Closed);
    given(history)
        .when(operator(), message_cmd(), day(4))
        .then_err(RuleViolation::Closed);
}

// --- role checks -------------------------------------------------------------------

#[test]
fn sede_actions_by_patronato_users_are_not_allowed_for_role() {
    for actor in [operator(), colleague(), admin()] {
        for command in sede_commands() {
            given([sent(day(0))])
                .when(actor.clone(), command, day(1))
                .then_err(RuleViolation::NotAllowedForRole);
        }
    }
    for command in sede_commands() {
        given([sent_by_referent(day(0))])
            .when(referent(), command, day(1))
            .then_err(RuleViolation::NotAllowedForRole);
    }
}

#[test]
fn patronato_actions_by_sede_officers_are_not_allowed_for_role() {
    let history = [sent_with_attachments(day(0), [1]), replied(day(1))];
    for command in patronato_commands() {
        given(history.clone())
            .when(officer(), command, day(20))
            .then_err(RuleViolation::NotAllowedForRole);
    }
}

#[test]
fn role_is_checked_before_the_state() {
    // Closed: the wrong side still hears about its role, not the state.
    given([sent(day(0)), closed(day(1))])
        .when(operator(), close_cmd(), day(2))
        .then_err(RuleViolation::NotAllowedForRole);
    given([sent(day(0)), closed(day(1))])
        .when(officer(), RequestCommand::SendSollecito, day(20))
        .then_err(RuleViolation::NotAllowedForRole);
}

#[test]
fn not_allowed_for_role_is_the_forbidden_refusal() {
    assert!(RuleViolation::NotAllowedForRole.is_forbidden());
    assert!(!RuleViolation::NotFound.is_forbidden());
    assert_eq!(
        RuleViolation::NotAllowedForRole.code(),
        "not_allowed_for_role"
    );
    assert_eq!(RuleViolation::NotFound.code(), "request_not_found");
    assert_eq!(RuleViolation::Closed.code(), "conversation_closed");
}
