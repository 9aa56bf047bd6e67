//! The citizen's commands and queries: `holdSlot`, `confirmBooking`,
//! `cancelBooking`, `listMyBookings`, and the iCalendar of a booking.
//!
//! How a citizen calls (seed 002): with a citizen token (SPID/CIE/PIN,
//! `sub` = codice fiscale), or **without any token**, giving the codice
//! fiscale in the body; cancelling without a token needs the booking code
//! too. Web meeting is only for authenticated citizens.

use super::anonymous::{admit_booking_lookup, admit_hold, ClientIp};
use super::http::{
    citizen_caller, context, counted, counter_code, idempotency, sede_code, service, HttpResult,
    MaybeActor, SlotView,
};
use super::lookup::{booking_by_code, same_code};
use crate::auth::AuthUser;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::routes::queries::{caught_up, reader};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use commands::bookings::{BookingOutcome, Caller, ConfirmInput};
use domain::access::{booking_sight, BookingHolders, BookingSight};
use domain::actor::Actor;
use domain::booking::{BookingCode, BookingId, BookingMode, BookingViolation, HoldId, SlotRef};
use domain::ids::RequestId;
use projections::bookings::BookingRow;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

fn replayed(mut res: Response, replayed: bool) -> Response {
    if replayed {
        res.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    res
}

/// Hold a slot for 5 minutes.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldBody {
    /// The slot's start (RFC 3339), as `listFreeSlots` gives it.
    pub start: DateTime<Utc>,
    /// Required without a token; with a citizen token, absent or the token's own.
    pub codice_fiscale: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HoldAccepted {
    pub hold_id: Uuid,
    pub sede: String,
    pub counter: String,
    pub slot: SlotView,
    /// Confirm before this instant ("Conferma la prenotazione entro 5 minuti").
    pub expires_at: DateTime<Utc>,
    /// The caller's previous hold of the same counter type, released by this one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub released_hold: Option<Uuid>,
    pub position: i64,
}

#[utoipa::path(post, path = "/api/v1/sedi/{sede}/counters/{counter}/holds", operation_id = "holdSlot", tag = "bookings",
    params(("sede" = String, Path), ("counter" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer for the same key")),
    request_body = HoldBody,
    responses((status = 201, body = HoldAccepted),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem, description = "not_allowed_for_role"),
        (status = 404, body = crate::error::Problem, description = "sede_not_found, counter_not_found"),
        (status = 409, body = crate::error::Problem, description = "slot_unavailable (held or booked by someone else), conflict"),
        (status = 422, body = crate::error::Problem, description = "codice_fiscale_required, codice_fiscale_mismatch, cf_*, citizen_not_found (without a token: a code the registry does not know), slot_not_offered, day_closed, slot_in_past, slot_beyond_horizon, counter_inactive, booking_limit_counter_type, booking_limit_total"),
        (status = 429, body = crate::error::Problem, description = "too_many_anonymous_holds, counter_day_busy (without a token; Retry-After)")))]
pub async fn hold_slot(
    State(app): State<AppState>,
    MaybeActor(actor): MaybeActor,
    ClientIp(client): ClientIp,
    ApiPath((sede, counter)): ApiPath<(String, String)>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<HoldBody>,
) -> HttpResult<Response> {
    let run = async {
        let (sede, counter) = (sede_code(&sede)?, counter_code(&counter)?);
        let caller = citizen_caller(actor, body.codice_fiscale.as_deref())?;
        admit_hold(&app, client, &caller, &sede, &counter, body.start).await?;
        let key = idempotency(&headers, "hold_slot", &format!("{sede}/{counter}"), &body)?;
        let ctx = context(&app, caller, key);
        let o = service(&app)
            .hold(&ctx, &sede, &counter, body.start)
            .await?;
        let res = (
            StatusCode::CREATED,
            Json(HoldAccepted {
                hold_id: o.hold_id.0,
                sede: o.slot.sede.to_string(),
                counter: o.slot.counter.to_string(),
                slot: SlotView::from(&o.slot),
                expires_at: o.expires_at,
                released_hold: o.released.map(|h| h.0),
                position: o.position,
            }),
        )
            .into_response();
        Ok(replayed(res, o.replayed))
    };
    counted(&app, "hold_slot", run.await)
}

