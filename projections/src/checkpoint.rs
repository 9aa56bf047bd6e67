//! Checkpoints: where each projection is in the global log
//! (`projection_checkpoints`). A checkpoint moves only in the transaction that
//! applied the events before it.

use crate::ProjectionError;
use sqlx::{PgConnection, PgExecutor};
use store::LogPosition;

/// The checkpoint of `name` without locking it; `None` if the projection never ran.
pub async fn get(
    db: impl PgExecutor<'_>,
    name: &str,
) -> Result<Option<LogPosition>, ProjectionError> {
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT tx_id, position FROM projection_checkpoints WHERE name = $1")
            .bind(name)
            .fetch_optional(db)
            .await?;
    Ok(row.map(|(tx_id, position)| LogPosition { tx_id, position }))
}

/// Locks the checkpoint row of `name` for the rest of the caller's transaction
/// (creating it at [`LogPosition::START`] if missing) and returns it. Every
/// writer of the projection's tables takes this lock first, so two of them
/// never apply the same events.
pub async fn lock(conn: &mut PgConnection, name: &str) -> Result<LogPosition, ProjectionError> {
    let locked = || {
        sqlx::query_as::<_, (i64, i64)>(
            "SELECT tx_id, position FROM projection_checkpoints WHERE name = $1 FOR UPDATE",
        )
        .bind(name)
    };
    if let Some((tx_id, position)) = locked().fetch_optional(&mut *conn).await? {
        return Ok(LogPosition { tx_id, position });
    }
    // The projection's first batch ever: a concurrent first runner may be
    // inserting the row too, and then this waits for it and locks its row.
    sqlx::query(
        "INSERT INTO projection_checkpoints (name, tx_id, position) VALUES ($1, 0, 0) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .execute(&mut *conn)
    .await?;
    let (tx_id, position) = locked().fetch_one(&mut *conn).await?;
    Ok(LogPosition { tx_id, position })
}

/// Moves the checkpoint of `name`; the caller holds its lock (see [`lock`]).
pub async fn save(
    conn: &mut PgConnection,
    name: &str,
    at: LogPosition,
) -> Result<(), ProjectionError> {
    sqlx::query(
        "UPDATE projection_checkpoints SET tx_id = $2, position = $3, updated_at = now() \
         WHERE name = $1",
    )
    .bind(name)
    .bind(at.tx_id)
    .bind(at.position)
    .execute(conn)
    .await?;
    Ok(())
}

/// How far the log is ahead of a checkpoint: the number of events after it
/// (counted up to `cap`) and when the oldest of them was recorded.
pub async fn lag(
    db: impl PgExecutor<'_>,
    after: LogPosition,
    cap: i64,
) -> Result<(i64, Option<chrono::DateTime<chrono::Utc>>), ProjectionError> {
    Ok(store::log::lag_after(db, after, cap).await?)
}

/// The last committed event visible now, in reader order (`None` for an empty log).
pub async fn log_end(db: impl PgExecutor<'_>) -> Result<Option<LogPosition>, ProjectionError> {
    Ok(store::log::log_end(db).await?)
}
