//! Queries on the read models: history, detail, timeline, home panel, inbox.
//! Every query may wait for `min_position` (read-your-writes) and is scoped to
//! the caller; out-of-scope requests are 404.

use crate::access::{self, Purpose};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::routes::sede_inbox::own_sede;
use crate::routes::timeline_view::{timeline_items, TimelineItem};
use crate::routes::views::{
    appointment_view, attachment_views, named_inbox, named_replies, named_requests, sede_name,
    AppointmentView, AttachmentView, InboxListItem, ReplyItem, RequestListItem,
};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use domain::actor::{Actor, PatronatoRole};
use domain::codice_fiscale::CodiceFiscale;
use domain::ids::{ProtocolNumber, RequestId};
use domain::request::{ActionAvailability, Status};
use projections::home_panel::{self, RecentRepliesQuery};
use projections::page::{Cursor, Page, TimeRange};
use projections::requests::{
    self as read, HistoryQuery, HistoryScope, InboxBucket, InboxQuery, RequestFilters, RequestRow,
};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/requests/{id}", get(get_request))
        .route("/api/v1/requests/{id}/timeline", get(get_request_timeline))
        .route("/api/v1/home/recent-replies", get(list_recent_replies))
        .route("/api/v1/sedi/{sede}/inbox", get(list_sede_inbox))
}

pub fn list_route() -> axum::routing::MethodRouter<AppState> {
    get(list_requests)
}

/// Read-your-writes: the pool to read from once the read models have applied
/// the event at `min_position` (from a command's answer). The read replica is
/// preferred; if it has not caught up within `replica_wait` the primary answers;
/// if neither has within `read_wait`, 503 `read_model_lagging`. A position
/// that is not in the log (≤ 0, beyond its head, never written) is a 400
/// `invalid_min_position` at once: only a command's answer names one. The
/// wait itself queries nothing: it watches the checkpoints that one task per
/// process reads ([`projections::wait::CheckpointWatch`]).
pub(crate) async fn reader<'a>(
    app: &'a AppState,
    headers: &HeaderMap,
    min_position: Option<i64>,
    projections: &[&str],
) -> Result<&'a PgPool, ApiError> {
    let from_header = headers
        .get("x-min-position")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().parse::<i64>())
        .transpose()
        .map_err(|_| {
            ApiError::bad_request(
                "invalid_min_position",
                "X-Min-Position deve essere un numero intero",
            )
        })?;
    let Some(position) = min_position.or(from_header) else {
        return Ok(&app.read_pool);
    };
    let unknown = || {
        ApiError::bad_request(
            "invalid_min_position",
            format!(
                "min_position {position} non corrisponde a nessun evento registrato: \
                 usare la posizione restituita da un comando"
            ),
        )
    };
    if position <= 0 {
        return Err(unknown());
    }
    // The primary has every committed event: absent there, absent for good.
    let target = store::log::position_of(&app.pool, position)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(unknown)?;
    if !app.has_read_replica() {
        return match app
            .checkpoints
            .wait(projections, target, app.limits.read_wait)
            .await
        {
            true => Ok(&app.pool),
            false => Err(ApiError::Lagging),
        };
    }
    if app
        .read_checkpoints
        .wait(projections, target, app.limits.replica_wait)
        .await
    {
        return Ok(&app.read_pool);
    }
    let rest = app.limits.read_wait.saturating_sub(app.limits.replica_wait);
    match app.checkpoints.wait(projections, target, rest).await {
        true => Ok(&app.pool),
        false => Err(ApiError::Lagging),
    }
}

/// For a command that finds its target through a read model (an officer
/// cancelling from the agenda): the primary, once the projections have applied
/// everything committed before this call, so that a write the caller has just
/// seen elsewhere is never reported missing. 503 `read_model_lagging` past
/// `read_wait`.
pub(crate) async fn caught_up<'a>(
    app: &'a AppState,
    projections: &[&str],
) -> Result<&'a PgPool, ApiError> {
    let end = projections::checkpoint::log_end(&app.pool)
        .await
        .map_err(ApiError::internal)?;
    let Some(end) = end else {
        return Ok(&app.pool);
    };
    match app
        .checkpoints
        .wait(projections, end, app.limits.read_wait)
        .await
    {
        true => Ok(&app.pool),
        false => Err(ApiError::Lagging),
    }
}

