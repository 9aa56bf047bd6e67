//! Attachments (SPEC §2.2): added at creation or later, removable while still
//! the patronato's own (the sede has not acted since), bounded in number.

use super::*;

#[test]
fn operator_adds_an_attachment() {
    let state = given([sent(day(0))])
        .when(operator(), add_cmd(7), day(1))
        .then_events(vec![added(7, day(1))]);
    assert_eq!(state.held_attachments().collect::<Vec<_>>(), vec![&att(7)]);
    let held = &state.attachments[0];
    assert_eq!(held.side, Side::Patronato);
    assert_eq!(held.added_by, uid("op-rossi"));
    assert_eq!(held.added_in_version, 2);
}

#[test]
fn admin_adds_an_attachment_after_a_reply() {
    given([sent(day(0)), replied(day(1))])
        .when(admin(), add_cmd(7), day(2))
        .then_events(vec![RequestEvent::AttachmentAdded {
            attachment: att(7),
            by: uid("adm-neri"),
            side: Side::Patronato,
            at: day(2),
        }]);
}

#[test]
fn operator_removes_a_creation_attachment_before_the_sede_acts() {
    let state = given([sent_with_attachments(day(0), [1, 2])])
        .when(operator(), remove_cmd(1), day(1))
        .then_events(vec![removed(1, day(1))]);
    assert_eq!(state.held_attachments().collect::<Vec<_>>(), vec![&att(2)]);
}

#[test]
fn operator_removes_an_attachment_added_later() {
    given([sent(day(0)), added(5, day(1))])
        .when(colleague(), remove_cmd(5), day(2))
        .then_events(vec![RequestEvent::AttachmentRemoved {
            attachment_id: att_id(5),
            by: uid("op-bianchi"),
            at: day(2),
        }]);
}

#[test]
fn attachment_is_not_removable_after_the_sede_took_in_charge() {
    given([sent_with_attachments(day(0), [1]), taken(day(1))])
        .when(operator(), remove_cmd(1), day(2))
        .then_err(RuleViolation::AttachmentNotRemovable);
}

#[test]
fn attachment_is_not_removable_after_the_sede_replied() {
    given([sent(day(0)), added(5, day(1)), replied(day(2))])
        .when(operator(), remove_cmd(5), day(3))
        .then_err(RuleViolation::AttachmentNotRemovable);
}

#[test]
fn attachment_is_not_removable_after_any_sede_action() {
    for sede_action in [
        taken(day(2)),
        replied(day(2)),
        forwarded(&dest(), &other_sede(), day(2)),
        enabled(day(2)),
    ] {
        let what = sede_action.event_type();
        let result = given([sent(day(0)), added(5, day(1)), sede_action])
            .state()
            .decide(&operator(), remove_cmd(5), day(3));
        assert_eq!(
            result,
            Err(RuleViolation::AttachmentNotRemovable),
            "after {what}"
        );
    }
}

#[test]
fn attachment_added_after_the_sede_acted_is_removable_until_it_acts_again() {
    let history = [sent(day(0)), taken(day(1)), added(5, day(2))];
    given(history.clone())
        .when(operator(), remove_cmd(5), day(3))
        .then_events(vec![removed(5, day(3))]);
    let mut later = history.to_vec();
    later.push(replied(day(3)));
    given(later)
        .when(operator(), remove_cmd(5), day(4))
        .then_err(RuleViolation::AttachmentNotRemovable);
}

#[test]
fn follow_up_attachment_is_removable_until_the_sede_replies() {
    let history = [
        sent(day(0)),
        replied(day(1)),
        message_with(1, day(2), atts([30])),
    ];
    given(history.clone())
        .when(operator(), remove_cmd(30), day(3))
        .then_events(vec![removed(30, day(3))]);
    let mut answered = history.to_vec();
    answered.push(replied(day(4)));
    given(answered)
        .when(operator(), remove_cmd(30), day(5))
        .then_err(RuleViolation::AttachmentNotRemovable);
}

#[test]
fn sede_reply_attachments_are_not_removable() {
    // The reply is the latest sede action, but the attachment is the sede's.
    let state = given([sent(day(0)), replied_with(day(1), atts([40]))]).into_state();
    assert_eq!(state.attachments[0].side, Side::Sede);
    given([sent(day(0)), replied_with(day(1), atts([40]))])
        .when(operator(), remove_cmd(40), day(2))
        .then_err(RuleViolation::AttachmentNotRemovable);
}

