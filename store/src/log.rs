//! Reading the global log in commit-safe order.
//!
//! Identity values are taken before commit, so position 11 may be visible while
//! 10 is still in flight; a reader that followed positions alone would skip 10
//! for ever. Each event records its transaction id (`tx_id`); a reader only
//! returns events of transactions older than the oldest one still running
//! (`pg_snapshot_xmin(pg_current_snapshot())`), ordered by `(tx_id, position)`.
//! Every transaction below that horizon has committed or aborted, so nothing
//! can appear later before the reader's checkpoint.

use super::StoreError;
use crate::privacy::open::{open_and_upcast, SealedRow, EVENTS_WITH_KEYS, KEY_COLUMNS};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgExecutor;

/// The columns of [`RecordedEvent`], in a form every query of `events` shares.
pub(crate) const EVENT_COLUMNS: &str = "position, tx_id::text::bigint AS tx_id, stream_id, \
    stream_type, version, event_type, schema_version, payload, metadata, recorded_at, prev_hash, hash";

/// An event as stored, with its place in the log.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, Serialize)]
pub struct RecordedEvent {
    pub position: i64,
    pub tx_id: i64,
    pub stream_id: String,
    pub stream_type: String,
    pub version: i32,
    pub event_type: String,
    pub schema_version: i16,
    pub payload: serde_json::Value,
    pub metadata: serde_json::Value,
    pub recorded_at: DateTime<Utc>,
    #[serde(serialize_with = "as_hex")]
    pub prev_hash: Vec<u8>,
    #[serde(serialize_with = "as_hex")]
    pub hash: Vec<u8>,
    /// The pseudonym its personal fields were sealed for (`_sealed.subject`),
    /// kept once they are opened: the read models key their rows by it
    /// without computing it again. `None` for an unsealed event and in the
    /// stored form. Not serialised (the opened payload is what is shown).
    #[sqlx(skip)]
    #[serde(skip)]
    pub subject: Option<String>,
}

fn as_hex<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(bytes))
}

impl RecordedEvent {
    pub fn hash_array(&self) -> [u8; 32] {
        self.hash.as_slice().try_into().unwrap_or([0; 32])
    }

    pub fn log_position(&self) -> LogPosition {
        LogPosition {
            tx_id: self.tx_id,
            position: self.position,
        }
    }

    /// The event's payload as the domain type.
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> Result<T, StoreError> {
        // Deserialised from the borrowed tree: no copy of the payload.
        T::deserialize(&self.payload).map_err(|e| StoreError::Corrupt {
            position: self.position,
            reason: e.to_string(),
        })
    }
}

/// A reader's place in the global log: every event at or before it, in
/// `(tx_id, position)` order, has been read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct LogPosition {
    pub tx_id: i64,
    pub position: i64,
}

impl LogPosition {
    pub const START: LogPosition = LogPosition {
        tx_id: 0,
        position: 0,
    };
}

/// Up to `limit` events after `after`, never one whose transaction might
/// still be followed by an earlier-numbered commit.
///
/// The ORDER BY names `events.tx_id`: a bare `tx_id` would mean the output
/// column `tx_id::text::bigint` of [`EVENT_COLUMNS`], which no index
/// provides, and every batch would sort the whole rest of the log.
#[tracing::instrument(level = "debug", skip(db), err)]
pub async fn read_after(
    db: impl PgExecutor<'_>,
    after: LogPosition,
    limit: i64,
) -> Result<Vec<RecordedEvent>, StoreError> {
    read_after_unopened(db, after, limit).await?.open()
}

/// As [`read_after`], the events left sealed: opening them is the bigger
/// part of a read of a sealed log, which a reader may do on another task
/// while it reads the next batch ([`Unopened::open`]).
pub async fn read_after_unopened(
    db: impl PgExecutor<'_>,
    after: LogPosition,
    limit: i64,
) -> Result<Unopened, StoreError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS}, {KEY_COLUMNS} FROM {EVENTS_WITH_KEYS} \
         WHERE (tx_id, position) > ($1::text::xid8, $2) \
           AND tx_id < pg_snapshot_xmin(pg_current_snapshot()) \
         ORDER BY events.tx_id, events.position LIMIT $3"
    );
    let rows: Vec<SealedRow> = sqlx::query_as(&sql)
        .bind(after.tx_id.to_string())
        .bind(after.position)
        .bind(limit)
        .fetch_all(db)
        .await?;
    Ok(Unopened(rows))
}

/// Events as read, with their subjects' wrapped keys, not opened yet.
pub struct Unopened(Vec<SealedRow>);

impl Unopened {
    /// Where the last of them is in the log.
    pub fn last_position(&self) -> Option<LogPosition> {
        self.0.last().map(|row| row.event.log_position())
    }

    /// Opened and upcast, as [`read_after`] returns them.
    pub fn open(self) -> Result<Vec<RecordedEvent>, StoreError> {
        self.0.into_iter().map(open_and_upcast).collect()
    }
}

/// The readable horizon now: every transaction below it has committed or
/// aborted, so the events of `tx_id` below it are all there, for good.
pub async fn horizon(db: impl PgExecutor<'_>) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
            .fetch_one(db)
            .await?,
    )
}

/// Which events of one type a page of the log holds: those of transactions
/// below `horizon` (see [`horizon`]), after `after_position`, in position order.
#[derive(Debug, Clone, Copy)]
pub struct TypePage<'a> {
    pub stream_type: &'a str,
    pub event_type: &'a str,
    pub horizon: i64,
    pub after_position: i64,
    pub limit: i64,
}

