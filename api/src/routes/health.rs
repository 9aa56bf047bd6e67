use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use sha2::{Digest, Sha256};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route(
            "/metrics",
            get(
                |State(app): State<AppState>, headers: HeaderMap| async move {
                    if app.limits.metrics_separate {
                        return Err(ApiError::NotFound);
                    }
                    metrics(State(app), headers).await
                },
            ),
        )
}

/// The process is up.
async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// The database answers and the schema is migrated.
async fn readyz(State(app): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let migrated: Option<i64> =
        sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(&app.pool)
            .await
            .map_err(|_| ApiError::Unavailable)?;
    match migrated {
        Some(v) => Ok(Json(json!({"status": "ready", "schema_version": v}))),
        None => Err(ApiError::Unavailable),
    }
}

/// Prometheus metrics. Open by default (a private port is the usual setup);
/// with `COMBIPAT_METRICS_TOKEN` a bearer token is required, and with
/// `COMBIPAT_METRICS_ADDR` they are served only on that address (H11).
pub async fn metrics(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    if let Some(token) = &app.limits.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim());
        let Some(given) = given else {
            return Err(ApiError::Unauthenticated {
                code: "token_missing",
            });
        };
        // Digests compared, so the time taken says nothing about the token.
        if Sha256::digest(given.as_bytes()) != Sha256::digest(token.0.as_bytes()) {
            return Err(ApiError::Unauthenticated {
                code: "token_invalid",
            });
        }
    }
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.metrics.render(),
    ))
}
