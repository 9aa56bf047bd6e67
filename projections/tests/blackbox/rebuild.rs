//! Rebuild: replay into shadow tables while the live ones keep answering,
//! then swap; the result equals what the live worker built.

use crate::common::*;
use async_trait::async_trait;
use projections::home_panel::HomePanelProjection;
use projections::rebuild::{rebuild_with, rebuild_with_options, RebuildOptions};
use projections::requests::RequestsProjection;
use projections::statistics::StatisticsProjection;
use projections::{
    checkpoint, rebuild, run_once, run_until_idle, Outcome, Projection, ProjectionError,
    Rebuildable,
};
use sqlx::{PgConnection, PgPool};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use store::RecordedEvent;

async fn snapshot(pool: &PgPool, p: &dyn Projection) -> BTreeMap<&'static str, Vec<String>> {
    let mut out = BTreeMap::new();
    for table in p.tables() {
        out.insert(*table, table_contents(pool, table).await);
    }
    out
}

/// Every index (name and definition) and every constraint of a live table.
async fn index_names(pool: &PgPool, table: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT indexname::text || ': ' || indexdef FROM pg_indexes \
         WHERE schemaname = 'public' AND tablename = $1 \
         UNION ALL \
         SELECT conname::text || ': ' || pg_get_constraintdef(oid) FROM pg_constraint \
         WHERE conrelid = to_regclass('public.' || $1) \
         ORDER BY 1",
    )
    .bind(table)
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_rebuild_gives_the_same_tables(pool: PgPool) {
    varied_history(&pool, 30).await;
    let projections: [&dyn Rebuildable; 2] = [&RequestsProjection, &HomePanelProjection];
    for p in projections {
        run_until_idle(&pool, p).await.unwrap();
        let before = snapshot(&pool, p).await;
        let indexes: Vec<_> = {
            let mut v = Vec::new();
            for t in p.tables() {
                v.push(index_names(&pool, t).await);
            }
            v
        };
        let at = checkpoint::get(&pool, p.name()).await.unwrap();

        let report = rebuild_with(&pool, p, 7).await.unwrap();

        assert_eq!(snapshot(&pool, p).await, before, "{}", p.name());
        assert!(before.values().all(|rows| !rows.is_empty()));
        assert_eq!(checkpoint::get(&pool, p.name()).await.unwrap(), at);
        assert_eq!(Some(report.checkpoint), at);
        let after: Vec<_> = {
            let mut v = Vec::new();
            for t in p.tables() {
                v.push(index_names(&pool, t).await);
            }
            v
        };
        assert_eq!(
            after, indexes,
            "the indexes and constraints are those of the migrations"
        );
        let leftovers: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'rebuild\\_%'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(leftovers, 0);
        // The projection goes on from the new tables.
        let id = send(&pool, &Spec::default()).await;
        append_events(&pool, id, &[reply("ROMA01", "Dopo", day(1))]).await;
        run_until_idle(&pool, p).await.unwrap();
    }
    assert_eq!(
        projections::home_panel::list_recent_replies(
            &pool,
            &projections::home_panel::RecentRepliesQuery::panel(user("op1"), day(2))
        )
        .await
        .unwrap()
        .count,
        3
    );
}

/// A rebuild keeps rows in memory across batches and writes them when they
/// are evicted or at the end: whatever the cache size, the tables are those
/// the live worker wrote, including for requests evicted and read back
/// (a rebuild writes new rows with COPY, the live worker with INSERT: texts
/// carry every character COPY escapes).
#[sqlx::test(migrations = "../migrations")]
async fn a_rebuild_gives_the_same_tables_whatever_it_keeps_in_memory(pool: PgPool) {
    let ids = varied_history(&pool, 24).await;
    // Later events of every request, after all of them were sent: with a small
    // cache each summary is evicted, then read back and changed again.
    for (i, id) in ids.iter().enumerate() {
        let at = day(40) + chrono::Duration::minutes(i as i64);
        let text = "Ancora:\ttab,\n a capo, \\N non è NULL, \\ barra, \"virgolette\",\r\n fine\\";
        append_events(&pool, *id, &[reply("ROMA01", text, at)]).await;
    }
    let projections: [&dyn Rebuildable; 2] = [&RequestsProjection, &StatisticsProjection];
    for p in projections {
        run_until_idle(&pool, p).await.unwrap();
        let live = snapshot(&pool, p).await;
        assert!(live.values().any(|rows| !rows.is_empty()), "{}", p.name());
        for cached_rows in [0, 1, 2, 5, 100_000] {
            let options = RebuildOptions {
                batch_size: 4,
                cached_rows,
            };
            rebuild_with_options(&pool, p, options).await.unwrap();
            assert_eq!(
                snapshot(&pool, p).await,
                live,
                "{} with {cached_rows} cached rows",
                p.name()
            );
        }
    }
}

/// The requests projection, appending new events while the rebuild replays
/// and checking that the live tables stay as they were.
struct AppendsMeanwhile {
    pool: PgPool,
    applied: AtomicUsize,
    live_rows: i64,
    appended: Mutex<Vec<domain::ids::RequestId>>,
}

