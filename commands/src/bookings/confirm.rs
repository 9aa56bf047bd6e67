//! `confirmBooking`: the holder confirms within 5 minutes, with mode, reason
//! and contacts; the answer carries the booking code.

use super::{
    load, new_code, BookingContext, BookingOutcome, BookingService, CommandError, Write,
    CITIZEN_STREAM_TYPE, SLOT_STREAM_TYPE,
};
use domain::booking::{
    citizen_stream_id, BookingDetails, BookingId, BookingMode, BookingViolation, CitizenBookings,
    CitizenEvent, HoldId, Slot, SlotEvent,
};

/// What the citizen fills in on "Riepilogo prenotazione".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmInput {
    pub mode: BookingMode,
    pub reason: Option<String>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    /// The code of the service chosen ("Scegli il servizio richiesto").
    pub service: Option<String>,
}

impl BookingService {
    #[tracing::instrument(skip_all, fields(hold_id = %hold_id), err(level = "info"))]
    pub async fn confirm(
        &self,
        ctx: &BookingContext,
        hold_id: HoldId,
        input: ConfirmInput,
    ) -> Result<BookingOutcome, CommandError> {
        let (cf, authenticated) = ctx.citizen()?;
        let details = BookingDetails::parse(
            input.mode,
            input.reason.as_deref(),
            input.mobile.as_deref(),
            input.email.as_deref(),
            authenticated,
        )?;
        let booking_id = BookingId::new();
        let code = new_code();
        let now = ctx.now;
        self.retrying(ctx, || async {
            let (citizen_events, citizen_expected) = load::<CitizenEvent>(
                &self.pool,
                &citizen_stream_id(&self.citizen_subject(&cf)),
                CITIZEN_STREAM_TYPE,
            )
            .await?;
            let citizen = CitizenBookings::from_events(&citizen_events);
            let slot = citizen
                .hold(hold_id)
                .ok_or(BookingViolation::HoldNotFound)?
                .slot
                .clone();
            let province = self
                .counters
                .sede(&slot.sede)
                .await?
                .and_then(|s| s.province);
            let service = self
                .counters
                .counter_offer(slot.counter.as_str(), province.as_deref())
                .choose(details.mode, input.service.as_deref())?;
            let confirmed = citizen.confirm(hold_id, booking_id, code.clone(), now)?;
            let (slot_events, slot_expected) =
                load::<SlotEvent>(&self.pool, &slot.stream_id(), SLOT_STREAM_TYPE).await?;
            let booked = Slot::from_events(&slot_events).confirm(
                hold_id,
                &cf,
                authenticated,
                details.clone(),
                service,
                booking_id,
                code.clone(),
                now,
            )?;
            let writes = vec![
                Write::new(
                    &slot_expected,
                    &[booked],
                    SlotEvent::event_type,
                    SlotEvent::SCHEMA_VERSION,
                ),
                Write::new(
                    &citizen_expected,
                    &[confirmed],
                    CitizenEvent::event_type,
                    CitizenEvent::SCHEMA_VERSION,
                ),
            ];
            let code = code.clone();
            Ok(self
                .commit(ctx, "confirm_booking", writes, move |position, _| {
                    BookingOutcome {
                        booking_id,
                        code: code.clone(),
                        slot: slot.clone(),
                        request_id: None,
                        request_version: None,
                        position,
                        replayed: false,
                    }
                })
                .await)
        })
        .await
    }
}
