//! The facts the booking rules need from outside the slot: the counter's
//! schedule (reference data: counters, hours, the sede's slot length and
//! city, the city's patron day) and the sede's calendar (its stream).

use super::{load, CommandError, SEDE_CALENDAR_STREAM_TYPE};
use crate::ports::CounterDirectory;
use domain::booking::{
    sede_calendar_stream_id, BookingViolation, CounterCode, CounterSchedule, PatronDay,
    SedeCalendar, SedeCalendarEvent,
};
use domain::ids::SedeCode;
use sqlx::PgPool;

/// The patron saint's day of a city (`ref_patron_days`), if known.
pub async fn patron_day(pool: &PgPool, city: &str) -> Result<Option<PatronDay>, sqlx::Error> {
    let row: Option<(i16, i16, String)> =
        sqlx::query_as("SELECT month, day, saint FROM ref_patron_days WHERE city = $1")
            .bind(city)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|(month, day, saint)| PatronDay {
        month: month as u32,
        day: day as u32,
        saint,
    }))
}

/// Every counter of a sede as a schedule (empty for an unknown sede).
pub async fn sede_schedules(
    pool: &PgPool,
    counters: &dyn CounterDirectory,
    sede: &SedeCode,
) -> Result<Vec<CounterSchedule>, CommandError> {
    let Some(s) = counters.sede(sede).await? else {
        return Ok(vec![]);
    };
    let patron = match &s.city {
        Some(city) => patron_day(pool, city).await?,
        None => None,
    };
    let mut out = Vec::new();
    for c in counters.counters(sede).await? {
        let Ok(counter) = CounterCode::parse(&c.counter_type) else {
            continue;
        };
        out.push(CounterSchedule {
            sede: sede.clone(),
            counter,
            counter_name: c.name,
            active: s.active && c.active,
            slot_minutes: s.slot_minutes,
            hours: c.hours,
            patron_day: patron.clone(),
        });
    }
    Ok(out)
}

/// The schedule of one counter; `sede_not_found` / `counter_not_found` otherwise.
pub async fn counter_schedule(
    pool: &PgPool,
    counters: &dyn CounterDirectory,
    sede: &SedeCode,
    counter: &CounterCode,
) -> Result<CounterSchedule, CommandError> {
    let all = sede_schedules(pool, counters, sede).await?;
    if all.is_empty() && counters.sede(sede).await?.is_none() {
        return Err(BookingViolation::SedeUnknown.into());
    }
    all.into_iter()
        .find(|s| s.counter == *counter)
        .ok_or(BookingViolation::CounterUnknown.into())
}

/// The sede's closures and notices, folded from `sede-calendar-<sede>`.
pub async fn load_sede_calendar(
    pool: &PgPool,
    sede: &SedeCode,
) -> Result<(SedeCalendar, store::Expected), CommandError> {
    let (events, expected) = load::<SedeCalendarEvent>(
        pool,
        &sede_calendar_stream_id(sede),
        SEDE_CALENDAR_STREAM_TYPE,
    )
    .await?;
    Ok((SedeCalendar::from_events(&events), expected))
}
