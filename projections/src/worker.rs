//! The live side of the projection framework: [`run_once`] (one batch of a
//! [`Projection`] and its checkpoint in one transaction) and the long-running
//! [`Worker`] with leader election, `LISTEN/NOTIFY` wake-ups and lag metrics.

use crate::metrics::Metrics;
use crate::projection::{Projection, DEFAULT_BATCH_SIZE};
use crate::shared_log::{Batch, LookSince, SharedLog, DEFAULT_KEPT_EVENTS};
use crate::{checkpoint, ProjectionError};
use chrono::Utc;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{LogPosition, StoreError, EVENTS_CHANNEL};
use tokio::sync::watch;

mod spawn;

pub use spawn::{
    registered_metrics, spawn_all, spawn_all_sharing, spawn_all_with, WORKER_WORK_MEM,
};

/// What one [`run_once`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing to apply: the projection is at the log's readable end.
    Idle,
    /// This many events were applied and the checkpoint moved past them.
    Applied(usize),
}

/// Applies the next batch of at most `batch_size` events and moves the
/// checkpoint past it, in one transaction: either both happen or neither.
/// Concurrent callers on the same projection serialise on the checkpoint row,
/// so every event is applied exactly once.
pub async fn run_once<P: Projection + ?Sized>(
    pool: &PgPool,
    projection: &P,
    batch_size: i64,
) -> Result<Outcome, ProjectionError> {
    let mut conn = pool.acquire().await?;
    let step = apply_next_batch(&mut conn, projection, batch_size, Source::Database).await?;
    Ok(match step.applied {
        0 => Outcome::Idle,
        n => Outcome::Applied(n),
    })
}

/// Where a worker step takes its events from.
#[derive(Clone, Copy)]
enum Source<'a> {
    /// The database, every time (a single [`run_once`]).
    Database,
    /// The process's shared reads, for a look that began as said.
    Shared(&'a SharedLog, LookSince),
}

impl Source<'_> {
    async fn read_after(
        self,
        conn: &mut PgConnection,
        after: LogPosition,
        limit: usize,
    ) -> Result<Batch, StoreError> {
        match self {
            Source::Database => Batch::read(conn, after, limit).await,
            Source::Shared(log, since) => log.read_after(conn, after, limit, since).await,
        }
    }
}

/// What one [`apply_next_batch`] did.
struct Step {
    applied: usize,
    /// Nothing more was readable (see [`crate::shared_log::Batch::at_end`]).
    at_end: bool,
}

/// [`run_once`] on a session of the caller's, taking the events from `source`.
#[tracing::instrument(level = "debug", skip_all, fields(projection = projection.name()), err)]
async fn apply_next_batch<P: Projection + ?Sized>(
    conn: &mut PgConnection,
    projection: &P,
    batch_size: i64,
    source: Source<'_>,
) -> Result<Step, ProjectionError> {
    let name = projection.name();
    let limit = batch_size.max(1) as usize;
    let mut tx = conn.begin().await?;
    // Look before locking: an idle projection takes no row lock and no
    // transaction id (which would hold back every reader's horizon).
    let seen = checkpoint::get(&mut *tx, name)
        .await?
        .unwrap_or(LogPosition::START);
    let mut batch = source.read_after(&mut tx, seen, limit).await?;
    if batch.is_empty() {
        tx.rollback().await?;
        return Ok(Step {
            applied: 0,
            at_end: batch.at_end,
        });
    }
    let from = checkpoint::lock(&mut tx, name).await?;
    if from != seen {
        // Another runner moved it meanwhile: read again from where it is now.
        batch = source.read_after(&mut tx, from, limit).await?;
        if batch.is_empty() {
            tx.rollback().await?;
            return Ok(Step {
                applied: 0,
                at_end: batch.at_end,
            });
        }
    }
    projection.apply_batch(&mut tx, &batch).await?;
    let last = batch.last().expect("batch is not empty").log_position();
    checkpoint::save(&mut tx, name, last).await?;
    tx.commit().await?;
    Ok(Step {
        applied: batch.len(),
        at_end: batch.at_end,
    })
}

/// Calls [`run_once`] until the projection has applied every event committed
/// before the call; returns the events applied. For tests and one-shot
/// catch-ups. An event committed but not yet readable (an older transaction,
/// in any database of the cluster, is still open) is waited for.
pub async fn run_until_idle<P: Projection + ?Sized>(
    pool: &PgPool,
    projection: &P,
) -> Result<usize, ProjectionError> {
    run_until_idle_in_batches(pool, projection, DEFAULT_BATCH_SIZE).await
}

