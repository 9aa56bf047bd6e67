//! The SQL of `notification_outbox` for the sender (claim, mark) and for the
//! API (a user's list, unread count, reading; dead letters and their retry;
//! preferences). The notifier's inserts are in `projection.rs`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

/// A row claimed for delivery.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    pub id: String,
    pub kind: String,
    pub recipient_kind: String,
    pub recipient_user: Option<String>,
    pub booking_id: Option<Uuid>,
    pub request_id: Option<Uuid>,
    pub sede_code: Option<String>,
    pub details: serde_json::Value,
    pub due_at: DateTime<Utc>,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    /// This claim's mark: a row taken over by another sender (its lease
    /// passed) has another, and this sender's writes to it change nothing.
    pub claimed_at: DateTime<Utc>,
}

/// Marks up to `limit` due rows `sending` and returns them. `now` is the
/// service clock (a reminder's `due_at`); the backoff's `next_attempt_at`
/// is on the database's own clock. `SKIP LOCKED`: two senders never take
/// the same row.
pub async fn claim(pool: &PgPool, now: DateTime<Utc>, limit: i64) -> sqlx::Result<Vec<Claimed>> {
    sqlx::query_as(
        "UPDATE notification_outbox o SET status = 'sending', claimed_at = now() \
         WHERE o.id IN (SELECT id FROM notification_outbox \
                        WHERE status = 'pending' AND due_at <= $1 AND next_attempt_at <= now() \
                        ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED) \
         RETURNING o.id, o.kind, o.recipient_kind, o.recipient_user, o.booking_id, o.request_id, \
                   o.sede_code, o.details, o.due_at, o.attempts, o.created_at, o.claimed_at",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Rows left `sending` longer than `lease` (their sender died, or stalls,
/// before recording them sent) go back to `pending`. Nothing of them reached
/// a recipient: their final `.` is written only after `sent` is committed.
pub async fn release_stale(pool: &PgPool, lease: std::time::Duration) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "UPDATE notification_outbox SET status = 'pending', claimed_at = NULL \
         WHERE status = 'sending' AND claimed_at < now() - make_interval(secs => $1)",
    )
    .bind(lease.as_secs_f64())
    .execute(pool)
    .await?
    .rows_affected())
}

/// Delivered (`sent`) or deliberately not (`skipped`: muted, no address,
/// booking gone).
pub async fn mark_done(
    pool: &PgPool,
    row: &Claimed,
    status: &str,
    channel: &str,
    message_id: Option<&str>,
    note: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE notification_outbox SET status = $2, channel = $3, message_id = $4, \
           last_error = $5, sent_at = now(), claimed_at = NULL \
         WHERE id = $1 AND status = 'sending' AND claimed_at = $6",
    )
    .bind(&row.id)
    .bind(status)
    .bind(channel)
    .bind(message_id)
    .bind(note)
    .bind(row.claimed_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// Records an e-mail sent while its final `.` is still held back
/// (`smtp.rs`); `false` if the row is no longer this claim's (the `.` is
/// then never written). `decided` is told `true` right after the `COMMIT`
/// has been sent, before its reply: the `.` goes out then, so the two leave
/// this process microseconds apart whatever the machine's load.
pub async fn mark_sent(
    pool: &PgPool,
    row: &Claimed,
    message_id: &str,
    decided: tokio::sync::oneshot::Sender<bool>,
) -> sqlx::Result<bool> {
    let mut tx = pool.begin().await?;
    let done = sqlx::query(
        "UPDATE notification_outbox SET status = 'sent', channel = 'email', message_id = $2, \
           last_error = NULL, sent_at = now(), claimed_at = NULL \
         WHERE id = $1 AND status = 'sending' AND claimed_at = $3",
    )
    .bind(&row.id)
    .bind(message_id)
    .bind(row.claimed_at)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        let _ = decided.send(false);
        tx.rollback().await?;
        return Ok(false);
    }
    let mut commit = std::pin::pin!(tx.commit());
    // One poll writes the COMMIT and waits for its reply.
    match futures::poll!(commit.as_mut()) {
        std::task::Poll::Ready(result) => {
            let _ = decided.send(result.is_ok());
            result?;
        }
        std::task::Poll::Pending => {
            let _ = decided.send(true);
            commit.await?;
        }
    }
    Ok(true)
}

/// Undoes [`mark_sent`] when the server refused the message after its final
/// `.` (or did not answer): a failed try, as [`mark_failed`].
pub async fn unmark_sent(
    pool: &PgPool,
    id: &str,
    error: &str,
    retry_in: std::time::Duration,
    dead: bool,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE notification_outbox SET attempts = attempts + 1, last_error = $2, \
           status = CASE WHEN $4 THEN 'dead' ELSE 'pending' END, channel = NULL, \
           message_id = NULL, sent_at = NULL, \
           next_attempt_at = now() + make_interval(secs => $3), claimed_at = NULL \
         WHERE id = $1 AND status = 'sent'",
    )
    .bind(id)
    .bind(error)
    .bind(retry_in.as_secs_f64())
    .bind(dead)
    .execute(pool)
    .await?;
    Ok(())
}

