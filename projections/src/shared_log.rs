//! One reading of the log for all the projection workers of a process.
//!
//! Every worker reads the same events: each batch of the log was fetched and
//! decoded once per projection (decision A39). A worker now asks the
//! [`SharedLog`] of its process, which keeps the batches read lately
//! ([`Segment`]s) and hands out slices of them; it reads the database only
//! for events no recent segment holds, one reader at a time, so that workers
//! woken by the same commit wait for the first one's read instead of each
//! making their own.
//!
//! A segment is exactly the log's content between two positions: a read
//! returns events of finished transactions only (`store::log`), so
//! no event can appear later among those it covers.

use crate::metrics::Metrics;
use sqlx::PgConnection;
use std::collections::VecDeque;
use std::ops::{Deref, Range};
use std::sync::Arc;
use store::log::read_after;
use store::{LogPosition, RecordedEvent, StoreError};
use tokio::sync::Mutex;

/// Events kept in memory for the workers, at most (about 1 KiB each).
pub const DEFAULT_KEPT_EVENTS: usize = 4 * crate::projection::DEFAULT_BATCH_SIZE as usize;

/// The recent batches of the log read by the workers of this process.
pub struct SharedLog {
    recent: Mutex<VecDeque<Segment>>,
    kept_events: usize,
    metrics: Metrics,
}

/// The log between `after` (excluded) and its last event (included).
struct Segment {
    after: LogPosition,
    events: Arc<[RecordedEvent]>,
    /// The read returned fewer events than asked: it reached the readable end.
    reached_end: bool,
    /// This process's commits rung before the read began
    /// ([`store::commits_rung`]).
    rung_before: u64,
}

/// What a look at the log may take as its end: the look consumed the rings
/// of this process up to `rung` and no wake-up from another process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookSince {
    /// Woken by this process's commits only, up to this count.
    Rung(u64),
    /// Woken (perhaps) by another process's commit: only a fresh read of the
    /// database tells where the end is.
    OtherProcess,
}

/// Consecutive events of the log, shared with the other workers.
pub struct Batch {
    events: Arc<[RecordedEvent]>,
    range: Range<usize>,
    /// No event was readable after this batch when it was read, after every
    /// wake-up the look had consumed: the worker may wait for the next one.
    pub at_end: bool,
}

impl Deref for Batch {
    type Target = [RecordedEvent];
    fn deref(&self) -> &[RecordedEvent] {
        &self.events[self.range.clone()]
    }
}

impl Batch {
    /// Up to `limit` events after `after`, read from the database.
    pub(crate) async fn read(
        conn: &mut PgConnection,
        after: LogPosition,
        limit: usize,
    ) -> Result<Batch, StoreError> {
        let events: Arc<[RecordedEvent]> = read_after(conn, after, limit as i64).await?.into();
        Ok(Batch {
            range: 0..events.len(),
            at_end: events.len() < limit,
            events,
        })
    }
}

impl SharedLog {
    /// Keeps at most `kept_events` events (at least one read's worth is
    /// always kept: the last).
    pub fn new(kept_events: usize, metrics: Metrics) -> SharedLog {
        SharedLog {
            recent: Mutex::new(VecDeque::new()),
            kept_events,
            metrics,
        }
    }

    /// Up to `limit` events after `after`, as [`read_after`] on `conn` would
    /// return them, from memory when a recent read holds them.
    pub async fn read_after(
        &self,
        conn: &mut PgConnection,
        after: LogPosition,
        limit: usize,
        since: LookSince,
    ) -> Result<Batch, StoreError> {
        let mut recent = self.recent.lock().await;
        if let Some(batch) = recent
            .iter()
            .rev()
            .find_map(|segment| segment.slice_after(after, limit, since))
        {
            self.count("shared", batch.len());
            return Ok(batch);
        }
        let rung_before = store::commits_rung();
        let batch = Batch::read(conn, after, limit).await?;
        self.count("database", batch.len());
        if !batch.is_empty() {
            recent.push_back(Segment {
                after,
                events: batch.events.clone(),
                reached_end: batch.at_end,
                rung_before,
            });
            let mut kept: usize = recent.iter().map(|s| s.events.len()).sum();
            while kept > self.kept_events && recent.len() > 1 {
                let oldest = recent.pop_front().expect("more than one segment");
                kept -= oldest.events.len();
            }
        }
        Ok(batch)
    }

    fn count(&self, source: &str, events: usize) {
        self.metrics
            .log_events_read
            .with_label_values(&[source])
            .inc_by(events as u64);
    }
}

impl Segment {
    fn last(&self) -> LogPosition {
        self.events
            .last()
            .expect("segments hold events")
            .log_position()
    }

    /// The events after `after`, if this segment covers that place.
    fn slice_after(&self, after: LogPosition, limit: usize, since: LookSince) -> Option<Batch> {
        if after < self.after || after >= self.last() {
            return None;
        }
        let start = self.events.partition_point(|e| e.log_position() <= after);
        let end = self.events.len().min(start + limit);
        // The segment's end is the log's end for this look only if its read
        // began after every ring the look consumed: a commit rung later may
        // lie beyond it, and its wake-up is spent.
        let fresh = matches!(since, LookSince::Rung(rung) if self.rung_before >= rung);
        Some(Batch {
            events: self.events.clone(),
            range: start..end,
            at_end: self.reached_end && end == self.events.len() && fresh,
        })
    }
}
