//! Idempotency keys: the first successful answer to `(actor, key)` is stored in
//! the same transaction as the events, and replayed for every later use of the
//! key with the same input.

use super::StoreError;
use sqlx::{PgConnection, PgExecutor};

/// The answer recorded for a key, and the fingerprint of the input that made it.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub fingerprint: Vec<u8>,
    pub response: serde_json::Value,
}

pub async fn find(
    db: impl PgExecutor<'_>,
    actor_id: &str,
    key: &str,
) -> Result<Option<Recorded>, StoreError> {
    let row: Option<(Vec<u8>, serde_json::Value)> = sqlx::query_as(
        "SELECT fingerprint, response FROM idempotency_keys WHERE actor_id = $1 AND key = $2",
    )
    .bind(actor_id)
    .bind(key)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(fingerprint, response)| Recorded {
        fingerprint,
        response,
    }))
}

/// Records the answer; a concurrent command that recorded the same key first
/// makes this fail with [`StoreError::IdempotencyRace`] (roll back and replay).
pub async fn record(
    conn: &mut PgConnection,
    actor_id: &str,
    key: &str,
    fingerprint: &[u8],
    response: &serde_json::Value,
) -> Result<(), StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (actor_id, key, fingerprint, response) \
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(actor_id)
    .bind(key)
    .bind(fingerprint)
    .bind(response)
    .execute(conn)
    .await?
    .rows_affected();
    if inserted == 1 {
        Ok(())
    } else {
        Err(StoreError::IdempotencyRace)
    }
}
