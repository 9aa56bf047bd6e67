//! Read-your-writes: a command answers with the global position of its last
//! event; a query may first wait until the projections it reads have passed it.

use crate::ProjectionError;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use store::log::{position_of, LogPosition};
use tokio::sync::{watch, Notify};
use tokio::time::{sleep, Instant};

const FIRST_STEP: Duration = Duration::from_millis(5);
const LONGEST_STEP: Duration = Duration::from_millis(20);

/// `true` once every projection in `projection_names` has applied the event
/// at global `position` (its checkpoint is at or after the event's
/// `(tx_id, position)`); `false` if that did not happen within `timeout`
/// (including an unknown position or a projection that never ran).
pub async fn wait_for_position(
    pool: &PgPool,
    projection_names: &[&str],
    position: i64,
    timeout: Duration,
) -> Result<bool, ProjectionError> {
    let deadline = Instant::now() + timeout;
    let mut names: Vec<&str> = projection_names.to_vec();
    names.sort_unstable();
    names.dedup();
    let mut step = FIRST_STEP;
    let mut target = None;
    loop {
        if target.is_none() {
            target = position_of(pool, position).await?;
        }
        if let Some(at) = target {
            let passed: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM projection_checkpoints \
                 WHERE name = ANY($1) AND (tx_id, position) >= ($2, $3)",
            )
            .bind(&names)
            .bind(at.tx_id)
            .bind(at.position)
            .fetch_one(pool)
            .await?;
            if passed == names.len() as i64 {
                return Ok(true);
            }
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(false);
        }
        sleep(step.min(deadline - now)).await;
        step = (step * 2).min(LONGEST_STEP);
    }
}

/// How often the one poller of a [`CheckpointWatch`] reads the checkpoints
/// while someone waits.
const WATCH_STEP: Duration = Duration::from_millis(10);

/// The projections' checkpoints as last read, by name.
type Checkpoints = Arc<HashMap<String, LogPosition>>;

/// One wake-up source for every read-your-writes waiter of a process (issue
/// 23, item 3): a single task reads `projection_checkpoints` every
/// [`WATCH_STEP`] while at least one request waits, and publishes them on a
/// `watch` channel; waiters compare, they do not query. A hundred waiters
/// cost one query per step, not a hundred.
#[derive(Clone)]
pub struct CheckpointWatch {
    inner: Arc<WatchInner>,
}

struct WatchInner {
    checkpoints: watch::Sender<Checkpoints>,
    waiters: AtomicUsize,
    wake: Notify,
}

/// Counts a waiter for as long as it waits.
struct Waiting<'a>(&'a WatchInner);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.waiters.fetch_sub(1, Ordering::AcqRel);
    }
}

impl CheckpointWatch {
    /// Starts the poller on the current tokio runtime; it ends soon after the
    /// last clone of the watch is dropped.
    pub fn spawn(pool: PgPool) -> CheckpointWatch {
        let inner = Arc::new(WatchInner {
            checkpoints: watch::channel(Checkpoints::default()).0,
            waiters: AtomicUsize::new(0),
            wake: Notify::new(),
        });
        let weak = Arc::downgrade(&inner);
        tokio::spawn(async move {
            while let Some(inner) = weak.upgrade() {
                if inner.waiters.load(Ordering::Acquire) == 0 {
                    let _ =
                        tokio::time::timeout(Duration::from_secs(1), inner.wake.notified()).await;
                    continue;
                }
                match read_checkpoints(&pool).await {
                    Ok(now) => {
                        inner.checkpoints.send_if_modified(|old| {
                            let changed = **old != now;
                            if changed {
                                *old = Arc::new(now);
                            }
                            changed
                        });
                    }
                    Err(e) => tracing::warn!(error = %e, "reading projection checkpoints"),
                }
                drop(inner);
                sleep(WATCH_STEP).await;
            }
        });
        CheckpointWatch { inner }
    }

    /// `true` once every projection in `names` has applied the event at
    /// `target` (see [`wait_for_position`]), `false` after `timeout`.
    pub async fn wait(&self, names: &[&str], target: LogPosition, timeout: Duration) -> bool {
        let inner = &*self.inner;
        inner.waiters.fetch_add(1, Ordering::AcqRel);
        let _waiting = Waiting(inner);
        inner.wake.notify_one();
        let mut rx = inner.checkpoints.subscribe();
        let passed = |c: &HashMap<String, LogPosition>| {
            names
                .iter()
                .all(|n| c.get(*n).is_some_and(|at| *at >= target))
        };
        let deadline = Instant::now() + timeout;
        loop {
            if passed(&rx.borrow_and_update()) {
                return true;
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => continue,
                Ok(Err(_)) | Err(_) => return false,
            }
        }
    }
}

async fn read_checkpoints(pool: &PgPool) -> Result<HashMap<String, LogPosition>, sqlx::Error> {
    let rows: Vec<(String, i64, i64)> =
        sqlx::query_as("SELECT name, tx_id, position FROM projection_checkpoints")
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(name, tx_id, position)| (name, LogPosition { tx_id, position }))
        .collect())
}
