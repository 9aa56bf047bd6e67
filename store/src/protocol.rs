//! Protocol numbers: one counter row per sede and year, incremented in the
//! transaction that appends the request. The row lock orders concurrent
//! creations; a rolled-back command gives its number back.

use super::StoreError;
use domain::ids::{ProtocolNumber, SedeCode};
use sqlx::PgConnection;

pub async fn allocate(
    conn: &mut PgConnection,
    sede: &SedeCode,
    year: i32,
) -> Result<ProtocolNumber, StoreError> {
    let last: i32 = sqlx::query_scalar(
        "INSERT INTO protocol_counters (sede, year, last) VALUES ($1, $2, 1) \
         ON CONFLICT (sede, year) DO UPDATE SET last = protocol_counters.last + 1 \
         RETURNING last",
    )
    .bind(sede.as_str())
    .bind(year)
    .fetch_one(conn)
    .await?;
    Ok(ProtocolNumber::new(sede, year, last as u32))
}
