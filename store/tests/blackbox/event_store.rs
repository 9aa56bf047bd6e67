//! The event store against a real PostgreSQL: optimistic concurrency,
//! immutability, hash chain, protocol numbers, idempotency records.

use crate::common::meta;
use chrono::Utc;
use domain::ids::SedeCode;
use serde_json::json;
use sqlx::PgPool;
use std::collections::HashSet;
use store::{self, event_hash, idempotency, protocol, ChainLink, Expected, NewEvent, StoreError};

fn event(n: u64) -> NewEvent {
    NewEvent {
        event_type: "Tested".into(),
        schema_version: 1,
        payload: json!({"n": n, "text": "città è già"}),
    }
}

async fn append_one(
    pool: &PgPool,
    expected: &Expected,
    n: u64,
) -> Result<store::Appended, StoreError> {
    let mut tx = pool.begin().await?;
    let appended = store::append(&mut tx, expected, &[event(n)], &meta(), Utc::now()).await?;
    tx.commit().await?;
    Ok(appended)
}

#[sqlx::test(migrations = "../migrations")]
async fn a_second_writer_at_the_same_version_conflicts(pool: PgPool) {
    let expected = Expected::new_stream("test-1".into(), "test");
    append_one(&pool, &expected, 1).await.unwrap();
    let err = append_one(&pool, &expected, 2).await.unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_writer_that_expects_a_longer_stream_conflicts(pool: PgPool) {
    let mut expected = Expected::new_stream("test-2".into(), "test");
    append_one(&pool, &expected, 1).await.unwrap();
    expected.version = 5;
    let err = append_one(&pool, &expected, 2).await.unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
}

#[sqlx::test(migrations = "../migrations")]
async fn fifty_racing_writers_leave_contiguous_versions_and_no_lost_event(pool: PgPool) {
    let stream = "test-race".to_string();
    let mut tasks = Vec::new();
    for n in 0..50u64 {
        let pool = pool.clone();
        let stream = stream.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let loaded = store::load_stream(&pool, &stream, "test", None)
                    .await
                    .unwrap();
                match append_one(&pool, &loaded.expected, n).await {
                    Ok(a) => return a.version,
                    Err(e) if e.is_conflict() => tokio::task::yield_now().await,
                    Err(e) => panic!("{e}"),
                }
            }
        }));
    }
    let mut versions = Vec::new();
    for t in tasks {
        versions.push(t.await.unwrap());
    }
    versions.sort();
    assert_eq!(versions, (1..=50).collect::<Vec<u64>>());
    let loaded = store::load_stream(&pool, &stream, "test", None)
        .await
        .unwrap();
    let ns: HashSet<u64> = loaded
        .events
        .iter()
        .map(|e| e.payload["n"].as_u64().unwrap())
        .collect();
    assert_eq!(ns.len(), 50, "every writer's event is there exactly once");
    let stored_versions: Vec<i32> = loaded.events.iter().map(|e| e.version).collect();
    assert_eq!(stored_versions, (1..=50).collect::<Vec<i32>>());
}