fn page_limit(raw: &Option<String>) -> Result<u32, ApiError> {
    crate::paging::limit(raw.as_deref(), 20, crate::paging::MAX_PAGE)
}

fn parse_cursor(raw: &Option<String>) -> Result<Option<Cursor>, ApiError> {
    raw.as_deref()
        .map(Cursor::decode)
        .transpose()
        .map_err(|e| ApiError::bad_request("invalid_cursor", e.to_string()))
}

/// Filters shared by the history and the inbox.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// `office` (default: every request of the caller's patronato office; the
    /// patronato's for administrators) or `mine`.
    pub scope: Option<String>,
    /// First day (Europe/Rome) of the sending date, inclusive.
    pub sent_from: Option<NaiveDate>,
    /// Last day (Europe/Rome) of the sending date, inclusive.
    pub sent_to: Option<NaiveDate>,
    /// Case-insensitive text in the subject or the request text.
    pub subject: Option<String>,
    pub protocol: Option<String>,
    pub codice_fiscale: Option<String>,
    /// `inoltrata`, `presa_in_carico`, `risposta_ricevuta`, `in_attesa_di_risposta`,
    /// `sollecitata`, `inoltrata_ad_altra_sede`, `chiusa`, `appuntamento_prenotato`.
    pub status: Option<String>,
    /// Inbox only: `all`, `new`, `in_charge`, `awaiting_reply`, `overdue`.
    pub bucket: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1–100, default 20.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// Wait until the read models include this global position.
    pub min_position: Option<i64>,
}

impl ListParams {
    fn filters(&self) -> Result<RequestFilters, ApiError> {
        if let (Some(from), Some(to)) = (self.sent_from, self.sent_to) {
            if from > to {
                return Err(ApiError::bad_request(
                    "invalid_date_range",
                    "La data iniziale è successiva alla data finale",
                ));
            }
        }
        Ok(RequestFilters {
            sent: TimeRange::rome_days(self.sent_from, self.sent_to),
            subject: self
                .subject
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| s.chars().take(200).collect()),
            protocol: self
                .protocol
                .as_deref()
                .map(ProtocolNumber::parse)
                .transpose()
                .map_err(|e| ApiError::bad_request("invalid_protocol", e.to_string()))?,
            codice_fiscale: self
                .codice_fiscale
                .as_deref()
                .map(CodiceFiscale::parse)
                .transpose()
                .map_err(|e| ApiError::bad_request(e.code(), e.to_string()))?,
            status: self
                .status
                .as_deref()
                .map(|s| {
                    Status::parse(s).ok_or_else(|| {
                        ApiError::bad_request("invalid_status", format!("Stato sconosciuto: {s}"))
                    })
                })
                .transpose()?,
        })
    }
}

/// A page of rows and the cursor of the next page.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageView<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T> From<Page<T>> for PageView<T> {
    fn from(p: Page<T>) -> Self {
        PageView {
            items: p.items,
            next_cursor: p.next_cursor.map(|c| c.encode()),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/requests", operation_id = "listRequests", tag = "queries",
    security(("bearer" = [])),
    params(ListParams),
    responses((status = 200, body = PageView<RequestListItem>),
        (status = 400, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 503, body = crate::error::Problem, description = "read_model_lagging")))]
pub async fn list_requests(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<PageView<RequestListItem>>, ApiError> {
    let user = actor.patronato_user().ok_or(ApiError::Forbidden)?;
    let scope = match params.scope.as_deref().unwrap_or("office") {
        "mine" => HistoryScope::Mine {
            patronato: user.patronato.clone(),
            user: user.id.clone(),
        },
        "office" if user.role == PatronatoRole::Admin => HistoryScope::Patronato {
            patronato: user.patronato.clone(),
        },
        "office" => HistoryScope::Office {
            patronato: user.patronato.clone(),
            office: user.office.clone(),
        },
        other => {
            return Err(ApiError::bad_request(
                "invalid_scope",
                format!("Ambito sconosciuto: {other} (office, mine)"),
            ))
        }
    };
    if params.bucket.is_some() {
        return Err(ApiError::bad_request(
            "invalid_query",
            "bucket vale solo per l'inbox della sede",
        ));
    }
    let limit = page_limit(&params.limit)?;
    let filters = params.filters()?;
    let cursor = parse_cursor(&params.cursor)?;
    let db = reader(&app, &headers, params.min_position, &[read::NAME]).await?;
    let query = HistoryQuery {
        scope,
        filters,
        cursor,
        limit,
    };
    let page = read::list_history(db, &query)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(named_requests(&app, page).await?))
}

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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RecentRepliesParams {
    /// Only replies received on this day (Europe/Rome).
    pub replied_on: Option<NaiveDate>,
    pub subject: Option<String>,
    /// Not available to regional referents (their requests have no citizen).
    pub codice_fiscale: Option<String>,
    pub protocol: Option<String>,
    pub cursor: Option<String>,
    /// 1–100, default 20.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    pub min_position: Option<i64>,
}

