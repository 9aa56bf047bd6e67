//! The sede inbox's bucket counts, and the scope rule every inbox read
//! shares: only an officer of that sede, anyone else 404 (logged).

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::routes::queries::{reader, ReadParams};
use crate::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use domain::actor::Actor;
use domain::ids::SedeCode;
use projections::requests::{self as read, InboxCounts};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/sedi/{sede}/inbox/counts", get(get_inbox_counts))
}

/// The sede of the path if the caller is one of its officers, else 404 as if
/// it did not exist (R12).
pub(crate) fn own_sede(actor: &Actor, raw: &str) -> Result<SedeCode, ApiError> {
    let sede = SedeCode::parse(raw).map_err(|_| ApiError::NotFound)?;
    match domain::access::officer_of(actor, &sede) {
        Ok(_) => Ok(sede),
        Err(_) => {
            tracing::warn!(actor = %actor.id(), %sede, "inbox outside scope refused as not found");
            Err(ApiError::NotFound)
        }
    }
}

/// How many requests are in each bucket of the inbox now (the service's
/// clock decides "overdue"), whatever the list's filters (decision E1).
#[utoipa::path(get, path = "/api/v1/sedi/{sede}/inbox/counts", operation_id = "getSedeInboxCounts", tag = "queries",
    security(("bearer" = [])),
    params(("sede" = String, Path), ReadParams),
    responses((status = 200, body = InboxCounts),
        (status = 400, body = crate::error::Problem, description = "invalid_min_position"),
        (status = 404, body = crate::error::Problem),
        (status = 503, body = crate::error::Problem, description = "read_model_lagging")))]
pub async fn get_inbox_counts(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(sede): ApiPath<String>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<ReadParams>,
) -> Result<Json<InboxCounts>, ApiError> {
    let sede = own_sede(&actor, &sede)?;
    let db = reader(&app, &headers, params.min_position, &[read::NAME]).await?;
    let counts = read::inbox_counts(db, &sede, app.clock.now())
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(counts))
}
