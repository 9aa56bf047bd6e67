//! The `Idempotency-Key` header, the same for every command: 1–200
//! characters, fingerprinted with the operation, its target and its input
//! (`commands::convention::IdempotencyKey`).

use crate::error::ApiError;
use axum::http::HeaderMap;
use commands::convention::IdempotencyKey;
use serde::Serialize;

/// The key sent with a command, if any, and the fingerprint of what it came with.
pub fn key(
    headers: &HeaderMap,
    operation: &str,
    target: &str,
    input: &impl Serialize,
) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(raw) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = raw
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 200)
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_idempotency_key",
                "L'intestazione Idempotency-Key deve essere un testo di 1–200 caratteri",
            )
        })?;
    Ok(Some(IdempotencyKey::fingerprinted(
        key, operation, target, input,
    )))
}
