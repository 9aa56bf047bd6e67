//! What each slot event means for `booking_slots` and `bookings`: a pure,
//! synchronous fold (no SQL). Given the rows of the batch's slots and whether
//! each booking it names exists and is confirmed (fetched before it runs),
//! each event moves its slot's row and makes or cancels a booking. `store.rs`
//! fetches the rows and writes the result, one statement per table.
//!
//! Applying an event twice changes nothing: a slot row only moves to a higher
//! stream version, a booking is inserted once and cancelled once.

use chrono::SubsecRound;
use domain::booking::{Booker, Canceller, RequestedService, SlotEvent, SlotRef};
use domain::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// One `booking_slots` row; field names are the column names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct SlotRow {
    pub(super) stream_id: String,
    pub(super) sede_code: String,
    pub(super) counter_type: String,
    pub(super) slot_start: Timestamp,
    pub(super) slot_end: Timestamp,
    /// `held`, `booked` or `free`.
    pub(super) state: String,
    pub(super) hold_id: Option<Uuid>,
    pub(super) hold_expires_at: Option<Timestamp>,
    pub(super) booking_id: Option<Uuid>,
    /// The slot stream's version last applied.
    pub(super) version: i32,
}

/// One `bookings` row as a booking makes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(super) struct NewBooking {
    pub(super) booking_id: Uuid,
    pub(super) code: String,
    pub(super) sede_code: String,
    pub(super) counter_type: String,
    pub(super) slot_start: Timestamp,
    pub(super) slot_end: Timestamp,
    pub(super) booker_kind: &'static str,
    /// Shown to authorised readers only; never indexed nor searched.
    pub(super) codice_fiscale: Option<String>,
    /// The citizen's keyed pseudonym: what a search by codice fiscale and
    /// the erasure look up.
    pub(super) citizen_pseudonym: Option<String>,
    pub(super) authenticated: bool,
    pub(super) request_id: Option<Uuid>,
    pub(super) protocol: Option<String>,
    pub(super) booked_by: Option<String>,
    pub(super) patronato: Option<String>,
    pub(super) office: Option<String>,
    pub(super) mode: Option<&'static str>,
    pub(super) reason: Option<String>,
    pub(super) mobile: Option<String>,
    pub(super) email: Option<String>,
    /// "Scegli il servizio richiesto": its code and name as booked.
    pub(super) service_code: Option<String>,
    pub(super) service_name: Option<String>,
    pub(super) status: &'static str,
    pub(super) confirmed_at: Timestamp,
    pub(super) cancelled_at: Option<Timestamp>,
    pub(super) cancelled_side: Option<&'static str>,
    pub(super) cancelled_by: Option<String>,
    pub(super) cancel_reason: Option<String>,
    pub(super) last_position: i64,
}

/// A confirmed booking cancelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(super) struct Cancellation {
    pub(super) booking_id: Uuid,
    pub(super) cancelled_at: Timestamp,
    /// `citizen`, `patronato` or `sede`.
    pub(super) cancelled_side: &'static str,
    pub(super) cancelled_by: Option<String>,
    pub(super) cancel_reason: Option<String>,
    pub(super) last_position: i64,
}

/// The fold's rows: those fetched before it, and what it made.
#[derive(Debug, Default)]
pub(super) struct Bookings {
    /// Slot rows by stream id.
    pub(super) slots: HashMap<String, SlotRow>,
    /// The stream ids of the slot rows the fold changed.
    pub(super) changed: BTreeSet<String>,
    /// Every booking known to exist, by id: whether it is confirmed.
    pub(super) confirmed: HashMap<Uuid, bool>,
    pub(super) bookings: Vec<NewBooking>,
    pub(super) cancellations: Vec<Cancellation>,
}

/// PostgreSQL keeps microseconds; the JSON the store writes would round.
fn micros(at: Timestamp) -> Timestamp {
    at.trunc_subsecs(6)
}

