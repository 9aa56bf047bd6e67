//! What the caller may do next on a request, decided by the same checks as
//! the commands (`rules/`): each action with "allowed now", or the reason
//! and, where time will allow it, from when.

use super::rules::MAX_FURTHER_INTERACTIONS;
use super::state::Request;
use super::violation::RuleViolation;
use crate::actor::{Actor, Side};
use crate::time::Timestamp;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    AddAttachment,
    RemoveAttachment,
    SendMessage,
    SendSollecito,
    BookAppointment,
    TakeInCharge,
    Reply,
    Forward,
    EnableAppointment,
    Close,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionAvailability {
    pub action: Action,
    pub allowed: bool,
    /// The rule's code when not allowed.
    pub code: Option<&'static str>,
    /// Italian explanation: why not, or a note such as "interazioni residue: 1 di 2".
    pub message: Option<String>,
    /// When waiting will make it allowed.
    pub available_from: Option<Timestamp>,
}

impl ActionAvailability {
    fn from_check(action: Action, check: Result<(), RuleViolation>) -> Self {
        match check {
            Ok(()) => Self {
                action,
                allowed: true,
                code: None,
                message: None,
                available_from: None,
            },
            Err(v) => Self {
                action,
                allowed: false,
                code: Some(v.code()),
                message: Some(v.to_string()),
                available_from: v.available_from(),
            },
        }
    }

    fn with_note(mut self, note: String) -> Self {
        if self.allowed {
            self.message = Some(note);
        }
        self
    }
}

impl Request {
    /// The actions of the caller's side of the conversation. Empty for callers
    /// who cannot see the request or who only read (auditors).
    pub fn available_actions(&self, actor: &Actor, now: Timestamp) -> Vec<ActionAvailability> {
        use ActionAvailability as A;
        if !self.visible_to(actor) {
            return vec![];
        }
        let interactions_note = format!(
            "interazioni residue: {} di {}",
            self.interactions_left(),
            MAX_FURTHER_INTERACTIONS
        );
        match actor {
            Actor::Patronato(_) => vec![
                A::from_check(Action::AddAttachment, self.check_add_attachments(1)),
                A::from_check(Action::RemoveAttachment, self.check_any_removable()),
                A::from_check(Action::SendMessage, self.check_send_message().map(|_| ()))
                    .with_note(interactions_note),
                A::from_check(Action::SendSollecito, self.check_sollecito(now)),
                self.book_appointment_availability(now),
            ],
            Actor::Sede(_) => vec![
                A::from_check(Action::TakeInCharge, self.check_take_in_charge()),
                A::from_check(Action::Reply, self.check_reply()),
                A::from_check(Action::Forward, self.check_open()),
                A::from_check(Action::EnableAppointment, self.check_enable_appointment()),
                A::from_check(Action::Close, self.check_open()),
            ],
            _ => vec![],
        }
    }

    fn check_any_removable(&self) -> Result<(), RuleViolation> {
        self.check_open()?;
        let mut held = self.attachments.iter().filter(|a| !a.removed).peekable();
        if held.peek().is_none() {
            return Err(RuleViolation::AttachmentNotFound);
        }
        if held.any(|a| {
            a.side == Side::Patronato && a.added_in_version > self.last_sede_action_version
        }) {
            Ok(())
        } else {
            Err(RuleViolation::AttachmentNotRemovable)
        }
    }

    fn book_appointment_availability(&self, now: Timestamp) -> ActionAvailability {
        ActionAvailability::from_check(
            Action::BookAppointment,
            self.check_book_appointment(now).map(|_| ()),
        )
    }
}
