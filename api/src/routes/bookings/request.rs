//! Appointments on requests (SPEC §2.4): `bookRequestAppointment` and its
//! cancellation. The slot is one of the "Servizi per i patronati" counter of
//! the sede that has the request (`listFreeSlots` on
//! `/sedi/{current_sede}/counters/servizi_patronati/slots`).

use super::citizen::{booking_accepted, CancelAccepted};
use super::http::{context, counted, idempotency, service, HttpResult};
use crate::auth::AuthUser;
use crate::extract::{ApiJson, ApiPath, OptionalJson};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use commands::bookings::Caller;
use domain::ids::RequestId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestAppointmentBody {
    /// The slot's start (RFC 3339), from `listFreeSlots` of the sede's
    /// `servizi_patronati` counter.
    pub start: DateTime<Utc>,
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/appointment", operation_id = "bookRequestAppointment", tag = "requests",
    security(("bearer" = [])),
    params(("id" = Uuid, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer for the same key")),
    request_body = RequestAppointmentBody,
    responses((status = 201, body = super::citizen::BookingAccepted),
        (status = 403, body = crate::error::Problem, description = "not_allowed_for_role"),
        (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem, description = "slot_unavailable, conflict"),
        (status = 422, body = crate::error::Problem, description = "appointment_not_eligible (with available_from when waiting helps), appointment_already_booked, slot_not_offered, day_closed, slot_in_past, slot_beyond_horizon")))]
pub async fn book_request_appointment(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RequestAppointmentBody>,
) -> HttpResult<Response> {
    let run = async {
        let key = idempotency(&headers, "book_request_appointment", &id.to_string(), &body)?;
        let ctx = context(&app, Caller::Actor(actor), key);
        let o = service(&app)
            .book_request_appointment(&ctx, RequestId(id), body.start)
            .await?;
        Ok(booking_accepted(&o))
    };
    counted(&app, "book_request_appointment", run.await)
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelAppointmentBody {
    pub reason: Option<String>,
}

#[utoipa::path(delete, path = "/api/v1/requests/{id}/appointment", operation_id = "cancelRequestAppointment", tag = "requests",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    request_body = CancelAppointmentBody,
    responses((status = 200, body = CancelAccepted),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem, description = "no_appointment, appointment_not_cancellable, reason_too_long")))]
pub async fn cancel_request_appointment(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    OptionalJson(body): OptionalJson<CancelAppointmentBody>,
) -> HttpResult<Response> {
    let run = async {
        let key = idempotency(
            &headers,
            "cancel_request_appointment",
            &id.to_string(),
            &body,
        )?;
        let ctx = context(&app, Caller::Actor(actor), key);
        let o = service(&app)
            .cancel_request_appointment(&ctx, RequestId(id), body.reason.clone())
            .await?;
        Ok((
            StatusCode::OK,
            Json(CancelAccepted {
                booking_id: o.booking_id.0,
                position: o.position,
            }),
        )
            .into_response())
    };
    counted(&app, "cancel_request_appointment", run.await)
}
