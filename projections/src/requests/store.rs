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

use super::fold::{self, BatchRows, StoredAttachments};
use super::rows::{upsert_summaries_sql, StoredAttachment, Summary};
use super::search::{self, SearchRow};
use super::summary_writer::SummaryWriter;
use crate::copy::CopyRows;
use crate::events::{requests_begun_before, RequestFact};
use crate::replay::SideSession;
use crate::row_cache::RowCache;
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
    let mut batch = Batch::new();
    batch.apply_batch(conn, facts).await?;
    batch.finish(conn).await
}

/// The batch in memory: summaries read or created, rows to write.
///
/// Timeline and attachment rows are written at the end of every batch.
/// Summaries stay in memory after it, up to `cached` of them (least recently
/// touched written out first): the live worker keeps none, a rebuild
/// ([`Batch::replay`] with its cache size) writes most summaries once instead
/// of once per batch that touches them.
pub(crate) struct Batch {
    cached: usize,
    /// The tables started empty and only this batch writes them (a rebuild's
    /// shadow tables): rows it has not written yet go in with COPY.
    bulk: bool,
    summaries: RowCache<Summary>,
    rows: BatchRows,
    /// `request_search` rows of the requests sent in a live batch (a
    /// replay's come from its fill: `search.rs`).
    searches: Vec<SearchRow>,
    /// COPY buffers of a bulk batch, kept from batch to batch (their memory
    /// is reused instead of grown again from nothing).
    copy: CopyBuffers,
    /// A replay's summaries, written on a session of their own (`Some`
    /// exactly when `bulk`).
    writer: Option<SummaryWriter>,
}

struct CopyBuffers {
    timeline: CopyRows,
    attachments: CopyRows,
}

impl Batch {
    /// The live worker's batch: idempotent statements, nothing kept.
    pub(crate) fn new() -> Batch {
        Batch::with(0, false)
    }

    /// A rebuild's replay into empty shadow tables, keeping up to `cached`
    /// summaries in memory; the summaries it evicts are written on the
    /// `side` session.
    pub(crate) fn replay(cached: usize, side: SideSession) -> Batch {
        let mut batch = Batch::with(cached, true);
        batch.writer = Some(SummaryWriter::start(side));
        batch
    }

    fn with(cached: usize, bulk: bool) -> Batch {
        Batch {
            cached,
            bulk,
            summaries: RowCache::new(),
            rows: BatchRows::default(),
            searches: Vec::new(),
            copy: CopyBuffers {
                timeline: CopyRows::new("request_timeline"),
                attachments: CopyRows::new("request_attachments"),
            },
            writer: None,
        }
    }

    /// Applies consecutive events; writes their timeline and attachment rows
    /// and the summaries that no longer fit the cache.
    pub(crate) async fn apply_batch(
        &mut self,
        conn: &mut PgConnection,
        facts: &[RequestFact],
    ) -> Result<(), ProjectionError> {
        if facts.is_empty() {
            return Ok(());
        }
        self.summaries.next_batch();
        self.load(conn, facts).await?;
        let stored = stored_attachments(conn, facts).await?;
        for f in facts {
            let created = fold::apply(&mut self.summaries, &stored, &mut self.rows, f);
            if created && !self.bulk {
                if let RequestEvent::RequestSent(sent) = &f.event {
                    self.searches.push(SearchRow::of(f.request_id, sent));
                }
            }
        }
        self.write_rows(conn).await?;
        self.evict(conn, self.cached).await
    }

    /// Writes every summary still held.
    pub(crate) async fn finish(&mut self, conn: &mut PgConnection) -> Result<(), ProjectionError> {
        self.evict(conn, 0).await?;
        match &mut self.writer {
            Some(writer) => writer.finish().await,
            None => Ok(()),
        }
    }
    /// Reads the summaries of the batch's requests that are not in memory.
    async fn load(
        &mut self,
        conn: &mut PgConnection,
        facts: &[RequestFact],
    ) -> Result<(), ProjectionError> {
        let ids = match &self.writer {
            // A replay: a summary handed off to the writer may not be
            // committed yet, so it comes from the hand-off.
            Some(writer) => {
                let missing = self.summaries.missing(requests_begun_before(facts));
                let mut unwritten = Vec::with_capacity(missing.len());
                for id in missing {
                    match writer.in_flight(&id) {
                        Some(summary) => self.summaries.loaded(id, summary),
                        None => unwritten.push(id),
                    }
                }
                unwritten
            }
            // Live: a request whose first event is in the batch has no row,
            // since the checkpoint moves with the rows. Were the batch ever
            // applied again, the upsert keeps the newer row
            // (`version < EXCLUDED.version`) and the timeline and attachment
            // rows exist already (`DO NOTHING`): skipping the look-up keeps
            // re-application harmless. A creation then reads nothing.
            None => self.summaries.missing(requests_begun_before(facts)),
        };
        if ids.is_empty() {
            return Ok(());
        }
        let rows: Vec<Json<Summary>> = sqlx::query_scalar(
            "SELECT to_jsonb(s) FROM request_summary s WHERE request_id = ANY($1)",
        )
        .bind(&ids)
        .fetch_all(&mut *conn)
        .await?;
        for Json(summary) in rows {
            self.summaries.loaded(summary.request_id, summary);
        }
        Ok(())
    }

    /// Keeps at most `keep` summaries in memory (none with `keep` 0), writing
    /// the changed ones among those it forgets.
    async fn evict(&mut self, conn: &mut PgConnection, keep: usize) -> Result<(), ProjectionError> {
        let evicted = self.summaries.evict(keep);
        if let Some(writer) = &mut self.writer {
            return writer.write(evicted.new, evicted.stored).await;
        }
        let upserted = evicted.all();
        if !upserted.is_empty() {
            sqlx::query(&upsert_summaries_sql())
                .bind(Json(&upserted))
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    /// The batch's timeline and attachment rows and removals: one statement
    /// per table.
    async fn write_rows(&mut self, conn: &mut PgConnection) -> Result<(), ProjectionError> {
        if !self.bulk {
            search::insert(conn, &self.searches).await?;
            self.searches.clear();
        }
        if self.bulk {
            // Each event is replayed once into empty tables: no row is there yet.
            let timeline = &mut self.copy.timeline;
            for row in self.rows.timeline.drain(..) {
                timeline.push(&row);
            }
            timeline.send(conn).await?;
            let attachments = &mut self.copy.attachments;
            for row in self.rows.attachments.drain(..) {
                attachments.push(&row);
            }
            attachments.send(conn).await?;
        }
        if !self.rows.timeline.is_empty() {
            sqlx::query(
                "INSERT INTO request_timeline \
                 SELECT * FROM jsonb_populate_recordset(NULL::request_timeline, $1) \
                 ON CONFLICT (request_id, version) DO NOTHING",
            )
            .bind(Json(&self.rows.timeline))
            .execute(&mut *conn)
            .await?;
        }
        if !self.rows.attachments.is_empty() {
            sqlx::query(
                "INSERT INTO request_attachments \
                 SELECT * FROM jsonb_populate_recordset(NULL::request_attachments, $1) \
                 ON CONFLICT (request_id, attachment_id) DO NOTHING",
            )
            .bind(Json(&self.rows.attachments))
            .execute(&mut *conn)
            .await?;
        }
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
