//! Reads of the event log for auditors (SPEC §3): a stream's events, the
//! global log by position, time, event type, actor or stream type, the
//! version of a stream at an instant, and the record of every audit read.
//!
//! Events are returned at their stored schema version (not upcast), with
//! their personal fields opened, or erased once their subject's key is gone
//! (privacy::seal); the hash chain protects the stored, sealed form, which
//! the verification endpoint checks.
//!
//! Listings are consistent snapshots: the first page takes
//! `pg_current_snapshot()` and every page keeps only events whose transaction
//! had committed in it (`pg_visible_in_snapshot`), ordered by position. An
//! event of a transaction still running when the listing started (which may
//! hold a lower position than events already visible) can therefore never
//! appear "behind" a page already read: it belongs to the next listing.

use super::hash::GENESIS_HASH;
use super::log::{RecordedEvent, EVENT_COLUMNS};
use super::{append, Appended, Expected, Metadata, NewEvent, StoreError};
use crate::privacy::open::{open_row, SealedRow, EVENTS_WITH_KEYS, KEY_COLUMNS};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgExecutor, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

/// The stream type of the auditors' own streams (`audit-<user>`).
pub const AUDIT_STREAM_TYPE: &str = "audit";
/// The event recording one audit read.
pub const AUDIT_READ_EVENT: &str = "AuditRead";
/// Attempts of [`record_read`] when the same auditor reads concurrently.
const RECORD_ATTEMPTS: u32 = 20;

/// Which events of the global log to read; every field is optional and they
/// combine with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LogFilter {
    /// First global position, inclusive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_position: Option<i64>,
    /// Last global position, inclusive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_position: Option<i64>,
    /// `recorded_at >= from_time`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_time: Option<DateTime<Utc>>,
    /// `recorded_at < to_time`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_time: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    /// `metadata.actor_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
}

/// The snapshot a listing is read in (`pg_snapshot` as text).
pub async fn current_snapshot(db: impl PgExecutor<'_>) -> Result<String, StoreError> {
    Ok(sqlx::query_scalar("SELECT pg_current_snapshot()::text")
        .fetch_one(db)
        .await?)
}

/// Up to `limit` events matching `filter` with a position above `after`, in
/// position order, among those committed in `snapshot`.
pub async fn read_log(
    db: impl PgExecutor<'_>,
    filter: &LogFilter,
    snapshot: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(format!(
        "SELECT {EVENT_COLUMNS}, {KEY_COLUMNS} FROM {EVENTS_WITH_KEYS} WHERE position > "
    ));
    q.push_bind(after)
        .push(" AND pg_visible_in_snapshot(tx_id, ")
        .push_bind(snapshot.to_string())
        .push("::text::pg_snapshot)");
    if let Some(p) = filter.from_position {
        q.push(" AND position >= ").push_bind(p);
    }
    if let Some(p) = filter.to_position {
        q.push(" AND position <= ").push_bind(p);
    }
    if let Some(t) = filter.from_time {
        q.push(" AND recorded_at >= ").push_bind(t);
    }
    if let Some(t) = filter.to_time {
        q.push(" AND recorded_at < ").push_bind(t);
    }
    if let Some(t) = &filter.event_type {
        q.push(" AND event_type = ").push_bind(t.clone());
    }
    if let Some(a) = &filter.actor {
        q.push(" AND (metadata ->> 'actor_id') = ")
            .push_bind(a.clone());
    }
    if let Some(s) = &filter.stream_type {
        q.push(" AND stream_type = ").push_bind(s.clone());
    }
    if let Some(s) = &filter.stream_id {
        q.push(" AND stream_id = ").push_bind(s.clone());
    }
    q.push(" ORDER BY position LIMIT ").push_bind(limit.max(1));
    let rows: Vec<SealedRow> = q.build_query_as().fetch_all(db).await?;
    rows.into_iter().map(open_row).collect()
}

/// Up to `limit` events of one stream after `after_version`, as stored.
pub async fn stream_events(
    db: impl PgExecutor<'_>,
    stream_id: &str,
    after_version: i32,
    limit: i64,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS}, {KEY_COLUMNS} FROM {EVENTS_WITH_KEYS} \
         WHERE stream_id = $1 AND version > $2 ORDER BY version LIMIT $3"
    );
    let rows: Vec<SealedRow> = sqlx::query_as(&sql)
        .bind(stream_id)
        .bind(after_version)
        .bind(limit.max(1))
        .fetch_all(db)
        .await?;
    rows.into_iter().map(open_row).collect()
}

/// The stream's version as of `as_of`: its events up to the first one
/// recorded after that instant (0 if the stream did not exist yet). Load the
/// state with `load_stream(.., Some(version))` or `requests::load`.
pub async fn version_at(
    db: impl PgExecutor<'_>,
    stream_id: &str,
    as_of: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let version: Option<i32> = sqlx::query_scalar(
        "SELECT CASE \
           WHEN EXISTS (SELECT 1 FROM events WHERE stream_id = $1 AND recorded_at > $2) \
           THEN (SELECT min(version) - 1 FROM events WHERE stream_id = $1 AND recorded_at > $2) \
           ELSE (SELECT max(version) FROM events WHERE stream_id = $1) END",
    )
    .bind(stream_id)
    .bind(as_of)
    .fetch_one(db)
    .await?;
    Ok(version.map_or(0, |v| u64::try_from(v).unwrap_or(0)))
}

/// Records that `actor` read `what` from the log: an `AuditRead` event on the
/// stream `audit-<actor_id>`, hash-chained like every event, committed before
/// the read is served (a read that cannot be recorded is not served).
pub async fn record_read(
    pool: &PgPool,
    actor_id: &str,
    actor_role: &str,
    what: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<Appended, StoreError> {
    let stream_id = format!("audit-{actor_id}");
    let event = NewEvent {
        event_type: AUDIT_READ_EVENT.to_string(),
        schema_version: 1,
        payload: what,
    };
    let metadata = Metadata {
        actor_id: actor_id.to_string(),
        actor_role: actor_role.to_string(),
        patronato: None,
        office: None,
        sede: None,
        command: "audit_read".to_string(),
        correlation_id: Uuid::new_v4(),
        causation_id: None,
        idempotency_key: None,
    };
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut tx = pool.begin().await?;
        let head: Option<(i32, Vec<u8>)> = sqlx::query_as(
            "SELECT version, hash FROM events WHERE stream_id = $1 ORDER BY version DESC LIMIT 1",
        )
        .bind(&stream_id)
        .fetch_optional(&mut *tx)
        .await?;
        let expected = Expected {
            stream_id: stream_id.clone(),
            stream_type: AUDIT_STREAM_TYPE.to_string(),
            version: head.as_ref().map_or(0, |(v, _)| *v as u64),
            last_hash: head
                .as_ref()
                .and_then(|(_, h)| h.as_slice().try_into().ok())
                .unwrap_or(GENESIS_HASH),
        };
        match append(
            &mut tx,
            &expected,
            std::slice::from_ref(&event),
            &metadata,
            now,
        )
        .await
        {
            Ok(appended) => {
                tx.commit().await?;
                return Ok(appended);
            }
            Err(e) if e.is_conflict() && attempt < RECORD_ATTEMPTS => {
                tx.rollback().await?;
            }
            Err(e) => return Err(e),
        }
    }
}
