//! `request_search`: the subject and text of each request, written once, when
//! it is sent (neither changes afterwards), under the history's trigram index
//! (migrations/0011_request_search.sql).
//!
//! The live worker inserts a request's row with its summary. A rebuild fills
//! the table ahead of the replay instead: a session of its own reads the
//! log's `RequestSent` events below the readable horizon of the moment
//! (all of them there for good), COPYs their rows and builds the trigram
//! index while the replay goes on; the replay keeps aside the rows of
//! requests sent above that horizon and writes them at the end. PostgreSQL
//! 15 builds a GIN index on one core, and on the 5.1 M-event log that build
//! took as long as the replay after it.

use crate::copy::CopyRows;
use crate::events::RequestFact;
use crate::events::REQUEST_STREAM_TYPE;
use crate::worker::SideSession;
use crate::ProjectionError;
use commands::store::log::{horizon, read_at, read_fields_of_type_below, PayloadFields, TypePage};
use domain::request::{RequestEvent, RequestSent};
use serde::Serialize;
use sqlx::PgConnection;
use tokio::task::JoinHandle;
use uuid::Uuid;

/// The one table filled ahead of a rebuild's replay.
pub(crate) const TABLE: &str = "request_search";

/// `RequestSent` events read per page of the log.
const PAGE: i64 = 10_000;

/// The `event_type` of `RequestEvent::RequestSent` in the log (a fill that
/// named another would leave the table short: the rebuild tests compare it
/// with the live worker's).
const REQUEST_SENT: &str = "RequestSent";

/// One `request_search` row; field names are the column names.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SearchRow {
    pub(crate) request_id: Uuid,
    pub(crate) subject: String,
    pub(crate) text: String,
}

impl SearchRow {
    /// From `topic_label`, `subtopic_label` and `text` of a `RequestSent`.
    fn from_fields(event: PayloadFields) -> Result<SearchRow, ProjectionError> {
        let poisoned = |reason: &str| {
            ProjectionError::Rebuild(format!(
                "RequestSent at position {}: {reason}",
                event.position
            ))
        };
        let request_id = crate::events::request_id_of(&event.stream_id)
            .ok_or_else(|| poisoned("stream id is not request-<uuid>"))?;
        let [topic_label, subtopic_label, text] = <[Option<String>; 3]>::try_from(event.fields)
            .map_err(|_| poisoned("three fields asked, another number read"))?;
        let topic_label = topic_label.ok_or_else(|| poisoned("no topic_label"))?;
        Ok(SearchRow {
            request_id,
            subject: crate::events::subject(&topic_label, subtopic_label.as_deref()),
            text: text.ok_or_else(|| poisoned("no text"))?,
        })
    }

    pub(crate) fn of(request_id: Uuid, sent: &RequestSent) -> SearchRow {
        SearchRow {
            request_id,
            subject: crate::events::subject(&sent.topic_label, sent.subtopic_label.as_deref()),
            text: sent.text.clone(),
        }
    }
}

/// The live worker's write: a row already there (the batch applied again)
/// stays as it is.
pub(crate) async fn insert(
    conn: &mut PgConnection,
    rows: &[SearchRow],
) -> Result<(), ProjectionError> {
    if rows.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = rows.iter().map(|r| r.request_id).collect();
    let subjects: Vec<&str> = rows.iter().map(|r| r.subject.as_str()).collect();
    let texts: Vec<&str> = rows.iter().map(|r| r.text.as_str()).collect();
    sqlx::query(
        "INSERT INTO request_search (request_id, subject, text) \
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[]) \
         ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(&ids)
    .bind(&subjects)
    .bind(&texts)
    .execute(conn)
    .await?;
    Ok(())
}

/// A rebuild's `request_search`, filled from the log beside the replay.
pub(crate) struct FillAhead {
    /// Every request sent below it is the fill's; the replay keeps the rest.
    horizon: i64,
    task: Option<JoinHandle<Result<(), ProjectionError>>>,
    /// Rows of requests sent at or above the horizon, written at the end.
    late: Vec<SearchRow>,
}

impl FillAhead {
    /// Takes the horizon on a session of its own, then fills the shadow
    /// table there and runs `indexes` (the table's deferred `CREATE INDEX`
    /// statements), in the background.
    pub(crate) async fn start(
        session: SideSession,
        indexes: Vec<String>,
    ) -> Result<FillAhead, ProjectionError> {
        let mut conn = session.open().await?;
        // Should the rebuild fail, the task is aborted and its connection
        // dropped: the server then stops the statement soon after, instead
        // of finishing an index build that the cleanup's DROP SCHEMA waits for.
        sqlx::query("SET client_connection_check_interval = '1s'")
            .execute(&mut conn)
            .await?;
        let below = horizon(&mut conn).await?;
        Ok(FillAhead {
            horizon: below,
            task: Some(tokio::spawn(fill(conn, below, indexes))),
            late: Vec::new(),
        })
    }

    /// Keeps the rows the fill does not write: those of the requests sent
    /// in `facts` at or above its horizon.
    pub(crate) fn keep_late(&mut self, facts: &[RequestFact]) {
        for fact in facts.iter().filter(|f| f.tx_id >= self.horizon) {
            if let RequestEvent::RequestSent(sent) = &fact.event {
                self.late.push(SearchRow::of(fact.request_id, sent));
            }
        }
    }

    /// Waits for the fill and its indexes, then writes the late rows.
    pub(crate) async fn complete(
        &mut self,
        conn: &mut PgConnection,
    ) -> Result<(), ProjectionError> {
        if let Some(task) = self.task.take() {
            task.await
                .map_err(|e| ProjectionError::Rebuild(format!("request_search fill: {e}")))??;
        }
        insert(conn, &std::mem::take(&mut self.late)).await
    }
}

impl Drop for FillAhead {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// Every request sent below `below`, then its indexes.
async fn fill(
    mut conn: PgConnection,
    below: i64,
    indexes: Vec<String>,
) -> Result<(), ProjectionError> {
    let started = std::time::Instant::now();
    let mut rows = CopyRows::new(TABLE);
    let mut page = TypePage {
        stream_type: REQUEST_STREAM_TYPE,
        event_type: REQUEST_SENT,
        horizon: below,
        after_position: 0,
        limit: PAGE,
    };
    loop {
        let events =
            read_fields_of_type_below(&mut conn, page, &["topic_label", "subtopic_label", "text"])
                .await?;
        let Some(last) = events.last() else {
            break;
        };
        page.after_position = last.position;
        let mut older = Vec::new();
        for event in events {
            if event.schema_version == RequestEvent::SCHEMA_VERSION {
                rows.push(&SearchRow::from_fields(event)?);
            } else {
                older.push(event.position);
            }
        }
        // Another schema version's fields may have moved: decoded whole and
        // upcast, as the replay reads them.
        for event in read_at(&mut conn, &older).await? {
            if let Some(fact) = crate::events::request_fact(&event)? {
                if let RequestEvent::RequestSent(sent) = &fact.event {
                    rows.push(&SearchRow::of(fact.request_id, sent));
                }
            }
        }
        rows.send(&mut conn).await?;
    }
    tracing::info!(elapsed = ?started.elapsed(), "rebuild: request_search filled");
    for statement in indexes {
        sqlx::query(&statement).execute(&mut conn).await?;
    }
    tracing::info!(elapsed = ?started.elapsed(), "rebuild: request_search indexed");
    Ok(())
}
