//! The queue at a counter on one day ("stato di avanzamento della coda",
//! seed 002): tickets issued, called and served (or skipped when the
//! person does not come). Stream `queue-<sede>-<counter>-<YYYYMMDD>`: one
//! per counter and Europe/Rome day, so it stays small and the status is a
//! fold of it.

use super::ids::{BookingCode, CounterCode};
use super::violation::BookingViolation;
use crate::ids::{SedeCode, UserId};
use crate::time::Timestamp;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub const MAX_DESK_CHARS: usize = 20;

pub fn queue_stream_id(sede: &SedeCode, counter: &CounterCode, date: NaiveDate) -> String {
    format!("queue-{sede}-{counter}-{}", date.format("%Y%m%d"))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum QueueEvent {
    TicketIssued {
        number: u32,
        /// The booking the person showed, if they had one.
        booking_code: Option<BookingCode>,
        at: Timestamp,
    },
    TicketCalled {
        number: u32,
        desk: Option<String>,
        by: UserId,
        at: Timestamp,
    },
    TicketServed {
        number: u32,
        by: UserId,
        at: Timestamp,
    },
    /// Called but did not come.
    TicketSkipped {
        number: u32,
        by: UserId,
        at: Timestamp,
    },
}

impl QueueEvent {
    pub fn event_type(&self) -> &'static str {
        match self {
            QueueEvent::TicketIssued { .. } => "TicketIssued",
            QueueEvent::TicketCalled { .. } => "TicketCalled",
            QueueEvent::TicketServed { .. } => "TicketServed",
            QueueEvent::TicketSkipped { .. } => "TicketSkipped",
        }
    }

    pub const TYPES: &'static [&'static str] = &[
        "TicketIssued",
        "TicketCalled",
        "TicketServed",
        "TicketSkipped",
    ];

    pub const SCHEMA_VERSION: i16 = 1;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ticket {
    pub number: u32,
    pub booking_code: Option<BookingCode>,
    pub issued_at: Timestamp,
    pub called_at: Option<Timestamp>,
    pub desk: Option<String>,
    pub served_at: Option<Timestamp>,
    pub skipped_at: Option<Timestamp>,
}

impl Ticket {
    pub fn is_waiting(&self) -> bool {
        self.called_at.is_none()
    }
    pub fn is_in_service(&self) -> bool {
        self.called_at.is_some() && self.served_at.is_none() && self.skipped_at.is_none()
    }
}

/// The queue now, as the app shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueStatus {
    pub issued: usize,
    pub called: usize,
    pub served: usize,
    pub skipped: usize,
    /// People waiting to be called.
    pub waiting: usize,
    /// The last ticket called (the number on the display).
    pub now_serving: Option<u32>,
    /// Tickets called and not yet served, with their desks.
    pub in_service: Vec<Ticket>,
    /// Mean of (served − called) over today's served tickets.
    pub average_service_seconds: Option<f64>,
    /// Mean of (called − issued) over today's called tickets.
    pub average_wait_seconds: Option<f64>,
    /// Waiting people × average service time ÷ desks at work (at least one).
    pub estimated_wait_seconds: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Queue {
    pub version: u64,
    pub tickets: Vec<Ticket>,
}

