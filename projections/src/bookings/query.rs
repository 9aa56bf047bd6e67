//! Queries of the `bookings` read model.

use crate::ProjectionError;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use std::collections::HashSet;
use utoipa::ToSchema;
use uuid::Uuid;

/// The start of every slot of a counter in `[from, to)` taken at `now`:
/// booked, or held by a hold that has not expired.
pub async fn taken_slots(
    pool: &PgPool,
    sede: &str,
    counter: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<HashSet<DateTime<Utc>>, ProjectionError> {
    let rows: Vec<(DateTime<Utc>,)> = sqlx::query_as(
        "SELECT slot_start FROM booking_slots \
         WHERE sede_code = $1 AND counter_type = $2 AND slot_start >= $3 AND slot_start < $4 \
           AND state <> 'free' \
           AND (state = 'booked' OR hold_expires_at > $5)",
    )
    .bind(sede)
    .bind(counter)
    .bind(from)
    .bind(to)
    .bind(now)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(t,)| t).collect())
}

/// A booking with the names of its sede and counter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, ToSchema)]
pub struct BookingRow {
    pub booking_id: Uuid,
    /// The booking code to show at the sede.
    pub code: String,
    pub sede_code: String,
    pub sede_name: Option<String>,
    pub sede_address: Option<String>,
    pub counter_type: String,
    pub counter_name: Option<String>,
    pub slot_start: DateTime<Utc>,
    pub slot_end: DateTime<Utc>,
    /// `citizen` or `request`.
    pub booker_kind: String,
    pub codice_fiscale: Option<String>,
    pub authenticated: bool,
    pub request_id: Option<Uuid>,
    pub protocol: Option<String>,
    pub booked_by: Option<String>,
    pub patronato: Option<String>,
    pub office: Option<String>,
    /// `in_presenza`, `ricontatto_telefonico`, `web_meeting`.
    pub mode: Option<String>,
    pub reason: Option<String>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    /// The service chosen ("Scegli il servizio richiesto"), when one was.
    pub service_code: Option<String>,
    pub service_name: Option<String>,
    /// `confirmed` or `cancelled`.
    pub status: String,
    pub confirmed_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancelled_side: Option<String>,
    pub cancel_reason: Option<String>,
}

const COLUMNS: &str = "b.booking_id, b.code, b.sede_code, s.name AS sede_name, \
    s.address AS sede_address, b.counter_type, c.name AS counter_name, b.slot_start, \
    b.slot_end, b.booker_kind, b.codice_fiscale, b.authenticated, b.request_id, b.protocol, \
    b.booked_by, b.patronato, b.office, b.mode, b.reason, b.mobile, b.email, b.service_code, b.service_name, b.status, \
    b.confirmed_at, b.cancelled_at, b.cancelled_side, b.cancel_reason";

const FROM: &str = "FROM bookings b \
    LEFT JOIN ref_sedi s ON s.code = b.sede_code \
    LEFT JOIN ref_counters c ON c.sede_code = b.sede_code AND c.counter_type = b.counter_type";

pub async fn get_booking(
    pool: &PgPool,
    booking_id: Uuid,
) -> Result<Option<BookingRow>, ProjectionError> {
    let sql = format!("SELECT {COLUMNS} {FROM} WHERE b.booking_id = $1");
    Ok(sqlx::query_as(&sql)
        .bind(booking_id)
        .fetch_optional(pool)
        .await?)
}

/// The bookings of the citizen with pseudonym `citizen` (under any omocodia
/// variant of the code), soonest first: the active ones (confirmed and not
/// over at `now`), or, with `all`, every one including cancelled and past.
pub async fn list_citizen_bookings(
    pool: &PgPool,
    citizen: &str,
    all: bool,
    now: DateTime<Utc>,
) -> Result<Vec<BookingRow>, ProjectionError> {
    let sql = format!(
        "SELECT {COLUMNS} {FROM} WHERE b.citizen_pseudonym = $1 \
           AND ($2 OR (b.status = 'confirmed' AND b.slot_end > $3)) \
         ORDER BY b.slot_start, b.booking_id LIMIT 500"
    );
    Ok(sqlx::query_as(&sql)
        .bind(citizen)
        .bind(all)
        .bind(now)
        .fetch_all(pool)
        .await?)
}

/// Every booking of the citizen with pseudonym `citizen`, cancelled and
/// past ones too: the citizen's copy (GDPR art. 15).
pub async fn list_bookings_of_citizen(
    pool: &PgPool,
    citizen: &str,
) -> Result<Vec<BookingRow>, ProjectionError> {
    let sql = format!(
        "SELECT {COLUMNS} {FROM} WHERE b.citizen_pseudonym = $1 \
         ORDER BY b.slot_start, b.booking_id"
    );
    Ok(sqlx::query_as(&sql).bind(citizen).fetch_all(pool).await?)
}

/// A sede's agenda in `[from, to)`: confirmed bookings (and, with
/// `cancelled`, the cancelled ones), by time.
pub async fn list_sede_bookings(
    pool: &PgPool,
    sede: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    cancelled: bool,
) -> Result<Vec<BookingRow>, ProjectionError> {
    let sql = format!(
        "SELECT {COLUMNS} {FROM} WHERE b.sede_code = $1 AND b.slot_start >= $2 \
           AND b.slot_start < $3 AND ($4 OR b.status = 'confirmed') \
         ORDER BY b.slot_start, b.counter_type, b.booking_id LIMIT 2000"
    );
    Ok(sqlx::query_as(&sql)
        .bind(sede)
        .bind(from)
        .bind(to)
        .bind(cancelled)
        .fetch_all(pool)
        .await?)
}
