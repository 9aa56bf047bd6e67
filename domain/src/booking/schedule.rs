//! A counter's bookable slots: weekly opening hours cut into slots of the
//! sede's length (8–20 minutes), minus national holidays, the city's patron
//! saint's day, the sede's closures, and what is already held or booked.
//! Dates and opening times are Europe/Rome; slot instants are UTC.
//!
//! Pure: the schedule (reference data), the sede calendar (its stream), the
//! taken slots (a read model) and `now` are arguments.

use super::holidays::{national_holiday, PatronDay};
use super::ids::CounterCode;
use super::sede_calendar::{rome_today, Notice, SedeCalendar};
use super::slot::SlotRef;
use super::violation::BookingViolation;
use crate::ids::SedeCode;
use crate::time::Timestamp;
use chrono::{Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::Rome;
use serde::Serialize;
use std::collections::HashSet;

/// How far ahead a slot may be booked (days after today, Europe/Rome).
pub const BOOKING_HORIZON_DAYS: i64 = 60;

/// Bounds of a sede's slot length (seed 002).
pub const SLOT_MINUTES: std::ops::RangeInclusive<u32> = 8..=20;

/// One weekly opening: ISO weekday (1 = Monday … 7 = Sunday), `[opens, closes)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct WeeklyHours {
    pub weekday: u8,
    pub opens: NaiveTime,
    pub closes: NaiveTime,
}

/// A counter of a sede as the reference data describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CounterSchedule {
    pub sede: SedeCode,
    pub counter: CounterCode,
    pub counter_name: String,
    /// False when the counter or its sede is inactive: no slot at all.
    pub active: bool,
    /// 8 to 20 (clamped).
    pub slot_minutes: u32,
    pub hours: Vec<WeeklyHours>,
    /// The patron saint's day of the sede's city, when known.
    pub patron_day: Option<PatronDay>,
}

/// Why a counter offers no slot on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClosedReason {
    /// The counter does not open on that weekday.
    NotOpen,
    NationalHoliday {
        name: String,
    },
    PatronDay {
        saint: String,
    },
    SedeClosure {
        reason: String,
    },
    CounterInactive,
}

impl ClosedReason {
    /// The Italian explanation shown on the calendar.
    pub fn describe(&self) -> String {
        match self {
            ClosedReason::NotOpen => "sportello chiuso in questo giorno della settimana".into(),
            ClosedReason::NationalHoliday { name } => format!("festività nazionale ({name})"),
            ClosedReason::PatronDay { saint } => format!("festa del santo patrono ({saint})"),
            ClosedReason::SedeClosure { reason } => format!("chiusura della sede: {reason}"),
            ClosedReason::CounterInactive => "sportello non attivo".into(),
        }
    }
}

/// The slots of a day, or why there are none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayPlan {
    pub date: NaiveDate,
    pub closed: Option<ClosedReason>,
    pub slots: Vec<SlotRef>,
}

/// How a day of the month view looks (seed 002: green days can be booked,
/// red ones cannot; a notice circles the day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DayAvailability {
    /// Some slot is free.
    Available,
    /// Open, but every slot is taken (or already started).
    Full,
    Closed,
    Past,
    /// Beyond the booking horizon.
    NotYetBookable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendarDay {
    pub date: NaiveDate,
    pub availability: DayAvailability,
    pub free_slots: usize,
    pub closed: Option<ClosedReason>,
    pub notices: Vec<Notice>,
}

/// The instant of a Europe/Rome local date and time (the earlier one in the
/// autumn overlap; a time in the spring gap is moved forward an hour).
pub fn rome_instant(date: NaiveDate, time: NaiveTime) -> Timestamp {
    let local = date.and_time(time);
    match Rome.from_local_datetime(&local).earliest() {
        Some(t) => t.with_timezone(&Utc),
        None => Rome
            .from_local_datetime(&(local + Duration::hours(1)))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&local)),
    }
}

impl CounterSchedule {
    fn slot_length(&self) -> Duration {
        Duration::minutes(i64::from(
            self.slot_minutes
                .clamp(*SLOT_MINUTES.start(), *SLOT_MINUTES.end()),
        ))
    }

    /// Opening intervals on `date`'s weekday, in order.
    pub fn hours_on(&self, date: NaiveDate) -> Vec<WeeklyHours> {
        let wd = date.weekday().number_from_monday() as u8;
        let mut h: Vec<WeeklyHours> = self
            .hours
            .iter()
            .copied()
            .filter(|h| h.weekday == wd)
            .collect();
        h.sort();
        h
    }