/// A failed try: back to `pending` after `retry_in`, or `dead` when `dead`.
pub async fn mark_failed(
    pool: &PgPool,
    row: &Claimed,
    error: &str,
    retry_in: std::time::Duration,
    dead: bool,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE notification_outbox SET attempts = attempts + 1, last_error = $2, \
           status = CASE WHEN $4 THEN 'dead' ELSE 'pending' END, \
           next_attempt_at = now() + make_interval(secs => $3), claimed_at = NULL \
         WHERE id = $1 AND status = 'sending' AND claimed_at = $5",
    )
    .bind(&row.id)
    .bind(error)
    .bind(retry_in.as_secs_f64())
    .bind(dead)
    .bind(row.claimed_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// Not ready yet (the read model has not caught up): looked at again soon,
/// without counting an attempt.
pub async fn defer(
    pool: &PgPool,
    row: &Claimed,
    retry_in: std::time::Duration,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE notification_outbox SET status = 'pending', claimed_at = NULL, \
           next_attempt_at = now() + make_interval(secs => $2) \
         WHERE id = $1 AND status = 'sending' AND claimed_at = $3",
    )
    .bind(&row.id)
    .bind(retry_in.as_secs_f64())
    .bind(row.claimed_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// The e-mail kinds `user` has muted.
pub async fn muted_kinds(pool: &PgPool, user: &str) -> sqlx::Result<Vec<String>> {
    let row: Option<(Vec<String>,)> =
        sqlx::query_as("SELECT muted_kinds FROM notification_preferences WHERE user_id = $1")
            .bind(user)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|r| r.0).unwrap_or_default())
}

pub async fn set_muted_kinds(pool: &PgPool, user: &str, muted: &[String]) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO notification_preferences (user_id, muted_kinds, updated_at) \
         VALUES ($1, $2, now()) \
         ON CONFLICT (user_id) DO UPDATE SET muted_kinds = $2, updated_at = now()",
    )
    .bind(user)
    .bind(muted)
    .execute(pool)
    .await?;
    Ok(())
}

/// A notification as its recipient sees it in the web app.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct UserNotification {
    pub id: String,
    pub kind: String,
    pub request_id: Option<Uuid>,
    pub booking_id: Option<Uuid>,
    pub sede_code: Option<String>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
    /// `pending`, `sending`, `sent`, `skipped`, `dead`.
    pub status: String,
}

/// The latest `limit` notifications of `user` (due ones: a digest planned
/// for later is not shown before its time).
pub async fn list_for_user(
    pool: &PgPool,
    user: &str,
    now: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<UserNotification>> {
    sqlx::query_as(
        "SELECT id, kind, request_id, booking_id, sede_code, details, created_at, read_at, status \
         FROM notification_outbox \
         WHERE recipient_user = $1 AND due_at <= $2 AND status <> 'cancelled' \
         ORDER BY created_at DESC, id DESC LIMIT $3",
    )
    .bind(user)
    .bind(now)
    .bind(limit)
    .fetch_all(pool)
    .await
}

pub async fn unread_count(pool: &PgPool, user: &str, now: DateTime<Utc>) -> sqlx::Result<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM notification_outbox \
         WHERE recipient_user = $1 AND due_at <= $2 AND read_at IS NULL AND status <> 'cancelled'",
    )
    .bind(user)
    .bind(now)
    .fetch_one(pool)
    .await?;
    Ok(n)
}

/// Marks `ids` (or all, when `None`) of `user` read; returns how many changed.
pub async fn mark_read(pool: &PgPool, user: &str, ids: Option<&[String]>) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE notification_outbox SET read_at = now() \
         WHERE recipient_user = $1 AND read_at IS NULL AND ($2::text[] IS NULL OR id = ANY($2))",
    )
    .bind(user)
    .bind(ids)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// A notification that kept failing.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct DeadLetter {
    pub id: String,
    pub kind: String,
    /// `citizen` or `user`; never the address.
    pub recipient_kind: String,
    pub booking_id: Option<Uuid>,
    pub request_id: Option<Uuid>,
    pub sede_code: Option<String>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

const DEAD_SEDE: &str = "COALESCE(o.sede_code, b.sede_code)";

/// Dead letters, of one sede or (`None`) all.
pub async fn dead_letters(
    pool: &PgPool,
    sede: Option<&str>,
    limit: i64,
) -> sqlx::Result<Vec<DeadLetter>> {
    sqlx::query_as(&format!(
        "SELECT o.id, o.kind, o.recipient_kind, o.booking_id, o.request_id, \
                {DEAD_SEDE} AS sede_code, o.attempts, o.last_error, o.created_at \
         FROM notification_outbox o LEFT JOIN bookings b ON b.booking_id = o.booking_id \
         WHERE o.status = 'dead' AND ($1::text IS NULL OR {DEAD_SEDE} = $1) \
         ORDER BY o.created_at, o.id LIMIT $2"
    ))
    .bind(sede)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Puts a dead letter (of `sede`, or any with `None`) back in the queue
/// with a fresh count of attempts; `false` if there is no such dead letter.
pub async fn retry_dead(pool: &PgPool, id: &str, sede: Option<&str>) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE notification_outbox o SET status = 'pending', attempts = 0, last_error = NULL, \
           next_attempt_at = now() \
         FROM notification_outbox x LEFT JOIN bookings b ON b.booking_id = x.booking_id \
         WHERE x.id = o.id AND o.id = $1 AND o.status = 'dead' \
           AND ($2::text IS NULL OR COALESCE(x.sede_code, b.sede_code) = $2)",
    )
    .bind(id)
    .bind(sede)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}
