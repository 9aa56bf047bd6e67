//! Group commit: the writes of concurrent commands share one transaction,
//! and within it one statement per table.
//!
//! Durable PostgreSQL pays one WAL flush per commit, and every statement is
//! a round trip; a command that commits alone spends most of its time
//! waiting for both. A [`GroupCommitter`] owns a queue and a few committer
//! tasks. A command hands it its [`Write`] — the streams it appends to at the
//! versions it read, whether it needs a protocol number, its idempotency
//! record — as data, and waits. A committer takes every write waiting in the
//! queue (up to [`MAX_BATCH`]) and, in one transaction:
//!
//! 1. allocates the protocol numbers of the batch with one upsert of the
//!    counters (numbers handed out in batch order, so gap-free per sede and
//!    year);
//! 2. builds each write's events (a creation's event carries its number)
//!    and their hash chain, and inserts every event of the batch with one
//!    `INSERT … SELECT FROM unnest(…)`. A row whose stream moved on (a row
//!    at its version exists, or — for a stream's first new event — no row at
//!    the version the writer read) inserts nothing, without aborting;
//! 3. records the idempotency answers with one insert;
//! 4. commits once, then answers each command.
//!
//! If any row was not inserted — a lost optimistic-concurrency race, a lost
//! idempotency race — that transaction is rolled back whole and the batch
//! runs again one write at a time, each in a savepoint, so that the loser is
//! answered with its own error and the others commit. A write is answered
//! `Ok` only after the commit that made it durable. If the transaction fails
//! before its COMMIT (a lost connection), nothing of it is stored and every
//! write runs again in a transaction of its own; if the COMMIT itself fails,
//! whether it was applied is unknown, so every write is answered with that
//! failure (as a command committing alone would be) and none runs again: no
//! write is lost or applied twice.
//!
//! A write that finds a committer idle runs at once, in a transaction of its
//! own with plain statements: an idle service adds no latency, a busy one
//! batches by itself.
//!
//! A batch of writes that carry events only (no protocol number, no
//! idempotency record) needs no transaction block: its one INSERT is its own
//! transaction, sent without BEGIN and COMMIT, so the statement is the only
//! round trip. There a row whose stream moved on fails the statement instead
//! of inserting nothing (migration 0010), nothing is stored, and the batch
//! runs again as above to find the loser.
//!
//! A batch of creations (writes with a protocol number and no idempotency
//! record) is one statement too, once its committer knows where each of its
//! counters stands — it moved each of them last, since a counter has one
//! committer per process (below). The numbers are handed out from there, the
//! events built with them, and one statement moves each counter from the
//! number the committer knows and inserts the events (migration 0012). Had
//! another process moved a counter in between, the statement fails and
//! stores nothing, and the batch runs in a transaction as above, which reads
//! the counters afresh and tells the committer where they stand.
//!
//! A protocol counter's row stays locked from its upsert until the commit is
//! durable. Were writes of one sede spread over all committers, each
//! committer would wait for the others' WAL flushes on that row, and the
//! committers would end up committing one after the other (measured: a
//! batch's counter upsert took 16 ms, nearly all of it waiting). So a write
//! that needs a protocol number goes to the committer that owns its counter
//! (by a hash of sede and year): within a process no two committers ever
//! lock the same counter. Other writes go to a queue every committer takes
//! from.
//!
//! Row locks are taken in one order — protocol counters sorted by sede and
//! year, then the batch's events — so two committers (or two processes) do
//! not wait on each other in a cycle on counters; any deadlock PostgreSQL
//! detects costs the writes involved a run on their own.

use super::append::append_with_json_metadata;
use super::hash::{event_hash, ChainLink};
use super::{
    idempotency, protocol, Appended, CommitNotifier, Expected, Metadata, NewEvent, StoreError,
};
use crate::sessions::{KeptSession, KeptSessions};
use chrono::{DateTime, SubsecRound, Utc};
use domain::ids::{ProtocolNumber, SedeCode};
use sqlx::{Connection, PgConnection, PgPool};
use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Mutex};

