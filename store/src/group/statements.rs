//! The statements of a batch: its events in one `INSERT … SELECT FROM
//! unnest(…)` (three variants: skipping, or failing on, a row whose stream
//! moved on; and with its protocol counters moved in the same statement),
//! its idempotency records in one insert, and the chained rows they bind.

use super::counters::{allocate_protocols, CounterLasts};
use super::new_keys::{every_key_inserted, keyed_cte};
use super::{IdempotencyRecord, Job, Written};
use crate::hash::{event_hash, ChainLink};
use crate::{Appended, Expected, NewEvent, StoreError};
use chrono::{DateTime, Utc};
use domain::ids::ProtocolNumber;
use sqlx::PgConnection;
use std::collections::HashMap;

/// A write's streams in name order: the order their rows are locked in.
pub(super) fn sorted(
    mut streams: Vec<(Expected, Vec<NewEvent>)>,
) -> Vec<(Expected, Vec<NewEvent>)> {
    streams.retain(|(_, events)| !events.is_empty());
    streams.sort_by(|a, b| a.0.stream_id.cmp(&b.0.stream_id));
    streams
}

/// One row of the batch's events insert.
struct Row {
    job: usize,
    stream_id: String,
    stream_type: String,
    version: i32,
    event_type: String,
    schema_version: i16,
    payload: serde_json::Value,
    recorded_at: DateTime<Utc>,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
    /// For a stream's first new event, the version the writer read.
    must_follow: i32,
}

/// Protocol numbers, events and positions of the whole batch, with one
/// statement per table; `None` when a row was not inserted (a lost race).
#[tracing::instrument(level = "debug", skip_all, fields(jobs = batch.len()), err)]
pub(super) async fn write_batch(
    conn: &mut PgConnection,
    batch: &[Job],
) -> Result<Option<(Vec<Written>, CounterLasts)>, StoreError> {
    let (numbers, lasts) = allocate_protocols(&mut *conn, batch).await?;
    let rows = BatchRows::of(batch, &numbers);
    let inserted = bind_rows(sqlx::query_as(INSERT_SKIPPING_MOVED_ON), batch, &rows)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .written(numbers, inserted)
        .map(|written| (written, lasts)))
}

/// The condition that fails the statement when a row's stream moved on (a
/// stream's first new event whose writer read a version that is not the
/// stream's head; a version taken fails by the unique constraint).
macro_rules! moved_on_fails {
    () => {
        "CASE WHEN r.must_follow = 0 OR EXISTS \
           (SELECT 1 FROM events e WHERE e.stream_id = r.stream_id AND e.version = r.must_follow) \
           THEN true ELSE events_stream_moved_on(r.stream_id, r.must_follow) END "
    };
}

/// The CTE `counted` that moves a batch's counters (`$12`–`$15`).
macro_rules! counted_cte {
    () => {
        "counted AS ( \
           UPDATE protocol_counters c SET last = u.last \
           FROM unnest($12::text[], $13::int4[], $14::int4[], $15::int4[]) \
                AS u(sede, year, seen, last) \
           WHERE c.sede = u.sede AND c.year = u.year AND c.last = u.seen \
           RETURNING 1) "
    };
}

/// The condition that fails the statement (CP002) unless all `$16`
/// counters moved.
macro_rules! every_counter_moved {
    () => {
        "CASE WHEN (SELECT count(*) FROM counted) = $16 THEN true \
              ELSE protocol_counters_moved_on((SELECT count(*) FROM counted), $16) END "
    };
}

/// The events insert of a batch, `INSERT … SELECT FROM unnest(…)`, with the
/// `WHERE … ORDER BY …` tail that says what a row whose stream moved on does.
macro_rules! insert_events_sql {
    ($rule:expr) => {
        concat!(
            "INSERT INTO events (stream_id, stream_type, version, event_type, schema_version, \
                                 payload, metadata, recorded_at, prev_hash, hash) \
             SELECT r.stream_id, r.stream_type, r.version, r.event_type, r.schema_version, \
                    r.payload, r.metadata, r.recorded_at, r.prev_hash, r.hash \
             FROM unnest($1::text[], $2::text[], $3::int4[], $4::text[], $5::int2[], \
                         $6::jsonb[], $7::jsonb[], $8::timestamptz[], $9::bytea[], \
                         $10::bytea[], $11::int4[]) \
                  WITH ORDINALITY AS r(stream_id, stream_type, version, event_type, \
                                       schema_version, payload, metadata, recorded_at, \
                                       prev_hash, hash, must_follow, n) ",
            $rule,
            " RETURNING stream_id, version, position"
        )
    };
}

