//! One request: its summary, its timeline and its attachments (SPEC §2.5
//! "detail"). Scope checks are the caller's: compare the summary's patronato,
//! office, creator or current sede with the actor.

use super::query::{RequestRow, SUMMARY_COLUMNS};
use crate::ProjectionError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

pub async fn get_summary(pool: &PgPool, id: Uuid) -> Result<Option<RequestRow>, ProjectionError> {
    let row = sqlx::query_as(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM request_summary WHERE request_id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(row)
}

/// Every request about the citizen with pseudonym `citizen`, whichever
/// omocodia variant of the code it was sent with, oldest first: the
/// citizen's copy (GDPR art. 15).
pub async fn list_citizen_requests(
    pool: &PgPool,
    citizen: &str,
) -> Result<Vec<RequestRow>, ProjectionError> {
    let rows = sqlx::query_as(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM request_summary WHERE citizen_pseudonym = $1 \
         ORDER BY sent_at, request_id"
    ))
    .bind(citizen)
    .fetch_all(pool)
    .await?;
    Ok(rows)
}

/// An attachment as a timeline entry lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AttachmentInfo {
    pub id: Uuid,
    pub sha256: String,
    pub filename: String,
    pub media_type: String,
    pub size: i64,
}

/// One thing that happened to a request, as a person reads it.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, ToSchema)]
pub struct TimelineEntry {
    pub request_id: Uuid,
    /// Stream version of the event.
    pub version: i32,
    pub at: DateTime<Utc>,
    /// `sent`, `attachment_added`, `attachment_removed`, `taken_in_charge`,
    /// `reply`, `message`, `sollecito`, `forwarded`, `appointment_enabled`, `closed`.
    pub kind: String,
    pub actor_id: String,
    /// The role of who acted (`operator`, `sede_officer`, …); `None` for
    /// rows written before the column existed (migration 0016).
    pub actor_role: Option<String>,
    /// `patronato` or `sede`.
    pub side: String,
    /// The sede the request was at (for `forwarded`: the one that forwarded it).
    pub sede: Option<String>,
    /// The message, reply, forward reason or closing note.
    pub text: Option<String>,
    #[schema(value_type = Vec<AttachmentInfo>)]
    pub attachments: Json<Vec<AttachmentInfo>>,
    /// Per kind: `sent` {protocol, topic, subtopic, subject, practice_ref, notes,
    /// routing, copied_from}; `message` {interaction}; `sollecito` {number};
    /// `forwarded` {from, to, reason}; `attachment_removed` {attachment_id}.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub position: i64,
}

/// The request's timeline, oldest first; empty if the request is unknown.
pub async fn get_timeline(pool: &PgPool, id: Uuid) -> Result<Vec<TimelineEntry>, ProjectionError> {
    let rows = sqlx::query_as(
        "SELECT request_id, version, at, kind, actor_id, actor_role, side, sede, text, attachments, \
                details, position \
         FROM request_timeline WHERE request_id = $1 ORDER BY version",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    Ok(rows)
}

/// An attachment of a request, current or removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, ToSchema)]
pub struct AttachmentRow {
    pub request_id: Uuid,
    pub attachment_id: Uuid,
    pub sha256: String,
    pub filename: String,
    pub media_type: String,
    pub size: i64,
    /// `patronato` or `sede`.
    pub side: String,
    pub added_by: String,
    pub added_at: DateTime<Utc>,
    pub added_version: i32,
    pub removed_at: Option<DateTime<Utc>>,
    pub removed_by: Option<String>,
}

impl AttachmentRow {
    pub fn is_removed(&self) -> bool {
        self.removed_at.is_some()
    }
}

const ATTACHMENT_COLUMNS: &str = "request_id, attachment_id, sha256, filename, media_type, \
    size, side, added_by, added_at, added_version, removed_at, removed_by";

/// Every attachment the request ever held (removed ones flagged), in the order
/// they were added.
pub async fn list_attachments(
    pool: &PgPool,
    id: Uuid,
) -> Result<Vec<AttachmentRow>, ProjectionError> {
    let rows = sqlx::query_as(&format!(
        "SELECT {ATTACHMENT_COLUMNS} FROM request_attachments WHERE request_id = $1 \
         ORDER BY added_version, ordinal"
    ))
    .bind(id)
    .fetch_all(pool)
    .await?;
    Ok(rows)
}

/// One attachment of one request (the download looks its blob up by `sha256`).
pub async fn get_attachment(
    pool: &PgPool,
    request_id: Uuid,
    attachment_id: Uuid,
) -> Result<Option<AttachmentRow>, ProjectionError> {
    let row = sqlx::query_as(&format!(
        "SELECT {ATTACHMENT_COLUMNS} FROM request_attachments \
         WHERE request_id = $1 AND attachment_id = $2"
    ))
    .bind(request_id)
    .bind(attachment_id)
    .fetch_optional(pool)
    .await?;
    Ok(row)
}
