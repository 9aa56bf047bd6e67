//! `cancelBooking`: the citizen cancels their booking (authenticated, or with
//! codice fiscale and booking code), or an officer cancels a booking of
//! their sede. The slot is freed in the same transaction.

use super::{
    load, BookingContext, BookingService, CommandError, Write, CITIZEN_STREAM_TYPE,
    SLOT_STREAM_TYPE,
};
use crate::privacy::seal::StreamSubject;
use domain::access::Refusal;
use domain::actor::Actor;
use domain::booking::{
    citizen_stream_id, Booker, BookingCode, BookingId, BookingViolation, Canceller,
    CitizenBookings, CitizenEvent, Slot, SlotEvent, SlotRef,
};
use domain::personal::Personal;
use domain::request::{RequestCommand, RequestEvent};
use serde::{Deserialize, Serialize};

/// The longest cancellation reason.
pub const MAX_CANCEL_REASON_CHARS: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelOutcome {
    pub booking_id: BookingId,
    pub position: i64,
    #[serde(default)]
    pub replayed: bool,
}

fn reason(raw: Option<&str>) -> Result<Option<String>, BookingViolation> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) if r.chars().count() > MAX_CANCEL_REASON_CHARS => {
            Err(BookingViolation::TextTooLong {
                max: MAX_CANCEL_REASON_CHARS,
            })
        }
        r => Ok(r.map(str::to_string)),
    }
}

impl BookingService {
    /// The citizen's own cancellation. Without a token the booking code must
    /// match too (the codice fiscale alone is not a secret).
    #[tracing::instrument(skip_all, fields(booking_id = %booking_id), err(level = "info"))]
    pub async fn cancel_own(
        &self,
        ctx: &BookingContext,
        booking_id: BookingId,
        code: Option<BookingCode>,
        cancel_reason: Option<String>,
    ) -> Result<CancelOutcome, CommandError> {
        let (cf, authenticated) = ctx.citizen()?;
        let cancel_reason = reason(cancel_reason.as_deref())?;
        let now = ctx.now;
        self.retrying(ctx, || async {
            let (citizen_events, citizen_expected) = load::<CitizenEvent>(
                &self.pool,
                &citizen_stream_id(&self.citizen_subject(&cf)),
                CITIZEN_STREAM_TYPE,
            )
            .await?;
            let citizen = CitizenBookings::from_events(&citizen_events);
            let booking = citizen
                .booking(booking_id)
                .ok_or(BookingViolation::BookingNotFound)?;
            if !authenticated && code.as_ref() != Some(&booking.code) {
                return Err(BookingViolation::BookingNotFound.into());
            }
            let slot = booking.slot.clone();
            let cancelled = citizen.cancel(booking_id, now)?;
            let (slot_events, slot_expected) =
                load::<SlotEvent>(&self.pool, &slot.stream_id(), SLOT_STREAM_TYPE).await?;
            let freed = Slot::from_events(&slot_events).cancel(
                booking_id,
                Canceller::Citizen,
                cancel_reason.clone(),
                now,
            )?;
            let writes = vec![
                Write::new(
                    &slot_expected,
                    &[freed],
                    SlotEvent::event_type,
                    SlotEvent::SCHEMA_VERSION,
                ),
                Write::new(
                    &citizen_expected,
                    &[cancelled],
                    CitizenEvent::event_type,
                    CitizenEvent::SCHEMA_VERSION,
                ),
            ];
            let subject = StreamSubject::Citizen(cf.clone());
            Ok(self
                .commit_for(
                    ctx,
                    "cancel_booking",
                    writes,
                    &subject,
                    move |position, _| CancelOutcome {
                        booking_id,
                        position,
                        replayed: false,
                    },
                )
                .await)
        })
        .await
    }