/// Most writes in one transaction.
pub const MAX_BATCH: usize = 64;
/// Committer tasks (and so connections at once) of a process, unless configured.
pub const DEFAULT_COMMITTERS: usize = 2;

/// The events of a write, made once its protocol number (if it asked for
/// one) is known: for each stream, the version read and the new events.
pub type MakeEvents =
    dyn Fn(Option<&ProtocolNumber>) -> Vec<(Expected, Vec<NewEvent>)> + Send + Sync;

/// What a write stored: its protocol number and, per stream, what was appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub protocol: Option<ProtocolNumber>,
    /// In stream name order (the order their rows were locked in).
    pub appended: Vec<(String, Appended)>,
}

impl Written {
    /// The last global position written: what a query must wait for.
    pub fn last_position(&self) -> i64 {
        self.appended
            .iter()
            .map(|(_, a)| a.last_position)
            .max()
            .unwrap_or(0)
    }

    /// The version a stream reached.
    pub fn version_of(&self, stream_id: &str) -> Option<u64> {
        self.appended
            .iter()
            .find(|(s, _)| s == stream_id)
            .map(|(_, a)| a.version)
    }
}

/// The idempotency record a write stores with its events.
#[derive(Debug, Clone)]
pub struct IdempotencyRecord {
    pub actor_id: String,
    pub key: String,
    pub fingerprint: Vec<u8>,
}

/// One command's write, as [`GroupCommitter::commit`] stores it; `T` is the
/// command's answer, made from what was written (and recorded as the
/// idempotency answer).
pub struct Write<T> {
    pub metadata: Metadata,
    pub recorded_at: DateTime<Utc>,
    /// A protocol number of this sede and year, allocated with the write.
    pub protocol: Option<(SedeCode, i32)>,
    pub events: Arc<MakeEvents>,
    pub idempotency: Option<IdempotencyRecord>,
    pub answer: Arc<dyn Fn(&Written) -> T + Send + Sync>,
}

type Answer = Result<Box<dyn Any + Send>, StoreError>;
/// A write's answer, type-erased, and its JSON when it is to be recorded.
type ErasedAnswer =
    dyn Fn(&Written, bool) -> (Box<dyn Any + Send>, Option<serde_json::Value>) + Send + Sync;

struct Job {
    metadata: serde_json::Value,
    recorded_at: DateTime<Utc>,
    protocol: Option<(SedeCode, i32)>,
    events: Arc<MakeEvents>,
    idempotency: Option<IdempotencyRecord>,
    answer: Arc<ErasedAnswer>,
    reply: oneshot::Sender<Answer>,
}

/// The process's group committer; cheap to clone.
#[derive(Clone)]
pub struct GroupCommitter {
    /// Writes without a protocol number, for any committer.
    shared: mpsc::Sender<Job>,
    /// Writes with a protocol number, one queue per committer (see the module
    /// documentation).
    owned: Arc<[mpsc::Sender<Job>]>,
    paths: Arc<BatchPaths>,
}

/// How many batches took each way to the database, since the start.
#[derive(Debug, Default)]
pub struct BatchPaths {
    /// Events only, one statement without a transaction block.
    pub events_in_one_statement: AtomicU64,
    /// Creations whose counters the committer knew, one statement.
    pub numbered_in_one_statement: AtomicU64,
    /// One transaction for the batch, the counters read in it.
    pub in_one_transaction: AtomicU64,
}

impl std::fmt::Debug for GroupCommitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommitter").finish_non_exhaustive()
    }
}

impl GroupCommitter {
    /// Starts `committers` committer tasks on the current tokio runtime; they
    /// end when the last clone is dropped. The notifier is rung after each
    /// commit.
    pub fn spawn(pool: PgPool, committers: usize, notifier: CommitNotifier) -> Self {
        let committers = committers.max(1);
        let (shared, shared_jobs) = mpsc::channel::<Job>(MAX_BATCH * committers * 4);
        let paths = Arc::new(BatchPaths::default());
        let shared_jobs = Arc::new(Mutex::new(shared_jobs));
        let mut owned = Vec::with_capacity(committers);
        for _ in 0..committers {
            let (queue, own_jobs) = mpsc::channel::<Job>(MAX_BATCH * 4);
            owned.push(queue);
            let committer = Committer {
                session: committer_session(&pool),
                known_counters: Default::default(),
                paths: paths.clone(),
                own_jobs,
                shared_jobs: shared_jobs.clone(),
                notifier: notifier.clone(),
            };
            tokio::spawn(committer.run());
        }
        Self {
            shared,
            owned: owned.into(),
            paths,
        }
    }