#[async_trait]
impl Projection for AppendsMeanwhile {
    fn name(&self) -> &'static str {
        RequestsProjection.name()
    }
    fn tables(&self) -> &'static [&'static str] {
        RequestsProjection.tables()
    }
    async fn apply(
        &self,
        tx: &mut PgConnection,
        event: &RecordedEvent,
    ) -> Result<(), ProjectionError> {
        let n = self.applied.fetch_add(1, Ordering::SeqCst);
        if n % 20 == 5 && n < 60 {
            // Another writer commits while the rebuild runs...
            let spec = Spec::default();
            let id = send(&self.pool, &spec).await;
            append_events(&self.pool, id, &[reply("ROMA01", "Nel frattempo", day(3))]).await;
            self.appended.lock().unwrap().push(id);
            // ...and the service still answers from the untouched live tables.
            let live: i64 = sqlx::query_scalar("SELECT count(*) FROM public.request_summary")
                .fetch_one(&self.pool)
                .await
                .unwrap();
            assert_eq!(live, self.live_rows);
        }
        RequestsProjection.apply(tx, event).await
    }
}

/// Replayed batch by batch, through `apply` above.
impl Rebuildable for AppendsMeanwhile {}

#[sqlx::test(migrations = "../migrations")]
async fn events_appended_during_a_rebuild_are_in_the_result(pool: PgPool) {
    varied_history(&pool, 20).await;
    let p = RequestsProjection;
    run_until_idle(&pool, &p).await.unwrap();
    let live_rows: i64 = sqlx::query_scalar("SELECT count(*) FROM request_summary")
        .fetch_one(&pool)
        .await
        .unwrap();
    let meanwhile = AppendsMeanwhile {
        pool: pool.clone(),
        applied: AtomicUsize::new(0),
        live_rows,
        appended: Mutex::new(Vec::new()),
    };
    rebuild_with(&pool, &meanwhile, 10).await.unwrap();
    let appended = meanwhile.appended.lock().unwrap().clone();
    assert_eq!(appended.len(), 3);

    // The swap caught up with what was committed before it; should an open
    // transaction of another test have hidden some of it, the worker goes on
    // from the new checkpoint.
    run_until_idle(&pool, &p).await.unwrap();
    for id in &appended {
        let row = projections::requests::get_summary(&pool, id.0)
            .await
            .unwrap()
            .expect("request appended during the rebuild");
        assert_eq!(row.replies, 1);
    }
    let rebuilt = snapshot(&pool, &p).await;

    // A second rebuild, with nobody writing, gives the same tables again.
    rebuild(&pool, &p).await.unwrap();
    assert_eq!(snapshot(&pool, &p).await, rebuilt);
    assert_eq!(run_once(&pool, &p, 100).await.unwrap(), Outcome::Idle);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_live_worker_waits_for_the_swap(pool: PgPool) {
    varied_history(&pool, 10).await;
    let p = Arc::new(RequestsProjection);
    run_until_idle(&pool, &*p).await.unwrap();
    // A live worker runs throughout the rebuild.
    let registry = prometheus::Registry::new();
    let metrics = projections::Metrics::register(&registry).unwrap();
    let (stop, rx) = tokio::sync::watch::channel(false);
    let worker = projections::Worker::new(
        connect(&pool),
        p.clone(),
        metrics,
        projections::WorkerConfig {
            poll_interval: Duration::from_millis(20),
            ..projections::WorkerConfig::default()
        },
    );
    let task = tokio::spawn(worker.run(rx));
    let writer = {
        let pool = pool.clone();
        tokio::spawn(async move { varied_history(&pool, 15).await })
    };
    rebuild_with(&pool, &*p, 5).await.unwrap();
    writer.await.unwrap();
    let last: i64 = sqlx::query_scalar("SELECT max(position) FROM events")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(
        projections::wait_for_position(&pool, &["requests"], last, Duration::from_secs(10))
            .await
            .unwrap()
    );
    stop.send(true).unwrap();
    task.await.unwrap();
    let live = snapshot(&pool, &*p).await;
    // Whatever the interleaving, the tables are those of a clean replay.
    rebuild(&pool, &*p).await.unwrap();
    assert_eq!(snapshot(&pool, &*p).await, live);
    assert_eq!(live["request_summary"].len(), 25);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_long_reader_delays_the_swap_without_failing_it(pool: PgPool) {
    varied_history(&pool, 5).await;
    let p = RequestsProjection;
    run_until_idle(&pool, &p).await.unwrap();
    let before = snapshot(&pool, &p).await;
    // A reader holds the live table longer than the swap's lock timeout.
    let mut reader = pool.begin().await.unwrap();
    let _: i64 = sqlx::query_scalar("SELECT count(*) FROM request_summary")
        .fetch_one(&mut *reader)
        .await
        .unwrap();
    // The reader lets go only after the swap has waited for its lock and
    // given up once: observed in pg_stat_activity, not guessed with a pause.
    let observer = pool.clone();
    let release = tokio::spawn(async move {
        wait_for_lock_waiters(&observer, true).await;
        wait_for_lock_waiters(&observer, false).await;
        reader.commit().await.unwrap();
    });
    let report = rebuild(&pool, &p).await.unwrap();
    release.await.unwrap();
    assert!(report.swap_attempts >= 2, "{report:?}");
    assert_eq!(snapshot(&pool, &p).await, before);
}

/// Waits until some session of this database is (or no longer is) waiting
/// for a lock.
async fn wait_for_lock_waiters(pool: &PgPool, waiting: bool) {
    for _ in 0..3000 {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        if (n > 0) == waiting {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "no session ever {} for a lock",
        if waiting { "waited" } else { "stopped waiting" }
    );
}

/// The requests replay as it is, but for requests sent by another writer
/// after its first batch: above the horizon of the fill of `request_search`,
/// so the replay itself must write their rows.
struct SendsAfterTheFillBegan {
    pool: PgPool,
    appended: Arc<Mutex<Vec<domain::ids::RequestId>>>,
}

#[async_trait]
impl Projection for SendsAfterTheFillBegan {
    fn name(&self) -> &'static str {
        RequestsProjection.name()
    }
    fn tables(&self) -> &'static [&'static str] {
        RequestsProjection.tables()
    }
    async fn apply(
        &self,
        tx: &mut PgConnection,
        event: &RecordedEvent,
    ) -> Result<(), ProjectionError> {
        RequestsProjection.apply(tx, event).await
    }
}

impl Rebuildable for SendsAfterTheFillBegan {
    fn replay(&self, options: projections::ReplayOptions) -> Option<Box<dyn projections::Replay>> {
        Some(Box::new(SendingReplay {
            inner: RequestsProjection.replay(options)?,
            pool: self.pool.clone(),
            appended: self.appended.clone(),
        }))
    }
}

struct SendingReplay {
    inner: Box<dyn projections::Replay>,
    pool: PgPool,
    appended: Arc<Mutex<Vec<domain::ids::RequestId>>>,
}

#[async_trait]
impl projections::Replay for SendingReplay {
    async fn apply_batch(
        &mut self,
        tx: &mut PgConnection,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        // The inner batch waits for the fill's horizon: what commits now is above it.
        self.inner.apply_batch(tx, events).await?;
        if self.appended.lock().unwrap().is_empty() {
            for _ in 0..3 {
                let id = send(&self.pool, &Spec::default()).await;
                self.appended.lock().unwrap().push(id);
            }
        }
        Ok(())
    }
    async fn finish(&mut self, tx: &mut PgConnection) -> Result<(), ProjectionError> {
        self.inner.finish(tx).await
    }
    fn filled_ahead(&self) -> &'static [&'static str] {
        self.inner.filled_ahead()
    }
    async fn fill_ahead(&mut self, indexes: Vec<String>) -> Result<(), ProjectionError> {
        self.inner.fill_ahead(indexes).await
    }
    async fn complete_ahead(&mut self, conn: &mut PgConnection) -> Result<(), ProjectionError> {
        self.inner.complete_ahead(conn).await
    }
}

