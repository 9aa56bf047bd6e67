//! The calendar a sede manages: closure days (for the whole sede or one
//! counter) and dated notices ("avvisi", seed 002: a date circled in red
//! carries a notice of the sede). Stream `sede-calendar-<sede>`.
//!
//! Declaring a closure does not cancel bookings already taken on that day:
//! the officers cancel them (and the citizens are told), see docs/appointments.md.

use super::ids::{ClosureId, CounterCode, NoticeId};
use super::violation::BookingViolation;
use crate::ids::{SedeCode, UserId};
use crate::time::Timestamp;
use chrono::NaiveDate;
use chrono_tz::Europe::Rome;
use serde::{Deserialize, Serialize};

pub const MAX_CLOSURE_REASON_CHARS: usize = 200;
pub const MAX_NOTICE_CHARS: usize = 1000;
/// The longest period a notice may cover.
pub const MAX_NOTICE_DAYS: i64 = 366;

pub fn sede_calendar_stream_id(sede: &SedeCode) -> String {
    format!("sede-calendar-{sede}")
}

/// Today in Europe/Rome.
pub fn rome_today(now: Timestamp) -> NaiveDate {
    now.with_timezone(&Rome).date_naive()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum SedeCalendarEvent {
    ClosureDeclared {
        closure_id: ClosureId,
        date: NaiveDate,
        /// `None`: the whole sede.
        counter: Option<CounterCode>,
        reason: String,
        by: UserId,
        at: Timestamp,
    },
    ClosureWithdrawn {
        closure_id: ClosureId,
        by: UserId,
        at: Timestamp,
    },
    NoticePublished {
        notice_id: NoticeId,
        from: NaiveDate,
        to: NaiveDate,
        counter: Option<CounterCode>,
        text: String,
        by: UserId,
        at: Timestamp,
    },
    NoticeWithdrawn {
        notice_id: NoticeId,
        by: UserId,
        at: Timestamp,
    },
}

impl SedeCalendarEvent {
    pub fn event_type(&self) -> &'static str {
        match self {
            SedeCalendarEvent::ClosureDeclared { .. } => "ClosureDeclared",
            SedeCalendarEvent::ClosureWithdrawn { .. } => "ClosureWithdrawn",
            SedeCalendarEvent::NoticePublished { .. } => "NoticePublished",
            SedeCalendarEvent::NoticeWithdrawn { .. } => "NoticeWithdrawn",
        }
    }

    pub const TYPES: &'static [&'static str] = &[
        "ClosureDeclared",
        "ClosureWithdrawn",
        "NoticePublished",
        "NoticeWithdrawn",
    ];

    pub const SCHEMA_VERSION: i16 = 1;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Closure {
    pub closure_id: ClosureId,
    pub date: NaiveDate,
    pub counter: Option<CounterCode>,
    pub reason: String,
}

impl Closure {
    pub fn applies_to(&self, date: NaiveDate, counter: &CounterCode) -> bool {
        self.date == date && self.counter.as_ref().is_none_or(|c| c == counter)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    pub notice_id: NoticeId,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub counter: Option<CounterCode>,
    pub text: String,
    pub published_at: Timestamp,
}

impl Notice {
    pub fn applies_to(&self, date: NaiveDate, counter: &CounterCode) -> bool {
        self.from <= date && date <= self.to && self.counter.as_ref().is_none_or(|c| c == counter)
    }
}

/// Closures and notices in force (withdrawn ones are gone).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SedeCalendar {
    pub version: u64,
    pub closures: Vec<Closure>,
    pub notices: Vec<Notice>,
}

fn text(raw: &str, max: usize, empty: BookingViolation) -> Result<String, BookingViolation> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(empty);
    }
    if t.chars().count() > max {
        return Err(BookingViolation::TextTooLong { max });
    }
    Ok(t.to_string())
}

