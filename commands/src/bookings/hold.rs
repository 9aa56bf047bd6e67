//! `holdSlot`: a citizen holds a slot for 5 minutes.

use super::{
    counter_schedule, load, load_sede_calendar, BookingContext, BookingService, CommandError,
    Write, CITIZEN_STREAM_TYPE, SLOT_STREAM_TYPE,
};
use domain::booking::{
    citizen_stream_id, hold_duration, CitizenBookings, CitizenEvent, CounterCode, HoldId, Slot,
    SlotEvent, SlotRef,
};
use domain::ids::SedeCode;
use domain::time::Timestamp;
use serde::{Deserialize, Serialize};

/// A hold: what to confirm, and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldOutcome {
    pub hold_id: HoldId,
    pub slot: SlotRef,
    pub expires_at: Timestamp,
    /// The citizen's previous hold of the same counter type, released by this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released: Option<HoldId>,
    pub position: i64,
    #[serde(default)]
    pub replayed: bool,
}

impl BookingService {
    /// Holds the slot of `sede`/`counter` starting at `start` for the calling
    /// citizen: the slot must be one the calendar offers now, free at `now`,
    /// and the citizen within the limits (a live hold of the same counter
    /// type is released in the same transaction).
    #[tracing::instrument(skip_all, fields(sede = %sede, counter = %counter, start = %start), err(level = "info"))]
    pub async fn hold(
        &self,
        ctx: &BookingContext,
        sede: &SedeCode,
        counter: &CounterCode,
        start: Timestamp,
    ) -> Result<HoldOutcome, CommandError> {
        let (cf, authenticated) = ctx.citizen()?;
        let schedule = counter_schedule(&self.pool, self.counters.as_ref(), sede, counter).await?;
        let hold_id = HoldId::new();
        let now = ctx.now;
        self.retrying(ctx, || async {
            let (calendar, _) = load_sede_calendar(&self.pool, sede).await?;
            let slot = schedule.bookable_slot(start, &calendar, now)?;
            let (citizen_events, citizen_expected) = load::<CitizenEvent>(
                &self.pool,
                &citizen_stream_id(&self.citizen_subject(&cf)),
                CITIZEN_STREAM_TYPE,
            )
            .await?;
            let citizen = CitizenBookings::from_events(&citizen_events);
            let plan = citizen.place_hold(hold_id, &slot, now + hold_duration(), now)?;
            let (slot_events, slot_expected) =
                load::<SlotEvent>(&self.pool, &slot.stream_id(), SLOT_STREAM_TYPE).await?;
            let held =
                Slot::from_events(&slot_events).hold(&slot, hold_id, &cf, authenticated, now)?;
            let expires_at = match &held {
                SlotEvent::SlotHeld { expires_at, .. } => *expires_at,
                _ => now + hold_duration(),
            };
            let mut writes = vec![
                Write::new(
                    &slot_expected,
                    &[held],
                    SlotEvent::event_type,
                    SlotEvent::SCHEMA_VERSION,
                ),
                Write::new(
                    &citizen_expected,
                    &plan.events,
                    CitizenEvent::event_type,
                    CitizenEvent::SCHEMA_VERSION,
                ),
            ];
            if let Some((old_hold, old_slot)) = &plan.replaces {
                let (old_events, old_expected) =
                    load::<SlotEvent>(&self.pool, &old_slot.stream_id(), SLOT_STREAM_TYPE).await?;
                if let Some(release) = Slot::from_events(&old_events).release(*old_hold, now) {
                    writes.push(Write::new(
                        &old_expected,
                        &[release],
                        SlotEvent::event_type,
                        SlotEvent::SCHEMA_VERSION,
                    ));
                }
            }
            let released = plan.replaces.as_ref().map(|(h, _)| *h);
            Ok(self
                .commit(ctx, "hold_slot", writes, move |position, _| HoldOutcome {
                    hold_id,
                    slot: slot.clone(),
                    expires_at,
                    released,
                    position,
                    replayed: false,
                })
                .await)
        })
        .await
    }
}
