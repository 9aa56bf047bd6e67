//! A request's state as of an instant or a version, and the hash-chain
//! verification.

use super::*;
use crate::access::{self, Purpose};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use domain::ids::RequestId;
use domain::request::Request;
use serde::{Deserialize, Serialize};
use serde_json::json;
use store::audit::{self};
use store::verify::{self, Verification};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StateParams {
    /// The state after the events recorded at or before this instant (RFC 3339).
    pub as_of: Option<DateTime<Utc>>,
    /// The state after the first `version` events. Neither this nor `as_of`:
    /// the state of today.
    pub version: Option<u64>,
}

/// A request rebuilt from its first events.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestStateView {
    pub request_id: Uuid,
    /// Events folded (the stream version of the state).
    pub version: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<DateTime<Utc>>,
    /// Recorded time of the last event folded.
    pub last_event_at: DateTime<Utc>,
    /// e.g. `inoltrata`, `risposta_ricevuta`.
    pub status: Option<String>,
    pub status_label: Option<String>,
    /// The aggregate as the domain folds it (domain::request::Request).
    #[schema(value_type = Object)]
    pub state: Request,
}

#[utoipa::path(get, path = "/api/v1/audit/requests/{id}/state", operation_id = "getRequestStateAsOf", tag = "audit",
    security(("bearer" = [])),
    params(("id" = Uuid, Path), StateParams),
    responses((status = 200, body = RequestStateView),
        (status = 400, body = crate::error::Problem, description = "both as_of and version (neither: today's state)"),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem, description = "no such request, or not yet at that instant/version")))]
pub async fn get_request_state_as_of(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(params): ApiQuery<StateParams>,
    purpose: Purpose,
) -> Result<Json<RequestStateView>, ApiError> {
    let who = auditor(&actor)?;
    let id = RequestId(id);
    if params.as_of.is_some() && params.version.is_some() {
        return Err(ApiError::bad_request(
            "invalid_query",
            "Indicare uno solo tra as_of e version (nessuno dei due: lo stato di oggi)",
        ));
    }
    record(
        &app,
        who,
        json!({"operation": "getRequestStateAsOf", "request_id": id, "parameters": params}),
    )
    .await?;
    // Neither an instant nor a version: today's state (decision E5).
    let until = match (params.version, params.as_of) {
        (Some(v), _) => Some(v),
        (None, Some(at)) => Some(
            audit::version_at(&app.pool, &id.stream_id(), at)
                .await
                .map_err(ApiError::internal)?,
        ),
        (None, None) => None,
    };
    if until == Some(0) {
        return Err(ApiError::NotFound);
    }
    let (state, _) = commands::requests::load(&app.pool, id, until).await?;
    access::log_reads(
        &app,
        &actor,
        &access::request_subjects(&app, &state),
        "getRequestStateAsOf",
        Some(id.stream_id()),
        &purpose,
    )
    .await?;
    // A version beyond the stream's end names a state that never existed.
    if !state.exists() || (params.version.is_some() && until.is_some_and(|v| state.version < v)) {
        return Err(ApiError::NotFound);
    }
    let last = audit::stream_events(
        &app.pool,
        &id.stream_id(),
        i32::try_from(state.version).unwrap_or(i32::MAX) - 1,
        1,
    )
    .await
    .map_err(ApiError::internal)?;
    Ok(Json(RequestStateView {
        request_id: id.0,
        version: state.version,
        as_of: params.as_of,
        last_event_at: last
            .first()
            .map(|e| e.recorded_at)
            .ok_or(ApiError::NotFound)?,
        status: state.status.map(|s| s.as_str().to_string()),
        status_label: state.status.map(|s| s.label().to_string()),
        state,
    }))
}

#[derive(Debug, Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VerifyParams {
    /// One stream; the whole log when absent.
    pub stream_id: Option<String>,
}

/// The first link of the chain that does not hold.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = BrokenLink)]
pub struct BrokenLinkDoc {
    pub position: i64,
    pub stream_id: String,
    pub version: i32,
    /// `version_gap`, `prev_hash_mismatch` or `hash_mismatch`.
    pub reason: String,
}

/// The outcome of a hash-chain verification.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = HashChainVerification)]
pub struct VerificationDoc {
    pub ok: bool,
    pub events_checked: u64,
    pub streams_checked: u64,
    /// The broken link with the lowest global position, or null.
    pub first_broken: Option<BrokenLinkDoc>,
    pub broken_links: u64,
}

#[utoipa::path(get, path = "/api/v1/audit/verify", operation_id = "verifyHashChain", tag = "audit",
    security(("bearer" = [])),
    params(VerifyParams),
    responses((status = 200, body = VerificationDoc),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem, description = "no such stream")))]
pub async fn verify_hash_chain(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiQuery(params): ApiQuery<VerifyParams>,
) -> Result<Json<Verification>, ApiError> {
    let who = auditor(&actor)?;
    record(
        &app,
        who,
        json!({"operation": "verifyHashChain", "parameters": params}),
    )
    .await?;
    let result = match params.stream_id.as_deref().map(str::trim) {
        Some(stream) if !stream.is_empty() => verify::verify_stream(&app.pool, stream)
            .await
            .map_err(ApiError::internal)?
            .ok_or(ApiError::NotFound)?,
        _ => verify::verify_log(&app.pool)
            .await
            .map_err(ApiError::internal)?,
    };
    if !result.ok {
        tracing::error!(first_broken = ?result.first_broken, broken = result.broken_links,
            "hash chain verification found broken links");
    }
    Ok(Json(result))
}