/// Some top-level fields of an event's payload, as text (`payload ->> field`).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PayloadFields {
    pub position: i64,
    pub tx_id: i64,
    pub stream_id: String,
    /// The payload's schema version: fields of an older one may need its
    /// upcasts, which only [`read_at`] applies.
    pub schema_version: i16,
    /// In the order asked for; `None` where the payload has no such field
    /// or it is JSON null.
    pub fields: Vec<Option<String>>,
}

/// A page of events of one type, each reduced to `fields`: for a reader that
/// needs a few fields of many events (it neither transfers nor parses the
/// rest of the payload and the metadata). A sealed field is opened (or
/// erased) from the event's sealed value, with its subject's key joined.
pub async fn read_fields_of_type_below(
    db: impl PgExecutor<'_>,
    page: TypePage<'_>,
    fields: &[&str],
) -> Result<Vec<PayloadFields>, StoreError> {
    let picked: Vec<String> = (0..fields.len())
        .map(|i| format!("payload ->> ${}", i + 6))
        .collect();
    let sql = format!(
        "SELECT position, tx_id::text::bigint AS tx_id, stream_id, schema_version, \
                ARRAY[{}]::text[] AS fields, payload -> '_sealed' AS sealed, {KEY_COLUMNS} \
         FROM {EVENTS_WITH_KEYS} \
         WHERE stream_type = $1 AND event_type = $2 AND tx_id < $3::text::xid8 \
           AND position > $4 \
         ORDER BY position LIMIT $5",
        picked.join(", ")
    );
    let mut query = sqlx::query_as(&sql)
        .bind(page.stream_type)
        .bind(page.event_type)
        .bind(page.horizon.to_string())
        .bind(page.after_position)
        .bind(page.limit);
    for field in fields {
        query = query.bind(*field);
    }
    let rows: Vec<SealedFields> = query.fetch_all(db).await?;
    rows.into_iter()
        .map(|row| open_fields(page.event_type, fields, row))
        .collect()
}

/// A row of [`read_fields_of_type_below`] as read: the sealed value and its
/// subject's key beside the clear fields.
#[derive(sqlx::FromRow)]
struct SealedFields {
    #[sqlx(flatten)]
    clear: PayloadFields,
    sealed: Option<serde_json::Value>,
    sealed_master: Option<String>,
    sealed_key: Option<Vec<u8>>,
    joint_master: Option<String>,
    joint_key: Option<Vec<u8>>,
}

/// The fields asked for, the sealed ones opened: only the sealed value is
/// parsed and decrypted, not the whole payload.
fn open_fields(
    event_type: &str,
    fields: &[&str],
    row: SealedFields,
) -> Result<PayloadFields, StoreError> {
    let mut out = row.clear;
    let Some(sealed) = row.sealed else {
        return Ok(out);
    };
    let mut opened = serde_json::json!({ "_sealed": sealed });
    crate::privacy::open::open_in_place(
        event_type,
        out.position,
        &mut opened,
        crate::privacy::open::JoinedKeys {
            subject: row.sealed_master.as_deref().zip(row.sealed_key.as_deref()),
            joint: row.joint_master.as_deref().zip(row.joint_key.as_deref()),
        },
    )?;
    for (value, name) in out.fields.iter_mut().zip(fields) {
        if value.is_none() {
            *value = opened
                .get_mut(*name)
                .map(serde_json::Value::take)
                .and_then(|v| match v {
                    serde_json::Value::String(s) => Some(s),
                    serde_json::Value::Null => None,
                    other => Some(other.to_string()),
                });
        }
    }
    Ok(out)
}

/// The events at `positions`, whole and upcast, in position order.
pub async fn read_at(
    db: impl PgExecutor<'_>,
    positions: &[i64],
) -> Result<Vec<RecordedEvent>, StoreError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS}, {KEY_COLUMNS} FROM {EVENTS_WITH_KEYS} \
         WHERE position = ANY($1) ORDER BY position"
    );
    let rows: Vec<SealedRow> = sqlx::query_as(&sql).bind(positions).fetch_all(db).await?;
    rows.into_iter().map(open_and_upcast).collect()
}

/// The log position of the event at a global `position`, if it exists: what a
/// reader must have passed to have seen that event.
pub async fn position_of(
    db: impl PgExecutor<'_>,
    position: i64,
) -> Result<Option<LogPosition>, StoreError> {
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT tx_id::text::bigint, position FROM events WHERE position = $1")
            .bind(position)
            .fetch_optional(db)
            .await?;
    Ok(row.map(|(tx_id, position)| LogPosition { tx_id, position }))
}

/// How far the log is ahead of a reader at `after`: the number of events after
/// it (counted up to `cap`) and when the oldest of them was recorded.
pub async fn lag_after(
    db: impl PgExecutor<'_>,
    after: LogPosition,
    cap: i64,
) -> Result<(i64, Option<DateTime<Utc>>), StoreError> {
    Ok(sqlx::query_as(
        "SELECT \
           (SELECT count(*) FROM (SELECT 1 FROM events \
              WHERE (tx_id, position) > ($1::text::xid8, $2) LIMIT $3) pending), \
           (SELECT recorded_at FROM events \
              WHERE (tx_id, position) > ($1::text::xid8, $2) \
              ORDER BY events.tx_id, events.position LIMIT 1)",
    )
    .bind(after.tx_id.to_string())
    .bind(after.position)
    .bind(cap)
    .fetch_one(db)
    .await?)
}

/// The last committed event visible now, in reader order (`None` for an empty
/// log). A reader that reached it has read every event committed before.
pub async fn log_end(db: impl PgExecutor<'_>) -> Result<Option<LogPosition>, StoreError> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "SELECT tx_id::text::bigint, position FROM events \
         ORDER BY events.tx_id DESC, events.position DESC LIMIT 1",
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(tx_id, position)| LogPosition { tx_id, position }))
}
