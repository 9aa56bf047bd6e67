//! The slot aggregate: one stream per bookable slot of a counter,
//! `slot-<sede>-<counter>-<start, UTC>`. Its events say who holds or booked
//! the slot; its version is what makes "two people can never hold or book the
//! same slot" true: two writers deciding on the same version collide on the
//! event store's `UNIQUE (stream_id, version)`, and the loser decides again
//! on the new state.
//!
//! A hold lasts 5 minutes. Whether it still holds is a function of `now`
//! ([`Slot::occupancy`]): an expired hold frees the slot without any event
//! or job.

use super::contact::BookingDetails;
use super::ids::{BookingCode, BookingId, CounterCode, HoldId};
use super::offer::RequestedService;
use super::violation::BookingViolation;
use crate::codice_fiscale::CodiceFiscale;
use crate::ids::{OfficeId, PatronatoId, ProtocolNumber, RequestId, SedeCode, UserId};
use crate::personal::Personal;
use crate::time::Timestamp;
use chrono::{DateTime, Duration};
use chrono_tz::{Europe::Rome, Tz};
use serde::{Deserialize, Serialize};

/// How long a hold keeps a slot for its holder.
pub fn hold_duration() -> Duration {
    Duration::minutes(5)
}

/// A slot of a counter: sede, counter type, and its `[start, end)` instants.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SlotRef {
    pub sede: SedeCode,
    pub counter: CounterCode,
    pub start: Timestamp,
    pub end: Timestamp,
}

impl SlotRef {
    /// `slot-5100-servizi_veloci-20260105T0730Z`.
    pub fn stream_id(&self) -> String {
        format!(
            "slot-{}-{}-{}",
            self.sede,
            self.counter,
            self.start.format("%Y%m%dT%H%MZ")
        )
    }

    pub fn local_start(&self) -> DateTime<Tz> {
        self.start.with_timezone(&Rome)
    }

    pub fn local_end(&self) -> DateTime<Tz> {
        self.end.with_timezone(&Rome)
    }
}

/// For whom a slot is booked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Booker {
    /// A citizen, after a hold, with mode, reason and contacts.
    Citizen {
        codice_fiscale: Personal<CodiceFiscale>,
        /// Booked with a token (SPID/CIE/PIN) rather than the code alone.
        authenticated: bool,
        details: BookingDetails,
    },
    /// A patronato, for a request (SPEC §2.4), at the "Servizi per i patronati" counter.
    Request {
        request_id: RequestId,
        protocol: ProtocolNumber,
        by: UserId,
        patronato: PatronatoId,
        office: OfficeId,
    },
}

impl Booker {
    /// The citizen's code, unless the booker is a request's or was erased.
    pub fn codice_fiscale(&self) -> Option<&CodiceFiscale> {
        match self {
            Booker::Citizen { codice_fiscale, .. } => codice_fiscale.known(),
            Booker::Request { .. } => None,
        }
    }

    pub fn request_id(&self) -> Option<RequestId> {
        match self {
            Booker::Request { request_id, .. } => Some(*request_id),
            Booker::Citizen { .. } => None,
        }
    }
}

/// Who cancelled a booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "side", rename_all = "snake_case")]
pub enum Canceller {
    /// The citizen who booked (authenticated, or with codice fiscale and booking code).
    Citizen,
    /// A patronato user, for the request's appointment.
    Patronato { by: UserId },
    /// An officer of the sede.
    Sede { by: UserId },
}

/// The events of a slot stream. `type` names the variant in the stored JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum SlotEvent {
    SlotHeld {
        slot: SlotRef,
        hold_id: HoldId,
        codice_fiscale: Personal<CodiceFiscale>,
        authenticated: bool,
        at: Timestamp,
        expires_at: Timestamp,
    },
    SlotBooked {
        slot: SlotRef,
        booking_id: BookingId,
        code: BookingCode,
        /// The hold it confirms; `None` for a direct booking (a request's appointment).
        hold_id: Option<HoldId>,
        booker: Booker,
        /// "Scegli il servizio richiesto" (seed 002). Added after the first
        /// release: events stored without it read as `None` (no upcast step
        /// needed for an optional field; docs/decisions.md C3).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        service: Option<RequestedService>,
        at: Timestamp,
    },
    /// The holder moved to another slot of the same counter type (or let go).
    SlotHoldReleased { hold_id: HoldId, at: Timestamp },
    SlotBookingCancelled {
        booking_id: BookingId,
        by: Canceller,
        reason: Option<String>,
        at: Timestamp,
    },
}

