//! Projection `home_panel`: the home panel's "Risposte ricevute negli ultimi
//! 3 giorni" (SPEC §2.6), one `recent_replies` row per reply of a sede.
//! "Last N days" is a range over the indexed `replied_at`; nothing is pruned.
//!
//! - `fold.rs`: how a reply becomes a row (pure).
//! - `store.rs`: fetches each reply's request and writes the rows.
//! - `query.rs`: the count and the list for a user.

mod fold;
mod query;
mod store;

pub use query::{list_recent_replies, RecentReplies, RecentRepliesQuery, ReplyRow, DEFAULT_DAYS};

use crate::events::request_fact;
use crate::projection::Projection;
use crate::rebuild::Rebuildable;
use crate::ProjectionError;
use ::store::RecordedEvent;
use async_trait::async_trait;
use sqlx::PgConnection;

pub const NAME: &str = "home_panel";
pub const TABLES: &[&str] = &["recent_replies"];

/// See the module documentation.
#[derive(Debug, Clone, Copy, Default)]
pub struct HomePanelProjection;

#[async_trait]
impl Projection for HomePanelProjection {
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
        let mut facts = Vec::new();
        for event in events {
            // Decode only what this projection uses: replies, and the
            // requests they may answer within the batch.
            if !matches!(event.event_type.as_str(), "ReplyReceived" | "RequestSent") {
                continue;
            }
            if let Some(fact) = request_fact(event)? {
                facts.push((event, fact));
            }
        }
        store::apply_batch(tx, &facts).await
    }
}

/// Replayed batch by batch, as the live worker writes.
impl Rebuildable for HomePanelProjection {}
