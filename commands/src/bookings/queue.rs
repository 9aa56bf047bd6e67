//! The queue of a counter today: officers of the sede issue tickets (the
//! ticket machine is the sede's), call the next one, serve or skip; anyone
//! reads the status, folded from today's stream.

use super::sede_calendar::officer_of;
use super::{
    counter_schedule, load, BookingContext, BookingService, CommandError, Write, QUEUE_STREAM_TYPE,
};
use crate::ports::CounterDirectory;
use domain::booking::{
    queue_stream_id, rome_today, BookingCode, CounterCode, Queue, QueueEvent, QueueStatus,
};
use domain::ids::SedeCode;
use domain::time::Timestamp;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketOutcome {
    pub number: u32,
    pub position: i64,
    #[serde(default)]
    pub replayed: bool,
}

/// What a queue command does to today's queue.
enum QueueAction {
    Issue(Option<BookingCode>),
    CallNext(Option<String>),
    Serve(u32),
    Skip(u32),
}

/// Today's queue of a counter (Europe/Rome day of `now`).
pub async fn queue_status(
    pool: &PgPool,
    counters: &dyn CounterDirectory,
    sede: &SedeCode,
    counter: &CounterCode,
    now: Timestamp,
) -> Result<QueueStatus, CommandError> {
    counter_schedule(pool, counters, sede, counter).await?;
    let stream = queue_stream_id(sede, counter, rome_today(now));
    let (events, _) = load::<QueueEvent>(pool, &stream, QUEUE_STREAM_TYPE).await?;
    Ok(Queue::from_events(&events).status())
}

impl BookingService {
    async fn queue_command(
        &self,
        ctx: &BookingContext,
        sede: &SedeCode,
        counter: &CounterCode,
        action: QueueAction,
    ) -> Result<TicketOutcome, CommandError> {
        let officer = officer_of(ctx, sede)?;
        counter_schedule(&self.pool, self.counters.as_ref(), sede, counter).await?;
        let stream = queue_stream_id(sede, counter, rome_today(ctx.now));
        let name = match &action {
            QueueAction::Issue(_) => "issue_ticket",
            QueueAction::CallNext(_) => "call_next_ticket",
            QueueAction::Serve(_) => "serve_ticket",
            QueueAction::Skip(_) => "skip_ticket",
        };
        self.retrying(ctx, || async {
            let (events, expected) =
                load::<QueueEvent>(&self.pool, &stream, QUEUE_STREAM_TYPE).await?;
            let queue = Queue::from_events(&events);
            let by = officer.id.clone();
            let event = match &action {
                QueueAction::Issue(code) => queue.issue(code.clone(), ctx.now),
                QueueAction::CallNext(desk) => queue.call_next(desk.as_deref(), by, ctx.now)?,
                QueueAction::Serve(n) => queue.serve(*n, by, ctx.now)?,
                QueueAction::Skip(n) => queue.skip(*n, by, ctx.now)?,
            };
            let number = match &event {
                QueueEvent::TicketIssued { number, .. }
                | QueueEvent::TicketCalled { number, .. }
                | QueueEvent::TicketServed { number, .. }
                | QueueEvent::TicketSkipped { number, .. } => *number,
            };
            let writes = vec![Write::new(
                &expected,
                &[event],
                QueueEvent::event_type,
                QueueEvent::SCHEMA_VERSION,
            )];
            Ok(self
                .commit(ctx, name, writes, move |position, _| TicketOutcome {
                    number,
                    position,
                    replayed: false,
                })
                .await)
        })
        .await
    }

    pub async fn issue_ticket(
        &self,
        ctx: &BookingContext,
        sede: &SedeCode,
        counter: &CounterCode,
        booking_code: Option<BookingCode>,
    ) -> Result<TicketOutcome, CommandError> {
        self.queue_command(ctx, sede, counter, QueueAction::Issue(booking_code))
            .await
    }

    pub async fn call_next_ticket(
        &self,
        ctx: &BookingContext,
        sede: &SedeCode,
        counter: &CounterCode,
        desk: Option<String>,
    ) -> Result<TicketOutcome, CommandError> {
        self.queue_command(ctx, sede, counter, QueueAction::CallNext(desk))
            .await
    }

    pub async fn serve_ticket(
        &self,
        ctx: &BookingContext,
        sede: &SedeCode,
        counter: &CounterCode,
        number: u32,
    ) -> Result<TicketOutcome, CommandError> {
        self.queue_command(ctx, sede, counter, QueueAction::Serve(number))
            .await
    }

    pub async fn skip_ticket(
        &self,
        ctx: &BookingContext,
        sede: &SedeCode,
        counter: &CounterCode,
        number: u32,
    ) -> Result<TicketOutcome, CommandError> {
        self.queue_command(ctx, sede, counter, QueueAction::Skip(number))
            .await
    }
}