/// "Risposte ricevute negli ultimi 3 giorni: N" and the list.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecentRepliesView {
    /// N: replies in the window that match the filters.
    pub count: i64,
    pub items: Vec<ReplyItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/home/recent-replies", operation_id = "listRecentReplies", tag = "queries",
    security(("bearer" = [])),
    params(RecentRepliesParams),
    responses((status = 200, body = RecentRepliesView),
        (status = 400, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem)))]
pub async fn list_recent_replies(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<RecentRepliesParams>,
) -> Result<Json<RecentRepliesView>, ApiError> {
    let user = actor.patronato_user().ok_or(ApiError::Forbidden)?;
    if user.role == PatronatoRole::RegionalReferent && params.codice_fiscale.is_some() {
        return Err(ApiError::bad_request(
            "filter_not_available",
            "Il filtro per codice fiscale non è disponibile per il referente regionale",
        ));
    }
    let db = reader(&app, &headers, params.min_position, &[home_panel::NAME]).await?;
    let mut q = RecentRepliesQuery::panel(user.id.clone(), app.clock.now());
    q.replied_on = params.replied_on;
    q.subject = params
        .subject
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    q.codice_fiscale = params
        .codice_fiscale
        .as_deref()
        .map(CodiceFiscale::parse)
        .transpose()
        .map_err(|e| ApiError::bad_request(e.code(), e.to_string()))?;
    q.protocol = params
        .protocol
        .as_deref()
        .map(ProtocolNumber::parse)
        .transpose()
        .map_err(|e| ApiError::bad_request("invalid_protocol", e.to_string()))?;
    q.cursor = parse_cursor(&params.cursor)?;
    q.limit = page_limit(&params.limit)?;
    let replies = home_panel::list_recent_replies(db, &q)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(RecentRepliesView {
        count: replies.count,
        items: named_replies(&app, replies.page.items).await?,
        next_cursor: replies.page.next_cursor.map(|c| c.encode()),
    }))
}

#[utoipa::path(get, path = "/api/v1/sedi/{sede}/inbox", operation_id = "listSedeInbox", tag = "queries",
    security(("bearer" = [])),
    params(("sede" = String, Path), ListParams),
    responses((status = 200, body = PageView<InboxListItem>),
        (status = 400, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)))]
pub async fn list_sede_inbox(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(sede): ApiPath<String>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<PageView<InboxListItem>>, ApiError> {
    let sede = own_sede(&actor, &sede)?;
    if params.scope.is_some() {
        return Err(ApiError::bad_request(
            "invalid_query",
            "scope vale solo per lo storico",
        ));
    }
    let bucket = match params.bucket.as_deref().unwrap_or("all") {
        "all" => InboxBucket::All,
        "new" => InboxBucket::New,
        "in_charge" => InboxBucket::InCharge,
        "awaiting_reply" => InboxBucket::AwaitingReply,
        "overdue" => InboxBucket::Overdue,
        other => {
            return Err(ApiError::bad_request(
                "invalid_bucket",
                format!(
                    "Cartella sconosciuta: {other} (all, new, in_charge, awaiting_reply, overdue)"
                ),
            ))
        }
    };
    let limit = page_limit(&params.limit)?;
    let filters = params.filters()?;
    let cursor = parse_cursor(&params.cursor)?;
    let db = reader(&app, &headers, params.min_position, &[read::NAME]).await?;
    let q = InboxQuery {
        sede,
        bucket,
        filters,
        now: app.clock.now(),
        cursor,
        limit,
    };
    let page = read::list_inbox(db, &q).await.map_err(ApiError::internal)?;
    Ok(Json(named_inbox(&app, page).await?))
}
