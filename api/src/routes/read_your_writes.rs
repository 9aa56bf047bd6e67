//! Read-your-writes: which pool answers a query once the read models have
//! applied the caller's last write.

use crate::error::ApiError;
use crate::state::AppState;
use axum::http::HeaderMap;
use sqlx::PgPool;

/// Read-your-writes: the pool to read from once the read models have applied
/// the event at `min_position` (from a command's answer). The read replica is
/// preferred; if it has not caught up within `replica_wait` the primary answers;
/// if neither has within `read_wait`, 503 `read_model_lagging`. A position
/// that is not in the log (≤ 0, beyond its head, never written) is a 400
/// `invalid_min_position` at once: only a command's answer names one. The
/// wait itself queries nothing: it watches the checkpoints that one task per
/// process reads ([`projections::wait::CheckpointWatch`]).
pub async fn reader<'a>(
    app: &'a AppState,
    headers: &HeaderMap,
    min_position: Option<i64>,
    projections: &[&str],
) -> Result<&'a PgPool, ApiError> {
    let from_header = headers
        .get("x-min-position")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().parse::<i64>())
        .transpose()
        .map_err(|_| {
            ApiError::bad_request(
                "invalid_min_position",
                "X-Min-Position deve essere un numero intero",
            )
        })?;
    let Some(position) = min_position.or(from_header) else {
        return Ok(&app.read_pool);
    };
    let unknown = || {
        ApiError::bad_request(
            "invalid_min_position",
            format!(
                "min_position {position} non corrisponde a nessun evento registrato: \
                 usare la posizione restituita da un comando"
            ),
        )
    };
    if position <= 0 {
        return Err(unknown());
    }
    // The primary has every committed event: absent there, absent for good.
    let target = store::log::position_of(&app.pool, position)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(unknown)?;
    if !app.has_read_replica() {
        return match app
            .checkpoints
            .wait(projections, target, app.limits.read_wait)
            .await
        {
            true => Ok(&app.pool),
            false => Err(ApiError::Lagging),
        };
    }
    if app
        .read_checkpoints
        .wait(projections, target, app.limits.replica_wait)
        .await
    {
        return Ok(&app.read_pool);
    }
    let rest = app.limits.read_wait.saturating_sub(app.limits.replica_wait);
    match app.checkpoints.wait(projections, target, rest).await {
        true => Ok(&app.pool),
        false => Err(ApiError::Lagging),
    }
}

/// For a command that finds its target through a read model (an officer
/// cancelling from the agenda): the primary, once the projections have applied
/// everything committed before this call, so that a write the caller has just
/// seen elsewhere is never reported missing. 503 `read_model_lagging` past
/// `read_wait`.
pub async fn caught_up<'a>(
    app: &'a AppState,
    projections: &[&str],
) -> Result<&'a PgPool, ApiError> {
    let end = projections::checkpoint::log_end(&app.pool)
        .await
        .map_err(ApiError::internal)?;
    let Some(end) = end else {
        return Ok(&app.pool);
    };
    match app
        .checkpoints
        .wait(projections, end, app.limits.read_wait)
        .await
    {
        true => Ok(&app.pool),
        false => Err(ApiError::Lagging),
    }
}
