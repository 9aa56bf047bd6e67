//! The group committer against a real PostgreSQL: concurrent writes share
//! transactions, each keeps its own outcome, answers come after durability.

use crate::common::{committer, event, meta, write_at};
use chrono::Utc;
use sqlx::PgPool;
use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use store::{self, Appended, Expected, GroupCommitter, StoreError, Write, Written};

async fn append_via(
    committer: &GroupCommitter,
    expected: Expected,
    n: u64,
) -> Result<Appended, StoreError> {
    Ok(committer.commit(write_at(expected, n, false)).await?.0)
}

#[sqlx::test(migrations = "../migrations")]
async fn concurrent_writes_share_transactions_and_each_is_stored_once(pool: PgPool) {
    let committer = committer(&pool, 1);
    let mut tasks = Vec::new();
    for i in 0..200u64 {
        let committer = committer.clone();
        tasks.push(tokio::spawn(async move {
            let expected = Expected::new_stream(format!("group-{i}"), "test");
            append_via(&committer, expected, i).await
        }));
    }
    let mut positions = BTreeSet::new();
    for task in tasks {
        let appended = task
            .await
            .unwrap()
            .expect("a write to a new stream succeeds");
        assert_eq!(appended.version, 1);
        assert!(
            positions.insert(appended.last_position),
            "a position answered twice"
        );
    }
    let (events, streams, transactions): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT stream_id), count(DISTINCT tx_id) FROM events",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((events, streams), (200, 200));
    assert!(
        transactions < 200,
        "200 concurrent writes took {transactions} transactions: nothing was batched"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn concurrent_numbered_writes_of_one_sede_get_every_number_once(pool: PgPool) {
    let committer = committer(&pool, 4);
    let mut tasks = Vec::new();
    for i in 0..200u64 {
        let committer = committer.clone();
        tasks.push(tokio::spawn(async move {
            let expected = Expected::new_stream(format!("group-numbered-{i}"), "test");
            committer.commit(write_at(expected, i, true)).await
        }));
    }
    let mut numbers = BTreeSet::new();
    for task in tasks {
        let (_, protocol) = task.await.unwrap().expect("a numbered write commits");
        let protocol = protocol.expect("a numbered write has its number");
        assert!(numbers.insert(protocol.clone()), "{protocol} given twice");
    }
    assert_eq!(numbers.len(), 200);
    let last: i32 = sqlx::query_scalar("SELECT last FROM protocol_counters WHERE sede = '3201'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(last, 200, "numbers 1..=200, none skipped");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_lost_race_fails_alone_and_its_batch_mates_commit(pool: PgPool) {
    let committer = committer(&pool, 2);
    let stream = Expected::new_stream("group-contested".into(), "test");
    // 40 writers at version 0 of one stream, 40 others on streams of their own,
    // all at once: exactly one of the contested writes wins.
    let mut contested = Vec::new();
    let mut free = Vec::new();
    for i in 0..40u64 {
        let (c, e) = (committer.clone(), stream.clone());
        contested.push(tokio::spawn(async move { append_via(&c, e, i).await }));
        let c = committer.clone();
        let e = Expected::new_stream(format!("group-free-{i}"), "test");
        free.push(tokio::spawn(async move { append_via(&c, e, i).await }));
    }
    let mut won = 0;
    for task in contested {
        match task.await.unwrap() {
            Ok(_) => won += 1,
            Err(e) => assert!(e.is_conflict(), "a lost race is a conflict, not {e:?}"),
        }
    }
    assert_eq!(won, 1);
    for task in free {
        task.await.unwrap().expect("an uncontested write commits");
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 41);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_answered_write_is_already_visible_to_everyone(pool: PgPool) {
    let committer = committer(&pool, 2);
    let mut tasks = Vec::new();
    for i in 0..50u64 {
        let (c, pool) = (committer.clone(), pool.clone());
        tasks.push(tokio::spawn(async move {
            let expected = Expected::new_stream(format!("group-seen-{i}"), "test");
            let appended = append_via(&c, expected, i).await.unwrap();
            // Another connection, right after the answer.
            let seen: bool =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM events WHERE position = $1)")
                    .bind(appended.last_position)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            assert!(seen, "answered before its commit");
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_failed_write_gives_its_protocol_number_back(pool: PgPool) {
    let committer = committer(&pool, 2);
    let taken = Expected::new_stream("group-taken".into(), "test");
    append_via(&committer, taken.clone(), 0).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..30u64 {
        let c = committer.clone();
        // Every third write appends to a stream that exists: it must fail and
        // roll back the number it allocated; the others keep theirs.
        let expected = if i % 3 == 0 {
            taken.clone()
        } else {
            Expected::new_stream(format!("group-protocol-{i}"), "test")
        };
        tasks.push(tokio::spawn(async move {
            c.commit(write_at(expected, i, true))
                .await
                .map(|(_, number)| number.unwrap())
        }));
    }
    let mut numbers = BTreeSet::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(number) => assert!(numbers.insert(number), "a number given twice"),
            Err(e) => assert!(e.is_conflict(), "{e:?}"),
        }
    }
    assert_eq!(numbers.len(), 20);
    let last: i32 = sqlx::query_scalar("SELECT last FROM protocol_counters WHERE sede = '3201'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(last, 20, "the 10 failed writes burnt no number");
    let expected: BTreeSet<String> = (1..=20).map(|n| format!("INPS.3201.2026.{n:07}")).collect();
    assert_eq!(
        numbers, expected,
        "the successful writes hold numbers 1 to 20"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn batched_events_keep_the_hash_chain_across_streams_and_versions(pool: PgPool) {
    let committer = committer(&pool, 1);
    // First events of 40 streams, batched.
    let mut heads = Vec::new();
    for i in 0..40u64 {
        let c = committer.clone();
        let e = Expected::new_stream(format!("group-chain-{i:02}"), "test");
        heads.push(tokio::spawn(async move { append_via(&c, e, i).await }));
    }
    for task in heads {
        task.await.unwrap().unwrap();
    }
    // Then two events more on each, at the head read from the store, batched too.
    let mut more = Vec::new();
    for i in 0..40u64 {
        let (c, pool) = (committer.clone(), pool.clone());
        more.push(tokio::spawn(async move {
            let loaded = store::load_stream(&pool, &format!("group-chain-{i:02}"), "test", None)
                .await
                .unwrap();
            let expected = loaded.expected;
            let write = Write {
                metadata: meta(),
                recorded_at: Utc::now(),
                protocol: None,
                events: Arc::new(move |_| vec![(expected.clone(), vec![event(i), event(i + 100)])]),
                idempotency: None,
                answer: Arc::new(|written: &Written| written.appended[0].1),
            };
            c.commit(write).await.unwrap()
        }));
    }
    for task in more {
        let appended = task.await.unwrap();
        assert_eq!(appended.version, 3);
        assert_eq!(appended.last_position, appended.first_position + 1);
    }
    let verification = store::verify::verify_log(&pool).await.unwrap();
    assert!(verification.ok, "{:?}", verification.first_broken);
    assert_eq!(verification.events_checked, 120);
    let transactions: i64 = sqlx::query_scalar("SELECT count(DISTINCT tx_id) FROM events")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(
        transactions < 80,
        "{transactions} transactions: nothing was batched"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_write_from_a_version_the_stream_never_reached_fails_alone(pool: PgPool) {
    let committer = committer(&pool, 1);
    let head = Expected::new_stream("group-short".into(), "test");
    append_via(&committer, head, 0).await.unwrap();
    // A view of the stream two versions ahead of its real head, batched with
    // 30 writes to streams of their own: the stale one is refused, nothing
    // of it is stored, the others commit.
    let ahead = Expected {
        version: 3,
        ..Expected::new_stream("group-short".into(), "test")
    };
    let mut tasks = Vec::new();
    for i in 0..30u64 {
        let c = committer.clone();
        let e = Expected::new_stream(format!("group-short-mate-{i}"), "test");
        tasks.push(tokio::spawn(async move { append_via(&c, e, i).await }));
    }
    let stale = {
        let c = committer.clone();
        tokio::spawn(async move { append_via(&c, ahead, 99).await })
    };
    for task in tasks {
        task.await.unwrap().expect("a batch-mate commits");
    }
    let refused = stale
        .await
        .unwrap()
        .expect_err("the stream is at version 1");
    assert!(refused.is_conflict(), "{refused:?}");
    let (events, short): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE stream_id = 'group-short') FROM events",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((events, short), (31, 1));
}

async fn number_of(committer: &GroupCommitter, stream: &str) -> String {
    committer
        .commit(write_at(
            Expected::new_stream(stream.to_string(), "test"),
            0,
            true,
        ))
        .await
        .expect("a creation commits")
        .1
        .expect("with its number")
}

/// Each stored number, in the order of the log, and the counter's last.
async fn stored_numbers(pool: &PgPool) -> (Vec<String>, i32) {
    let numbers = sqlx::query_scalar(
        "SELECT payload ->> 'protocol' FROM events WHERE payload ? 'protocol' ORDER BY position",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let last = sqlx::query_scalar("SELECT last FROM protocol_counters WHERE sede = '3201'")
        .fetch_one(pool)
        .await
        .unwrap();
    (numbers, last)
}

fn numbers(range: std::ops::RangeInclusive<u32>) -> Vec<String> {
    range.map(|n| format!("INPS.3201.2026.{n:07}")).collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_committer_that_knows_its_counter_numbers_with_one_statement(pool: PgPool) {
    let committer = committer(&pool, 1);
    for i in 0..5 {
        number_of(&committer, &format!("known-{i}")).await;
    }
    let paths = committer.paths();
    assert_eq!(
        paths.in_one_transaction.load(Ordering::Relaxed),
        1,
        "only the first creation read the counter"
    );
    assert_eq!(paths.numbered_in_one_statement.load(Ordering::Relaxed), 4);
    assert_eq!(stored_numbers(&pool).await, (numbers(1..=5), 5));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_counter_moved_by_another_process_is_read_again_and_no_number_is_given_twice(
    pool: PgPool,
) {
    let here = committer(&pool, 1);
    let elsewhere = committer(&pool, 1);
    assert_eq!(number_of(&here, "a").await, numbers(1..=1)[0]);
    assert_eq!(number_of(&here, "b").await, numbers(2..=2)[0]);
    // Another process takes the next numbers: what `here` knows is stale.
    assert_eq!(number_of(&elsewhere, "c").await, numbers(3..=3)[0]);
    assert_eq!(number_of(&elsewhere, "d").await, numbers(4..=4)[0]);
    assert_eq!(number_of(&here, "e").await, numbers(5..=5)[0]);
    assert_eq!(number_of(&here, "f").await, numbers(6..=6)[0]);
    assert_eq!(stored_numbers(&pool).await, (numbers(1..=6), 6));
    assert_eq!(
        here.paths()
            .numbered_in_one_statement
            .load(Ordering::Relaxed),
        3,
        "b, the refused try of e, and f"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn two_processes_creating_at_once_give_every_number_once_in_order(pool: PgPool) {
    let processes = [committer(&pool, 2), committer(&pool, 2)];
    let mut tasks = Vec::new();
    for i in 0..300u64 {
        let committer = processes[(i % 2) as usize].clone();
        tasks.push(tokio::spawn(async move {
            number_of(&committer, &format!("racing-{i}")).await
        }));
    }
    let mut answered = BTreeSet::new();
    for task in tasks {
        let number = task.await.unwrap();
        assert!(answered.insert(number.clone()), "{number} answered twice");
    }
    let (stored, last) = stored_numbers(&pool).await;
    assert_eq!(last, 300);
    let stored_set: BTreeSet<String> = stored.iter().cloned().collect();
    assert_eq!(
        stored_set, answered,
        "each event carries the number answered"
    );
    assert_eq!(
        stored,
        numbers(1..=300),
        "the log holds the numbers in order, once each"
    );
    let fast: u64 = processes
        .iter()
        .map(|p| p.paths().numbered_in_one_statement.load(Ordering::Relaxed))
        .sum();
    assert!(fast > 0, "some batches took the one-statement way");
}
