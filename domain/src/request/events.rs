//! The facts of a request's life. Stored as JSON in the event log; never
//! rewritten (an older schema is upcast when read, see store/src/upcast.rs).

use super::rules::AppointmentGround;
use crate::actor::{PatronatoRole, Side};
use crate::booking::{BookingCode, BookingId, SlotRef};
use crate::codice_fiscale::CodiceFiscale;
use crate::ids::{
    AttachmentId, Cap, OfficeId, PatronatoId, PracticeRef, ProtocolNumber, RegionCode, RequestId,
    SedeCode, TopicCode, UserId,
};
use crate::personal::Personal;
use crate::time::Timestamp;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// For whom the request is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Requester {
    /// A citizen, identified in the registry; the operator declared the mandate.
    Citizen(CitizenRecord),
    /// A regional referent asking on their own behalf.
    OwnBehalf { region: RegionCode },
}

/// The citizen as identified in the registry when the request was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CitizenRecord {
    /// Erased with the citizen's key (crypto-shredding); so is the date.
    pub codice_fiscale: Personal<CodiceFiscale>,
    pub surname: String,
    pub name: String,
    pub birth_date: Personal<NaiveDate>,
    pub birth_place: Option<String>,
    pub cap: Cap,
}

/// How the destination sede was chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Routing {
    /// The sede the routing table suggested (CAP and topic, or the region's CRIC).
    Suggested,
    /// The operator chose another sede.
    Override { suggested: Option<SedeCode> },
}

/// A stored file attached to a request: content-addressed by SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentRef {
    pub id: AttachmentId,
    /// Lower-case hex SHA-256 of the content.
    pub sha256: String,
    /// Sanitised file name.
    pub filename: String,
    pub media_type: String,
    pub size: u64,
}

/// The request was composed and sent to a sede. Always the first event of a stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestSent {
    pub request_id: RequestId,
    pub protocol: ProtocolNumber,
    pub requester: Requester,
    pub mandate_declared: bool,
    pub topic: TopicCode,
    pub topic_label: String,
    pub subtopic: Option<TopicCode>,
    pub subtopic_label: Option<String>,
    pub practice_ref: Option<PracticeRef>,
    pub text: String,
    pub notes: Option<String>,
    pub attachments: Vec<AttachmentRef>,
    pub by: UserId,
    pub by_role: PatronatoRole,
    pub patronato: PatronatoId,
    pub office: OfficeId,
    pub destination: SedeCode,
    pub routing: Routing,
    pub copied_from: Option<RequestId>,
    pub at: Timestamp,
}

/// Every event of the request stream. `type` names the variant in the stored JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum RequestEvent {
    RequestSent(Box<RequestSent>),
    AttachmentAdded {
        attachment: AttachmentRef,
        by: UserId,
        side: Side,
        at: Timestamp,
    },
    AttachmentRemoved {
        attachment_id: AttachmentId,
        by: UserId,
        at: Timestamp,
    },
    TakenInCharge {
        by: UserId,
        sede: SedeCode,
        at: Timestamp,
    },
    ReplyReceived {
        by: UserId,
        sede: SedeCode,
        text: String,
        attachments: Vec<AttachmentRef>,
        at: Timestamp,
    },
    /// A follow-up from the patronato after a reply; `interaction` is 1 or 2.
    MessageSent {
        by: UserId,
        text: String,
        attachments: Vec<AttachmentRef>,
        interaction: u8,
        at: Timestamp,
    },
    /// A reminder; `number` counts the solleciti of this request from 1.
    SollecitoSent {
        by: UserId,
        number: u32,
        at: Timestamp,
    },
    ForwardedToSede {
        by: UserId,
        from: SedeCode,
        to: SedeCode,
        reason: String,
        at: Timestamp,
    },
    AppointmentEnabled {
        by: UserId,
        sede: SedeCode,
        at: Timestamp,
    },
    ConversationClosed {
        by: UserId,
        sede: SedeCode,
        note: Option<String>,
        at: Timestamp,
    },
    /// A patronato user booked an appointment for the request at a slot of
    /// the sede's "Servizi per i patronati" counter (SPEC §2.4). Appended in
    /// the same transaction as the slot's `SlotBooked` with the same booking.
    AppointmentBooked {
        booking_id: BookingId,
        code: BookingCode,
        slot: SlotRef,
        ground: AppointmentGround,
        by: UserId,
        at: Timestamp,
    },
    /// The appointment was cancelled (by the patronato or the sede); the
    /// slot's `SlotBookingCancelled` frees the slot in the same transaction.
    AppointmentCancelled {
        booking_id: BookingId,
        by: UserId,
        side: Side,
        reason: Option<String>,
        at: Timestamp,
    },
}

impl RequestEvent {
    /// The name stored in the log's `event_type` column.
    pub fn event_type(&self) -> &'static str {
        match self {
            RequestEvent::RequestSent(_) => "RequestSent",
            RequestEvent::AttachmentAdded { .. } => "AttachmentAdded",
            RequestEvent::AttachmentRemoved { .. } => "AttachmentRemoved",
            RequestEvent::TakenInCharge { .. } => "TakenInCharge",
            RequestEvent::ReplyReceived { .. } => "ReplyReceived",
            RequestEvent::MessageSent { .. } => "MessageSent",
            RequestEvent::SollecitoSent { .. } => "SollecitoSent",
            RequestEvent::ForwardedToSede { .. } => "ForwardedToSede",
            RequestEvent::AppointmentEnabled { .. } => "AppointmentEnabled",
            RequestEvent::ConversationClosed { .. } => "ConversationClosed",
            RequestEvent::AppointmentBooked { .. } => "AppointmentBooked",
            RequestEvent::AppointmentCancelled { .. } => "AppointmentCancelled",
        }
    }

    /// Every `event_type` of this enum: readers skip types not listed here
    /// (another aggregate's, or a later version's). A test keeps it complete.
    pub const TYPES: &'static [&'static str] = &[
        "RequestSent",
        "AttachmentAdded",
        "AttachmentRemoved",
        "TakenInCharge",
        "ReplyReceived",
        "MessageSent",
        "SollecitoSent",
        "ForwardedToSede",
        "AppointmentEnabled",
        "ConversationClosed",
        "AppointmentBooked",
        "AppointmentCancelled",
    ];

    /// The current schema version of every request event type.
    pub const SCHEMA_VERSION: i16 = 1;

    pub fn at(&self) -> Timestamp {
        match self {
            RequestEvent::RequestSent(e) => e.at,
            RequestEvent::AttachmentAdded { at, .. }
            | RequestEvent::AttachmentRemoved { at, .. }
            | RequestEvent::TakenInCharge { at, .. }
            | RequestEvent::ReplyReceived { at, .. }
            | RequestEvent::MessageSent { at, .. }
            | RequestEvent::SollecitoSent { at, .. }
            | RequestEvent::ForwardedToSede { at, .. }
            | RequestEvent::AppointmentEnabled { at, .. }
            | RequestEvent::ConversationClosed { at, .. }
            | RequestEvent::AppointmentBooked { at, .. }
            | RequestEvent::AppointmentCancelled { at, .. } => *at,
        }
    }
}
