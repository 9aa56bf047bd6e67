//! A request checked without sending it: the wizard shows a refusal at the
//! step that causes it (the practice reference of fig. 10 and 11) and, before
//! "Invia", the sede the request would go to and why.

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::routes::reference::SedeView;
use crate::routes::requests::CreateRequestBody;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use commands::requests::RoutingBasis;
use serde::Serialize;
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/requests/check", post(check_request))
}

/// Where the request would go, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestCheck {
    /// The sede the request would be sent to (the chosen one, else the proposed one).
    pub destination: SedeView,
    /// The sede routing proposes (the destination unless another was chosen).
    pub proposed_sede: Option<String>,
    /// `cap` (the citizen's postcode and the topic) or `cric` (a regional
    /// referent's own request: the region's CRIC).
    pub basis: String,
    /// The citizen's postcode, when the proposal rests on it.
    pub cap: Option<String>,
    /// Why, in Italian, for the screen.
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/requests/check", operation_id = "checkRequest", tag = "requests",
    description = "Every rule of `createRequest` on the same body, writing nothing: 200 when the \
        request could be sent now, else the same problem `createRequest` would answer.",
    security(("bearer" = [])),
    request_body = CreateRequestBody,
    responses(
        (status = 200, body = RequestCheck),
        (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json", description = "not_allowed_for_role"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json", description = "the codes of createRequest")))]
pub async fn check_request(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiJson(body): ApiJson<CreateRequestBody>,
) -> Result<Json<RequestCheck>, ApiError> {
    actor.patronato_user().ok_or(ApiError::Rule(
        domain::request::RuleViolation::NotAllowedForRole,
    ))?;
    let input = body.parse()?;
    let ctx = app.context(actor, None);
    let checked = app.requests.check(&ctx, input).await?;
    let sede = reference::get_sede(&app.pool, checked.destination.as_str())
        .await
        .map_err(ApiError::internal)?
        .ok_or(ApiError::internal("destination without a sede"))?;
    let proposed = checked.suggested.as_ref().map(|s| s.to_string());
    let chosen_other = proposed.as_deref() != Some(sede.code.as_str());
    let (basis, cap, reason) = match &checked.basis {
        RoutingBasis::CitizenCap(cap) => (
            "cap",
            Some(cap.to_string()),
            format!(
                "Sede competente per il CAP {cap} di residenza del cittadino e per la tematica scelta"
            ),
        ),
        RoutingBasis::RegionalCric => (
            "cric",
            None,
            "Struttura CRIC della regione del referente, competente per le richieste del referente regionale".to_string(),
        ),
    };
    let reason = if chosen_other {
        format!("Sede scelta dall'operatore al posto di quella proposta. {reason}")
    } else {
        reason
    };
    Ok(Json(RequestCheck {
        destination: SedeView::from(sede),
        proposed_sede: proposed,
        basis: basis.to_string(),
        cap,
        reason,
    }))
}
