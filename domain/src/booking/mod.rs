//! Counter appointments ("Sportelli di Sede", SPEC §4, seed 002): the
//! calendar of a counter, holds and bookings, the limits per codice fiscale,
//! the sede's closures and notices, the queue. Pure: no I/O; "now" and every
//! outside fact are arguments.
//!
//! Aggregates, one stream each:
//! - [`slot`]: `slot-<sede>-<counter>-<start>` — who holds or booked a slot.
//!   Its version makes double booking impossible.
//! - [`citizen`]: `citizen-bookings-<cf>` — the limits per codice fiscale,
//!   appended in the same transaction as the slot.
//! - [`sede_calendar`]: `sede-calendar-<sede>` — closures and notices.
//! - [`queue`]: `queue-<sede>-<counter>-<day>` — tickets issued, called, served.
//!
//! Calendar: [`schedule`] (slots of a day, month view), [`holidays`]
//! (national holidays with Easter Monday, patron saints' days).
//! Input: [`contact`] (mode, reason, mobile, e-mail), [`offer`] (the
//! counter's services, the web meeting pilot). Output: [`ics`].
//! Refusals: [`violation`].
//!
//! Appointments on requests are events of the request aggregate
//! (`RequestEvent::AppointmentBooked` / `AppointmentCancelled`), appended
//! together with the slot's `SlotBooked` / `SlotBookingCancelled`.

pub mod citizen;
pub mod contact;
pub mod holidays;
pub mod ics;
pub mod ids;
pub mod offer;
pub mod queue;
pub mod schedule;
pub mod sede_calendar;
pub mod slot;
pub mod violation;

#[cfg(test)]
mod tests;

pub use citizen::{
    citizen_stream_id, CitizenBookings, CitizenEvent, HoldPlan, MAX_ACTIVE_BOOKINGS,
};
pub use contact::{BookingDetails, BookingMode, Email, Mobile, MAX_BOOKING_REASON_CHARS};
pub use holidays::{easter_monday, easter_sunday, national_holiday, PatronDay};
pub use ids::{BookingCode, BookingId, ClosureId, CounterCode, HoldId, NoticeId};
pub use offer::{CounterOffer, RequestedService};
pub use queue::{queue_stream_id, Queue, QueueEvent, QueueStatus, Ticket};
pub use schedule::{
    rome_instant, CalendarDay, ClosedReason, CounterSchedule, DayAvailability, DayPlan,
    WeeklyHours, BOOKING_HORIZON_DAYS,
};
pub use sede_calendar::{
    rome_today, sede_calendar_stream_id, Closure, Notice, SedeCalendar, SedeCalendarEvent,
};
pub use slot::{
    hold_duration, ActiveBooking, Booker, Canceller, Hold, Occupancy, Slot, SlotEvent, SlotRef,
};
pub use violation::{BookingViolation, ViolationKind};

/// The counter through which patronati book appointments for a request
/// (SPEC §2.4); the same code as `reference/counters.json`.
pub const PATRONATI_COUNTER: &str = "servizi_patronati";
