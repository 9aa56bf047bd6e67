//! `bookRequestAppointment`: a patronato user books, for a request, a slot of
//! the "Servizi per i patronati" counter of the sede that has the request,
//! when SPEC §2.4 allows it (`Request::check_book_appointment`). The request
//! stream (`AppointmentBooked`) and the slot stream (`SlotBooked`) are
//! appended in one transaction; cancelling does the same with
//! `AppointmentCancelled` and `SlotBookingCancelled`.

use super::cancel::CancelOutcome;
use super::{
    counter_schedule, load, load_sede_calendar, new_code, version_of, BookingContext,
    BookingOutcome, BookingService, CommandError, Write, SLOT_STREAM_TYPE,
};
use domain::actor::Actor;
use domain::booking::{
    Booker, BookingId, BookingViolation, Canceller, CounterCode, Slot, SlotEvent, PATRONATI_COUNTER,
};
use domain::ids::RequestId;
use domain::request::{RequestCommand, RequestEvent, RuleViolation};
use domain::time::Timestamp;

impl BookingService {
    #[tracing::instrument(skip_all, fields(request_id = %request_id, start = %start), err(level = "info"))]
    pub async fn book_request_appointment(
        &self,
        ctx: &BookingContext,
        request_id: RequestId,
        start: Timestamp,
    ) -> Result<BookingOutcome, CommandError> {
        let actor = ctx
            .actor()
            .cloned()
            .ok_or(BookingViolation::NotAllowedForRole)?;
        let user = actor.patronato_user().cloned();
        let counter = CounterCode::parse(PATRONATI_COUNTER).expect("a valid counter code");
        let booking_id = BookingId::new();
        let code = new_code();
        let now = ctx.now;
        self.retrying(ctx, || async {
            let (request, request_expected) =
                crate::convention::load_visible_request(&self.pool, request_id, &actor, None)
                    .await?;
            let user = user.clone().ok_or(RuleViolation::NotAllowedForRole)?;
            // Eligibility first: "not yet" is the answer whatever slot was picked.
            request.check_book_appointment(now)?;
            let sede = request.current_sede.clone().ok_or(CommandError::NotFound)?;
            let protocol = request
                .sent
                .as_ref()
                .map(|s| s.protocol.clone())
                .ok_or(CommandError::NotFound)?;
            let schedule =
                counter_schedule(&self.pool, self.counters.as_ref(), &sede, &counter).await?;
            let (calendar, _) = load_sede_calendar(&self.pool, &sede).await?;
            let slot = schedule.bookable_slot(start, &calendar, now)?;
            let request_events = request.decide(
                &actor,
                RequestCommand::BookAppointment {
                    booking_id,
                    code: code.clone(),
                    slot: slot.clone(),
                },
                now,
            )?;
            let (slot_events, slot_expected) =
                load::<SlotEvent>(&self.pool, &slot.stream_id(), SLOT_STREAM_TYPE).await?;
            let booked = Slot::from_events(&slot_events).book_directly(
                &slot,
                booking_id,
                code.clone(),
                Booker::Request {
                    request_id,
                    protocol,
                    by: user.id.clone(),
                    patronato: user.patronato.clone(),
                    office: user.office.clone(),
                },
                now,
            )?;
            let request_stream = request_expected.stream_id.clone();
            let writes = vec![
                Write::new(
                    &request_expected,
                    &request_events,
                    RequestEvent::event_type,
                    RequestEvent::SCHEMA_VERSION,
                ),
                Write::new(
                    &slot_expected,
                    &[booked],
                    SlotEvent::event_type,
                    SlotEvent::SCHEMA_VERSION,
                ),
            ];
            let code = code.clone();
            Ok(self
                .commit(
                    ctx,
                    "book_request_appointment",
                    writes,
                    move |position, versions| BookingOutcome {
                        booking_id,
                        code: code.clone(),
                        slot: slot.clone(),
                        request_id: Some(request_id),
                        request_version: version_of(versions, &request_stream),
                        position,
                        replayed: false,
                    },
                )
                .await)
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(request_id = %request_id), err(level = "info"))]
    pub async fn cancel_request_appointment(
        &self,
        ctx: &BookingContext,
        request_id: RequestId,
        reason: Option<String>,
    ) -> Result<CancelOutcome, CommandError> {
        let actor = ctx
            .actor()
            .cloned()
            .ok_or(BookingViolation::NotAllowedForRole)?;
        let now = ctx.now;
        self.retrying(ctx, || async {
            let (request, request_expected) =
                crate::convention::load_visible_request(&self.pool, request_id, &actor, None)
                    .await?;
            let events = request.decide(
                &actor,
                RequestCommand::CancelAppointment {
                    reason: reason.clone(),
                },
                now,
            )?;
            let Some(RequestEvent::AppointmentCancelled {
                booking_id, reason, ..
            }) = events.first().cloned()
            else {
                return Err(RuleViolation::NoAppointment.into());
            };
            let slot = request
                .appointment
                .as_ref()
                .map(|a| a.slot.clone())
                .ok_or(RuleViolation::NoAppointment)?;
            let by = match &actor {
                Actor::Sede(o) => Canceller::Sede { by: o.id.clone() },
                other => Canceller::Patronato {
                    by: other.id().clone(),
                },
            };
            let (slot_events, slot_expected) =
                load::<SlotEvent>(&self.pool, &slot.stream_id(), SLOT_STREAM_TYPE).await?;
            let freed = Slot::from_events(&slot_events).cancel(booking_id, by, reason, now)?;
            let writes = vec![
                Write::new(
                    &request_expected,
                    &events,
                    RequestEvent::event_type,
                    RequestEvent::SCHEMA_VERSION,
                ),
                Write::new(
                    &slot_expected,
                    &[freed],
                    SlotEvent::event_type,
                    SlotEvent::SCHEMA_VERSION,
                ),
            ];
            let subject = crate::requests::stream_subject(&request);
            Ok(self
                .commit_for(
                    ctx,
                    "cancel_request_appointment",
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
