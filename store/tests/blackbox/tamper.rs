//! Tamper evidence: a change to any stored field of one event is reported
//! at that event, and at no earlier one.

use crate::common::meta;
use chrono::Utc;
use serde_json::json;
use sqlx::PgPool;
use store::{self, verify, Expected, NewEvent};

/// Three streams of three events each.
async fn history(pool: &PgPool) {
    for s in 0..3 {
        let mut expected = Expected::new_stream(format!("tamper-{s}"), "test");
        for n in 0..3 {
            let event = NewEvent {
                event_type: "Tested".into(),
                schema_version: 1,
                payload: json!({ "n": n, "text": "testo originale" }),
            };
            let mut tx = pool.begin().await.unwrap();
            let appended = store::append(&mut tx, &expected, &[event], &meta(), Utc::now())
                .await
                .unwrap();
            tx.commit().await.unwrap();
            let hash: Vec<u8> = sqlx::query_scalar("SELECT hash FROM events WHERE position = $1")
                .bind(appended.last_position)
                .fetch_one(pool)
                .await
                .unwrap();
            expected.version = appended.version;
            expected.last_hash = hash.try_into().unwrap();
        }
    }
}

/// Runs `sql` on the event at `position` with the immutability trigger off,
/// as a superuser could.
async fn tamper(pool: &PgPool, sql: &str, position: i64) {
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("ALTER TABLE events DISABLE TRIGGER events_no_update")
        .execute(&mut *tx)
        .await
        .unwrap();
    let changed = sqlx::query(sql)
        .bind(position)
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(changed, 1, "{sql}");
    sqlx::query("ALTER TABLE events ENABLE TRIGGER events_no_update")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

#[sqlx::test(migrations = "../migrations")]
async fn a_change_to_any_field_is_reported_at_that_event(pool: PgPool) {
    history(&pool).await;
    assert!(verify::verify_log(&pool).await.unwrap().ok);
    // The middle event of the middle stream.
    let position: i64 = sqlx::query_scalar(
        "SELECT position FROM events WHERE stream_id = 'tamper-1' AND version = 2",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    // Each change, and the statement that undoes it.
    let changes = [
        (
            "UPDATE events SET payload = jsonb_set(payload, '{text}', '\"testo originalE\"') WHERE position = $1",
            "UPDATE events SET payload = jsonb_set(payload, '{text}', '\"testo originale\"') WHERE position = $1",
        ),
        (
            "UPDATE events SET metadata = jsonb_set(metadata, '{actor_id}', '\"op.tesT\"') WHERE position = $1",
            "UPDATE events SET metadata = jsonb_set(metadata, '{actor_id}', '\"op.test\"') WHERE position = $1",
        ),
        (
            "UPDATE events SET recorded_at = recorded_at + interval '1 microsecond' WHERE position = $1",
            "UPDATE events SET recorded_at = recorded_at - interval '1 microsecond' WHERE position = $1",
        ),
        (
            "UPDATE events SET event_type = 'Testes' WHERE position = $1",
            "UPDATE events SET event_type = 'Tested' WHERE position = $1",
        ),
        (
            "UPDATE events SET schema_version = 2 WHERE position = $1",
            "UPDATE events SET schema_version = 1 WHERE position = $1",
        ),
        (
            "UPDATE events SET hash = set_byte(hash, 0, get_byte(hash, 0) # 1) WHERE position = $1",
            "UPDATE events SET hash = set_byte(hash, 0, get_byte(hash, 0) # 1) WHERE position = $1",
        ),
        (
            "UPDATE events SET prev_hash = set_byte(prev_hash, 31, get_byte(prev_hash, 31) # 128) WHERE position = $1",
            "UPDATE events SET prev_hash = set_byte(prev_hash, 31, get_byte(prev_hash, 31) # 128) WHERE position = $1",
        ),
    ];
    for (change, undo) in changes {
        tamper(&pool, change, position).await;
        for verification in [
            verify::verify_log(&pool).await.unwrap(),
            verify::verify_stream(&pool, "tamper-1")
                .await
                .unwrap()
                .unwrap(),
        ] {
            assert!(!verification.ok, "{change}: not detected");
            let first = verification.first_broken.expect("a broken link");
            assert_eq!(first.position, position, "{change}: {first:?}");
            assert_eq!(first.version, 2, "{change}: {first:?}");
        }
        let other = verify::verify_stream(&pool, "tamper-0")
            .await
            .unwrap()
            .unwrap();
        assert!(other.ok, "{change}: another stream is not affected");
        tamper(&pool, undo, position).await;
        assert!(
            verify::verify_log(&pool).await.unwrap().ok,
            "{undo}: not restored"
        );
    }
}
