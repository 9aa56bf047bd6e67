//! Database sessions kept out of sqlx's pool, for the statements every
//! command makes: the reference look-ups of a creation and the committers'
//! batches.
//!
//! sqlx tests each connection handed back to a pool with a round trip of its
//! own (a `Sync` and its answer, in a task spawned for it), whatever the
//! connection just did. In the HTTP benchmark's closed loop those tests were
//! about 2.5 of the 6.5 round trips of each creation (decision A42): every
//! one wakes a PostgreSQL backend and this process for no statement at all.
//! A [`KeptSession`] goes back to its [`KeptSessions`] without a test when
//! its statement finished; a session dropped before [`KeptSession::done`]
//! (a statement that failed or was cancelled half-way, its answer perhaps
//! still on the wire) is closed instead. A session idle for over a second
//! (the server may have restarted meanwhile) is tested before it is used, as
//! the pool does ([`crate::pool_options`]).

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection, PgPool};
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, SemaphorePermit};

/// A session idle for longer is tested (a round trip) before it is used.
const TEST_WHEN_IDLE_FOR: Duration = Duration::from_secs(1);

/// The longest a caller waits for a session to be free, and a new session
/// to open, as the service's pool waits for a connection
/// (`api::cli::pool_options`).
const WAIT_TIMEOUT: Duration = Duration::from_secs(10);

/// At most `size` sessions to one database, opened when first needed.
#[derive(Debug, Clone)]
pub struct KeptSessions {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    options: PgConnectOptions,
    idle: Mutex<Vec<Idle>>,
    /// One per session, open or not: a caller waits for one.
    permits: Semaphore,
}

#[derive(Debug)]
struct Idle {
    conn: PgConnection,
    since: Instant,
}

impl KeptSessions {
    /// Sessions to the database of `pool`, opened as its connections are,
    /// with the session `settings` given.
    pub fn of(pool: &PgPool, size: usize, settings: &[(&str, &str)]) -> Self {
        Self {
            inner: Arc::new(Inner {
                options: crate::session_options(pool, settings),
                idle: Mutex::new(Vec::with_capacity(size)),
                permits: Semaphore::new(size.max(1)),
            }),
        }
    }

    /// A session: an idle one, or a new one when none is idle; waits while
    /// all are taken, at most [`WAIT_TIMEOUT`] (then `PoolTimedOut`, as the
    /// pool answers).
    pub async fn session(&self) -> Result<KeptSession<'_>, sqlx::Error> {
        let permit = tokio::time::timeout(WAIT_TIMEOUT, self.inner.permits.acquire())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .expect("the semaphore is never closed");
        let conn = loop {
            let idle = self.inner.lock().pop();
            match idle {
                None => break self.open().await?,
                Some(Idle { conn, since }) if since.elapsed() <= TEST_WHEN_IDLE_FOR => break conn,
                // A broken session is dropped, and the next one tried.
                Some(Idle { mut conn, .. }) => {
                    if conn.ping().await.is_ok() {
                        break conn;
                    }
                }
            }
        };
        Ok(KeptSession {
            home: &self.inner,
            conn: Some(conn),
            done: false,
            _permit: permit,
        })
    }

    /// A new session. Failing to open one is answered as the pool answers
    /// when it has no connection to give (`PoolTimedOut`: the service is
    /// unavailable for now, HTTP 503), not as an error of the statement.
    async fn open(&self) -> Result<PgConnection, sqlx::Error> {
        match tokio::time::timeout(WAIT_TIMEOUT, self.inner.options.connect()).await {
            Ok(Ok(conn)) => Ok(conn),
            Ok(Err(error)) => {
                tracing::warn!(%error, "a kept database session could not be opened");
                Err(sqlx::Error::PoolTimedOut)
            }
            Err(_) => Err(sqlx::Error::PoolTimedOut),
        }
    }

    /// Sessions open and idle now.
    pub fn idle(&self) -> usize {
        self.inner.lock().len()
    }
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Idle>> {
        self.idle.lock().expect("kept sessions lock")
    }
}

/// A session taken from [`KeptSessions`]: call [`KeptSession::done`] once its
/// statements finished, or it is closed when dropped.
#[derive(Debug)]
pub struct KeptSession<'a> {
    home: &'a Inner,
    conn: Option<PgConnection>,
    done: bool,
    _permit: SemaphorePermit<'a>,
}

impl KeptSession<'_> {
    /// Its statements finished: the session goes back for the next caller.
    pub fn done(mut self) {
        self.done = true;
    }
}

impl Deref for KeptSession<'_> {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        self.conn.as_ref().expect("a session holds its connection")
    }
}

impl DerefMut for KeptSession<'_> {
    fn deref_mut(&mut self) -> &mut PgConnection {
        self.conn.as_mut().expect("a session holds its connection")
    }
}

impl Drop for KeptSession<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        if self.done {
            self.home.lock().push(Idle {
                conn,
                since: Instant::now(),
            });
        }
        // Otherwise the connection is dropped here, which closes its socket:
        // the server ends that session and rolls back whatever it held.
    }
}