impl Queue {
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a QueueEvent>) -> Self {
        events.into_iter().fold(Self::default(), Self::apply)
    }

    fn ticket_mut(&mut self, number: u32) -> Option<&mut Ticket> {
        self.tickets.iter_mut().find(|t| t.number == number)
    }

    pub fn ticket(&self, number: u32) -> Option<&Ticket> {
        self.tickets.iter().find(|t| t.number == number)
    }

    pub fn apply(mut self, event: &QueueEvent) -> Self {
        self.version += 1;
        match event {
            QueueEvent::TicketIssued {
                number,
                booking_code,
                at,
            } => self.tickets.push(Ticket {
                number: *number,
                booking_code: booking_code.clone(),
                issued_at: *at,
                called_at: None,
                desk: None,
                served_at: None,
                skipped_at: None,
            }),
            QueueEvent::TicketCalled {
                number, desk, at, ..
            } => {
                if let Some(t) = self.ticket_mut(*number) {
                    t.called_at = Some(*at);
                    t.desk = desk.clone();
                }
            }
            QueueEvent::TicketServed { number, at, .. } => {
                if let Some(t) = self.ticket_mut(*number) {
                    t.served_at = Some(*at);
                }
            }
            QueueEvent::TicketSkipped { number, at, .. } => {
                if let Some(t) = self.ticket_mut(*number) {
                    t.skipped_at = Some(*at);
                }
            }
        }
        self
    }

    pub fn issue(&self, booking_code: Option<BookingCode>, now: Timestamp) -> QueueEvent {
        let number = self.tickets.iter().map(|t| t.number).max().unwrap_or(0) + 1;
        QueueEvent::TicketIssued {
            number,
            booking_code,
            at: now,
        }
    }

    /// Calls the longest-waiting ticket.
    pub fn call_next(
        &self,
        desk: Option<&str>,
        by: UserId,
        now: Timestamp,
    ) -> Result<QueueEvent, BookingViolation> {
        let desk = match desk.map(str::trim).filter(|d| !d.is_empty()) {
            Some(d) if d.chars().count() > MAX_DESK_CHARS => {
                return Err(BookingViolation::TextTooLong {
                    max: MAX_DESK_CHARS,
                })
            }
            d => d.map(str::to_string),
        };
        let next = self
            .tickets
            .iter()
            .filter(|t| t.is_waiting())
            .min_by_key(|t| t.number)
            .ok_or(BookingViolation::QueueEmpty)?;
        Ok(QueueEvent::TicketCalled {
            number: next.number,
            desk,
            by,
            at: now,
        })
    }

    fn check_in_service(&self, number: u32) -> Result<(), BookingViolation> {
        let t = self
            .ticket(number)
            .ok_or(BookingViolation::TicketNotFound)?;
        if t.called_at.is_none() {
            return Err(BookingViolation::TicketNotCalled);
        }
        if !t.is_in_service() {
            return Err(BookingViolation::TicketClosed);
        }
        Ok(())
    }

    pub fn serve(
        &self,
        number: u32,
        by: UserId,
        now: Timestamp,
    ) -> Result<QueueEvent, BookingViolation> {
        self.check_in_service(number)?;
        Ok(QueueEvent::TicketServed {
            number,
            by,
            at: now,
        })
    }

    pub fn skip(
        &self,
        number: u32,
        by: UserId,
        now: Timestamp,
    ) -> Result<QueueEvent, BookingViolation> {
        self.check_in_service(number)?;
        Ok(QueueEvent::TicketSkipped {
            number,
            by,
            at: now,
        })
    }

    pub fn status(&self) -> QueueStatus {
        let mean =
            |xs: Vec<f64>| (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64);
        let secs = |d: chrono::Duration| d.num_milliseconds() as f64 / 1000.0;
        let service: Vec<f64> = self
            .tickets
            .iter()
            .filter_map(|t| Some(secs(t.served_at? - t.called_at?)))
            .collect();
        let wait: Vec<f64> = self
            .tickets
            .iter()
            .filter_map(|t| Some(secs(t.called_at? - t.issued_at)))
            .collect();
        let in_service: Vec<Ticket> = self
            .tickets
            .iter()
            .filter(|t| t.is_in_service())
            .cloned()
            .collect();
        let waiting = self.tickets.iter().filter(|t| t.is_waiting()).count();
        let average_service_seconds = mean(service);
        let desks = self
            .tickets
            .iter()
            .filter(|t| t.called_at.is_some())
            .filter_map(|t| t.desk.as_deref())
            .collect::<std::collections::HashSet<_>>()
            .len()
            .max(1);
        QueueStatus {
            issued: self.tickets.len(),
            called: self
                .tickets
                .iter()
                .filter(|t| t.called_at.is_some())
                .count(),
            served: self
                .tickets
                .iter()
                .filter(|t| t.served_at.is_some())
                .count(),
            skipped: self
                .tickets
                .iter()
                .filter(|t| t.skipped_at.is_some())
                .count(),
            waiting,
            now_serving: self
                .tickets
                .iter()
                .filter(|t| t.called_at.is_some())
                .max_by_key(|t| (t.called_at, t.number))
                .map(|t| t.number),
            in_service,
            average_service_seconds,
            average_wait_seconds: mean(wait),
            estimated_wait_seconds: average_service_seconds
                .map(|s| s * waiting as f64 / desks as f64),
        }
    }
}
