//! The rows of the `requests` projection's tables, one struct per table:
//! field names are the column names (`migrations/0003_read_models.sql` and
//! later), and both the JSON statements and COPY write them by name.

use chrono::{NaiveDate, SubsecRound};
use domain::actor::Side;
use domain::ids::{SedeCode, UserId};
use domain::request::{AttachmentRef, Status};
use domain::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;
use uuid::Uuid;

/// One `request_summary` row; field names are the column names.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Summary {
    pub(super) request_id: Uuid,
    pub(super) protocol: String,
    pub(super) patronato: String,
    pub(super) office: String,
    pub(super) created_by: String,
    pub(super) created_by_role: String,
    pub(super) requester_kind: String,
    /// Shown to authorised readers only; never indexed nor searched.
    pub(super) codice_fiscale: Option<String>,
    /// The citizen's keyed pseudonym: what a search by codice fiscale and
    /// the erasure look up (`events::citizen_pseudonym`).
    pub(super) citizen_pseudonym: Option<String>,
    pub(super) citizen_surname: Option<String>,
    pub(super) citizen_name: Option<String>,
    pub(super) citizen_birth_date: Option<NaiveDate>,
    pub(super) referent_region: Option<String>,
    pub(super) topic: String,
    pub(super) topic_label: String,
    pub(super) subtopic: Option<String>,
    pub(super) subtopic_label: Option<String>,
    pub(super) subject: String,
    pub(super) text: String,
    pub(super) notes: Option<String>,
    pub(super) practice_ref_kind: Option<String>,
    pub(super) practice_ref_value: Option<String>,
    pub(super) status: Status,
    pub(super) current_sede: String,
    pub(super) origin_sede: String,
    pub(super) sent_at: Timestamp,
    pub(super) last_activity_at: Timestamp,
    pub(super) first_reply_at: Option<Timestamp>,
    pub(super) last_reply_at: Option<Timestamp>,
    /// The start of the last reply's text (`fold::excerpt`).
    pub(super) last_reply_excerpt: Option<String>,
    pub(super) replies: i32,
    pub(super) awaiting_reply_since: Option<Timestamp>,
    pub(super) in_charge_by: Option<String>,
    pub(super) interactions_used: i32,
    pub(super) solleciti: i32,
    pub(super) last_sollecito_at: Option<Timestamp>,
    pub(super) appointment_enabled: bool,
    pub(super) closed_at: Option<Timestamp>,
    pub(super) forwards: i32,
    pub(super) attachments_count: i32,
    pub(super) version: i32,
    pub(super) last_position: i64,
    pub(super) appointment_booking_id: Option<Uuid>,
    pub(super) appointment_start: Option<Timestamp>,
    pub(super) status_before_appointment: Option<Status>,
}

/// Every column but the key: what a newer version of a summary replaces.
const SUMMARY_UPDATED_COLUMNS: &[&str] = &[
    "protocol",
    "patronato",
    "office",
    "created_by",
    "created_by_role",
    "requester_kind",
    "codice_fiscale",
    "citizen_pseudonym",
    "citizen_surname",
    "citizen_name",
    "citizen_birth_date",
    "referent_region",
    "topic",
    "topic_label",
    "subtopic",
    "subtopic_label",
    "subject",
    "text",
    "notes",
    "practice_ref_kind",
    "practice_ref_value",
    "status",
    "current_sede",
    "origin_sede",
    "sent_at",
    "last_activity_at",
    "first_reply_at",
    "last_reply_at",
    "last_reply_excerpt",
    "replies",
    "awaiting_reply_since",
    "in_charge_by",
    "interactions_used",
    "solleciti",
    "last_sollecito_at",
    "appointment_enabled",
    "closed_at",
    "forwards",
    "attachments_count",
    "version",
    "last_position",
    "appointment_booking_id",
    "appointment_start",
    "status_before_appointment",
];

impl crate::batch::CachedRow for Summary {
    const TABLE: &'static str = "request_summary";
    const UPDATED_COLUMNS: &'static [&'static str] = SUMMARY_UPDATED_COLUMNS;
    fn key(&self) -> Uuid {
        self.request_id
    }
}

/// Attachments written before the batch, by request and attachment: those the
/// batch's `AttachmentRemoved` events name.
pub(super) type StoredAttachments = HashMap<(Uuid, Uuid), StoredAttachment>;

/// The rows a batch adds beside its summaries.
#[derive(Debug, Default)]
pub(super) struct BatchRows {
    pub(super) timeline: Vec<TimelineRow>,
    pub(super) attachments: Vec<AttachmentRow>,
    /// Removals of attachments written before the batch.
    pub(super) removals: Vec<Removal>,
}

impl BatchRows {
    pub(super) fn clear(&mut self) {
        self.timeline.clear();
        self.attachments.clear();
        self.removals.clear();
    }
}

/// PostgreSQL keeps microseconds; the binary protocol truncates, so do we.
pub(super) fn micros(at: Timestamp) -> Timestamp {
    at.trunc_subsecs(6)
}

