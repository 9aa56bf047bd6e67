//! The audit API (SPEC §3), for the `auditor` role only (others: 403): a
//! stream's events, the global log by filters, an NDJSON export that streams,
//! a request's state as of an instant or a version, and hash-chain
//! verification. Every call is first recorded as an `AuditRead` event on the
//! stream `audit-<auditor>`; a read that cannot be recorded is not served.
//! See docs/audit.md.

use crate::access::{self, Purpose, Subject};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use domain::actor::Actor;
use domain::ids::RequestId;
use serde::{Deserialize, Serialize};
use serde_json::json;
use store::audit::{self, LogFilter};
use store::RecordedEvent;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

mod as_of;

pub use as_of::*;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/audit/streams/{stream_id}/events",
            get(list_stream_events),
        )
        .route("/api/v1/audit/events", get(list_audit_events))
        .route("/api/v1/audit/export", get(export_audit_events))
        .route(
            "/api/v1/audit/requests/{id}/state",
            get(get_request_state_as_of),
        )
        .route("/api/v1/audit/verify", get(verify_hash_chain))
}

/// Default and largest page of the listings.
const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1_000;
/// Events per database read of the export.
const EXPORT_BATCH: i64 = 1_000;

/// The caller, if an auditor.
fn auditor(actor: &Actor) -> Result<&str, ApiError> {
    match actor {
        Actor::Auditor { id } => Ok(id.as_str()),
        _ => Err(ApiError::Forbidden),
    }
}

/// Records the read before it is served.
async fn record(app: &AppState, auditor: &str, what: serde_json::Value) -> Result<(), ApiError> {
    audit::record_read(&app.pool, auditor, "auditor", what, app.clock.now())
        .await
        .map_err(ApiError::internal)?;
    app.notifier.ring();
    Ok(())
}

/// Whose personal data a stream holds: a request's citizen, else (bookings,
/// audit streams) recorded as a bulk read.
async fn stream_subjects(app: &AppState, stream_id: &str) -> Result<Vec<Subject>, ApiError> {
    let request = stream_id
        .strip_prefix("request-")
        .and_then(|id| Uuid::parse_str(id).ok());
    match request {
        Some(id) => {
            let (state, _) = commands::requests::load(&app.pool, RequestId(id), None).await?;
            Ok(access::request_subjects(app, &state))
        }
        None => Ok(vec![Subject::Bulk]),
    }
}

fn limit(raw: &Option<String>) -> Result<i64, ApiError> {
    crate::paging::limit(raw.as_deref(), DEFAULT_LIMIT, MAX_LIMIT).map(i64::from)
}

/// An event as stored, with its metadata and hash-chain fields (hex).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AuditEvent)]
pub struct AuditEventDoc {
    pub position: i64,
    /// Transaction id (the log's commit-safe order is `(tx_id, position)`).
    pub tx_id: i64,
    pub stream_id: String,
    pub stream_type: String,
    pub version: i32,
    pub event_type: String,
    pub schema_version: i16,
    /// The payload as stored (not upcast).
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// actor_id, actor_role, patronato, office, sede, command, correlation_id,
    /// causation_id, idempotency_key.
    #[schema(value_type = Object)]
    pub metadata: serde_json::Value,
    pub recorded_at: DateTime<Utc>,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Debug, Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StreamEventsParams {
    /// Only events after this version (default 0).
    pub after_version: Option<i32>,
    /// 1–1000, default 100.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
}

/// A page of a stream's events.
#[derive(Debug, Serialize, ToSchema)]
pub struct StreamEventsPage {
    pub stream_id: String,
    #[schema(value_type = Vec<AuditEventDoc>)]
    pub items: Vec<RecordedEvent>,
    /// Pass as `after_version` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after_version: Option<i32>,
}

#[utoipa::path(get, path = "/api/v1/audit/streams/{stream_id}/events", operation_id = "listStreamEvents", tag = "audit",
    security(("bearer" = [])),
    params(("stream_id" = String, Path, description = "e.g. `request-<uuid>`, `audit-<user>`"), StreamEventsParams),
    responses((status = 200, body = StreamEventsPage),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)))]