    /// The queue a write goes to: its counter's committer, or any.
    fn queue_for(&self, protocol: Option<&(SedeCode, i32)>) -> &mpsc::Sender<Job> {
        match protocol {
            Some(counter) => {
                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                counter.hash(&mut hasher);
                &self.owned[(hasher.finish() % self.owned.len() as u64) as usize]
            }
            None => &self.shared,
        }
    }

    /// How many batches took each way (committed or not).
    pub fn paths(&self) -> &BatchPaths {
        &self.paths
    }

    /// Stores `write` with the next batch; answers once it is durable (or failed).
    pub async fn commit<T: serde::Serialize + Send + 'static>(
        &self,
        write: Write<T>,
    ) -> Result<T, StoreError> {
        let make_answer = write.answer;
        let answer: Arc<ErasedAnswer> = Arc::new(move |written, json| {
            let answer = make_answer(written);
            let json = json.then(|| serde_json::to_value(&answer).expect("answers serialise"));
            (Box::new(answer), json)
        });
        let (reply, replied) = oneshot::channel();
        let job = Job {
            metadata: serde_json::to_value(&write.metadata).expect("metadata serialises"),
            // PostgreSQL keeps microseconds: hash what will be stored.
            recorded_at: write.recorded_at.trunc_subsecs(6),
            protocol: write.protocol,
            events: write.events,
            idempotency: write.idempotency,
            answer,
            reply,
        };
        self.queue_for(job.protocol.as_ref())
            .send(job)
            .await
            .map_err(|_| stopped())?;
        let answer = replied.await.map_err(|_| stopped())??;
        Ok(*answer
            .downcast::<T>()
            .expect("a write is answered with its own type"))
    }
}

/// A committer's own session to the database of `pool`, on which every
/// statement is planned once. The batch statements take arrays whose lengths
/// change with every batch, and PostgreSQL kept planning them afresh (custom
/// plans): `perf` of the 8-writer append showed the planner at half the cost
/// of executing them. Their plans do not depend on the values (inserts,
/// look-ups by key), so a generic plan is as good as any
/// ([`super::KEYED_PLAN_SETTINGS`]). Being the committer's own, the session
/// is never taken by the commands' reads either, and it is kept out of the
/// pool ([`crate::sessions`]): no test round trip after each batch.
fn committer_session(pool: &PgPool) -> KeptSessions {
    KeptSessions::of(pool, 1, &super::KEYED_PLAN_SETTINGS)
}

/// Whether `error` is the server's answer to a statement, after which the
/// session is still in step with it (and only its transaction is lost).
fn server_answered(error: &StoreError) -> bool {
    match error {
        StoreError::Conflict { .. } | StoreError::IdempotencyRace => true,
        StoreError::Database(e) => matches!(e, sqlx::Error::Database(_)),
        StoreError::CommitFailed(_) | StoreError::Corrupt { .. } => false,
    }
}

fn stopped() -> StoreError {
    StoreError::Database(sqlx::Error::PoolClosed)
}