/// One `request_timeline` row.
#[derive(Debug, Serialize)]
pub(super) struct TimelineRow {
    pub(super) request_id: Uuid,
    pub(super) version: i32,
    pub(super) at: Timestamp,
    pub(super) kind: &'static str,
    pub(super) actor_id: String,
    /// `Role::as_str` of who acted, from the event's metadata.
    pub(super) actor_role: Option<&'static str>,
    pub(super) side: String,
    /// The sede the request was at when it happened (for a forward: the sender).
    pub(super) sede: Option<String>,
    pub(super) text: Option<String>,
    pub(super) attachments: Value,
    pub(super) details: Value,
    pub(super) position: i64,
}

/// One `request_attachments` row.
#[derive(Debug, Clone, Serialize)]
pub(super) struct AttachmentRow {
    pub(super) request_id: Uuid,
    pub(super) attachment_id: Uuid,
    pub(super) sha256: String,
    pub(super) filename: String,
    pub(super) media_type: String,
    pub(super) size: i64,
    pub(super) side: String,
    pub(super) added_by: String,
    pub(super) added_at: Timestamp,
    pub(super) added_version: i32,
    pub(super) ordinal: i32,
    pub(super) removed_at: Option<Timestamp>,
    pub(super) removed_by: Option<String>,
}

/// A removal of an attachment held before this batch.
#[derive(Debug, Serialize)]
pub(super) struct Removal {
    pub(super) request_id: Uuid,
    pub(super) attachment_id: Uuid,
    pub(super) removed_at: Timestamp,
    pub(super) removed_by: String,
}

/// An attachment row written before the batch, as a removal needs it
/// (fetched before the fold runs).
#[derive(Debug, Clone)]
pub(super) struct StoredAttachment {
    pub(super) sha256: String,
    pub(super) filename: String,
    pub(super) media_type: String,
    pub(super) size: i64,
    pub(super) removed: bool,
}

/// One timeline row in the making.
pub(super) struct Entry<'a> {
    pub(super) kind: &'static str,
    pub(super) actor: &'a UserId,
    pub(super) side: Side,
    pub(super) at: Timestamp,
    pub(super) sede: Option<&'a SedeCode>,
    pub(super) text: Option<&'a str>,
    pub(super) attachments: Value,
    pub(super) details: Value,
}

impl<'a> Entry<'a> {
    pub(super) fn new(kind: &'static str, actor: &'a UserId, side: Side, at: Timestamp) -> Self {
        Entry {
            kind,
            actor,
            side,
            at,
            sede: None,
            text: None,
            attachments: Value::Array(Vec::new()),
            details: json!({}),
        }
    }
    pub(super) fn sede(mut self, sede: &'a SedeCode) -> Self {
        self.sede = Some(sede);
        self
    }
    pub(super) fn text(mut self, text: &'a str) -> Self {
        self.text = Some(text);
        self
    }
    pub(super) fn attachments(self, attachments: &[AttachmentRef]) -> Self {
        let list = serde_json::to_value(attachments).expect("attachment refs serialise");
        self.attachments_json(list)
    }
    pub(super) fn attachments_json(mut self, list: Value) -> Self {
        self.attachments = list;
        self
    }
    pub(super) fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sql_knows_the_closed_status_by_name() {
        assert_eq!(Status::Chiusa.as_str(), "chiusa");
    }

    #[test]
    fn every_summary_field_but_the_key_is_updated() {
        let fields: Vec<String> = match serde_json::to_value(Summary {
            request_id: Uuid::nil(),
            protocol: String::new(),
            patronato: String::new(),
            office: String::new(),
            created_by: String::new(),
            created_by_role: String::new(),
            requester_kind: String::new(),
            codice_fiscale: None,
            citizen_pseudonym: None,
            citizen_surname: None,
            citizen_name: None,
            citizen_birth_date: None,
            referent_region: None,
            topic: String::new(),
            topic_label: String::new(),
            subtopic: None,
            subtopic_label: None,
            subject: String::new(),
            text: String::new(),
            notes: None,
            practice_ref_kind: None,
            practice_ref_value: None,
            status: Status::Inoltrata,
            current_sede: String::new(),
            origin_sede: String::new(),
            sent_at: Timestamp::UNIX_EPOCH,
            last_activity_at: Timestamp::UNIX_EPOCH,
            first_reply_at: None,
            last_reply_at: None,
            last_reply_excerpt: None,
            replies: 0,
            awaiting_reply_since: None,
            in_charge_by: None,
            interactions_used: 0,
            solleciti: 0,
            last_sollecito_at: None,
            appointment_enabled: false,
            closed_at: None,
            forwards: 0,
            attachments_count: 0,
            version: 0,
            last_position: 0,
            appointment_booking_id: None,
            appointment_start: None,
            status_before_appointment: None,
        })
        .unwrap()
        {
            Value::Object(map) => map.keys().cloned().collect(),
            _ => unreachable!(),
        };
        let mut expected: Vec<String> = SUMMARY_UPDATED_COLUMNS
            .iter()
            .map(|c| c.to_string())
            .collect();
        expected.push("request_id".into());
        let mut fields = fields;
        fields.sort();
        expected.sort();
        assert_eq!(fields, expected);
    }
}
