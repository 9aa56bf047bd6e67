//! Rebuild a projection from position 0 while the service keeps answering
//! from the live tables, then swap the new tables in.
//!
//! 1. Shadow tables: schema `rebuild_<name>`, one `CREATE TABLE … (LIKE
//!    public.t INCLUDING ALL EXCLUDING INDEXES EXCLUDING STATISTICS)` per
//!    table of the projection, out of autovacuum's reach until it is full
//!    (grants copied), with only the live table's primary key and unique
//!    constraints and indexes — what the projection's upserts need.
//! 2. Replay the whole log into them in batches of [`REBUILD_BATCH_SIZE`],
//!    each batch its own transaction (a long one would hold back every
//!    reader's horizon), on a session whose `search_path` is
//!    `rebuild_<name>, public`: the projection's unqualified SQL writes the
//!    shadow tables. The shadow checkpoint lives in memory. A second session
//!    reads the next batch of the log while this one applies the current
//!    (the two alternate otherwise, and one core idles). A projection with a
//!    [`Replay`] keeps up to [`REBUILD_CACHED_ROWS`] rows in memory across
//!    batches and writes each once ([`Replay::finish`] writes the rest).
//! 3. Build the live tables' other indexes on the shadow tables, under the
//!    live names (index names are per schema), in one pass over the filled
//!    table each — cheaper than keeping nine indexes up to date row by row —
//!    two at a time on two sessions; `VACUUM`, then `ANALYZE`, two at a time too. A table
//!    the [`Replay`] fills ahead ([`Replay::fill_ahead`]: rows written once,
//!    straight from the log) gets its indexes as soon as it is full, while
//!    the replay goes on.
//! 4. Swap, in one transaction: lock the live checkpoint row (the live worker
//!    pauses at its next batch), catch the shadow up to the log's readable
//!    end, drop each live table and move its shadow into `public`, set the
//!    checkpoint to the shadow's, drop the schema, commit.
//!
//! A view on a read table would make step 4 fail (DROP TABLE refuses), which
//! rolls back the swap and leaves the live tables as they were.

mod replay;
mod shadow;

pub(crate) use replay::enter_shadow_tables;
pub use replay::{Rebuildable, Replay, ReplayOptions, SideSession};

use crate::projection::Projection;
use crate::{checkpoint, ProjectionError};
use async_trait::async_trait;
use shadow::{
    build_indexes, create_shadow_tables, deferred_indexes, shadow_statistics, vacuum_and_analyse,
    AUTOVACUUM_SETTINGS,
};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection, PgPool};
use std::time::{Duration, Instant};
use store::log::{read_after, read_after_unopened, Unopened};
use store::{LogPosition, RecordedEvent};
use tokio::sync::mpsc;

/// What a rebuild did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebuildReport {
    pub projection: &'static str,
    /// Events replayed (including the catch-up at swap time).
    pub events: u64,
    /// Of which, events caught up inside the swap transaction.
    pub swap_events: u64,
    /// The checkpoint the new tables were installed with.
    pub checkpoint: LogPosition,
    pub elapsed: Duration,
    /// Tries of the swap: more than one when a reader held a live table past
    /// the lock timeout.
    pub swap_attempts: u32,
}

/// Rebuilds `projection` (see the module documentation).
pub async fn rebuild<P: Rebuildable + ?Sized>(
    pool: &PgPool,
    projection: &P,
) -> Result<RebuildReport, ProjectionError> {
    rebuild_with_options(pool, projection, RebuildOptions::default()).await
}

/// Events per replay transaction: larger than a live worker's batch, since a
/// rebuild has a backlog and each batch is folded in memory before it is written.
pub const REBUILD_BATCH_SIZE: i64 = 5_000;

/// Rows of each kind a [`Replay`] keeps in memory across batches. Requests
/// live for weeks and the log is in time order, so a window of this many
/// recently touched requests (≈ 40 days of today's national traffic) holds
/// nearly every request from its first event to its last; a request summary
/// is ≈ 1 kB in memory.
pub const REBUILD_CACHED_ROWS: usize = 100_000;

