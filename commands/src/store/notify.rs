//! The wake-up of the projection workers after a commit.
//!
//! A `pg_notify` inside the append's transaction makes every committing
//! transaction take PostgreSQL's notification queue lock in turn, from the
//! moment it queues the notification until its commit is durable: concurrent
//! writers then commit one after the other instead of sharing WAL flushes
//! (measured in docs/benchmarks.md: the raw baseline with a `pg_notify` in
//! its transaction falls to about 0.6× at 8 writers). So the store does not
//! notify; whoever commits events rings a [`CommitNotifier`] after the
//! commit, and one task per process sends the notifications, coalescing the
//! rings that arrive while one is being sent into a single next one.
//!
//! A lost ring costs latency only: the workers also poll the log.

use super::EVENTS_CHANNEL;
use sqlx::PgPool;
use tokio::sync::mpsc;

/// Rings after a commit of events; cheap to clone and to call.
#[derive(Debug, Clone)]
pub struct CommitNotifier {
    ring: mpsc::Sender<()>,
}

impl CommitNotifier {
    /// Starts the sending task (on the current tokio runtime); it ends when
    /// the last clone of the notifier is dropped.
    pub fn spawn(pool: PgPool) -> Self {
        // One slot: a ring while a notification is in flight waits there;
        // further rings find it taken and are covered by that next one,
        // which is sent after each of their commits.
        let (ring, mut rung) = mpsc::channel::<()>(1);
        tokio::spawn(async move {
            while rung.recv().await.is_some() {
                if let Err(error) = sqlx::query("SELECT pg_notify($1, '')")
                    .bind(EVENTS_CHANNEL)
                    .execute(&pool)
                    .await
                {
                    if pool.is_closed() {
                        return;
                    }
                    tracing::debug!(%error, "commit notification not sent: the workers' polling covers it");
                }
            }
        });
        Self { ring }
    }

    /// A notifier that wakes no one (the workers' polling still finds the
    /// events): for measuring what the notifications cost.
    pub fn silent() -> Self {
        let (ring, _) = mpsc::channel::<()>(1);
        Self { ring }
    }

    /// Events were committed: the listeners will hear of it.
    pub fn ring(&self) {
        // Full: a notification is already due after this commit.
        let _ = self.ring.try_send(());
    }
}
