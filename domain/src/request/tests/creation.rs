//! Creation (SPEC §2.1–2.3): `accept_new_request` and `into_event`.

use super::*;

// --- who asks for whom ------------------------------------------------------

#[test]
fn operator_request_for_a_citizen_with_mandate_is_accepted() {
    let accepted = when_creating(operator(), new_request()).accepted();
    assert_eq!(accepted.destination(), &dest());
}

#[test]
fn mandate_not_declared_is_refused() {
    let new = NewRequest {
        mandate_declared: false,
        ..new_request()
    };
    when_creating(operator(), new).then_err(RuleViolation::MandateNotDeclared);
}

#[test]
fn mandate_not_declared_is_refused_for_the_admin_too() {
    let new = NewRequest {
        mandate_declared: false,
        ..new_request()
    };
    when_creating(admin(), new).then_err(RuleViolation::MandateNotDeclared);
}

#[test]
fn operator_with_own_behalf_requester_is_refused_citizen_required() {
    let new = NewRequest {
        requester: RequesterInput::OwnBehalf,
        ..new_request()
    };
    when_creating(operator(), new).then_err(RuleViolation::CitizenRequired);
}

#[test]
fn admin_with_own_behalf_requester_is_refused_citizen_required() {
    let new = NewRequest {
        requester: RequesterInput::OwnBehalf,
        topic: Some(topic_requisiti()),
        subtopic: None,
        practice_ref: None,
        practice_check: None,
        ..new_request()
    };
    when_creating(admin(), new).then_err(RuleViolation::CitizenRequired);
}

#[test]
fn referent_with_citizen_is_refused_own_behalf_only() {
    let new = NewRequest {
        requester: RequesterInput::Citizen(citizen()),
        mandate_declared: true,
        ..referent_request()
    };
    when_creating(referent(), new).then_err(RuleViolation::OwnBehalfOnly);
}

#[test]
fn referent_own_behalf_request_records_the_region_and_needs_no_mandate() {
    let sent = when_creating(referent(), referent_request()).then_sent();
    assert_eq!(
        sent.requester,
        Requester::OwnBehalf {
            region: RegionCode::parse("LAZIO").unwrap()
        }
    );
    assert!(!sent.mandate_declared);
    assert_eq!(sent.by_role, PatronatoRole::RegionalReferent);
    assert_eq!(sent.destination, cric());
    assert_eq!(sent.routing, Routing::Suggested);
}

#[test]
fn referent_without_a_region_is_refused() {
    let referent_without_region = patronato_user(
        "ref-blu",
        PatronatoRole::RegionalReferent,
        "INCA",
        "INCA-LAZ",
        None,
    );
    when_creating(referent_without_region, referent_request())
        .then_err(RuleViolation::NotAllowedForRole);
}

#[test]
fn admin_may_create_on_behalf_of_a_citizen() {
    let sent = when_creating(admin(), new_request()).then_sent();
    assert_eq!(sent.by, uid("adm-neri"));
    assert_eq!(sent.by_role, PatronatoRole::Admin);
    assert_eq!(sent.office, OfficeId::parse("INCA-HQ").unwrap());
}

#[test]
fn non_patronato_actors_are_refused() {
    for actor in [
        officer(),
        other_officer(),
        auditor(),
        analyst(),
        citizen_actor(),
    ] {
        let role = actor.role();
        let result = accept_new_request(&actor, new_request());
        assert_eq!(
            result.err(),
            Some(RuleViolation::NotAllowedForRole),
            "{role:?}"
        );
    }
}

// --- topic -------------------------------------------------------------------

#[test]
fn unknown_topic_is_refused() {
    let new = NewRequest {
        topic: None,
        subtopic: None,
        ..new_request()
    };
    when_creating(operator(), new).then_err(RuleViolation::TopicUnknown);
}

#[test]
fn referent_only_topic_by_an_operator_is_refused() {
    let new = NewRequest {
        topic: Some(topic_chiarimento()),
        subtopic: None,
        practice_ref: None,
        practice_check: None,
        ..new_request()
    };
    when_creating(operator(), new.clone()).then_err(RuleViolation::TopicNotAllowedForRole);
    when_creating(admin(), new).then_err(RuleViolation::TopicNotAllowedForRole);
}