/// How a rebuild replays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RebuildOptions {
    /// Events per replay transaction.
    pub batch_size: i64,
    /// See [`ReplayOptions::cached_rows`].
    pub cached_rows: usize,
}

impl Default for RebuildOptions {
    fn default() -> Self {
        RebuildOptions {
            batch_size: REBUILD_BATCH_SIZE,
            cached_rows: REBUILD_CACHED_ROWS,
        }
    }
}

/// [`rebuild`] with an explicit replay batch size.
pub async fn rebuild_with<P: Rebuildable + ?Sized>(
    pool: &PgPool,
    projection: &P,
    batch_size: i64,
) -> Result<RebuildReport, ProjectionError> {
    let options = RebuildOptions {
        batch_size,
        ..RebuildOptions::default()
    };
    rebuild_with_options(pool, projection, options).await
}

/// [`rebuild`] with explicit [`RebuildOptions`].
pub async fn rebuild_with_options<P: Rebuildable + ?Sized>(
    pool: &PgPool,
    projection: &P,
    options: RebuildOptions,
) -> Result<RebuildReport, ProjectionError> {
    let batch_size = options.batch_size.max(1);
    let name = ident(projection.name());
    for table in projection.tables() {
        ident(table);
    }
    let started = Instant::now();
    // A session of its own: its search_path must not leak into the pool.
    let mut conn = PgConnection::connect_with(&pool.connect_options()).await?;
    let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtext('rebuild:' || $1))")
        .bind(name)
        .fetch_one(&mut conn)
        .await?;
    if !got {
        return Err(ProjectionError::RebuildRunning(name.to_string()));
    }
    let schema = format!("rebuild_{name}");
    let connect = pool.connect_options();
    let result = run(
        &mut conn,
        &connect,
        projection,
        &schema,
        batch_size,
        options.cached_rows,
    )
    .await;
    if result.is_err() {
        let cleanup = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
        if let Err(e) = sqlx::query(&cleanup).execute(&mut conn).await {
            tracing::warn!(projection = name, error = %e, "rebuild schema not dropped");
        }
    }
    // Closing the session releases the advisory lock.
    let closed = conn.close().await;
    let (events, swap_events, checkpoint, swap_attempts) = result?;
    closed?;
    tracing::info!(projection = name, events, swap_events, "projection rebuilt");
    Ok(RebuildReport {
        projection: projection.name(),
        events,
        swap_events,
        checkpoint,
        elapsed: started.elapsed(),
        swap_attempts,
    })
}

