//! The routing and topic look-ups kept in memory, as decorators of the
//! [ports](commands::ports): [`CachedSedeDirectory`] and [`CachedTopicCatalogue`].
//!
//! Every request creation asks for its topic and routes the citizen's CAP;
//! the routing statement alone (five tables, planned afresh each time) cost
//! more of the server than the rest of the creation together (measured in
//! docs/benchmarks.md). The tables behind those answers change only when the
//! reference data is reloaded, and every change moves `ref_generation`
//! (migration 0008: a trigger per table, in the changing transaction). So a
//! cached answer is used only while the generation it was computed under is
//! still the current one: one primary-key read per look-up (shared by the
//! look-ups that overlap, see [`ReferenceGeneration`]), never a stale
//! answer — a reload, a migration or a hand-written UPDATE is seen by the
//! next look-up of every process.
//!
//! An answer is computed after the generation was read, so it is never older
//! than the generation it is stored under. Each memo holds at most
//! [`MEMO_CAPACITY`] answers and starts afresh when full (the keys — CAP ×
//! topic × sub-topic — are few enough that this stays rare).

use async_trait::async_trait;
use commands::ports::{LookupScope, LookupsFuture, PortResult, SedeDirectory, TopicCatalogue};
use domain::ids::{Cap, RegionCode, SedeCode, TopicCode};
use domain::request::SedeLookup;
use domain::topic::Topic;
use sqlx::PgPool;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex};
use store::sessions::KeptSessions;
use tokio::sync::Notify;

/// Most answers one memo keeps.
pub const MEMO_CAPACITY: usize = 50_000;

/// The current reference generation (see the module documentation).
///
/// Look-ups that overlap share their reads: a look-up takes the result of a
/// read that started after the look-up itself began — it is never older than
/// a read of its own would have been — and starts one only when none such is
/// under way. The busier the server, the longer a read takes and the more
/// look-ups one read answers; an idle server reads once per look-up.
///
/// Reads run one at a time, on a session of their own kept out of the pool
/// ([`store::sessions`]).
#[derive(Debug, Clone)]
pub struct ReferenceGeneration {
    session: KeptSessions,
    reads: Arc<SharedReads>,
}

#[derive(Debug, Default)]
struct SharedReads {
    state: Mutex<ReadState>,
    finished: Notify,
}

/// Reads of every [`ReferenceGeneration`] of the process are numbered in
/// the order they start.
static READS_STARTED: AtomicU64 = AtomicU64::new(0);

tokio::task_local! {
    /// Within [`ReferenceGeneration::as_of_start`]: the first read number the
    /// look-ups of this command may take.
    static COMMAND_FRESH_FROM: u64;
}

#[derive(Debug, Default)]
struct ReadState {
    running: bool,
    /// The newest read that succeeded: its number and the generation it read.
    newest: Option<(u64, i64)>,
}

impl ReferenceGeneration {
    pub fn new(pool: PgPool) -> Self {
        Self {
            session: KeptSessions::of(&pool, 1, &[]),
            reads: Arc::default(),
        }
    }

    /// Runs `command` with its look-ups answered by any read that started
    /// after the command began, not only after the look-up itself: a
    /// creation looks up its topic, then its route, and each took a read of
    /// its own (0.92 reads per creation in the HTTP benchmark). A change
    /// committed before the command began is still seen by every look-up; one
    /// that commits while it runs may be seen or not, as with any change
    /// concurrent with a command, and the command's look-ups more often
    /// share one generation.
    pub async fn as_of_start<F: std::future::Future>(command: F) -> F::Output {
        let fresh = READS_STARTED.load(AtomicOrdering::SeqCst) + 1;
        COMMAND_FRESH_FROM.scope(fresh, command).await
    }

