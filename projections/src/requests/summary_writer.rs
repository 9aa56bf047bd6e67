//! A rebuild's `request_summary` writes on a session of their own.
//!
//! A replay is two sides taking turns: this process folds a batch while
//! PostgreSQL waits, then PostgreSQL stores the batch's rows while this
//! process waits. The summaries are the widest rows of the projection; the
//! replay hands those it evicts to this writer, which encodes and sends them
//! on a second session, beside the replay's own (decision A26). Indexes
//! other than the primary key are still built after the replay: PostgreSQL
//! keeps a trigram index up to date row by row at more than the cost of
//! building it once.
//!
//! The replay goes on before a hand-off is committed. A summary it needs
//! again comes from [`SummaryWriter::in_flight`] until the writer says the
//! write is committed; after that, a read of the table sees it.

use super::rows::{upsert_summaries_sql, Summary};
use crate::copy::CopyRows;
use crate::replay::SideSession;
use crate::ProjectionError;
use sqlx::types::Json;
use sqlx::PgConnection;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use uuid::Uuid;

/// Hand-offs queued before the replay waits for the writer.
const QUEUED_WRITES: usize = 2;

/// Summaries evicted by one batch of the replay.
struct Write {
    seq: u64,
    /// Rows the table does not have: COPY.
    new: Vec<Arc<Summary>>,
    /// Rows it has (or that an earlier hand-off writes): upsert, after them.
    stored: Vec<Arc<Summary>>,
}

pub(crate) struct SummaryWriter {
    writes: Option<mpsc::Sender<Write>>,
    task: Option<JoinHandle<Result<(), ProjectionError>>>,
    /// The last hand-off sent, and the last the writer has committed.
    sent: u64,
    committed: Arc<AtomicU64>,
    /// Every summary handed off and not yet known to be committed, with its
    /// hand-off: the newest version of each.
    in_flight: HashMap<Uuid, (u64, Arc<Summary>)>,
}

impl SummaryWriter {
    /// Starts the writer on a session of its own.
    pub(crate) fn start(session: SideSession) -> SummaryWriter {
        let (writes, queue) = mpsc::channel(QUEUED_WRITES);
        let committed = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn(run(session, queue, committed.clone()));
        SummaryWriter {
            writes: Some(writes),
            task: Some(task),
            sent: 0,
            committed,
            in_flight: HashMap::new(),
        }
    }

    /// The summary of `id` as last handed off, if that write may not be
    /// committed yet.
    pub(crate) fn in_flight(&self, id: &Uuid) -> Option<Summary> {
        self.in_flight.get(id).map(|(_, row)| Summary::clone(row))
    }

    /// Hands off evicted summaries; waits only while [`QUEUED_WRITES`] are
    /// ahead of them.
    pub(crate) async fn write(
        &mut self,
        new: Vec<Summary>,
        stored: Vec<Summary>,
    ) -> Result<(), ProjectionError> {
        let committed = self.committed.load(Ordering::Acquire);
        self.in_flight.retain(|_, (seq, _)| *seq > committed);
        if new.is_empty() && stored.is_empty() {
            return Ok(());
        }
        self.sent += 1;
        let seq = self.sent;
        let mut hand_off = |rows: Vec<Summary>| -> Vec<Arc<Summary>> {
            rows.into_iter()
                .map(|row| {
                    let row = Arc::new(row);
                    self.in_flight.insert(row.request_id, (seq, row.clone()));
                    row
                })
                .collect()
        };
        let write = Write {
            seq,
            new: hand_off(new),
            stored: hand_off(stored),
        };
        let sent = match &self.writes {
            Some(writes) => writes.send(write).await.is_ok(),
            None => false,
        };
        if sent {
            Ok(())
        } else {
            Err(self.failure().await)
        }
    }

    /// Waits until every hand-off is committed.
    pub(crate) async fn finish(&mut self) -> Result<(), ProjectionError> {
        self.writes = None;
        match self.task.take() {
            Some(task) => {
                task.await.map_err(|e| {
                    ProjectionError::Rebuild(format!("summary writer stopped: {e}"))
                })??;
                self.in_flight.clear();
                Ok(())
            }
            None => Err(ProjectionError::Rebuild(
                "summary writer already finished".into(),
            )),
        }
    }

    /// Why the writer stopped taking hand-offs.
    async fn failure(&mut self) -> ProjectionError {
        match self.finish().await {
            Err(e) => e,
            Ok(()) => ProjectionError::Rebuild("summary writer stopped early".into()),
        }
    }
}

impl Drop for SummaryWriter {
    fn drop(&mut self) {
        // A replay that failed: nothing waits for the shadow tables any more.
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

async fn run(
    session: SideSession,
    mut queue: mpsc::Receiver<Write>,
    committed: Arc<AtomicU64>,
) -> Result<(), ProjectionError> {
    let mut conn = session.open().await?;
    let mut copy = CopyRows::new("request_summary");
    let upsert = upsert_summaries_sql();
    while let Some(write) = queue.recv().await {
        apply(&mut conn, &mut copy, &upsert, &write).await?;
        committed.store(write.seq, Ordering::Release);
    }
    sqlx::Connection::close(conn).await?;
    Ok(())
}

/// One hand-off, each statement committed on its own (the order is what
/// matters: a summary's upsert after its COPY).
async fn apply(
    conn: &mut PgConnection,
    copy: &mut CopyRows,
    upsert: &str,
    write: &Write,
) -> Result<(), ProjectionError> {
    for row in &write.new {
        copy.push(row.as_ref());
    }
    copy.send(conn).await?;
    if !write.stored.is_empty() {
        let rows: Vec<&Summary> = write.stored.iter().map(Arc::as_ref).collect();
        sqlx::query(upsert)
            .bind(Json(&rows))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
