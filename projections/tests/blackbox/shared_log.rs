//! The workers of a process read each batch of the log once
//! (`projections::shared_log`).

use crate::common::*;
use async_trait::async_trait;
use projections::shared_log::{Batch, LookSince, DEFAULT_KEPT_EVENTS};
use projections::{Metrics, Projection, ProjectionError, SharedLog, Worker, WorkerConfig};
use sqlx::{PgConnection, PgPool};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use store::log::read_after;
use store::{commits_rung, CommitNotifier, LogPosition, RecordedEvent};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Sends `n` requests (one event each) and waits until they are readable
/// (an open transaction of another test may hold back the horizon); returns
/// the whole log.
async fn readable_log(pool: &PgPool, n: i64) -> Vec<RecordedEvent> {
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(pool)
        .await
        .unwrap();
    for i in 0..n {
        send(
            pool,
            &Spec {
                at: day(i),
                ..Spec::default()
            },
        )
        .await;
    }
    for _ in 0..2000 {
        let events = read_after(pool, LogPosition::START, 1000).await.unwrap();
        if events.len() == (before + n) as usize {
            return events;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("events not readable");
}

/// A read by a look that began now, woken by this process's commits.
async fn look_after(shared: &SharedLog, conn: &mut PgConnection, after: LogPosition) -> Batch {
    let since = LookSince::Rung(commits_rung());
    shared.read_after(conn, after, 100, since).await.unwrap()
}

fn events_read(metrics: &Metrics, source: &str) -> u64 {
    metrics.log_events_read.with_label_values(&[source]).get()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_recent_read_is_handed_out_again_and_ends_a_look_only_if_read_after_its_wake_up(
    pool: PgPool,
) {
    let log_now = readable_log(&pool, 4).await;
    assert_eq!(log_now.len(), 4, "a new database's log is empty");
    let metrics = Metrics::unregistered();
    let shared = SharedLog::new(100, metrics.clone());
    let mut conn = pool.acquire().await.unwrap();
    let look = LookSince::Rung(commits_rung());

    let first = shared
        .read_after(&mut conn, LogPosition::START, 100, look)
        .await
        .unwrap();
    assert_eq!(&*first, &log_now[..]);
    assert!(first.at_end, "a short read reached the readable end");
    assert_eq!(events_read(&metrics, "database"), 4);

    // Another worker, one event behind the end: the rest of that read.
    let second = shared
        .read_after(&mut conn, log_now[1].log_position(), 100, look)
        .await
        .unwrap();
    assert_eq!(&*second, &log_now[2..]);
    assert!(second.at_end);
    let limited = shared
        .read_after(&mut conn, LogPosition::START, 3, look)
        .await
        .unwrap();
    assert_eq!(&*limited, &log_now[..3]);
    assert!(!limited.at_end, "an event is left after this batch");
    assert_eq!(events_read(&metrics, "database"), 4, "nothing read again");
    assert_eq!(events_read(&metrics, "shared"), 2 + 3);

    // A commit rung after the read: a look that spent its wake-up must not
    // take the read's end for the log's end, nor may one woken by another
    // process.
    CommitNotifier::silent().ring();
    for later_look in [LookSince::Rung(commits_rung()), LookSince::OtherProcess] {
        let stale = shared
            .read_after(&mut conn, LogPosition::START, 100, later_look)
            .await
            .unwrap();
        assert_eq!(&*stale, &log_now[..]);
        assert!(!stale.at_end, "{later_look:?} would sleep past a commit");
    }

    // Past every segment: the database again.
    let beyond = look_after(&shared, &mut conn, log_now[3].log_position()).await;
    assert!(beyond.is_empty() && beyond.at_end);
    let log_then = readable_log(&pool, 1).await;
    let next = look_after(&shared, &mut conn, log_now[3].log_position()).await;
    assert_eq!(&*next, &log_then[4..]);
    assert_eq!(events_read(&metrics, "database"), 5);
}

/// A projection that writes nothing and counts what it was given.
struct Named {
    name: &'static str,
    applied: Arc<AtomicUsize>,
}

#[async_trait]
impl Projection for Named {
    fn name(&self) -> &'static str {
        self.name
    }
    fn tables(&self) -> &'static [&'static str] {
        &[]
    }
    async fn apply(
        &self,
        _tx: &mut PgConnection,
        _event: &RecordedEvent,
    ) -> Result<(), ProjectionError> {
        self.applied.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// Timings for a test: quick looks, polls only as said.
fn config(poll_interval: Duration) -> WorkerConfig {
    WorkerConfig {
        batch_size: 50,
        poll_interval,
        standby_retry: Duration::from_millis(100),
        lag_interval: Duration::from_millis(50),
        drain_interval: Duration::from_millis(5),
    }
}

/// A worker of a [`Named`] projection on `log`; its count of events applied.
fn spawn_named(
    pool: &PgPool,
    name: &'static str,
    log: &Arc<SharedLog>,
    config: &WorkerConfig,
    stopped: &watch::Receiver<bool>,
) -> (Arc<AtomicUsize>, JoinHandle<()>) {
    let applied = Arc::new(AtomicUsize::new(0));
    let projection = Arc::new(Named {
        name,
        applied: applied.clone(),
    });
    let metrics = Metrics::unregistered();
    let worker =
        Worker::new(connect(pool), projection, metrics, config.clone()).sharing(log.clone());
    (applied, tokio::spawn(worker.run(stopped.clone())))
}

/// Waits up to `within` for `applied` to reach `n`; whether it did.
async fn reaches(applied: &AtomicUsize, n: usize, within: Duration) -> bool {
    let until = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < until {
        if applied.load(Ordering::SeqCst) >= n {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    applied.load(Ordering::SeqCst) >= n
}

async fn stop_all(stop: watch::Sender<bool>, tasks: Vec<JoinHandle<()>>) {
    stop.send(true).unwrap();
    for task in tasks {
        task.await.unwrap();
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn the_workers_of_a_process_read_each_event_of_the_log_once(pool: PgPool) {
    let n = readable_log(&pool, 6).await.len();
    let metrics = Metrics::unregistered();
    let log = Arc::new(SharedLog::new(DEFAULT_KEPT_EVENTS, metrics.clone()));
    let (stop, stopped) = watch::channel(false);
    let config = config(Duration::from_millis(200));
    let workers: Vec<_> = ["shared_a", "shared_b", "shared_c", "shared_d"]
        .into_iter()
        .map(|name| spawn_named(&pool, name, &log, &config, &stopped))
        .collect();

    for (applied, _) in &workers {
        assert!(reaches(applied, n, Duration::from_secs(10)).await);
    }
    for (applied, _) in &workers {
        assert_eq!(applied.load(Ordering::SeqCst), n, "each event applied once");
    }
    assert_eq!(events_read(&metrics, "database"), n as u64);
    assert_eq!(events_read(&metrics, "shared"), 3 * n as u64);
    stop_all(stop, workers.into_iter().map(|(_, task)| task).collect()).await;
}

/// A worker behind the others takes their earlier reads; one made before
/// the commit that woke it must not end its look, or it would sleep until
/// the next poll with that commit's events unapplied.
#[sqlx::test(migrations = "../migrations")]
async fn a_worker_taking_an_earlier_read_still_reaches_the_commit_that_woke_it(pool: PgPool) {
    let metrics = Metrics::unregistered();
    let log = Arc::new(SharedLog::new(DEFAULT_KEPT_EVENTS, metrics.clone()));
    let (stop, stopped) = watch::channel(false);
    // No poll within the test: only the rings drive the workers.
    let config = config(Duration::from_secs(60));
    let woken = CommitNotifier::silent();
    let ahead = spawn_named(&pool, "ahead", &log, &config, &stopped);

    let first = readable_log(&pool, 1).await.len();
    woken.ring();
    assert!(reaches(&ahead.0, first, Duration::from_secs(10)).await);
    // The shared log now holds a read that ends at the first event.
    let all = readable_log(&pool, 1).await.len();
    woken.ring();
    assert!(reaches(&ahead.0, all, Duration::from_secs(10)).await);

    let behind = spawn_named(&pool, "behind", &log, &config, &stopped);
    assert!(
        reaches(&behind.0, all, Duration::from_secs(5)).await,
        "the worker behind stopped at the end of a read older than its wake-up"
    );
    assert_eq!(
        events_read(&metrics, "database") as usize,
        all,
        "the worker behind took both events from the reads of the one ahead"
    );
    assert_eq!(events_read(&metrics, "shared") as usize, all);
    stop_all(stop, vec![ahead.1, behind.1]).await;
}

/// The same for a worker woken by another process's notification: it spent
/// no ring of this process, so only a fresh read of the database may end its
/// look (a read made before that process's commit would otherwise look like
/// the end).
#[sqlx::test(migrations = "../migrations")]
async fn a_worker_woken_by_another_process_reads_past_an_earlier_read(pool: PgPool) {
    let metrics = Metrics::unregistered();
    let log = Arc::new(SharedLog::new(DEFAULT_KEPT_EVENTS, metrics.clone()));
    let (stop, stopped) = watch::channel(false);
    // No poll and no lag measure within the test (a measure finds pending
    // events and looks again): only the notifications drive the worker.
    let quiet = WorkerConfig {
        lag_interval: Duration::from_secs(60),
        ..config(Duration::from_secs(60))
    };
    let worker = spawn_named(&pool, "woken", &log, &quiet, &stopped);
    // Leading and listening, its first look (at an empty log) done.
    for _ in 0..200 {
        let listening: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        if listening > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    // A read of the first event, shared, made before the second commit.
    let first = readable_log(&pool, 1).await;
    let mut conn = pool.acquire().await.unwrap();
    let earlier = look_after(&log, &mut conn, LogPosition::START).await;
    assert_eq!(&*earlier, &first[..]);
    // The second commit, as another process makes it: no ring here, one
    // notification from elsewhere.
    let all = readable_log(&pool, 1).await.len();
    sqlx::query("SELECT pg_notify($1, 'another-process')")
        .bind(store::EVENTS_CHANNEL)
        .execute(&pool)
        .await
        .unwrap();
    assert!(
        reaches(&worker.0, all, Duration::from_secs(5)).await,
        "the woken worker stopped at the end of a read older than the commit"
    );
    stop_all(stop, vec![worker.1]).await;
}
