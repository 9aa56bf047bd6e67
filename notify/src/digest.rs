//! The daily digest of overdue requests to each sede: time-driven, on the
//! service clock (so the manual clock moves it). Once per Rome day, from
//! 08:00 Europe/Rome on, one notification per officer of each sede with
//! requests awaiting a reply for longer than the 15-day standard. The day's
//! row in `notification_digest_runs` makes it once, whoever plans it.

use crate::plan::Kind;
use crate::render::DigestItem;
use crate::sender::AddressBook;
use chrono::{DateTime, NaiveDate, Timelike, Utc};
use chrono_tz::Europe::Rome;
use domain::time::standard_response_time;
use serde_json::json;
use sqlx::PgPool;
use std::collections::BTreeMap;

/// The Rome hour from which a day's digest goes out.
pub const DIGEST_HOUR: u32 = 8;
/// Overdue requests listed by protocol in one digest (the count is complete).
const LISTED: usize = 50;

/// The Rome day whose digest is due at `now`, if its hour has come.
pub fn digest_day(now: DateTime<Utc>) -> Option<NaiveDate> {
    let local = now.with_timezone(&Rome);
    (local.hour() >= DIGEST_HOUR).then(|| local.date_naive())
}

/// Plans today's digests if due and not planned yet; once it has looked
/// successfully, not again the same Rome day in this process (`last_look`).
pub async fn plan_if_due(
    pool: &PgPool,
    now: DateTime<Utc>,
    addresses: &dyn AddressBook,
    last_look: &mut Option<NaiveDate>,
) -> sqlx::Result<usize> {
    let Some(day) = digest_day(now) else {
        return Ok(0);
    };
    if *last_look == Some(day) {
        return Ok(0);
    }
    let mut tx = pool.begin().await?;
    let first = sqlx::query(
        "INSERT INTO notification_digest_runs (day) VALUES ($1) ON CONFLICT (day) DO NOTHING",
    )
    .bind(day)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !first {
        *last_look = Some(day);
        return Ok(0);
    }
    let rows: Vec<(String, String, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT current_sede, protocol, subject, awaiting_reply_since FROM request_summary \
         WHERE closed_at IS NULL AND awaiting_reply_since < $1 \
         ORDER BY current_sede, awaiting_reply_since",
    )
    .bind(now - standard_response_time())
    .fetch_all(&mut *tx)
    .await?;
    let mut by_sede: BTreeMap<String, Vec<DigestItem>> = BTreeMap::new();
    for (sede, protocol, subject, since) in rows {
        by_sede.entry(sede).or_default().push(DigestItem {
            protocol,
            subject,
            since: since.with_timezone(&Rome).format("%d/%m/%Y").to_string(),
        });
    }
    let mut planned = 0;
    for (sede, items) in by_sede {
        let count = items.len();
        let listed: Vec<_> = items.into_iter().take(LISTED).collect();
        for officer in addresses.officers_of(&sede) {
            let id = format!("digest:{day}:{sede}:user:{officer}");
            planned += sqlx::query(
                "INSERT INTO notification_outbox \
                   (id, kind, recipient_kind, recipient_user, sede_code, details, cause_position, due_at) \
                 VALUES ($1, $2, 'user', $3, $4, $5, 0, $6) ON CONFLICT (id) DO NOTHING",
            )
            .bind(&id)
            .bind(Kind::OverdueDigest.as_str())
            .bind(&officer)
            .bind(&sede)
            .bind(json!({ "count": count, "items": listed }))
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected() as usize;
        }
    }
    tx.commit().await?;
    // Only now: a failure above (the database busy) is tried again soon.
    *last_look = Some(day);
    Ok(planned)
}