#[test]
fn operator_only_topic_by_a_referent_is_refused() {
    let new = NewRequest {
        topic: Some(topic_sollecito_domanda()),
        subtopic: Some(code("naspi")),
        practice_ref: Some(practice_ref()),
        practice_check: Some(PracticeCheck::Associated),
        ..referent_request()
    };
    when_creating(referent(), new).then_err(RuleViolation::TopicNotAllowedForRole);
}

#[test]
fn shared_topic_is_allowed_to_operator_and_referent() {
    let for_operator = NewRequest {
        topic: Some(topic_requisiti()),
        subtopic: Some(code("adi")),
        practice_ref: None,
        practice_check: None,
        ..new_request()
    };
    let sent = when_creating(operator(), for_operator).then_sent();
    assert_eq!(sent.topic, code("requisiti_accesso"));
    assert_eq!(
        sent.subtopic_label.as_deref(),
        Some("Assegno di inclusione")
    );

    let for_referent = NewRequest {
        topic: Some(topic_requisiti()),
        ..referent_request()
    };
    when_creating(referent(), for_referent).accepted();
}

#[test]
fn unknown_subtopic_is_refused() {
    let new = NewRequest {
        subtopic: Some(code("adi")), // a sub-topic of another topic
        ..new_request()
    };
    when_creating(operator(), new).then_err(RuleViolation::SubtopicUnknown);
}

#[test]
fn no_subtopic_is_fine() {
    let new = NewRequest {
        subtopic: None,
        ..new_request()
    };
    let sent = when_creating(operator(), new).then_sent();
    assert_eq!(sent.subtopic, None);
    assert_eq!(sent.subtopic_label, None);
}

// --- practice reference -----------------------------------------------------

#[test]
fn practice_ref_is_required_for_topics_that_need_it() {
    let new = NewRequest {
        practice_ref: None,
        practice_check: None,
        ..new_request()
    };
    when_creating(operator(), new).then_err(RuleViolation::PracticeRefRequired);
}

#[test]
fn practice_ref_not_associated_with_the_citizen_is_refused() {
    let new = NewRequest {
        practice_check: Some(PracticeCheck::NotAssociated),
        ..new_request()
    };
    when_creating(operator(), new).then_err(RuleViolation::PracticeRefNotAssociated);
}

#[test]
fn practice_ref_on_which_the_patronato_is_not_enabled_is_refused() {
    let new = NewRequest {
        practice_ref: Some(PracticeRef::parse(PracticeRefKind::Pensione, "12345678").unwrap()),
        practice_check: Some(PracticeCheck::PatronatoNotEnabled),
        ..new_request()
    };
    when_creating(operator(), new).then_err(RuleViolation::PracticeNotEnabled);
}

#[test]
fn practice_ref_not_looked_up_is_refused() {
    let new = NewRequest {
        practice_check: None,
        ..new_request()
    };
    when_creating(operator(), new).then_err(RuleViolation::PracticeRefNotAssociated);
}

#[test]
fn optional_practice_ref_is_still_verified() {
    let base = NewRequest {
        topic: Some(topic_requisiti()),
        subtopic: None,
        ..new_request()
    };
    when_creating(
        operator(),
        NewRequest {
            practice_check: Some(PracticeCheck::NotAssociated),
            ..base.clone()
        },
    )
    .then_err(RuleViolation::PracticeRefNotAssociated);
    let sent = when_creating(operator(), base).then_sent();
    assert_eq!(sent.practice_ref, Some(practice_ref()));
}

// --- text, notes, attachments -----------------------------------------------

#[test]
fn empty_text_is_refused() {
    let new = NewRequest {
        text: String::new(),
        ..new_request()
    };
    when_creating(operator(), new).then_err(RuleViolation::TextRequired);
}

