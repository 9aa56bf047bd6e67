//! One request: its detail with the next actions, its timeline, its
//! attachments. Out-of-scope requests are 404.

use super::queries::*;
use crate::access::{self, Purpose};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::routes::timeline_view::{timeline_items, TimelineItem};
use crate::routes::views::{
    appointment_view, attachment_views, sede_name, AppointmentView, AttachmentView,
};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use domain::actor::Actor;
use domain::ids::RequestId;
use domain::request::ActionAvailability;
use projections::requests::{self as read, RequestRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReadParams {
    /// Wait until the read models include this global position.
    pub min_position: Option<i64>,
}

/// A request's detail: summary, attachments, and what the caller may do next.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestDetail {
    pub request: RequestRow,
    pub current_sede_name: String,
    pub origin_sede_name: String,
    /// The sending patronato and its office by name (the code when unknown).
    pub patronato_name: String,
    pub office_name: String,
    /// Who took the request in charge, by name (the user id when unknown).
    pub in_charge_by_name: Option<String>,
    pub status_label: String,
    pub attachments: Vec<AttachmentView>,
    /// The appointment booked on the request and not cancelled, if any.
    pub appointment: Option<AppointmentView>,
    /// Follow-up messages still allowed after the first reply (of 2).
    pub interactions_left: u8,
    pub next_actions: Vec<NextAction>,
}

/// One action and whether the caller may do it now.
#[derive(Debug, Serialize, ToSchema)]
pub struct NextAction {
    /// `add_attachment`, `remove_attachment`, `send_message`, `send_sollecito`,
    /// `book_appointment`, `take_in_charge`, `reply`, `forward`, `enable_appointment`, `close`.
    pub action: String,
    pub allowed: bool,
    /// The rule's code when not allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Why not (Italian), or a note such as "interazioni residue: 1 di 2".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// When waiting will make it allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_from: Option<DateTime<Utc>>,
}

impl From<ActionAvailability> for NextAction {
    fn from(a: ActionAvailability) -> Self {
        NextAction {
            action: serde_json::to_value(a.action)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            allowed: a.allowed,
            code: a.code.map(str::to_string),
            message: a.message,
            available_from: a.available_from,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/requests/{id}", operation_id = "getRequest", tag = "queries",
    security(("bearer" = [])),
    params(("id" = Uuid, Path), ReadParams),
    responses((status = 200, body = RequestDetail),
        (status = 404, body = crate::error::Problem),
        (status = 503, body = crate::error::Problem, description = "read_model_lagging")))]
pub async fn get_request(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<ReadParams>,
    purpose: Purpose,
) -> Result<Json<RequestDetail>, ApiError> {
    let state = app.requests.state(RequestId(id), &actor, None).await?;
    // The record's commit and the reads overlap; the answer waits for both.
    let record = access::record_request_read(&app, &actor, &state, "getRequest", &purpose);
    let (recorded, detail) = tokio::join!(
        record,
        detail_of(&app, &actor, &state, id, &headers, params.min_position)
    );
    recorded?;
    Ok(Json(detail?))
}

async fn detail_of(
    app: &AppState,
    actor: &Actor,
    state: &domain::request::Request,
    id: Uuid,
    headers: &HeaderMap,
    min_position: Option<i64>,
) -> Result<RequestDetail, ApiError> {
    let db = reader(app, headers, min_position, &[read::NAME]).await?;
    let request = read::get_summary(db, id)
        .await
        .map_err(ApiError::internal)?
        .ok_or(ApiError::Lagging)?;
    let attachments = read::list_attachments(db, id)
        .await
        .map_err(ApiError::internal)?
        .into_iter()
        .filter(|a| !a.is_removed())
        .collect();
    let now = app.clock.now();
    let attachments = attachment_views(state, actor, attachments);
    let appointment = appointment_view(app, state, now).await?;
    let names = app.sede_names.all().await.map_err(ApiError::internal)?;
    Ok(RequestDetail {
        current_sede_name: sede_name(&names, &request.current_sede),
        origin_sede_name: sede_name(&names, &request.origin_sede),
        patronato_name: named(
            app.directory.patronato_name(&request.patronato),
            &request.patronato,
        ),
        office_name: named(app.directory.office_name(&request.office), &request.office),
        in_charge_by_name: request
            .in_charge_by
            .as_deref()
            .map(|id| named(app.directory.user(id).map(|u| u.display_name.as_str()), id)),
        status_label: state
            .status
            .map(|s| s.label().to_string())
            .unwrap_or_default(),
        interactions_left: state.interactions_left(),
        next_actions: state
            .available_actions(actor, now)
            .into_iter()
            .map(NextAction::from)
            .collect(),
        request,
        attachments,
        appointment,
    })
}

/// A name from the directory, or the code itself when it has none.
fn named(name: Option<&str>, code: &str) -> String {
    name.unwrap_or(code).to_string()
}

#[utoipa::path(get, path = "/api/v1/requests/{id}/timeline", operation_id = "getRequestTimeline", tag = "queries",
    security(("bearer" = [])),
    params(("id" = Uuid, Path), ReadParams),
    responses((status = 200, body = Vec<TimelineItem>),
        (status = 404, body = crate::error::Problem)))]
pub async fn get_request_timeline(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<ReadParams>,
    purpose: Purpose,
) -> Result<Json<Vec<TimelineItem>>, ApiError> {
    let state = app.requests.state(RequestId(id), &actor, None).await?;
    access::record_request_read(&app, &actor, &state, "getRequestTimeline", &purpose).await?;
    let db = reader(&app, &headers, params.min_position, &[read::NAME]).await?;
    let entries = read::get_timeline(db, id)
        .await
        .map_err(ApiError::internal)?;
    let sedi = app.sede_names.all().await.map_err(ApiError::internal)?;
    let patronato = state.sent.as_ref().map(|s| s.patronato.as_str());
    Ok(Json(timeline_items(
        entries,
        patronato,
        &app.directory,
        &sedi,
    )))
}

#[utoipa::path(get, path = "/api/v1/requests/{id}/attachments/{attachment_id}", operation_id = "downloadAttachment", tag = "attachments",
    security(("bearer" = [])),
    params(("id" = Uuid, Path), ("attachment_id" = Uuid, Path)),
    responses((status = 200, description = "The file, with its media type", content_type = "application/octet-stream"),
        (status = 404, body = crate::error::Problem)))]
pub async fn download_attachment(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath((id, attachment_id)): ApiPath<(Uuid, Uuid)>,
    purpose: Purpose,
) -> Result<Response, ApiError> {
    let state = app.requests.state(RequestId(id), &actor, None).await?;
    let held = state
        .attachments
        .iter()
        .find(|a| a.attachment.id.0 == attachment_id && !a.removed)
        .ok_or(ApiError::NotFound)?;
    access::record_request_read(&app, &actor, &state, "downloadAttachment", &purpose).await?;
    let (media_type, content) =
        commands::attachments::read_blob(&app.pool, &held.attachment.sha256)
            .await?
            .ok_or(ApiError::NotFound)?;
    let mut res = content.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&media_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        crate::headers::attachment(&held.attachment.filename),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    Ok(res)
}