#[sqlx::test(migrations = "../migrations")]
async fn the_database_refuses_to_change_or_delete_events(pool: PgPool) {
    append_one(&pool, &Expected::new_stream("test-3".into(), "test"), 1)
        .await
        .unwrap();
    let update = sqlx::query("UPDATE events SET payload = '{}'")
        .execute(&pool)
        .await;
    assert!(update.is_err());
    let delete = sqlx::query("DELETE FROM events").execute(&pool).await;
    assert!(delete.is_err());
    let truncate = sqlx::query("TRUNCATE events").execute(&pool).await;
    assert!(truncate.is_err());
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_hash_chain_recomputes_from_the_stored_rows(pool: PgPool) {
    let mut expected = Expected::new_stream("test-4".into(), "test");
    for n in 1..=3 {
        append_one(&pool, &expected, n).await.unwrap();
        expected = store::load_stream(&pool, "test-4", "test", None)
            .await
            .unwrap()
            .expected;
    }
    let loaded = store::load_stream(&pool, "test-4", "test", None)
        .await
        .unwrap();
    let mut prev = store::GENESIS_HASH;
    for e in &loaded.events {
        assert_eq!(e.prev_hash, prev.to_vec());
        let recomputed = event_hash(
            &prev,
            &ChainLink {
                stream_id: &e.stream_id,
                version: e.version as u64,
                event_type: &e.event_type,
                schema_version: e.schema_version,
                payload: &e.payload,
                metadata: &e.metadata,
                recorded_at: e.recorded_at,
            },
        );
        assert_eq!(recomputed.to_vec(), e.hash);
        prev = recomputed;
    }
    // Another payload would give another hash.
    let first = &loaded.events[0];
    let tampered = event_hash(
        &store::GENESIS_HASH,
        &ChainLink {
            stream_id: &first.stream_id,
            version: 1,
            event_type: &first.event_type,
            schema_version: 1,
            payload: &json!({"n": 2, "text": "città è già"}),
            metadata: &first.metadata,
            recorded_at: first.recorded_at,
        },
    );
    assert_ne!(tampered.to_vec(), first.hash);
}

#[sqlx::test(migrations = "../migrations")]
async fn protocol_numbers_are_unique_and_gapless_under_concurrency(pool: PgPool) {
    let sede = SedeCode::parse("7001").unwrap();
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let pool = pool.clone();
        let sede = sede.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = pool.begin().await.unwrap();
            let p = protocol::allocate(&mut tx, &sede, 2026).await.unwrap();
            tx.commit().await.unwrap();
            p
        }));
    }
    let mut numbers = HashSet::new();
    for t in tasks {
        numbers.insert(t.await.unwrap().to_string());
    }
    assert_eq!(numbers.len(), 40);
    assert!(numbers.contains("INPS.7001.2026.0000001"));
    assert!(numbers.contains("INPS.7001.2026.0000040"));
    // A rolled-back allocation gives its number back.
    let mut tx = pool.begin().await.unwrap();
    let burnt = protocol::allocate(&mut tx, &sede, 2026).await.unwrap();
    tx.rollback().await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    let next = protocol::allocate(&mut tx, &sede, 2026).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(burnt, next);
    assert_eq!(next.to_string(), "INPS.7001.2026.0000041");
    // A new year starts again from 1.
    let mut tx = pool.begin().await.unwrap();
    let first_2027 = protocol::allocate(&mut tx, &sede, 2027).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(first_2027.to_string(), "INPS.7001.2027.0000001");
}

#[sqlx::test(migrations = "../migrations")]
async fn an_idempotency_key_is_recorded_once(pool: PgPool) {
    let mut tx = pool.begin().await.unwrap();
    idempotency::record(&mut tx, "op", "k1", b"fp", &json!({"v": 1}))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    let again = idempotency::record(&mut tx, "op", "k1", b"fp", &json!({"v": 2})).await;
    assert!(matches!(again, Err(StoreError::IdempotencyRace)));
    drop(tx);
    let found = idempotency::find(&pool, "op", "k1").await.unwrap().unwrap();
    assert_eq!(found.response, json!({"v": 1}));
    // Keys are per actor.
    assert!(idempotency::find(&pool, "other", "k1")
        .await
        .unwrap()
        .is_none());
}

/// A row of the log stays in its own pages up to a page, even with a value
/// that does not compress (a sealed request's ciphertext), and its reads
/// plan no parallel workers (decision P32).
#[sqlx::test(migrations = "../migrations")]
async fn the_log_keeps_rows_inline_and_reads_them_without_parallel_workers(pool: PgPool) {
    let options: Vec<String> =
        sqlx::query_scalar("SELECT unnest(reloptions) FROM pg_class WHERE relname = 'events'")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(
        options.contains(&"parallel_workers=0".to_string()),
        "{options:?}"
    );
    // Digits no compressor shortens: a linear congruential sequence.
    let mut x: u64 = 7;
    let noise: String = (0..3_000)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            char::from(b'A' + (x >> 59) as u8)
        })
        .collect();
    let sealed_like = NewEvent {
        event_type: "Tested".into(),
        schema_version: 1,
        payload: json!({ "_sealed": { "subject": "cabc", "fields64": noise } }),
    };
    let expected = Expected::new_stream("big-1".into(), "big");
    let mut tx = pool.begin().await.unwrap();
    store::append(&mut tx, &expected, &[sealed_like], &meta(), Utc::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (toasted, stored): (i64, i32) = sqlx::query_as(
        "SELECT pg_relation_size(c.reltoastrelid), \
                (SELECT pg_column_size(payload) FROM events WHERE stream_id = 'big-1') \
         FROM pg_class c WHERE c.relname = 'events'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(toasted, 0, "the row went to the TOAST table");
    assert!(
        stored > 3_000,
        "stored compressed or out of line: {stored} bytes"
    );
}
