use super::{
    new_events, request_write, CommandContext, CommandError, CommandOutcome, RequestService,
    STREAM_TYPE,
};
use crate::attachments;
use crate::ports::in_scope;
use crate::privacy::seal::StreamSubject;
use domain::actor::Actor;
use domain::codice_fiscale::CodiceFiscale;
use domain::ids::{Cap, PracticeRef, ProtocolNumber, RequestId, SedeCode, TopicCode, UploadId};
use domain::request::{
    accept_new_request, CitizenRecord, NewRequest, Request, Requester, RequesterInput,
};
use domain::time::rome_year;
use std::sync::Arc;
use store::{Expected, StoreError};

/// A new request as the caller sends it. With `copy_from`, every field left
/// out is taken from that request (same request for another citizen, or a new
/// one for the same citizen); the mandate must be declared every time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateRequestInput {
    pub codice_fiscale: Option<CodiceFiscale>,
    pub mandate_declared: bool,
    pub topic: Option<TopicCode>,
    pub subtopic: Option<TopicCode>,
    pub practice_ref: Option<PracticeRef>,
    pub text: Option<String>,
    pub notes: Option<String>,
    pub uploads: Vec<UploadId>,
    pub destination: Option<String>,
    pub copy_from: Option<RequestId>,
}

/// What a request would be if sent now: where it would go and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedRequest {
    pub destination: SedeCode,
    /// What routing proposed (`None`: nothing could be proposed).
    pub suggested: Option<SedeCode>,
    /// What the proposal rests on.
    pub basis: RoutingBasis,
}

/// Why a sede is proposed for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoutingBasis {
    /// The citizen's postcode and the topic (a hub "Polo" for some topics).
    CitizenCap(Cap),
    /// A regional referent on their own behalf: the region's CRIC.
    RegionalCric,
}