pub async fn list_stream_events(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(stream_id): ApiPath<String>,
    ApiQuery(params): ApiQuery<StreamEventsParams>,
    purpose: Purpose,
) -> Result<Json<StreamEventsPage>, ApiError> {
    let who = auditor(&actor)?;
    let limit = limit(&params.limit)?;
    let after = params.after_version.unwrap_or(0).max(0);
    record(
        &app,
        who,
        json!({"operation": "listStreamEvents", "stream_id": stream_id, "parameters": params}),
    )
    .await?;
    let subjects = stream_subjects(&app, &stream_id).await?;
    access::log_reads(
        &app,
        &actor,
        &subjects,
        "listStreamEvents",
        Some(stream_id.clone()),
        &purpose,
    )
    .await?;
    let items = audit::stream_events(&app.pool, &stream_id, after, limit + 1)
        .await
        .map_err(ApiError::internal)?;
    if items.is_empty() && after == 0 {
        return Err(ApiError::NotFound);
    }
    Ok(Json(page_of_stream(stream_id, items, limit)))
}

fn page_of_stream(
    stream_id: String,
    mut items: Vec<RecordedEvent>,
    limit: i64,
) -> StreamEventsPage {
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    StreamEventsPage {
        stream_id,
        next_after_version: if more {
            items.last().map(|e| e.version)
        } else {
            None
        },
        items,
    }
}

/// Filters of the global log; combined with AND.
#[derive(Debug, Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LogParams {
    /// First global position, inclusive.
    pub from_position: Option<i64>,
    /// Last global position, inclusive.
    pub to_position: Option<i64>,
    /// Recorded at or after this instant (RFC 3339).
    pub from_time: Option<DateTime<Utc>>,
    /// Recorded before this instant.
    pub to_time: Option<DateTime<Utc>>,
    /// e.g. `ReplyReceived`, `AuditRead`.
    pub event_type: Option<String>,
    /// The actor id of the metadata (token subject).
    pub actor: Option<String>,
    /// `request`, `audit`, …
    pub stream_type: Option<String>,
    /// Listing only: `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Listing only: 1–1000, default 100.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
}

impl LogParams {
    fn filter(&self) -> Result<LogFilter, ApiError> {
        if let (Some(a), Some(b)) = (self.from_position, self.to_position) {
            if a > b {
                return Err(ApiError::bad_request(
                    "invalid_position_range",
                    "from_position è maggiore di to_position",
                ));
            }
        }
        if let (Some(a), Some(b)) = (self.from_time, self.to_time) {
            if a > b {
                return Err(ApiError::bad_request(
                    "invalid_date_range",
                    "from_time è successivo a to_time",
                ));
            }
        }
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        Ok(LogFilter {
            from_position: self.from_position,
            to_position: self.to_position,
            from_time: self.from_time,
            to_time: self.to_time,
            event_type: text(&self.event_type),
            actor: text(&self.actor),
            stream_type: text(&self.stream_type),
            stream_id: None,
        })
    }
}

/// A page of the global log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventsPage {
    #[schema(value_type = Vec<AuditEventDoc>)]
    pub items: Vec<RecordedEvent>,
    /// Pass as `cursor` (with the same filters) for the next page; absent on
    /// the last page. A listing reads the log as it was at its first page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The cursor of a listing: the snapshot of its first page and the last
/// position, signed (a raw `pg_snapshot` from a client would reach PostgreSQL).
fn encode_cursor(app: &AppState, snapshot: &str, position: i64) -> String {
    crate::cursor::sign(
        app.jwt.cursor_key(),
        format!("{snapshot}|{position}").as_bytes(),
    )
}

fn decode_cursor(app: &AppState, raw: &str) -> Result<(String, i64), ApiError> {
    let bad = || ApiError::bad_request("invalid_cursor", "cursore di paginazione non valido");
    let bytes = crate::cursor::verify(app.jwt.cursor_key(), raw).ok_or_else(bad)?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (snapshot, position) = text.rsplit_once('|').ok_or_else(bad)?;
    Ok((snapshot.to_string(), position.parse().map_err(|_| bad())?))
}

