//! Queries on the read models: history, detail, timeline, home panel, inbox.
//! Every query may wait for `min_position` (read-your-writes) and is scoped to
//! the caller; out-of-scope requests are 404.

pub use super::read_your_writes::{caught_up, reader};
pub use super::request_detail::*;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::routes::sede_inbox::own_sede;
use crate::routes::views::{
    named_inbox, named_replies, named_requests, InboxListItem, ReplyItem, RequestListItem,
};
use crate::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use commands::privacy::Pseudonyms;
use domain::actor::PatronatoRole;
use domain::codice_fiscale::CodiceFiscale;
use domain::ids::ProtocolNumber;
use domain::request::Status;
use projections::home_panel::{self, RecentRepliesQuery};
use projections::page::{Cursor, Page, TimeRange};
use projections::requests::{
    self as read, HistoryQuery, HistoryScope, InboxBucket, InboxQuery, RequestFilters,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

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
    /// The filters; a codice fiscale is searched as its citizen's pseudonym
    /// (`pseudonyms`), so every omocodia variant finds the same requests.
    fn filters(&self, pseudonyms: &Pseudonyms) -> Result<RequestFilters, ApiError> {
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
            citizen: citizen_pseudonym(pseudonyms, self.codice_fiscale.as_deref())?,
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

/// The pseudonym of the citizen of a codice fiscale given as a filter: the
/// read models are searched by it, never by the code (docs/privacy.md).
fn citizen_pseudonym(
    pseudonyms: &Pseudonyms,
    codice_fiscale: Option<&str>,
) -> Result<Option<String>, ApiError> {
    codice_fiscale
        .map(CodiceFiscale::parse)
        .transpose()
        .map(|cf| cf.map(|cf| pseudonyms.citizen(&cf)))
        .map_err(|e| ApiError::bad_request(e.code(), e.to_string()))
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
    use domain::access::{history_scope, HistoryAsked, HistoryScope as Seen};
    let asked = match params.scope.as_deref().unwrap_or("office") {
        "mine" => HistoryAsked::Mine,
        "office" => HistoryAsked::Office,
        other => {
            // Only a patronato user has a history to ask about.
            actor.patronato_user().ok_or(ApiError::Forbidden)?;
            return Err(ApiError::bad_request(
                "invalid_scope",
                format!("Ambito sconosciuto: {other} (office, mine)"),
            ));
        }
    };
    let scope = match history_scope(&actor, asked)? {
        Seen::Mine { patronato, user } => HistoryScope::Mine { patronato, user },
        Seen::Office { patronato, office } => HistoryScope::Office { patronato, office },
        Seen::Patronato { patronato } => HistoryScope::Patronato { patronato },
    };
    if params.bucket.is_some() {
        return Err(ApiError::bad_request(
            "invalid_query",
            "bucket vale solo per l'inbox della sede",
        ));
    }
    let limit = page_limit(&params.limit)?;
    let filters = params.filters(&app.pseudonyms)?;
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
    q.citizen = citizen_pseudonym(&app.pseudonyms, params.codice_fiscale.as_deref())?;
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
    let filters = params.filters(&app.pseudonyms)?;
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
