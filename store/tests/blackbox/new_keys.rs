//! A new subject's key is made and used at once, and stored by the batch
//! that commits the write sealed with it (decision P30): with the write or
//! not at all, and a write whose key lost to another's is refused.

use crate::common::{committer, write_at};
use chrono::Utc;
use sqlx::PgPool;
use std::sync::Arc;
use store::privacy::crypto::LocalMasterKey;
use store::privacy::keys::{NewKeyStored, SubjectKeys};
use store::{Expected, GroupCommitter, StoreError};

fn keys(pool: &PgPool) -> SubjectKeys {
    SubjectKeys::new(
        pool.clone(),
        Arc::new(LocalMasterKey::new("test.key", &[42; 32])),
    )
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// A write of one event to a new stream `name`, numbered or not, carrying
/// a new key for `subject` made by `keys`; answers the write's outcome and
/// the key it was sealed with.
async fn sealed_write(
    committer: &GroupCommitter,
    keys: &SubjectKeys,
    subject: &str,
    name: &str,
    numbered: bool,
) -> (Result<(), StoreError>, [u8; 32]) {
    let (key, receipt) = keys
        .key_for_sealing_ahead(subject, "citizen", Utc::now(), NewKeyStored::WithTheWrite)
        .await
        .unwrap()
        .unwrap();
    let write = write_at(Expected::new_stream(name.into(), "note"), 1, numbered);
    let outcome = committer
        .commit_sealed(write, receipt.into_iter().collect())
        .await;
    (outcome.map(|_| ()), key)
}

/// The next first use of `subject` seals with `stored` and stores nothing.
async fn seals_with_the_stored_key(keys: &SubjectKeys, subject: &str, stored: [u8; 32]) {
    let (key, pending) = keys
        .key_for_sealing_ahead(subject, "citizen", Utc::now(), NewKeyStored::WithTheWrite)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(key, stored);
    assert!(pending.is_none(), "{subject}: nothing left to store");
}

/// Creations at once, numbered and not, each a new citizen: every key is
/// stored with its write (one row each), and a fresh process opens with it.
/// Two first uses in one process share the pending key, stored once.
#[sqlx::test(migrations = "../migrations")]
async fn new_keys_are_stored_by_the_batches_of_their_writes(pool: PgPool) {
    let (here, committer) = (keys(&pool), committer(&pool, 2));
    let writes: Vec<_> = (0..40)
        .map(|i| {
            let (committer, here) = (committer.clone(), here.clone());
            tokio::spawn(async move {
                let subject = format!("cnew{}", i / 2);
                let (stored, key) = sealed_write(
                    &committer,
                    &here,
                    &subject,
                    &format!("note-{i}"),
                    i % 3 == 0,
                )
                .await;
                stored.unwrap();
                (subject, key)
            })
        })
        .collect();
    let mut written = Vec::new();
    for write in writes {
        written.push(write.await.unwrap());
    }
    assert_eq!(count(&pool, "SELECT count(*) FROM events").await, 40);
    assert_eq!(count(&pool, "SELECT count(*) FROM subject_keys").await, 20);
    let fresh = keys(&pool);
    for (subject, key) in written {
        assert_eq!(fresh.key_for_opening(&subject).await.unwrap(), Some(key));
    }
    // Once stored, the key is known here: nothing left to store.
    let (_, pending) = here
        .key_for_sealing_ahead("cnew3", "citizen", Utc::now(), NewKeyStored::WithTheWrite)
        .await
        .unwrap()
        .unwrap();
    assert!(pending.is_none());
}

/// A write that fails stores no key; the next first use makes another,
/// which its write stores.
#[sqlx::test(migrations = "../migrations")]
async fn a_key_is_stored_with_its_write_or_not_at_all(pool: PgPool) {
    let (here, committer) = (keys(&pool), committer(&pool, 1));
    let (first, _) = sealed_write(&committer, &here, "cother", "note-taken", false).await;
    first.unwrap();
    // The stream exists: this write's "new stream" loses, and its key with it.
    let (refused, lost) = sealed_write(&committer, &here, "cfailed", "note-taken", false).await;
    assert!(
        matches!(refused, Err(StoreError::Conflict { .. })),
        "{refused:?}"
    );
    let keys_of =
        |s: &'static str| format!("SELECT count(*) FROM subject_keys WHERE subject = '{s}'");
    assert_eq!(count(&pool, &keys_of("cfailed")).await, 0);
    let (stored, key) = sealed_write(&committer, &here, "cfailed", "note-next", true).await;
    stored.unwrap();
    assert_ne!(key, lost, "the key of the failed write is not reused");
    assert_eq!(count(&pool, &keys_of("cfailed")).await, 1);
    assert_eq!(
        keys(&pool).key_for_opening("cfailed").await.unwrap(),
        Some(key)
    );
}

/// A key that loses to one another process stored first makes its write
/// fail with nothing written, and the next first use seals with the
/// stored key. A key stored by itself (`key_for_sealing`) is another way
/// in, waited for before the write.
#[sqlx::test(migrations = "../migrations")]
async fn a_write_sealed_with_a_key_that_lost_is_refused_and_the_stored_key_follows(pool: PgPool) {
    let now = Utc::now();
    let elsewhere = keys(&pool);
    let stored = elsewhere
        .key_for_sealing("crace", "citizen", now)
        .await
        .unwrap()
        .unwrap();
    // A process that has not seen the key, with a write of each kind.
    for numbered in [false, true] {
        let (here, committer) = (keys(&pool), committer(&pool, 1));
        let (refused, lost_key) =
            sealed_write(&committer, &here, "crace", "note-race", numbered).await;
        assert!(matches!(refused, Err(StoreError::KeyLost)), "{refused:?}");
        assert_ne!(lost_key, stored);
        assert_eq!(
            count(&pool, "SELECT count(*) FROM events").await,
            0,
            "nothing written"
        );
        // The next first use here seals with the key stored, and stores nothing.
        seals_with_the_stored_key(&here, "crace", stored).await;
    }
    assert_eq!(count(&pool, "SELECT count(*) FROM subject_keys").await, 1);
}

/// A key made for a write that never came (its command cancelled before
/// the queue) is stored by the next command that needs it stored first,
/// which does not wait for that write; a later write carrying it commits.
#[sqlx::test(migrations = "../migrations")]
async fn a_key_whose_write_never_came_is_stored_by_the_next_command_that_needs_it(pool: PgPool) {
    let here = keys(&pool);
    let (made, abandoned) = here
        .key_for_sealing_ahead("cleft", "citizen", Utc::now(), NewKeyStored::WithTheWrite)
        .await
        .unwrap()
        .unwrap();
    let abandoned = abandoned.expect("a new key");
    let stored = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        here.key_for_sealing("cleft", "citizen", Utc::now()),
    )
    .await
    .expect("not left waiting for the write that never came")
    .unwrap();
    assert_eq!(stored, Some(made));
    assert_eq!(
        keys(&pool).key_for_opening("cleft").await.unwrap(),
        Some(made)
    );
    let write = write_at(Expected::new_stream("note-late".into(), "note"), 1, false);
    committer(&pool, 1)
        .commit_sealed(write, vec![abandoned])
        .await
        .unwrap();
    assert_eq!(count(&pool, "SELECT count(*) FROM subject_keys").await, 1);
}

