//! The wake-up of the projection workers after a commit.
//!
//! A `pg_notify` inside the append's transaction makes every committing
//! transaction take PostgreSQL's notification queue lock in turn, from the
//! moment it queues the notification until its commit is durable: concurrent
//! writers then commit one after the other instead of sharing WAL flushes
//! (measured in docs/benchmarks.md: the raw baseline with a `pg_notify` in
//! its transaction falls to about 0.6× at 8 writers). So the store does not
//! notify; whoever commits events rings a [`CommitNotifier`] after the
//! commit, which
//!
//! - wakes the workers of this process at once, in memory
//!   ([`local_commits`]): no statement at all;
//! - and tells the other processes with a `pg_notify` sent by one task per
//!   process, at most one every [`NOTIFY_INTERVAL`]: the rings that arrive
//!   meanwhile are covered by the next one. A notification is a statement
//!   and a transaction on the server, and each wakes every listening worker
//!   for a look at the log; one per commit cost the 1-writer append a
//!   quarter of its throughput (docs/benchmarks.md, `BENCH_NOTIFY=off`).
//!   Its payload names the sending process ([`this_process`]), whose own
//!   workers were already woken and skip it.
//!
//! A lost ring costs latency only: the workers also poll the log.

use super::EVENTS_CHANNEL;
use sqlx::PgPool;
use std::sync::OnceLock;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Shortest time between two notifications of one process.
pub const NOTIFY_INTERVAL: Duration = Duration::from_millis(10);

/// Rings after a commit of events; cheap to clone and to call.
#[derive(Debug, Clone)]
pub struct CommitNotifier {
    ring: mpsc::Sender<()>,
}

/// Commits of this process, counted: workers wait for it to change.
fn local() -> &'static watch::Sender<u64> {
    static LOCAL: OnceLock<watch::Sender<u64>> = OnceLock::new();
    LOCAL.get_or_init(|| watch::channel(0).0)
}

/// Changes after every commit rung in this process (by any notifier): what
/// this process's workers wait for besides the notifications of others.
pub fn local_commits() -> watch::Receiver<u64> {
    local().subscribe()
}

/// How many commits this process has rung so far: a reader that notes it
/// before reading the log knows its read sees each of those commits.
pub fn commits_rung() -> u64 {
    *local().borrow()
}

/// This process's name in its notifications' payload.
pub fn this_process() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| uuid::Uuid::new_v4().to_string())
}

impl CommitNotifier {
    /// Starts the sending task (on the current tokio runtime); it ends when
    /// the last clone of the notifier is dropped.
    pub fn spawn(pool: PgPool) -> Self {
        // One slot: a ring while a notification is in flight (or within the
        // interval after it) waits there; further rings find it taken and are
        // covered by that next one, which is sent after each of their commits.
        let (ring, mut rung) = mpsc::channel::<()>(1);
        tokio::spawn(async move {
            while rung.recv().await.is_some() {
                // pg_notify gives its transaction an id, so its commit would
                // wait for a WAL flush of its own beside the commands'; the
                // ring needs none (a notification lost in a crash costs a
                // poll), so this one transaction commits asynchronously.
                if let Err(error) = sqlx::query(
                    "SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, $2)",
                )
                .bind(EVENTS_CHANNEL)
                .bind(this_process())
                .execute(&pool)
                .await
                {
                    if pool.is_closed() {
                        return;
                    }
                    tracing::debug!(%error, "commit notification not sent: the workers' polling covers it");
                }
                tokio::time::sleep(NOTIFY_INTERVAL).await;
            }
        });
        Self { ring }
    }

    /// A notifier that tells no other process (the workers' polling still
    /// finds the events): for measuring what the notifications cost.
    pub fn silent() -> Self {
        let (ring, _) = mpsc::channel::<()>(1);
        Self { ring }
    }

    /// Events were committed: the listeners will hear of it.
    pub fn ring(&self) {
        local().send_modify(|commits| *commits = commits.wrapping_add(1));
        // Full: a notification is already due after this commit.
        let _ = self.ring.try_send(());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_ring_wakes_this_process_in_memory() {
        let mut commits = local_commits();
        commits.borrow_and_update();
        CommitNotifier::silent().ring();
        let woken = tokio::time::timeout(Duration::from_secs(1), commits.changed()).await;
        assert!(
            matches!(woken, Ok(Ok(()))),
            "the ring must wake a waiting worker"
        );
    }
}
