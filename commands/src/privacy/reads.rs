//! Who read what: the read log.
//!
//! Every read of a data subject's personal data is a [`ReadRecord`]. The
//! handler hands its records to [`ReadLog::record`] and answers only when it
//! returns: the records are then committed. Loss-free across a crash without a
//! transaction per read: one task per process takes every record waiting in
//! its queue and inserts them with one statement (group commit), so a thousand
//! concurrent reads cost a handful of inserts, not a thousand. A read whose
//! record cannot be written is not served (the caller maps the error to 500).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgPool, Postgres, QueryBuilder};
use tokio::sync::{mpsc, oneshot};

/// Records inserted by one statement at most.
const MAX_BATCH: usize = 2_000;
/// Batches waiting for the writer at most; beyond, callers wait to enqueue.
const QUEUE: usize = 4_096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    /// A citizen (pseudonym of the codice fiscale).
    Citizen,
    /// A booking's contact data, when the booking names no citizen.
    Booking,
    /// A read over many subjects at once (an audit listing or export).
    Bulk,
}

impl SubjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Citizen => "citizen",
            SubjectKind::Booking => "booking",
            SubjectKind::Bulk => "bulk",
        }
    }
}

/// One read of personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadRecord {
    pub read_at: DateTime<Utc>,
    pub actor_id: String,
    pub actor_role: String,
    pub scope: String,
    /// The subject's pseudonym; `None` for [`SubjectKind::Bulk`].
    pub subject: Option<String>,
    pub subject_kind: SubjectKind,
    /// The API's operationId.
    pub operation: String,
    pub target: Option<String>,
    pub purpose: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadLogError {
    #[error("the read log is not running")]
    Stopped,
    #[error("the read log could not be written: {0}")]
    Write(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

type Waiter = oneshot::Sender<Result<(), String>>;

/// The process's read log (cheap to clone).
#[derive(Clone)]
pub struct ReadLog {
    tx: mpsc::Sender<(Vec<ReadRecord>, Waiter)>,
}

impl std::fmt::Debug for ReadLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReadLog")
    }
}

impl ReadLog {
    /// Starts the writer task on `pool`.
    pub fn spawn(pool: PgPool) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(write_batches(pool, rx));
        Self { tx }
    }

    /// Returns once `records` are committed (at once when empty).
    pub async fn record(&self, records: Vec<ReadRecord>) -> Result<(), ReadLogError> {
        if records.is_empty() {
            return Ok(());
        }
        let (done, wait) = oneshot::channel();
        self.tx
            .send((records, done))
            .await
            .map_err(|_| ReadLogError::Stopped)?;
        wait.await
            .map_err(|_| ReadLogError::Stopped)?
            .map_err(ReadLogError::Write)
    }
}

async fn write_batches(pool: PgPool, mut rx: mpsc::Receiver<(Vec<ReadRecord>, Waiter)>) {
    let mut held: Option<(Vec<ReadRecord>, Waiter)> = None;
    loop {
        let first = match held.take() {
            Some(f) => f,
            None => match rx.recv().await {
                Some(f) => f,
                None => return,
            },
        };
        let (mut rows, first_waiter) = first;
        let mut waiters = vec![first_waiter];
        // Everything queued meanwhile shares this statement.
        while rows.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok((more, w)) if rows.len() + more.len() <= MAX_BATCH => {
                    rows.extend(more);
                    waiters.push(w);
                }
                Ok(over) => {
                    held = Some(over);
                    break;
                }
                Err(_) => break,
            }
        }
        let outcome = insert(&pool, &rows).await.map_err(|e| {
            tracing::error!(error = %e, rows = rows.len(), "read log insert failed");
            e.to_string()
        });
        for w in waiters {
            let _ = w.send(outcome.clone());
        }
    }
}

async fn insert(pool: &PgPool, rows: &[ReadRecord]) -> Result<(), sqlx::Error> {
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(
        "INSERT INTO personal_data_reads \
         (read_at, actor_id, actor_role, scope, subject, subject_kind, operation, target, purpose) \
         SELECT * FROM UNNEST(",
    );
    q.push_bind(rows.iter().map(|r| r.read_at).collect::<Vec<_>>())
        .push("::timestamptz[], ")
        .push_bind(rows.iter().map(|r| r.actor_id.clone()).collect::<Vec<_>>())
        .push("::text[], ")
        .push_bind(
            rows.iter()
                .map(|r| r.actor_role.clone())
                .collect::<Vec<_>>(),
        )
        .push("::text[], ")
        .push_bind(rows.iter().map(|r| r.scope.clone()).collect::<Vec<_>>())
        .push("::text[], ")
        .push_bind(rows.iter().map(|r| r.subject.clone()).collect::<Vec<_>>())
        .push("::text[], ")
        .push_bind(
            rows.iter()
                .map(|r| r.subject_kind.as_str().to_string())
                .collect::<Vec<_>>(),
        )
        .push("::text[], ")
        .push_bind(rows.iter().map(|r| r.operation.clone()).collect::<Vec<_>>())
        .push("::text[], ")
        .push_bind(rows.iter().map(|r| r.target.clone()).collect::<Vec<_>>())
        .push("::text[], ")
        .push_bind(rows.iter().map(|r| r.purpose.clone()).collect::<Vec<_>>())
        .push("::text[])");
    q.build().execute(pool).await?;
    Ok(())
}

/// "Who looked at this subject in this period".
#[derive(Debug, Clone, Default)]
pub struct ReadQuery {
    /// A subject's pseudonym.
    pub subject: Option<String>,
    pub actor: Option<String>,
    /// `read_at >= from_time`.
    pub from_time: Option<DateTime<Utc>>,
    /// `read_at < to_time`.
    pub to_time: Option<DateTime<Utc>>,
    /// Also the bulk reads (audit listings, exports) of the period, which may
    /// have included the subject.
    pub include_bulk: bool,
}

/// A stored read.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct RecordedRead {
    pub id: i64,
    pub read_at: DateTime<Utc>,
    pub actor_id: String,
    pub actor_role: String,
    pub scope: String,
    pub subject: Option<String>,
    pub subject_kind: String,
    pub operation: String,
    pub target: Option<String>,
    pub purpose: Option<String>,
}

/// Up to `limit` reads matching `query` with an id above `after`, oldest first.
pub async fn list(
    pool: &PgPool,
    query: &ReadQuery,
    after: i64,
    limit: i64,
) -> Result<Vec<RecordedRead>, ReadLogError> {
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(
        "SELECT id, read_at, actor_id, actor_role, scope, subject, subject_kind, operation, \
         target, purpose FROM personal_data_reads WHERE id > ",
    );
    q.push_bind(after);
    if let Some(s) = &query.subject {
        q.push(" AND (subject = ").push_bind(s.clone());
        if query.include_bulk {
            q.push(" OR subject IS NULL");
        }
        q.push(")");
    }
    if let Some(a) = &query.actor {
        q.push(" AND actor_id = ").push_bind(a.clone());
    }
    if let Some(t) = query.from_time {
        q.push(" AND read_at >= ").push_bind(t);
    }
    if let Some(t) = query.to_time {
        q.push(" AND read_at < ").push_bind(t);
    }
    q.push(" ORDER BY id LIMIT ").push_bind(limit);
    Ok(q.build_query_as().fetch_all(pool).await?)
}
