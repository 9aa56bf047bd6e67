//! Booking command handlers (SPEC §4 and §2.4): hold a slot, confirm, cancel;
//! appointments on requests; the sede's closures and notices; the queue.
//!
//! Every handler loads the streams it decides on, lets the domain decide, and
//! appends to **all of them in one transaction**, each at the version it
//! read (streams in name order, so two transactions never wait on each other
//! in opposite orders). A concurrent writer on any of them makes the whole
//! transaction fail with a conflict; the handler then loads again and decides
//! again (up to [`MAX_ATTEMPTS`] times), so a loser of a race for a slot
//! hears `slot_unavailable`, never a double booking.
//!
//! - `schedule.rs`: a counter's schedule from the reference data, the sede's calendar stream.
//! - `hold.rs`, `confirm.rs`, `cancel.rs`: the citizen's commands.
//! - `request_appointment.rs`: appointments on requests.
//! - `sede_calendar.rs`: closures and notices.
//! - `queue.rs`: tickets issued, called, served.

mod cancel;
mod confirm;
mod hold;
mod queue;
mod request_appointment;
mod schedule;
mod sede_calendar;

pub use cancel::CancelOutcome;
pub use confirm::ConfirmInput;
pub use hold::HoldOutcome;
pub use queue::{queue_status, TicketOutcome};
pub use schedule::{counter_schedule, load_sede_calendar, patron_day, sede_schedules};
pub use sede_calendar::CalendarOutcome;

pub use crate::convention::{Replayable, MAX_ATTEMPTS};
pub use crate::error::CommandError;

use crate::convention::{self, backoff, IdempotencyKey};
use crate::error::Contended;
use crate::ports::CounterDirectory;
use crate::privacy::seal::{Sealer, StreamSubject};
use chrono::{DateTime, Utc};
use domain::actor::Actor;
use domain::booking::{BookingCode, BookingId, BookingViolation, SlotRef};
use domain::codice_fiscale::CodiceFiscale;
use domain::ids::RequestId;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use std::sync::Arc;
use store::{self, Expected, Metadata, NewEvent, StoreError};
use uuid::Uuid;

pub const SLOT_STREAM_TYPE: &str = domain::streams::SLOT;
pub const CITIZEN_STREAM_TYPE: &str = domain::streams::CITIZEN_BOOKINGS;
pub const SEDE_CALENDAR_STREAM_TYPE: &str = domain::streams::SEDE_CALENDAR;
pub const QUEUE_STREAM_TYPE: &str = domain::streams::QUEUE;

/// Who calls a booking command.
#[derive(Debug, Clone)]
pub enum Caller {
    /// No token: a citizen known only by the codice fiscale they typed
    /// (seed 002, "prenotazione senza autenticazione").
    Anonymous { codice_fiscale: CodiceFiscale },
    /// A bearer token: a citizen (`sub` = codice fiscale), a patronato user,
    /// a sede officer, …
    Actor(Actor),
}

/// Who asks, when, and how the call is identified.
#[derive(Debug, Clone)]
pub struct BookingContext {
    pub caller: Caller,
    pub now: DateTime<Utc>,
    pub correlation_id: Uuid,
    pub idempotency: Option<IdempotencyKey>,
}

impl BookingContext {
    /// The citizen acting: their codice fiscale and whether they are
    /// authenticated. Other roles may not act as citizens.
    pub fn citizen(&self) -> Result<(CodiceFiscale, bool), CommandError> {
        match &self.caller {
            Caller::Anonymous { codice_fiscale } => Ok((codice_fiscale.clone(), false)),
            Caller::Actor(Actor::Citizen { id }) => CodiceFiscale::parse(id.as_str())
                .map(|cf| (cf, true))
                .map_err(|_| {
                    CommandError::invalid(
                        "token_subject_not_codice_fiscale",
                        "Il token del cittadino non riporta un codice fiscale valido",
                    )
                }),
            Caller::Actor(_) => Err(BookingViolation::NotAllowedForRole.into()),
        }
    }

    pub fn actor(&self) -> Option<&Actor> {
        match &self.caller {
            Caller::Actor(a) => Some(a),
            Caller::Anonymous { .. } => None,
        }
    }

