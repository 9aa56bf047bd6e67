//! Crypto-shredding's key store (issue 26): a data key per subject, wrapped
//! by the master key; erasure destroys it and records who erased whom, when,
//! on what ground, in one transaction; the log still verifies. (The
//! analysts' views: privacy_analysts.rs.)

use chrono::Utc;
use commands::privacy::crypto::LocalMasterKey;
use commands::privacy::keys::{KeyError, SubjectKeys};
use commands::privacy::personal::{open_payload, seal_payload, SealFor, ERASED};
use serde_json::json;
use sqlx::PgPool;
use std::sync::Arc;

fn keys(pool: &PgPool) -> SubjectKeys {
    SubjectKeys::new(
        pool.clone(),
        Arc::new(LocalMasterKey::new("test.key", &[42; 32])),
    )
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn erasing_a_subject_destroys_its_key_once_and_records_it(pool: PgPool) {
    let now = Utc::now();
    let store = keys(&pool);
    let dek = store
        .key_for_sealing("cmario", "citizen", now)
        .await
        .unwrap()
        .unwrap();
    // Another process (no cache) unwraps the same key.
    assert_eq!(
        keys(&pool).key_for_opening("cmario").await.unwrap(),
        Some(dek)
    );
    let other = store
        .key_for_sealing("canna", "citizen", now)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(dek, other);
    let stored: Vec<u8> =
        sqlx::query_scalar("SELECT wrapped_key FROM subject_keys WHERE subject = 'cmario'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(!stored.windows(32).any(|w| w == dek), "stored only wrapped");

    let mut payload = json!({"type": "RequestSent", "protocol": "P1",
        "requester": {"kind": "citizen", "codice_fiscale": "RSSMRA60E12H501E", "surname": "ROSSI",
                      "name": "MARIO", "birth_date": "1960-05-12", "cap": "00184"},
        "text": "testo", "notes": null});
    seal_payload(
        "RequestSent",
        &mut payload,
        SealFor {
            subject: Some(("cmario", &dek)),
            joint: None,
        },
    )
    .unwrap();

    let erased = store
        .erase(
            "cmario",
            "GDPR art. 17(1)(a)",
            "dpo.demo",
            "system_admin",
            now,
        )
        .await
        .unwrap();
    assert_eq!(erased.subject, "cmario");
    assert_eq!(keys(&pool).key_for_opening("cmario").await.unwrap(), None);
    assert_eq!(
        store
            .key_for_sealing("cmario", "citizen", now)
            .await
            .unwrap(),
        None
    );
    assert!(keys(&pool)
        .key_for_opening("canna")
        .await
        .unwrap()
        .is_some());
    let events = count(
        &pool,
        "SELECT count(*) FROM events WHERE stream_id = 'erasure-cmario' \
         AND event_type = 'SubjectErased' AND payload->>'legal_ground' = 'GDPR art. 17(1)(a)' \
         AND metadata->>'actor_id' = 'dpo.demo'",
    )
    .await;
    assert_eq!(events, 1);

    // The sealed payload now opens as erased; the rest stays.
    let key = keys(&pool).key_for_opening("cmario").await.unwrap();
    open_payload("RequestSent", &mut payload, key.as_ref(), None).unwrap();
    assert_eq!(payload["requester"]["surname"], ERASED);
    assert_eq!(payload["protocol"], "P1");

    // Twice, or an unknown subject: a clear error, nothing changed.
    let before = count(&pool, "SELECT count(*) FROM events").await;
    assert!(matches!(
        store
            .erase("cmario", "again", "dpo.demo", "system_admin", now)
            .await,
        Err(KeyError::AlreadyErased)
    ));
    assert!(matches!(
        store
            .erase("cnobody", "x", "dpo.demo", "system_admin", now)
            .await,
        Err(KeyError::UnknownSubject)
    ));
    assert_eq!(count(&pool, "SELECT count(*) FROM events").await, before);
    // The database itself refuses to give an erased subject a key again.
    assert!(sqlx::query(
        "UPDATE subject_keys SET wrapped_key = '\\x00', erased_at = NULL WHERE subject = 'cmario'"
    )
    .execute(&pool)
    .await
    .is_err());
    assert!(
        sqlx::query("DELETE FROM subject_keys WHERE subject = 'canna'")
            .execute(&pool)
            .await
            .is_err()
    );
    let v = store::verify::verify_log(&pool).await.unwrap();
    assert!(v.ok, "{v:?}");
}

/// New subjects' keys are stored together (store/src/privacy/new_keys.rs):
/// concurrent first uses of one subject, in one process or in two, all get
/// the one key stored; first uses of many subjects each get their own; a
/// subject erased meanwhile gets none.
#[sqlx::test(migrations = "../migrations")]
async fn concurrent_first_uses_agree_on_one_stored_key(pool: PgPool) {
    let now = Utc::now();
    let (a, b) = (keys(&pool), keys(&pool));
    let mut tasks = Vec::new();
    for i in 0..40 {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            let shared = store.key_for_sealing("cshared", "citizen", now).await;
            let own = store
                .key_for_sealing(&format!("cown{i}"), "citizen", now)
                .await;
            (shared.unwrap().unwrap(), own.unwrap().unwrap())
        }));
    }
    let mut shared = Vec::new();
    let mut own = std::collections::HashSet::new();
    for t in tasks {
        let (s, o) = t.await.unwrap();
        shared.push(s);
        own.insert(o);
    }
    assert!(
        shared.iter().all(|k| *k == shared[0]),
        "one key for one subject"
    );
    assert_eq!(own.len(), 40, "a key of its own for each subject");
    assert_eq!(
        keys(&pool).key_for_opening("cshared").await.unwrap(),
        Some(shared[0]),
        "the key every first use got is the one stored"
    );
    assert_eq!(count(&pool, "SELECT count(*) FROM subject_keys").await, 41);

    a.erase("cown3", "GDPR art. 17(1)(a)", "dpo", "system_admin", now)
        .await
        .unwrap();
    // A process that never saw the subject learns it is erased.
    assert_eq!(
        keys(&pool)
            .key_for_sealing("cown3", "citizen", now)
            .await
            .unwrap(),
        None
    );
}
