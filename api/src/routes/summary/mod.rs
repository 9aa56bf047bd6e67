//! "Stampa riepilogo" (SPEC §2.5): a print-ready HTML page of one request —
//! protocol number, opening date, citizen, attachments and the full timeline.
//! Scoped like `getRequest` (out of scope ⇒ 404). Rendered from the request's
//! event stream, the record itself (no read-model lag); every value is
//! HTML-escaped.

use crate::access::{self, Purpose};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::ApiPath;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use domain::ids::RequestId;
use domain::request::RequestEvent;
use uuid::Uuid;

mod html;

pub use html::{escape, render};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/requests/{id}/summary", get(get_printable_summary))
}

#[utoipa::path(get, path = "/api/v1/requests/{id}/summary", operation_id = "getPrintableSummary", tag = "queries",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "Print-ready HTML page (Stampa riepilogo)", content_type = "text/html"),
        (status = 404, body = crate::error::Problem)))]
pub async fn get_printable_summary(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    purpose: Purpose,
) -> Result<Response, ApiError> {
    let id = RequestId(id);
    let state = app.requests.state(id, &actor, None).await?;
    access::record_request_read(&app, &actor, &state, "getPrintableSummary", &purpose).await?;
    let stream = store::load_stream(
        &app.pool,
        &id.stream_id(),
        commands::requests::STREAM_TYPE,
        Some(state.version),
    )
    .await
    .map_err(ApiError::internal)?;
    let mut events = Vec::with_capacity(stream.events.len());
    for e in &stream.events {
        events.push(e.decode::<RequestEvent>().map_err(ApiError::internal)?);
    }
    let mut codes: Vec<String> = events.iter().flat_map(sedi_of).collect();
    codes.sort();
    codes.dedup();
    let names = projections::statistics::sede_names(&app.pool, &codes)
        .await
        .map_err(ApiError::internal)?;
    let html = render(&state, &events, &names, app.clock.now());
    let mut res = html.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; \
             base-uri 'none'; form-action 'none'",
        ),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    Ok(res)
}

fn sedi_of(e: &RequestEvent) -> Vec<String> {
    match e {
        RequestEvent::RequestSent(s) => vec![s.destination.as_str().to_string()],
        RequestEvent::ForwardedToSede { from, to, .. } => {
            vec![from.as_str().to_string(), to.as_str().to_string()]
        }
        RequestEvent::TakenInCharge { sede, .. }
        | RequestEvent::ReplyReceived { sede, .. }
        | RequestEvent::AppointmentEnabled { sede, .. }
        | RequestEvent::ConversationClosed { sede, .. } => vec![sede.as_str().to_string()],
        RequestEvent::AppointmentBooked { slot, .. } => vec![slot.sede.as_str().to_string()],
        _ => vec![],
    }
}

/// Text made safe for HTML element content and attribute values.
#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
    }
}
