//! The request's state, rebuilt by folding its events. `apply` only records
//! facts; every decision is in `rules/`.

use super::events::{AttachmentRef, RequestEvent, RequestSent};
use super::rules::AppointmentGround;
use super::status::{Status, StatusLine};
use crate::actor::Side;
use crate::booking::{BookingCode, BookingId, SlotRef};
use crate::ids::{RequestId, SedeCode, UserId};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// An attachment as the request holds it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldAttachment {
    pub attachment: AttachmentRef,
    pub side: Side,
    pub added_by: UserId,
    pub added_at: Timestamp,
    /// The stream version of the event that added it.
    pub added_in_version: u64,
    pub removed: bool,
}

/// The appointment booked on a request and not cancelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestAppointment {
    pub booking_id: BookingId,
    pub code: BookingCode,
    pub slot: SlotRef,
    pub ground: AppointmentGround,
    pub by: UserId,
    pub booked_at: Timestamp,
}

/// The request aggregate. `Request::default()` is the empty stream.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// Number of events applied (the stream version).
    pub version: u64,
    pub sent: Option<Box<RequestSent>>,
    pub status: Option<Status>,
    pub current_sede: Option<SedeCode>,
    pub in_charge_by: Option<UserId>,
    pub attachments: Vec<HeldAttachment>,
    pub first_reply_at: Option<Timestamp>,
    pub last_reply_at: Option<Timestamp>,
    pub replies: u32,
    /// Set while the latest patronato communication (the request or a
    /// follow-up) has no reply: the instant it was sent.
    pub awaiting_reply_since: Option<Timestamp>,
    /// Follow-up messages sent after the first reply (at most 2).
    pub interactions_used: u8,
    pub solleciti: u32,
    pub last_sollecito_at: Option<Timestamp>,
    pub appointment_enabled: bool,
    pub closed_at: Option<Timestamp>,
    /// Version of the latest event by the sede (take in charge, reply,
    /// forward, enable appointment, close).
    pub last_sede_action_version: u64,
    pub forwards: u32,
    /// The appointment booked and not cancelled (SPEC §2.4), past or future.
    #[serde(default)]
    pub appointment: Option<RequestAppointment>,
    /// Appointments ever booked on the request.
    #[serde(default)]
    pub appointments_booked: u32,
    /// The status the request had when the appointment was booked: it comes
    /// back when the appointment is cancelled (unless another event changed
    /// the status meanwhile).
    #[serde(default)]
    pub status_before_appointment: Option<Status>,
}

impl Request {
    pub fn id(&self) -> Option<RequestId> {
        self.sent.as_ref().map(|s| s.request_id)
    }

    pub fn exists(&self) -> bool {
        self.sent.is_some()
    }

    pub fn is_closed(&self) -> bool {
        self.closed_at.is_some()
    }

    pub fn sent_at(&self) -> Option<Timestamp> {
        self.sent.as_ref().map(|s| s.at)
    }

    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a RequestEvent>) -> Request {
        events.into_iter().fold(Request::default(), Request::apply)
    }

    /// Records one event. Total: every event is accepted as the fact it is.
    pub fn apply(mut self, event: &RequestEvent) -> Request {
        self.version += 1;
        let v = self.version;
        let line = self.status_line().apply(event);
        self.status = line.status;
        self.status_before_appointment = line.before_appointment;
        match event {
            RequestEvent::RequestSent(sent) => {
                self.current_sede = Some(sent.destination.clone());
                self.awaiting_reply_since = Some(sent.at);
                self.attachments = sent
                    .attachments
                    .iter()
                    .map(|a| HeldAttachment {
                        attachment: a.clone(),
                        side: Side::Patronato,
                        added_by: sent.by.clone(),
                        added_at: sent.at,
                        added_in_version: v,
                        removed: false,
                    })
                    .collect();
                self.sent = Some(sent.clone());
            }
            RequestEvent::AttachmentAdded {
                attachment,
                by,
                side,
                at,
            } => self.attachments.push(HeldAttachment {
                attachment: attachment.clone(),
                side: *side,
                added_by: by.clone(),
                added_at: *at,
                added_in_version: v,
                removed: false,
            }),
            RequestEvent::AttachmentRemoved { attachment_id, .. } => {
                if let Some(a) = self
                    .attachments
                    .iter_mut()
                    .find(|a| a.attachment.id == *attachment_id && !a.removed)
                {
                    a.removed = true;
                }
            }
            RequestEvent::TakenInCharge { by, .. } => {
                self.in_charge_by = Some(by.clone());
                self.last_sede_action_version = v;
            }
            RequestEvent::ReplyReceived {
                by,
                attachments,
                at,
                ..
            } => {
                self.first_reply_at.get_or_insert(*at);
                self.last_reply_at = Some(*at);
                self.replies += 1;
                self.awaiting_reply_since = None;
                self.last_sede_action_version = v;
                for a in attachments {
                    self.attachments.push(HeldAttachment {
                        attachment: a.clone(),
                        side: Side::Sede,
                        added_by: by.clone(),
                        added_at: *at,
                        added_in_version: v,
                        removed: false,
                    });
                }
            }
            RequestEvent::MessageSent {
                by,
                attachments,
                interaction,
                at,
                ..
            } => {
                self.interactions_used = *interaction;
                self.awaiting_reply_since = Some(*at);
                for a in attachments {
                    self.attachments.push(HeldAttachment {
                        attachment: a.clone(),
                        side: Side::Patronato,
                        added_by: by.clone(),
                        added_at: *at,
                        added_in_version: v,
                        removed: false,
                    });
                }
            }
            RequestEvent::SollecitoSent { number, at, .. } => {
                self.solleciti = *number;
                self.last_sollecito_at = Some(*at);
            }
            RequestEvent::ForwardedToSede { to, .. } => {
                self.current_sede = Some(to.clone());
                self.in_charge_by = None;
                self.forwards += 1;
                self.last_sede_action_version = v;
            }
            RequestEvent::AppointmentEnabled { .. } => {
                self.appointment_enabled = true;
                self.last_sede_action_version = v;
            }
            RequestEvent::ConversationClosed { at, .. } => {
                self.closed_at = Some(*at);
                self.last_sede_action_version = v;
            }
            RequestEvent::AppointmentBooked {
                booking_id,
                code,
                slot,
                ground,
                by,
                at,
            } => {
                self.appointments_booked += 1;
                self.appointment = Some(RequestAppointment {
                    booking_id: *booking_id,
                    code: code.clone(),
                    slot: slot.clone(),
                    ground: *ground,
                    by: by.clone(),
                    booked_at: *at,
                });
            }
            RequestEvent::AppointmentCancelled { booking_id, .. } => {
                if self
                    .appointment
                    .as_ref()
                    .is_some_and(|a| a.booking_id == *booking_id)
                {
                    self.appointment = None;
                }
            }
        }
        self
    }

    /// The part of the state that the status machine reads.
    pub fn status_line(&self) -> StatusLine {
        StatusLine {
            status: self.status,
            before_appointment: self.status_before_appointment,
            appointment: self.appointment.as_ref().map(|a| a.booking_id),
        }
    }
}