impl SlotEvent {
    pub fn event_type(&self) -> &'static str {
        match self {
            SlotEvent::SlotHeld { .. } => "SlotHeld",
            SlotEvent::SlotBooked { .. } => "SlotBooked",
            SlotEvent::SlotHoldReleased { .. } => "SlotHoldReleased",
            SlotEvent::SlotBookingCancelled { .. } => "SlotBookingCancelled",
        }
    }

    pub const TYPES: &'static [&'static str] = &[
        "SlotHeld",
        "SlotBooked",
        "SlotHoldReleased",
        "SlotBookingCancelled",
    ];

    pub const SCHEMA_VERSION: i16 = 1;

    pub fn at(&self) -> Timestamp {
        match self {
            SlotEvent::SlotHeld { at, .. }
            | SlotEvent::SlotBooked { at, .. }
            | SlotEvent::SlotHoldReleased { at, .. }
            | SlotEvent::SlotBookingCancelled { at, .. } => *at,
        }
    }
}

/// A live hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hold {
    pub hold_id: HoldId,
    pub codice_fiscale: Personal<CodiceFiscale>,
    pub authenticated: bool,
    pub at: Timestamp,
    pub expires_at: Timestamp,
}

/// A booking not cancelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActiveBooking {
    pub booking_id: BookingId,
    pub code: BookingCode,
    pub hold_id: Option<HoldId>,
    pub booker: Booker,
    pub at: Timestamp,
}

/// Who has the slot at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occupancy<'a> {
    Free,
    Held(&'a Hold),
    Booked(&'a ActiveBooking),
}

/// The slot's state, folded from its events. `Slot::default()` is a slot
/// nobody ever touched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Slot {
    pub version: u64,
    pub slot: Option<SlotRef>,
    pub hold: Option<Hold>,
    pub booking: Option<ActiveBooking>,
    /// Every hold this slot ever had (to tell "expired" from "never existed").
    pub past_holds: Vec<HoldId>,
    pub cancelled: Vec<BookingId>,
}

