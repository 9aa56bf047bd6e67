//! A replay's writes of a cached table on a session of their own.
//!
//! A replay is two sides taking turns: this process folds a batch while
//! PostgreSQL waits, then PostgreSQL stores the batch's rows while this
//! process waits. The rows a replay evicts from its cache are the widest it
//! writes (`request_summary`'s); handed to this writer, they are encoded and
//! sent on a second session, beside the replay's own (decision A26).
//! Indexes other than the primary key are still built after the replay:
//! PostgreSQL keeps a trigram index up to date row by row at a higher cost
//! than building it once.
//!
//! The replay goes on before a hand-off is committed. A row it needs again
//! comes from [`SideWriter::in_flight`] until the writer says the write is
//! committed; after that, a read of the table sees it.

use super::{CachedRow, CopyRows};
use crate::rebuild::SideSession;
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

/// Rows evicted by one batch of the replay.
struct Write<T> {
    seq: u64,
    /// Rows the table does not have: COPY.
    new: Vec<Arc<T>>,
    /// Rows it has (or that an earlier hand-off writes): upsert, after them.
    stored: Vec<Arc<T>>,
}

pub(crate) struct SideWriter<T> {
    writes: Option<mpsc::Sender<Write<T>>>,
    task: Option<JoinHandle<Result<(), ProjectionError>>>,
    /// The last hand-off sent, and the last the writer has committed.
    sent: u64,
    committed: Arc<AtomicU64>,
    /// Every row handed off and not yet known to be committed, with its
    /// hand-off: the newest version of each.
    in_flight: HashMap<Uuid, (u64, Arc<T>)>,
}

impl<T: CachedRow> SideWriter<T> {
    /// Starts the writer on a session of its own.
    pub(crate) fn start(session: SideSession) -> SideWriter<T> {
        let (writes, queue) = mpsc::channel(QUEUED_WRITES);
        let committed = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn(run(session, queue, committed.clone()));
        SideWriter {
            writes: Some(writes),
            task: Some(task),
            sent: 0,
            committed,
            in_flight: HashMap::new(),
        }
    }

    /// The row of `id` as last handed off, if that write may not be
    /// committed yet.
    pub(crate) fn in_flight(&self, id: &Uuid) -> Option<T> {
        self.in_flight.get(id).map(|(_, row)| T::clone(row))
    }

    /// Hands off evicted rows; waits only while [`QUEUED_WRITES`] are
    /// ahead of them.
    pub(crate) async fn write(
        &mut self,
        new: Vec<T>,
        stored: Vec<T>,
    ) -> Result<(), ProjectionError> {
        let committed = self.committed.load(Ordering::Acquire);
        self.in_flight.retain(|_, (seq, _)| *seq > committed);
        if new.is_empty() && stored.is_empty() {
            return Ok(());
        }
        self.sent += 1;
        let seq = self.sent;
        let mut hand_off = |rows: Vec<T>| -> Vec<Arc<T>> {
            rows.into_iter()
                .map(|row| {
                    let row = Arc::new(row);
                    self.in_flight.insert(row.key(), (seq, row.clone()));
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
                task.await
                    .map_err(|e| ProjectionError::Rebuild(format!("side writer stopped: {e}")))??;
                self.in_flight.clear();
                Ok(())
            }
            None => Err(ProjectionError::Rebuild(
                "side writer already finished".into(),
            )),
        }
    }

    /// Why the writer stopped taking hand-offs.
    async fn failure(&mut self) -> ProjectionError {
        match self.finish().await {
            Err(e) => e,
            Ok(()) => ProjectionError::Rebuild("side writer stopped early".into()),
        }
    }
}

impl<T> Drop for SideWriter<T> {
    fn drop(&mut self) {
        // A replay that failed: nothing waits for the shadow tables any more.
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

async fn run<T: CachedRow>(
    session: SideSession,
    mut queue: mpsc::Receiver<Write<T>>,
    committed: Arc<AtomicU64>,
) -> Result<(), ProjectionError> {
    let mut conn = session.open().await?;
    let mut copy = CopyRows::new(T::TABLE);
    let upsert = super::upsert_sql::<T>();
    while let Some(write) = queue.recv().await {
        apply(&mut conn, &mut copy, &upsert, &write).await?;
        committed.store(write.seq, Ordering::Release);
    }
    sqlx::Connection::close(conn).await?;
    Ok(())
}

/// One hand-off, each statement committed on its own (the order is what
/// matters: a row's upsert after its COPY).
async fn apply<T: CachedRow>(
    conn: &mut PgConnection,
    copy: &mut CopyRows,
    upsert: &str,
    write: &Write<T>,
) -> Result<(), ProjectionError> {
    for row in &write.new {
        copy.push(row.as_ref());
    }
    copy.send(conn).await?;
    if !write.stored.is_empty() {
        let rows: Vec<&T> = write.stored.iter().map(Arc::as_ref).collect();
        sqlx::query(upsert)
            .bind(Json(&rows))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
