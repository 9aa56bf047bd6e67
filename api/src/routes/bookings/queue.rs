//! The queue of a counter today: `getQueueStatus` (public) and the sede's
//! ticket commands (issue, call the next, served, skipped).

use super::http::{context, counted, counter_code, sede_code, service, HttpResult};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{ApiPath, OptionalJson};
use crate::guard::SedeCaller;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use commands::bookings::{queue_status, Caller, TicketOutcome};
use domain::booking::{rome_today, BookingCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct InServiceView {
    pub number: u32,
    pub desk: Option<String>,
    pub called_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueView {
    pub sede: String,
    pub counter: String,
    /// Today (Europe/Rome).
    pub date: NaiveDate,
    pub issued: usize,
    pub called: usize,
    pub served: usize,
    pub skipped: usize,
    /// People waiting to be called ("numero di persone in coda").
    pub waiting: usize,
    /// The ticket being served: the last one called.
    pub now_serving: Option<u32>,
    pub in_service: Vec<InServiceView>,
    /// Average service time today ("tempi medi di servizio"), seconds.
    pub average_service_seconds: Option<f64>,
    pub average_wait_seconds: Option<f64>,
    pub estimated_wait_seconds: Option<f64>,
}

#[utoipa::path(get, path = "/api/v1/sedi/{sede}/counters/{counter}/queue", operation_id = "getQueueStatus", tag = "bookings",
    params(("sede" = String, Path), ("counter" = String, Path)),
    responses((status = 200, body = QueueView), (status = 404, body = crate::error::Problem)))]
pub async fn get_queue_status(
    State(app): State<AppState>,
    ApiPath((sede, counter)): ApiPath<(String, String)>,
) -> HttpResult<Json<QueueView>> {
    let (sede, counter) = (sede_code(&sede)?, counter_code(&counter)?);
    let now = app.clock.now();
    let s = queue_status(&app.pool, app.counters.as_ref(), &sede, &counter, now).await?;
    Ok(Json(QueueView {
        sede: sede.to_string(),
        counter: counter.to_string(),
        date: rome_today(now),
        issued: s.issued,
        called: s.called,
        served: s.served,
        skipped: s.skipped,
        waiting: s.waiting,
        now_serving: s.now_serving,
        in_service: s
            .in_service
            .iter()
            .map(|t| InServiceView {
                number: t.number,
                desk: t.desk.clone(),
                called_at: t.called_at,
            })
            .collect(),
        average_service_seconds: s.average_service_seconds,
        average_wait_seconds: s.average_wait_seconds,
        estimated_wait_seconds: s.estimated_wait_seconds,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketAccepted {
    pub number: u32,
    pub position: i64,
}

fn ticket(status: StatusCode, o: &TicketOutcome) -> Response {
    (
        status,
        Json(TicketAccepted {
            number: o.number,
            position: o.position,
        }),
    )
        .into_response()
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueBody {
    /// The booking code the person shows, if any.
    pub booking_code: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/sedi/{sede}/counters/{counter}/queue/tickets", operation_id = "issueTicket", tag = "bookings",
    security(("bearer" = [])),
    params(("sede" = String, Path), ("counter" = String, Path)),
    request_body = IssueBody,
    responses((status = 201, body = TicketAccepted), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn issue_ticket(
    State(app): State<AppState>,
    SedeCaller(actor): SedeCaller,
    ApiPath((sede, counter)): ApiPath<(String, String)>,
    OptionalJson(body): OptionalJson<IssueBody>,
) -> HttpResult<Response> {
    let run = async {
        let (sede, counter) = (sede_code(&sede)?, counter_code(&counter)?);
        let code = body
            .booking_code
            .as_deref()
            .map(BookingCode::parse)
            .transpose()
            .map_err(|e| ApiError::Unprocessable {
                code: "invalid_booking_code",
                detail: e.to_string(),
            })?;
        let ctx = context(&app, Caller::Actor(actor), None);
        let o = service(&app)
            .issue_ticket(&ctx, &sede, &counter, code)
            .await?;
        Ok(ticket(StatusCode::CREATED, &o))
    };
    counted(&app, "issue_ticket", run.await)
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallBody {
    /// The desk ("sportello n.") calling.
    pub desk: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/sedi/{sede}/counters/{counter}/queue/calls", operation_id = "callNextTicket", tag = "bookings",
    security(("bearer" = [])),
    params(("sede" = String, Path), ("counter" = String, Path)),
    request_body = CallBody,
    responses((status = 200, body = TicketAccepted), (status = 422, body = crate::error::Problem, description = "queue_empty")))]
pub async fn call_next_ticket(
    State(app): State<AppState>,
    SedeCaller(actor): SedeCaller,
    ApiPath((sede, counter)): ApiPath<(String, String)>,
    OptionalJson(body): OptionalJson<CallBody>,
) -> HttpResult<Response> {
    let run = async {
        let (sede, counter) = (sede_code(&sede)?, counter_code(&counter)?);
        let ctx = context(&app, Caller::Actor(actor), None);
        let o = service(&app)
            .call_next_ticket(&ctx, &sede, &counter, body.desk.clone())
            .await?;
        Ok(ticket(StatusCode::OK, &o))
    };
    counted(&app, "call_next_ticket", run.await)
}

#[utoipa::path(post, path = "/api/v1/sedi/{sede}/counters/{counter}/queue/tickets/{number}/served", operation_id = "serveTicket", tag = "bookings",
    security(("bearer" = [])),
    params(("sede" = String, Path), ("counter" = String, Path), ("number" = u32, Path)),
    responses((status = 200, body = TicketAccepted), (status = 404, body = crate::error::Problem, description = "ticket_not_found"),
        (status = 422, body = crate::error::Problem, description = "ticket_not_called, ticket_closed")))]
pub async fn serve_ticket(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath((sede, counter, number)): ApiPath<(String, String, u32)>,
) -> HttpResult<Response> {
    let run = async {
        let (sede, counter) = (sede_code(&sede)?, counter_code(&counter)?);
        let ctx = context(&app, Caller::Actor(actor), None);
        let o = service(&app)
            .serve_ticket(&ctx, &sede, &counter, number)
            .await?;
        Ok(ticket(StatusCode::OK, &o))
    };
    counted(&app, "serve_ticket", run.await)
}

#[utoipa::path(post, path = "/api/v1/sedi/{sede}/counters/{counter}/queue/tickets/{number}/skipped", operation_id = "skipTicket", tag = "bookings",
    security(("bearer" = [])),
    params(("sede" = String, Path), ("counter" = String, Path), ("number" = u32, Path)),
    responses((status = 200, body = TicketAccepted), (status = 404, body = crate::error::Problem, description = "ticket_not_found"),
        (status = 422, body = crate::error::Problem, description = "ticket_not_called, ticket_closed")))]
pub async fn skip_ticket(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath((sede, counter, number)): ApiPath<(String, String, u32)>,
) -> HttpResult<Response> {
    let run = async {
        let (sede, counter) = (sede_code(&sede)?, counter_code(&counter)?);
        let ctx = context(&app, Caller::Actor(actor), None);
        let o = service(&app)
            .skip_ticket(&ctx, &sede, &counter, number)
            .await?;
        Ok(ticket(StatusCode::OK, &o))
    };
    counted(&app, "skip_ticket", run.await)
}
