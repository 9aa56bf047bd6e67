//! Public calendar queries: the counters of a sede, a counter's month
//! (`getCounterCalendar`) and a day's free slots (`listFreeSlots`), and the
//! sede's closures and notices. No token needed (seed 002: the calendar is
//! shown before choosing how to book).

use super::http::{counter_code, sede_code, HttpResult, NoticeView, SlotView};
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::routes::queries::{reader, ReadParams};
use crate::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use chrono::{Datelike, Duration, NaiveDate, NaiveTime};
use commands::bookings::{counter_schedule, load_sede_calendar, sede_schedules};
use domain::booking::{rome_instant, rome_today, CounterSchedule, DayAvailability};
use reference::sportelli::{services_of, web_meeting_offered};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// An opening interval, Europe/Rome.
#[derive(Debug, Serialize, ToSchema)]
pub struct HoursView {
    /// ISO weekday, 1 = Monday … 7 = Sunday.
    pub weekday: u8,
    /// `HH:MM`
    pub opens: String,
    pub closes: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CounterView {
    /// `reception`, `servizi_veloci`, …, `servizi_patronati`.
    pub counter: String,
    pub name: String,
    pub active: bool,
    pub slot_minutes: u32,
    pub hours: Vec<HoursView>,
    /// Today's opening, e.g. "Oggi aperto dalle 08:30 alle 12:30"; absent when closed today.
    pub today: Option<String>,
    /// Why it is closed today, when it is.
    pub closed_today: Option<String>,
    /// "Scegli il servizio richiesto": the services of this type of counter.
    pub services: Vec<ServiceView>,
}

/// A service of a counter (reference/sportelli.json).
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceView {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CountersView {
    pub sede: String,
    pub sede_name: String,
    pub address: Option<String>,
    /// The sede pilots the web meeting (seed 002), for signed-in citizens.
    pub web_meeting: bool,
    pub items: Vec<CounterView>,
}

/// Read-your-writes for the sede's calendar (closures, notices, counters):
/// it is read from its event stream on the primary, which holds every
/// committed event, so a position is checked like any query's (`reader`:
/// 400 `invalid_min_position` if the log never had it) and then already
/// satisfied: no read model to wait for (decision E3).
async fn calendar_written(
    app: &AppState,
    headers: &HeaderMap,
    min_position: Option<i64>,
) -> HttpResult<()> {
    reader(app, headers, min_position, &[]).await?;
    Ok(())
}

fn hhmm(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

#[utoipa::path(get, path = "/api/v1/sedi/{sede}/counters", operation_id = "listCounters", tag = "bookings",
    params(("sede" = String, Path), ReadParams),
    responses((status = 200, body = CountersView), (status = 400, body = crate::error::Problem, description = "invalid_min_position"), (status = 404, body = crate::error::Problem, description = "sede_not_found")))]
pub async fn list_counters(
    State(app): State<AppState>,
    ApiPath(sede): ApiPath<String>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<ReadParams>,
) -> HttpResult<Json<CountersView>> {
    let sede = sede_code(&sede)?;
    calendar_written(&app, &headers, params.min_position).await?;
    let schedules = sede_schedules(&app.pool, app.counters.as_ref(), &sede).await?;
    if schedules.is_empty() {
        return Err(domain::booking::BookingViolation::SedeUnknown.into());
    }
    let (calendar, _) = load_sede_calendar(&app.pool, &sede).await?;
    let today = rome_today(app.clock.now());
    let items = schedules
        .iter()
        .map(|s| {
            let closed = s.closed_reason(today, &calendar);
            let today_hours = s
                .hours_on(today)
                .iter()
                .map(|h| format!("dalle {} alle {}", hhmm(h.opens), hhmm(h.closes)))
                .collect::<Vec<_>>()
                .join(" e ");
            CounterView {
                counter: s.counter.to_string(),
                name: s.counter_name.clone(),
                active: s.active,
                slot_minutes: s.slot_minutes,
                hours: s
                    .hours
                    .iter()
                    .map(|h| HoursView {
                        weekday: h.weekday,
                        opens: hhmm(h.opens),
                        closes: hhmm(h.closes),
                    })
                    .collect(),
                today: closed
                    .is_none()
                    .then(|| format!("Oggi aperto {today_hours}")),
                closed_today: closed.map(|c| c.describe()),
                services: services_of(s.counter.as_str())
                    .into_iter()
                    .map(|v| ServiceView {
                        code: v.code,
                        name: v.name,
                    })
                    .collect(),
            }
        })
        .collect();
    let about = reference::get_sede(&app.pool, sede.as_str()).await?;
    Ok(Json(CountersView {
        sede: sede.to_string(),
        sede_name: about.as_ref().map(|s| s.name.clone()).unwrap_or_default(),
        address: about.as_ref().and_then(|s| s.address.clone()),
        web_meeting: web_meeting_offered(about.as_ref().and_then(|s| s.province.as_deref())),
        items,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CalendarParams {
    /// `YYYY-MM`; default: the current month (Europe/Rome).
    pub month: Option<String>,
    /// Wait until the read models include this global position.
    pub min_position: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarDayView {
    pub date: NaiveDate,
    /// `available` (green), `full`, `closed`, `past`, `not_yet_bookable` (red).
    #[schema(value_type = String)]
    pub availability: DayAvailability,
    pub free_slots: usize,
    /// Why the counter is closed that day.
    pub closed_reason: Option<String>,
    /// Notices of the sede for that day (the day is "circled in red").
    pub notices: Vec<NoticeView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarView {
    pub sede: String,
    pub counter: String,
    pub counter_name: String,
    /// `YYYY-MM`
    pub month: String,
    pub slot_minutes: u32,
    /// The last day that may be booked now.
    pub bookable_until: NaiveDate,
    pub days: Vec<CalendarDayView>,
}

/// `[first day 00:00, day after last 00:00)` in Europe/Rome, as instants.
fn range(
    first: NaiveDate,
    after_last: NaiveDate,
) -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
    (
        rome_instant(first, NaiveTime::MIN),
        rome_instant(after_last, NaiveTime::MIN),
    )
}

async fn taken(
    app: &AppState,
    headers: &HeaderMap,
    min_position: Option<i64>,
    s: &CounterSchedule,
    first: NaiveDate,
    after_last: NaiveDate,
) -> HttpResult<std::collections::HashSet<chrono::DateTime<chrono::Utc>>> {
    let pool = reader(app, headers, min_position, &[projections::bookings::NAME]).await?;
    let (from, to) = range(first, after_last);
    Ok(projections::bookings::taken_slots(
        pool,
        s.sede.as_str(),
        s.counter.as_str(),
        from,
        to,
        app.clock.now(),
    )
    .await?)
}

#[utoipa::path(get, path = "/api/v1/sedi/{sede}/counters/{counter}/calendar", operation_id = "getCounterCalendar", tag = "bookings",
    params(("sede" = String, Path), ("counter" = String, Path), CalendarParams),
    responses((status = 200, body = CalendarView),
        (status = 400, body = crate::error::Problem, description = "invalid_month"),
        (status = 404, body = crate::error::Problem, description = "sede_not_found, counter_not_found")))]
pub async fn get_counter_calendar(
    State(app): State<AppState>,
    ApiPath((sede, counter)): ApiPath<(String, String)>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<CalendarParams>,
) -> HttpResult<Json<CalendarView>> {
    let (sede, counter) = (sede_code(&sede)?, counter_code(&counter)?);
    let now = app.clock.now();
    let first = match params.month.as_deref() {
        None => rome_today(now).with_day(1).expect("day 1 exists"),
        Some(m) => NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").map_err(|_| {
            ApiError::bad_request("invalid_month", "Il mese va indicato come AAAA-MM")
        })?,
    };
    let after_last = (first + Duration::days(32))
        .with_day(1)
        .expect("day 1 exists");
    let schedule = counter_schedule(&app.pool, app.counters.as_ref(), &sede, &counter).await?;
    let (calendar, _) = load_sede_calendar(&app.pool, &sede).await?;
    let taken = taken(
        &app,
        &headers,
        params.min_position,
        &schedule,
        first,
        after_last,
    )
    .await?;
    let days = schedule
        .month(first.year(), first.month(), &calendar, &taken, now)
        .into_iter()
        .map(|d| CalendarDayView {
            date: d.date,
            availability: d.availability,
            free_slots: d.free_slots,
            closed_reason: d.closed.map(|c| c.describe()),
            notices: d.notices.iter().map(NoticeView::from).collect(),
        })
        .collect();
    Ok(Json(CalendarView {
        sede: sede.to_string(),
        counter: counter.to_string(),
        counter_name: schedule.counter_name.clone(),
        month: first.format("%Y-%m").to_string(),
        slot_minutes: schedule.slot_minutes,
        bookable_until: CounterSchedule::horizon(now),
        days,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SlotsParams {
    /// `YYYY-MM-DD` (Europe/Rome); default: today.
    pub date: Option<NaiveDate>,
    pub min_position: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DayView {
    pub sede: String,
    pub counter: String,
    pub counter_name: String,
    pub date: NaiveDate,
    pub slot_minutes: u32,
    /// Why the counter is closed that day (then `slots` is empty).
    pub closed_reason: Option<String>,
    pub notices: Vec<NoticeView>,
    /// The slots that may be held now.
    pub slots: Vec<SlotView>,
}

#[utoipa::path(get, path = "/api/v1/sedi/{sede}/counters/{counter}/slots", operation_id = "listFreeSlots", tag = "bookings",
    params(("sede" = String, Path), ("counter" = String, Path), SlotsParams),
    responses((status = 200, body = DayView),
        (status = 404, body = crate::error::Problem, description = "sede_not_found, counter_not_found")))]
pub async fn list_free_slots(
    State(app): State<AppState>,
    ApiPath((sede, counter)): ApiPath<(String, String)>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<SlotsParams>,
) -> HttpResult<Json<DayView>> {
    let (sede, counter) = (sede_code(&sede)?, counter_code(&counter)?);
    let now = app.clock.now();
    let date = params.date.unwrap_or_else(|| rome_today(now));
    let schedule = counter_schedule(&app.pool, app.counters.as_ref(), &sede, &counter).await?;
    let (calendar, _) = load_sede_calendar(&app.pool, &sede).await?;
    let next = date + Duration::days(1);
    let taken = taken(&app, &headers, params.min_position, &schedule, date, next).await?;
    let plan = schedule.free_slots(date, &calendar, &taken, now);
    Ok(Json(DayView {
        sede: sede.to_string(),
        counter: counter.to_string(),
        counter_name: schedule.counter_name.clone(),
        date,
        slot_minutes: schedule.slot_minutes,
        closed_reason: plan.closed.map(|c| c.describe()),
        notices: calendar
            .notices_on(date, &counter)
            .map(NoticeView::from)
            .collect(),
        slots: plan.slots.iter().map(SlotView::from).collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClosureView {
    pub closure_id: Uuid,
    pub date: NaiveDate,
    /// Absent: the whole sede.
    pub counter: Option<String>,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SedeCalendarView {
    pub sede: String,
    pub closures: Vec<ClosureView>,
    pub notices: Vec<NoticeView>,
}

#[utoipa::path(get, path = "/api/v1/sedi/{sede}/closures", operation_id = "getSedeCalendar", tag = "bookings",
    params(("sede" = String, Path), ReadParams),
    responses((status = 200, body = SedeCalendarView),
        (status = 400, body = crate::error::Problem, description = "invalid_min_position")))]
pub async fn get_sede_calendar(
    State(app): State<AppState>,
    ApiPath(sede): ApiPath<String>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<ReadParams>,
) -> HttpResult<Json<SedeCalendarView>> {
    let sede = sede_code(&sede)?;
    calendar_written(&app, &headers, params.min_position).await?;
    let (calendar, _) = load_sede_calendar(&app.pool, &sede).await?;
    let today = rome_today(app.clock.now());
    Ok(Json(SedeCalendarView {
        sede: sede.to_string(),
        closures: calendar
            .closures
            .iter()
            .filter(|c| c.date >= today)
            .map(|c| ClosureView {
                closure_id: c.closure_id.0,
                date: c.date,
                counter: c.counter.as_ref().map(|c| c.to_string()),
                reason: c.reason.clone(),
            })
            .collect(),
        notices: calendar
            .notices
            .iter()
            .filter(|n| n.to >= today)
            .map(NoticeView::from)
            .collect(),
    }))
}
