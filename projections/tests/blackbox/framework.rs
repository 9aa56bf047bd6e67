//! The projection framework: atomic batches, workers with leader election,
//! metrics, read-your-writes.

use crate::common::*;
use async_trait::async_trait;
use projections::requests::RequestsProjection;
use projections::{
    checkpoint, run_once, run_until_idle, wait_for_position, Metrics, Outcome, Projection,
    ProjectionError, Worker, WorkerConfig,
};
use sqlx::{PgConnection, PgPool};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use store::{LogPosition, NewEvent, RecordedEvent};
use tokio::sync::watch;

async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Waits until the log's first `n` events are readable: an open transaction of
/// another test (xids are cluster-wide) may hold back the horizon for a while.
async fn wait_readable(pool: &PgPool, n: usize) {
    for _ in 0..2000 {
        let events = store::log::read_after(pool, LogPosition::START, n as i64)
            .await
            .unwrap();
        if events.len() == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("events not readable");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_batch_and_its_checkpoint_commit_together(pool: PgPool) {
    for i in 0..3 {
        send(
            &pool,
            &Spec {
                at: day(i),
                ..Spec::default()
            },
        )
        .await;
    }
    // A known event type whose payload is not that event: poison.
    let poisoned_request = send(&pool, &Spec::default()).await;
    let poison = append_raw(
        &pool,
        poisoned_request,
        &[NewEvent {
            event_type: "ReplyReceived".into(),
            schema_version: 1,
            payload: serde_json::json!({ "garbage": true }),
        }],
    )
    .await;
    let p = RequestsProjection;
    wait_readable(&pool, 5).await;

    // The poisoned event is in the batch: nothing moves.
    let err = run_once(&pool, &p, 100).await.unwrap_err();
    assert!(
        matches!(err, ProjectionError::Poisoned { position, .. } if position == poison.last_position),
        "{err}"
    );
    assert_eq!(count(&pool, "request_summary").await, 0);
    assert_eq!(count(&pool, "request_timeline").await, 0);
    let at = checkpoint::get(&pool, "requests").await.unwrap();
    assert!(at.is_none_or(|at| at == LogPosition::START), "{at:?}");

    // Batches that stop before it apply, with their checkpoint.
    let mut applied = 0;
    while applied < 4 {
        match run_once(&pool, &p, 1).await.unwrap() {
            Outcome::Applied(n) => applied += n,
            Outcome::Idle => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
    assert_eq!(count(&pool, "request_summary").await, 4);
    let at = checkpoint::get(&pool, "requests").await.unwrap().unwrap();
    assert_eq!(at.position, poison.first_position - 1);
    // And the poison stops the projection there, again without moving anything.
    assert!(run_once(&pool, &p, 100).await.is_err());
    assert_eq!(checkpoint::get(&pool, "requests").await.unwrap(), Some(at));
    assert_eq!(count(&pool, "request_timeline").await, 4);
}

#[sqlx::test(migrations = "../migrations")]
async fn unknown_streams_and_event_types_are_skipped(pool: PgPool) {
    let id = send(&pool, &Spec::default()).await;
    append_raw(
        &pool,
        id,
        &[NewEvent {
            event_type: "SomethingNew".into(),
            schema_version: 1,
            payload: serde_json::json!({ "x": 1 }),
        }],
    )
    .await;
    let mut tx = pool.begin().await.unwrap();
    store::append(
        &mut tx,
        &store::Expected::new_stream("counter-1".into(), "counter"),
        &[NewEvent {
            event_type: "ReplyReceived".into(),
            schema_version: 1,
            payload: serde_json::json!({ "not": "a request" }),
        }],
        &metadata(),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    assert_eq!(run_until_idle(&pool, &RequestsProjection).await.unwrap(), 3);
    let row = projections::requests::get_summary(&pool, id.0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.version, 1);
}

/// Counts what one worker instance applied, and in how many batches.
struct Counting {
    inner: RequestsProjection,
    applied: Arc<AtomicUsize>,
    batches: Arc<AtomicUsize>,
}

#[async_trait]
impl Projection for Counting {
    fn name(&self) -> &'static str {
        self.inner.name()
    }
    fn tables(&self) -> &'static [&'static str] {
        self.inner.tables()
    }
    async fn apply(
        &self,
        tx: &mut PgConnection,
        event: &RecordedEvent,
    ) -> Result<(), ProjectionError> {
        self.applied.fetch_add(1, Ordering::SeqCst);
        self.inner.apply(tx, event).await
    }
    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        self.batches.fetch_add(1, Ordering::SeqCst);
        for event in events {
            self.apply(tx, event).await?;
        }
        Ok(())
    }
}

fn fast() -> WorkerConfig {
    WorkerConfig {
        batch_size: 50,
        poll_interval: Duration::from_millis(200),
        standby_retry: Duration::from_millis(100),
        lag_interval: Duration::from_millis(50),
        drain_interval: Duration::from_millis(5),
    }
}

struct Instance {
    applied: Arc<AtomicUsize>,
    batches: Arc<AtomicUsize>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

fn start(pool: &PgPool, metrics: &Metrics) -> Instance {
    start_with(pool, metrics, fast())
}

fn start_with(pool: &PgPool, metrics: &Metrics, config: WorkerConfig) -> Instance {
    let applied = Arc::new(AtomicUsize::new(0));
    let batches = Arc::new(AtomicUsize::new(0));
    let projection = Arc::new(Counting {
        inner: RequestsProjection,
        applied: applied.clone(),
        batches: batches.clone(),
    });
    let (stop, rx) = watch::channel(false);
    let worker = Worker::new(connect(pool), projection, metrics.clone(), config);
    Instance {
        applied,
        batches,
        stop,
        task: tokio::spawn(worker.run(rx)),
    }
}

/// Waits until the instance has applied `n` events in all.
async fn wait_applied(instance: &Instance, n: usize) {
    for _ in 0..2000 {
        if instance.applied.load(Ordering::SeqCst) >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("{n} events not applied");
}

/// Decision A38: a busy worker folds the commits that arrive within one
/// drain interval into one batch (looks at the log at most once an
/// interval, whatever wakes it).
#[sqlx::test(migrations = "../migrations")]
async fn a_busy_worker_folds_the_commits_of_one_interval_into_one_batch(pool: PgPool) {
    let config = WorkerConfig {
        poll_interval: Duration::from_secs(3),
        drain_interval: Duration::from_secs(1),
        ..fast()
    };
    let worker = start_with(&pool, &Metrics::unregistered(), config);
    // As the group committer does after each commit: wakes this process's workers.
    let woken = store::CommitNotifier::silent();
    send_many(&pool, 1).await;
    woken.ring();
    wait_applied(&worker, 2).await;

    let batches_before = worker.batches.load(Ordering::SeqCst);
    for _ in 0..8 {
        send_many(&pool, 1).await;
        woken.ring();
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
    wait_applied(&worker, 18).await;
    let batches = worker.batches.load(Ordering::SeqCst) - batches_before;
    // Eight commits in about 0.2 s: one look while they come, one after
    // (and one more if the readable horizon split them).
    assert!(
        batches <= 3,
        "eight commits within one interval were applied in {batches} batches"
    );
    assert_eq!(worker.applied.load(Ordering::SeqCst), 18);
    worker.stop.send(true).unwrap();
    worker.task.await.unwrap();
}

async fn send_many(pool: &PgPool, n: i64) -> i64 {
    let mut last = 0;
    for i in 0..n {
        let spec = Spec {
            at: day(i),
            ..Spec::default()
        };
        let a = append_events(
            pool,
            spec.id,
            &[sent(&spec), taken("officer1", "ROMA01", day(i))],
        )
        .await;
        last = a.last_position;
    }
    last
}

#[sqlx::test(migrations = "../migrations")]
async fn one_worker_is_active_and_a_standby_takes_over(pool: PgPool) {
    let registry = prometheus::Registry::new();
    let metrics = Metrics::register(&registry).unwrap();
    let a = start(&pool, &metrics);
    let b = start(&pool, &metrics);

    let last = send_many(&pool, 10).await;
    assert!(
        wait_for_position(&pool, &["requests"], last, Duration::from_secs(10))
            .await
            .unwrap(),
        "the workers caught up"
    );
    let (a_n, b_n) = (
        a.applied.load(Ordering::SeqCst),
        b.applied.load(Ordering::SeqCst),
    );
    assert_eq!(a_n + b_n, 20, "each event applied once");
    assert!(
        a_n == 0 || b_n == 0,
        "only the leader applies: {a_n} / {b_n}"
    );
    assert_eq!(count(&pool, "request_timeline").await, 20);

    // Metrics of the leader.
    let applied = metrics.applied.with_label_values(&["requests"]).get();
    assert_eq!(applied, 20);
    // The lag gauges are set after the batch commits: wait for them, not a pause.
    for _ in 0..1000 {
        if metrics.lag_events.with_label_values(&["requests"]).get() == 0
            && metrics.lag_seconds.with_label_values(&["requests"]).get() == 0.0
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(metrics.lag_events.with_label_values(&["requests"]).get(), 0);
    assert_eq!(
        metrics.lag_seconds.with_label_values(&["requests"]).get(),
        0.0
    );
    assert!(registry
        .gather()
        .iter()
        .any(|m| m.name() == "combipat_projection_lag_seconds"));

    // The leader stops; the standby takes over.
    let (leader, standby) = if a_n > 0 { (a, b) } else { (b, a) };
    leader.stop.send(true).unwrap();
    leader.task.await.unwrap();
    let before = standby.applied.load(Ordering::SeqCst);
    assert_eq!(before, 0);
    let last = send_many(&pool, 5).await;
    assert!(
        wait_for_position(&pool, &["requests"], last, Duration::from_secs(10))
            .await
            .unwrap()
    );
    assert_eq!(standby.applied.load(Ordering::SeqCst), 10);
    assert_eq!(leader.applied.load(Ordering::SeqCst), 20);
    assert_eq!(count(&pool, "request_timeline").await, 30);

    standby.stop.send(true).unwrap();
    standby.task.await.unwrap();
}

#[sqlx::test(migrations = "../migrations")]
async fn a_dead_leader_connection_hands_over(pool: PgPool) {
    let registry = prometheus::Registry::new();
    let metrics = Metrics::register(&registry).unwrap();
    let a = start(&pool, &metrics);
    let b = start(&pool, &metrics);
    let last = send_many(&pool, 3).await;
    assert!(
        wait_for_position(&pool, &["requests"], last, Duration::from_secs(10))
            .await
            .unwrap()
    );

    // Kill the session that holds the advisory lock.
    let killed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_locks \
         WHERE locktype = 'advisory' AND granted \
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(killed, vec![true]);

    let last = send_many(&pool, 4).await;
    assert!(
        wait_for_position(&pool, &["requests"], last, Duration::from_secs(10))
            .await
            .unwrap()
    );
    let total = a.applied.load(Ordering::SeqCst) + b.applied.load(Ordering::SeqCst);
    assert_eq!(total, 14, "each event applied once");
    assert_eq!(count(&pool, "request_timeline").await, 14);
    // A leader again.
    let held: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted \
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(held, 1);

    for i in [a, b] {
        i.stop.send(true).unwrap();
        i.task.await.unwrap();
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn wait_for_position_answers_when_every_projection_passed(pool: PgPool) {
    let id = send(&pool, &Spec::default()).await;
    let a = append_events(&pool, id, &[reply("ROMA01", "Ok", day(1))]).await;
    let both = ["requests", "home_panel"];
    let short = Duration::from_millis(50);
    assert!(!wait_for_position(&pool, &both, a.last_position, short)
        .await
        .unwrap());
    run_until_idle(&pool, &RequestsProjection).await.unwrap();
    assert!(
        wait_for_position(&pool, &["requests"], a.last_position, short)
            .await
            .unwrap()
    );
    assert!(!wait_for_position(&pool, &both, a.last_position, short)
        .await
        .unwrap());
    run_until_idle(&pool, &projections::home_panel::HomePanelProjection)
        .await
        .unwrap();
    assert!(wait_for_position(&pool, &both, a.last_position, short)
        .await
        .unwrap());
    // A position nobody wrote: false, not an error.
    assert!(!wait_for_position(&pool, &both, 999_999, short)
        .await
        .unwrap());

    // Waiting while a worker runs.
    let registry = prometheus::Registry::new();
    let (stop, rx) = watch::channel(false);
    let handles = projections::spawn_all_with(pool.clone(), &registry, rx, fast());
    let b = append_events(&pool, id, &[closed("ROMA01", day(2))]).await;
    assert!(
        wait_for_position(&pool, &both, b.last_position, Duration::from_secs(5))
            .await
            .unwrap()
    );
    stop.send(true).unwrap();
    for h in handles {
        h.await.unwrap();
    }
}

/// The generic plan of `statement` (with `args` for its parameters) on
/// `conn`, a connection with the committers' and workers' settings.
async fn generic_plan(conn: &mut PgConnection, statement: &str, args: &str) -> String {
    sqlx::raw_sql(&format!("PREPARE planned AS {statement}"))
        .execute(&mut *conn)
        .await
        .unwrap();
    let lines: Vec<String> = sqlx::query_scalar(&format!("EXPLAIN EXECUTE planned({args})"))
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    sqlx::raw_sql("DEALLOCATE planned")
        .execute(&mut *conn)
        .await
        .unwrap();
    lines.join("\n")
}

/// Decision A36: the committers and the workers plan each statement once per
/// connection, maybe while its tables are still empty; such a plan must
/// still reach rows by key, or it scans the whole table on every call while
/// the table grows. These are the three statements found doing so: the
/// statistics look-up, the lag count and the store's check that a stream is
/// at the version read.
#[sqlx::test(migrations = "../migrations")]
async fn statements_planned_on_empty_tables_still_use_their_indexes(pool: PgPool) {
    // As a committer's session is opened (store::group).
    let keyed = store::sessions::KeptSessions::of(&pool, 1, &store::KEYED_PLAN_SETTINGS);
    let mut conn = keyed.session().await.unwrap();
    let look_up = generic_plan(
        &mut conn,
        "SELECT to_jsonb(s) FROM stat_requests s WHERE request_id = ANY($1::uuid[])",
        "'{}'",
    )
    .await;
    let lag = generic_plan(
        &mut conn,
        "SELECT count(*) FROM (SELECT 1 FROM events \
           WHERE (tx_id, position) > ($1::text::xid8, $2::bigint) LIMIT $3::bigint) pending",
        "'1', 0, 1000000",
    )
    .await;
    let stream_at_version = generic_plan(
        &mut conn,
        "SELECT r.n FROM unnest($1::text[], $2::int4[]) WITH ORDINALITY AS r(stream_id, must_follow, n) \
         WHERE r.must_follow = 0 OR EXISTS \
           (SELECT 1 FROM events e WHERE e.stream_id = r.stream_id AND e.version = r.must_follow)",
        "'{a}', '{1}'",
    )
    .await;
    for plan in [&look_up, &lag, &stream_at_version] {
        assert!(!plan.contains("Seq Scan"), "a whole-table scan:\n{plan}");
        assert!(plan.contains("Index"), "no index used:\n{plan}");
    }
}
