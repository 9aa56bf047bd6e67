//! Role guards: extractors that refuse a caller whose role can never perform
//! the operation, before the body is read or validated (issue 23, item 9).
//! A role that may act is still checked by the domain against the target.

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use domain::actor::Actor;
use domain::request::RuleViolation;

/// A patronato user (operator, administrator, regional referent).
pub struct PatronatoCaller(pub Actor);

/// An officer of a sede.
pub struct SedeCaller(pub Actor);

/// The service's administrator (`system_admin`).
pub struct SystemAdminCaller(pub Actor);

async fn actor(parts: &mut Parts, state: &AppState) -> Result<Actor, ApiError> {
    Ok(AuthUser::from_request_parts(parts, state).await?.0)
}

impl FromRequestParts<AppState> for PatronatoCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match actor(parts, state).await? {
            a @ Actor::Patronato(_) => Ok(PatronatoCaller(a)),
            _ => Err(ApiError::Rule(RuleViolation::NotAllowedForRole)),
        }
    }
}

impl FromRequestParts<AppState> for SedeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match actor(parts, state).await? {
            a @ Actor::Sede(_) => Ok(SedeCaller(a)),
            _ => Err(ApiError::Rule(RuleViolation::NotAllowedForRole)),
        }
    }
}

impl FromRequestParts<AppState> for SystemAdminCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match actor(parts, state).await? {
            a @ Actor::SystemAdmin { .. } => Ok(SystemAdminCaller(a)),
            _ => Err(ApiError::Forbidden),
        }
    }
}