/// [`run_until_idle`] in batches of at most `batch_size` events: with 1,
/// one event per transaction, as a worker that keeps up with the log applies
/// them.
pub async fn run_until_idle_in_batches<P: Projection + ?Sized>(
    pool: &PgPool,
    projection: &P,
    batch_size: i64,
) -> Result<usize, ProjectionError> {
    let end = checkpoint::log_end(pool).await?;
    let mut total = 0;
    loop {
        match run_once(pool, projection, batch_size).await? {
            Outcome::Applied(n) => total += n,
            Outcome::Idle => {
                let at = checkpoint::get(pool, projection.name()).await?;
                if end.is_none_or(|end| at.is_some_and(|at| at >= end)) {
                    return Ok(total);
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }
}

/// Timings of a [`Worker`].
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub batch_size: i64,
    /// Longest sleep between two looks at the log when no notification comes.
    pub poll_interval: Duration,
    /// How often a standby instance tries to become the leader.
    pub standby_retry: Duration,
    /// Shortest time between two measures of the lag while the leader is
    /// busy: under load a drain ends every few milliseconds, and a measure
    /// after each one was as many statements as the batches themselves
    /// (decision A32). The gauges are scraped every few seconds.
    pub lag_interval: Duration,
    /// Shortest time between the starts of two looks at the log. Under load
    /// a wake-up comes with every commit, and each look is a transaction of
    /// its own (most of them found nothing readable yet, in the HTTP
    /// benchmark); waiting out the rest of the interval folds the commits
    /// that arrive meanwhile into one batch. An idle worker looks at once.
    /// Also the wait before looking again while events exist beyond the
    /// readable horizon (a transaction older than them is still open): they
    /// become readable without a notification of their own, so it must not
    /// be zero.
    pub drain_interval: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            batch_size: DEFAULT_BATCH_SIZE,
            poll_interval: Duration::from_millis(500),
            standby_retry: Duration::from_secs(1),
            lag_interval: Duration::from_millis(100),
            drain_interval: Duration::from_millis(50),
        }
    }
}

/// Runs one projection until shutdown. Any number of instances (in any
/// number of processes) may run: the one holding the session advisory lock
/// `hashtext('projection:' || name)` on its dedicated connection is active,
/// the others retry every `standby_retry` and take over when that connection
/// dies. Correctness does not depend on the lock (the checkpoint row lock of
/// [`run_once`] already serialises runners); it only avoids wasted work.
///
/// The leader runs its batches on the session that holds the lock: one
/// connection per worker, kept, opened with `connect` (and one more for its
/// `LISTEN`).
pub struct Worker {
    connect: PgConnectOptions,
    projection: Arc<dyn Projection>,
    metrics: Metrics,
    config: WorkerConfig,
    log: Arc<SharedLog>,
}

impl Worker {
    /// A worker reading the log on its own; see [`Worker::sharing`].
    pub fn new(
        connect: PgConnectOptions,
        projection: Arc<dyn Projection>,
        metrics: Metrics,
        config: WorkerConfig,
    ) -> Worker {
        let log = Arc::new(SharedLog::new(DEFAULT_KEPT_EVENTS, metrics.clone()));
        Worker {
            connect,
            projection,
            metrics,
            config,
            log,
        }
    }

    /// Takes its events through `log`, with the other workers of the process
    /// that share it: a batch one of them read is not read again.
    pub fn sharing(self, log: Arc<SharedLog>) -> Worker {
        Worker { log, ..self }
    }

