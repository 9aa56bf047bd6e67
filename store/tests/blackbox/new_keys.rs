//! A new subject's key is made and used at once, and stored while the
//! write sealed with it waits for its batch (decision P30): the committer
//! waits for the key, and refuses a write whose key lost to another's.

use crate::common::{committer, write_at};
use chrono::Utc;
use sqlx::PgPool;
use std::sync::Arc;
use store::privacy::crypto::LocalMasterKey;
use store::privacy::keys::SubjectKeys;
use store::{Expected, StoreError};

fn keys(pool: &PgPool) -> SubjectKeys {
    SubjectKeys::new(
        pool.clone(),
        Arc::new(LocalMasterKey::new("test.key", &[42; 32])),
    )
}

/// A creation seals with a new citizen's key before it is stored, and the
/// committer waits for it (P30). Two first uses in one process share the
/// pending key; a key that loses to one another process stored first makes
/// its write fail with nothing written, and the next first use seals with
/// the stored key.
#[sqlx::test(migrations = "../migrations")]
async fn a_write_sealed_with_a_key_that_lost_is_refused_and_the_stored_key_follows(pool: PgPool) {
    let now = Utc::now();
    let (here, elsewhere) = (keys(&pool), keys(&pool));

    // One process, two first uses at once: one pending key, stored once.
    let (first, second) = tokio::join!(
        here.key_for_sealing_ahead("cpaired", "citizen", now),
        here.key_for_sealing_ahead("cpaired", "citizen", now)
    );
    let (first, second) = (first.unwrap().unwrap(), second.unwrap().unwrap());
    assert_eq!(first.0, second.0, "both seal with one key");
    for receipt in [first.1.unwrap(), second.1.unwrap()] {
        receipt.stored().await.unwrap();
    }
    assert_eq!(
        keys(&pool).key_for_opening("cpaired").await.unwrap(),
        Some(first.0)
    );

    // Another process stores its key for "crace" first; this one, which
    // has not seen it, seals with a key of its own, which loses.
    let stored = elsewhere
        .key_for_sealing("crace", "citizen", now)
        .await
        .unwrap()
        .unwrap();
    let (lost_key, receipt) = here
        .key_for_sealing_ahead("crace", "citizen", now)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(lost_key, stored);
    let receipt = receipt.expect("a key made here, still to be stored");
    let committer = committer(&pool, 1);
    let write = write_at(Expected::new_stream("note-race".into(), "note"), 1, false);
    let refused = committer.commit_sealed(write, vec![receipt]).await;
    assert!(matches!(refused, Err(StoreError::KeyLost)), "{refused:?}");
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(events, 0, "nothing written");
    // The next first use here seals with the key stored, and waits for nothing.
    let (next, pending) = here
        .key_for_sealing_ahead("crace", "citizen", now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(next, stored);
    assert!(pending.is_none());
}
