//! Every rule of the request lifecycle (SPEC §2.1–2.4, §2.8). Each `check_*`
//! answers "may this happen now?" and is shared by `decide` and by the list of
//! available actions, so the detail page and the command never disagree.

use super::command::{
    AcceptedRequest, NewRequest, PracticeCheck, RequestCommand, RequesterInput, SedeLookup,
};
use super::events::{AttachmentRef, RequestEvent, RequestSent, Requester, Routing};
use super::state::Request;
use super::violation::RuleViolation;
use crate::actor::{Actor, PatronatoRole, PatronatoUser, Side};
use crate::booking::PATRONATI_COUNTER;
use crate::ids::{AttachmentId, ProtocolNumber};
use crate::time::{standard_response_time, Timestamp};
use crate::topic::TopicAudience;

pub const MAX_TEXT_CHARS: usize = 4000;
pub const MAX_NOTES_CHARS: usize = 2000;
pub const MAX_REASON_CHARS: usize = 1000;
/// Attachments a request may hold at once (removed ones do not count).
pub const MAX_ATTACHMENTS: usize = 10;
/// Follow-up messages allowed after the first reply.
pub const MAX_FURTHER_INTERACTIONS: u8 = 2;

/// Why an appointment may be booked on a request (SPEC §2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentGround {
    /// Sent more than 15 days ago and never answered.
    NoReplyWithinStandard,
    /// The sede enabled booking.
    EnabledBySede,
    /// Closed by the sede, or the further interactions are used up.
    ConversationOver,
}

fn required_text(text: &str, max: usize) -> Result<String, RuleViolation> {
    let t = text.trim();
    if t.is_empty() {
        return Err(RuleViolation::TextRequired);
    }
    if t.chars().count() > max {
        return Err(RuleViolation::TextTooLong { max });
    }
    Ok(t.to_string())
}

fn optional_notes(notes: Option<&str>, max: usize) -> Result<Option<String>, RuleViolation> {
    match notes.map(str::trim).filter(|n| !n.is_empty()) {
        None => Ok(None),
        Some(n) if n.chars().count() > max => Err(RuleViolation::NotesTooLong { max }),
        Some(n) => Ok(Some(n.to_string())),
    }
}

fn required_reason(reason: &str) -> Result<String, RuleViolation> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(RuleViolation::ReasonRequired);
    }
    if r.chars().count() > MAX_REASON_CHARS {
        return Err(RuleViolation::ReasonTooLong {
            max: MAX_REASON_CHARS,
        });
    }
    Ok(r.to_string())
}

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

impl Request {
    /// Scope (SPEC §1): operators and referents see their office's requests,
    /// administrators their patronato's, officers their sede's inbox, auditors all.
    pub fn visible_to(&self, actor: &Actor) -> bool {
        let Some(sent) = &self.sent else { return false };
        match actor {
            Actor::Patronato(u) => {
                sent.patronato == u.patronato
                    && (u.role == PatronatoRole::Admin || sent.office == u.office)
            }
            Actor::Sede(o) => self.current_sede.as_ref() == Some(&o.sede),
            Actor::Auditor { .. } => true,
            Actor::Analyst { .. } | Actor::Citizen { .. } | Actor::SystemAdmin { .. } => false,
        }
    }