#[test]
fn whitespace_text_is_refused() {
    let new = NewRequest {
        text: " \t\n\u{a0}\u{3000} ".to_string(),
        ..new_request()
    };
    when_creating(operator(), new).then_err(RuleViolation::TextRequired);
}

#[test]
fn text_length_is_counted_in_characters_not_bytes() {
    // "è" is two bytes in UTF-8: 4000 of them are 8000 bytes but 4000 characters.
    let at_limit = "è".repeat(MAX_TEXT_CHARS);
    assert_eq!(at_limit.len(), 2 * MAX_TEXT_CHARS);
    let sent = when_creating(
        operator(),
        NewRequest {
            text: format!("  {at_limit}\n"),
            ..new_request()
        },
    )
    .then_sent();
    assert_eq!(sent.text, at_limit, "stored trimmed");
}

#[test]
fn text_too_long_is_refused() {
    let new = NewRequest {
        text: "€".repeat(MAX_TEXT_CHARS + 1),
        ..new_request()
    };
    when_creating(operator(), new).then_err(RuleViolation::TextTooLong {
        max: MAX_TEXT_CHARS,
    });
}

#[test]
fn notes_too_long_are_refused() {
    let new = NewRequest {
        notes: Some("à".repeat(MAX_NOTES_CHARS + 1)),
        ..new_request()
    };
    when_creating(operator(), new).then_err(RuleViolation::NotesTooLong {
        max: MAX_NOTES_CHARS,
    });
}

#[test]
fn notes_at_the_limit_in_multibyte_letters_are_accepted() {
    let notes = "ü".repeat(MAX_NOTES_CHARS);
    let sent = when_creating(
        operator(),
        NewRequest {
            notes: Some(format!(" {notes} ")),
            ..new_request()
        },
    )
    .then_sent();
    assert_eq!(sent.notes, Some(notes));
}

#[test]
fn blank_notes_are_recorded_as_none() {
    let sent = when_creating(
        operator(),
        NewRequest {
            notes: Some("  \n ".to_string()),
            ..new_request()
        },
    )
    .then_sent();
    assert_eq!(sent.notes, None);
}

#[test]
fn too_many_attachments_are_refused() {
    let new = NewRequest {
        attachments: atts(1..=(MAX_ATTACHMENTS as u128 + 1)),
        ..new_request()
    };
    when_creating(operator(), new).then_err(RuleViolation::TooManyAttachments {
        max: MAX_ATTACHMENTS,
    });
}

#[test]
fn attachments_up_to_the_limit_are_accepted() {
    let new = NewRequest {
        attachments: atts(1..=(MAX_ATTACHMENTS as u128)),
        ..new_request()
    };
    let sent = when_creating(operator(), new).then_sent();
    assert_eq!(sent.attachments.len(), MAX_ATTACHMENTS);
}

// --- destination ---------------------------------------------------------------

#[test]
fn suggested_destination_is_used() {
    let sent = when_creating(operator(), new_request()).then_sent();
    assert_eq!(sent.destination, dest());
    assert_eq!(sent.routing, Routing::Suggested);
}

#[test]
fn override_to_an_active_sede_is_recorded_with_the_suggestion() {
    let new = NewRequest {
        chosen_destination: Some(SedeLookup::Active(other_sede())),
        ..new_request()
    };
    let accepted = when_creating(operator(), new).accepted();
    assert_eq!(accepted.destination(), &other_sede());
    let RequestEvent::RequestSent(sent) = accepted.into_event(protocol(), day(0)) else {
        panic!("not a RequestSent")
    };
    assert_eq!(sent.destination, other_sede());
    assert_eq!(
        sent.routing,
        Routing::Override {
            suggested: Some(dest())
        }
    );
}

#[test]
fn override_without_a_suggestion_is_recorded_as_override_of_nothing() {
    let new = NewRequest {
        suggested_destination: None,
        chosen_destination: Some(SedeLookup::Active(other_sede())),
        ..new_request()
    };
    let sent = when_creating(operator(), new).then_sent();
    assert_eq!(sent.destination, other_sede());
    assert_eq!(sent.routing, Routing::Override { suggested: None });
}

