//! `request_search`: the search keys of each request (the trigrams of its
//! subject and text, `trigrams.rs`), written once, when it is sent (neither
//! changes afterwards), under the history's GIN index (migrations 0011 and
//! 0013).
//!
//! The live worker inserts a request's row with its summary. A rebuild fills
//! the table ahead of the replay instead: a session of its own reads the
//! log's `RequestSent` events below the readable horizon of the moment
//! (all of them there for good), COPYs their rows and builds the index
//! while the replay goes on; the replay keeps aside the rows of requests
//! sent above that horizon and writes them at the end. PostgreSQL 15 builds
//! a GIN index on one core.

use super::trigrams;
use crate::events::RequestFact;
use crate::events::REQUEST_STREAM_TYPE;
use crate::rebuild::SideSession;
use crate::ProjectionError;
use domain::request::{RequestEvent, RequestSent};
use sqlx::PgConnection;
use std::fmt::Write as _;
use store::log::{horizon, read_at, read_fields_of_type_below, PayloadFields, TypePage};
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

/// One `request_search` row.
#[derive(Debug, Clone)]
pub(crate) struct SearchRow {
    pub(crate) request_id: Uuid,
    /// The keys of `subject || ' ' || text`, as the history searches it.
    pub(crate) trigrams: Vec<i16>,
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
        let subject = crate::events::subject(&topic_label, subtopic_label.as_deref());
        let text = text.ok_or_else(|| poisoned("no text"))?;
        Ok(SearchRow::keyed(request_id, &subject, &text))
    }

    pub(crate) fn of(request_id: Uuid, sent: &RequestSent) -> SearchRow {
        let subject = crate::events::subject(&sent.topic_label, sent.subtopic_label.as_deref());
        SearchRow::keyed(request_id, &subject, &sent.text)
    }

    /// As `request_summary` searches them: `subject || ' ' || text`.
    pub(crate) fn keyed(request_id: Uuid, subject: &str, text: &str) -> SearchRow {
        SearchRow {
            request_id,
            trigrams: trigrams::of_text(&format!("{subject} {text}")),
        }
    }

    /// The keys as a PostgreSQL array literal, `{k1,k2,…}`.
    fn trigrams_literal(&self) -> String {
        let mut literal = String::with_capacity(self.trigrams.len() * 7 + 2);
        literal.push('{');
        for (i, key) in self.trigrams.iter().enumerate() {
            if i > 0 {
                literal.push(',');
            }
            let _ = write!(literal, "{key}");
        }
        literal.push('}');
        literal
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
    // One array per row, of its own length: each goes as its literal.
    let trigrams: Vec<String> = rows.iter().map(SearchRow::trigrams_literal).collect();
    sqlx::query(
        "INSERT INTO request_search (request_id, trigrams) \
         SELECT id, keys::smallint[] FROM unnest($1::uuid[], $2::text[]) AS row(id, keys) \
         ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(&ids)
    .bind(&trigrams)
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
    let mut rows = BinaryRows::new();
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
            // A sealed text (docs/privacy.md) is not in the payload's fields:
            // opened with the whole event, as an older schema's.
            let sealed = event.fields.get(2).is_some_and(Option::is_none);
            if event.schema_version == RequestEvent::SCHEMA_VERSION && !sealed {
                rows.push(&SearchRow::from_fields(event)?);
            } else {
                older.push(event.position);
            }
        }
        // Another schema version's fields may have moved: decoded whole and
        // upcast (and opened), as the replay reads them.
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

/// `request_search` rows in COPY's binary format: the text format makes
/// PostgreSQL parse every key of every row as a number (decision A46).
struct BinaryRows {
    data: Vec<u8>,
    rows: usize,
}

/// COPY's binary signature, flags and header extension length.
const BINARY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The `oid` of `smallint`, the element type of `trigrams`.
const SMALLINT_OID: u32 = 21;

impl BinaryRows {
    fn new() -> BinaryRows {
        BinaryRows {
            data: BINARY_HEADER.to_vec(),
            rows: 0,
        }
    }

    fn push(&mut self, row: &SearchRow) {
        let d = &mut self.data;
        d.extend(2i16.to_be_bytes()); // columns
        d.extend(16i32.to_be_bytes());
        d.extend(row.request_id.as_bytes());
        let keys = row.trigrams.len() as i32;
        // ndim, has-nulls flag, element type, then the one dimension's
        // length and lower bound (an empty array has no dimension).
        let dimensions: i32 = if keys == 0 { 0 } else { 1 };
        let length = 12 + dimensions * 8 + keys * 6;
        d.extend(length.to_be_bytes());
        d.extend(dimensions.to_be_bytes());
        d.extend(0i32.to_be_bytes());
        d.extend(SMALLINT_OID.to_be_bytes());
        if keys > 0 {
            d.extend(keys.to_be_bytes());
            d.extend(1i32.to_be_bytes());
        }
        for key in &row.trigrams {
            d.extend(2i32.to_be_bytes());
            d.extend(key.to_be_bytes());
        }
        self.rows += 1;
    }

    /// Sends the rows (if any) and forgets them.
    async fn send(&mut self, conn: &mut PgConnection) -> Result<(), ProjectionError> {
        if self.rows == 0 {
            return Ok(());
        }
        self.data.extend((-1i16).to_be_bytes()); // trailer
        let statement =
            format!("COPY {TABLE} (request_id, trigrams) FROM STDIN WITH (FORMAT binary)");
        let mut copy = conn.copy_in_raw(&statement).await?;
        if let Err(e) = copy.send(self.data.as_slice()).await {
            // Leave the connection usable; the error is the one that matters.
            let _ = copy.abort("send failed").await;
            return Err(e.into());
        }
        copy.finish().await?;
        self.data.truncate(BINARY_HEADER.len());
        self.rows = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::PgPool;

    fn row(trigrams: Vec<i16>) -> SearchRow {
        SearchRow {
            request_id: Uuid::now_v7(),
            trigrams,
        }
    }

    /// The fill's binary COPY stores each row's keys as they were, a row
    /// without keys and the ends of the key range included, batch after batch.
    #[sqlx::test(migrations = "../migrations")]
    async fn binary_rows_are_stored_as_written(pool: PgPool) {
        let first = [
            row(trigrams::of_text("Estratto conto 1998")),
            row(vec![]),
            row(vec![i16::MIN, -1, 0, 17_884]),
        ];
        let second = [row(trigrams::of_text("NASpI"))];
        let mut conn = pool.acquire().await.unwrap();
        let mut binary = BinaryRows::new();
        for batch in [&first[..], &second[..]] {
            for r in batch {
                binary.push(r);
            }
            binary.send(&mut conn).await.unwrap();
        }
        for r in first.iter().chain(&second) {
            let stored: Vec<i16> =
                sqlx::query_scalar("SELECT trigrams FROM request_search WHERE request_id = $1")
                    .bind(r.request_id)
                    .fetch_one(&mut *conn)
                    .await
                    .unwrap();
            assert_eq!(stored, r.trigrams);
        }
        let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM request_search")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(rows, 4);
    }
}
