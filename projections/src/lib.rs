//! # Layout
//! The read side: projection workers and the read models they maintain
//! (DESIGN.md "Projections"). Tables are created by the migrations.
//!
//! Read models, one module per projection, each with the same files. Read
//! `fold.rs` first: what each event means, pure and tested without
//! PostgreSQL; `rows.rs` has the rows (field names = column names);
//! `store.rs` fetches what the fold needs and hands what it made to
//! [`batch`]; `query.rs` answers the API.
//! - [`requests`]: `request_summary` (history, inbox, detail header),
//!   `request_timeline`, `request_attachments`, `request_search`.
//! - [`home_panel`]: `recent_replies` (replies of the last 3 days).
//! - [`statistics`]: `stat_requests`, `stat_daily`, `stat_flows`.
//! - [`bookings`]: `booking_slots` (who has each slot), `bookings`.
//!
//! Framework (modules depend one way: `worker` → `shared_log` →
//! `projection` ← `rebuild`; the read models → `batch` → `rebuild`'s
//! [`SideSession`]):
//! - `projection.rs`: the [`Projection`] contract — name, tables, apply a batch.
//! - `batch/`: the one batch writer every read model writes through —
//!   cached tables (read once per batch, kept across a replay's batches,
//!   upserted, `COPY`d or written on a second session) and rows written once.
//! - [`worker`]: [`run_once`] applies a batch and moves the checkpoint in one
//!   transaction (exactly-once effect); [`Worker`] runs one projection for
//!   ever (advisory-lock leader election, `LISTEN` wake-ups with a polling
//!   fallback); [`spawn_all`].
//! - [`shared_log`]: the workers of a process read each batch of the log once.
//! - [`rebuild`]: replay from position 0 into shadow tables, then swap; its
//!   own surface of a projection, [`Rebuildable`] and [`Replay`]
//!   (`rebuild/replay.rs`).
//! - [`checkpoint`]: the `projection_checkpoints` rows.
//! - [`metrics`]: lag and throughput gauges for Prometheus.
//! - [`wait`]: read-your-writes ([`wait_for_position`]).
//! - [`page`]: keyset cursors, pages, time ranges.
//!
//! Decisions (details in the modules):
//! - The global log is read in `(tx_id, position)` order below the oldest
//!   running transaction (`store::log`). That horizon is
//!   cluster-wide: a long write transaction in any database of the cluster
//!   delays every projection (never loses an event). Keep write transactions short.
//! - History and inbox sort by `(sent_at, request_id)` descending; the cursor is
//!   that key, hex-encoded. "Last 3 days" is `(now − 72 h, now]`; the panel's
//!   count honours the filters. Calendar-day filters are Europe/Rome days.
//! - Read tables use no sequences and no views depend on them, so a rebuild
//!   can copy and swap them.

mod batch;
pub mod bookings;
pub mod checkpoint;
mod error;
mod events;
#[cfg(test)]
mod fixtures;
pub mod home_panel;
pub mod metrics;
pub mod page;
pub mod privacy;
mod projection;
pub mod rebuild;
pub mod requests;
pub mod shared_log;
pub mod statistics;
pub mod wait;
pub mod worker;

pub use error::ProjectionError;
pub use events::REQUEST_STREAM_TYPE;
pub use metrics::Metrics;
pub use page::{Cursor, CursorError, Page, TimeRange};
pub use projection::{Projection, DEFAULT_BATCH_SIZE};
pub use rebuild::{rebuild, RebuildReport, Rebuildable, Replay, ReplayOptions, SideSession};
pub use shared_log::SharedLog;
pub use wait::wait_for_position;
pub use worker::{
    registered_metrics, run_once, run_until_idle, run_until_idle_in_batches, spawn_all,
    spawn_all_sharing, spawn_all_with, Outcome, Worker, WorkerConfig,
};

use sqlx::PgPool;
use std::sync::Arc;

/// Every projection of the service, in a fixed order (the notifier, in
/// `notify`, runs beside them and is never rebuilt). The pool is for
/// projections that need one to be built (none does today).
pub fn all(_pool: &PgPool) -> Vec<Arc<dyn Rebuildable>> {
    vec![
        Arc::new(requests::RequestsProjection),
        Arc::new(home_panel::HomePanelProjection),
        Arc::new(statistics::StatisticsProjection),
        Arc::new(bookings::BookingsProjection),
    ]
}

/// The names of [`all`], for `combipat rebuild <name>` and its help text.
pub const NAMES: &[&str] = &[
    requests::NAME,
    home_panel::NAME,
    statistics::NAME,
    bookings::NAME,
];

/// The projection called `name`, if there is one.
pub fn by_name(pool: &PgPool, name: &str) -> Option<Arc<dyn Rebuildable>> {
    all(pool).into_iter().find(|p| p.name() == name)
}

/// `combipat rebuild <name>`.
pub async fn rebuild_by_name(pool: &PgPool, name: &str) -> Result<RebuildReport, ProjectionError> {
    let projection =
        by_name(pool, name).ok_or_else(|| ProjectionError::UnknownProjection(name.to_string()))?;
    rebuild(pool, &*projection).await
}
