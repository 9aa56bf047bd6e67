//! New subjects' keys stored together: the first uses that arrive while a
//! statement is in flight share the next one, as writes share a group commit.
//!
//! A first use needs to know whether the subject already has a key (from an
//! earlier process, or another one) and, if not, to store its own before any
//! event sealed with it commits. Alone, that is a round trip and a small
//! transaction per new citizen, beside the command's group commit; shared,
//! it is one statement for all the creations waiting at that instant.

use crate::sessions::KeptSessions;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use tokio::sync::{mpsc, watch};

/// Most first uses in one statement.
const MAX_BATCH: usize = 256;

/// The key stored for a subject, as the statement found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stored {
    /// Wrapped: ours, or the one stored first.
    Live(Vec<u8>),
    Erased,
    /// Committed by someone else after the statement's snapshot: to be read afresh.
    NotSeen,
}

/// What the statement found for a subject, or why it failed.
pub(crate) type Outcome = Result<Stored, Arc<sqlx::Error>>;
/// Where a first use learns the outcome (`None` until the statement ran).
pub(super) type Answer = watch::Receiver<Option<Outcome>>;
type Reply = watch::Sender<Option<Outcome>>;

/// What a first use wants stored, and where the stored key is answered.
struct Wanted {
    subject: String,
    kind: String,
    wrapped: Vec<u8>,
    at: DateTime<Utc>,
    reply: Reply,
}

/// The queue of first uses (cheap to clone); its task starts on first use.
#[derive(Clone)]
pub(super) struct NewKeys {
    pool: PgPool,
    master_id: String,
    queue: Arc<OnceLock<mpsc::Sender<Wanted>>>,
}

impl NewKeys {
    pub(super) fn new(pool: PgPool, master_id: String) -> Self {
        Self {
            pool,
            master_id,
            queue: Arc::default(),
        }
    }

    /// Queues `wrapped` to be stored as the subject's key unless it has one;
    /// the answer tells the key stored, once the statement ran.
    pub(super) async fn enqueue(
        &self,
        subject: &str,
        kind: &str,
        wrapped: Vec<u8>,
        at: DateTime<Utc>,
    ) -> Result<Answer, sqlx::Error> {
        let queue = self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel(MAX_BATCH * 4);
            tokio::spawn(run(self.pool.clone(), self.master_id.clone(), rx));
            tx
        });
        let (reply, answer) = watch::channel(None);
        let wanted = Wanted {
            subject: subject.to_string(),
            kind: kind.to_string(),
            wrapped,
            at,
            reply,
        };
        queue
            .send(wanted)
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        Ok(answer)
    }
}

/// Waits for the statement of `answer`; a queue that stopped first (the
/// process is ending) is a closed pool.
pub(super) async fn outcome(answer: &Answer) -> Outcome {
    let mut answer = answer.clone();
    let waited = answer
        .wait_for(Option::is_some)
        .await
        .map(|outcome| outcome.clone());
    match waited {
        Ok(outcome) => outcome.expect("waited for it"),
        Err(_) => Err(Arc::new(sqlx::Error::PoolClosed)),
    }
}

/// Takes every first use waiting, stores them with one statement, answers
/// each. The statements run on a connection of their own: waiting for one
/// of the pool's behind the requests being served would hold every first
/// use back (and the commands behind them).
async fn run(pool: PgPool, master_id: String, mut queue: mpsc::Receiver<Wanted>) {
    // Planned once, as the committers' statements: the arrays' lengths
    // change with every batch, and custom plans would be made afresh.
    let own = KeptSessions::of(&pool, 1, &crate::KEYED_PLAN_SETTINGS);
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(w) => batch.push(w),
                Err(_) => break,
            }
        }
        let stored = async {
            let mut session = own.session().await?;
            let stored = store_batch(&mut session, &master_id, &batch).await?;
            session.done();
            Ok::<_, sqlx::Error>(stored)
        }
        .await;
        match stored {
            Ok(stored) => {
                for w in batch {
                    let found = match stored.get(&w.subject) {
                        Some(Some(wrapped)) => Stored::Live(wrapped.clone()),
                        Some(None) => Stored::Erased,
                        None => Stored::NotSeen,
                    };
                    w.reply.send_replace(Some(Ok(found)));
                }
            }
            Err(e) => {
                let e = Arc::new(e);
                for w in batch {
                    w.reply.send_replace(Some(Err(e.clone())));
                }
            }
        }
    }
}

/// One statement: inserts the keys of subjects without one, returns every
/// subject's stored key. It does not wait for its own WAL flush: a key
/// serves only events committed after it, and their synchronous commit
/// flushes the WAL past it (decision P30).
async fn store_batch(
    conn: &mut PgConnection,
    master_id: &str,
    batch: &[Wanted],
) -> Result<HashMap<String, Option<Vec<u8>>>, sqlx::Error> {
    // One row per subject: the first use's key; the others get it back.
    let mut seen = std::collections::HashSet::new();
    let first: Vec<&Wanted> = batch
        .iter()
        .filter(|w| seen.insert(w.subject.as_str()))
        .collect();
    let rows: Vec<(String, Option<Vec<u8>>)> = sqlx::query_as(
        "WITH unflushed AS (SELECT set_config('synchronous_commit', 'off', true)), \
              inserted AS ( \
                INSERT INTO subject_keys (subject, kind, master_key_id, wrapped_key, created_at) \
                SELECT u.subject, u.kind, $5, u.wrapped, u.at \
                FROM unflushed, unnest($1::text[], $2::text[], $3::bytea[], $4::timestamptz[]) \
                     AS u(subject, kind, wrapped, at) \
                ON CONFLICT (subject) DO NOTHING RETURNING subject, wrapped_key) \
         SELECT subject, wrapped_key FROM inserted \
         UNION ALL SELECT subject, wrapped_key FROM subject_keys WHERE subject = ANY($1)",
    )
    .bind(first.iter().map(|w| w.subject.as_str()).collect::<Vec<_>>())
    .bind(first.iter().map(|w| w.kind.as_str()).collect::<Vec<_>>())
    .bind(
        first
            .iter()
            .map(|w| w.wrapped.as_slice())
            .collect::<Vec<_>>(),
    )
    .bind(first.iter().map(|w| w.at).collect::<Vec<_>>())
    .bind(master_id)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().collect())
}
