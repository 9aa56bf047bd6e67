//! Erasure in the read models (docs/privacy.md, P16): once a citizen's key
//! is destroyed, their events open to the erased form; rows projected
//! before still hold the clear values. [`scrub_citizen`] rewrites those rows
//! to exactly what a rebuild would now project from the erased events, so
//! that a `pg_dump` holds none of it and a rebuild changes nothing.
//!
//! Call it after the projections have passed the erasure's position (a
//! batch read before the key was destroyed would otherwise write the clear
//! values again).

use crate::requests::search::{self, SearchRow};
use crate::ProjectionError;
use domain::personal::ERASED;
use sqlx::PgPool;
use uuid::Uuid;

/// What was scrubbed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Scrubbed {
    pub requests: u64,
    pub bookings: u64,
    /// The SHA-256 (hex) of every file the citizen's requests hold: the
    /// uploads' copies of their names are the attachments' to forget.
    pub attachments: Vec<String>,
}

/// Rewrites the personal columns of the rows of the citizen with pseudonym
/// `citizen`, in one transaction. Rows are selected by pseudonym, so those
/// sent or booked under any omocodia variant of the code are caught; the
/// pseudonym stays (a rebuild projects it again from the sealed events).
pub async fn scrub_citizen(pool: &PgPool, citizen: &str) -> Result<Scrubbed, ProjectionError> {
    let mut tx = pool.begin().await?;
    let requests: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT request_id, subject FROM request_summary WHERE citizen_pseudonym = $1",
    )
    .bind(citizen)
    .fetch_all(&mut *tx)
    .await?;
    let ids: Vec<Uuid> = requests.iter().map(|(id, _)| *id).collect();
    // RequestSent's citizen, text and notes; a reply's excerpt.
    sqlx::query(
        "UPDATE request_summary SET codice_fiscale = $2, citizen_surname = $2, \
             citizen_name = $2, citizen_birth_date = NULL, text = $2, \
             notes = CASE WHEN notes IS NULL THEN NULL ELSE $2 END, \
             last_reply_excerpt = CASE WHEN last_reply_excerpt IS NULL THEN NULL ELSE $2 END \
         WHERE request_id = ANY($1)",
    )
    .bind(&ids)
    .bind(ERASED)
    .execute(&mut *tx)
    .await?;
    // The texts of the sending, the replies, the messages, a forward's
    // reason, a closing's note and an appointment's cancellation (an empty
    // one stays empty); the sending's notes, the forward's reason.
    sqlx::query(
        "UPDATE request_timeline SET text = CASE WHEN text IS NULL THEN NULL ELSE $2 END, \
             details = CASE \
                 WHEN kind = 'sent' AND details->>'notes' IS NOT NULL \
                     THEN jsonb_set(details, '{notes}', to_jsonb($2::text)) \
                 WHEN kind = 'forwarded' \
                     THEN jsonb_set(details, '{reason}', to_jsonb($2::text)) \
                 ELSE details END \
         WHERE request_id = ANY($1) AND kind IN ('sent', 'reply', 'message', 'forwarded', \
             'closed', 'appointment_cancelled')",
    )
    .bind(&ids)
    .bind(ERASED)
    .execute(&mut *tx)
    .await?;
    // Every file's name is sealed (added on its own or with a text).
    sqlx::query("UPDATE request_attachments SET filename = $2 WHERE request_id = ANY($1)")
        .bind(&ids)
        .bind(ERASED)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE request_timeline SET attachments = (SELECT coalesce(jsonb_agg( \
             jsonb_set(a, '{filename}', to_jsonb($2::text)) ORDER BY n), '[]'::jsonb) \
             FROM jsonb_array_elements(attachments) WITH ORDINALITY AS e(a, n)) \
         WHERE request_id = ANY($1) AND jsonb_array_length(attachments) > 0",
    )
    .bind(&ids)
    .bind(ERASED)
    .execute(&mut *tx)
    .await?;
    let attachments: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT sha256 FROM request_attachments WHERE request_id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE recent_replies SET codice_fiscale = NULL, excerpt = $2 WHERE request_id = ANY($1)",
    )
    .bind(&ids)
    .bind(ERASED)
    .execute(&mut *tx)
    .await?;
    // The search keys of `subject || ' ' || text`, text erased.
    sqlx::query("DELETE FROM request_search WHERE request_id = ANY($1)")
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
    let rows: Vec<SearchRow> = requests
        .iter()
        .map(|(id, subject)| SearchRow::keyed(*id, subject, ERASED))
        .collect();
    search::insert(&mut tx, &rows).await?;
    // A citizen's booking: the code, the reason, the contacts.
    let bookings = sqlx::query(
        "UPDATE bookings SET codice_fiscale = $2, booked_by = $2, \
             reason = CASE WHEN reason IS NULL THEN NULL ELSE $2 END, \
             cancel_reason = CASE WHEN cancel_reason IS NULL THEN NULL ELSE $2 END, \
             mobile = NULL, email = NULL \
         WHERE citizen_pseudonym = $1",
    )
    .bind(citizen)
    .bind(ERASED)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(Scrubbed {
        requests: ids.len() as u64,
        bookings,
        attachments,
    })
}
