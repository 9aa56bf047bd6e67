//! The web app, served from the same origin as the API (no CORS).
//!
//! Hashed `/assets/*` are cacheable forever; every other path that is not a
//! file answers `index.html`, never cached, so that deep links (`/storico/…`)
//! open the app; unknown `/api/…` paths stay problem+json 404s. Every answer
//! here carries a strict Content-Security-Policy and the usual security
//! headers. Text files are answered from the gzip the build made beside
//! them when the browser accepts it.

use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

/// Scripts, styles, fonts and data only from our origin; no framing, no
/// plugins, forms post only to us.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
    frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'";

/// The policy of the app's pages: [`CONTENT_SECURITY_POLICY`], and when the
/// web app signs in with the identity provider, its origin in `connect-src`
/// (discovery, token exchange) and nothing else.
pub fn content_security_policy(provider_origin: Option<&str>) -> String {
    match provider_origin {
        Some(origin) => CONTENT_SECURITY_POLICY.replacen(
            "connect-src 'self'",
            &format!("connect-src 'self' {origin}"),
            1,
        ),
        None => CONTENT_SECURITY_POLICY.to_string(),
    }
}

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// Paths the web app never answers: the API and the service's own endpoints.
fn is_service_path(path: &str) -> bool {
    ["/api", "/metrics", "/healthz", "/readyz"]
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
}

/// The router's fallback: the web app where one is configured, else 404.
pub async fn fallback(State(app): State<AppState>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let Some(dir) = app.web_dir.clone() else {
        return ApiError::NotFound.into_response();
    };
    if is_service_path(&path) {
        return ApiError::NotFound.into_response();
    }
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return ApiError::MethodNotAllowed.into_response();
    }
    let last = path.rsplit('/').next().unwrap_or("");
    let looks_like_file = last.contains('.');
    if looks_like_file {
        let served = ServeDir::new(&dir)
            .append_index_html_on_directories(false)
            .precompressed_gzip()
            .oneshot(req)
            .await;
        let Ok(res) = served;
        if res.status() == StatusCode::NOT_FOUND {
            return ApiError::NotFound.into_response();
        }
        let cache = if path.starts_with("/assets/") {
            IMMUTABLE
        } else {
            REVALIDATE
        };
        return secured(&app, res.map(Body::new), cache);
    }
    let Ok(res) = ServeFile::new(dir.join("index.html"))
        .precompressed_gzip()
        .oneshot(req)
        .await;
    if res.status() == StatusCode::NOT_FOUND {
        tracing::error!(dir = %dir.display(), "web app configured but index.html missing");
        return ApiError::NotFound.into_response();
    }
    secured(&app, res.map(Body::new), REVALIDATE)
}

fn secured(app: &AppState, mut res: Response, cache: &'static str) -> Response {
    let headers = res.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    // The build ships a gzip beside each text file (scripts/web.sh build).
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    let provider = app.browser_sign_in.as_ref().map(|s| s.origin.as_str());
    add_security_headers(headers, &content_security_policy(provider));
    res
}

/// The headers every page and asset of the app carries.
pub fn add_security_headers(headers: &mut HeaderMap, csp: &str) {
    let set = |headers: &mut HeaderMap, name: &'static str, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    // An origin is ASCII by construction; the strict policy if it ever is not.
    let csp =
        HeaderValue::from_str(csp).unwrap_or(HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert("content-security-policy", csp);
    set(headers, "x-content-type-options", "nosniff");
    set(headers, "x-frame-options", "DENY");
    set(headers, "referrer-policy", "no-referrer");
    set(headers, "cross-origin-opener-policy", "same-origin");
    set(headers, "cross-origin-resource-policy", "same-origin");
    set(
        headers,
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    );
}
