use super::hash::{event_hash, ChainLink};
use super::{Expected, Metadata, NewEvent, StoreError};
use chrono::{DateTime, SubsecRound, Utc};
use sqlx::PgConnection;

/// What an append wrote: the stream's new version and the global positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Appended {
    pub version: u64,
    pub first_position: i64,
    pub last_position: i64,
}

/// Appends `events` to a stream at `expected.version`, inside the caller's
/// transaction (so protocol numbers, idempotency records and the events commit
/// or fail together). A concurrent writer that got there first makes this
/// fail with [`StoreError::Conflict`] — without aborting the transaction,
/// but with the events before the conflicting one written: the caller must
/// roll back (its transaction, or its savepoint).
/// After the commit, the caller rings its [`super::CommitNotifier`].
#[tracing::instrument(skip_all, fields(stream_id = %expected.stream_id, expected = expected.version), err(level = "info"))]
pub async fn append(
    conn: &mut PgConnection,
    expected: &Expected,
    events: &[NewEvent],
    metadata: &Metadata,
    recorded_at: DateTime<Utc>,
) -> Result<Appended, StoreError> {
    let metadata = serde_json::to_value(metadata).expect("metadata serialises");
    append_with_json_metadata(conn, expected, events, &metadata, recorded_at).await
}

/// [`append`] with the metadata already in its JSON form.
pub(crate) async fn append_with_json_metadata(
    conn: &mut PgConnection,
    expected: &Expected,
    events: &[NewEvent],
    metadata: &serde_json::Value,
    recorded_at: DateTime<Utc>,
) -> Result<Appended, StoreError> {
    assert!(!events.is_empty(), "append of no events");
    // PostgreSQL keeps microseconds: hash what will be stored.
    let recorded_at = recorded_at.trunc_subsecs(6);
    let mut prev_hash = expected.last_hash;
    let mut version = expected.version;
    let mut first_position = None;
    let mut last_position = 0;
    for (i, event) in events.iter().enumerate() {
        version += 1;
        let link = ChainLink::of(&expected.stream_id, version, event, metadata, recorded_at);
        let hash = event_hash(&prev_hash, &link);
        // A row already at this version (another writer got there first), or
        // — for the first event — no row at the expected version (the writer's
        // view is not the stream's real head: a stream shorter than expected
        // is as much a conflict as a longer one) inserts nothing. Neither
        // aborts the transaction, so a group commit keeps its other writes.
        let must_follow = if i == 0 { expected.version } else { 0 };
        let position: Option<i64> = sqlx::query_scalar(
            "INSERT INTO events (stream_id, stream_type, version, event_type, schema_version, \
                                 payload, metadata, recorded_at, prev_hash, hash) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 \
             WHERE $11 = 0 OR EXISTS (SELECT 1 FROM events WHERE stream_id = $1 AND version = $11) \
             ON CONFLICT ON CONSTRAINT events_stream_version DO NOTHING \
             RETURNING position",
        )
        .bind(&expected.stream_id)
        .bind(&expected.stream_type)
        .bind(i32::try_from(version).expect("stream version fits in i32"))
        .bind(&event.event_type)
        .bind(event.schema_version)
        .bind(&event.payload)
        .bind(metadata)
        .bind(recorded_at)
        .bind(&prev_hash[..])
        .bind(&hash[..])
        .bind(i32::try_from(must_follow).expect("stream version fits in i32"))
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| conflict_or(e, expected))?;
        let Some(position) = position else {
            return Err(StoreError::Conflict {
                stream_id: expected.stream_id.clone(),
                expected: expected.version,
            });
        };
        first_position.get_or_insert(position);
        last_position = position;
        prev_hash = hash;
    }
    Ok(Appended {
        version,
        first_position: first_position.expect("at least one event"),
        last_position,
    })
}

fn conflict_or(e: sqlx::Error, expected: &Expected) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        if db.constraint() == Some("events_stream_version") {
            return StoreError::Conflict {
                stream_id: expected.stream_id.clone(),
                expected: expected.version,
            };
        }
    }
    StoreError::Database(e)
}
