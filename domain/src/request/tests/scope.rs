//! Scope (SPEC §1): who sees a request, and that out-of-scope callers learn
//! nothing (`NotFound`, never a more specific refusal).

use super::*;

#[test]
fn operator_request_is_visible_to_its_office_and_patronato_admin_only() {
    let state = given([sent(day(0))]).into_state();
    let expectations = [
        (operator(), true, "the operator"),
        (colleague(), true, "a colleague of the same office"),
        (admin(), true, "the patronato admin"),
        (
            operator_other_office(),
            false,
            "an operator of another office",
        ),
        (referent(), false, "the referent, of another office"),
        (operator_other_patronato(), false, "another patronato"),
        (
            patronato_user("adm-acli", PatronatoRole::Admin, "ACLI", "ACLI-HQ", None),
            false,
            "the admin of another patronato",
        ),
        (officer(), true, "the destination sede"),
        (other_officer(), false, "another sede"),
        (officer_of(&third_sede()), false, "a third sede"),
        (auditor(), true, "an auditor"),
        (analyst(), false, "an analyst"),
        (citizen_actor(), false, "a citizen"),
    ];
    for (actor, visible, who) in expectations {
        assert_eq!(state.visible_to(&actor), visible, "{who}");
    }
}

#[test]
fn referent_request_is_visible_to_the_referent_and_the_admin() {
    let state = given([sent_by_referent(day(0))]).into_state();
    assert!(state.visible_to(&referent()));
    assert!(state.visible_to(&admin()));
    assert!(state.visible_to(&officer_of(&cric())));
    assert!(!state.visible_to(&operator()));
    assert!(!state.visible_to(&officer()));
    assert!(!state.visible_to(&operator_other_patronato()));
}

#[test]
fn missing_request_is_visible_to_nobody() {
    let state = Request::default();
    for actor in [
        operator(),
        admin(),
        referent(),
        officer(),
        auditor(),
        analyst(),
        citizen_actor(),
    ] {
        assert!(!state.visible_to(&actor), "{:?}", actor.role());
    }
}

#[test]
fn after_forward_the_old_sede_no_longer_sees_it_and_the_new_sede_does() {
    let state = given([
        sent(day(0)),
        taken(day(1)),
        forwarded(&dest(), &other_sede(), day(2)),
    ])
    .into_state();
    assert!(!state.visible_to(&officer()));
    assert!(state.visible_to(&other_officer()));
    assert!(!state.visible_to(&officer_of(&third_sede())));
    // The patronato side is unchanged.
    assert!(state.visible_to(&operator()));
    assert!(state.visible_to(&admin()));
    assert!(!state.visible_to(&operator_other_office()));
}

#[test]
fn every_command_on_a_missing_request_is_not_found() {
    for actor in [operator(), admin(), officer(), auditor()] {
        for command in every_command() {
            given([])
                .when(actor.clone(), command, day(30))
                .then_err(RuleViolation::NotFound);
        }
    }
}

#[test]
fn every_command_by_an_out_of_scope_actor_is_not_found() {
    for actor in [
        operator_other_office(),
        operator_other_patronato(),
        referent(),
        other_officer(),
        analyst(),
        citizen_actor(),
    ] {
        for command in every_command() {
            given([sent_with_attachments(day(0), [1])])
                .when(actor.clone(), command, day(30))
                .then_err(RuleViolation::NotFound);
        }
    }
}

#[test]
fn out_of_scope_sollecito_too_early_is_not_found_not_too_early() {
    given([sent(day(0))])
        .when(
            operator_other_office(),
            RequestCommand::SendSollecito,
            day(1),
        )
        .then_err(RuleViolation::NotFound);
}

#[test]
fn out_of_scope_close_of_a_closed_request_is_not_found_not_closed() {
    given([sent(day(0)), closed(day(1))])
        .when(other_officer(), close_cmd(), day(2))
        .then_err(RuleViolation::NotFound);
}

#[test]
fn sede_officer_in_the_wrong_role_and_out_of_scope_gets_not_found() {
    // Another sede asking for a patronato action: scope is checked before the role.
    given([sent(day(0))])
        .when(other_officer(), RequestCommand::SendSollecito, day(20))
        .then_err(RuleViolation::NotFound);
    // Another patronato asking for a sede action.
    given([sent(day(0))])
        .when(
            operator_other_patronato(),
            RequestCommand::TakeInCharge,
            day(1),
        )
        .then_err(RuleViolation::NotFound);
}

#[test]
fn old_sede_after_forward_gets_not_found_for_every_command() {
    let history = [
        sent(day(0)),
        taken(day(1)),
        forwarded(&dest(), &other_sede(), day(2)),
    ];
    for command in every_command() {
        given(history.clone())
            .when(officer(), command, day(3))
            .then_err(RuleViolation::NotFound);
    }
}

#[test]
fn auditor_sees_but_may_not_act() {
    for command in every_command() {
        given([sent_with_attachments(day(0), [1])])
            .when(auditor(), command, day(30))
            .then_err(RuleViolation::NotAllowedForRole);
    }
}

#[test]
fn no_actions_for_invisible_or_read_only_callers() {
    let state = given([sent(day(0))]).into_state();
    for actor in [
        operator_other_office(),
        operator_other_patronato(),
        other_officer(),
        auditor(),
        analyst(),
        citizen_actor(),
    ] {
        assert!(
            state.available_actions(&actor, day(20)).is_empty(),
            "{:?}",
            actor.role()
        );
    }
    assert!(Request::default()
        .available_actions(&operator(), day(20))
        .is_empty());
}