    pub async fn current(&self) -> PortResult<i64> {
        // The reads numbered from `fresh` on start after this point (or after
        // the command began).
        let fresh = COMMAND_FRESH_FROM
            .try_with(|fresh| *fresh)
            .unwrap_or_else(|_| READS_STARTED.load(AtomicOrdering::SeqCst) + 1);
        loop {
            let finished = self.reads.finished.notified();
            tokio::pin!(finished);
            // Registered before the state is looked at: no wake-up is missed.
            finished.as_mut().enable();
            let lead = {
                let mut state = self.reads.lock();
                if let Some((read, generation)) = state.newest {
                    if read >= fresh {
                        return Ok(generation);
                    }
                }
                if state.running {
                    None
                } else {
                    state.running = true;
                    Some(READS_STARTED.fetch_add(1, AtomicOrdering::SeqCst) + 1)
                }
            };
            match lead {
                Some(read) => return self.read(read).await,
                None => finished.await,
            }
        }
    }

    /// Read number `read`, shared with the look-ups waiting for it. A failed
    /// read answers only its own look-up: the others try again.
    async fn read(&self, read: u64) -> PortResult<i64> {
        let mut running = RunningRead {
            reads: &self.reads,
            newest: None,
        };
        let mut session = self.session.session().await?;
        let generation = sqlx::query_scalar("SELECT generation FROM ref_generation")
            .fetch_one(&mut *session)
            .await?;
        session.done();
        running.newest = Some((read, generation));
        Ok(generation)
    }
}

/// A command's look-ups share the reads started after it began
/// ([`ReferenceGeneration::as_of_start`]).
impl LookupScope for ReferenceGeneration {
    fn scope<'a>(&self, lookups: LookupsFuture<'a>) -> LookupsFuture<'a> {
        Box::pin(Self::as_of_start(lookups))
    }
}

impl SharedReads {
    fn lock(&self) -> std::sync::MutexGuard<'_, ReadState> {
        self.state.lock().expect("reference generation lock")
    }
}

/// The read under way; ends it when dropped, also when its look-up is
/// abandoned half-way (a client that went away), so that a waiting look-up
/// then starts a read of its own.
struct RunningRead<'a> {
    reads: &'a SharedReads,
    newest: Option<(u64, i64)>,
}

impl Drop for RunningRead<'_> {
    fn drop(&mut self) {
        {
            let mut state = self.reads.lock();
            state.running = false;
            if let Some(newest) = self.newest {
                state.newest = Some(newest);
            }
        }
        self.reads.finished.notify_waiters();
    }
}

/// Answers computed under one generation.
#[derive(Debug)]
struct Memo<K, V> {
    state: Mutex<MemoState<K, V>>,
    capacity: usize,
}

#[derive(Debug)]
struct MemoState<K, V> {
    generation: i64,
    answers: HashMap<K, V>,
}

impl<K: Eq + Hash, V: Clone> Memo<K, V> {
    fn new(capacity: usize) -> Self {
        Self {
            state: Mutex::new(MemoState {
                generation: i64::MIN,
                answers: HashMap::new(),
            }),
            capacity: capacity.max(1),
        }
    }

    fn get(&self, generation: i64, key: &K) -> Option<V> {
        let state = self.state.lock().expect("memo lock");
        if state.generation != generation {
            return None;
        }
        state.answers.get(key).cloned()
    }

    /// The answer for `key`: from memory if computed under the current
    /// generation, else from `load` (read after the generation, so never
    /// older than it), then kept.
    async fn answer<F>(&self, generation: &ReferenceGeneration, key: K, load: F) -> PortResult<V>
    where
        F: std::future::Future<Output = PortResult<V>>,
    {
        let generation = generation.current().await?;
        if let Some(found) = self.get(generation, &key) {
            return Ok(found);
        }
        let found = load.await?;
        self.put(generation, key, found.clone());
        Ok(found)
    }

    fn put(&self, generation: i64, key: K, value: V) {
        let mut state = self.state.lock().expect("memo lock");
        if generation < state.generation {
            // Computed before a change another look-up has already seen.
            return;
        }
        if generation > state.generation || state.answers.len() >= self.capacity {
            state.answers.clear();
            state.generation = generation;
        }
        state.answers.insert(key, value);
    }
}