    /// An officer cancels a booking of their sede at `slot` (the read model
    /// tells the slot; the slot's stream is the truth). The citizen's stream,
    /// or the request's, records it in the same transaction.
    #[tracing::instrument(skip_all, fields(booking_id = %booking_id), err(level = "info"))]
    pub async fn cancel_at_sede(
        &self,
        ctx: &BookingContext,
        slot: &SlotRef,
        booking_id: BookingId,
        cancel_reason: Option<String>,
    ) -> Result<CancelOutcome, CommandError> {
        let actor = ctx.actor().ok_or(BookingViolation::NotAllowedForRole)?;
        // Officers cancel only their sede's bookings: another sede's does not
        // exist for them.
        let officer = match domain::access::officer_of(actor, &slot.sede) {
            Ok(o) => o.clone(),
            Err(Refusal::OutOfScope) => {
                tracing::warn!(actor = %actor.id(), sede = %slot.sede, %booking_id, "booking outside scope refused as not found");
                return Err(BookingViolation::BookingNotFound.into());
            }
            Err(Refusal::Forbidden) => return Err(BookingViolation::NotAllowedForRole.into()),
        };
        let cancel_reason = reason(cancel_reason.as_deref())?;
        let now = ctx.now;
        let actor = Actor::Sede(officer.clone());
        self.retrying(ctx, || async {
            let (slot_events, slot_expected) =
                load::<SlotEvent>(&self.pool, &slot.stream_id(), SLOT_STREAM_TYPE).await?;
            let state = Slot::from_events(&slot_events);
            let freed = state.cancel(
                booking_id,
                Canceller::Sede {
                    by: officer.id.clone(),
                },
                cancel_reason.clone(),
                now,
            )?;
            let booker = state
                .booking
                .as_ref()
                .map(|b| b.booker.clone())
                .ok_or(BookingViolation::BookingNotFound)?;
            let mut writes = vec![Write::new(
                &slot_expected,
                &[freed],
                SlotEvent::event_type,
                SlotEvent::SCHEMA_VERSION,
            )];
            let mut subject = StreamSubject::Erased;
            match booker {
                // An erased citizen's limits are no longer kept: the slot alone.
                Booker::Citizen {
                    codice_fiscale: Personal::Known(codice_fiscale),
                    ..
                } => {
                    subject = StreamSubject::Citizen(codice_fiscale.clone());
                    let (events, expected) = load::<CitizenEvent>(
                        &self.pool,
                        &citizen_stream_id(&self.citizen_subject(&codice_fiscale)),
                        CITIZEN_STREAM_TYPE,
                    )
                    .await?;
                    let cancelled =
                        CitizenBookings::from_events(&events).cancel(booking_id, now)?;
                    writes.push(Write::new(
                        &expected,
                        &[cancelled],
                        CitizenEvent::event_type,
                        CitizenEvent::SCHEMA_VERSION,
                    ));
                }
                Booker::Request { request_id, .. } => {
                    let (request, expected) =
                        crate::requests::load(&self.pool, request_id, None).await?;
                    subject = crate::requests::stream_subject(&request);
                    if request.appointment.as_ref().map(|a| a.booking_id) == Some(booking_id) {
                        let events = request
                            .decide(
                                &actor,
                                RequestCommand::CancelAppointment {
                                    reason: cancel_reason.clone(),
                                },
                                now,
                            )
                            .map_err(|_| BookingViolation::BookingNotFound)?;
                        writes.push(Write::new(
                            &expected,
                            &events,
                            RequestEvent::event_type,
                            RequestEvent::SCHEMA_VERSION,
                        ));
                    }
                }
                Booker::Citizen {
                    codice_fiscale: Personal::Erased,
                    ..
                } => {}
            }
            Ok(self
                .commit_for(
                    ctx,
                    "cancel_booking",
                    writes,
                    &subject,
                    move |position, _| CancelOutcome {
                        booking_id,
                        position,
                        replayed: false,
                    },
                )
                .await)
        })
        .await
    }
}