impl Bookings {
    /// Applies the event at `version` of the slot stream `stream_id`, at
    /// `position` in the log, sealed for the citizen `citizen` (a pseudonym).
    pub(super) fn apply(
        &mut self,
        (stream_id, version, position): (&str, i32, i64),
        citizen: Option<&str>,
        e: &SlotEvent,
    ) {
        match e {
            SlotEvent::SlotHeld {
                slot,
                hold_id,
                expires_at,
                ..
            } => {
                let held = (Some(hold_id.0), Some(micros(*expires_at)));
                self.set_slot(stream_id, version, slot, "held", held, None);
            }
            SlotEvent::SlotBooked {
                slot,
                booking_id,
                code,
                booker,
                service,
                at,
                ..
            } => {
                let booking = Some(booking_id.0);
                self.set_slot(stream_id, version, slot, "booked", (None, None), booking);
                self.confirmed.entry(booking_id.0).or_insert(true);
                let mut row = NewBooking::of(
                    booking_id.0,
                    code.as_str(),
                    slot,
                    booker,
                    service.as_ref(),
                    *at,
                    position,
                );
                if matches!(booker, Booker::Citizen { .. }) {
                    row.citizen_pseudonym = citizen.map(str::to_owned);
                }
                self.bookings.push(row);
            }
            SlotEvent::SlotHoldReleased { hold_id, .. } => {
                if let Some(row) = self.newer(stream_id, version) {
                    if row.hold_id == Some(hold_id.0) {
                        if row.state == "held" {
                            row.state = "free".into();
                        }
                        row.hold_id = None;
                        row.hold_expires_at = None;
                    }
                }
            }
            SlotEvent::SlotBookingCancelled {
                booking_id,
                by,
                reason,
                at,
            } => {
                if let Some(row) = self.newer(stream_id, version) {
                    if row.booking_id == Some(booking_id.0) {
                        row.state = "free".into();
                        row.booking_id = None;
                    }
                }
                if self.confirmed.get(&booking_id.0) == Some(&true) {
                    self.confirmed.insert(booking_id.0, false);
                    let (side, who) = match by {
                        Canceller::Citizen => ("citizen", None),
                        Canceller::Patronato { by } => ("patronato", Some(by.as_str().to_string())),
                        Canceller::Sede { by } => ("sede", Some(by.as_str().to_string())),
                    };
                    self.cancellations.push(Cancellation {
                        booking_id: booking_id.0,
                        cancelled_at: micros(*at),
                        cancelled_side: side,
                        cancelled_by: who,
                        cancel_reason: reason.clone(),
                        last_position: position,
                    });
                }
            }
        }
    }

    /// The slot's row moved to `version`, marked changed: `None` when there
    /// is no row or it holds this version already.
    fn newer(&mut self, stream_id: &str, version: i32) -> Option<&mut SlotRow> {
        let row = self.slots.get_mut(stream_id)?;
        if row.version >= version {
            return None;
        }
        row.version = version;
        self.changed.insert(stream_id.to_string());
        Some(row)
    }

    /// Makes the slot's row (or replaces an older version of it).
    fn set_slot(
        &mut self,
        stream_id: &str,
        version: i32,
        slot: &SlotRef,
        state: &str,
        (hold_id, hold_expires_at): (Option<Uuid>, Option<Timestamp>),
        booking_id: Option<Uuid>,
    ) {
        if self
            .slots
            .get(stream_id)
            .is_some_and(|row| row.version >= version)
        {
            return;
        }
        let row = SlotRow {
            stream_id: stream_id.to_string(),
            sede_code: slot.sede.as_str().to_string(),
            counter_type: slot.counter.as_str().to_string(),
            slot_start: micros(slot.start),
            slot_end: micros(slot.end),
            state: state.to_string(),
            hold_id,
            hold_expires_at,
            booking_id,
            version,
        };
        self.slots.insert(stream_id.to_string(), row);
        self.changed.insert(stream_id.to_string());
    }
}

impl NewBooking {
    fn of(
        booking_id: Uuid,
        code: &str,
        slot: &SlotRef,
        booker: &Booker,
        service: Option<&RequestedService>,
        at: Timestamp,
        position: i64,
    ) -> NewBooking {
        let mut row = NewBooking {
            booking_id,
            code: code.to_string(),
            sede_code: slot.sede.as_str().to_string(),
            counter_type: slot.counter.as_str().to_string(),
            slot_start: micros(slot.start),
            slot_end: micros(slot.end),
            booker_kind: "citizen",
            codice_fiscale: None,
            citizen_pseudonym: None,
            authenticated: true,
            request_id: None,
            protocol: None,
            booked_by: None,
            patronato: None,
            office: None,
            mode: None,
            reason: None,
            mobile: None,
            email: None,
            service_code: service.map(|s| s.code.clone()),
            service_name: service.map(|s| s.name.clone()),
            status: "confirmed",
            confirmed_at: micros(at),
            cancelled_at: None,
            cancelled_side: None,
            cancelled_by: None,
            cancel_reason: None,
            last_position: position,
        };
        match booker {
            Booker::Citizen {
                codice_fiscale,
                authenticated,
                details,
            } => {
                row.codice_fiscale = Some(codice_fiscale.to_string());
                // The citizen is who booked.
                row.booked_by = row.codice_fiscale.clone();
                row.authenticated = *authenticated;
                row.mode = Some(details.mode.as_str());
                row.reason = details.reason.clone();
                row.mobile = details.mobile.as_ref().map(|m| m.as_str().to_string());
                row.email = details.email.as_ref().map(|m| m.as_str().to_string());
            }
            Booker::Request {
                request_id,
                protocol,
                by,
                patronato,
                office,
            } => {
                row.booker_kind = "request";
                row.request_id = Some(request_id.0);
                row.protocol = Some(protocol.as_str().to_string());
                row.booked_by = Some(by.as_str().to_string());
                row.patronato = Some(patronato.as_str().to_string());
                row.office = Some(office.as_str().to_string());
            }
        }
        row
    }
}

#[cfg(test)]
#[path = "fold_tests.rs"]
mod tests;