/// [`SedeDirectory`] answers kept while the reference generation holds.
pub struct CachedSedeDirectory<D> {
    inner: D,
    generation: ReferenceGeneration,
    routes: Memo<(Cap, TopicCode, Option<TopicCode>), Option<SedeCode>>,
    lookups: Memo<String, SedeLookup>,
    crics: Memo<RegionCode, Option<SedeCode>>,
}

impl<D: SedeDirectory> CachedSedeDirectory<D> {
    pub fn new(inner: D, generation: ReferenceGeneration) -> Self {
        Self {
            inner,
            generation,
            routes: Memo::new(MEMO_CAPACITY),
            lookups: Memo::new(MEMO_CAPACITY),
            crics: Memo::new(MEMO_CAPACITY),
        }
    }
}

#[async_trait]
impl<D: SedeDirectory> SedeDirectory for CachedSedeDirectory<D> {
    async fn lookup(&self, code: &str) -> PortResult<SedeLookup> {
        let load = self.inner.lookup(code);
        self.lookups
            .answer(&self.generation, code.to_string(), load)
            .await
    }

    async fn route(
        &self,
        cap: &Cap,
        topic: &TopicCode,
        subtopic: Option<&TopicCode>,
    ) -> PortResult<Option<SedeCode>> {
        let key = (cap.clone(), topic.clone(), subtopic.cloned());
        let load = self.inner.route(cap, topic, subtopic);
        self.routes.answer(&self.generation, key, load).await
    }

    async fn cric_of(&self, region: &RegionCode) -> PortResult<Option<SedeCode>> {
        let load = self.inner.cric_of(region);
        self.crics
            .answer(&self.generation, region.clone(), load)
            .await
    }
}

/// [`TopicCatalogue`] answers kept while the reference generation holds.
pub struct CachedTopicCatalogue<T> {
    inner: T,
    generation: ReferenceGeneration,
    topics: Memo<TopicCode, Option<Topic>>,
    all: Memo<(), Vec<Topic>>,
}

impl<T: TopicCatalogue> CachedTopicCatalogue<T> {
    pub fn new(inner: T, generation: ReferenceGeneration) -> Self {
        Self {
            inner,
            generation,
            topics: Memo::new(MEMO_CAPACITY),
            all: Memo::new(1),
        }
    }
}

#[async_trait]
impl<T: TopicCatalogue> TopicCatalogue for CachedTopicCatalogue<T> {
    async fn topic(&self, code: &TopicCode) -> PortResult<Option<Topic>> {
        let load = self.inner.topic(code);
        self.topics
            .answer(&self.generation, code.clone(), load)
            .await
    }

    async fn all(&self) -> PortResult<Vec<Topic>> {
        self.all
            .answer(&self.generation, (), self.inner.all())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::Memo;

    #[test]
    fn an_answer_holds_only_under_its_generation() {
        let memo: Memo<&str, u32> = Memo::new(10);
        assert_eq!(memo.get(1, &"a"), None);
        memo.put(1, "a", 7);
        assert_eq!(memo.get(1, &"a"), Some(7));
        assert_eq!(memo.get(2, &"a"), None, "a newer generation drops it");
        memo.put(2, "b", 8);
        assert_eq!(memo.get(1, &"a"), None);
        assert_eq!(memo.get(2, &"b"), Some(8));
    }

    #[test]
    fn an_answer_of_an_older_generation_is_not_kept() {
        let memo: Memo<&str, u32> = Memo::new(10);
        memo.put(5, "a", 1);
        memo.put(4, "b", 2);
        assert_eq!(memo.get(5, &"b"), None);
        assert_eq!(memo.get(4, &"b"), None);
        assert_eq!(memo.get(5, &"a"), Some(1));
    }

    #[test]
    fn a_full_memo_starts_afresh() {
        let memo: Memo<u32, u32> = Memo::new(3);
        for k in 0..3 {
            memo.put(1, k, k);
        }
        memo.put(1, 3, 3);
        assert_eq!(memo.get(1, &3), Some(3));
        assert_eq!(memo.get(1, &0), None);
        let len = memo.state.lock().unwrap().answers.len();
        assert_eq!(len, 1);
    }
}
