//! Retention (issue 26): what is past its retention period, listed by a dry
//! run and erased for real by the same step (docs/privacy.md, P11, P20):
//!
//! - attachment contents (outside the log), once every request holding the
//!   file was closed more than the period ago: deleted for real;
//! - a booking's contacts (mobile, e-mail, reason), the period after the
//!   appointment: the booking's contact key is destroyed (crypto-shredding:
//!   the log keeps its sealed bytes, unreadable from then on) and the
//!   `bookings` read model's copy is emptied.

use super::crypto::{CryptoError, DataKey, MasterKey};
use super::keys::{KeyError, SubjectKeys};
use super::Pseudonyms;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sqlx::PgPool;
use std::sync::Arc;
use uuid::Uuid;

/// Days after a request's closure that its attachments' contents are kept.
/// Default ten years, the shortest retention of an INPS benefit file
/// (docs/privacy.md); configurable (`COMBIPAT_RETENTION_ATTACHMENT_DAYS`).
pub const DEFAULT_ATTACHMENT_DAYS: i64 = 3_650;

/// Days after an appointment that the booking's contacts are kept: they
/// serve the appointment only; long enough for a complaint about it
/// (docs/privacy.md). Configurable (`COMBIPAT_RETENTION_BOOKING_CONTACT_DAYS`).
pub const DEFAULT_BOOKING_CONTACT_DAYS: i64 = 90;

/// The legal ground recorded in the `SubjectErased` event of a retention.
pub const BOOKING_CONTACTS_GROUND: &str =
    "retention: booking contacts past their period after the appointment (GDPR art. 5(1)(e))";
/// The actor of a retention's erasures.
pub const RETENTION_ACTOR: &str = "combipat-retention";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    pub attachments_after_closure: Duration,
    pub booking_contacts_after_appointment: Duration,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self {
            attachments_after_closure: Duration::days(DEFAULT_ATTACHMENT_DAYS),
            booking_contacts_after_appointment: Duration::days(DEFAULT_BOOKING_CONTACT_DAYS),
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

/// What became of a booking's contact key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactKey {
    /// Dry run: it would be erased (if it exists).
    WouldErase,
    /// Destroyed now, with its `SubjectErased` event.
    Erased,
    /// Destroyed before (an earlier run, or the citizen's request).
    AlreadyErased,
    /// None exists: the contacts were not sealed under a key of their own
    /// (events written before sealing), so only the read model is emptied.
    NoKey,
}

/// A booking whose contacts are past their retention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpiredBookingContacts {
    pub booking_id: Uuid,
    pub slot_end: DateTime<Utc>,
    /// The pseudonym of the booking's contact data (`b…`).
    pub subject: String,
    pub key: ContactKey,
}

/// What the step would erase (or erased).
#[derive(Debug, Clone, Serialize)]
pub struct RetentionReport {
    pub dry_run: bool,
    /// Attachments of requests closed before this instant.
    pub cutoff: DateTime<Utc>,
    pub attachments: Vec<ExpiredAttachment>,
    /// Contacts of appointments that ended before this instant.
    pub booking_contacts_cutoff: DateTime<Utc>,
    pub booking_contacts: Vec<ExpiredBookingContacts>,
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

/// Bookings whose appointment ended before `now - period` and whose
/// contacts the read model still holds.
pub async fn expired_booking_contacts(
    pool: &PgPool,
    policy: &RetentionPolicy,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, Vec<(Uuid, DateTime<Utc>)>), sqlx::Error> {
    let cutoff = now - policy.booking_contacts_after_appointment;
    let rows = sqlx::query_as(
        "SELECT booking_id, slot_end FROM bookings \
         WHERE slot_end < $1 AND contacts_erased_at IS NULL \
           AND (mobile IS NOT NULL OR email IS NOT NULL OR reason IS NOT NULL) \
         ORDER BY slot_end, booking_id",
    )
    .bind(cutoff)
    .fetch_all(pool)
    .await?;
    Ok((cutoff, rows))
}

/// Retention only destroys keys, which needs no master key: this one
/// refuses to wrap or unwrap anything.
struct EraseOnly;

impl MasterKey for EraseOnly {
    fn id(&self) -> &str {
        "retention-erase-only"
    }
    fn wrap(&self, _: &DataKey, _: &str) -> Result<Vec<u8>, CryptoError> {
        Err(CryptoError::MasterKey("retention never wraps a key".into()))
    }
    fn unwrap(&self, _: &[u8], _: &str) -> Result<DataKey, CryptoError> {
        Err(CryptoError::MasterKey("retention never opens a key".into()))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// Destroys each booking's contact key (recording the erasure) and empties
/// the contacts in the `bookings` read model.
async fn erase_booking_contacts(
    pool: &PgPool,
    expired: &mut [ExpiredBookingContacts],
    now: DateTime<Utc>,
) -> Result<(), RetentionError> {
    let keys = SubjectKeys::new(pool.clone(), Arc::new(EraseOnly));
    for b in expired.iter_mut() {
        b.key = match keys
            .erase(
                &b.subject,
                BOOKING_CONTACTS_GROUND,
                RETENTION_ACTOR,
                "system",
                now,
            )
            .await
        {
            Ok(_) => ContactKey::Erased,
            Err(KeyError::AlreadyErased) => ContactKey::AlreadyErased,
            Err(KeyError::UnknownSubject) => ContactKey::NoKey,
            Err(e) => return Err(e.into()),
        };
    }
    let ids: Vec<Uuid> = expired.iter().map(|b| b.booking_id).collect();
    sqlx::query(
        "UPDATE bookings SET mobile = NULL, email = NULL, reason = NULL, contacts_erased_at = $2 \
         WHERE booking_id = ANY($1) AND contacts_erased_at IS NULL",
    )
    .bind(&ids)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(())
}

/// Lists (dry run) or erases the contents past retention.
pub async fn run(
    pool: &PgPool,
    policy: &RetentionPolicy,
    pseudonyms: &Pseudonyms,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<RetentionReport, RetentionError> {
    let (cutoff, attachments) = expired_attachments(pool, policy, now).await?;
    let (booking_contacts_cutoff, bookings) = expired_booking_contacts(pool, policy, now).await?;
    let mut booking_contacts: Vec<ExpiredBookingContacts> = bookings
        .into_iter()
        .map(|(booking_id, slot_end)| ExpiredBookingContacts {
            booking_id,
            slot_end,
            subject: pseudonyms.booking(booking_id),
            key: ContactKey::WouldErase,
        })
        .collect();
    if !dry_run && !booking_contacts.is_empty() {
        erase_booking_contacts(pool, &mut booking_contacts, now).await?;
    }
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
        booking_contacts_cutoff,
        booking_contacts,
    })
}
