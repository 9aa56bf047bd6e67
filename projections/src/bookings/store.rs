//! Writes of the `bookings` projection. Unqualified table names (a rebuild
//! redirects them). What each slot event means is `fold.rs`; this file
//! fetches the rows the fold needs — the batch's slot rows, whether its
//! bookings exist and are confirmed — runs it, and writes one statement per
//! table. Idempotent: a slot row moves only forward in version, a booking is
//! inserted once (`DO NOTHING`) and cancelled only while confirmed.

use super::fold::{Bookings, SlotRow};
use crate::batch::{AppendRows, Mode};
use crate::events::citizen_pseudonym;
use crate::ProjectionError;
use domain::booking::SlotEvent;
use sqlx::types::Json;
use sqlx::PgConnection;
use store::RecordedEvent;
use uuid::Uuid;

/// Applies the slot events of a batch (in log order); other events are ignored.
pub(crate) async fn apply_batch(
    conn: &mut PgConnection,
    events: &[RecordedEvent],
) -> Result<(), ProjectionError> {
    let mut slot_events = Vec::new();
    for event in events {
        if event.stream_type != domain::streams::SLOT
            || !SlotEvent::TYPES.contains(&event.event_type.as_str())
        {
            continue;
        }
        let decoded: SlotEvent = event
            .decode()
            .map_err(|e| ProjectionError::poisoned(event, e))?;
        slot_events.push((event, decoded));
    }
    if slot_events.is_empty() {
        return Ok(());
    }
    let mut fold = fetch(conn, &slot_events).await?;
    for (event, slot_event) in &slot_events {
        let place = (event.stream_id.as_str(), event.version, event.position);
        fold.apply(place, citizen_pseudonym(event), slot_event);
    }
    write(conn, &mut fold).await
}

/// The rows the fold reads: the batch's slots, and its bookings' status.
async fn fetch(
    conn: &mut PgConnection,
    events: &[(&RecordedEvent, SlotEvent)],
) -> Result<Bookings, ProjectionError> {
    let mut streams: Vec<&str> = events.iter().map(|(e, _)| e.stream_id.as_str()).collect();
    streams.sort_unstable();
    streams.dedup();
    let mut bookings: Vec<Uuid> = events
        .iter()
        .filter_map(|(_, e)| match e {
            SlotEvent::SlotBooked { booking_id, .. }
            | SlotEvent::SlotBookingCancelled { booking_id, .. } => Some(booking_id.0),
            _ => None,
        })
        .collect();
    bookings.sort_unstable();
    bookings.dedup();
    let slots: Vec<Json<SlotRow>> =
        sqlx::query_scalar("SELECT to_jsonb(s) FROM booking_slots s WHERE stream_id = ANY($1)")
            .bind(&streams)
            .fetch_all(&mut *conn)
            .await?;
    let confirmed: Vec<(Uuid, bool)> = if bookings.is_empty() {
        Vec::new()
    } else {
        sqlx::query_as(
            "SELECT booking_id, status = 'confirmed' FROM bookings WHERE booking_id = ANY($1)",
        )
        .bind(&bookings)
        .fetch_all(&mut *conn)
        .await?
    };
    Ok(Bookings {
        slots: slots
            .into_iter()
            .map(|Json(row)| (row.stream_id.clone(), row))
            .collect(),
        confirmed: confirmed.into_iter().collect(),
        ..Bookings::default()
    })
}

async fn write(conn: &mut PgConnection, fold: &mut Bookings) -> Result<(), ProjectionError> {
    let slots: Vec<&SlotRow> = fold.changed.iter().map(|id| &fold.slots[id]).collect();
    if !slots.is_empty() {
        sqlx::query(
            "INSERT INTO booking_slots AS s \
             SELECT * FROM jsonb_populate_recordset(NULL::booking_slots, $1) \
             ON CONFLICT (stream_id) DO UPDATE SET state = EXCLUDED.state, \
               hold_id = EXCLUDED.hold_id, hold_expires_at = EXCLUDED.hold_expires_at, \
               booking_id = EXCLUDED.booking_id, version = EXCLUDED.version \
             WHERE s.version < EXCLUDED.version",
        )
        .bind(Json(&slots))
        .execute(&mut *conn)
        .await?;
    }
    AppendRows::new("bookings", "booking_id", &Mode::Live)
        .write(conn, &mut fold.bookings)
        .await?;
    if !fold.cancellations.is_empty() {
        sqlx::query(
            "UPDATE bookings b SET status = 'cancelled', cancelled_at = c.cancelled_at, \
               cancelled_side = c.cancelled_side, cancelled_by = c.cancelled_by, \
               cancel_reason = c.cancel_reason, last_position = c.last_position \
             FROM jsonb_to_recordset($1) AS c(booking_id uuid, cancelled_at timestamptz, \
               cancelled_side text, cancelled_by text, cancel_reason text, last_position bigint) \
             WHERE b.booking_id = c.booking_id AND b.status = 'confirmed'",
        )
        .bind(Json(&fold.cancellations))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