    /// Runs until `shutdown` holds `true` (or its sender is dropped). Errors
    /// are logged and retried; they never end the worker.
    #[tracing::instrument(level = "info", skip_all, fields(projection = self.projection.name()))]
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let name = self.projection.name();
        let leader_gauge = self.metrics.leader.with_label_values(&[name]);
        let mut lock_conn: Option<PgConnection> = None;
        while !stopping(&shutdown) {
            match self.try_lead(&mut lock_conn).await {
                Ok(true) => {
                    tracing::info!(projection = name, "projection worker is the leader");
                    leader_gauge.set(1);
                    let conn = lock_conn.take().expect("leader holds its lock connection");
                    let result = self.lead(conn, &mut shutdown).await;
                    leader_gauge.set(0);
                    match result {
                        Ok(()) => return,
                        Err(e) => tracing::error!(
                            projection = name, error = %e,
                            "projection worker stopped leading"
                        ),
                    }
                }
                Ok(false) => {
                    let standby = lock_conn.as_mut().expect("standby keeps its connection");
                    if let Err(e) = self.observe_lag(standby).await {
                        tracing::warn!(projection = name, error = %e, "lag not measured");
                    }
                }
                Err(e) => {
                    lock_conn = None;
                    tracing::warn!(projection = name, error = %e, "leader election failed");
                }
            }
            sleep_or_shutdown(&mut shutdown, self.config.standby_retry).await;
        }
    }

    /// Tries the advisory lock on the (kept) standby connection.
    async fn try_lead(&self, conn: &mut Option<PgConnection>) -> Result<bool, ProjectionError> {
        if conn.is_none() {
            *conn = Some(PgConnection::connect_with(&self.connect).await?);
        }
        let c = conn.as_mut().expect("connection just set");
        let got: bool =
            sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtext('projection:' || $1))")
                .bind(self.projection.name())
                .fetch_one(&mut *c)
                .await?;
        Ok(got)
    }

    /// The leader's loop, on the session that holds the lock. Returns `Ok`
    /// on shutdown, `Err` when it must step down (the session lost, a batch
    /// failed).
    async fn lead(
        &self,
        mut session: PgConnection,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<(), ProjectionError> {
        let name = self.projection.name();
        let applied = self.metrics.applied.with_label_values(&[name]);
        let mut listener = self.listener().await?;
        let mut local_commits = store::local_commits();
        // The lag is measured after a drain that applied events and while
        // events are pending, at most once a lag interval, and at least once
        // a poll interval; the leadership is checked once a poll interval.
        // Not after every wake-up: those come with every commit, and each
        // check is a statement (which also finds a lost session, and with it
        // the lock).
        let mut pending = 0;
        let mut woken_by_other_process = false;
        let mut last_periodic = Instant::now();
        let mut last_lag = Instant::now();
        while !stopping(shutdown) {
            let look_started = Instant::now();
            let rung = *local_commits.borrow_and_update();
            let since = match std::mem::take(&mut woken_by_other_process) {
                true => LookSince::OtherProcess,
                false => LookSince::Rung(rung),
            };
            let source = Source::Shared(&self.log, since);
            let mut applied_any = false;
            loop {
                let step = apply_next_batch(
                    &mut session,
                    &*self.projection,
                    self.config.batch_size,
                    source,
                )
                .await?;
                applied.inc_by(step.applied as u64);
                applied_any |= step.applied > 0;
                // The readable end as of this look: what comes after it
                // wakes this loop again.
                if step.at_end || stopping(shutdown) {
                    break;
                }
            }
            let periodic = last_periodic.elapsed() >= self.config.poll_interval;
            let lag_due = last_lag.elapsed() >= self.config.lag_interval;
            if periodic || (lag_due && (applied_any || pending > 0)) {
                pending = self.observe_lag(&mut session).await?;
                last_lag = Instant::now();
            }
            if periodic {
                last_periodic = Instant::now();
            }
            if pending == 0 {
                tokio::select! {
                    _ = shutdown.changed() => {}
                    _ = tokio::time::sleep(self.config.poll_interval) => {}
                    // A commit of this process (rung before its notification).
                    _ = local_commits.changed() => {}
                    received = other_process_commit(&mut listener) => {
                        received?;
                        woken_by_other_process = true;
                    }
                }
            }
            // Woken, or events wait beyond the horizon: look again, but not
            // before one drain interval after the last look began.
            let next_look = look_started + self.config.drain_interval;
            if Instant::now() < next_look {
                tokio::select! {
                    _ = shutdown.changed() => {}
                    _ = tokio::time::sleep_until(next_look.into()) => {}
                }
            }
        }
        // Closing the session releases the advisory lock.
        session.close().await?;
        Ok(())
    }

    /// A listener on its own one-connection pool, so it never takes a
    /// connection from the application's pool.
    async fn listener(&self) -> Result<PgListener, ProjectionError> {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .max_lifetime(None)
            .idle_timeout(None)
            .connect_with(self.connect.clone())
            .await?;
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen(EVENTS_CHANNEL).await?;
        Ok(listener)
    }

    /// Updates the lag gauges; returns the events pending after the checkpoint.
    async fn observe_lag(&self, session: &mut PgConnection) -> Result<i64, ProjectionError> {
        let name = self.projection.name();
        let at = checkpoint::get(&mut *session, name)
            .await?
            .unwrap_or(LogPosition::START);
        let (pending, oldest) = checkpoint::lag(&mut *session, at, 1_000_000).await?;
        let seconds = oldest.map_or(0.0, |t| {
            ((Utc::now() - t).num_milliseconds() as f64 / 1000.0).max(0.0)
        });
        self.metrics
            .lag_events
            .with_label_values(&[name])
            .set(pending);
        self.metrics
            .lag_seconds
            .with_label_values(&[name])
            .set(seconds);
        Ok(pending)
    }
}

/// Waits for a notification sent by another process (this process's own
/// commits wake its workers in memory); `Ok` also when the listener
/// reconnected, since notifications may have been missed meanwhile.
async fn other_process_commit(listener: &mut PgListener) -> Result<(), ProjectionError> {
    let this_process = store::this_process();
    loop {
        match listener.try_recv().await? {
            Some(notification) if notification.payload() == this_process => continue,
            _ => break,
        }
    }
    while listener.next_buffered().is_some() {}
    Ok(())
}

fn stopping(shutdown: &watch::Receiver<bool>) -> bool {
    *shutdown.borrow() || shutdown.has_changed().is_err()
}

async fn sleep_or_shutdown(shutdown: &mut watch::Receiver<bool>, d: Duration) {
    tokio::select! {
        _ = shutdown.changed() => {}
        _ = tokio::time::sleep(d) => {}
    }
}

#[cfg(test)]
#[path = "worker_tests.rs"]
mod tests;
