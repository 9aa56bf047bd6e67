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
             citizen_name = $2, citizen_birth_date = NULL, text = $2, notes = $2, \
             last_reply_excerpt = CASE WHEN last_reply_excerpt IS NULL THEN NULL ELSE $2 END \
         WHERE request_id = ANY($1)",
    )
    .bind(&ids)
    .bind(ERASED)
    .execute(&mut *tx)
    .await?;
    // The texts of the sending, the replies and the messages; the sending's notes.
    sqlx::query(
        "UPDATE request_timeline SET text = $2, \
             details = CASE WHEN kind = 'sent' \
                 THEN jsonb_set(details, '{notes}', to_jsonb($2::text)) ELSE details END \
         WHERE request_id = ANY($1) AND kind IN ('sent', 'reply', 'message')",
    )
    .bind(&ids)
    .bind(ERASED)
    .execute(&mut *tx)
    .await?;
    // A file added on its own (`AttachmentAdded`): its name is sealed.
    sqlx::query(
        "UPDATE request_attachments a SET filename = $2 FROM request_timeline t \
         WHERE a.request_id = ANY($1) AND t.request_id = a.request_id \
           AND t.version = a.added_version AND t.kind = 'attachment_added'",
    )
    .bind(&ids)
    .bind(ERASED)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE request_timeline SET attachments = (SELECT coalesce(jsonb_agg( \
             jsonb_set(a, '{filename}', to_jsonb($2::text)) ORDER BY n), '[]'::jsonb) \
             FROM jsonb_array_elements(attachments) WITH ORDINALITY AS e(a, n)) \
         WHERE request_id = ANY($1) AND kind = 'attachment_added'",
    )
    .bind(&ids)
    .bind(ERASED)
    .execute(&mut *tx)
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
        "UPDATE bookings SET codice_fiscale = $2, booked_by = $2, reason = $2, \
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
    })
}
