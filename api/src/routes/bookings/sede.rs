//! The sede's side: closures, notices and its agenda (officers of the sede).

use super::http::{
    context, counted, counter_code, idempotency, sede_code, sede_officer, service, HttpResult,
};
use crate::auth::AuthUser;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::guard::SedeCaller;
use crate::routes::queries::reader;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{Duration, NaiveDate, NaiveTime};
use commands::bookings::{CalendarOutcome, Caller};
use domain::booking::{rome_instant, rome_today, ClosureId, NoticeId};
use projections::bookings::BookingRow;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarAccepted {
    /// The closure's or notice's id.
    pub id: Uuid,
    pub version: u64,
    pub position: i64,
}

fn accepted(status: StatusCode, o: &CalendarOutcome) -> Response {
    (
        status,
        Json(CalendarAccepted {
            id: o.id,
            version: o.version,
            position: o.position,
        }),
    )
        .into_response()
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosureBody {
    pub date: NaiveDate,
    /// Absent: the whole sede.
    pub counter: Option<String>,
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/sedi/{sede}/closures", operation_id = "declareClosure", tag = "bookings",
    security(("bearer" = [])),
    params(("sede" = String, Path)),
    request_body = ClosureBody,
    responses((status = 201, body = CalendarAccepted),
        (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem, description = "date_in_past, closure_already_declared, closure_reason_required, text_too_long")))]
pub async fn declare_closure(
    State(app): State<AppState>,
    SedeCaller(actor): SedeCaller,
    ApiPath(sede): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ClosureBody>,
) -> HttpResult<Response> {
    let run = async {
        let sede = sede_code(&sede)?;
        let counter = body.counter.as_deref().map(counter_code).transpose()?;
        let key = idempotency(&headers, "declare_closure", sede.as_str(), &body)?;
        let ctx = context(&app, Caller::Actor(actor), key);
        let o = service(&app)
            .declare_closure(&ctx, &sede, body.date, counter, body.reason.clone())
            .await?;
        Ok(accepted(StatusCode::CREATED, &o))
    };
    counted(&app, "declare_closure", run.await)
}

#[utoipa::path(delete, path = "/api/v1/sedi/{sede}/closures/{closure_id}", operation_id = "withdrawClosure", tag = "bookings",
    security(("bearer" = [])),
    params(("sede" = String, Path), ("closure_id" = Uuid, Path)),
    responses((status = 200, body = CalendarAccepted), (status = 404, body = crate::error::Problem, description = "closure_not_found")))]
pub async fn withdraw_closure(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath((sede, closure_id)): ApiPath<(String, Uuid)>,
) -> HttpResult<Response> {
    let run = async {
        let sede = sede_code(&sede)?;
        let ctx = context(&app, Caller::Actor(actor), None);
        let o = service(&app)
            .withdraw_closure(&ctx, &sede, ClosureId(closure_id))
            .await?;
        Ok(accepted(StatusCode::OK, &o))
    };
    counted(&app, "withdraw_closure", run.await)
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeBody {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Absent: every counter of the sede.
    pub counter: Option<String>,
    pub text: String,
}

#[utoipa::path(post, path = "/api/v1/sedi/{sede}/notices", operation_id = "publishNotice", tag = "bookings",
    security(("bearer" = [])),
    params(("sede" = String, Path)),
    request_body = NoticeBody,
    responses((status = 201, body = CalendarAccepted),
        (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem, description = "date_in_past, period_invalid, notice_text_required, text_too_long")))]
pub async fn publish_notice(
    State(app): State<AppState>,
    SedeCaller(actor): SedeCaller,
    ApiPath(sede): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NoticeBody>,
) -> HttpResult<Response> {
    let run = async {
        let sede = sede_code(&sede)?;
        let counter = body.counter.as_deref().map(counter_code).transpose()?;
        let key = idempotency(&headers, "publish_notice", sede.as_str(), &body)?;
        let ctx = context(&app, Caller::Actor(actor), key);
        let o = service(&app)
            .publish_notice(&ctx, &sede, body.from, body.to, counter, body.text.clone())
            .await?;
        Ok(accepted(StatusCode::CREATED, &o))
    };
    counted(&app, "publish_notice", run.await)
}

#[utoipa::path(delete, path = "/api/v1/sedi/{sede}/notices/{notice_id}", operation_id = "withdrawNotice", tag = "bookings",
    security(("bearer" = [])),
    params(("sede" = String, Path), ("notice_id" = Uuid, Path)),
    responses((status = 200, body = CalendarAccepted), (status = 404, body = crate::error::Problem, description = "notice_not_found")))]
pub async fn withdraw_notice(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath((sede, notice_id)): ApiPath<(String, Uuid)>,
) -> HttpResult<Response> {
    let run = async {
        let sede = sede_code(&sede)?;
        let ctx = context(&app, Caller::Actor(actor), None);
        let o = service(&app)
            .withdraw_notice(&ctx, &sede, NoticeId(notice_id))
            .await?;
        Ok(accepted(StatusCode::OK, &o))
    };
    counted(&app, "withdraw_notice", run.await)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AgendaParams {
    /// Europe/Rome day; default today.
    pub date: Option<NaiveDate>,
    /// Number of days from `date` (1–31, default 1).
    pub days: Option<i64>,
    /// Include cancelled bookings.
    #[serde(default)]
    pub cancelled: bool,
    pub min_position: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgendaView {
    pub sede: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub items: Vec<BookingRow>,
}

#[utoipa::path(get, path = "/api/v1/sedi/{sede}/bookings", operation_id = "listSedeBookings", tag = "bookings",
    security(("bearer" = [])),
    params(("sede" = String, Path), AgendaParams),
    responses((status = 200, body = AgendaView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn list_sede_bookings(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(sede): ApiPath<String>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<AgendaParams>,
    purpose: crate::access::Purpose,
) -> HttpResult<Json<AgendaView>> {
    let sede = sede_code(&sede)?;
    sede_officer(&actor, &sede)?;
    let from = params.date.unwrap_or_else(|| rome_today(app.clock.now()));
    let days = params.days.unwrap_or(1).clamp(1, 31);
    let to = from + Duration::days(days);
    let pool = reader(
        &app,
        &headers,
        params.min_position,
        &[projections::bookings::NAME],
    )
    .await?;
    let items = projections::bookings::list_sede_bookings(
        pool,
        sede.as_str(),
        rome_instant(from, NaiveTime::MIN),
        rome_instant(to, NaiveTime::MIN),
        params.cancelled,
    )
    .await?;
    let mut subjects: Vec<_> = items
        .iter()
        .map(|row| crate::access::booking_subject(&app, row))
        .collect();
    subjects.dedup();
    crate::access::record(
        &app,
        &actor,
        &subjects,
        "listSedeBookings",
        Some(format!("agenda-{sede}")),
        &purpose,
    )
    .await?;
    Ok(Json(AgendaView {
        sede: sede.to_string(),
        from,
        to: to - Duration::days(1),
        items,
    }))
}
