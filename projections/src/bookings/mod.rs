//! Projection `bookings`: who holds or booked each slot (`booking_slots`,
//! for the calendars) and every booking (`bookings`, for "le mie
//! prenotazioni", the sede's agenda, the iCalendar).
//!
//! "Taken" depends on the reader's clock: a slot is taken at `now` when it is
//! booked, or held with `hold_expires_at > now`. An expired hold therefore
//! frees its slot in every view without an event or a job.
//!
//! - `fold.rs`: what each slot event means for the two tables (pure, tested
//!   without PostgreSQL).
//! - `store.rs`: fetches the rows the fold needs, writes what it made.
//! - `query.rs`: taken slots, a citizen's bookings, a sede's agenda, one booking.

mod fold;
mod ics;
mod query;
mod store;

pub use query::{
    get_booking, list_bookings_of_citizen, list_citizen_bookings, list_sede_bookings, taken_slots,
    BookingRow,
};

use crate::projection::Projection;
use crate::rebuild::Rebuildable;
use crate::ProjectionError;
use ::store::RecordedEvent;
use async_trait::async_trait;
use sqlx::PgConnection;

pub const NAME: &str = "bookings";
pub const TABLES: &[&str] = &["booking_slots", "bookings"];

/// See the module documentation.
#[derive(Debug, Clone, Copy, Default)]
pub struct BookingsProjection;

#[async_trait]
impl Projection for BookingsProjection {
    fn name(&self) -> &'static str {
        NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        TABLES
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        event: &RecordedEvent,
    ) -> Result<(), ProjectionError> {
        store::apply_batch(tx, std::slice::from_ref(event)).await
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        store::apply_batch(tx, events).await
    }
}

/// Replayed batch by batch, as the live worker writes.
impl Rebuildable for BookingsProjection {}
