//! Writes of the `requests` projection: `request_summary`, `request_timeline`,
//! `request_attachments`, `request_search`. Unqualified table names (a
//! rebuild redirects them). What each event means is `fold.rs`; this file
//! fetches the rows the fold needs, runs it, and writes what it made.
//!
//! The summaries of a batch's requests are read once, and each table gets one
//! statement for the whole batch (rows passed as one JSON array to
//! `jsonb_populate_recordset`, typed by the table itself). Applying an event
//! twice changes nothing: summaries only move to a higher stream version,
//! timeline and attachment rows are inserted once.

use super::fold;
use super::rows::{BatchRows, StoredAttachment, StoredAttachments, Summary};
use super::search::{self, SearchRow};
use crate::batch::{AppendRows, CachedTable, Mode};
use crate::events::{requests_begun_before, RequestFact};
use crate::ProjectionError;
use domain::request::RequestEvent;
use sqlx::types::Json;
use sqlx::PgConnection;
use uuid::Uuid;

/// Applies a batch of request events (in log order) to the three tables.
pub(crate) async fn apply_batch(
    conn: &mut PgConnection,
    facts: &[RequestFact],
) -> Result<(), ProjectionError> {
    let mut batch = Batch::new(&Mode::Live);
    batch.apply_batch(conn, facts).await?;
    batch.finish(conn).await
}

/// The batch in memory: summaries read or created, rows to write.
///
/// Timeline and attachment rows are written at the end of every batch;
/// summaries as the [`Mode`] says (the live worker: at the end of every
/// batch; a rebuild's replay: once each, mostly, on a session of its own).
pub(crate) struct Batch {
    bulk: bool,
    summaries: CachedTable<Summary>,
    rows: BatchRows,
    /// `request_search` rows of the requests sent in a live batch (a
    /// replay's come from its fill: `search.rs`).
    searches: Vec<SearchRow>,
    timeline: AppendRows,
    attachments: AppendRows,
}

impl Batch {
    pub(crate) fn new(mode: &Mode) -> Batch {
        Batch {
            bulk: mode.is_bulk(),
            summaries: CachedTable::new(mode),
            rows: BatchRows::default(),
            searches: Vec::new(),
            timeline: AppendRows::new("request_timeline", "request_id, version", mode),
            attachments: AppendRows::new("request_attachments", "request_id, attachment_id", mode),
        }
    }

    /// Applies consecutive events; writes their timeline and attachment rows
    /// and the summaries that no longer fit in memory.
    pub(crate) async fn apply_batch(
        &mut self,
        conn: &mut PgConnection,
        facts: &[RequestFact],
    ) -> Result<(), ProjectionError> {
        if facts.is_empty() {
            return Ok(());
        }
        // A request whose first event is in the batch has no row yet (live,
        // the checkpoint moves with the rows): a creation reads nothing. Were
        // a batch ever applied again, the upsert keeps the newer row and the
        // timeline and attachment rows exist already (`DO NOTHING`).
        self.summaries
            .load(conn, requests_begun_before(facts))
            .await?;
        let stored = stored_attachments(conn, facts).await?;
        for f in facts {
            let created = fold::apply(self.summaries.rows(), &stored, &mut self.rows, f);
            if created && !self.bulk {
                if let RequestEvent::RequestSent(sent) = &f.event {
                    self.searches.push(SearchRow::of(f.request_id, sent));
                }
            }
        }
        self.write_rows(conn).await?;
        self.summaries.evict(conn).await
    }

    /// Writes every summary still held.
    pub(crate) async fn finish(&mut self, conn: &mut PgConnection) -> Result<(), ProjectionError> {
        self.summaries.finish(conn).await
    }

    /// The batch's timeline and attachment rows and removals: one statement
    /// per table.
    async fn write_rows(&mut self, conn: &mut PgConnection) -> Result<(), ProjectionError> {
        if !self.bulk {
            search::insert(conn, &self.searches).await?;
            self.searches.clear();
        }
        self.timeline.write(conn, &mut self.rows.timeline).await?;
        self.attachments
            .write(conn, &mut self.rows.attachments)
            .await?;
        if !self.rows.removals.is_empty() {
            sqlx::query(
                "UPDATE request_attachments a SET removed_at = r.removed_at, removed_by = r.removed_by \
                 FROM jsonb_to_recordset($1) AS r(request_id uuid, attachment_id uuid, \
                                                  removed_at timestamptz, removed_by text) \
                 WHERE a.request_id = r.request_id AND a.attachment_id = r.attachment_id \
                   AND a.removed_at IS NULL",
            )
            .bind(Json(&self.rows.removals))
            .execute(&mut *conn)
            .await?;
        }
        self.rows.clear();
        Ok(())
    }
}

/// The attachments that the batch's `AttachmentRemoved` events name, as
/// written before it (one statement; none for a batch without removals).
async fn stored_attachments(
    conn: &mut PgConnection,
    facts: &[RequestFact],
) -> Result<StoredAttachments, ProjectionError> {
    let (requests, attachments): (Vec<Uuid>, Vec<Uuid>) = facts
        .iter()
        .filter_map(|f| match &f.event {
            RequestEvent::AttachmentRemoved { attachment_id, .. } => {
                Some((f.request_id, attachment_id.0))
            }
            _ => None,
        })
        .unzip();
    if requests.is_empty() {
        return Ok(StoredAttachments::new());
    }
    let rows: Vec<(Uuid, Uuid, String, String, String, i64, bool)> = sqlx::query_as(
        "SELECT a.request_id, a.attachment_id, a.sha256, a.filename, a.media_type, a.size, \
                a.removed_at IS NOT NULL \
         FROM request_attachments a \
         JOIN unnest($1::uuid[], $2::uuid[]) AS r(request_id, attachment_id) \
           ON a.request_id = r.request_id AND a.attachment_id = r.attachment_id",
    )
    .bind(&requests)
    .bind(&attachments)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(request, attachment, sha256, filename, media_type, size, removed)| {
                let stored = StoredAttachment {
                    sha256,
                    filename,
                    media_type,
                    size,
                    removed,
                };
                ((request, attachment), stored)
            },
        )
        .collect())
}