/// Confirm a hold: mode, reason, contacts.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmBody {
    /// `in_presenza`, `ricontatto_telefonico`, or `web_meeting` (authenticated only).
    #[schema(value_type = String, example = "in_presenza")]
    pub mode: BookingMode,
    /// At most 150 characters.
    pub reason: Option<String>,
    /// Italian mobile number; required for `ricontatto_telefonico`.
    pub mobile: Option<String>,
    /// Required for `web_meeting`. At least one of `mobile` and `email`.
    pub email: Option<String>,
    /// Required without a token (the one the hold was made with).
    pub codice_fiscale: Option<String>,
    /// Code of the service chosen among the counter's (`listCounters`).
    pub service: Option<String>,
}

/// A confirmed booking.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingAccepted {
    pub booking_id: Uuid,
    /// The booking code to show at the sede.
    pub code: String,
    pub sede: String,
    pub counter: String,
    pub slot: SlotView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<Uuid>,
    /// The request stream's version (appointments on requests).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_version: Option<u64>,
    /// Where to download the iCalendar.
    pub ics: String,
    pub position: i64,
}

impl From<&BookingOutcome> for BookingAccepted {
    fn from(o: &BookingOutcome) -> Self {
        BookingAccepted {
            booking_id: o.booking_id.0,
            code: o.code.to_string(),
            sede: o.slot.sede.to_string(),
            counter: o.slot.counter.to_string(),
            slot: SlotView::from(&o.slot),
            request_id: o.request_id.map(|r| r.0),
            request_version: o.request_version,
            ics: format!("/api/v1/bookings/{}/ics", o.booking_id),
            position: o.position,
        }
    }
}

pub fn booking_accepted(o: &BookingOutcome) -> Response {
    replayed(
        (StatusCode::CREATED, Json(BookingAccepted::from(o))).into_response(),
        o.replayed,
    )
}

#[utoipa::path(post, path = "/api/v1/holds/{hold_id}/confirmation", operation_id = "confirmBooking", tag = "bookings",
    params(("hold_id" = Uuid, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer for the same key")),
    request_body = ConfirmBody,
    responses((status = 201, body = BookingAccepted),
        (status = 401, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem, description = "hold_not_found"),
        (status = 409, body = crate::error::Problem, description = "hold_already_confirmed, slot_unavailable, conflict"),
        (status = 422, body = crate::error::Problem, description = "hold_expired, web_meeting_requires_authentication, web_meeting_not_offered, service_unknown, contact_required, mobile_invalid, email_invalid, mobile_required_for_callback, email_required_for_web_meeting, booking_reason_too_long, booking_limit_counter_type, booking_limit_total, codice_fiscale_required")))]
pub async fn confirm_booking(
    State(app): State<AppState>,
    MaybeActor(actor): MaybeActor,
    ApiPath(hold_id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ConfirmBody>,
) -> HttpResult<Response> {
    let run = async {
        let caller = citizen_caller(actor, body.codice_fiscale.as_deref())?;
        let key = idempotency(&headers, "confirm_booking", &hold_id.to_string(), &body)?;
        let ctx = context(&app, caller, key);
        let input = ConfirmInput {
            mode: body.mode,
            reason: body.reason.clone(),
            mobile: body.mobile.clone(),
            email: body.email.clone(),
            service: body.service.clone(),
        };
        let o = service(&app).confirm(&ctx, HoldId(hold_id), input).await?;
        Ok(booking_accepted(&o))
    };
    counted(&app, "confirm_booking", run.await)
}

/// Cancel a booking. Without a token: the booking code (and, optionally,
/// the codice fiscale it was booked with).
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    pub codice_fiscale: Option<String>,
    /// The booking code (required without a token).
    pub code: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CancelAccepted {
    pub booking_id: Uuid,
    pub position: i64,
}

#[utoipa::path(post, path = "/api/v1/bookings/{booking_id}/cancellation", operation_id = "cancelBooking", tag = "bookings",
    params(("booking_id" = Uuid, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer for the same key")),
    request_body = CancelBody,
    responses((status = 200, body = CancelAccepted),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem, description = "not_allowed_for_role"),
        (status = 404, body = crate::error::Problem, description = "booking_not_found"),
        (status = 422, body = crate::error::Problem, description = "booking_already_cancelled, booking_not_cancellable, codice_fiscale_required"),
        (status = 429, body = crate::error::Problem, description = "too_many_booking_lookups (without a token and codice fiscale; Retry-After)")))]