impl Slot {
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a SlotEvent>) -> Slot {
        events.into_iter().fold(Slot::default(), Slot::apply)
    }

    /// Records one event; total.
    pub fn apply(mut self, event: &SlotEvent) -> Slot {
        self.version += 1;
        match event {
            SlotEvent::SlotHeld {
                slot,
                hold_id,
                codice_fiscale,
                authenticated,
                at,
                expires_at,
            } => {
                self.slot = Some(slot.clone());
                self.past_holds.push(*hold_id);
                self.hold = Some(Hold {
                    hold_id: *hold_id,
                    codice_fiscale: codice_fiscale.clone(),
                    authenticated: *authenticated,
                    at: *at,
                    expires_at: *expires_at,
                });
            }
            SlotEvent::SlotBooked {
                slot,
                booking_id,
                code,
                hold_id,
                booker,
                at,
                ..
            } => {
                self.slot = Some(slot.clone());
                self.hold = None;
                self.booking = Some(ActiveBooking {
                    booking_id: *booking_id,
                    code: code.clone(),
                    hold_id: *hold_id,
                    booker: booker.clone(),
                    at: *at,
                });
            }
            SlotEvent::SlotHoldReleased { hold_id, .. } => {
                if self.hold.as_ref().is_some_and(|h| h.hold_id == *hold_id) {
                    self.hold = None;
                }
            }
            SlotEvent::SlotBookingCancelled { booking_id, .. } => {
                if self
                    .booking
                    .as_ref()
                    .is_some_and(|b| b.booking_id == *booking_id)
                {
                    self.booking = None;
                }
                self.cancelled.push(*booking_id);
            }
        }
        self
    }

    /// Who has the slot at `now`: a booking, a hold younger than 5 minutes, or nobody.
    pub fn occupancy(&self, now: Timestamp) -> Occupancy<'_> {
        if let Some(b) = &self.booking {
            return Occupancy::Booked(b);
        }
        match &self.hold {
            Some(h) if now < h.expires_at => Occupancy::Held(h),
            _ => Occupancy::Free,
        }
    }

    pub fn is_free(&self, now: Timestamp) -> bool {
        matches!(self.occupancy(now), Occupancy::Free)
    }

    /// A citizen holds the slot for 5 minutes. Refused while anybody else (or
    /// the same citizen) holds or booked it.
    pub fn hold(
        &self,
        slot: &SlotRef,
        hold_id: HoldId,
        codice_fiscale: &CodiceFiscale,
        authenticated: bool,
        now: Timestamp,
    ) -> Result<SlotEvent, BookingViolation> {
        if now >= slot.start {
            return Err(BookingViolation::SlotInPast);
        }
        if !self.is_free(now) {
            return Err(BookingViolation::SlotUnavailable);
        }
        Ok(SlotEvent::SlotHeld {
            slot: slot.clone(),
            hold_id,
            codice_fiscale: codice_fiscale.clone().into(),
            authenticated,
            at: now,
            expires_at: now + hold_duration(),
        })
    }

    /// The holder confirms within the 5 minutes.
    #[allow(clippy::too_many_arguments)]
    pub fn confirm(
        &self,
        hold_id: HoldId,
        codice_fiscale: &CodiceFiscale,
        authenticated: bool,
        details: BookingDetails,
        service: Option<RequestedService>,
        booking_id: BookingId,
        code: BookingCode,
        now: Timestamp,
    ) -> Result<SlotEvent, BookingViolation> {
        let slot = self.slot.clone().ok_or(BookingViolation::HoldNotFound)?;
        if let Some(b) = &self.booking {
            return Err(if b.hold_id == Some(hold_id) {
                BookingViolation::AlreadyConfirmed
            } else if self.past_holds.contains(&hold_id) {
                BookingViolation::HoldExpired
            } else {
                BookingViolation::HoldNotFound
            });
        }
        let hold = match &self.hold {
            Some(h) if h.hold_id == hold_id => {
                if !h.codice_fiscale.is(codice_fiscale) {
                    return Err(BookingViolation::HoldNotFound);
                }
                h
            }
            _ if self.past_holds.contains(&hold_id) => return Err(BookingViolation::HoldExpired),
            _ => return Err(BookingViolation::HoldNotFound),
        };
        if now >= hold.expires_at {
            return Err(BookingViolation::HoldExpired);
        }
        if now >= slot.start {
            return Err(BookingViolation::SlotInPast);
        }
        Ok(SlotEvent::SlotBooked {
            slot,
            booking_id,
            code,
            hold_id: Some(hold_id),
            booker: Booker::Citizen {
                codice_fiscale: codice_fiscale.clone().into(),
                authenticated: authenticated || hold.authenticated,
                details,
            },
            service,
            at: now,
        })
    }

    /// A direct booking, without a hold (a patronato's appointment on a request).
    pub fn book_directly(
        &self,
        slot: &SlotRef,
        booking_id: BookingId,
        code: BookingCode,
        booker: Booker,
        now: Timestamp,
    ) -> Result<SlotEvent, BookingViolation> {
        if now >= slot.start {
            return Err(BookingViolation::SlotInPast);
        }
        if !self.is_free(now) {
            return Err(BookingViolation::SlotUnavailable);
        }
        Ok(SlotEvent::SlotBooked {
            slot: slot.clone(),
            booking_id,
            code,
            hold_id: None,
            booker,
            service: None,
            at: now,
        })
    }

    /// The holder lets the hold go (to hold another slot of the same counter type).
    /// `None` when there is nothing to release (expired or gone): nothing to write.
    pub fn release(&self, hold_id: HoldId, now: Timestamp) -> Option<SlotEvent> {
        match (&self.booking, &self.hold) {
            (None, Some(h)) if h.hold_id == hold_id && now < h.expires_at => {
                Some(SlotEvent::SlotHoldReleased { hold_id, at: now })
            }
            _ => None,
        }
    }

    /// Cancels a booking of this slot; refused once the appointment has started.
    pub fn cancel(
        &self,
        booking_id: BookingId,
        by: Canceller,
        reason: Option<String>,
        now: Timestamp,
    ) -> Result<SlotEvent, BookingViolation> {
        match &self.booking {
            Some(b) if b.booking_id == booking_id => {}
            _ if self.cancelled.contains(&booking_id) => {
                return Err(BookingViolation::AlreadyCancelled)
            }
            _ => return Err(BookingViolation::BookingNotFound),
        }
        let start = self.slot.as_ref().map(|s| s.start);
        if start.is_some_and(|s| now >= s) {
            return Err(BookingViolation::NotCancellable);
        }
        Ok(SlotEvent::SlotBookingCancelled {
            booking_id,
            by,
            reason,
            at: now,
        })
    }
}
