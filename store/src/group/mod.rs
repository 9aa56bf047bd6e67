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
//!
//! The code follows those concerns: [`committer`] takes the queued writes
//! and chooses how each batch goes to the database, [`statements`] holds the
//! batch's statements (events, idempotency records) and the rows they bind,
//! [`counters`] hands out protocol numbers, from the counters' upsert or from
//! where the committer knows they stand. After each commit the
//! [`CommitNotifier`] wakes the readers of the log.

mod committer;
mod counters;
mod new_keys;
mod statements;

use super::{CommitNotifier, Expected, Metadata, NewEvent, StoreError};
use crate::privacy::keys::KeyReceipt;
use crate::sessions::KeptSessions;
use chrono::{DateTime, SubsecRound, Utc};
use committer::Committer;
use domain::ids::{ProtocolNumber, SedeCode};
use sqlx::PgPool;
use std::any::Any;
use std::hash::{Hash, Hasher};
use std::sync::atomic::AtomicU64;
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
    pub appended: Vec<(String, super::Appended)>,
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
    /// New subjects' keys the events were sealed with: stored by the
    /// write's batch, or waited for before it begins (`KeyReceipt`).
    keys: Vec<KeyReceipt>,
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
        self.commit_sealed(write, Vec::new()).await
    }

    /// As [`commit`](Self::commit), for a write sealed with new subjects'
    /// keys not stored yet (`keys`): its batch stores those it carries
    /// (decision P30) and waits for the others in the queue, not before it.
    /// [`StoreError::KeyLost`] if one lost to another writer's key for the
    /// same subject: nothing of the write is stored.
    pub async fn commit_sealed<T: serde::Serialize + Send + 'static>(
        &self,
        write: Write<T>,
        keys: Vec<KeyReceipt>,
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
            keys,
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
/// ([`crate::KEYED_PLAN_SETTINGS`]). Being the committer's own, the session
/// is never taken by the commands' reads either, and it is kept out of the
/// pool ([`crate::sessions`]): no test round trip after each batch.
fn committer_session(pool: &PgPool) -> KeptSessions {
    KeptSessions::of(pool, 1, &crate::KEYED_PLAN_SETTINGS)
}

fn stopped() -> StoreError {
    StoreError::Database(sqlx::Error::PoolClosed)
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
