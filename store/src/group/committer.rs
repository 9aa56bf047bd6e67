//! A committer task: takes the writes waiting in its queues as one batch and
//! chooses how the batch goes to the database (one statement, one
//! transaction, savepoints, or each write alone), then answers each write.

use super::counters::KnownCounters;
use super::new_keys::{
    key_taken, store_batch_keys, store_keys_of, tell_keys, writes_whose_key_lost, BatchKeys,
};
use super::statements::{
    bind_rows, counter_moved_on, record_idempotency, sorted, stream_moved_on, write_batch,
    BatchRows, INSERT_FAILING_IF_MOVED_ON, INSERT_KEYED_FAILING_IF_MOVED_ON,
    INSERT_NUMBERED_FAILING_IF_MOVED_ON, INSERT_NUMBERED_KEYED_FAILING_IF_MOVED_ON,
};
use super::{Answer, BatchPaths, Job, Written, MAX_BATCH};
use crate::append::append_with_json_metadata;
use crate::sessions::{KeptSession, KeptSessions};
use crate::{idempotency, protocol, CommitNotifier, StoreError};
use domain::ids::ProtocolNumber;
use sqlx::{Connection, PgConnection};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, Mutex};

pub(super) struct Committer {
    pub(super) session: KeptSessions,
    /// The last number of each protocol counter as this committer's own
    /// commits left it: the counters it owns move only by its writes, unless
    /// another process writes to the same database.
    pub(super) known_counters: KnownCounters,
    pub(super) paths: Arc<BatchPaths>,
    /// Writes whose protocol counter this committer owns.
    pub(super) own_jobs: mpsc::Receiver<Job>,
    pub(super) shared_jobs: Arc<Mutex<mpsc::Receiver<Job>>>,
    pub(super) notifier: CommitNotifier,
}

