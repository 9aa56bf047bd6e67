//! Sessions kept out of sqlx's pool (store::sessions): a session whose
//! statement finished is used again as it is; one dropped half-way is closed,
//! so no later statement can read an answer meant for another; one idle for
//! a while is tested before it is used.

use sqlx::PgPool;
use std::time::Duration;
use store::sessions::KeptSessions;

/// One value read on a session, which then goes back as done.
async fn scalar<T>(sessions: &KeptSessions, sql: &'static str) -> T
where
    T: Send + Unpin + for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    let mut session = sessions.session().await.expect("a session");
    let value = sqlx::query_scalar(sql)
        .fetch_one(&mut *session)
        .await
        .expect("a value");
    session.done();
    value
}

async fn backend_pid(sessions: &KeptSessions) -> i32 {
    scalar(sessions, "SELECT pg_backend_pid()").await
}

async fn is_connected(pool: &PgPool, pid: i32) -> bool {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)")
        .bind(pid)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Waits (up to 5 s) until backend `pid` has ended.
async fn ended(pool: &PgPool, pid: i32) -> bool {
    for _ in 0..100 {
        if !is_connected(pool, pid).await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[sqlx::test(migrations = "../migrations")]
async fn a_finished_session_is_used_again(pool: PgPool) {
    let sessions = KeptSessions::of(&pool, 2, &[]);
    let first = backend_pid(&sessions).await;
    assert_eq!(sessions.idle(), 1);
    assert_eq!(backend_pid(&sessions).await, first);
    assert_eq!(sessions.idle(), 1, "one session served both");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_session_not_marked_done_is_closed(pool: PgPool) {
    let sessions = KeptSessions::of(&pool, 1, &[]);
    let pid = {
        let mut session = sessions.session().await.unwrap();
        sqlx::query_scalar::<_, i32>("SELECT pg_backend_pid()")
            .fetch_one(&mut *session)
            .await
            .unwrap()
        // dropped without done()
    };
    assert_eq!(sessions.idle(), 0);
    assert!(ended(&pool, pid).await, "its backend went away");
    assert_ne!(backend_pid(&sessions).await, pid);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_statement_cancelled_half_way_leaves_nothing_for_the_next(pool: PgPool) {
    let sessions = KeptSessions::of(&pool, 1, &[]);
    let first = backend_pid(&sessions).await;
    let cancelled = tokio::time::timeout(
        Duration::from_millis(200),
        scalar::<i32>(&sessions, "SELECT 41 FROM pg_sleep(2)"),
    )
    .await;
    assert!(cancelled.is_err(), "the statement was cut short");

    let mut session = sessions.session().await.unwrap();
    let (pid, answer): (i32, i32) = sqlx::query_as("SELECT pg_backend_pid(), 42")
        .fetch_one(&mut *session)
        .await
        .expect("the next statement runs on a sound session");
    session.done();
    assert_eq!(answer, 42);
    assert_ne!(pid, first, "the interrupted session was not used again");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_broken_idle_session_is_replaced_before_use(pool: PgPool) {
    let sessions = KeptSessions::of(&pool, 1, &[]);
    let first = backend_pid(&sessions).await;
    sqlx::query("SELECT pg_terminate_backend($1)")
        .bind(first)
        .execute(&pool)
        .await
        .unwrap();
    assert!(ended(&pool, first).await);
    // Past the idle time after which a session is tested.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let next = backend_pid(&sessions).await;
    assert_ne!(next, first);
}

#[sqlx::test(migrations = "../migrations")]
async fn settings_given_hold_on_every_session(pool: PgPool) {
    let sessions = KeptSessions::of(&pool, 1, &[("plan_cache_mode", "force_generic_plan")]);
    let mode: String = scalar(&sessions, "SHOW plan_cache_mode").await;
    assert_eq!(mode, "force_generic_plan");
}

#[sqlx::test(migrations = "../migrations")]
async fn callers_beyond_the_size_wait_for_a_session(pool: PgPool) {
    let sessions = KeptSessions::of(&pool, 1, &[]);
    let held = sessions.session().await.unwrap();
    let waiting = tokio::time::timeout(Duration::from_millis(200), sessions.session()).await;
    assert!(waiting.is_err(), "no second session while the one is held");
    held.done();
    let next = tokio::time::timeout(Duration::from_secs(5), sessions.session())
        .await
        .expect("the session is handed on once done")
        .unwrap();
    next.done();
}

#[tokio::test]
async fn a_database_out_of_reach_is_answered_as_no_session_to_give() {
    // Nothing listens on port 1.
    let pool = sqlx::postgres::PgPoolOptions::new()
        .connect_lazy("postgres://combipat@127.0.0.1:1/combipat")
        .expect("a lazy pool needs no server");
    let sessions = KeptSessions::of(&pool, 1, &[]);
    let refused = sessions.session().await.map(|s| s.done());
    assert!(
        matches!(refused, Err(sqlx::Error::PoolTimedOut)),
        "{refused:?}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_caller_gives_up_when_no_session_frees_in_time(pool: PgPool) {
    let sessions = KeptSessions::of(&pool, 1, &[]);
    let held = sessions.session().await.unwrap();
    // The wait is ten seconds of the runtime's clock: let it run ahead.
    tokio::time::pause();
    let waited = tokio::time::timeout(Duration::from_secs(60), sessions.session())
        .await
        .expect("the wait is bounded")
        .map(|s| s.done());
    assert!(
        matches!(waited, Err(sqlx::Error::PoolTimedOut)),
        "{waited:?}"
    );
    tokio::time::resume();
    held.done();
    assert!(
        sessions.session().await.is_ok(),
        "the held session is handed on"
    );
}
