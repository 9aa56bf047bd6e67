//! Retention (issue 26): what is past its retention period, listed by a dry
//! run and erased for real by the same step. Today: attachment contents
//! (outside the log), once every request holding the file was closed more
//! than the period ago. Booking contacts need crypto-shredding wired into the
//! log first (docs/privacy.md, "What is left").

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sqlx::PgPool;

/// Days after a request's closure that its attachments' contents are kept.
/// Default ten years, the shortest retention of an INPS benefit file
/// (docs/privacy.md); configurable (`COMBIPAT_RETENTION_ATTACHMENT_DAYS`).
pub const DEFAULT_ATTACHMENT_DAYS: i64 = 3_650;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    pub attachments_after_closure: Duration,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self {
            attachments_after_closure: Duration::days(DEFAULT_ATTACHMENT_DAYS),
        }
    }
}

/// An attachment content past its retention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ExpiredAttachment {
    /// Hex SHA-256 of the content.
    pub sha256: String,
    pub size: i64,
    /// The requests holding it, all closed before the cut-off.
    pub request_ids: Vec<uuid::Uuid>,
    pub last_closed_at: DateTime<Utc>,
}

/// What the step would erase (or erased).
#[derive(Debug, Clone, Serialize)]
pub struct RetentionReport {
    pub dry_run: bool,
    pub cutoff: DateTime<Utc>,
    pub attachments: Vec<ExpiredAttachment>,
}

/// Attachment contents held only by requests closed before `now - period`,
/// not yet purged. A file also held by an open request, or by none (an upload
/// not yet sent), is kept.
pub async fn expired_attachments(
    pool: &PgPool,
    policy: &RetentionPolicy,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, Vec<ExpiredAttachment>), sqlx::Error> {
    let cutoff = now - policy.attachments_after_closure;
    let rows = sqlx::query_as(
        "SELECT encode(b.sha256, 'hex') AS sha256, b.size, \
                array_agg(DISTINCT a.request_id ORDER BY a.request_id) AS request_ids, \
                max(s.closed_at) AS last_closed_at \
         FROM attachment_blobs b \
         JOIN request_attachments a ON a.sha256 = encode(b.sha256, 'hex') \
         JOIN request_summary s ON s.request_id = a.request_id \
         WHERE b.purged_at IS NULL \
         GROUP BY b.sha256, b.size \
         HAVING bool_and(s.closed_at IS NOT NULL AND s.closed_at < $1) \
         ORDER BY 1",
    )
    .bind(cutoff)
    .fetch_all(pool)
    .await?;
    Ok((cutoff, rows))
}

/// Lists (dry run) or erases the contents past retention.
pub async fn run(
    pool: &PgPool,
    policy: &RetentionPolicy,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<RetentionReport, sqlx::Error> {
    let (cutoff, attachments) = expired_attachments(pool, policy, now).await?;
    if !dry_run && !attachments.is_empty() {
        let digests: Vec<Vec<u8>> = attachments
            .iter()
            .filter_map(|a| hex::decode(&a.sha256).ok())
            .collect();
        sqlx::query(
            "UPDATE attachment_blobs SET content = ''::bytea, purged_at = $2 \
             WHERE sha256 = ANY($1) AND purged_at IS NULL",
        )
        .bind(&digests)
        .bind(now)
        .execute(pool)
        .await?;
    }
    Ok(RetentionReport {
        dry_run,
        cutoff,
        attachments,
    })
}
