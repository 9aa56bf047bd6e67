//! The sede's closures and notices (officers of the sede only).

use super::{
    counter_schedule, load_sede_calendar, BookingContext, BookingService, CommandError, Write,
};
use domain::access::Refusal;
use domain::actor::SedeOfficer;
use domain::booking::{
    BookingViolation, ClosureId, CounterCode, NoticeId, SedeCalendar, SedeCalendarEvent,
};
use domain::ids::SedeCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The answer to a calendar command: the closure's or notice's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarOutcome {
    pub id: Uuid,
    pub version: u64,
    pub position: i64,
    #[serde(default)]
    pub replayed: bool,
}

/// The officer acting on `sede`: another sede's officer hears 404, other roles 403.
pub(crate) fn officer_of(
    ctx: &BookingContext,
    sede: &SedeCode,
) -> Result<SedeOfficer, CommandError> {
    let actor = ctx.actor().ok_or(BookingViolation::NotAllowedForRole)?;
    match domain::access::officer_of(actor, sede) {
        Ok(o) => Ok(o.clone()),
        Err(Refusal::OutOfScope) => {
            tracing::warn!(actor = %actor.id(), sede = %sede, "sede outside scope refused as not found");
            Err(CommandError::NotFound)
        }
        Err(Refusal::Forbidden) => Err(BookingViolation::NotAllowedForRole.into()),
    }
}

impl BookingService {
    async fn calendar_command(
        &self,
        ctx: &BookingContext,
        sede: &SedeCode,
        command: &str,
        id: Uuid,
        decide: impl Fn(&SedeCalendar) -> Result<SedeCalendarEvent, BookingViolation>,
    ) -> Result<CalendarOutcome, CommandError> {
        self.retrying(ctx, || async {
            let (calendar, expected) = load_sede_calendar(&self.pool, sede).await?;
            let event = decide(&calendar)?;
            let stream = expected.stream_id.clone();
            let writes = vec![Write::new(
                &expected,
                &[event],
                SedeCalendarEvent::event_type,
                SedeCalendarEvent::SCHEMA_VERSION,
            )];
            Ok(self
                .commit(ctx, command, writes, move |position, versions| {
                    CalendarOutcome {
                        id,
                        version: super::version_of(versions, &stream).unwrap_or(0),
                        position,
                        replayed: false,
                    }
                })
                .await)
        })
        .await
    }

    async fn check_counter(
        &self,
        sede: &SedeCode,
        counter: Option<&CounterCode>,
    ) -> Result<(), CommandError> {
        if let Some(c) = counter {
            counter_schedule(&self.pool, self.counters.as_ref(), sede, c).await?;
        }
        Ok(())
    }

    /// A closure day of the whole sede, or of one counter.
    pub async fn declare_closure(
        &self,
        ctx: &BookingContext,
        sede: &SedeCode,
        date: chrono::NaiveDate,
        counter: Option<CounterCode>,
        reason: String,
    ) -> Result<CalendarOutcome, CommandError> {
        let officer = officer_of(ctx, sede)?;
        self.check_counter(sede, counter.as_ref()).await?;
        let id = ClosureId::new();
        self.calendar_command(ctx, sede, "declare_closure", id.0, |c| {
            c.declare_closure(
                id,
                date,
                counter.clone(),
                &reason,
                officer.id.clone(),
                ctx.now,
            )
        })
        .await
    }

    pub async fn withdraw_closure(
        &self,
        ctx: &BookingContext,
        sede: &SedeCode,
        closure_id: ClosureId,
    ) -> Result<CalendarOutcome, CommandError> {
        let officer = officer_of(ctx, sede)?;
        self.calendar_command(ctx, sede, "withdraw_closure", closure_id.0, |c| {
            c.withdraw_closure(closure_id, officer.id.clone(), ctx.now)
        })
        .await
    }

    /// A dated notice ("avviso") for the whole sede or one counter.
    pub async fn publish_notice(
        &self,
        ctx: &BookingContext,
        sede: &SedeCode,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
        counter: Option<CounterCode>,
        text: String,
    ) -> Result<CalendarOutcome, CommandError> {
        let officer = officer_of(ctx, sede)?;
        self.check_counter(sede, counter.as_ref()).await?;
        let id = NoticeId::new();
        self.calendar_command(ctx, sede, "publish_notice", id.0, |c| {
            c.publish_notice(
                id,
                from,
                to,
                counter.clone(),
                &text,
                officer.id.clone(),
                ctx.now,
            )
        })
        .await
    }

    pub async fn withdraw_notice(
        &self,
        ctx: &BookingContext,
        sede: &SedeCode,
        notice_id: NoticeId,
    ) -> Result<CalendarOutcome, CommandError> {
        let officer = officer_of(ctx, sede)?;
        self.calendar_command(ctx, sede, "withdraw_notice", notice_id.0, |c| {
            c.withdraw_notice(notice_id, officer.id.clone(), ctx.now)
        })
        .await
    }
}
