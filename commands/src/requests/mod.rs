//! Request command handlers: load the stream, rebuild the aggregate, let the
//! domain decide, append with the expected version — retrying from a fresh
//! load when a concurrent writer got there first.

mod create;
mod execute;

pub use crate::convention::IdempotencyKey;
pub use crate::error::CommandError;
pub use create::{CheckedRequest, CreateRequestInput, RoutingBasis};
pub use execute::RequestAction;

use crate::convention::{self, Replayable};
use crate::ports::{CitizenRegistry, LookupScope, PracticeRegistry, SedeDirectory, TopicCatalogue};
use crate::privacy::seal::{Sealer, StreamSubject};
use store::{self, Expected, GroupCommitter, StoreError};

use chrono::{DateTime, Utc};
use domain::actor::Actor;
use domain::ids::RequestId;
use domain::request::{Request, RequestEvent};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use std::sync::Arc;
use uuid::Uuid;

pub const STREAM_TYPE: &str = domain::streams::REQUEST;

/// Who asks, when, and how the call is identified (for metadata and idempotency).
#[derive(Debug, Clone)]
pub struct CommandContext {
    pub actor: Actor,
    pub now: DateTime<Utc>,
    pub correlation_id: Uuid,
    pub idempotency: Option<IdempotencyKey>,
}

/// The answer to a successful command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandOutcome {
    pub request_id: RequestId,
    /// The stream's version after the command.
    pub version: u64,
    /// The global position of the last event written: ask queries to wait for it.
    pub position: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// True when this answer is the replay of an earlier call with the same key.
    #[serde(default)]
    pub replayed: bool,
}

impl Replayable for CommandOutcome {
    fn mark_replayed(&mut self) {
        self.replayed = true;
    }
}

/// The handlers of every request command, with the ports they consult.
#[derive(Clone)]
pub struct RequestService {
    pub(crate) pool: PgPool,
    pub(crate) citizens: Arc<dyn CitizenRegistry>,
    pub(crate) practices: Arc<dyn PracticeRegistry>,
    pub(crate) sedi: Arc<dyn SedeDirectory>,
    pub(crate) topics: Arc<dyn TopicCatalogue>,
    /// How the look-ups of one command share reads (the reference cache's).
    pub(crate) lookups: Arc<dyn LookupScope>,
    /// Every append goes through it: concurrent commands share a transaction.
    pub(crate) committer: GroupCommitter,
    /// Seals personal fields before they are queued (none: stored in clear,
    /// for tests of the store alone).
    pub(crate) sealer: Option<Sealer>,
}

impl RequestService {
    pub fn new(
        pool: PgPool,
        citizens: Arc<dyn CitizenRegistry>,
        practices: Arc<dyn PracticeRegistry>,
        sedi: Arc<dyn SedeDirectory>,
        topics: Arc<dyn TopicCatalogue>,
        lookups: Arc<dyn LookupScope>,
    ) -> Self {
        let notifier = store::CommitNotifier::spawn(pool.clone());
        Self {
            committer: GroupCommitter::spawn(
                pool.clone(),
                store::group::DEFAULT_COMMITTERS,
                notifier,
            ),
            pool,
            citizens,
            practices,
            sedi,
            topics,
            lookups,
            sealer: None,
        }
    }

    /// Seals the personal fields of every event written (docs/privacy.md).
    pub fn with_sealer(mut self, sealer: Sealer) -> Self {
        self.sealer = Some(sealer);
        self
    }

    /// Stores personal fields in clear: only the benchmark's baseline of what
    /// sealing costs, never a service's setting.
    pub fn without_sealer(mut self) -> Self {
        self.sealer = None;
        self
    }

    /// Shares the process's group committer (and its notifier).
    pub fn with_committer(mut self, committer: GroupCommitter) -> Self {
        self.committer = committer;
        self
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub fn citizens(&self) -> &dyn CitizenRegistry {
        self.citizens.as_ref()
    }

    pub fn sedi(&self) -> &dyn SedeDirectory {
        self.sedi.as_ref()
    }

    pub fn topics(&self) -> &dyn TopicCatalogue {
        self.topics.as_ref()
    }

    /// The request's events and state, for the caller if they may see it.
    pub async fn load_visible(
        &self,
        id: RequestId,
        actor: &Actor,
        until_version: Option<u64>,
    ) -> Result<(Request, Expected), CommandError> {
        convention::load_visible_request(&self.pool, id, actor, until_version).await
    }

    /// Returns the recorded answer if this key was used before with the same input.
    async fn replay(&self, ctx: &CommandContext) -> Result<Option<CommandOutcome>, CommandError> {
        convention::replay(
            &self.pool,
            ctx.actor.id().as_str(),
            ctx.idempotency.as_ref(),
        )
        .await
    }

    /// After a failed append: a lost idempotency race replays the winner's
    /// answer; anything else is returned as it is.
    async fn after_failed_append(
        &self,
        ctx: &CommandContext,
        error: StoreError,
    ) -> Result<CommandOutcome, CommandError> {
        if matches!(error, StoreError::IdempotencyRace) {
            if let Some(outcome) = self.replay(ctx).await? {
                return Ok(outcome);
            }
        }
        Err(error.into())
    }
}

/// Loads and folds a request stream (up to a version, for "as of" views).
pub async fn load(
    pool: &PgPool,
    id: RequestId,
    until_version: Option<u64>,
) -> Result<(Request, Expected), CommandError> {
    let stream = store::load_stream(pool, &id.stream_id(), STREAM_TYPE, until_version).await?;
    let mut request = Request::default();
    for e in &stream.events {
        let event: RequestEvent = e.decode()?;
        request = request.apply(&event);
    }
    Ok((request, stream.expected))
}

/// Whose the personal fields of a request's later events are.
pub(crate) fn stream_subject(request: &Request) -> StreamSubject {
    match request.sent.as_deref().map(|s| &s.requester) {
        Some(domain::request::Requester::Citizen(c)) => match c.codice_fiscale.known() {
            Some(cf) => StreamSubject::Citizen(cf.clone()),
            None => StreamSubject::Erased,
        },
        _ => StreamSubject::None,
    }
}

/// The events of a decision, as the store takes them.
fn new_events(events: &[RequestEvent]) -> Vec<store::NewEvent> {
    events
        .iter()
        .map(|e| store::NewEvent {
            event_type: e.event_type().to_string(),
            schema_version: RequestEvent::SCHEMA_VERSION,
            payload: serde_json::to_value(e).expect("events serialise"),
        })
        .collect()
}

/// A command's write on one request stream: `make_events` gets the protocol
/// number when `protocol` asked for one.
fn request_write(
    ctx: &CommandContext,
    command: &str,
    request_id: RequestId,
    protocol: Option<(domain::ids::SedeCode, i32)>,
    make_events: Arc<store::group::MakeEvents>,
) -> store::Write<CommandOutcome> {
    let stream_id = request_id.stream_id();
    store::Write {
        metadata: convention::metadata(
            Some(&ctx.actor),
            ctx.actor.id().to_string(),
            command,
            ctx.correlation_id,
            ctx.idempotency.as_ref(),
        ),
        recorded_at: ctx.now,
        protocol,
        events: make_events,
        idempotency: ctx
            .idempotency
            .as_ref()
            .map(|k| k.record(ctx.actor.id().to_string())),
        answer: Arc::new(move |written: &store::Written| CommandOutcome {
            request_id,
            version: written.version_of(&stream_id).unwrap_or(0),
            position: written.last_position(),
            protocol: written.protocol.as_ref().map(ToString::to_string),
            replayed: false,
        }),
    }
}