impl RequestService {
    /// Every rule of [`RequestService::create`] on the same input, writing
    /// nothing: the screens show a refusal at the step that causes it, and
    /// the proposed sede before sending.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn check(
        &self,
        ctx: &CommandContext,
        input: CreateRequestInput,
    ) -> Result<CheckedRequest, CommandError> {
        let input = self.merge_copy(&ctx.actor, input).await?;
        let new = in_scope(self.lookups.as_ref(), self.gather_facts(ctx, input)).await?;
        let suggested = new.suggested_destination.clone();
        let basis = match &new.requester {
            RequesterInput::Citizen(c) => RoutingBasis::CitizenCap(c.cap.clone()),
            RequesterInput::OwnBehalf => RoutingBasis::RegionalCric,
        };
        let accepted = accept_new_request(&ctx.actor, new)?;
        Ok(CheckedRequest {
            destination: accepted.destination().clone(),
            suggested,
            basis,
        })
    }

    /// Identifies the citizen, checks the practice, routes, then sends the
    /// request: the protocol number is allocated in the append's transaction.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn create(
        &self,
        ctx: &CommandContext,
        input: CreateRequestInput,
    ) -> Result<CommandOutcome, CommandError> {
        // A new citizen's key that lost to one another process stored first
        // (rare): sealed again with the stored key.
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.create_once(ctx, input.clone()).await {
                Err(CommandError::Store(StoreError::KeyLost)) if attempts < 3 => continue,
                outcome => return outcome,
            }
        }
    }

    async fn create_once(
        &self,
        ctx: &CommandContext,
        input: CreateRequestInput,
    ) -> Result<CommandOutcome, CommandError> {
        if let Some(outcome) = self.replay(ctx).await? {
            return Ok(outcome);
        }
        let input = self.merge_copy(&ctx.actor, input).await?;
        let new = in_scope(self.lookups.as_ref(), self.gather_facts(ctx, input)).await?;
        let id = new.id;
        let accepted = accept_new_request(&ctx.actor, new)?;

        let destination = accepted.destination().clone();
        let expected = Expected::new_stream(id.stream_id(), STREAM_TYPE);
        let now = ctx.now;
        // Sealed now, with the citizen's key: the event, made once its
        // protocol number is known, takes the sealed value in the committer.
        // A new citizen's key is stored while the write waits for its batch.
        let (presealed, new_keys) = match &self.sealer {
            Some(sealer) => {
                let cf = requester_code(&accepted);
                let citizens: Vec<&CodiceFiscale> = cf.iter().collect();
                let keys = sealer
                    .keys_ahead_for(&citizens, &StreamSubject::None, now)
                    .await
                    .map_err(StoreError::from)?;
                let draft = accepted
                    .clone()
                    .into_event(draft_protocol(&destination), now);
                let presealed = new_events(&[draft])
                    .first()
                    .map(|draft| keys.preseal(draft));
                (presealed, keys.pending())
            }
            None => (None, Vec::new()),
        };
        let make_events = Arc::new(move |protocol: Option<&ProtocolNumber>| {
            let protocol = protocol.expect("a creation asks for its protocol number");
            let event = accepted.clone().into_event(protocol.clone(), now);
            let mut streams = vec![(expected.clone(), new_events(&[event]))];
            if let Some(presealed) = &presealed {
                presealed.apply(&mut streams);
            }
            streams
        });
        let write = request_write(
            ctx,
            "create_request",
            id,
            Some((destination, rome_year(ctx.now))),
            make_events,
        );
        match self.committer.commit_sealed(write, new_keys).await {
            Ok(outcome) => Ok(outcome),
            Err(e) => self.after_failed_append(ctx, e).await,
        }
    }

    /// Fills the fields left out from the request named by `copy_from`.
    async fn merge_copy(
        &self,
        actor: &Actor,
        mut input: CreateRequestInput,
    ) -> Result<CreateRequestInput, CommandError> {
        let Some(source_id) = input.copy_from else {
            return Ok(input);
        };
        let (source, _) = self
            .load_visible(source_id, actor, None)
            .await
            .map_err(|e| match e {
                CommandError::NotFound => CommandError::invalid(
                    "copy_source_not_found",
                    "La richiesta da copiare non esiste",
                ),
                e => e,
            })?;
        let sent = source.sent.as_ref().expect("a visible request was sent");
        let source_citizen = match &sent.requester {
            Requester::Citizen(c) => c.codice_fiscale.known().cloned(),
            _ => None,
        };
        if input.codice_fiscale.is_none() {
            input.codice_fiscale = source_citizen.clone();
        }
        // A practice belongs to its citizen: "the same request for another
        // citizen" needs that citizen's own reference, never the first one's.
        let same_citizen = input.codice_fiscale == source_citizen;
        if input.topic.is_none() {
            input.topic = Some(sent.topic.clone());
            input.subtopic = input.subtopic.or_else(|| sent.subtopic.clone());
            if same_citizen {
                input.practice_ref = input.practice_ref.or_else(|| sent.practice_ref.clone());
            }
        }
        input.text = input.text.or_else(|| Some(sent.text.clone()));
        input.notes = input.notes.or_else(|| sent.notes.clone());
        Ok(input)
    }

    /// Looks up everything the creation rules need from the outside.
    async fn gather_facts(
        &self,
        ctx: &CommandContext,
        input: CreateRequestInput,
    ) -> Result<NewRequest, CommandError> {
        let topic_code = input.topic.ok_or_else(|| {
            CommandError::invalid("field_required", "Indicare la tematica (topic)")
        })?;
        let text = input.text.ok_or_else(|| {
            CommandError::invalid("field_required", "Indicare il testo della richiesta (text)")
        })?;
        let topic = self.topics.topic(&topic_code).await?;

        let requester = match &input.codice_fiscale {
            None => RequesterInput::OwnBehalf,
            Some(cf) => RequesterInput::Citizen(self.identify(cf).await?),
        };

        let patronato = ctx.actor.patronato_user().map(|u| u.patronato.clone());
        // The citizen identified has exactly the code typed.
        let practice_check = match (&input.practice_ref, &input.codice_fiscale, &patronato) {
            (Some(reference), Some(cf), Some(patronato)) => {
                Some(self.practices.check(cf, reference, patronato).await?)
            }
            _ => None,
        };

        let suggested_destination = match (&requester, ctx.actor.patronato_user()) {
            (RequesterInput::Citizen(c), _) => {
                self.sedi
                    .route(&c.cap, &topic_code, input.subtopic.as_ref())
                    .await?
            }
            (RequesterInput::OwnBehalf, Some(u)) => match &u.region {
                Some(region) => self.sedi.cric_of(region).await?,
                None => None,
            },
            (RequesterInput::OwnBehalf, None) => None,
        };
        let chosen_destination = match &input.destination {
            Some(code) => Some(self.sedi.lookup(code).await?),
            None => None,
        };

        let uploader = ctx.actor.id().as_str();
        let attachments =
            attachments::resolve_uploads(&self.pool, &input.uploads, uploader).await?;

        Ok(NewRequest {
            id: RequestId::new(),
            requester,
            mandate_declared: input.mandate_declared,
            topic,
            subtopic: input.subtopic,
            practice_ref: input.practice_ref,
            practice_check,
            text,
            notes: input.notes,
            attachments,
            suggested_destination,
            chosen_destination,
            copied_from: input.copy_from,
        })
    }

    /// The one citizen with exactly this code.
    async fn identify(&self, cf: &CodiceFiscale) -> Result<CitizenRecord, CommandError> {
        self.citizens
            .by_codice_fiscale(cf)
            .await?
            .into_iter()
            .find(|c| c.codice_fiscale.is(cf))
            .ok_or_else(|| {
                CommandError::invalid(
                    "citizen_not_found",
                    "Nessun cittadino risulta registrato con il codice fiscale indicato",
                )
            })
    }

    /// A request's state, for read paths that need the rules (next actions, as-of).
    pub async fn state(
        &self,
        id: RequestId,
        actor: &Actor,
        until_version: Option<u64>,
    ) -> Result<Request, CommandError> {
        Ok(self.load_visible(id, actor, until_version).await?.0)
    }
}

/// The citizen a new request names, whose key seals its personal fields.
fn requester_code(accepted: &domain::request::AcceptedRequest) -> Option<CodiceFiscale> {
    match accepted.requester() {
        Requester::Citizen(c) => c.codice_fiscale.known().cloned(),
        Requester::OwnBehalf { .. } => None,
    }
}

/// A stand-in protocol number for the draft that is sealed ahead: no sealed
/// field holds the number, so any will do.
fn draft_protocol(sede: &SedeCode) -> ProtocolNumber {
    ProtocolNumber::new(sede, 2000, 1)
}
