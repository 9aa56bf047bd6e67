//! What a caller asks of a request, with the outside facts the handler looked up.

use super::events::{AttachmentRef, CitizenRecord};
use crate::booking::{BookingCode, BookingId, SlotRef};
use crate::ids::{AttachmentId, PracticeRef, RequestId, SedeCode, TopicCode};
use crate::topic::Topic;

/// What the sede registry said about a sede code the caller chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SedeLookup {
    Active(SedeCode),
    Inactive(SedeCode),
    Unknown,
}

/// What the practice registry said about the reference given for the citizen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PracticeCheck {
    /// The reference belongs to the citizen and the patronato may ask about it.
    Associated,
    /// The reference is not associated with the citizen's codice fiscale (fig. 10).
    NotAssociated,
    /// A pension on which the patronato holds no mandate (fig. 11).
    PatronatoNotEnabled,
}

/// For whom a new request is made, as identified by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequesterInput {
    Citizen(CitizenRecord),
    OwnBehalf,
}

/// A new request, with every outside fact already looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRequest {
    pub id: RequestId,
    pub requester: RequesterInput,
    pub mandate_declared: bool,
    /// `None` when the topic code is not in the catalogue.
    pub topic: Option<Topic>,
    pub subtopic: Option<TopicCode>,
    pub practice_ref: Option<PracticeRef>,
    /// The registry's answer for `practice_ref` (looked up only when one is given).
    pub practice_check: Option<PracticeCheck>,
    pub text: String,
    pub notes: Option<String>,
    pub attachments: Vec<AttachmentRef>,
    /// What routing suggested (CAP and topic, or the region's CRIC).
    pub suggested_destination: Option<SedeCode>,
    /// The sede the operator chose instead, if any.
    pub chosen_destination: Option<SedeLookup>,
    pub copied_from: Option<RequestId>,
}

/// A new request that passed every rule; it needs only its protocol number,
/// allocated for `destination` in the same transaction as the append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedRequest {
    pub(crate) new: NewRequest,
    pub(crate) destination: SedeCode,
    pub(crate) routing: super::events::Routing,
    pub(crate) requester: super::events::Requester,
    pub(crate) topic: Topic,
    pub(crate) actor: crate::actor::PatronatoUser,
}

impl AcceptedRequest {
    pub fn destination(&self) -> &SedeCode {
        &self.destination
    }

    pub fn requester(&self) -> &super::events::Requester {
        &self.requester
    }
}

/// Commands on an existing request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestCommand {
    AddAttachment {
        attachment: AttachmentRef,
    },
    RemoveAttachment {
        attachment_id: AttachmentId,
    },
    TakeInCharge,
    Reply {
        text: String,
        attachments: Vec<AttachmentRef>,
    },
    SendMessage {
        text: String,
        attachments: Vec<AttachmentRef>,
    },
    SendSollecito,
    Forward {
        to: SedeLookup,
        reason: String,
    },
    EnableAppointment,
    Close {
        note: Option<String>,
    },
    /// Book an appointment for the request at `slot` (a slot the counter's
    /// calendar offers, checked by the caller; the slot's own stream decides
    /// whether it is free).
    BookAppointment {
        booking_id: BookingId,
        code: BookingCode,
        slot: SlotRef,
    },
    CancelAppointment {
        reason: Option<String>,
    },
}

impl RequestCommand {
    /// The name used in metrics and logs.
    pub fn name(&self) -> &'static str {
        match self {
            RequestCommand::AddAttachment { .. } => "add_attachment",
            RequestCommand::RemoveAttachment { .. } => "remove_attachment",
            RequestCommand::TakeInCharge => "take_in_charge",
            RequestCommand::Reply { .. } => "reply",
            RequestCommand::SendMessage { .. } => "send_message",
            RequestCommand::SendSollecito => "send_sollecito",
            RequestCommand::Forward { .. } => "forward",
            RequestCommand::EnableAppointment => "enable_appointment",
            RequestCommand::Close { .. } => "close",
            RequestCommand::BookAppointment { .. } => "book_appointment",
            RequestCommand::CancelAppointment { .. } => "cancel_appointment",
        }
    }
}
