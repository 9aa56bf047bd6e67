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

mod checks;
mod creation;

pub use creation::accept_new_request;

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

pub(super) fn required_text(text: &str, max: usize) -> Result<String, RuleViolation> {
    let t = text.trim();
    if t.is_empty() {
        return Err(RuleViolation::TextRequired);
    }
    if t.chars().count() > max {
        return Err(RuleViolation::TextTooLong { max });
    }
    Ok(t.to_string())
}

pub(super) fn optional_notes(
    notes: Option<&str>,
    max: usize,
) -> Result<Option<String>, RuleViolation> {
    match notes.map(str::trim).filter(|n| !n.is_empty()) {
        None => Ok(None),
        Some(n) if n.chars().count() > max => Err(RuleViolation::NotesTooLong { max }),
        Some(n) => Ok(Some(n.to_string())),
    }
}

pub(super) fn required_reason(reason: &str) -> Result<String, RuleViolation> {
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
}
