//! The event store on PostgreSQL: append with optimistic concurrency and a hash
//! chain, load a stream, tail the global log without skipping, idempotency keys
//! and protocol counters. The only code that touches the `events` table.
//!
//! Both sides depend on it: the command handlers write through [`append`] and
//! the [`GroupCommitter`], the projections and notifications read the
//! [`log`]. Beside it: [`sessions`] (database sessions kept out of sqlx's
//! pool, for the committers and workers) and [`clock`] (where "now" comes
//! from, for every process that runs the rules).

mod append;
pub mod audit;
mod canonical;
pub mod clock;
pub mod group;
mod hash;
pub mod idempotency;
mod load;
pub mod log;
mod notify;
pub mod privacy;
pub mod protocol;
pub mod sessions;
pub mod upcast;
pub mod verify;

pub use append::{append, Appended};
pub use group::{BatchPaths, GroupCommitter, IdempotencyRecord, Write, Written};
pub use hash::{event_hash, ChainLink, GENESIS_HASH};
pub use load::{load_first_events, load_stream, LoadedStream};
pub use log::{LogPosition, RecordedEvent};
pub use notify::{commits_rung, local_commits, this_process, CommitNotifier};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The channel on which [`CommitNotifier`] tells the workers of new events.
pub const EVENTS_CHANNEL: &str = "combipat_events";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another writer appended to the stream first (or the stream is not at the
    /// expected version).
    #[error("stream {stream_id} is not at version {expected}")]
    Conflict { stream_id: String, expected: u64 },
    #[error("idempotency key already recorded by a concurrent command")]
    IdempotencyRace,
    /// The COMMIT of a group transaction failed; whether it was applied is
    /// not known (the client may retry with its idempotency key).
    #[error("commit failed: {0}")]
    CommitFailed(String),
    /// A write sealed with a new subject's key that lost to another
    /// writer's key for the same subject: to be sealed again and retried.
    #[error("a new data subject's key was stored first by another writer")]
    KeyLost,
    #[error("stored event {position} cannot be read: {reason}")]
    Corrupt { position: i64, reason: String },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    pub fn is_conflict(&self) -> bool {
        matches!(self, StoreError::Conflict { .. })
    }
}

/// One event to append: its type, schema version and JSON payload.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub event_type: String,
    pub schema_version: i16,
    pub payload: serde_json::Value,
}

/// Who caused an append and why; stored with every event (SPEC §3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    pub actor_id: String,
    pub actor_role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patronato: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sede: Option<String>,
    /// The command that produced the event (e.g. `send_sollecito`).
    pub command: String,
    pub correlation_id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causation_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
}

/// A stream and the version the writer saw, with that version's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub stream_id: String,
    pub stream_type: String,
    pub version: u64,
    pub last_hash: [u8; 32],
}

impl Expected {
    /// A stream that must not exist yet.
    pub fn new_stream(stream_id: String, stream_type: &str) -> Self {
        Self {
            stream_id,
            stream_type: stream_type.to_string(),
            version: 0,
            last_hash: GENESIS_HASH,
        }
    }
}

/// How every pool of the service hands out connections. sqlx tests a
/// connection with a round trip each time it is returned to the pool (a
/// broken one is dropped there) and, by default, again each time it is
/// taken: under load that second round trip doubled the statements of a
/// short command. Only a connection idle for over a second (the server may
/// have restarted meanwhile) is tested before use.
pub fn pool_options(size: u32) -> sqlx::postgres::PgPoolOptions {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(size)
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > std::time::Duration::from_secs(1) {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
}

/// Session settings of the connections whose statements reach their rows by
/// key or read the log in index order, whatever the values (the committers'
/// and the projection workers'): each statement is planned once
/// (`force_generic_plan`, decision A24), and that plan never scans a whole
/// table (`enable_seqscan = off`, decision A36). A plan is made once per
/// connection, perhaps while a table is still empty; with sequential scans
/// allowed, PostgreSQL then chose one for a look-up by key (an empty table
/// costs nothing to scan) and kept it while the table grew, until the next
/// ANALYZE: in a fresh database's first minute under load, every statistics
/// batch scanned the whole of `stat_requests` (40 ms per batch at 15,000
/// rows), every lag measure the whole log. Where no index serves a statement,
/// PostgreSQL still scans the table: the setting only rules the scan out
/// where an index can do the work.
pub const KEYED_PLAN_SETTINGS: [(&str, &str); 2] = [
    ("plan_cache_mode", "force_generic_plan"),
    ("enable_seqscan", "off"),
];

/// How to open a session of its own to the database of `pool`, with the
/// session `settings` given (the committers', the projection workers', the
/// reference look-ups').
pub fn session_options(
    pool: &sqlx::PgPool,
    settings: &[(&str, &str)],
) -> sqlx::postgres::PgConnectOptions {
    (*pool.connect_options())
        .clone()
        .options(settings.iter().copied())
}
