//! The service's "now" and "today" for every signed-in user: the screens
//! that show a day (the sede's agenda and queue) start from the service's
//! day, not the browser's, so that they agree with the rules, and with the
//! manual clock in demos and tests (decision E4). Moving the clock stays
//! `system_admin`'s (`admin.rs`).

use crate::auth::AuthUser;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use domain::booking::rome_today;
use serde::Serialize;
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/clock", get(get_service_clock))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceClock {
    /// The service clock's instant.
    pub now: DateTime<Utc>,
    /// Its calendar day in Europe/Rome.
    pub today: NaiveDate,
}

#[utoipa::path(get, path = "/api/v1/clock", operation_id = "getServiceClock", tag = "session",
    security(("bearer" = [])),
    responses((status = 200, body = ServiceClock), (status = 401, body = crate::error::Problem)))]
pub async fn get_service_clock(State(app): State<AppState>, _user: AuthUser) -> Json<ServiceClock> {
    let now = app.clock.now();
    Json(ServiceClock {
        now,
        today: rome_today(now),
    })
}