/// After a restart the cache is empty: returning citizens' first writes
/// seal with new keys that lose to the stored ones. In a batch with new
/// citizens' writes, only theirs are refused; the next try seals with the
/// stored key and commits.
#[sqlx::test(migrations = "../migrations")]
async fn in_a_batch_only_the_writes_whose_key_lost_are_refused(pool: PgPool) {
    let before = keys(&pool);
    let mut stored = Vec::new();
    for i in 0..5 {
        let key = before
            .key_for_sealing(&format!("cback{i}"), "citizen", Utc::now())
            .await
            .unwrap()
            .unwrap();
        stored.push(key);
    }
    let (after, committer) = (keys(&pool), committer(&pool, 1));
    let writes: Vec<_> = (0..30)
        .map(|i| {
            let (committer, after) = (committer.clone(), after.clone());
            tokio::spawn(async move {
                let subject = if i % 6 == 0 {
                    format!("cback{}", i / 6)
                } else {
                    format!("cfirst{i}")
                };
                let name = format!("note-{i}");
                sealed_write(&committer, &after, &subject, &name, i % 2 == 0).await
            })
        })
        .collect();
    for (i, write) in writes.into_iter().enumerate() {
        let (outcome, _) = write.await.unwrap();
        if i % 6 == 0 {
            assert!(
                matches!(outcome, Err(StoreError::KeyLost)),
                "{i}: {outcome:?}"
            );
        } else {
            outcome.unwrap();
        }
    }
    assert_eq!(count(&pool, "SELECT count(*) FROM events").await, 25);
    for (i, stored) in stored.into_iter().enumerate() {
        seals_with_the_stored_key(&after, &format!("cback{i}"), stored).await;
    }
    assert_eq!(count(&pool, "SELECT count(*) FROM subject_keys").await, 30);
}

/// Two writes of one process sealed with one new key that another process
/// beat: the second, queued after the first was refused, is refused too
/// (its key is known to have lost, and is not left out of its batch).
#[sqlx::test(migrations = "../migrations")]
async fn every_write_sealed_with_a_key_that_lost_is_refused(pool: PgPool) {
    let (here, elsewhere) = (keys(&pool), keys(&pool));
    let made = |subject: &'static str| {
        let here = here.clone();
        async move {
            here.key_for_sealing_ahead(subject, "citizen", Utc::now(), NewKeyStored::WithTheWrite)
                .await
                .unwrap()
                .unwrap()
        }
    };
    let (first_key, first) = made("ctwice").await;
    let (second_key, second) = made("ctwice").await;
    assert_eq!(first_key, second_key, "one pending key, shared");
    elsewhere
        .key_for_sealing("ctwice", "citizen", Utc::now())
        .await
        .unwrap();
    let committer = committer(&pool, 1);
    for (n, receipt, numbered) in [(1, first, false), (2, second, true)] {
        let write = write_at(
            Expected::new_stream(format!("note-{n}"), "note"),
            1,
            numbered,
        );
        let refused = committer
            .commit_sealed(write, receipt.into_iter().collect())
            .await;
        assert!(
            matches!(refused, Err(StoreError::KeyLost)),
            "{n}: {refused:?}"
        );
    }
    assert_eq!(count(&pool, "SELECT count(*) FROM events").await, 0);
}