    /// The id events and idempotency keys are recorded under: the token's
    /// subject, or the codice fiscale of an anonymous citizen.
    pub fn actor_id(&self) -> String {
        match &self.caller {
            Caller::Anonymous { codice_fiscale } => codice_fiscale.as_str().to_string(),
            Caller::Actor(a) => a.id().to_string(),
        }
    }

    fn metadata(&self, command: &str) -> Metadata {
        convention::metadata(
            self.actor(),
            self.actor_id(),
            command,
            self.correlation_id,
            self.idempotency.as_ref(),
        )
    }
}

/// A confirmed booking, as a command answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingOutcome {
    pub booking_id: BookingId,
    pub code: BookingCode,
    pub slot: SlotRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<RequestId>,
    /// The request stream's version after an appointment on a request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_version: Option<u64>,
    /// The global position of the last event written (for `min_position`).
    pub position: i64,
    #[serde(default)]
    pub replayed: bool,
}

macro_rules! replayable {
    ($($t:ty),*) => {
        $(impl Replayable for $t {
            fn mark_replayed(&mut self) {
                self.replayed = true;
            }
        })*
    };
}
replayable!(
    BookingOutcome,
    HoldOutcome,
    CancelOutcome,
    CalendarOutcome,
    TicketOutcome
);

/// Events to append to one stream at the version it was read.
pub(crate) struct Write {
    pub expected: Expected,
    pub events: Vec<NewEvent>,
}

impl Write {
    pub(crate) fn new<E: Serialize>(
        expected: &Expected,
        events: &[E],
        event_type: impl Fn(&E) -> &'static str,
        schema_version: i16,
    ) -> Self {
        Write {
            expected: expected.clone(),
            events: events
                .iter()
                .map(|e| NewEvent {
                    event_type: event_type(e).to_string(),
                    schema_version,
                    payload: serde_json::to_value(e).expect("events serialise"),
                })
                .collect(),
        }
    }
}

/// The booking commands, on the primary pool.
#[derive(Clone)]
pub struct BookingService {
    pub(crate) pool: PgPool,
    /// The sedi's counters (reference data).
    pub(crate) counters: Arc<dyn CounterDirectory>,
    committer: store::GroupCommitter,
    /// Seals personal fields before they are queued (docs/privacy.md).
    sealer: Option<Sealer>,
}

impl BookingService {
    /// A service with a group committer of its own (see [`BookingService::with_committer`]).
    pub fn new(pool: PgPool, counters: Arc<dyn CounterDirectory>) -> Self {
        let notifier = store::CommitNotifier::spawn(pool.clone());
        let committer =
            store::GroupCommitter::spawn(pool.clone(), store::group::DEFAULT_COMMITTERS, notifier);
        Self::with_committer(pool, counters, committer)
    }

    /// A service sharing the process's group committer.
    pub fn with_committer(
        pool: PgPool,
        counters: Arc<dyn CounterDirectory>,
        committer: store::GroupCommitter,
    ) -> Self {
        Self {
            pool,
            counters,
            committer,
            sealer: None,
        }
    }

    /// How a citizen is named in stream names and the events' metadata:
    /// their pseudonym (their code only without a sealer, in tests of the
    /// commands alone).
    pub fn citizen_subject(&self, cf: &CodiceFiscale) -> String {
        match &self.sealer {
            Some(sealer) => sealer.pseudonyms().citizen(cf),
            None => cf.as_str().to_string(),
        }
    }

    /// Who acts, as the log and the idempotency records name them: a
    /// citizen under their pseudonym (with a sealer), anyone else by id.
    fn actor_key(&self, ctx: &BookingContext) -> String {
        match (&self.sealer, ctx.citizen()) {
            (Some(_), Ok((cf, _))) => self.citizen_subject(&cf),
            _ => ctx.actor_id(),
        }
    }