struct Committer {
    session: KeptSessions,
    /// The last number of each protocol counter as this committer's own
    /// commits left it: the counters it owns move only by its writes, unless
    /// another process writes to the same database.
    known_counters: std::sync::Mutex<HashMap<(String, i32), i32>>,
    paths: Arc<BatchPaths>,
    /// Writes whose protocol counter this committer owns.
    own_jobs: mpsc::Receiver<Job>,
    shared_jobs: Arc<Mutex<mpsc::Receiver<Job>>>,
    notifier: CommitNotifier,
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
    async fn run(mut self) {
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

    async fn commit_batch(&self, mut batch: Vec<Job>) {
        let events_only = batch
            .iter()
            .all(|job| job.protocol.is_none() && job.idempotency.is_none());
        let numbered = !events_only && batch.iter().all(|job| job.idempotency.is_none());
        if batch.len() == 1 && !events_only && !numbered {
            // Nobody to share with: plain statements, as a command alone would.
            let job = batch.pop().expect("one write");
            let answer = self.commit_alone(&job).await;
            let _ = job.reply.send(answer);
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
            // A lost race: find the loser, with its own error.
            Ok(None) if batch.len() == 1 => {
                Together::Committed(vec![self.commit_alone(&batch[0]).await])
            }
            Ok(None) => self.run_with_savepoints(&batch).await,
            Err(together) => together,
        };
        match together {
            Together::Committed(answers) => {
                for (job, answer) in batch.into_iter().zip(answers) {
                    let answer = match answer {
                        Err(e) if must_run_again(&e) => self.commit_alone(&job).await,
                        answer => answer,
                    };
                    let _ = job.reply.send(answer);
                }
            }
            Together::NotCommitted(error) => {
                tracing::warn!(%error, writes = batch.len(), "group transaction failed before its commit; each write runs alone");
                for job in batch {
                    let answer = self.commit_alone(&job).await;
                    let _ = job.reply.send(answer);
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
                    let _ = job
                        .reply
                        .send(Err(StoreError::CommitFailed(reason.clone())));
                }
            }
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
        self.forget_counters(batch);
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
        self.remember_counters(lasts);
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
        let inserted =
            match insert_rows(&mut session, batch, &rows, INSERT_FAILING_IF_MOVED_ON).await {
                Ok(inserted) => {
                    session.done();
                    inserted
                }
                Err(e) if stream_moved_on(&e) => {
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
        let Some((numbers, moves)) = self.numbers_from_known(batch) else {
            return self.run_together(batch).await;
        };
        let mut session = self
            .session_for(&self.paths.numbered_in_one_statement)
            .await?;
        let rows = BatchRows::of(batch, &numbers);
        let inserted = bind_rows(
            sqlx::query_as(INSERT_NUMBERED_FAILING_IF_MOVED_ON),
            batch,
            &rows,
        )
        .bind(&moves.sedi)
        .bind(&moves.years)
        .bind(&moves.seen)
        .bind(&moves.lasts)
        .bind(moves.sedi.len() as i32)
        .fetch_all(&mut *session)
        .await;
        let inserted = match inserted {
            Ok(inserted) => {
                session.done();
                inserted
            }
            Err(e) => {
                self.forget_counters(batch);
                if counter_moved_on(&e) {
                    session.done();
                    return self.run_together(batch).await;
                }
                if stream_moved_on(&e) {
                    session.done();
                    return Ok(None);
                }
                return Err(statement_failed(e));
            }
        };
        self.notifier.ring();
        let answers = answered_by_statement(batch, rows, numbers, inserted);
        if answers.is_ok() {
            self.remember_counters(moves.into_lasts());
        } else {
            self.forget_counters(batch);
        }
        answers
    }

    /// The batch's numbers from the counters this committer knows, and how
    /// each counter moves; `None` if it does not know one of them.
    fn numbers_from_known(
        &self,
        batch: &[Job],
    ) -> Option<(Vec<Option<ProtocolNumber>>, CounterMoves)> {
        let known = self.known_counters.lock().expect("counters lock");
        let mut moves = CounterMoves::default();
        let mut first = HashMap::new();
        for (counter, n) in wanted_numbers(batch) {
            let seen = *known.get(&counter)?;
            first.insert(counter.clone(), (seen + 1) as u32);
            moves.sedi.push(counter.0);
            moves.years.push(counter.1);
            moves.seen.push(seen);
            moves.lasts.push(seen + n);
        }
        Some((hand_out(batch, first), moves))
    }

    /// Where the counters stand after a commit of this committer's.
    fn remember_counters(&self, lasts: CounterLasts) {
        self.known_counters
            .lock()
            .expect("counters lock")
            .extend(lasts);
    }

    /// The batch's counters are about to move by other means, or may have.
    fn forget_counters(&self, batch: &[Job]) {
        let mut known = self.known_counters.lock().expect("counters lock");
        for (sede, year) in batch.iter().filter_map(|j| j.protocol.as_ref()) {
            known.remove(&(sede.as_str().to_string(), *year));
        }
    }

    /// The batch in one transaction, each write in a savepoint of its own.
    async fn run_with_savepoints(&self, batch: &[Job]) -> Together {
        self.forget_counters(batch);
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
        self.forget_counters(std::slice::from_ref(job));
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

/// A write's streams in name order: the order their rows are locked in.
fn sorted(mut streams: Vec<(Expected, Vec<NewEvent>)>) -> Vec<(Expected, Vec<NewEvent>)> {
    streams.retain(|(_, events)| !events.is_empty());
    streams.sort_by(|a, b| a.0.stream_id.cmp(&b.0.stream_id));
    streams
}

/// One row of the batch's events insert.
struct Row {
    job: usize,
    stream_id: String,
    stream_type: String,
    version: i32,
    event_type: String,
    schema_version: i16,
    payload: serde_json::Value,
    recorded_at: DateTime<Utc>,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
    /// For a stream's first new event, the version the writer read.
    must_follow: i32,
}

/// Protocol numbers, events and positions of the whole batch, with one
/// statement per table; `None` when a row was not inserted (a lost race).
#[tracing::instrument(level = "debug", skip_all, fields(jobs = batch.len()), err)]
async fn write_batch(
    conn: &mut PgConnection,
    batch: &[Job],
) -> Result<Option<(Vec<Written>, CounterLasts)>, StoreError> {
    let (numbers, lasts) = allocate_protocols(&mut *conn, batch).await?;
    let rows = BatchRows::of(batch, &numbers);
    let inserted = insert_rows(&mut *conn, batch, &rows, INSERT_SKIPPING_MOVED_ON).await?;
    Ok(rows
        .written(numbers, inserted)
        .map(|written| (written, lasts)))
}

/// How a batch of creations moves its counters, as the parameters of
/// [`INSERT_NUMBERED_FAILING_IF_MOVED_ON`].
#[derive(Debug, Default)]
struct CounterMoves {
    sedi: Vec<String>,
    years: Vec<i32>,
    /// The last number as the committer knows it.
    seen: Vec<i32>,
    /// The last number the batch takes.
    lasts: Vec<i32>,
}

impl CounterMoves {
    fn into_lasts(self) -> CounterLasts {
        self.sedi
            .into_iter()
            .zip(self.years)
            .zip(self.lasts)
            .collect()
    }
}

/// The last number of each protocol counter (sede, year) a batch used.
type CounterLasts = Vec<((String, i32), i32)>;

/// The counters a batch asks numbers of, and how many of each.
fn wanted_numbers(batch: &[Job]) -> BTreeMap<(String, i32), i32> {
    let mut wanted: BTreeMap<(String, i32), i32> = BTreeMap::new();
    for (sede, year) in batch.iter().filter_map(|j| j.protocol.as_ref()) {
        *wanted
            .entry((sede.as_str().to_string(), *year))
            .or_default() += 1;
    }
    wanted
}

/// The numbers of a batch's writes, in batch order, from the number before
/// the first of each counter.
fn hand_out(batch: &[Job], mut next: HashMap<(String, i32), u32>) -> Vec<Option<ProtocolNumber>> {
    batch
        .iter()
        .map(|job| {
            job.protocol.as_ref().map(|(sede, year)| {
                let n = next
                    .get_mut(&(sede.as_str().to_string(), *year))
                    .expect("every counter of the batch has its first number");
                let number = ProtocolNumber::new(sede, *year, *n);
                *n += 1;
                number
            })
        })
        .collect()
}

/// The events insert of a batch, `INSERT … SELECT FROM unnest(…)`, with the
/// `WHERE … ORDER BY …` tail that says what a row whose stream moved on does.
macro_rules! insert_events_sql {
    ($rule:literal) => {
        concat!(
            "INSERT INTO events (stream_id, stream_type, version, event_type, schema_version, \
                                 payload, metadata, recorded_at, prev_hash, hash) \
             SELECT r.stream_id, r.stream_type, r.version, r.event_type, r.schema_version, \
                    r.payload, r.metadata, r.recorded_at, r.prev_hash, r.hash \
             FROM unnest($1::text[], $2::text[], $3::int4[], $4::text[], $5::int2[], \
                         $6::jsonb[], $7::jsonb[], $8::timestamptz[], $9::bytea[], \
                         $10::bytea[], $11::int4[]) \
                  WITH ORDINALITY AS r(stream_id, stream_type, version, event_type, \
                                       schema_version, payload, metadata, recorded_at, \
                                       prev_hash, hash, must_follow, n) ",
            $rule,
            " RETURNING stream_id, version, position"
        )
    };
}

/// In a transaction: a row whose stream moved on inserts nothing (the
/// caller sees fewer rows and rolls back).
const INSERT_SKIPPING_MOVED_ON: &str = insert_events_sql!(
    "WHERE r.must_follow = 0 OR EXISTS \
       (SELECT 1 FROM events e WHERE e.stream_id = r.stream_id AND e.version = r.must_follow) \
     ORDER BY r.n \
     ON CONFLICT ON CONSTRAINT events_stream_version DO NOTHING"
);

/// As a statement of its own: a row whose stream moved on fails the
/// statement (a version taken: the unique constraint; a stream not at the
/// version read: migration 0010), so it stores every row or none.
const INSERT_FAILING_IF_MOVED_ON: &str = insert_events_sql!(
    "WHERE CASE WHEN r.must_follow = 0 OR EXISTS \
       (SELECT 1 FROM events e WHERE e.stream_id = r.stream_id AND e.version = r.must_follow) \
       THEN true ELSE events_stream_moved_on(r.stream_id, r.must_follow) END \
     ORDER BY r.n"
);

/// A batch of creations as one statement of its own (migration 0012): each
/// counter moves from the last number its committer knows (`$14`) to the
/// batch's last (`$15`); unless all `$16` counters did, the statement fails
/// (CP002), as it does when a stream moved on (CP001, or the unique
/// constraint): it stores every row or none.
const INSERT_NUMBERED_FAILING_IF_MOVED_ON: &str = concat!(
    "WITH counted AS ( \
       UPDATE protocol_counters c SET last = u.last \
       FROM unnest($12::text[], $13::int4[], $14::int4[], $15::int4[]) AS u(sede, year, seen, last) \
       WHERE c.sede = u.sede AND c.year = u.year AND c.last = u.seen \
       RETURNING 1) ",
    insert_events_sql!(
        "WHERE CASE WHEN (SELECT count(*) FROM counted) = $16 THEN true \
                    ELSE protocol_counters_moved_on((SELECT count(*) FROM counted), $16) END \
           AND CASE WHEN r.must_follow = 0 OR EXISTS \
               (SELECT 1 FROM events e WHERE e.stream_id = r.stream_id AND e.version = r.must_follow) \
               THEN true ELSE events_stream_moved_on(r.stream_id, r.must_follow) END \
         ORDER BY r.n"
    )
);

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

/// Whether a failed statement failed because a protocol counter moved on.
fn counter_moved_on(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|db| db.code().as_deref() == Some("CP002"))
}

/// Whether a failed statement failed because a stream moved on.
fn stream_moved_on(e: &sqlx::Error) -> bool {
    let Some(db) = e.as_database_error() else {
        return false;
    };
    db.code().as_deref() == Some("CP001") || db.constraint() == Some("events_stream_version")
}

/// The rows of a batch's events, chained, and which streams each write reached.
struct BatchRows {
    rows: Vec<Row>,
    /// Per write, each stream written and the version it reached.
    streams_of_job: Vec<Vec<(String, u64)>>,
}

impl BatchRows {
    fn of(batch: &[Job], numbers: &[Option<ProtocolNumber>]) -> BatchRows {
        let mut rows = Vec::new();
        let mut streams_of_job = Vec::with_capacity(batch.len());
        for (j, job) in batch.iter().enumerate() {
            let mut streams = Vec::new();
            for (expected, events) in sorted((job.events)(numbers[j].as_ref())) {
                let mut prev_hash = expected.last_hash;
                let mut version = expected.version;
                for (i, event) in events.iter().enumerate() {
                    version += 1;
                    let link = ChainLink::of(
                        &expected.stream_id,
                        version,
                        event,
                        &job.metadata,
                        job.recorded_at,
                    );
                    let hash = event_hash(&prev_hash, &link);
                    rows.push(Row {
                        job: j,
                        stream_id: expected.stream_id.clone(),
                        stream_type: expected.stream_type.clone(),
                        version: i32::try_from(version).expect("stream version fits in i32"),
                        event_type: event.event_type.clone(),
                        schema_version: event.schema_version,
                        payload: event.payload.clone(),
                        recorded_at: job.recorded_at,
                        prev_hash: prev_hash.to_vec(),
                        hash: hash.to_vec(),
                        must_follow: if i == 0 {
                            i32::try_from(expected.version).expect("stream version fits in i32")
                        } else {
                            0
                        },
                    });
                    prev_hash = hash;
                }
                streams.push((expected.stream_id, version));
            }
            streams_of_job.push(streams);
        }
        BatchRows {
            rows,
            streams_of_job,
        }
    }

    /// What each write stored, from the inserted rows' positions; `None`
    /// when a row was not inserted.
    fn written(
        self,
        numbers: Vec<Option<ProtocolNumber>>,
        inserted: Vec<(String, i32, i64)>,
    ) -> Option<Vec<Written>> {
        if inserted.len() != self.rows.len() {
            return None;
        }
        let position: HashMap<(String, i32), i64> = inserted
            .into_iter()
            .map(|(stream, version, position)| ((stream, version), position))
            .collect();
        let mut written = Vec::with_capacity(numbers.len());
        for ((j, streams), protocol) in self.streams_of_job.into_iter().enumerate().zip(numbers) {
            let mut appended = Vec::with_capacity(streams.len());
            for (stream_id, version) in streams {
                let first = self
                    .rows
                    .iter()
                    .filter(|r| r.job == j && r.stream_id == stream_id)
                    .map(|r| position[&(r.stream_id.clone(), r.version)])
                    .min()
                    .expect("a stream written has rows");
                let last = position[&(stream_id.clone(), version as i32)];
                appended.push((
                    stream_id,
                    Appended {
                        version,
                        first_position: first,
                        last_position: last,
                    },
                ));
            }
            written.push(Written { protocol, appended });
        }
        Some(written)
    }
}

/// Inserts a batch's rows with one statement, [`INSERT_SKIPPING_MOVED_ON`]
/// or [`INSERT_FAILING_IF_MOVED_ON`]; returns the rows inserted: stream,
/// version, position.
async fn insert_rows(
    conn: &mut PgConnection,
    batch: &[Job],
    rows: &BatchRows,
    sql: &'static str,
) -> Result<Vec<(String, i32, i64)>, sqlx::Error> {
    bind_rows(sqlx::query_as(sql), batch, rows)
        .fetch_all(&mut *conn)
        .await
}

type InsertQuery<'q> =
    sqlx::query::QueryAs<'q, sqlx::Postgres, (String, i32, i64), sqlx::postgres::PgArguments>;

/// Binds a batch's rows as parameters `$1`–`$11` of an events insert.
fn bind_rows<'q>(query: InsertQuery<'q>, batch: &'q [Job], rows: &'q BatchRows) -> InsertQuery<'q> {
    let rows = &rows.rows;
    let metadata: Vec<&serde_json::Value> = rows.iter().map(|r| &batch[r.job].metadata).collect();
    query
        .bind(
            rows.iter()
                .map(|r| r.stream_id.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|r| r.stream_type.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(rows.iter().map(|r| r.version).collect::<Vec<_>>())
        .bind(
            rows.iter()
                .map(|r| r.event_type.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(rows.iter().map(|r| r.schema_version).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| &r.payload).collect::<Vec<_>>())
        .bind(metadata)
        .bind(rows.iter().map(|r| r.recorded_at).collect::<Vec<_>>())
        .bind(
            rows.iter()
                .map(|r| r.prev_hash.as_slice())
                .collect::<Vec<_>>(),
        )
        .bind(rows.iter().map(|r| r.hash.as_slice()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.must_follow).collect::<Vec<_>>())
}

/// The protocol numbers of the batch's writes that ask for one: one upsert
/// of every counter involved (in sede and year order), numbers handed out in
/// batch order.
async fn allocate_protocols(
    conn: &mut PgConnection,
    batch: &[Job],
) -> Result<(Vec<Option<ProtocolNumber>>, CounterLasts), StoreError> {
    let wanted = wanted_numbers(batch);
    if wanted.is_empty() {
        return Ok((vec![None; batch.len()], Vec::new()));
    }
    let (sedi, (years, counts)): (Vec<&str>, (Vec<i32>, Vec<i32>)) = wanted
        .iter()
        .map(|((s, y), n)| (s.as_str(), (*y, *n)))
        .unzip();
    let lasts: Vec<(String, i32, i32)> = sqlx::query_as(
        "INSERT INTO protocol_counters (sede, year, last) \
         SELECT * FROM unnest($1::text[], $2::int4[], $3::int4[]) \
         ON CONFLICT (sede, year) DO UPDATE SET last = protocol_counters.last + excluded.last \
         RETURNING sede, year, last",
    )
    .bind(sedi)
    .bind(years)
    .bind(counts)
    .fetch_all(&mut *conn)
    .await?;
    // The first number to hand out, per counter.
    let first: HashMap<(String, i32), u32> = lasts
        .iter()
        .map(|(sede, year, last)| {
            let n = wanted[&(sede.clone(), *year)];
            ((sede.clone(), *year), (last - n + 1) as u32)
        })
        .collect();
    let lasts = lasts
        .into_iter()
        .map(|(sede, year, last)| ((sede, year), last))
        .collect();
    Ok((hand_out(batch, first), lasts))
}

/// Every idempotency record of the batch in one insert; false if a key was
/// already recorded (a concurrent command with the same key won).
async fn record_idempotency(
    conn: &mut PgConnection,
    records: &[(&IdempotencyRecord, serde_json::Value)],
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (actor_id, key, fingerprint, response) \
         SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::jsonb[]) \
         ON CONFLICT DO NOTHING",
    )
    .bind(
        records
            .iter()
            .map(|(r, _)| r.actor_id.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        records
            .iter()
            .map(|(r, _)| r.key.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        records
            .iter()
            .map(|(r, _)| r.fingerprint.as_slice())
            .collect::<Vec<_>>(),
    )
    .bind(records.iter().map(|(_, json)| json).collect::<Vec<_>>())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted as usize == records.len())
}

/// A write that failed only because of its batch-mates' locks: run it alone.
fn must_run_again(e: &StoreError) -> bool {
    let StoreError::Database(sqlx::Error::Database(db)) = e else {
        return false;
    };
    // deadlock_detected, serialization_failure
    matches!(db.code().as_deref(), Some("40P01") | Some("40001"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_counter_always_goes_to_the_same_committer_and_counters_spread() {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .connect_lazy("postgres://nobody@127.0.0.1:1/none")
            .expect("a lazy pool needs no server");
        let committer = GroupCommitter::spawn(pool, 4, CommitNotifier::silent());
        let counter = |sede: &str, year| (SedeCode::parse(sede).unwrap(), year);
        let queue = |c: &(SedeCode, i32)| committer.queue_for(Some(c)) as *const _;
        let rome = counter("3201", 2026);
        for _ in 0..10 {
            assert_eq!(queue(&rome), queue(&rome.clone()));
        }
        assert!(std::ptr::eq(committer.queue_for(None), &committer.shared));
        let owners: std::collections::HashSet<_> = (1000..1100)
            .map(|code| queue(&counter(&code.to_string(), 2026)))
            .collect();
        assert_eq!(owners.len(), 4, "100 sedi should use every committer");
        assert!(owners.iter().all(|q| !std::ptr::eq(*q, &committer.shared)));
    }
}
