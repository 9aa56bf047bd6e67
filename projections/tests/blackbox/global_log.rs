//! The required proof that the global log is read without skips or
//! duplicates while writers commit out of order (DESIGN.md "Events and the
//! event store"): 8 concurrent writers, some holding their transaction open
//! after the insert, and a reader tailing `read_after` from its own checkpoint.

use chrono::Utc;
use sqlx::PgPool;
use std::collections::HashSet;
use std::time::Duration;
use store::log::read_after;
use store::{append, Expected, LogPosition, Metadata, NewEvent};
use uuid::Uuid;

const WRITERS: usize = 8;
const STREAMS_PER_WRITER: usize = 25;

fn metadata() -> Metadata {
    Metadata {
        actor_id: "writer".into(),
        actor_role: "operator".into(),
        patronato: None,
        office: None,
        sede: None,
        command: "global_log_test".into(),
        correlation_id: Uuid::now_v7(),
        causation_id: None,
        idempotency_key: None,
    }
}

async fn writer(pool: PgPool, w: usize) {
    for i in 0..STREAMS_PER_WRITER {
        let mut tx = pool.begin().await.unwrap();
        let expected = Expected::new_stream(format!("test-{w}-{i}-{}", Uuid::now_v7()), "test");
        // One to three events per transaction.
        let events: Vec<NewEvent> = (0..=(i % 3))
            .map(|k| NewEvent {
                event_type: "Tick".into(),
                schema_version: 1,
                payload: serde_json::json!({ "writer": w, "stream": i, "k": k }),
            })
            .collect();
        append(&mut tx, &expected, &events, &metadata(), Utc::now())
            .await
            .unwrap();
        // Hold some transactions open after their positions were taken, so that
        // later positions of other writers commit first.
        if (w + i).is_multiple_of(3) {
            tokio::time::sleep(Duration::from_millis(2 + (w as u64 * 3 + i as u64) % 11)).await;
        }
        if (w * 7 + i).is_multiple_of(10) {
            tx.rollback().await.unwrap();
        } else {
            tx.commit().await.unwrap();
        }
        tokio::task::yield_now().await;
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn reader_sees_every_committed_event_exactly_once(pool: PgPool) {
    // Once the writers are done: the last committed event in reader order.
    let (end_tx, end_rx) = tokio::sync::watch::channel(None::<LogPosition>);
    let reader = {
        let pool = pool.clone();
        tokio::spawn(async move {
            let mut checkpoint = LogPosition::START;
            let mut seen: Vec<i64> = Vec::new();
            loop {
                let batch = read_after(&pool, checkpoint, 7).await.unwrap();
                for e in &batch {
                    assert!(e.log_position() > checkpoint, "read out of order");
                    checkpoint = e.log_position();
                    seen.push(e.position);
                }
                if batch.is_empty() {
                    // Events may be committed yet unreadable while an older
                    // transaction (of any test database) is open: wait for the end.
                    if let Some(end) = *end_rx.borrow() {
                        if checkpoint >= end {
                            break;
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
            seen
        })
    };

    let writers: Vec<_> = (0..WRITERS)
        .map(|w| tokio::spawn(writer(pool.clone(), w)))
        .collect();
    for w in writers {
        w.await.unwrap();
    }
    let end: (i64, i64) = sqlx::query_as(
        "SELECT tx_id::text::bigint, position FROM events ORDER BY tx_id DESC, position DESC LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    end_tx
        .send(Some(LogPosition {
            tx_id: end.0,
            position: end.1,
        }))
        .unwrap();
    let seen = tokio::time::timeout(Duration::from_secs(60), reader)
        .await
        .expect("the reader reaches the end of the log")
        .unwrap();

    let committed: Vec<i64> = sqlx::query_scalar("SELECT position FROM events ORDER BY position")
        .fetch_all(&pool)
        .await
        .unwrap();
    let unique: HashSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "an event was read twice");
    let committed_set: HashSet<i64> = committed.iter().copied().collect();
    let missing: Vec<_> = committed_set.difference(&unique).collect();
    let phantom: Vec<_> = unique.difference(&committed_set).collect();
    assert!(missing.is_empty(), "events never read: {missing:?}");
    assert!(
        phantom.is_empty(),
        "read events that did not commit: {phantom:?}"
    );
    assert!(
        committed.len() > WRITERS * STREAMS_PER_WRITER,
        "the writers wrote"
    );

    // The test is only a proof if commits really overtook each other: some
    // event was read after an event with a higher position.
    let overtaken = seen.windows(2).any(|w| w[1] < w[0]);
    assert!(overtaken, "no commit happened out of position order");
}

/// The reader of one event type: below the horizon only, by pages in
/// position order, some payload fields of each with its schema version; the
/// events of an older version read whole (and upcast) by position.
#[sqlx::test(migrations = "../migrations")]
async fn readers_of_one_event_type_page_through_it_below_the_horizon(pool: PgPool) {
    use store::log::{horizon, read_at, read_fields_of_type_below, TypePage};
    let append_one = |event_type: &'static str, schema_version: i16, n: usize| {
        let pool = pool.clone();
        async move {
            let mut tx = pool.begin().await.unwrap();
            let expected = Expected::new_stream(format!("test-{}", Uuid::now_v7()), "test");
            let event = NewEvent {
                event_type: event_type.into(),
                schema_version,
                payload: serde_json::json!({ "n": n, "label": format!("L{n}"), "none": null }),
            };
            append(&mut tx, &expected, &[event], &metadata(), Utc::now())
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
    };
    // Version 2 is the readers' own; version 1 an older one.
    for n in 0..5 {
        append_one("Tick", 2, n).await;
        append_one("Tock", 2, n).await;
    }
    append_one("Tick", 1, 99).await;
    // Another session's open transaction (another test's, say) holds the
    // horizon back: wait until it has passed these events.
    let last: i64 = sqlx::query_scalar("SELECT max(tx_id)::text::bigint FROM events")
        .fetch_one(&pool)
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let below = loop {
        let below = horizon(&pool).await.unwrap();
        if below > last {
            break below;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the horizon never passed"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    // Committed after the horizon was taken: not in any page below it.
    append_one("Tick", 2, 100).await;

    let mut page = TypePage {
        stream_type: "test",
        event_type: "Tick",
        horizon: below,
        after_position: 0,
        limit: 2,
    };
    let mut seen = Vec::new();
    let mut older_positions = Vec::new();
    loop {
        let rows = read_fields_of_type_below(&pool, page, &["label", "none", "absent"])
            .await
            .unwrap();
        let Some(last) = rows.last() else { break };
        assert!(rows.len() <= 2);
        page.after_position = last.position;
        for row in rows {
            assert!(row.tx_id < below);
            assert_eq!(row.fields[1..], [None, None]);
            if row.schema_version == 2 {
                seen.push(row.fields[0].clone().unwrap());
            } else {
                older_positions.push(row.position);
            }
        }
    }
    assert_eq!(seen, ["L0", "L1", "L2", "L3", "L4"]);

    let older = read_at(&pool, &older_positions).await.unwrap();
    assert_eq!(older.len(), 1);
    assert_eq!(older[0].schema_version, 1);
    assert_eq!(older[0].payload["n"], 99);
}