/// In a transaction: a row whose stream moved on inserts nothing (the
/// caller sees fewer rows and rolls back).
const INSERT_SKIPPING_MOVED_ON: &str = insert_events_sql!(
    "WHERE r.must_follow = 0 OR EXISTS \
       (SELECT 1 FROM events e WHERE e.stream_id = r.stream_id AND e.version = r.must_follow) \
     ORDER BY r.n \
     ON CONFLICT ON CONSTRAINT events_stream_version DO NOTHING"
);

/// As a statement of its own: a row whose stream moved on fails the
/// statement (a version taken: the unique constraint; a stream not at the
/// version read: migration 0010), so it stores every row or none.
pub(super) const INSERT_FAILING_IF_MOVED_ON: &str =
    insert_events_sql!(concat!("WHERE ", moved_on_fails!(), "ORDER BY r.n"));

/// [`INSERT_FAILING_IF_MOVED_ON`] that also stores the batch's new keys
/// (`$12`–`$17`, `BatchKeys::bind`), failing unless each was inserted.
pub(super) const INSERT_KEYED_FAILING_IF_MOVED_ON: &str = concat!(
    "WITH ",
    keyed_cte!("$12", "$13", "$14", "$15", "$16"),
    insert_events_sql!(concat!(
        "WHERE ",
        every_key_inserted!("$17"),
        "AND ",
        moved_on_fails!(),
        "ORDER BY r.n"
    ))
);

/// A batch of creations as one statement of its own (migration 0012): each
/// counter moves from the last number its committer knows (`$14`) to the
/// batch's last (`$15`); unless all `$16` counters did, the statement fails
/// (CP002), as it does when a stream moved on (CP001, or the unique
/// constraint): it stores every row or none.
pub(super) const INSERT_NUMBERED_FAILING_IF_MOVED_ON: &str = concat!(
    "WITH ",
    counted_cte!(),
    insert_events_sql!(concat!(
        "WHERE ",
        every_counter_moved!(),
        "AND ",
        moved_on_fails!(),
        "ORDER BY r.n"
    ))
);

/// [`INSERT_NUMBERED_FAILING_IF_MOVED_ON`] that also stores the batch's new
/// keys (`$17`–`$22`, `BatchKeys::bind`), failing unless each was inserted.
pub(super) const INSERT_NUMBERED_KEYED_FAILING_IF_MOVED_ON: &str = concat!(
    "WITH ",
    counted_cte!(),
    ", ",
    keyed_cte!("$17", "$18", "$19", "$20", "$21"),
    insert_events_sql!(concat!(
        "WHERE ",
        every_counter_moved!(),
        "AND ",
        every_key_inserted!("$22"),
        "AND ",
        moved_on_fails!(),
        "ORDER BY r.n"
    ))
);

/// Whether a failed statement failed because a protocol counter moved on.
pub(super) fn counter_moved_on(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|db| db.code().as_deref() == Some("CP002"))
}

/// Whether a failed statement failed because a stream moved on.
pub(super) fn stream_moved_on(e: &sqlx::Error) -> bool {
    let Some(db) = e.as_database_error() else {
        return false;
    };
    db.code().as_deref() == Some("CP001") || db.constraint() == Some("events_stream_version")
}

/// The rows of a batch's events, chained, and which streams each write reached.
pub(super) struct BatchRows {
    rows: Vec<Row>,
    /// Per write, each stream written and the version it reached.
    streams_of_job: Vec<Vec<(String, u64)>>,
}

