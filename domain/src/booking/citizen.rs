//! The bookings of one codice fiscale: stream `citizen-bookings-<pseudonym>`.
//!
//! The limits of seed 002 ("una prenotazione per ogni tipo di sportello fino
//! ad un massimo di tre") span slots of many counters and sedi, so no slot
//! stream can enforce them. This stream can: every hold and confirmation of
//! a citizen is appended to it **in the same transaction** as to the slot's
//! stream, at the version the rules were checked against. Two concurrent
//! bookings of one citizen collide on this stream's version; the loser is
//! decided again and sees the winner's booking.
//!
//! Unconfirmed holds count towards the limits while they last (5 minutes),
//! so a citizen cannot hold more slots than they may book. A new hold of the
//! same counter type replaces the previous unconfirmed one (its slot is
//! released in the same transaction).

use super::ids::{BookingCode, BookingId, HoldId};
use super::slot::SlotRef;
use super::violation::BookingViolation;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Active bookings (and live holds) a codice fiscale may have at once.
pub const MAX_ACTIVE_BOOKINGS: usize = 3;

/// `citizen-bookings-<subject>`: the citizen's keyed pseudonym, so that no
/// stream name holds a codice fiscale (docs/privacy.md).
pub fn citizen_stream_id(subject: &str) -> String {
    format!("citizen-bookings-{subject}")
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum CitizenEvent {
    CitizenHoldPlaced {
        hold_id: HoldId,
        slot: SlotRef,
        at: Timestamp,
        expires_at: Timestamp,
    },
    CitizenHoldReleased {
        hold_id: HoldId,
        at: Timestamp,
    },
    CitizenBookingConfirmed {
        booking_id: BookingId,
        hold_id: HoldId,
        code: BookingCode,
        slot: SlotRef,
        at: Timestamp,
    },
    CitizenBookingCancelled {
        booking_id: BookingId,
        at: Timestamp,
    },
}

impl CitizenEvent {
    pub fn event_type(&self) -> &'static str {
        match self {
            CitizenEvent::CitizenHoldPlaced { .. } => "CitizenHoldPlaced",
            CitizenEvent::CitizenHoldReleased { .. } => "CitizenHoldReleased",
            CitizenEvent::CitizenBookingConfirmed { .. } => "CitizenBookingConfirmed",
            CitizenEvent::CitizenBookingCancelled { .. } => "CitizenBookingCancelled",
        }
    }

    pub const TYPES: &'static [&'static str] = &[
        "CitizenHoldPlaced",
        "CitizenHoldReleased",
        "CitizenBookingConfirmed",
        "CitizenBookingCancelled",
    ];

    pub const SCHEMA_VERSION: i16 = 1;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CitizenHold {
    pub hold_id: HoldId,
    pub slot: SlotRef,
    pub expires_at: Timestamp,
    pub released: bool,
    pub confirmed: bool,
}

