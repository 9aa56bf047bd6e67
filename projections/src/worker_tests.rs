//! The worker's tests, against PostgreSQL.
use super::*;

async fn notify(pool: &PgPool, payload: &str) {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(EVENTS_CHANNEL)
        .bind(payload)
        .execute(pool)
        .await
        .unwrap();
}

/// This process's workers are woken in memory; its own notifications
/// (payload: this process) must not wake them a second time.
#[sqlx::test]
async fn a_worker_wakes_on_other_processes_commits_only(pool: PgPool) {
    let mut listener = PgListener::connect_with(&pool).await.unwrap();
    listener.listen(EVENTS_CHANNEL).await.unwrap();
    let this_process = store::this_process();

    notify(&pool, this_process).await;
    let woken = tokio::time::timeout(
        Duration::from_millis(500),
        other_process_commit(&mut listener),
    )
    .await;
    assert!(woken.is_err(), "woken by its own notification");

    notify(&pool, this_process).await;
    notify(&pool, "another-process").await;
    let woken =
        tokio::time::timeout(Duration::from_secs(10), other_process_commit(&mut listener)).await;
    assert!(
        matches!(woken, Ok(Ok(()))),
        "not woken by another process: {woken:?}"
    );
}
