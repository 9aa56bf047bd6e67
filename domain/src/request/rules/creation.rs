//! The creation rules (SPEC §2.1–2.3): who may send what, for whom, where.

use super::*;

/// Checks a new request against every creation rule (§2.1–2.3).
pub fn accept_new_request(
    actor: &Actor,
    new: NewRequest,
) -> Result<AcceptedRequest, RuleViolation> {
    let user = actor
        .patronato_user()
        .ok_or(RuleViolation::NotAllowedForRole)?
        .clone();
    let is_referent = user.role == PatronatoRole::RegionalReferent;

    let requester = match (&new.requester, is_referent) {
        (RequesterInput::Citizen(_), true) => return Err(RuleViolation::OwnBehalfOnly),
        (RequesterInput::OwnBehalf, false) => return Err(RuleViolation::CitizenRequired),
        (RequesterInput::OwnBehalf, true) => Requester::OwnBehalf {
            region: user
                .region
                .clone()
                .ok_or(RuleViolation::NotAllowedForRole)?,
        },
        (RequesterInput::Citizen(c), false) => {
            if !new.mandate_declared {
                return Err(RuleViolation::MandateNotDeclared);
            }
            Requester::Citizen(c.clone())
        }
    };

    let topic = new.topic.clone().ok_or(RuleViolation::TopicUnknown)?;
    let audience_ok = match topic.audience {
        TopicAudience::Both => true,
        TopicAudience::Operator => !is_referent,
        TopicAudience::RegionalReferent => is_referent,
    };
    if !audience_ok {
        return Err(RuleViolation::TopicNotAllowedForRole);
    }
    if let Some(sub) = &new.subtopic {
        if topic.subtopic(sub).is_none() {
            return Err(RuleViolation::SubtopicUnknown);
        }
    }

    match (&new.practice_ref, new.practice_check) {
        (None, _) if topic.requires_practice_ref => return Err(RuleViolation::PracticeRefRequired),
        (None, _) => {}
        (Some(_), Some(PracticeCheck::Associated)) => {}
        (Some(_), Some(PracticeCheck::PatronatoNotEnabled)) => {
            return Err(RuleViolation::PracticeNotEnabled)
        }
        // Not associated, or not looked up: never send an unverified reference.
        (Some(_), Some(PracticeCheck::NotAssociated) | None) => {
            return Err(RuleViolation::PracticeRefNotAssociated)
        }
    }

    required_text(&new.text, MAX_TEXT_CHARS)?;
    optional_notes(new.notes.as_deref(), MAX_NOTES_CHARS)?;
    if new.attachments.len() > MAX_ATTACHMENTS {
        return Err(RuleViolation::TooManyAttachments {
            max: MAX_ATTACHMENTS,
        });
    }

    let (destination, routing) = match (&new.chosen_destination, &new.suggested_destination) {
        (Some(SedeLookup::Unknown), _) => return Err(RuleViolation::DestinationUnknown),
        (Some(SedeLookup::Inactive(_)), _) => return Err(RuleViolation::DestinationInactive),
        (Some(SedeLookup::Active(chosen)), suggested) if suggested.as_ref() != Some(chosen) => (
            chosen.clone(),
            Routing::Override {
                suggested: suggested.clone(),
            },
        ),
        (_, Some(suggested)) => (suggested.clone(), Routing::Suggested),
        (_, None) => return Err(RuleViolation::DestinationMissing),
    };

    Ok(AcceptedRequest {
        new,
        destination,
        routing,
        requester,
        topic,
        actor: user,
    })
}

impl AcceptedRequest {
    /// The first event of the stream, once the protocol number is allocated.
    pub fn into_event(self, protocol: ProtocolNumber, now: Timestamp) -> RequestEvent {
        let AcceptedRequest {
            new,
            destination,
            routing,
            requester,
            topic,
            actor,
        } = self;
        let subtopic_label = new
            .subtopic
            .as_ref()
            .and_then(|s| topic.subtopic(s))
            .map(|s| s.label.clone());
        let PatronatoUser {
            id,
            role,
            patronato,
            office,
            ..
        } = actor;
        RequestEvent::RequestSent(Box::new(RequestSent {
            request_id: new.id,
            protocol,
            requester,
            mandate_declared: new.mandate_declared,
            topic: topic.code.clone(),
            topic_label: topic.label.clone(),
            subtopic: new.subtopic,
            subtopic_label,
            practice_ref: new.practice_ref,
            text: new.text.trim().to_string(),
            notes: new
                .notes
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_string),
            attachments: new.attachments,
            by: id,
            by_role: role,
            patronato,
            office,
            destination,
            routing,
            copied_from: new.copied_from,
            at: now,
        }))
    }
}
