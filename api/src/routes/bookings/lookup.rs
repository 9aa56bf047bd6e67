//! One booking read by id and booking code, without a token (issue 25): the
//! citizens' app keeps, on the device, the id and code of each booking made
//! without signing in, and shows "Le mie prenotazioni" from this read. The
//! code is the secret: compared in constant time, every call counted
//! against the client's quota (`admit_booking_lookup`), and a wrong code is
//! answered exactly like an unknown id.

use super::anonymous::{admit_booking_lookup, ClientIp};
use super::http::{counter_code, sede_code, HttpResult, MaybeActor, NoticeView};
use crate::extract::{ApiPath, ApiQuery};
use crate::routes::queries::{caught_up, reader};
use crate::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use chrono::{DateTime, Utc};
use chrono_tz::Europe::Rome;
use commands::bookings::load_sede_calendar;
use domain::access::{booking_sight, BookingSight};
use domain::actor::Actor;
use domain::booking::{BookingCode, BookingViolation};
use projections::bookings::BookingRow;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Equal without an early exit, so the time taken says nothing about how
/// much of a guessed code was right.
pub fn same_code(given: &str, stored: &str) -> bool {
    let (a, b) = (given.as_bytes(), stored.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The booking with this id whose code is `code`; `booking_not_found` for
/// an unknown id, a missing or wrong code alike. A booking not yet in the
/// read model (confirmed a moment ago) is looked for again once the
/// projection has caught up.
pub async fn booking_by_code(
    app: &AppState,
    headers: &HeaderMap,
    booking_id: Uuid,
    code: Option<&str>,
    min_position: Option<i64>,
) -> HttpResult<BookingRow> {
    let code = code
        .and_then(|c| BookingCode::parse(c).ok())
        .ok_or(BookingViolation::BookingNotFound)?;
    let names = [projections::bookings::NAME];
    let pool = reader(app, headers, min_position, &names).await?;
    let row = match projections::bookings::get_booking(pool, booking_id).await? {
        Some(row) => Some(row),
        None => {
            let pool = caught_up(app, &names).await?;
            projections::bookings::get_booking(pool, booking_id).await?
        }
    };
    row.filter(|r| r.booker_kind == "citizen" && same_code(code.as_str(), &r.code))
        .ok_or_else(|| BookingViolation::BookingNotFound.into())
}

/// `CLOFBA******501Y`: the first six and last four characters, as the app's
/// "Dettaglio prenotazione" shows it.
pub fn masked_codice_fiscale(cf: &str) -> String {
    if cf.len() != 16 || !cf.is_ascii() {
        return "****************".into();
    }
    format!("{}******{}", &cf[..6], &cf[12..])
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BookingByCodeParams {
    /// The booking code (8 characters). Required without a token.
    pub code: Option<String>,
    pub min_position: Option<i64>,
}

/// "Dettaglio prenotazione": what the citizen sees of one booking. The
/// codice fiscale is masked and the contacts are left out: whoever holds
/// the code may see and cancel the booking, not read the citizen's data.
#[derive(Debug, Serialize, ToSchema)]
pub struct CitizenBookingView {
    pub booking_id: Uuid,
    pub code: String,
    pub sede: String,
    pub sede_name: Option<String>,
    pub sede_address: Option<String>,
    pub counter: String,
    pub counter_name: Option<String>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// `in_presenza`, `ricontatto_telefonico`, `web_meeting`.
    pub mode: Option<String>,
    pub reason: Option<String>,
    pub service_code: Option<String>,
    pub service_name: Option<String>,
    /// `CLOFBA******501Y`
    pub codice_fiscale_masked: String,
    /// Booked signed in (SPID/CIE/PIN) rather than with the codice fiscale alone.
    pub authenticated: bool,
    /// `confirmed` or `cancelled`.
    pub status: String,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// The sede's notices for the booking's day and counter.
    pub notices: Vec<NoticeView>,
    /// The iCalendar (with the code in the query when read without a token).
    pub ics: String,
}

#[utoipa::path(get, path = "/api/v1/bookings/{booking_id}", operation_id = "getCitizenBooking", tag = "bookings",
    params(("booking_id" = Uuid, Path), BookingByCodeParams),
    responses((status = 200, body = CitizenBookingView),
        (status = 401, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem, description = "booking_not_found (unknown id, missing or wrong code, not the caller's)"),
        (status = 429, body = crate::error::Problem, description = "too_many_booking_lookups (without a token; Retry-After)")))]
pub async fn get_booking_by_code(
    State(app): State<AppState>,
    MaybeActor(actor): MaybeActor,
    ClientIp(client): ClientIp,
    ApiPath(booking_id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<BookingByCodeParams>,
) -> HttpResult<Json<CitizenBookingView>> {
    let row = match &actor {
        None => {
            admit_booking_lookup(&app, client)?;
            booking_by_code(
                &app,
                &headers,
                booking_id,
                params.code.as_deref(),
                params.min_position,
            )
            .await?
        }
        Some(citizen @ Actor::Citizen { .. }) => {
            let pool = reader(
                &app,
                &headers,
                params.min_position,
                &[projections::bookings::NAME],
            )
            .await?;
            projections::bookings::get_booking(pool, booking_id)
                .await?
                .filter(|r| {
                    booking_sight(citizen, super::citizen::holders(r)) == BookingSight::Visible
                })
                .ok_or(BookingViolation::BookingNotFound)?
        }
        Some(_) => return Err(BookingViolation::NotAllowedForRole.into()),
    };
    let (sede, counter) = (sede_code(&row.sede_code)?, counter_code(&row.counter_type)?);
    let (calendar, _) = load_sede_calendar(&app.pool, &sede).await?;
    let day = row.slot_start.with_timezone(&Rome).date_naive();
    let notices = calendar
        .notices_on(day, &counter)
        .map(NoticeView::from)
        .collect();
    let ics = match actor {
        None => format!("/api/v1/bookings/{}/ics?code={}", row.booking_id, row.code),
        Some(_) => format!("/api/v1/bookings/{}/ics", row.booking_id),
    };
    Ok(Json(CitizenBookingView {
        booking_id: row.booking_id,
        code: row.code,
        sede: row.sede_code,
        sede_name: row.sede_name,
        sede_address: row.sede_address,
        counter: row.counter_type,
        counter_name: row.counter_name,
        start: row.slot_start,
        end: row.slot_end,
        mode: row.mode,
        reason: row.reason,
        service_code: row.service_code,
        service_name: row.service_name,
        codice_fiscale_masked: row
            .codice_fiscale
            .as_deref()
            .map(masked_codice_fiscale)
            .unwrap_or_default(),
        authenticated: row.authenticated,
        status: row.status,
        cancelled_at: row.cancelled_at,
        notices,
        ics,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_compare_whole() {
        assert!(same_code("K7M2Q9XA", "K7M2Q9XA"));
        assert!(!same_code("K7M2Q9XB", "K7M2Q9XA"));
        assert!(!same_code("K7M2Q9X", "K7M2Q9XA"));
    }

    #[test]
    fn the_codice_fiscale_is_masked_as_the_app_shows_it() {
        assert_eq!(
            masked_codice_fiscale("CLOFBA88A19H501Y"),
            "CLOFBA******501Y"
        );
        assert_eq!(masked_codice_fiscale("short"), "****************");
    }
}
