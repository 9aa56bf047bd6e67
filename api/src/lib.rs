//! # Layout
//! The HTTP face of combipat and its binary.
//!
//! - [`app`]: builds the whole router from an [`AppState`], so tests can serve it on port 0.
//! - `routes/`: one module per resource; handlers extract, call, map.
//! - [`error`]: the one place where errors become HTTP status codes (problem+json).
//! - [`auth`]: bearer JWT → domain `Actor`.
//! - [`extract`]: JSON/query/path extractors whose rejections are problem+json.
//! - [`openapi`]: the OpenAPI document (`/api/openapi.json`, also in `docs/openapi.json`).
//! - [`metrics`]: Prometheus metrics by matched route.
//! - [`cli`]: the `combipat` command (serve, migrate, seed, token, rebuild, ...).

pub mod access;
pub mod auth;
pub mod cli;
pub mod cursor;
pub mod demo;
pub mod directory;
pub mod error;
pub mod extract;
pub mod guard;
pub mod headers;
pub mod idempotency;
pub mod links;
pub mod master_key;
pub mod metrics;
pub mod notifications;
pub mod oidc;
pub mod openapi;
pub mod openapi_honest;
pub mod paging;
pub mod pseudonym_key;
pub mod retention_cli;
pub mod routes;
pub mod secret;
pub mod state;
pub mod text;
pub mod web;

pub use state::{AppState, Limits, MetricsToken};

use axum::http::HeaderName;
use axum::Router;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// `/metrics` alone, for its own listener (`COMBIPAT_METRICS_ADDR`).
pub fn metrics_app(state: AppState) -> Router {
    Router::new()
        .route("/metrics", axum::routing::get(routes::health::metrics))
        .fallback(|| async { error::ApiError::NotFound })
        .layer(axum::middleware::from_fn(headers::defaults))
        .with_state(state)
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let max = state.limits.max_attachment_bytes;
    Router::new()
        .route(
            "/api/v1/requests",
            routes::requests::create_route().merge(routes::queries::list_route()),
        )
        .merge(routes::queries::router())
        .merge(routes::sede_inbox::router())
        .merge(routes::reference::router())
        .merge(routes::places::router())
        .merge(routes::codice_fiscale::router())
        .merge(routes::requests::router(max))
        .merge(routes::uploads::router(max))
        .merge(routes::admin::router())
        .merge(routes::clock::router())
        .merge(routes::statistics::router())
        .merge(routes::audit::router())
        .merge(routes::access_log::router())
        .merge(routes::privacy::router())
        .merge(routes::subject_copy::router())
        .merge(routes::summary::router())
        .merge(routes::bookings::router())
        .merge(routes::notifications::router())
        .merge(routes::health::router())
        .merge(routes::session::router())
        .merge(routes::config::router())
        .merge(routes::check::router())
        .merge(openapi::router())
        .fallback(web::fallback)
        .method_not_allowed_fallback(|| async { error::ApiError::MethodNotAllowed })
        .layer(axum::middleware::from_fn_with_state(
            std::sync::Arc::new(tokio::sync::Semaphore::new(state.limits.max_in_flight)),
            metrics::shed,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::track,
        ))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("http", method = %req.method(), uri = %req.uri().path(), request_id = %id)
            }),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        // --- Hardening (issue 23): headers of every answer; a client's request
        // id checked before the layers above keep it.
        .layer(axum::middleware::from_fn(headers::defaults))
        .layer(axum::middleware::from_fn(headers::sanitize_request_id))
        // ---
        .with_state(state)
}
