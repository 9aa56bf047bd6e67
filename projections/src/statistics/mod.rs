//! Projection `statistics`: the indicators of SPEC §2.7 and the monitoring
//! dashboard of seed 001 (§3, §5), pre-aggregated so that a question costs
//! the days it spans, not the years kept (design: docs/analytics.md).
//!
//! - `stat_requests`: one row per request — what it is counted under
//!   (creator, office, patronato, topic, destination sede and its region, all
//!   fixed at sending), its first reply, where it is now.
//! - `stat_daily`: counters per (dimension, key, Europe/Rome day of sending,
//!   topic, sub-topic), with the first-reply times as a histogram.
//! - `stat_flows`: per (day of the event, sede) the communications received
//!   and sent — seed 003's "in entrata / in uscita".
//!
//! Modules: `rows.rs` (the tables' rows), `fold.rs` (what each event counts:
//! pure, tested without PostgreSQL — start here), `store.rs` (fetches what
//! the fold needs, writes its sums; a rebuild's caching and COPY),
//! `query.rs` (indicators), `regional.rs` (the regional table), `histogram.rs` (bucket edges,
//! quantiles).
//!
//! Analysts read these tables through the `analytics` schema's functions and
//! views (migrations/0005_statistics.sql), never directly: a view on a read
//! table would block the rebuild's swap.

mod fold;
mod histogram;
mod query;
mod regional;
mod rows;
mod store;

pub use histogram::{bucket, Histogram};
pub use query::{
    indicators, sede_names, Dimension, Indicators, PercentileMethod, StatisticsQuery, EXACT_LIMIT,
};
pub use regional::{national_total, regional_totals, RegionTotals};
pub use rows::{rome_day, UNKNOWN_REGION};

use crate::batch::Mode;
use crate::events::request_fact;
use crate::projection::Projection;
use crate::rebuild::{Rebuildable, Replay, ReplayOptions};
use crate::ProjectionError;
use ::store::RecordedEvent;
use async_trait::async_trait;
use sqlx::PgConnection;

/// The projection's name (checkpoint, advisory lock, `combipat rebuild statistics`).
pub const NAME: &str = "statistics";
/// The tables it owns.
pub const TABLES: &[&str] = &["stat_requests", "stat_daily", "stat_flows"];

/// See the module documentation.
#[derive(Debug, Clone, Copy, Default)]
pub struct StatisticsProjection;

#[async_trait]
impl Projection for StatisticsProjection {
    fn name(&self) -> &'static str {
        NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        TABLES
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        event: &RecordedEvent,
    ) -> Result<(), ProjectionError> {
        self.apply_batch(tx, std::slice::from_ref(event)).await
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        store::apply_batch(tx, &facts(events)?).await
    }
}

impl Rebuildable for StatisticsProjection {
    fn replay(&self, options: ReplayOptions) -> Option<Box<dyn Replay>> {
        let mode = Mode::Replay {
            cached: options.cached_rows,
            side: None,
        };
        Some(Box::new(StatisticsReplay(store::Batch::new(&mode))))
    }
}

/// A rebuild's replay: request rows and daily totals kept in memory across batches.
struct StatisticsReplay(store::Batch);

#[async_trait]
impl Replay for StatisticsReplay {
    async fn apply_batch(
        &mut self,
        tx: &mut PgConnection,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        let facts = facts(events)?;
        self.0.apply_batch(tx, &facts).await
    }

    async fn finish(&mut self, tx: &mut PgConnection) -> Result<(), ProjectionError> {
        self.0.finish(tx).await
    }
}

fn facts(events: &[RecordedEvent]) -> Result<Vec<crate::events::RequestFact>, ProjectionError> {
    let mut facts = Vec::with_capacity(events.len());
    for event in events {
        // Attachment events and taking in charge change no counter: not decoded.
        if matches!(
            event.event_type.as_str(),
            "AttachmentAdded" | "AttachmentRemoved" | "TakenInCharge"
        ) {
            continue;
        }
        facts.extend(request_fact(event)?);
    }
    Ok(facts)
}
