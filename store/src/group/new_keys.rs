//! New subjects' keys stored by the batch that commits the writes sealed
//! with them (decision P30): in the batch's one statement as a CTE, or as
//! one more statement of its transaction, so a new citizen costs no round
//! trip and no transaction of its own.
//!
//! Inserted `ON CONFLICT DO NOTHING`: a key not inserted (another writer's
//! stored first, or an erased subject) fails the batch's statement. The
//! batch's keys are then looked up ([`writes_whose_key_lost`]): each write
//! sealed with a key that is not the one stored is refused
//! ([`StoreError::KeyLost`]) and the others go again as a batch. A write run
//! alone stores its keys in its own transaction ([`store_keys_of`]).

use super::{Answer, Job};
use crate::privacy::keys::{KeyReceipt, Stored};
use crate::StoreError;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use std::collections::HashMap;

/// The keys a batch stores, one row per subject, in subject order (the
/// order their rows are locked in).
#[derive(Default)]
pub(super) struct BatchKeys {
    subjects: Vec<String>,
    kinds: Vec<String>,
    master_key_ids: Vec<String>,
    wrapped: Vec<Vec<u8>>,
    at: Vec<DateTime<Utc>>,
}

impl BatchKeys {
    /// The keys carried by the writes of `batch` that are not stored for
    /// good (by an earlier batch, or their subject erased).
    pub(super) fn of(batch: &[Job]) -> BatchKeys {
        let mut carried: Vec<_> = batch
            .iter()
            .flat_map(|job| &job.keys)
            .filter(|receipt| !receipt.stored_for_good())
            .filter_map(KeyReceipt::carried)
            .collect();
        carried.sort_by(|a, b| (&a.subject, &a.wrapped).cmp(&(&b.subject, &b.wrapped)));
        carried.dedup_by(|a, b| a.subject == b.subject && a.wrapped == b.wrapped);
        let mut keys = BatchKeys::default();
        for key in carried {
            keys.subjects.push(key.subject.clone());
            keys.kinds.push(key.kind.clone());
            keys.master_key_ids.push(key.master_key_id.clone());
            keys.wrapped.push(key.wrapped.to_vec());
            keys.at.push(key.at);
        }
        keys
    }

    pub(super) fn is_empty(&self) -> bool {
        self.subjects.is_empty()
    }

    /// The statement to run: `keyed` (with [`keyed_cte!`]) when there are
    /// keys to store, else `plain`; [`BatchKeys::bind`] binds what it takes.
    pub(super) fn statement(&self, plain: &'static str, keyed: &'static str) -> &'static str {
        if self.is_empty() {
            plain
        } else {
            keyed
        }
    }

    /// Binds the keys as the next five parameters of the statement chosen
    /// by [`BatchKeys::statement`], and their count as the sixth; nothing
    /// when there are none (the plain statement takes none).
    pub(super) fn bind<'q, O>(
        &'q self,
        query: sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>,
    ) -> sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments> {
        if self.is_empty() {
            return query;
        }
        query
            .bind(&self.subjects)
            .bind(&self.kinds)
            .bind(&self.master_key_ids)
            .bind(&self.wrapped)
            .bind(&self.at)
            .bind(self.subjects.len() as i32)
    }
}

/// The CTE `keyed` that inserts a batch's keys, bound from parameter `$a`
/// on ([`BatchKeys::bind`]).
macro_rules! keyed_cte {
    ($subjects:literal, $kinds:literal, $masters:literal, $wrapped:literal, $at:literal) => {
        concat!(
            "keyed AS ( \
               INSERT INTO subject_keys (subject, kind, master_key_id, wrapped_key, created_at) \
               SELECT * FROM unnest(",
            $subjects,
            "::text[], ",
            $kinds,
            "::text[], ",
            $masters,
            "::text[], ",
            $wrapped,
            "::bytea[], ",
            $at,
            "::timestamptz[]) \
               ON CONFLICT (subject) DO NOTHING RETURNING 1) "
        )
    };
}
pub(super) use keyed_cte;

/// The condition that fails the statement (CP003, migration 0035) unless
/// every key of the CTE `keyed` was inserted (`$count` of them).
macro_rules! every_key_inserted {
    ($count:literal) => {
        concat!(
            "CASE WHEN (SELECT count(*) FROM keyed) = ",
            $count,
            " THEN true ELSE subject_keys_taken((SELECT count(*) FROM keyed), ",
            $count,
            ") END "
        )
    };
}
pub(super) use every_key_inserted;