/// Adds the jobs already waiting in `jobs` to `batch`, up to [`MAX_BATCH`].
fn take_waiting(jobs: &mut mpsc::Receiver<Job>, batch: &mut Vec<Job>) {
    while batch.len() < MAX_BATCH {
        match jobs.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
}

/// The writes whose new subjects' keys, stored by a statement of their own,
/// are stored (most were while the writes waited in the queue); one whose
/// key lost to another writer's is answered [`StoreError::KeyLost`] and
/// left out: its events would not open. The keys the writes carry are
/// stored by the batch itself.
async fn with_keys_stored(batch: Vec<Job>) -> Vec<Job> {
    let mut kept = Vec::with_capacity(batch.len());
    for job in batch {
        let mut stored = Ok(());
        for key in job.keys.iter().filter(|key| key.carried().is_none()) {
            stored = stored.and(key.stored().await);
        }
        match stored {
            Ok(()) => kept.push(job),
            Err(lost) => answer(job, Err(lost)),
        }
    }
    kept
}

/// Answers the write, once its keys know whether it stored them.
fn answer(job: Job, answer: Answer) {
    tell_keys(&job, &answer);
    let _ = job.reply.send(answer);
}

/// How a batch's transaction ended.
enum Together {
    /// Committed: each write's own answer.
    Committed(Vec<Answer>),
    /// Failed before COMMIT was sent: rolled back, nothing of it is stored.
    NotCommitted(sqlx::Error),
    /// COMMIT itself failed: the outcome is not known.
    CommitFailed(sqlx::Error),
}

impl Committer {
    pub(super) async fn run(mut self) {
        loop {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            // Both receivers are cancel-safe: a job is either taken or left queued.
            let first = tokio::select! {
                biased;
                job = self.own_jobs.recv() => job,
                job = async { self.shared_jobs.lock().await.recv().await } => job,
            };
            match first {
                Some(job) => batch.push(job),
                // Every sender is gone: the committer was dropped.
                None => return,
            }
            take_waiting(&mut self.own_jobs, &mut batch);
            if let Ok(mut shared) = self.shared_jobs.try_lock() {
                take_waiting(&mut shared, &mut batch);
            }
            self.commit_batch(batch).await;
        }
    }

    async fn commit_batch(&self, batch: Vec<Job>) {
        let mut batch = with_keys_stored(batch).await;
        if batch.is_empty() {
            return;
        }
        let events_only = batch
            .iter()
            .all(|job| job.protocol.is_none() && job.idempotency.is_none());
        let numbered = !events_only && batch.iter().all(|job| job.idempotency.is_none());
        if batch.len() == 1 && !events_only && !numbered {
            // Nobody to share with: plain statements, as a command alone would.
            let job = batch.pop().expect("one write");
            let answered = self.commit_alone(&job).await;
            answer(job, answered);
            return;
        }
        let first_try = if events_only {
            self.run_in_one_statement(&batch).await
        } else if numbered {
            self.run_numbered(&batch).await
        } else {
            self.run_together(&batch).await
        };
        let together = match first_try {
            Ok(Some(answers)) => Together::Committed(answers),
            // A lost race: find the loser, with its own error. A write whose
            // new key lost is refused, and the others go again as a batch.
            Ok(None) => {
                let lost = self.writes_whose_key_lost(&batch).await;
                if lost.contains(&true) {
                    let mut kept = Vec::with_capacity(batch.len());
                    for (job, lost) in batch.into_iter().zip(lost) {
                        if lost {
                            answer(job, Err(StoreError::KeyLost));
                        } else {
                            kept.push(job);
                        }
                    }
                    if !kept.is_empty() {
                        Box::pin(self.commit_batch(kept)).await;
                    }
                    return;
                }
                if batch.len() == 1 {
                    Together::Committed(vec![self.commit_alone(&batch[0]).await])
                } else {
                    self.run_with_savepoints(&batch).await
                }
            }
            Err(together) => together,
        };
        match together {
            Together::Committed(answers) => {
                for (job, answered) in batch.into_iter().zip(answers) {
                    let answered = match answered {
                        Err(e) if must_run_again(&e) => self.commit_alone(&job).await,
                        answered => answered,
                    };
                    answer(job, answered);
                }
            }
            Together::NotCommitted(error) => {
                tracing::warn!(%error, writes = batch.len(), "group transaction failed before its commit; each write runs alone");
                for job in batch {
                    let answered = self.commit_alone(&job).await;
                    answer(job, answered);
                }
            }
            Together::CommitFailed(error) => {
                // The commit may or may not have been applied (a connection
                // lost during COMMIT): running the writes again could apply
                // them twice, so each command gets the failure, as it would
                // from a transaction of its own.
                tracing::error!(%error, writes = batch.len(), "group commit failed");
                let reason = error.to_string();
                for job in batch {
                    answer(job, Err(StoreError::CommitFailed(reason.clone())));
                }
            }
        }
    }

    /// Which writes of a batch whose statement stored nothing carry a new
    /// key that lost (none known if the look-up fails: each write then
    /// finds out alone).
    async fn writes_whose_key_lost(&self, batch: &[Job]) -> Vec<bool> {
        let none = vec![false; batch.len()];
        let carried = |job: &Job| job.keys.iter().any(|key| key.carried().is_some());
        if !batch.iter().any(carried) {
            return none;
        }
        let Ok(mut session) = self.session.session().await else {
            return none;
        };
        match writes_whose_key_lost(&mut session, batch).await {
            Ok(lost) => {
                session.done();
                lost
            }
            Err(_) => none,
        }
    }

    /// The committer's session for a batch that goes `way` (counted).
    async fn session_for(&self, way: &AtomicU64) -> Result<KeptSession<'_>, Together> {
        way.fetch_add(1, Ordering::Relaxed);
        self.session.session().await.map_err(Together::NotCommitted)
    }

    /// The common case: the whole batch with one statement per table.
    /// `Ok(None)` when a write lost a race (the transaction is rolled back).
    async fn run_together(&self, batch: &[Job]) -> Result<Option<Vec<Answer>>, Together> {
        let mut session = self.session_for(&self.paths.in_one_transaction).await?;
        let mut tx = session.begin().await.map_err(Together::NotCommitted)?;
        // Numbers are read afresh here: what the committer knew may be stale.
        self.known_counters.forget(batch);
        match store_batch_keys(&mut tx, &BatchKeys::of(batch)).await {
            Ok(true) => {}
            Ok(false) => {
                tx.rollback().await.map_err(Together::NotCommitted)?;
                session.done();
                return Ok(None);
            }
            Err(e) => return Err(Together::NotCommitted(e)),
        }
        let (written, lasts) = match write_batch(&mut tx, batch).await {
            Ok(Some(written)) => written,
            Ok(None) => {
                tx.rollback().await.map_err(Together::NotCommitted)?;
                session.done();
                return Ok(None);
            }
            Err(StoreError::Database(e)) => return Err(Together::NotCommitted(e)),
            Err(e) => return Err(Together::NotCommitted(sqlx::Error::Protocol(e.to_string()))),
        };
        let mut answers = Vec::with_capacity(batch.len());
        let mut records = Vec::new();
        for (job, written) in batch.iter().zip(&written) {
            let (answer, json) = (job.answer)(written, job.idempotency.is_some());
            if let (Some(record), Some(json)) = (&job.idempotency, json) {
                records.push((record, json));
            }
            answers.push(Ok(answer));
        }
        if !records.is_empty() {
            let all_new = record_idempotency(&mut tx, &records)
                .await
                .map_err(Together::NotCommitted)?;
            if !all_new {
                tx.rollback().await.map_err(Together::NotCommitted)?;
                session.done();
                return Ok(None);
            }
        }
        tx.commit().await.map_err(Together::CommitFailed)?;
        session.done();
        self.known_counters.remember(lasts);
        self.notifier.ring();
        Ok(Some(answers))
    }

    /// A batch of events only ([`Job::protocol`] and [`Job::idempotency`]
    /// unset): one INSERT that is its own transaction, so the only round
    /// trip is the statement (no BEGIN, no COMMIT). `Ok(None)` when a write
    /// lost a race (the statement failed: nothing is stored).
    async fn run_in_one_statement(&self, batch: &[Job]) -> Result<Option<Vec<Answer>>, Together> {
        let mut session = self
            .session_for(&self.paths.events_in_one_statement)
            .await?;
        let numbers = vec![None; batch.len()];
        let rows = BatchRows::of(batch, &numbers);
        let keys = BatchKeys::of(batch);
        let sql = keys.statement(INSERT_FAILING_IF_MOVED_ON, INSERT_KEYED_FAILING_IF_MOVED_ON);
        let inserted = keys
            .bind(bind_rows(sqlx::query_as(sql), batch, &rows))
            .fetch_all(&mut *session)
            .await;
        let inserted = match inserted {
            Ok(inserted) => {
                session.done();
                inserted
            }
            Err(e) if stream_moved_on(&e) || key_taken(&e) => {
                session.done();
                return Ok(None);
            }
            Err(e) => return Err(statement_failed(e)),
        };
        self.notifier.ring();
        answered_by_statement(batch, rows, numbers, inserted)
    }

    /// A batch of creations (numbered writes, no idempotency record): as one
    /// statement of its own when this committer knows where each of its
    /// counters stands (it moved each last), so that the statement is the
    /// only round trip; else, or if a counter moved meanwhile (another
    /// process), in a transaction that reads the counters
    /// ([`Committer::run_together`]), which tells the committer where they
    /// stand for the next batch.
    async fn run_numbered(&self, batch: &[Job]) -> Result<Option<Vec<Answer>>, Together> {
        let Some((numbers, moves)) = self.known_counters.numbers_for(batch) else {
            return self.run_together(batch).await;
        };
        let mut session = self
            .session_for(&self.paths.numbered_in_one_statement)
            .await?;
        let rows = BatchRows::of(batch, &numbers);
        let keys = BatchKeys::of(batch);
        let sql = keys.statement(
            INSERT_NUMBERED_FAILING_IF_MOVED_ON,
            INSERT_NUMBERED_KEYED_FAILING_IF_MOVED_ON,
        );
        let query = bind_rows(sqlx::query_as(sql), batch, &rows)
            .bind(&moves.sedi)
            .bind(&moves.years)
            .bind(&moves.seen)
            .bind(&moves.lasts)
            .bind(moves.sedi.len() as i32);
        let inserted = keys.bind(query).fetch_all(&mut *session).await;
        let inserted = match inserted {
            Ok(inserted) => {
                session.done();
                inserted
            }
            Err(e) => {
                self.known_counters.forget(batch);
                if counter_moved_on(&e) {
                    session.done();
                    return self.run_together(batch).await;
                }
                if stream_moved_on(&e) || key_taken(&e) {
                    session.done();
                    return Ok(None);
                }
                return Err(statement_failed(e));
            }
        };
        self.notifier.ring();
        let answers = answered_by_statement(batch, rows, numbers, inserted);
        if answers.is_ok() {
            self.known_counters.remember(moves.into_lasts());
        } else {
            self.known_counters.forget(batch);
        }
        answers
    }

    /// The batch in one transaction, each write in a savepoint of its own.
    async fn run_with_savepoints(&self, batch: &[Job]) -> Together {
        self.known_counters.forget(batch);
        let mut session = match self.session.session().await {
            Ok(session) => session,
            Err(e) => return Together::NotCommitted(e),
        };
        let mut tx = match session.begin().await {
            Ok(tx) => tx,
            Err(e) => return Together::NotCommitted(e),
        };
        let mut answers = Vec::with_capacity(batch.len());
        for job in batch {
            if let Err(e) = sqlx::query("SAVEPOINT group_write").execute(&mut *tx).await {
                return Together::NotCommitted(e);
            }
            let answer = write_one(&mut tx, job).await;
            let end = if answer.is_ok() {
                "RELEASE SAVEPOINT group_write"
            } else {
                "ROLLBACK TO SAVEPOINT group_write"
            };
            if let Err(e) = sqlx::query(end).execute(&mut *tx).await {
                return Together::NotCommitted(e);
            }
            answers.push(answer);
        }
        if let Err(e) = tx.commit().await {
            return Together::CommitFailed(e);
        }
        session.done();
        if answers.iter().any(Result::is_ok) {
            self.notifier.ring();
        }
        Together::Committed(answers)
    }

    /// One write in a transaction of its own.
    async fn commit_alone(&self, job: &Job) -> Answer {
        self.known_counters.forget(std::slice::from_ref(job));
        let mut session = self.session.session().await?;
        let mut tx = session.begin().await?;
        let answer = match write_one(&mut tx, job).await {
            Ok(answer) => answer,
            Err(e) => {
                // A refused write (a conflict, say) leaves the session usable.
                if server_answered(&e) && tx.rollback().await.is_ok() {
                    session.done();
                }
                return Err(e);
            }
        };
        tx.commit()
            .await
            .map_err(|e| StoreError::CommitFailed(e.to_string()))?;
        session.done();
        self.notifier.ring();
        Ok(answer)
    }
}