    /// Decides a command. Invisible or missing requests are `NotFound`, so an
    /// out-of-scope caller learns nothing.
    pub fn decide(
        &self,
        actor: &Actor,
        command: RequestCommand,
        now: Timestamp,
    ) -> Result<Vec<RequestEvent>, RuleViolation> {
        if !self.visible_to(actor) {
            return Err(RuleViolation::NotFound);
        }
        let by = actor.id().clone();
        let event = match command {
            RequestCommand::AddAttachment { attachment } => {
                self.patronato_side(actor)?;
                self.check_add_attachments(1)?;
                RequestEvent::AttachmentAdded {
                    attachment,
                    by,
                    side: Side::Patronato,
                    at: now,
                }
            }
            RequestCommand::RemoveAttachment { attachment_id } => {
                self.check_remove_attachment(actor, attachment_id)?;
                RequestEvent::AttachmentRemoved {
                    attachment_id,
                    by,
                    at: now,
                }
            }
            RequestCommand::TakeInCharge => {
                let sede = self.sede_side(actor)?;
                self.check_take_in_charge()?;
                RequestEvent::TakenInCharge { by, sede, at: now }
            }
            RequestCommand::Reply { text, attachments } => {
                let sede = self.sede_side(actor)?;
                self.check_reply()?;
                let text = required_text(&text, MAX_TEXT_CHARS)?;
                self.check_add_attachments(attachments.len())?;
                RequestEvent::ReplyReceived {
                    by,
                    sede,
                    text,
                    attachments,
                    at: now,
                }
            }
            RequestCommand::SendMessage { text, attachments } => {
                self.patronato_side(actor)?;
                let interaction = self.check_send_message()?;
                let text = required_text(&text, MAX_TEXT_CHARS)?;
                self.check_add_attachments(attachments.len())?;
                RequestEvent::MessageSent {
                    by,
                    text,
                    attachments,
                    interaction,
                    at: now,
                }
            }
            RequestCommand::SendSollecito => {
                self.patronato_side(actor)?;
                self.check_sollecito(now)?;
                RequestEvent::SollecitoSent {
                    by,
                    number: self.solleciti + 1,
                    at: now,
                }
            }
            RequestCommand::Forward { to, reason } => {
                let from = self.sede_side(actor)?;
                self.check_open()?;
                let to = match to {
                    SedeLookup::Unknown => return Err(RuleViolation::DestinationUnknown),
                    SedeLookup::Inactive(_) => return Err(RuleViolation::DestinationInactive),
                    SedeLookup::Active(to) if to == from => {
                        return Err(RuleViolation::ForwardToSameSede)
                    }
                    SedeLookup::Active(to) => to,
                };
                let reason = required_reason(&reason)?;
                RequestEvent::ForwardedToSede {
                    by,
                    from,
                    to,
                    reason,
                    at: now,
                }
            }
            RequestCommand::EnableAppointment => {
                let sede = self.sede_side(actor)?;
                self.check_enable_appointment()?;
                RequestEvent::AppointmentEnabled { by, sede, at: now }
            }
            RequestCommand::Close { note } => {
                let sede = self.sede_side(actor)?;
                self.check_open()?;
                let note = match note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                    Some(n) if n.chars().count() > MAX_REASON_CHARS => {
                        return Err(RuleViolation::NotesTooLong {
                            max: MAX_REASON_CHARS,
                        })
                    }
                    n => n.map(str::to_string),
                };
                RequestEvent::ConversationClosed {
                    by,
                    sede,
                    note,
                    at: now,
                }
            }
            RequestCommand::BookAppointment {
                booking_id,
                code,
                slot,
            } => {
                self.patronato_side(actor)?;
                let ground = self.check_book_appointment(now)?;
                if Some(&slot.sede) != self.current_sede.as_ref()
                    || slot.counter.as_str() != PATRONATI_COUNTER
                {
                    return Err(RuleViolation::AppointmentWrongCounter);
                }
                if slot.start <= now {
                    return Err(RuleViolation::AppointmentSlotInPast);
                }
                RequestEvent::AppointmentBooked {
                    booking_id,
                    code,
                    slot,
                    ground,
                    by,
                    at: now,
                }
            }
            RequestCommand::CancelAppointment { reason } => {
                let side = match actor {
                    Actor::Patronato(_) => Side::Patronato,
                    Actor::Sede(_) => Side::Sede,
                    _ => return Err(RuleViolation::NotAllowedForRole),
                };
                let appointment = self
                    .appointment
                    .as_ref()
                    .ok_or(RuleViolation::NoAppointment)?;
                if appointment.slot.start <= now {
                    return Err(RuleViolation::AppointmentNotCancellable);
                }
                let reason = match reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
                    Some(r) if r.chars().count() > MAX_REASON_CHARS => {
                        return Err(RuleViolation::ReasonTooLong {
                            max: MAX_REASON_CHARS,
                        })
                    }
                    r => r.map(str::to_string),
                };
                RequestEvent::AppointmentCancelled {
                    booking_id: appointment.booking_id,
                    by,
                    side,
                    reason,
                    at: now,
                }
            }
        };
        Ok(vec![event])
    }

    fn patronato_side(&self, actor: &Actor) -> Result<(), RuleViolation> {
        match actor {
            Actor::Patronato(_) => Ok(()),
            _ => Err(RuleViolation::NotAllowedForRole),
        }
    }

    fn sede_side(&self, actor: &Actor) -> Result<crate::ids::SedeCode, RuleViolation> {
        match actor {
            Actor::Sede(o) => Ok(o.sede.clone()),
            _ => Err(RuleViolation::NotAllowedForRole),
        }
    }

    pub(crate) fn check_open(&self) -> Result<(), RuleViolation> {
        if self.is_closed() {
            Err(RuleViolation::Closed)
        } else {
            Ok(())
        }
    }

    pub(crate) fn check_add_attachments(&self, adding: usize) -> Result<(), RuleViolation> {
        self.check_open()?;
        let held = self.attachments.iter().filter(|a| !a.removed).count();
        if adding > 0 && held + adding > MAX_ATTACHMENTS {
            return Err(RuleViolation::TooManyAttachments {
                max: MAX_ATTACHMENTS,
            });
        }
        Ok(())
    }

    /// Whether `actor` may remove this attachment now (decision R6): a
    /// patronato attachment the sede has not acted after. The detail asks it
    /// of each attachment, the command of the one it removes.
    pub fn check_remove_attachment(
        &self,
        actor: &Actor,
        attachment_id: AttachmentId,
    ) -> Result<(), RuleViolation> {
        if !self.visible_to(actor) {
            return Err(RuleViolation::NotFound);
        }
        self.patronato_side(actor)?;
        self.check_open()?;
        let held = self
            .attachments
            .iter()
            .find(|a| a.attachment.id == attachment_id && !a.removed)
            .ok_or(RuleViolation::AttachmentNotFound)?;
        if held.side != Side::Patronato || held.added_in_version <= self.last_sede_action_version {
            return Err(RuleViolation::AttachmentNotRemovable);
        }
        Ok(())
    }

    pub(crate) fn check_take_in_charge(&self) -> Result<(), RuleViolation> {
        self.check_open()?;
        if self.in_charge_by.is_some() {
            return Err(RuleViolation::AlreadyInCharge);
        }
        Ok(())
    }

    pub(crate) fn check_reply(&self) -> Result<(), RuleViolation> {
        self.check_open()?;
        if self.awaiting_reply_since.is_none() {
            return Err(RuleViolation::NothingToReply);
        }
        Ok(())
    }

    /// The follow-up rule: only after the sede answered the previous
    /// communication, and at most 2 after the first reply. Returns the number
    /// the new interaction would get.
    pub(crate) fn check_send_message(&self) -> Result<u8, RuleViolation> {
        self.check_open()?;
        if self.replies == 0 {
            return Err(RuleViolation::NoReplyYet);
        }
        if self.awaiting_reply_since.is_some() {
            return Err(RuleViolation::AwaitingSedeReply);
        }
        if self.interactions_used >= MAX_FURTHER_INTERACTIONS {
            return Err(RuleViolation::InteractionsExhausted {
                max: MAX_FURTHER_INTERACTIONS,
            });
        }
        Ok(self.interactions_used + 1)
    }

    /// The first instant a sollecito is allowed: 15 days after the
    /// patronato's last communication still awaiting an answer (the request,
    /// or a follow-up the sede has not answered), and 15 days after the
    /// previous sollecito. `None` when nothing awaits an answer. A follow-up
    /// the sede never answers thus leaves a way forward (decision in
    /// docs/decisions.md: a conversation never stalls).
    pub fn sollecito_available_from(&self) -> Option<Timestamp> {
        let waiting = self.awaiting_reply_since?;
        let after_wait = waiting + standard_response_time();
        Some(match self.last_sollecito_at {
            Some(prev) => after_wait.max(prev + standard_response_time()),
            None => after_wait,
        })
    }

    pub(crate) fn check_sollecito(&self, now: Timestamp) -> Result<(), RuleViolation> {
        self.check_open()?;
        match self.sollecito_available_from() {
            None => Err(RuleViolation::SollecitoAfterReply),
            Some(from) if now < from => Err(RuleViolation::SollecitoTooEarly {
                available_from: from,
            }),
            Some(_) => Ok(()),
        }
    }

    pub(crate) fn check_enable_appointment(&self) -> Result<(), RuleViolation> {
        self.check_open()?;
        if self.appointment_enabled {
            return Err(RuleViolation::AppointmentAlreadyEnabled);
        }
        Ok(())
    }

    /// Whether an appointment may be booked now, and on which ground
    /// (the first that applies). `Err` carries, when waiting would help, the
    /// instant the 15-day ground opens.
    ///
    /// - (a) the patronato's last communication has awaited an answer for
    ///   *more than* 15 days (manual §3.3: "da più di 15 giorni"): from the
    ///   first whole minute after the 15 × 24 h;
    /// - (b) the sede enabled it;
    /// - (c) the conversation cannot continue: closed, or the 2 further
    ///   interactions used up *and answered* (while the sede can still answer
    ///   the last follow-up, the conversation goes on).
    pub fn appointment_ground(
        &self,
        now: Timestamp,
    ) -> Result<AppointmentGround, Option<Timestamp>> {
        let follow_ups_over = self.interactions_used >= MAX_FURTHER_INTERACTIONS
            && self.awaiting_reply_since.is_none();
        if self.is_closed() || follow_ups_over {
            return Ok(AppointmentGround::ConversationOver);
        }
        if self.appointment_enabled {
            return Ok(AppointmentGround::EnabledBySede);
        }
        let Some(waiting) = self.awaiting_reply_since else {
            return Err(None);
        };
        let opens = first_minute_after(waiting + standard_response_time());
        if now >= opens {
            Ok(AppointmentGround::NoReplyWithinStandard)
        } else {
            Err(Some(opens))
        }
    }

    /// Whether the patronato may book an appointment now (SPEC §2.4): one of
    /// the three grounds holds and no appointment is pending (a past one does
    /// not count). Returns the ground the booking will record.
    pub fn check_book_appointment(
        &self,
        now: Timestamp,
    ) -> Result<AppointmentGround, RuleViolation> {
        if self.appointment.as_ref().is_some_and(|a| now < a.slot.end) {
            return Err(RuleViolation::AppointmentAlreadyBooked);
        }
        self.appointment_ground(now)
            .map_err(|available_from| RuleViolation::AppointmentNotEligible { available_from })
    }

    /// Follow-up messages still allowed after the first reply.
    pub fn interactions_left(&self) -> u8 {
        MAX_FURTHER_INTERACTIONS.saturating_sub(self.interactions_used)
    }

    /// Attachments still held (not removed).
    pub fn held_attachments(&self) -> impl Iterator<Item = &AttachmentRef> {
        self.attachments
            .iter()
            .filter(|a| !a.removed)
            .map(|a| &a.attachment)
    }
}

/// The first whole minute strictly after `t`: "more than 15 days" as the
/// screens show time, to the minute.
fn first_minute_after(t: Timestamp) -> Timestamp {
    use chrono::{DurationRound, TimeDelta};
    let minute = TimeDelta::minutes(1);
    t.duration_trunc(minute).unwrap_or(t) + minute
}
