//! Tamper evidence: recompute the hash chain of a stream or of the whole log
//! from the stored rows and report the first broken link.
//!
//! Each event is checked on its own stored neighbours, so one altered event
//! breaks exactly one link and nothing before it:
//! - `version_gap`: the versions of the stream do not run 1, 2, 3, … (an
//!   event was removed or renumbered);
//! - `prev_hash_mismatch`: `prev_hash` is not the stored `hash` of the
//!   previous event (the chain was re-linked);
//! - `hash_mismatch`: `sha256(prev_hash ‖ content)` is not the stored `hash`
//!   (the event's content was changed).
//!
//! The whole log is read in `(stream_id, version)` order (the unique index),
//! in batches: memory stays constant whatever the size of the log. The first
//! broken link reported is the one with the lowest global position; the
//! number of broken links is counted too.

use super::hash::{event_hash, ChainLink, GENESIS_HASH};
use super::log::{RecordedEvent, EVENT_COLUMNS};
use super::StoreError;
use serde::Serialize;
use sqlx::PgPool;

/// Rows read per batch when verifying the whole log.
pub const VERIFY_BATCH: i64 = 2_000;

/// One link of the chain that does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokenLink {
    pub position: i64,
    pub stream_id: String,
    pub version: i32,
    /// `version_gap`, `prev_hash_mismatch` or `hash_mismatch`.
    pub reason: String,
}

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// True when every link holds.
    pub ok: bool,
    pub events_checked: u64,
    pub streams_checked: u64,
    /// The broken link with the lowest global position.
    pub first_broken: Option<BrokenLink>,
    pub broken_links: u64,
}

/// Walks rows in `(stream_id, version)` order.
#[derive(Debug, Default)]
struct Checker {
    stream: Option<String>,
    next_version: i32,
    prev_hash: [u8; 32],
    events: u64,
    streams: u64,
    first_broken: Option<BrokenLink>,
    broken: u64,
}

impl Checker {
    fn check(&mut self, e: &RecordedEvent) {
        if self.stream.as_deref() != Some(e.stream_id.as_str()) {
            self.stream = Some(e.stream_id.clone());
            self.next_version = 1;
            self.prev_hash = GENESIS_HASH;
            self.streams += 1;
        }
        self.events += 1;
        let reason = if e.version != self.next_version {
            Some("version_gap")
        } else if e.prev_hash.as_slice() != self.prev_hash {
            Some("prev_hash_mismatch")
        } else if recompute(e).as_slice() != e.hash.as_slice() {
            Some("hash_mismatch")
        } else {
            None
        };
        if let Some(reason) = reason {
            self.broken += 1;
            if self
                .first_broken
                .as_ref()
                .is_none_or(|b| e.position < b.position)
            {
                self.first_broken = Some(BrokenLink {
                    position: e.position,
                    stream_id: e.stream_id.clone(),
                    version: e.version,
                    reason: reason.to_string(),
                });
            }
        }
        // Go on from what is stored, so one altered event breaks one link.
        self.next_version = e.version.saturating_add(1);
        self.prev_hash = e.hash_array();
    }

    fn finish(self) -> Verification {
        Verification {
            ok: self.broken == 0,
            events_checked: self.events,
            streams_checked: self.streams,
            first_broken: self.first_broken,
            broken_links: self.broken,
        }
    }
}

/// The hash of the stored event, from its stored `prev_hash`.
fn recompute(e: &RecordedEvent) -> [u8; 32] {
    let prev: [u8; 32] = e.prev_hash.as_slice().try_into().unwrap_or([0xff; 32]);
    event_hash(
        &prev,
        &ChainLink {
            stream_id: &e.stream_id,
            version: u64::try_from(e.version).unwrap_or(0),
            event_type: &e.event_type,
            schema_version: e.schema_version,
            payload: &e.payload,
            metadata: &e.metadata,
            recorded_at: e.recorded_at,
        },
    )
}

/// Verifies one stream; `None` if it has no events.
pub async fn verify_stream(
    pool: &PgPool,
    stream_id: &str,
) -> Result<Option<Verification>, StoreError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = $1 AND version > $2 \
         ORDER BY version LIMIT $3"
    );
    let mut checker = Checker::default();
    let mut after = 0i32;
    loop {
        let rows: Vec<RecordedEvent> = sqlx::query_as(&sql)
            .bind(stream_id)
            .bind(after)
            .bind(VERIFY_BATCH)
            .fetch_all(pool)
            .await?;
        for row in &rows {
            checker.check(row);
        }
        match rows.last() {
            Some(last) if rows.len() as i64 == VERIFY_BATCH => after = last.version,
            _ => break,
        }
    }
    if checker.events == 0 {
        return Ok(None);
    }
    Ok(Some(checker.finish()))
}

/// Verifies every stream of the log, in batches of [`VERIFY_BATCH`] rows.
pub async fn verify_log(pool: &PgPool) -> Result<Verification, StoreError> {
    let first = format!(
        "SELECT {EVENT_COLUMNS} FROM events ORDER BY stream_id, version LIMIT {VERIFY_BATCH}"
    );
    let next = format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE (stream_id, version) > ($1, $2) \
         ORDER BY stream_id, version LIMIT {VERIFY_BATCH}"
    );
    let mut checker = Checker::default();
    let mut after: Option<(String, i32)> = None;
    loop {
        let rows: Vec<RecordedEvent> = match &after {
            None => sqlx::query_as(&first).fetch_all(pool).await?,
            Some((stream, version)) => {
                sqlx::query_as(&next)
                    .bind(stream)
                    .bind(version)
                    .fetch_all(pool)
                    .await?
            }
        };
        for row in &rows {
            checker.check(row);
        }
        match rows.last() {
            Some(last) if rows.len() as i64 == VERIFY_BATCH => {
                after = Some((last.stream_id.clone(), last.version));
            }
            _ => break,
        }
    }
    Ok(checker.finish())
}