impl SedeCalendar {
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a SedeCalendarEvent>) -> Self {
        events.into_iter().fold(Self::default(), Self::apply)
    }

    pub fn apply(mut self, event: &SedeCalendarEvent) -> Self {
        self.version += 1;
        match event {
            SedeCalendarEvent::ClosureDeclared {
                closure_id,
                date,
                counter,
                reason,
                ..
            } => self.closures.push(Closure {
                closure_id: *closure_id,
                date: *date,
                counter: counter.clone(),
                reason: reason.clone(),
            }),
            SedeCalendarEvent::ClosureWithdrawn { closure_id, .. } => {
                self.closures.retain(|c| c.closure_id != *closure_id)
            }
            SedeCalendarEvent::NoticePublished {
                notice_id,
                from,
                to,
                counter,
                text,
                at,
                ..
            } => self.notices.push(Notice {
                notice_id: *notice_id,
                from: *from,
                to: *to,
                counter: counter.clone(),
                text: text.clone(),
                published_at: *at,
            }),
            SedeCalendarEvent::NoticeWithdrawn { notice_id, .. } => {
                self.notices.retain(|n| n.notice_id != *notice_id)
            }
        }
        self
    }

    /// The closure that closes `counter` on `date`, if any.
    pub fn closure_on(&self, date: NaiveDate, counter: &CounterCode) -> Option<&Closure> {
        self.closures.iter().find(|c| c.applies_to(date, counter))
    }

    pub fn notices_on<'a>(
        &'a self,
        date: NaiveDate,
        counter: &'a CounterCode,
    ) -> impl Iterator<Item = &'a Notice> + 'a {
        self.notices
            .iter()
            .filter(move |n| n.applies_to(date, counter))
    }

    pub fn declare_closure(
        &self,
        closure_id: ClosureId,
        date: NaiveDate,
        counter: Option<CounterCode>,
        reason: &str,
        by: UserId,
        now: Timestamp,
    ) -> Result<SedeCalendarEvent, BookingViolation> {
        if date < rome_today(now) {
            return Err(BookingViolation::DateInPast);
        }
        let reason = text(
            reason,
            MAX_CLOSURE_REASON_CHARS,
            BookingViolation::ClosureReasonRequired,
        )?;
        if self
            .closures
            .iter()
            .any(|c| c.date == date && c.counter == counter)
        {
            return Err(BookingViolation::ClosureAlreadyDeclared);
        }
        Ok(SedeCalendarEvent::ClosureDeclared {
            closure_id,
            date,
            counter,
            reason,
            by,
            at: now,
        })
    }

    pub fn withdraw_closure(
        &self,
        closure_id: ClosureId,
        by: UserId,
        now: Timestamp,
    ) -> Result<SedeCalendarEvent, BookingViolation> {
        if !self.closures.iter().any(|c| c.closure_id == closure_id) {
            return Err(BookingViolation::ClosureNotFound);
        }
        Ok(SedeCalendarEvent::ClosureWithdrawn {
            closure_id,
            by,
            at: now,
        })
    }

    #[allow(clippy::too_many_arguments)]
    pub fn publish_notice(
        &self,
        notice_id: NoticeId,
        from: NaiveDate,
        to: NaiveDate,
        counter: Option<CounterCode>,
        body: &str,
        by: UserId,
        now: Timestamp,
    ) -> Result<SedeCalendarEvent, BookingViolation> {
        if to < rome_today(now) {
            return Err(BookingViolation::DateInPast);
        }
        if to < from || (to - from).num_days() > MAX_NOTICE_DAYS {
            return Err(BookingViolation::PeriodInvalid);
        }
        let text = text(body, MAX_NOTICE_CHARS, BookingViolation::NoticeTextRequired)?;
        Ok(SedeCalendarEvent::NoticePublished {
            notice_id,
            from,
            to,
            counter,
            text,
            by,
            at: now,
        })
    }

    pub fn withdraw_notice(
        &self,
        notice_id: NoticeId,
        by: UserId,
        now: Timestamp,
    ) -> Result<SedeCalendarEvent, BookingViolation> {
        if !self.notices.iter().any(|n| n.notice_id == notice_id) {
            return Err(BookingViolation::NoticeNotFound);
        }
        Ok(SedeCalendarEvent::NoticeWithdrawn {
            notice_id,
            by,
            at: now,
        })
    }
}