/// One write, statement by statement, with its exact error.
async fn write_one(conn: &mut PgConnection, job: &Job) -> Answer {
    store_keys_of(&mut *conn, job).await?;
    let protocol = match &job.protocol {
        Some((sede, year)) => Some(protocol::allocate(&mut *conn, sede, *year).await?),
        None => None,
    };
    let mut appended = Vec::new();
    for (expected, events) in sorted((job.events)(protocol.as_ref())) {
        let a = append_with_json_metadata(
            &mut *conn,
            &expected,
            &events,
            &job.metadata,
            job.recorded_at,
        )
        .await?;
        appended.push((expected.stream_id, a));
    }
    let written = Written { protocol, appended };
    let (answer, json) = (job.answer)(&written, job.idempotency.is_some());
    if let (Some(record), Some(json)) = (&job.idempotency, json) {
        idempotency::record(
            conn,
            &record.actor_id,
            &record.key,
            &record.fingerprint,
            &json,
        )
        .await?;
    }
    Ok(answer)
}

/// Whether `error` is the server's answer to a statement, after which the
/// session is still in step with it (and only its transaction is lost).
fn server_answered(error: &StoreError) -> bool {
    match error {
        StoreError::Conflict { .. } | StoreError::IdempotencyRace | StoreError::KeyLost => true,
        StoreError::Database(e) => matches!(e, sqlx::Error::Database(_)),
        StoreError::CommitFailed(_) | StoreError::Corrupt { .. } => false,
    }
}