impl BatchRows {
    pub(super) fn of(batch: &[Job], numbers: &[Option<ProtocolNumber>]) -> BatchRows {
        let mut rows = Vec::new();
        let mut streams_of_job = Vec::with_capacity(batch.len());
        for (j, job) in batch.iter().enumerate() {
            let mut streams = Vec::new();
            for (expected, events) in sorted((job.events)(numbers[j].as_ref())) {
                let mut prev_hash = expected.last_hash;
                let mut version = expected.version;
                for (i, event) in events.iter().enumerate() {
                    version += 1;
                    let link = ChainLink::of(
                        &expected.stream_id,
                        version,
                        event,
                        &job.metadata,
                        job.recorded_at,
                    );
                    let hash = event_hash(&prev_hash, &link);
                    rows.push(Row {
                        job: j,
                        stream_id: expected.stream_id.clone(),
                        stream_type: expected.stream_type.clone(),
                        version: i32::try_from(version).expect("stream version fits in i32"),
                        event_type: event.event_type.clone(),
                        schema_version: event.schema_version,
                        payload: event.payload.clone(),
                        recorded_at: job.recorded_at,
                        prev_hash: prev_hash.to_vec(),
                        hash: hash.to_vec(),
                        must_follow: if i == 0 {
                            i32::try_from(expected.version).expect("stream version fits in i32")
                        } else {
                            0
                        },
                    });
                    prev_hash = hash;
                }
                streams.push((expected.stream_id, version));
            }
            streams_of_job.push(streams);
        }
        BatchRows {
            rows,
            streams_of_job,
        }
    }

    /// What each write stored, from the inserted rows' positions; `None`
    /// when a row was not inserted.
    pub(super) fn written(
        self,
        numbers: Vec<Option<ProtocolNumber>>,
        inserted: Vec<(String, i32, i64)>,
    ) -> Option<Vec<Written>> {
        if inserted.len() != self.rows.len() {
            return None;
        }
        let position: HashMap<(String, i32), i64> = inserted
            .into_iter()
            .map(|(stream, version, position)| ((stream, version), position))
            .collect();
        let mut written = Vec::with_capacity(numbers.len());
        for ((j, streams), protocol) in self.streams_of_job.into_iter().enumerate().zip(numbers) {
            let mut appended = Vec::with_capacity(streams.len());
            for (stream_id, version) in streams {
                let first = self
                    .rows
                    .iter()
                    .filter(|r| r.job == j && r.stream_id == stream_id)
                    .map(|r| position[&(r.stream_id.clone(), r.version)])
                    .min()
                    .expect("a stream written has rows");
                let last = position[&(stream_id.clone(), version as i32)];
                appended.push((
                    stream_id,
                    Appended {
                        version,
                        first_position: first,
                        last_position: last,
                    },
                ));
            }
            written.push(Written { protocol, appended });
        }
        Some(written)
    }
}

pub(super) type InsertQuery<'q> =
    sqlx::query::QueryAs<'q, sqlx::Postgres, (String, i32, i64), sqlx::postgres::PgArguments>;

/// Binds a batch's rows as parameters `$1`–`$11` of an events insert.
pub(super) fn bind_rows<'q>(
    query: InsertQuery<'q>,
    batch: &'q [Job],
    rows: &'q BatchRows,
) -> InsertQuery<'q> {
    let rows = &rows.rows;
    let metadata: Vec<&serde_json::Value> = rows.iter().map(|r| &batch[r.job].metadata).collect();
    query
        .bind(
            rows.iter()
                .map(|r| r.stream_id.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|r| r.stream_type.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(rows.iter().map(|r| r.version).collect::<Vec<_>>())
        .bind(
            rows.iter()
                .map(|r| r.event_type.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(rows.iter().map(|r| r.schema_version).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| &r.payload).collect::<Vec<_>>())
        .bind(metadata)
        .bind(rows.iter().map(|r| r.recorded_at).collect::<Vec<_>>())
        .bind(
            rows.iter()
                .map(|r| r.prev_hash.as_slice())
                .collect::<Vec<_>>(),
        )
        .bind(rows.iter().map(|r| r.hash.as_slice()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.must_follow).collect::<Vec<_>>())
}

/// Every idempotency record of the batch in one insert; false if a key was
/// already recorded (a concurrent command with the same key won).
pub(super) async fn record_idempotency(
    conn: &mut PgConnection,
    records: &[(&IdempotencyRecord, serde_json::Value)],
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (actor_id, key, fingerprint, response) \
         SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::jsonb[]) \
         ON CONFLICT DO NOTHING",
    )
    .bind(
        records
            .iter()
            .map(|(r, _)| r.actor_id.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        records
            .iter()
            .map(|(r, _)| r.key.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        records
            .iter()
            .map(|(r, _)| r.fingerprint.as_slice())
            .collect::<Vec<_>>(),
    )
    .bind(records.iter().map(|(_, json)| json).collect::<Vec<_>>())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted as usize == records.len())
}
