//! The workers of a process: one per projection of [`crate::all`], on
//! sessions of their own that commit asynchronously, sharing one reading of
//! the log.

use super::{Worker, WorkerConfig};
use crate::shared_log::{SharedLog, DEFAULT_KEPT_EVENTS};
use crate::{Metrics, Projection};
use sqlx::postgres::PgConnectOptions;
use sqlx::PgPool;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// `work_mem` of the workers' sessions (see [`asynchronous_commit_sessions`]).
pub const WORKER_WORK_MEM: &str = "64MB";

/// The options of the workers' own connections to the database of `pool`
/// (each worker opens one and keeps it), whose transactions commit
/// asynchronously. A projection's rows and its checkpoint
/// commit together, so a commit lost in a crash takes its checkpoint with it
/// and those events are applied again from the log: the read models need no
/// WAL flush of their own, and the commands' flushes are not shared with the
/// projections' (asynchronous commit keeps atomicity and order; readers see
/// a commit at once). The workers never wait for (nor starve) the commands'
/// pool, and a kept session spares the round trip with which sqlx tests
/// every connection handed back to a pool.
///
/// Their statements look rows up by key or read the log in index order
/// whatever the values, and take arrays whose lengths change with every
/// batch: planned once, never as a scan of a whole table
/// ([`store::KEYED_PLAN_SETTINGS`], as the committers').
///
/// The history's trigram index takes new entries in a pending list, and the
/// insert that fills it past its limit (4 MB) moves the list into the index,
/// gathering entries by trigram in `work_mem` and writing them out whenever
/// that is full: with the default 4 MB, several passes over the index per
/// move; with [`WORKER_WORK_MEM`], one (decision A45).
fn asynchronous_commit_sessions(pool: &PgPool) -> PgConnectOptions {
    let mut settings = vec![("synchronous_commit", "off"), ("work_mem", WORKER_WORK_MEM)];
    settings.extend(store::KEYED_PLAN_SETTINGS);
    store::session_options(pool, &settings)
}

/// Starts a [`Worker`] for every projection of [`crate::all`], with metrics
/// registered in `registry`. The tasks end when `shutdown` turns `true` (or
/// its sender is dropped); await them after sending it.
pub fn spawn_all(
    pool: PgPool,
    registry: &prometheus::Registry,
    shutdown: watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    spawn_all_with(pool, registry, shutdown, WorkerConfig::default())
}

/// [`spawn_all`] with explicit timings.
pub fn spawn_all_with(
    pool: PgPool,
    registry: &prometheus::Registry,
    shutdown: watch::Receiver<bool>,
    config: WorkerConfig,
) -> Vec<JoinHandle<()>> {
    spawn_all_sharing(pool, registered_metrics(registry), shutdown, config)
}

/// The workers' metrics, registered in `registry` (working unregistered if
/// they already are there).
pub fn registered_metrics(registry: &prometheus::Registry) -> Metrics {
    Metrics::register(registry).unwrap_or_else(|e| {
        // Registered twice in one registry: the workers must run all the same.
        tracing::error!(error = %e, "projection metrics not registered");
        Metrics::unregistered()
    })
}

/// [`spawn_all_with`] reporting to `metrics`, which the caller shares with
/// other workers (the notifier's lag beside the projections').
pub fn spawn_all_sharing(
    pool: PgPool,
    metrics: Metrics,
    shutdown: watch::Receiver<bool>,
    config: WorkerConfig,
) -> Vec<JoinHandle<()>> {
    let connect = asynchronous_commit_sessions(&pool);
    let log = Arc::new(SharedLog::new(DEFAULT_KEPT_EVENTS, metrics.clone()));
    crate::all(&pool)
        .into_iter()
        .map(|projection| {
            let projection: Arc<dyn Projection> = projection;
            let worker = Worker::new(connect.clone(), projection, metrics.clone(), config.clone())
                .sharing(log.clone());
            tokio::spawn(worker.run(shutdown.clone()))
        })
        .collect()
}
