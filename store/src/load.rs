use super::log::{RecordedEvent, EVENT_COLUMNS};
use super::{Expected, StoreError, GENESIS_HASH};
use crate::privacy::open::{open_and_upcast, SealedRow, EVENTS_WITH_KEYS, KEY_COLUMNS};
use sqlx::PgExecutor;

/// A stream's events in order, opened (privacy::seal) and upcast to their current schema, and where an
/// append must continue from.
#[derive(Debug, Clone)]
pub struct LoadedStream {
    pub events: Vec<RecordedEvent>,
    pub expected: Expected,
}

/// Loads a stream up to `until_version` (all of it when `None`).
#[tracing::instrument(skip(db), err)]
pub async fn load_stream(
    db: impl PgExecutor<'_>,
    stream_id: &str,
    stream_type: &str,
    until_version: Option<u64>,
) -> Result<LoadedStream, StoreError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS}, {KEY_COLUMNS} FROM {EVENTS_WITH_KEYS} \
         WHERE stream_id = $1 AND version <= $2 ORDER BY version"
    );
    let until = until_version.map_or(i32::MAX, |v| i32::try_from(v).unwrap_or(i32::MAX));
    let rows: Vec<SealedRow> = sqlx::query_as(&sql)
        .bind(stream_id)
        .bind(until)
        .fetch_all(db)
        .await?;
    let mut events = Vec::with_capacity(rows.len());
    for row in rows {
        events.push(open_and_upcast(row)?);
    }
    let expected = Expected {
        stream_id: stream_id.to_string(),
        stream_type: stream_type.to_string(),
        version: events.last().map_or(0, |e| e.version as u64),
        last_hash: events.last().map_or(GENESIS_HASH, |e| e.hash_array()),
    };
    Ok(LoadedStream { events, expected })
}

/// The first event of each of `stream_ids` that has one, upcast (for
/// projections that read facts an event does not repeat, such as the request
/// a reply answers).
pub async fn load_first_events(
    db: impl PgExecutor<'_>,
    stream_ids: &[String],
) -> Result<Vec<RecordedEvent>, StoreError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS}, {KEY_COLUMNS} FROM {EVENTS_WITH_KEYS} \
         WHERE stream_id = ANY($1) AND version = 1"
    );
    let rows: Vec<SealedRow> = sqlx::query_as(&sql).bind(stream_ids).fetch_all(db).await?;
    rows.into_iter().map(open_and_upcast).collect()
}
