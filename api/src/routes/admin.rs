//! The manual clock, for demos and black-box tests (like Stripe's test clocks).
//! Exists only when the service was started with `--clock manual`; only the
//! `system_admin` role may move it, by bounded amounts (H7).

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::guard::SystemAdminCaller;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Datelike, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/admin/clock", get(get_clock).post(set_clock))
}

/// Set the clock to an instant, or advance it.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockChange {
    /// Move the clock to this instant.
    pub set: Option<DateTime<Utc>>,
    /// Move the clock forward by this many seconds.
    pub advance_seconds: Option<i64>,
    /// Move the clock forward by this many days (24 h each).
    pub advance_days: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClockState {
    pub now: DateTime<Utc>,
    pub manual: bool,
}

#[utoipa::path(get, path = "/api/v1/admin/clock", operation_id = "getClock", tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, body = ClockState)))]
pub async fn get_clock(State(app): State<AppState>, _user: AuthUser) -> Json<ClockState> {
    Json(ClockState {
        now: app.clock.now(),
        manual: app.manual_clock.is_some(),
    })
}

/// The furthest one call may move the clock forward, and the years `set`
/// may name: a demo crosses weeks or months, never centuries (H7).
const MAX_ADVANCE_SECONDS: i64 = 366 * 86_400;
const FIRST_YEAR: i32 = 2000;
const LAST_YEAR: i32 = 2100;

#[utoipa::path(post, path = "/api/v1/admin/clock", operation_id = "setClock", tag = "admin",
    security(("bearer" = [])),
    request_body = ClockChange,
    responses((status = 200, body = ClockState),
        (status = 400, body = crate::error::Problem, description = "clock_backwards, clock_out_of_range, invalid_json"),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem, description = "only `system_admin`"),
        (status = 422, body = crate::error::Problem, description = "clock_not_manual, invalid_body")))]
pub async fn set_clock(
    State(app): State<AppState>,
    _admin: SystemAdminCaller,
    ApiJson(change): ApiJson<ClockChange>,
) -> Result<Json<ClockState>, ApiError> {
    let Some(clock) = &app.manual_clock else {
        return Err(ApiError::Unprocessable {
            code: "clock_not_manual",
            detail: "L'orologio del servizio non è manuale (avviare con --clock manual)".into(),
        });
    };
    let out_of_range = || {
        ApiError::bad_request(
            "clock_out_of_range",
            format!(
                "Si può spostare l'orologio di al massimo {} giorni per volta, \
                 e solo tra gli anni {FIRST_YEAR} e {LAST_YEAR}",
                MAX_ADVANCE_SECONDS / 86_400
            ),
        )
    };
    let advance = change
        .advance_days
        .unwrap_or(0)
        .checked_mul(86_400)
        .and_then(|d| d.checked_add(change.advance_seconds.unwrap_or(0)))
        .ok_or_else(out_of_range)?;
    if advance < 0
        || change.advance_seconds.unwrap_or(0) < 0
        || change.advance_days.unwrap_or(0) < 0
    {
        return Err(ApiError::bad_request(
            "clock_backwards",
            "L'orologio può essere solo spostato in avanti con advance; usare set",
        ));
    }
    if advance > MAX_ADVANCE_SECONDS {
        return Err(out_of_range());
    }
    let years = FIRST_YEAR..=LAST_YEAR;
    if let Some(at) = change.set {
        if !years.contains(&at.year()) {
            return Err(out_of_range());
        }
    }
    let base = change.set.unwrap_or_else(|| app.clock.now());
    if !years.contains(&(base + Duration::seconds(advance)).year()) {
        return Err(out_of_range());
    }
    if let Some(at) = change.set {
        clock.set(at);
    }
    clock.advance(Duration::seconds(advance));
    tracing::warn!(now = %app.clock.now(), "manual clock changed");
    Ok(Json(ClockState {
        now: app.clock.now(),
        manual: true,
    }))
}