impl CitizenHold {
    pub fn is_live(&self, now: Timestamp) -> bool {
        !self.released && !self.confirmed && now < self.expires_at
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CitizenBooking {
    pub booking_id: BookingId,
    pub hold_id: HoldId,
    pub code: BookingCode,
    pub slot: SlotRef,
    pub confirmed_at: Timestamp,
    pub cancelled: bool,
}

impl CitizenBooking {
    /// Not cancelled, and the appointment not over.
    pub fn is_active(&self, now: Timestamp) -> bool {
        !self.cancelled && now < self.slot.end
    }
}

/// What placing a hold writes: the citizen's events, and the previous hold
/// of the same counter type whose slot must be released with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldPlan {
    pub events: Vec<CitizenEvent>,
    pub replaces: Option<(HoldId, SlotRef)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CitizenBookings {
    pub version: u64,
    pub holds: Vec<CitizenHold>,
    pub bookings: Vec<CitizenBooking>,
    /// The instant of the stream's latest event.
    #[serde(skip)]
    pub latest: Option<Timestamp>,
}

impl CitizenBookings {
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a CitizenEvent>) -> Self {
        events.into_iter().fold(Self::default(), Self::apply)
    }

    pub fn apply(mut self, event: &CitizenEvent) -> Self {
        self.version += 1;
        let at = match event {
            CitizenEvent::CitizenHoldPlaced { at, .. }
            | CitizenEvent::CitizenHoldReleased { at, .. }
            | CitizenEvent::CitizenBookingConfirmed { at, .. }
            | CitizenEvent::CitizenBookingCancelled { at, .. } => *at,
        };
        self.latest = Some(self.latest.map_or(at, |l| l.max(at)));
        match event {
            CitizenEvent::CitizenHoldPlaced {
                hold_id,
                slot,
                expires_at,
                ..
            } => self.holds.push(CitizenHold {
                hold_id: *hold_id,
                slot: slot.clone(),
                expires_at: *expires_at,
                released: false,
                confirmed: false,
            }),
            CitizenEvent::CitizenHoldReleased { hold_id, .. } => {
                if let Some(h) = self.holds.iter_mut().find(|h| h.hold_id == *hold_id) {
                    h.released = true;
                }
            }
            CitizenEvent::CitizenBookingConfirmed {
                booking_id,
                hold_id,
                code,
                slot,
                at,
            } => {
                if let Some(h) = self.holds.iter_mut().find(|h| h.hold_id == *hold_id) {
                    h.confirmed = true;
                }
                self.bookings.push(CitizenBooking {
                    booking_id: *booking_id,
                    hold_id: *hold_id,
                    code: code.clone(),
                    slot: slot.clone(),
                    confirmed_at: *at,
                    cancelled: false,
                });
            }
            CitizenEvent::CitizenBookingCancelled { booking_id, .. } => {
                if let Some(b) = self
                    .bookings
                    .iter_mut()
                    .find(|b| b.booking_id == *booking_id)
                {
                    b.cancelled = true;
                }
            }
        }
        self
    }

    /// The instant a decision is taken at: never before the stream's latest
    /// event. A command decided with an older `now` (its clock read before a
    /// concurrent command committed, then retried on the conflict) would see
    /// holds that had expired, and been replaced, as live again.
    fn decision_time(&self, now: Timestamp) -> Timestamp {
        self.latest.map_or(now, |latest| now.max(latest))
    }

    pub fn active_bookings(&self, now: Timestamp) -> impl Iterator<Item = &CitizenBooking> {
        self.bookings.iter().filter(move |b| b.is_active(now))
    }

    pub fn live_holds(&self, now: Timestamp) -> impl Iterator<Item = &CitizenHold> {
        self.holds.iter().filter(move |h| h.is_live(now))
    }

    pub fn hold(&self, hold_id: HoldId) -> Option<&CitizenHold> {
        self.holds.iter().find(|h| h.hold_id == hold_id)
    }

    pub fn booking(&self, booking_id: BookingId) -> Option<&CitizenBooking> {
        self.bookings.iter().find(|b| b.booking_id == booking_id)
    }

    /// The limits, for a new hold on `slot` (SPEC §4): no active booking of the
    /// same counter type, and at most three bookings and live holds together
    /// (a live hold of the same counter type is replaced, not added).
    pub fn place_hold(
        &self,
        hold_id: HoldId,
        slot: &SlotRef,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<HoldPlan, BookingViolation> {
        let now = self.decision_time(now);
        if self
            .active_bookings(now)
            .any(|b| b.slot.counter == slot.counter)
        {
            return Err(BookingViolation::LimitPerCounterType {
                counter: slot.counter.to_string(),
            });
        }
        let replaced = self
            .live_holds(now)
            .find(|h| h.slot.counter == slot.counter);
        if replaced.is_some_and(|h| h.slot == *slot) {
            // Holding again what one holds: the slot is not free.
            return Err(BookingViolation::SlotUnavailable);
        }
        let others = self.active_bookings(now).count()
            + self
                .live_holds(now)
                .filter(|h| h.slot.counter != slot.counter)
                .count();
        if others + 1 > MAX_ACTIVE_BOOKINGS {
            return Err(BookingViolation::LimitTotal {
                max: MAX_ACTIVE_BOOKINGS,
            });
        }
        let mut events = Vec::new();
        if let Some(h) = replaced {
            events.push(CitizenEvent::CitizenHoldReleased {
                hold_id: h.hold_id,
                at: now,
            });
        }
        events.push(CitizenEvent::CitizenHoldPlaced {
            hold_id,
            slot: slot.clone(),
            at: now,
            expires_at,
        });
        Ok(HoldPlan {
            events,
            replaces: replaced.map(|h| (h.hold_id, h.slot.clone())),
        })
    }

    /// The confirmation of a live hold; the limits are checked again against
    /// the bookings (they held when the hold was placed).
    pub fn confirm(
        &self,
        hold_id: HoldId,
        booking_id: BookingId,
        code: BookingCode,
        now: Timestamp,
    ) -> Result<CitizenEvent, BookingViolation> {
        let now = self.decision_time(now);
        let hold = self.hold(hold_id).ok_or(BookingViolation::HoldNotFound)?;
        if hold.confirmed {
            return Err(BookingViolation::AlreadyConfirmed);
        }
        if !hold.is_live(now) {
            return Err(BookingViolation::HoldExpired);
        }
        if self
            .active_bookings(now)
            .any(|b| b.slot.counter == hold.slot.counter)
        {
            return Err(BookingViolation::LimitPerCounterType {
                counter: hold.slot.counter.to_string(),
            });
        }
        if self.active_bookings(now).count() >= MAX_ACTIVE_BOOKINGS {
            return Err(BookingViolation::LimitTotal {
                max: MAX_ACTIVE_BOOKINGS,
            });
        }
        Ok(CitizenEvent::CitizenBookingConfirmed {
            booking_id,
            hold_id,
            code,
            slot: hold.slot.clone(),
            at: now,
        })
    }

    pub fn cancel(
        &self,
        booking_id: BookingId,
        now: Timestamp,
    ) -> Result<CitizenEvent, BookingViolation> {
        let now = self.decision_time(now);
        let b = self
            .booking(booking_id)
            .ok_or(BookingViolation::BookingNotFound)?;
        if b.cancelled {
            return Err(BookingViolation::AlreadyCancelled);
        }
        if now >= b.slot.start {
            return Err(BookingViolation::NotCancellable);
        }
        Ok(CitizenEvent::CitizenBookingCancelled {
            booking_id,
            at: now,
        })
    }
}
