//! `GET /api/v1/config`: what the web app needs before anyone signs in —
//! how to reach the identity provider, and whether the demo sign-in is on.
//! No token: the Accesso page reads it.

use crate::oidc::BrowserSignIn;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/config", get(get_config))
}

/// The service's sign-in options.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientConfig {
    /// The identity provider (authorization code with PKCE); absent when
    /// OpenID Connect is not configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oidc: Option<BrowserSignIn>,
    /// Whether the demo users' sign-in (`/api/v1/dev/…`) is on.
    pub dev_login: bool,
}

#[utoipa::path(get, path = "/api/v1/config", operation_id = "getClientConfig", tag = "session",
    description = "Public: how the web app signs users in (no token).",
    responses((status = 200, body = ClientConfig)))]
pub async fn get_config(State(app): State<AppState>) -> Json<ClientConfig> {
    Json(ClientConfig {
        oidc: app.browser_sign_in.clone(),
        dev_login: app.dev_login,
    })
}