/// Whether a failed statement failed because a key was not inserted.
pub(super) fn key_taken(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|db| db.code().as_deref() == Some("CP003"))
}

/// In a batch's (or one write's) transaction: inserts its keys; false if
/// one was not inserted (the batch then finds out whose key lost,
/// [`writes_whose_key_lost`]).
pub(super) async fn store_batch_keys(
    conn: &mut PgConnection,
    keys: &BatchKeys,
) -> Result<bool, sqlx::Error> {
    if keys.is_empty() {
        return Ok(true);
    }
    let (all,): (bool,) = keys
        .bind(sqlx::query_as(concat!(
            "WITH ",
            keyed_cte!("$1", "$2", "$3", "$4", "$5"),
            "SELECT (SELECT count(*) FROM keyed) = $6"
        )))
        .fetch_one(conn)
        .await?;
    Ok(all)
}

/// One write's keys, in its transaction: inserted unless stored, then each
/// checked against the key stored for its subject. A key that is not the
/// one stored refuses the write ([`StoreError::KeyLost`]) and tells the
/// cache which key is; an erased subject's is accepted (what was sealed for
/// it reads as erased).
pub(super) async fn store_keys_of(conn: &mut PgConnection, job: &Job) -> Result<(), StoreError> {
    let keys = BatchKeys::of(std::slice::from_ref(job));
    if keys.is_empty() {
        return Ok(());
    }
    store_batch_keys(&mut *conn, &keys).await?;
    let stored = stored_keys(&mut *conn, &keys).await?;
    // Each key is stored now, ours or not: one missing is not ours. Ours
    // is stored only if this transaction commits (the answer tells it).
    if lost_a_key(job, &stored, Found::InTheWritesTransaction) {
        return Err(StoreError::KeyLost);
    }
    Ok(())
}

/// After a batch's statement stored nothing: which writes carry a key that
/// lost to another stored first (to be refused, the rest to run again as a
/// batch). Tells each key found stored what it found.
pub(super) async fn writes_whose_key_lost(
    conn: &mut PgConnection,
    batch: &[Job],
) -> Result<Vec<bool>, sqlx::Error> {
    let keys = BatchKeys::of(batch);
    if keys.is_empty() {
        return Ok(vec![false; batch.len()]);
    }
    let stored = stored_keys(conn, &keys).await?;
    Ok(batch
        .iter()
        .map(|job| lost_a_key(job, &stored, Found::Committed))
        .collect())
}

async fn stored_keys(
    conn: &mut PgConnection,
    keys: &BatchKeys,
) -> Result<HashMap<String, Option<Vec<u8>>>, sqlx::Error> {
    Ok(
        sqlx::query_as("SELECT subject, wrapped_key FROM subject_keys WHERE subject = ANY($1)")
            .bind(&keys.subjects)
            .fetch_all(conn)
            .await?
            .into_iter()
            .collect(),
    )
}

/// Where keys were looked up.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Found {
    /// After a batch stored nothing: what is there was committed by others
    /// (or by an earlier batch), and a key not there is still to be stored.
    Committed,
    /// In the write's transaction, after inserting its keys: each is there,
    /// and ours only for as long as the transaction.
    InTheWritesTransaction,
}

/// Whether one of the job's carried keys is not the one `stored` for its
/// subject; tells each key what was found, when it is for good.
fn lost_a_key(job: &Job, stored: &HashMap<String, Option<Vec<u8>>>, found: Found) -> bool {
    let mut lost = false;
    // Every key not stored for good, as the insert took them: a key found
    // to have lost earlier, by another write that carried it, was inserted
    // again, is looked up again and refuses this write as well.
    for receipt in job.keys.iter().filter(|r| !r.stored_for_good()) {
        let Some(key) = receipt.carried() else {
            continue;
        };
        match stored.get(&key.subject) {
            Some(Some(wrapped)) if receipt.is(wrapped) => {
                if found == Found::Committed {
                    receipt.tell_stored();
                }
            }
            Some(None) => receipt.tell(Stored::Erased),
            Some(Some(other)) => {
                receipt.tell(Stored::Live(other.clone()));
                lost = true;
            }
            None => lost |= found == Found::InTheWritesTransaction,
        }
    }
    lost
}

/// Tells the write's carried keys what its answer means for them: stored
/// with it, or (if it failed) not stored by it.
pub(super) fn tell_keys(job: &Job, answer: &Answer) {
    for receipt in job.keys.iter().filter(|r| r.carried().is_some()) {
        match answer {
            Ok(_) => receipt.tell_stored(),
            Err(_) => receipt.tell(Stored::NotSeen),
        }
    }
}