#[utoipa::path(get, path = "/api/v1/audit/events", operation_id = "listAuditEvents", tag = "audit",
    security(("bearer" = [])),
    params(LogParams),
    responses((status = 200, body = AuditEventsPage),
        (status = 400, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem)))]
pub async fn list_audit_events(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiQuery(params): ApiQuery<LogParams>,
    purpose: Purpose,
) -> Result<Json<AuditEventsPage>, ApiError> {
    let who = auditor(&actor)?;
    let filter = params.filter()?;
    let limit = limit(&params.limit)?;
    let cursor = params
        .cursor
        .as_deref()
        .map(|c| decode_cursor(&app, c))
        .transpose()?;
    record(
        &app,
        who,
        json!({"operation": "listAuditEvents", "parameters": params}),
    )
    .await?;
    access::log_reads(
        &app,
        &actor,
        &[Subject::Bulk],
        "listAuditEvents",
        None,
        &purpose,
    )
    .await?;
    let (snapshot, after) = match cursor {
        Some(c) => c,
        None => (
            audit::current_snapshot(&app.pool)
                .await
                .map_err(ApiError::internal)?,
            0,
        ),
    };
    let mut items = audit::read_log(&app.pool, &filter, &snapshot, after, limit + 1)
        .await
        .map_err(ApiError::internal)?;
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    let next_cursor = if more {
        items
            .last()
            .map(|e| encode_cursor(&app, &snapshot, e.position))
    } else {
        None
    };
    Ok(Json(AuditEventsPage { items, next_cursor }))
}

#[utoipa::path(get, path = "/api/v1/audit/export", operation_id = "exportAuditEvents", tag = "audit",
    security(("bearer" = [])),
    params(LogParams),
    responses((status = 200, description = "One stored event per line (as in listAuditEvents), in position order, as committed when the export started", content_type = "application/x-ndjson"),
        (status = 400, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem)))]
pub async fn export_audit_events(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiQuery(params): ApiQuery<LogParams>,
    purpose: Purpose,
) -> Result<Response, ApiError> {
    let who = auditor(&actor)?;
    if params.cursor.is_some() || params.limit.is_some() {
        return Err(ApiError::bad_request(
            "invalid_query",
            "cursor e limit valgono solo per listAuditEvents",
        ));
    }
    let filter = params.filter()?;
    record(
        &app,
        who,
        json!({"operation": "exportAuditEvents", "parameters": params}),
    )
    .await?;
    access::log_reads(
        &app,
        &actor,
        &[Subject::Bulk],
        "exportAuditEvents",
        None,
        &purpose,
    )
    .await?;
    let snapshot = audit::current_snapshot(&app.pool)
        .await
        .map_err(ApiError::internal)?;
    let pool = app.pool.clone();
    // One batch in memory at a time; each batch is its own short query.
    let lines = futures::stream::try_unfold(Some(0i64), move |after| {
        let pool = pool.clone();
        let filter = filter.clone();
        let snapshot = snapshot.clone();
        async move {
            let Some(after) = after else {
                return Ok(None);
            };
            let batch = audit::read_log(&pool, &filter, &snapshot, after, EXPORT_BATCH)
                .await
                .map_err(|e| {
                    tracing::error!(error = %e, "audit export interrupted");
                    std::io::Error::other(e.to_string())
                })?;
            let Some(last) = batch.last().map(|e| e.position) else {
                return Ok(None);
            };
            let mut buf = Vec::with_capacity(batch.len() * 640);
            for event in &batch {
                serde_json::to_writer(&mut buf, event).map_err(std::io::Error::other)?;
                buf.push(b'\n');
            }
            let next = (batch.len() as i64 == EXPORT_BATCH).then_some(last);
            Ok::<_, std::io::Error>(Some((Bytes::from(buf), next)))
        }
    });
    let mut res = Body::from_stream(lines).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"combipat-events.ndjson\""),
    );
    Ok(res)
}