#[test]
fn sede_attachment_is_not_removable_even_if_the_sede_did_nothing_since() {
    // Today only replies carry sede attachments, but the event allows a sede
    // attachment of its own: it is never the patronato's to remove.
    let history = [
        sent(day(0)),
        RequestEvent::AttachmentAdded {
            attachment: att(45),
            by: officer_id(&dest()),
            side: Side::Sede,
            at: day(1),
        },
    ];
    given(history.clone())
        .when(operator(), remove_cmd(45), day(2))
        .then_err(RuleViolation::AttachmentNotRemovable);
    let state = given(history).into_state();
    let remove = state
        .available_actions(&operator(), day(2))
        .into_iter()
        .find(|a| a.action == Action::RemoveAttachment)
        .unwrap();
    assert_eq!(remove.code, Some("attachment_not_removable"));
    assert_actions_agree_with_decide(&state, &operator(), day(2));
}

#[test]
fn removing_an_unknown_attachment_is_attachment_not_found() {
    given([sent_with_attachments(day(0), [1])])
        .when(operator(), remove_cmd(99), day(1))
        .then_err(RuleViolation::AttachmentNotFound);
}

#[test]
fn removing_an_attachment_twice_is_attachment_not_found() {
    given([sent_with_attachments(day(0), [1]), removed(1, day(1))])
        .when(operator(), remove_cmd(1), day(2))
        .then_err(RuleViolation::AttachmentNotFound);
}

#[test]
fn attachments_are_refused_beyond_the_limit() {
    let full = sent_with_attachments(day(0), 1..=(MAX_ATTACHMENTS as u128));
    given([full])
        .when(operator(), add_cmd(100), day(1))
        .then_err(RuleViolation::TooManyAttachments {
            max: MAX_ATTACHMENTS,
        });
}

#[test]
fn attachment_limit_counts_only_held_attachments() {
    let history = [
        sent_with_attachments(day(0), 1..=(MAX_ATTACHMENTS as u128)),
        removed(3, day(1)),
    ];
    let state = given(history.clone())
        .when(operator(), add_cmd(100), day(2))
        .then_events(vec![added(100, day(2))]);
    assert_eq!(state.held_attachments().count(), MAX_ATTACHMENTS);
    let mut full_again = history.to_vec();
    full_again.push(added(100, day(2)));
    given(full_again)
        .when(operator(), add_cmd(101), day(3))
        .then_err(RuleViolation::TooManyAttachments {
            max: MAX_ATTACHMENTS,
        });
}

#[test]
fn reply_and_message_attachments_count_towards_the_limit() {
    let nine = sent_with_attachments(day(0), 1..=9);
    given([nine.clone()])
        .when(
            officer(),
            RequestCommand::Reply {
                text: REPLY.to_string(),
                attachments: atts([50, 51]),
            },
            day(1),
        )
        .then_err(RuleViolation::TooManyAttachments {
            max: MAX_ATTACHMENTS,
        });
    let state = given([nine.clone()])
        .when(
            officer(),
            RequestCommand::Reply {
                text: REPLY.to_string(),
                attachments: atts([50]),
            },
            day(1),
        )
        .then_ok();
    assert_eq!(state.held_attachments().count(), MAX_ATTACHMENTS);
    given([nine, replied(day(1))])
        .when(
            operator(),
            RequestCommand::SendMessage {
                text: MESSAGE.to_string(),
                attachments: atts([60, 61]),
            },
            day(2),
        )
        .then_err(RuleViolation::TooManyAttachments {
            max: MAX_ATTACHMENTS,
        });
}

#[test]
fn attachments_cannot_be_added_or_removed_when_closed() {
    let history = [sent_with_attachments(day(0), [1]), closed(day(1))];
    given(history.clone())
        .when(operator(), add_cmd(2), day(2))
        .then_err(RuleViolation::Closed);
    given(history)
        .when(operator(), remove_cmd(1), day(2))
        .then_err(RuleViolation::Closed);
}

#[test]
fn held_attachments_keep_their_origin() {
    let state = given([
        sent_with_attachments(day(0), [1]),
        added(2, day(1)),
        replied_with(day(2), atts([3])),
        message_with(1, day(3), atts([4])),
        removed(2, day(4)),
    ])
    .into_state();
    let sides: Vec<(AttachmentId, Side, u64, bool)> = state
        .attachments
        .iter()
        .map(|a| (a.attachment.id, a.side, a.added_in_version, a.removed))
        .collect();
    assert_eq!(
        sides,
        vec![
            (att_id(1), Side::Patronato, 1, false),
            (att_id(2), Side::Patronato, 2, true),
            (att_id(3), Side::Sede, 3, false),
            (att_id(4), Side::Patronato, 4, false),
        ]
    );
    assert_eq!(state.held_attachments().count(), 3);
}