/// How a batch's statement of its own ended when it failed.
fn statement_failed(e: sqlx::Error) -> Together {
    match e {
        // PostgreSQL answered with an error: the statement, and so its
        // transaction, did not commit.
        e @ sqlx::Error::Database(_) => Together::NotCommitted(e),
        // No answer (a connection lost): whether it committed is not known.
        e => Together::CommitFailed(e),
    }
}

/// Each write's answer, from the rows a batch's statement of its own stored.
fn answered_by_statement(
    batch: &[Job],
    rows: BatchRows,
    numbers: Vec<Option<ProtocolNumber>>,
    inserted: Vec<(String, i32, i64)>,
) -> Result<Option<Vec<Answer>>, Together> {
    let Some(written) = rows.written(numbers, inserted) else {
        // The statement stores every row or fails; a short answer is not
        // a state any command can be told about as stored or not.
        let reason = "events insert returned fewer rows than it was given".to_string();
        return Err(Together::CommitFailed(sqlx::Error::Protocol(reason)));
    };
    Ok(Some(
        batch
            .iter()
            .zip(&written)
            .map(|(job, written)| Ok((job.answer)(written, false).0))
            .collect(),
    ))
}

/// A write that failed only because of its batch-mates' locks: run it alone.
fn must_run_again(e: &StoreError) -> bool {
    let StoreError::Database(sqlx::Error::Database(db)) = e else {
        return false;
    };
    // deadlock_detected, serialization_failure
    matches!(db.code().as_deref(), Some("40P01") | Some("40001"))
}
