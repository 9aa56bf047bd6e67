//! Writes of the `bookings` projection. Unqualified table names (a rebuild
//! redirects them); every value comes from the event; idempotent: a slot row
//! moves only forward in version, booking inserts do nothing on conflict.

use crate::ProjectionError;
use commands::store::RecordedEvent;
use domain::booking::{Booker, Canceller, SlotEvent, SlotRef};
use sqlx::PgConnection;

pub(crate) async fn apply(
    conn: &mut PgConnection,
    e: &RecordedEvent,
    event: &SlotEvent,
) -> Result<(), ProjectionError> {
    match event {
        SlotEvent::SlotHeld {
            slot,
            hold_id,
            expires_at,
            ..
        } => {
            upsert_slot(
                conn,
                e,
                slot,
                "held",
                Some(hold_id.0),
                Some(*expires_at),
                None,
            )
            .await
        }
        SlotEvent::SlotBooked {
            slot,
            booking_id,
            code,
            booker,
            at,
            ..
        } => {
            upsert_slot(conn, e, slot, "booked", None, None, Some(booking_id.0)).await?;
            let (kind, cf, authenticated, details, request) = match booker {
                Booker::Citizen {
                    codice_fiscale,
                    authenticated,
                    details,
                } => (
                    "citizen",
                    Some(codice_fiscale.as_str()),
                    *authenticated,
                    Some(details),
                    None,
                ),
                Booker::Request {
                    request_id,
                    protocol,
                    by,
                    patronato,
                    office,
                } => (
                    "request",
                    None,
                    true,
                    None,
                    Some((
                        request_id.0,
                        protocol.as_str(),
                        by.as_str(),
                        patronato.as_str(),
                        office.as_str(),
                    )),
                ),
            };
            sqlx::query(
                "INSERT INTO bookings (booking_id, code, sede_code, counter_type, slot_start, \
                   slot_end, booker_kind, codice_fiscale, authenticated, request_id, protocol, \
                   booked_by, patronato, office, mode, reason, mobile, email, status, \
                   confirmed_at, last_position) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
                   $17, $18, 'confirmed', $19, $20) \
                 ON CONFLICT (booking_id) DO NOTHING",
            )
            .bind(booking_id.0)
            .bind(code.as_str())
            .bind(slot.sede.as_str())
            .bind(slot.counter.as_str())
            .bind(slot.start)
            .bind(slot.end)
            .bind(kind)
            .bind(cf)
            .bind(authenticated)
            .bind(request.map(|r| r.0))
            .bind(request.map(|r| r.1))
            .bind(request.map(|r| r.2).or(cf))
            .bind(request.map(|r| r.3))
            .bind(request.map(|r| r.4))
            .bind(details.map(|d| d.mode.as_str()))
            .bind(details.and_then(|d| d.reason.as_deref()))
            .bind(details.and_then(|d| d.mobile.as_ref().map(|m| m.as_str())))
            .bind(details.and_then(|d| d.email.as_ref().map(|m| m.as_str())))
            .bind(at)
            .bind(e.position)
            .execute(conn)
            .await?;
            Ok(())
        }
        SlotEvent::SlotHoldReleased { hold_id, .. } => {
            sqlx::query(
                "UPDATE booking_slots SET \
                   state = CASE WHEN state = 'held' AND hold_id = $3 THEN 'free' ELSE state END, \
                   hold_id = CASE WHEN hold_id = $3 THEN NULL ELSE hold_id END, \
                   hold_expires_at = CASE WHEN hold_id = $3 THEN NULL ELSE hold_expires_at END, \
                   version = $2 \
                 WHERE stream_id = $1 AND version < $2",
            )
            .bind(&e.stream_id)
            .bind(e.version)
            .bind(hold_id.0)
            .execute(conn)
            .await?;
            Ok(())
        }
        SlotEvent::SlotBookingCancelled {
            booking_id,
            by,
            reason,
            at,
        } => {
            sqlx::query(
                "UPDATE booking_slots SET \
                   state = CASE WHEN booking_id = $3 THEN 'free' ELSE state END, \
                   booking_id = CASE WHEN booking_id = $3 THEN NULL ELSE booking_id END, \
                   version = $2 \
                 WHERE stream_id = $1 AND version < $2",
            )
            .bind(&e.stream_id)
            .bind(e.version)
            .bind(booking_id.0)
            .execute(&mut *conn)
            .await?;
            let (side, who) = match by {
                Canceller::Citizen => ("citizen", None),
                Canceller::Patronato { by } => ("patronato", Some(by.as_str())),
                Canceller::Sede { by } => ("sede", Some(by.as_str())),
            };
            sqlx::query(
                "UPDATE bookings SET status = 'cancelled', cancelled_at = $2, cancelled_side = $3, \
                   cancelled_by = $4, cancel_reason = $5, last_position = $6 \
                 WHERE booking_id = $1 AND status = 'confirmed'",
            )
            .bind(booking_id.0)
            .bind(at)
            .bind(side)
            .bind(who)
            .bind(reason.as_deref())
            .bind(e.position)
            .execute(conn)
            .await?;
            Ok(())
        }
    }
}

async fn upsert_slot(
    conn: &mut PgConnection,
    e: &RecordedEvent,
    slot: &SlotRef,
    state: &str,
    hold_id: Option<uuid::Uuid>,
    hold_expires_at: Option<chrono::DateTime<chrono::Utc>>,
    booking_id: Option<uuid::Uuid>,
) -> Result<(), ProjectionError> {
    sqlx::query(
        "INSERT INTO booking_slots AS s (stream_id, sede_code, counter_type, slot_start, slot_end, \
           state, hold_id, hold_expires_at, booking_id, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (stream_id) DO UPDATE SET state = EXCLUDED.state, \
           hold_id = EXCLUDED.hold_id, hold_expires_at = EXCLUDED.hold_expires_at, \
           booking_id = EXCLUDED.booking_id, version = EXCLUDED.version \
         WHERE s.version < EXCLUDED.version",
    )
    .bind(&e.stream_id)
    .bind(slot.sede.as_str())
    .bind(slot.counter.as_str())
    .bind(slot.start)
    .bind(slot.end)
    .bind(state)
    .bind(hold_id)
    .bind(hold_expires_at)
    .bind(booking_id)
    .bind(e.version)
    .execute(conn)
    .await?;
    Ok(())
}
