//! Projection `requests`: one row per request (`request_summary`: history,
//! detail header, sede inbox), the conversation (`request_timeline`) and the
//! attachments (`request_attachments`).
//!
//! - `fold.rs`: what each event means for those rows — pure, tested without
//!   PostgreSQL. Start here.
//! - `rows.rs`: one struct per table, field names = column names.
//! - `store.rs`: fetches the rows the fold needs (the batch's summaries, the
//!   attachments it removes), runs it, hands the result to `crate::batch`
//!   (live: one statement per table; a rebuild: cache, COPY, a second
//!   session). [`RequestsProjection`] and its rebuild's replay are below.
//! - `search.rs`, `trigrams.rs`: `request_search`, the text search's keys.
//! - `query.rs`: history and inbox lists (filters, keyset pagination).
//! - `detail.rs`: one request: summary, timeline, attachments.

mod detail;
mod fold;
mod query;
mod rows;
pub(crate) mod search;
mod store;
pub mod trigrams;

pub use detail::{
    get_attachment, get_summary, get_timeline, list_attachments, list_citizen_requests,
    AttachmentInfo, AttachmentRow, TimelineEntry,
};
pub use query::{
    inbox_counts, list_history, list_inbox, HistoryQuery, HistoryScope, InboxBucket, InboxCounts,
    InboxQuery, InboxRow, RequestFilters, RequestRow, SEARCH_WINDOW,
};

use crate::batch::Mode;
use crate::events::request_fact;
use crate::projection::Projection;
use crate::rebuild::{Rebuildable, Replay, ReplayOptions, SideSession};
use crate::ProjectionError;
use ::store::RecordedEvent;
use async_trait::async_trait;
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
}

impl Rebuildable for RequestsProjection {
    fn replay(&self, options: ReplayOptions) -> Option<Box<dyn Replay>> {
        let mode = Mode::Replay {
            cached: options.cached_rows,
            side: Some(options.side_session.clone()),
        };
        Some(Box::new(RequestsReplay {
            batch: store::Batch::new(&mode),
            side_session: options.side_session,
            search: None,
        }))
    }
}

/// A rebuild's replay: summaries kept in memory across batches and written
/// on a session of their own, `request_search` filled ahead.
struct RequestsReplay {
    batch: store::Batch,
    side_session: SideSession,
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