pub async fn cancel_booking(
    State(app): State<AppState>,
    MaybeActor(actor): MaybeActor,
    ClientIp(client): ClientIp,
    ApiPath(booking_id): ApiPath<Uuid>,
    headers: HeaderMap,
    crate::extract::OptionalJson(body): crate::extract::OptionalJson<CancelBody>,
) -> HttpResult<Response> {
    let run = async {
        let key = idempotency(&headers, "cancel_booking", &booking_id.to_string(), &body)?;
        let id = BookingId(booking_id);
        let svc = service(&app);
        let o = match actor {
            Some(Actor::Sede(officer)) => {
                // The read model says which slot; the slot's stream decides.
                // A booking not there yet may be one committed a moment ago:
                // ask again once the projection has caught up with the log.
                let names = [projections::bookings::NAME];
                let pool = reader(&app, &headers, None, &names).await?;
                let row = match projections::bookings::get_booking(pool, booking_id).await? {
                    Some(row) => Some(row),
                    None => {
                        let pool = caught_up(&app, &names).await?;
                        projections::bookings::get_booking(pool, booking_id).await?
                    }
                };
                // Another sede's booking: the command refuses it as not found.
                let row = row.ok_or(BookingViolation::BookingNotFound)?;
                let slot = slot_of(&row)?;
                let ctx = context(&app, Caller::Actor(Actor::Sede(officer)), key);
                svc.cancel_at_sede(&ctx, &slot, id, body.reason.clone())
                    .await?
            }
            None if body.codice_fiscale.is_none() => {
                // Without a token and without the codice fiscale: the booking
                // code alone is the proof (the app's "Le mie prenotazioni"
                // on this device keeps id and code only). Bounded per client.
                admit_booking_lookup(&app, client)?;
                let row =
                    booking_by_code(&app, &headers, booking_id, body.code.as_deref(), None).await?;
                let code =
                    BookingCode::parse(&row.code).map_err(|_| BookingViolation::BookingNotFound)?;
                let cf = row
                    .codice_fiscale
                    .clone()
                    .ok_or(BookingViolation::BookingNotFound)?;
                let caller = citizen_caller(None, Some(&cf))?;
                let ctx = context(&app, caller, key);
                svc.cancel_own(&ctx, id, Some(code), body.reason.clone())
                    .await?
            }
            actor => {
                let caller = citizen_caller(actor, body.codice_fiscale.as_deref())?;
                let code = body
                    .code
                    .as_deref()
                    .map(BookingCode::parse)
                    .transpose()
                    .map_err(|_| BookingViolation::BookingNotFound)?;
                let ctx = context(&app, caller, key);
                svc.cancel_own(&ctx, id, code, body.reason.clone()).await?
            }
        };
        let res = (
            StatusCode::OK,
            Json(CancelAccepted {
                booking_id: o.booking_id.0,
                position: o.position,
            }),
        )
            .into_response();
        Ok(replayed(res, o.replayed))
    };
    counted(&app, "cancel_booking", run.await)
}