#[test]
fn override_equal_to_the_suggestion_is_recorded_as_suggested() {
    let new = NewRequest {
        chosen_destination: Some(SedeLookup::Active(dest())),
        ..new_request()
    };
    let sent = when_creating(operator(), new).then_sent();
    assert_eq!(sent.destination, dest());
    assert_eq!(sent.routing, Routing::Suggested);
}

#[test]
fn override_to_an_unknown_sede_is_refused() {
    let new = NewRequest {
        chosen_destination: Some(SedeLookup::Unknown),
        ..new_request()
    };
    when_creating(operator(), new).then_err(RuleViolation::DestinationUnknown);
}

#[test]
fn override_to_an_inactive_sede_is_refused() {
    let new = NewRequest {
        chosen_destination: Some(SedeLookup::Inactive(sede("5900"))),
        ..new_request()
    };
    when_creating(operator(), new).then_err(RuleViolation::DestinationInactive);
}

#[test]
fn override_to_an_inactive_sede_equal_to_the_suggestion_is_refused() {
    let new = NewRequest {
        chosen_destination: Some(SedeLookup::Inactive(dest())),
        ..new_request()
    };
    when_creating(operator(), new).then_err(RuleViolation::DestinationInactive);
}

#[test]
fn no_suggestion_and_no_choice_is_destination_missing() {
    let new = NewRequest {
        suggested_destination: None,
        chosen_destination: None,
        ..new_request()
    };
    when_creating(operator(), new).then_err(RuleViolation::DestinationMissing);
}

// --- the event -----------------------------------------------------------------

#[test]
fn event_carries_the_protocol_number_and_every_field() {
    let copied = RequestId(Uuid::from_u128(77));
    let new = NewRequest {
        text: format!("\n  {TEXT}  "),
        notes: Some("  Cittadino reperibile al mattino. ".to_string()),
        attachments: atts([1, 2]),
        chosen_destination: Some(SedeLookup::Active(third_sede())),
        copied_from: Some(copied),
        ..new_request()
    };
    let allocated = ProtocolNumber::new(&third_sede(), 2026, 1234);
    let at = utc(2026, 3, 2, 10, 31);
    let event = when_creating(operator(), new)
        .accepted()
        .into_event(allocated.clone(), at);
    assert_eq!(event.event_type(), "RequestSent");
    assert_eq!(event.at(), at);
    assert_eq!(
        event,
        RequestEvent::RequestSent(Box::new(RequestSent {
            request_id: request_id(),
            protocol: allocated,
            requester: Requester::Citizen(citizen()),
            mandate_declared: true,
            topic: code("sollecito_domanda"),
            topic_label: "Sollecito domanda già presentata".to_string(),
            subtopic: Some(code("naspi")),
            subtopic_label: Some("NASpI".to_string()),
            practice_ref: Some(practice_ref()),
            text: TEXT.to_string(),
            notes: Some("Cittadino reperibile al mattino.".to_string()),
            attachments: atts([1, 2]),
            by: uid("op-rossi"),
            by_role: PatronatoRole::Operator,
            patronato: PatronatoId::parse("INCA").unwrap(),
            office: OfficeId::parse("INCA-RM1").unwrap(),
            destination: third_sede(),
            routing: Routing::Override {
                suggested: Some(dest())
            },
            copied_from: Some(copied),
            at,
        }))
    );
    assert_eq!(
        ProtocolNumber::new(&third_sede(), 2026, 1234).as_str(),
        "INPS.5300.2026.0001234"
    );
}

#[test]
fn sent_request_starts_inoltrata_at_its_destination_awaiting_a_reply() {
    let state = given([sent(day(0))]).into_state();
    assert_eq!(state.version, 1);
    assert_eq!(state.id(), Some(request_id()));
    assert_eq!(state.status, Some(Status::Inoltrata));
    assert_eq!(state.current_sede, Some(dest()));
    assert_eq!(state.awaiting_reply_since, Some(day(0)));
    assert_eq!(state.sent_at(), Some(day(0)));
    assert!(!state.is_closed());
}
