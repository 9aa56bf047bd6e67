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
/// fail with [`StoreError::Conflict`]; the caller must then roll back.
/// After the commit, the caller rings its [`super::CommitNotifier`].
#[tracing::instrument(skip_all, fields(stream_id = %expected.stream_id, expected = expected.version), err)]
pub async fn append(
    conn: &mut PgConnection,
    expected: &Expected,
    events: &[NewEvent],
    metadata: &Metadata,
    recorded_at: DateTime<Utc>,
) -> Result<Appended, StoreError> {
    assert!(!events.is_empty(), "append of no events");
    // PostgreSQL keeps microseconds: hash what will be stored.
    let recorded_at = recorded_at.trunc_subsecs(6);
    let metadata = serde_json::to_value(metadata).expect("metadata serialises");
    let mut prev_hash = expected.last_hash;
    let mut version = expected.version;
    let mut first_position = None;
    let mut last_position = 0;
    for event in events {
        version += 1;
        let hash = event_hash(
            &prev_hash,
            &ChainLink {
                stream_id: &expected.stream_id,
                version,
                event_type: &event.event_type,
                schema_version: event.schema_version,
                payload: &event.payload,
                metadata: &metadata,
                recorded_at,
            },
        );
        let position: i64 = sqlx::query_scalar(
            "INSERT INTO events (stream_id, stream_type, version, event_type, schema_version, \
                                 payload, metadata, recorded_at, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING position",
        )
        .bind(&expected.stream_id)
        .bind(&expected.stream_type)
        .bind(i32::try_from(version).expect("stream version fits in i32"))
        .bind(&event.event_type)
        .bind(event.schema_version)
        .bind(&event.payload)
        .bind(&metadata)
        .bind(recorded_at)
        .bind(&prev_hash[..])
        .bind(&hash[..])
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| conflict_or(e, expected))?;
        first_position.get_or_insert(position);
        last_position = position;
        prev_hash = hash;
    }
    if expected.version > 0 {
        // The writer's view must be the stream's real head: a stream shorter than
        // expected is as much a conflict as a longer one.
        let head_exists: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM events WHERE stream_id = $1 AND version = $2)",
        )
        .bind(&expected.stream_id)
        .bind(expected.version as i32)
        .fetch_one(&mut *conn)
        .await?;
        if !head_exists {
            return Err(StoreError::Conflict {
                stream_id: expected.stream_id.clone(),
                expected: expected.version,
            });
        }
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
