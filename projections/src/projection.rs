//! The contract of a read model fed by the global log, and nothing else: the
//! worker (`worker.rs`) runs it live; what only a rebuild needs is
//! `rebuild::Rebuildable`, which the rebuild owns. A projection's meaning is
//! its `fold.rs`, its writes its `store.rs` (through `batch/`).

use crate::ProjectionError;
use async_trait::async_trait;
use sqlx::PgConnection;
use store::RecordedEvent;

/// Events applied per transaction unless told otherwise.
pub const DEFAULT_BATCH_SIZE: i64 = 500;

/// A read model fed by the global log.
///
/// Contract for implementors:
/// - `apply` is a deterministic function of the events: timestamps come from the
///   payloads, never from `now()`, so a rebuild gives identical rows;
/// - `apply` ignores every stream type and event type it does not know;
/// - `apply` writes only the tables listed in `tables()`, with unqualified
///   names (a rebuild points `search_path` at shadow copies of them);
/// - read tables use no sequences, so `CREATE TABLE … (LIKE … INCLUDING ALL)`
///   copies them faithfully;
/// - applying an event twice is harmless (the framework applies each once,
///   but idempotent writes make that a belt-and-braces guarantee).
#[async_trait]
pub trait Projection: Send + Sync {
    /// Unique, `[a-z0-9_]+`: names the checkpoint, the advisory lock and the
    /// rebuild schema.
    fn name(&self) -> &'static str;
    /// Exactly the tables this projection writes (and a rebuild replaces).
    fn tables(&self) -> &'static [&'static str];
    /// Applies one event inside the caller's transaction.
    async fn apply(
        &self,
        tx: &mut PgConnection,
        event: &RecordedEvent,
    ) -> Result<(), ProjectionError>;

    /// Applies consecutive events of the log, in order, inside the caller's
    /// transaction: the same result as [`Projection::apply`] on each in turn.
    /// A projection that can fold a batch in memory and write each table once
    /// overrides it (the worker and the rebuild always call this).
    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        for event in events {
            self.apply(tx, event).await?;
        }
        Ok(())
    }
}