/// Every request in the history has its search row, keyed as the reference
/// function of migration 0013 keys its subject and text.
async fn search_rows_of_every_summary(pool: &PgPool) -> (Vec<String>, Vec<String>) {
    let summaries: Vec<String> = sqlx::query_scalar(
        "SELECT request_id || ' ' || request_search_trigrams(subject || ' ' || text)::text \
         FROM request_summary ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let search: Vec<String> = sqlx::query_scalar(
        "SELECT request_id || ' ' || trigrams::text FROM request_search ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    (summaries, search)
}

#[sqlx::test(migrations = "../migrations")]
async fn requests_sent_after_the_search_fill_began_are_searchable(pool: PgPool) {
    varied_history(&pool, 12).await;
    run_until_idle(&pool, &RequestsProjection).await.unwrap();
    let live = snapshot(&pool, &RequestsProjection).await;
    assert_eq!(live["request_search"].len(), 12);
    let (summaries, search) = search_rows_of_every_summary(&pool).await;
    assert_eq!(search, summaries);

    let p = SendsAfterTheFillBegan {
        pool: pool.clone(),
        appended: Arc::new(Mutex::new(Vec::new())),
    };
    rebuild_with(&pool, &p, 5).await.unwrap();
    let appended = p.appended.lock().unwrap().clone();
    assert_eq!(appended.len(), 3);
    // The swap caught up with them (or the worker does, if another test's
    // open transaction hid them).
    run_until_idle(&pool, &RequestsProjection).await.unwrap();
    let (summaries, search) = search_rows_of_every_summary(&pool).await;
    assert_eq!(summaries.len(), 15);
    assert_eq!(search, summaries);
    // And the trigram index was built on the filled table, under its live name.
    let indexes = index_names(&pool, "request_search").await;
    assert!(
        indexes
            .iter()
            .any(|i| i.starts_with("request_search_trigrams: ") && i.contains("gin (trigrams)")),
        "{indexes:?}"
    );
}