async fn run<P: Rebuildable + ?Sized>(
    conn: &mut PgConnection,
    connect: &PgConnectOptions,
    projection: &P,
    schema: &str,
    batch_size: i64,
    cached_rows: usize,
) -> Result<(u64, u64, LogPosition, u32), ProjectionError> {
    let tables = projection.tables();
    create_shadow_tables(conn, schema, tables).await?;
    let deferred = deferred_indexes(conn, schema, tables).await?;

    enter_shadow_tables(conn, schema).await?;
    let options = ReplayOptions {
        cached_rows,
        side_session: SideSession {
            connect: connect.clone(),
            schema: schema.to_string(),
        },
    };
    let mut replayer: Box<dyn Replay + '_> = match projection.replay(options) {
        Some(replayer) => replayer,
        None => Box::new(BatchByBatch(projection)),
    };
    let filled_ahead = replayer.filled_ahead();
    let (ahead, deferred): (Vec<_>, Vec<_>) = deferred
        .into_iter()
        .partition(|(table, _)| filled_ahead.contains(table));
    if !filled_ahead.is_empty() {
        let indexes = ahead.into_iter().map(|(_, index)| index).collect();
        replayer.fill_ahead(indexes).await?;
    }
    let deferred = deferred.into_iter().map(|(_, index)| index).collect();
    let mut reader = Prefetch::start(connect.clone(), batch_size);
    let mut at = LogPosition::START;
    let mut events = 0u64;
    while let Some(batch) = reader.next().await? {
        let mut tx = conn.begin().await?;
        replayer.apply_batch(&mut tx, &batch).await?;
        tx.commit().await?;
        events += batch.len() as u64;
        if let Some(last) = batch.last() {
            at = last.log_position();
        }
    }
    let mut tx = conn.begin().await?;
    replayer.finish(&mut tx).await?;
    tx.commit().await?;
    let name = projection.name();
    tracing::info!(projection = name, events, "rebuild: log replayed");
    sqlx::query("RESET enable_seqscan")
        .execute(&mut *conn)
        .await?;
    sqlx::query("RESET synchronous_commit")
        .execute(&mut *conn)
        .await?;

    build_indexes(conn, connect, deferred).await?;
    tracing::info!(projection = name, "rebuild: indexes built");
    replayer.complete_ahead(conn).await?;
    drop(replayer);
    let statistics = shadow_statistics(conn, schema, tables).await?;
    for (_, create_statistics) in &statistics {
        sqlx::query(create_statistics).execute(&mut *conn).await?;
    }
    // VACUUM as well as ANALYZE, before the tables go live (decision A48):
    // every row of a filled table is new, and the first reader of each page
    // would pay for its hint bits, index-only scans would visit the heap, and
    // autovacuum would take one core for the whole table soon after the
    // swap, all while the service answers from it.
    for table in tables {
        sqlx::query(&format!(
            "ALTER TABLE {schema}.{table} RESET ({})",
            AUTOVACUUM_SETTINGS.join(", ")
        ))
        .execute(&mut *conn)
        .await?;
    }
    vacuum_and_analyse(conn, connect, schema, tables).await?;

    let mut attempt = 1;
    let swap_events = loop {
        let before = at;
        match swap(conn, projection, schema, &statistics, &mut at, batch_size).await {
            Ok(n) => break n,
            Err(ProjectionError::Database(e)) if is_lock_timeout(&e) && attempt < SWAP_ATTEMPTS => {
                // A long reader holds a live table: the swap rolled back whole.
                tracing::warn!(
                    projection = projection.name(),
                    attempt,
                    "swap waited too long for a lock; retrying"
                );
                at = before;
                attempt += 1;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => return Err(e),
        }
    };
    sqlx::query("RESET search_path").execute(&mut *conn).await?;
    Ok((events + swap_events, swap_events, at, attempt))
}

/// Tries of the swap when a lock is not granted within [`SWAP_LOCK_TIMEOUT`].
const SWAP_ATTEMPTS: u32 = 5;
/// Longest wait for a live table's lock: while DROP TABLE waits, new readers
/// of that table queue behind it, so the wait must stay short.
const SWAP_LOCK_TIMEOUT: &str = "3s";

fn is_lock_timeout(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|code| code == "55P03")
}

/// The swap transaction; returns the events caught up in it.
async fn swap<P: Projection + ?Sized>(
    conn: &mut PgConnection,
    projection: &P,
    schema: &str,
    statistics: &[(String, String)],
    at: &mut LogPosition,
    batch_size: i64,
) -> Result<u64, ProjectionError> {
    let tables = projection.tables();
    let mut tx = conn.begin().await?;
    sqlx::query(&format!("SET LOCAL lock_timeout = '{SWAP_LOCK_TIMEOUT}'"))
        .execute(&mut *tx)
        .await?;
    // The live worker pauses at its next batch until this commits.
    let live = checkpoint::lock(&mut tx, projection.name()).await?;
    let mut caught_up = 0u64;
    loop {
        let n = replay(&mut tx, projection, at, batch_size).await?;
        if n == 0 {
            break;
        }
        caught_up += n as u64;
    }
    // Both readers follow the same order, and the horizon only moves forward.
    assert!(*at >= live, "shadow {at:?} behind live checkpoint {live:?}");
    for table in tables {
        sqlx::query(&format!("DROP TABLE public.{table}"))
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!("ALTER TABLE {schema}.{table} SET SCHEMA public"))
            .execute(&mut *tx)
            .await?;
    }
    // Statistics objects live in a schema of their own choosing, not the table's.
    for (name, _) in statistics {
        sqlx::query(&format!(
            "ALTER STATISTICS {schema}.{name} SET SCHEMA public"
        ))
        .execute(&mut *tx)
        .await?;
    }
    checkpoint::save(&mut tx, projection.name(), *at).await?;
    sqlx::query(&format!("DROP SCHEMA {schema}"))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(caught_up)
}