    /// Seals the personal fields of every event written.
    pub fn with_sealer(mut self, sealer: Sealer) -> Self {
        self.sealer = Some(sealer);
        self
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The recorded answer if this key was used before with the same input.
    pub(crate) async fn replay<T: Replayable>(
        &self,
        ctx: &BookingContext,
    ) -> Result<Option<T>, CommandError> {
        convention::replay(&self.pool, &self.actor_key(ctx), ctx.idempotency.as_ref()).await
    }

    /// Appends every write in one transaction (streams in name order), then
    /// the idempotency record; returns the outcome made from the last
    /// position written and the new versions, by stream id. The transaction
    /// is the process's group commit (see [`store::group`]).
    pub(crate) async fn commit<T, F>(
        &self,
        ctx: &BookingContext,
        command: &str,
        writes: Vec<Write>,
        outcome: F,
    ) -> Result<T, StoreError>
    where
        T: Replayable + Send + 'static,
        F: Fn(i64, &[(String, u64)]) -> T + Send + Sync + 'static,
    {
        // Booking events name their citizen in the payload.
        self.commit_for(ctx, command, writes, &StreamSubject::None, outcome)
            .await
    }

    /// As [`BookingService::commit`], for writes with events that do not
    /// name their citizen (a cancellation's reason): `subject` is whose they are.
    pub(crate) async fn commit_for<T, F>(
        &self,
        ctx: &BookingContext,
        command: &str,
        writes: Vec<Write>,
        subject: &StreamSubject,
        outcome: F,
    ) -> Result<T, StoreError>
    where
        T: Replayable + Send + 'static,
        F: Fn(i64, &[(String, u64)]) -> T + Send + Sync + 'static,
    {
        let mut streams: Vec<(Expected, Vec<NewEvent>)> =
            writes.into_iter().map(|w| (w.expected, w.events)).collect();
        if let Some(sealer) = &self.sealer {
            sealer.seal(&mut streams, subject, ctx.now).await?;
        }
        let mut metadata = ctx.metadata(command);
        metadata.actor_id = self.actor_key(ctx);
        let write = store::Write {
            metadata,
            recorded_at: ctx.now,
            protocol: None,
            events: Arc::new(move |_| streams.clone()),
            idempotency: ctx
                .idempotency
                .as_ref()
                .map(|k| k.record(self.actor_key(ctx))),
            answer: Arc::new(move |written: &store::Written| {
                let versions: Vec<(String, u64)> = written
                    .appended
                    .iter()
                    .map(|(stream, a)| (stream.clone(), a.version))
                    .collect();
                outcome(written.last_position(), &versions)
            }),
        };
        self.committer.commit(write).await
    }

    /// Runs `attempt` until its commit does not lose a race: a conflict loads
    /// and decides again after a short random pause; a lost idempotency race
    /// replays the winner's answer.
    pub(crate) async fn retrying<T, F, Fut>(
        &self,
        ctx: &BookingContext,
        mut attempt: F,
    ) -> Result<T, CommandError>
    where
        T: Replayable,
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<Result<T, StoreError>, CommandError>>,
    {
        if let Some(answer) = self.replay(ctx).await? {
            return Ok(answer);
        }
        for n in 0..MAX_ATTEMPTS {
            match attempt().await? {
                Ok(answer) => return Ok(answer),
                Err(e) if e.is_conflict() => backoff(n).await,
                Err(StoreError::IdempotencyRace) => {
                    if let Some(answer) = self.replay(ctx).await? {
                        return Ok(answer);
                    }
                    return Err(CommandError::Conflict(Contended::Booking));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(CommandError::Conflict(Contended::Booking))
    }
}

/// Loads a stream and decodes its events.
pub(crate) async fn load<E: DeserializeOwned>(
    pool: &PgPool,
    stream_id: &str,
    stream_type: &str,
) -> Result<(Vec<E>, Expected), CommandError> {
    let stream = store::load_stream(pool, stream_id, stream_type, None).await?;
    let mut events = Vec::with_capacity(stream.events.len());
    for e in &stream.events {
        events.push(e.decode()?);
    }
    Ok((events, stream.expected))
}

/// A fresh booking code: 40 random bits.
pub(crate) fn new_code() -> BookingCode {
    BookingCode::from_bits(rand::random::<u64>())
}

/// The version a stream reached in a commit.
pub(crate) fn version_of(versions: &[(String, u64)], stream_id: &str) -> Option<u64> {
    versions
        .iter()
        .find(|(s, _)| s == stream_id)
        .map(|(_, v)| *v)
}
