//! Projection `requests`: one row per request (`request_summary`: history,
//! detail header, sede inbox), the conversation (`request_timeline`) and the
//! attachments (`request_attachments`).
//!
//! - `rows.rs`: one struct per table, field names = column names.
//! - `fold.rs`: what each event means for those rows — pure, tested without
//!   PostgreSQL. Start here.
//! - `store.rs`: fetches the rows the fold needs, runs it, writes the result
//!   (live: one statement per table; rebuild: cache, COPY, `summary_writer.rs`).
//! - `search.rs`, `trigrams.rs`: `request_search`, the text search's keys.
//! - `query.rs`: history and inbox lists (filters, keyset pagination).
//! - `detail.rs`: one request: summary, timeline, attachments.

mod detail;
mod fold;
mod query;
mod rows;
pub(crate) mod search;
mod store;
mod summary_writer;
pub mod trigrams;

pub use detail::{
    get_attachment, get_summary, get_timeline, list_attachments, AttachmentInfo, AttachmentRow,
    TimelineEntry,
};
pub use query::{
    inbox_counts, list_history, list_inbox, HistoryQuery, HistoryScope, InboxBucket, InboxCounts,
    InboxQuery, InboxRow, RequestFilters, RequestRow, SEARCH_WINDOW,
};

use crate::events::request_fact;
use crate::projection::Projection;
use crate::replay::{Replay, ReplayOptions};
use crate::ProjectionError;
use async_trait::async_trait;
use commands::store::RecordedEvent;
use sqlx::PgConnection;

/// The projection's name (checkpoint, advisory lock, `combipat rebuild requests`).
pub const NAME: &str = "requests";
/// The tables it owns.
pub const TABLES: &[&str] = &[
    "request_summary",
    "request_timeline",
    "request_attachments",
    search::TABLE,
];

/// See the module documentation.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestsProjection;

#[async_trait]
impl Projection for RequestsProjection {
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

    fn replay(&self, options: ReplayOptions) -> Option<Box<dyn Replay>> {
        Some(Box::new(RequestsReplay {
            batch: store::Batch::replay(options.cached_rows, options.side_session.clone()),
            side_session: options.side_session,
            search: None,
        }))
    }
}

/// A rebuild's replay: summaries kept in memory across batches.
struct RequestsReplay {
    batch: store::Batch,
    side_session: crate::replay::SideSession,
    /// `request_search`, filled beside the replay (`search.rs`).
    search: Option<search::FillAhead>,
}

#[async_trait]
impl Replay for RequestsReplay {
    async fn apply_batch(
        &mut self,
        tx: &mut PgConnection,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        let facts = facts(events)?;
        self.batch.apply_batch(tx, &facts).await?;
        if let Some(search) = &mut self.search {
            search.keep_late(&facts);
        }
        Ok(())
    }

    async fn finish(&mut self, tx: &mut PgConnection) -> Result<(), ProjectionError> {
        self.batch.finish(tx).await
    }

    fn filled_ahead(&self) -> &'static [&'static str] {
        &[search::TABLE]
    }

    async fn fill_ahead(&mut self, indexes: Vec<String>) -> Result<(), ProjectionError> {
        let session = self.side_session.clone();
        self.search = Some(search::FillAhead::start(session, indexes).await?);
        Ok(())
    }

    async fn complete_ahead(&mut self, conn: &mut PgConnection) -> Result<(), ProjectionError> {
        match &mut self.search {
            Some(search) => search.complete(conn).await,
            // The batches of a replay leave `request_search` to the fill.
            None => Err(ProjectionError::Rebuild(
                "request_search was not filled ahead".into(),
            )),
        }
    }
}

fn facts(events: &[RecordedEvent]) -> Result<Vec<crate::events::RequestFact>, ProjectionError> {
    let mut facts = Vec::with_capacity(events.len());
    for event in events {
        facts.extend(request_fact(event)?);
    }
    Ok(facts)
}