    /// Why the counter is closed on `date`, if it is.
    pub fn closed_reason(&self, date: NaiveDate, calendar: &SedeCalendar) -> Option<ClosedReason> {
        if !self.active {
            return Some(ClosedReason::CounterInactive);
        }
        if let Some(name) = national_holiday(date) {
            return Some(ClosedReason::NationalHoliday { name: name.into() });
        }
        if let Some(p) = self.patron_day.as_ref().filter(|p| p.falls_on(date)) {
            return Some(ClosedReason::PatronDay {
                saint: p.saint.clone(),
            });
        }
        if let Some(c) = calendar.closure_on(date, &self.counter) {
            return Some(ClosedReason::SedeClosure {
                reason: c.reason.clone(),
            });
        }
        if self.hours_on(date).is_empty() {
            return Some(ClosedReason::NotOpen);
        }
        None
    }

    /// Every slot of the opening hours of `date` (ignoring closures): each
    /// interval cut from its opening time; a last piece shorter than a slot
    /// is not offered.
    pub fn slots_of(&self, date: NaiveDate) -> Vec<SlotRef> {
        let len = self.slot_length();
        let mut out = Vec::new();
        for h in self.hours_on(date) {
            let closes = rome_instant(date, h.closes);
            let mut start = rome_instant(date, h.opens);
            while start + len <= closes {
                out.push(SlotRef {
                    sede: self.sede.clone(),
                    counter: self.counter.clone(),
                    start,
                    end: start + len,
                });
                start += len;
            }
        }
        out
    }

    /// The day's plan: its slots unless the counter is closed.
    pub fn day(&self, date: NaiveDate, calendar: &SedeCalendar) -> DayPlan {
        match self.closed_reason(date, calendar) {
            Some(reason) => DayPlan {
                date,
                closed: Some(reason),
                slots: vec![],
            },
            None => DayPlan {
                date,
                closed: None,
                slots: self.slots_of(date),
            },
        }
    }

    /// The last day that may be booked at `now`.
    pub fn horizon(now: Timestamp) -> NaiveDate {
        rome_today(now) + Duration::days(BOOKING_HORIZON_DAYS)
    }

    /// The slot starting at `start`, if the counter offers it and it may be
    /// booked at `now` (open day, in the future, within the horizon).
    pub fn bookable_slot(
        &self,
        start: Timestamp,
        calendar: &SedeCalendar,
        now: Timestamp,
    ) -> Result<SlotRef, BookingViolation> {
        let date = start.with_timezone(&Rome).date_naive();
        if !self.active {
            return Err(BookingViolation::CounterInactive);
        }
        let slot = self
            .slots_of(date)
            .into_iter()
            .find(|s| s.start == start)
            .ok_or(BookingViolation::SlotNotOffered)?;
        if let Some(reason) = self.closed_reason(date, calendar) {
            return Err(BookingViolation::DayClosed {
                date,
                reason: reason.describe(),
            });
        }
        if start <= now {
            return Err(BookingViolation::SlotInPast);
        }
        if date > Self::horizon(now) {
            return Err(BookingViolation::BeyondHorizon {
                days: BOOKING_HORIZON_DAYS,
            });
        }
        Ok(slot)
    }

    /// The slots of `date` a caller may hold now: open day, in the future,
    /// within the horizon, not in `taken` (held or booked at `now`).
    pub fn free_slots(
        &self,
        date: NaiveDate,
        calendar: &SedeCalendar,
        taken: &HashSet<Timestamp>,
        now: Timestamp,
    ) -> DayPlan {
        let mut plan = self.day(date, calendar);
        if date > Self::horizon(now) {
            plan.slots.clear();
        }
        plan.slots
            .retain(|s| s.start > now && !taken.contains(&s.start));
        plan
    }

    /// The month view: every day of `year`/`month` with its availability,
    /// free slots and notices.
    pub fn month(
        &self,
        year: i32,
        month: u32,
        calendar: &SedeCalendar,
        taken: &HashSet<Timestamp>,
        now: Timestamp,
    ) -> Vec<CalendarDay> {
        let Some(first) = NaiveDate::from_ymd_opt(year, month, 1) else {
            return vec![];
        };
        let today = rome_today(now);
        let horizon = Self::horizon(now);
        first
            .iter_days()
            .take_while(|d| d.month() == month)
            .map(|date| {
                let notices: Vec<Notice> =
                    calendar.notices_on(date, &self.counter).cloned().collect();
                let closed = self.closed_reason(date, calendar);
                let (availability, free) = if date < today {
                    (DayAvailability::Past, 0)
                } else if closed.is_some() {
                    (DayAvailability::Closed, 0)
                } else if date > horizon {
                    (DayAvailability::NotYetBookable, 0)
                } else {
                    let free = self.free_slots(date, calendar, taken, now).slots.len();
                    if free > 0 {
                        (DayAvailability::Available, free)
                    } else {
                        (DayAvailability::Full, 0)
                    }
                };
                CalendarDay {
                    date,
                    availability,
                    free_slots: free,
                    closed,
                    notices,
                }
            })
            .collect()
    }
}