/// A projection without a [`Replay`] of its own: each batch written as the live
/// worker writes it.
struct BatchByBatch<'a, P: ?Sized>(&'a P);

#[async_trait]
impl<P: Projection + ?Sized> Replay for BatchByBatch<'_, P> {
    async fn apply_batch(
        &mut self,
        tx: &mut PgConnection,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        self.0.apply_batch(tx, events).await
    }

    async fn finish(&mut self, _tx: &mut PgConnection) -> Result<(), ProjectionError> {
        Ok(())
    }
}

/// Reads the log ahead of the replay on a session of its own: batch after
/// batch from position 0 until the readable end, at most two batches ahead.
/// A batch is opened (its sealed fields decrypted) on a task of its own
/// while the next one is read.
struct Prefetch {
    batches: mpsc::Receiver<Result<Vec<RecordedEvent>, ProjectionError>>,
    task: tokio::task::JoinHandle<()>,
    opener: tokio::task::JoinHandle<()>,
}

impl Prefetch {
    fn start(options: PgConnectOptions, batch_size: i64) -> Prefetch {
        let (send_read, mut read) = mpsc::channel(2);
        let task = tokio::spawn(async move {
            let reading = async {
                let mut conn = PgConnection::connect_with(&options).await?;
                let mut at = LogPosition::START;
                loop {
                    let batch = read_after_unopened(&mut conn, at, batch_size).await?;
                    let Some(last) = batch.last_position() else {
                        break;
                    };
                    at = last;
                    if send_read.send(Ok(batch)).await.is_err() {
                        break;
                    }
                }
                conn.close().await?;
                Ok::<(), ProjectionError>(())
            };
            if let Err(e) = reading.await {
                let _ = send_read.send(Err(e)).await;
            }
        });
        let (send, batches) = mpsc::channel(2);
        let opener = tokio::spawn(async move {
            while let Some(batch) = read.recv().await {
                let opened = batch.and_then(|b: Unopened| b.open().map_err(ProjectionError::from));
                let failed = opened.is_err();
                if send.send(opened).await.is_err() || failed {
                    break;
                }
            }
        });
        Prefetch {
            batches,
            task,
            opener,
        }
    }

    /// The next batch; `None` at the readable end of the log.
    async fn next(&mut self) -> Result<Option<Vec<RecordedEvent>>, ProjectionError> {
        self.batches.recv().await.transpose()
    }
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        self.task.abort();
        self.opener.abort();
    }
}

/// One batch into the shadow tables; moves `at` past it. Returns its size.
async fn replay<P: Projection + ?Sized>(
    conn: &mut PgConnection,
    projection: &P,
    at: &mut LogPosition,
    batch_size: i64,
) -> Result<usize, ProjectionError> {
    let batch = read_after(&mut *conn, *at, batch_size).await?;
    projection.apply_batch(&mut *conn, &batch).await?;
    if let Some(last) = batch.last() {
        *at = last.log_position();
    }
    Ok(batch.len())
}

/// Projection and table names go into SQL text: they must be plain identifiers.
fn ident(s: &'static str) -> &'static str {
    let ok = !s.is_empty()
        && s.bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    assert!(ok, "{s:?} is not a plain SQL identifier");
    s
}