fn slot_of(row: &BookingRow) -> HttpResult<SlotRef> {
    Ok(SlotRef {
        sede: super::http::sede_code(&row.sede_code)?,
        counter: counter_code(&row.counter_type)?,
        start: row.slot_start,
        end: row.slot_end,
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MyBookingsParams {
    /// Also cancelled and past bookings (default: only the active ones).
    #[serde(default)]
    pub all: bool,
    pub min_position: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyBookingsView {
    pub codice_fiscale: String,
    pub items: Vec<BookingRow>,
}

#[utoipa::path(get, path = "/api/v1/me/bookings", operation_id = "listMyBookings", tag = "bookings",
    security(("bearer" = [])),
    params(MyBookingsParams),
    responses((status = 200, body = MyBookingsView),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem, description = "not_allowed_for_role: only authenticated citizens")))]
pub async fn list_my_bookings(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<MyBookingsParams>,
) -> HttpResult<Json<MyBookingsView>> {
    let Actor::Citizen { id } = actor else {
        return Err(BookingViolation::NotAllowedForRole.into());
    };
    let pool = reader(
        &app,
        &headers,
        params.min_position,
        &[projections::bookings::NAME],
    )
    .await?;
    // Looked up by the citizen's pseudonym: the read model is not searched by code.
    let citizen = app.pseudonyms.citizen_code(id.as_str());
    let items =
        projections::bookings::list_citizen_bookings(pool, &citizen, params.all, app.clock.now())
            .await?;
    Ok(Json(MyBookingsView {
        codice_fiscale: id.to_string(),
        items,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct IcsParams {
    /// Without a token: optionally the citizen's codice fiscale …
    pub codice_fiscale: Option<String>,
    /// … and the booking code.
    pub code: Option<String>,
    pub min_position: Option<i64>,
}

/// May `actor` (or an anonymous caller with codice fiscale and code) see this booking?
async fn may_see(
    app: &AppState,
    actor: &Option<Actor>,
    params: &IcsParams,
    row: &BookingRow,
) -> bool {
    match actor {
        Some(a) => match booking_sight(a, holders(row)) {
            BookingSight::Visible => true,
            BookingSight::Hidden => false,
            BookingSight::AsRequest(r) => app.requests.load_visible(r, a, None).await.is_ok(),
        },
        None => {
            let cf = params
                .codice_fiscale
                .as_deref()
                .map(|c| c.trim().to_ascii_uppercase());
            let code = params
                .code
                .as_deref()
                .and_then(|c| BookingCode::parse(c).ok());
            (cf.is_none() || cf.as_deref() == row.codice_fiscale.as_deref())
                && code
                    .as_ref()
                    .is_some_and(|c| same_code(c.as_str(), &row.code))
        }
    }
}

/// What the visibility rule needs of a booking row.
pub(super) fn holders(row: &BookingRow) -> BookingHolders<'_> {
    BookingHolders {
        codice_fiscale: row.codice_fiscale.as_deref(),
        sede: &row.sede_code,
        request_id: row.request_id.map(RequestId),
    }
}

#[utoipa::path(get, path = "/api/v1/bookings/{booking_id}/ics", operation_id = "getBookingIcs", tag = "bookings",
    params(("booking_id" = Uuid, Path), IcsParams),
    responses((status = 200, content_type = "text/calendar", body = String, description = "iCalendar (RFC 5545) of the booking"),
        (status = 404, body = crate::error::Problem, description = "booking_not_found"),
        (status = 429, body = crate::error::Problem, description = "too_many_booking_lookups (without a token)")))]
pub async fn get_booking_ics(
    State(app): State<AppState>,
    MaybeActor(actor): MaybeActor,
    ClientIp(client): ClientIp,
    ApiPath(booking_id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<IcsParams>,
    purpose: crate::access::Purpose,
) -> HttpResult<Response> {
    if actor.is_none() {
        admit_booking_lookup(&app, client)?;
    }
    let pool = reader(
        &app,
        &headers,
        params.min_position,
        &[projections::bookings::NAME],
    )
    .await?;
    let row = projections::bookings::get_booking(pool, booking_id)
        .await?
        .ok_or(BookingViolation::BookingNotFound)?;
    if !may_see(&app, &actor, &params, &row).await {
        return Err(BookingViolation::BookingNotFound.into());
    }
    // The citizen's own reads are not accesses by others.
    if let Some(reader @ (Actor::Sede(_) | Actor::Patronato(_))) = &actor {
        crate::access::record(
            &app,
            reader,
            &[crate::access::booking_subject(&app, &row)],
            "getBookingIcs",
            Some(format!("booking-{booking_id}")),
            &purpose,
        )
        .await?;
    }
    let body = row.ics();
    let mut res = (StatusCode::OK, body).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    res.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        crate::headers::attachment(&row.ics_file_name()),
    );
    Ok(res)
}
