use super::{
    new_events, request_write, stream_subject, CommandContext, CommandError, CommandOutcome,
    RequestService,
};
use crate::attachments;
use crate::convention::{backoff, MAX_ATTEMPTS};
use crate::error::Contended;
use domain::ids::{AttachmentId, ProtocolNumber, RequestId, UploadId};
use domain::request::RequestCommand;
use std::sync::Arc;
use store::StoreError;

/// A command on an existing request as a caller sends it: uploads and sede
/// codes not yet resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestAction {
    AddAttachment {
        upload: UploadId,
    },
    RemoveAttachment {
        attachment_id: AttachmentId,
    },
    TakeInCharge,
    Reply {
        text: String,
        uploads: Vec<UploadId>,
    },
    SendMessage {
        text: String,
        uploads: Vec<UploadId>,
    },
    SendSollecito,
    Forward {
        to: String,
        reason: String,
    },
    EnableAppointment,
    Close {
        note: Option<String>,
    },
}

impl RequestAction {
    pub fn name(&self) -> &'static str {
        match self {
            RequestAction::AddAttachment { .. } => "add_attachment",
            RequestAction::RemoveAttachment { .. } => "remove_attachment",
            RequestAction::TakeInCharge => "take_in_charge",
            RequestAction::Reply { .. } => "reply",
            RequestAction::SendMessage { .. } => "send_message",
            RequestAction::SendSollecito => "send_sollecito",
            RequestAction::Forward { .. } => "forward",
            RequestAction::EnableAppointment => "enable_appointment",
            RequestAction::Close { .. } => "close",
        }
    }
}

impl RequestService {
    /// Carries out one command on an existing request.
    #[tracing::instrument(skip_all, fields(request_id = %id, command = action.name()), err(level = "info"))]
    pub async fn execute(
        &self,
        ctx: &CommandContext,
        id: RequestId,
        action: RequestAction,
    ) -> Result<CommandOutcome, CommandError> {
        if let Some(outcome) = self.replay(ctx).await? {
            return Ok(outcome);
        }
        // Scope first: an invisible request answers NotFound before any input is looked at.
        let mut loaded = Some(self.load_visible(id, &ctx.actor, None).await?);
        let command = self.resolve(ctx, action).await?;
        for attempt in 0..MAX_ATTEMPTS {
            let (request, expected) = match loaded.take() {
                Some(first) => first,
                None => self.load_visible(id, &ctx.actor, None).await?,
            };
            let events = new_events(&request.decide(&ctx.actor, command.clone(), ctx.now)?);
            let mut streams = vec![(expected, events)];
            if let Some(sealer) = &self.sealer {
                let subject = stream_subject(&request);
                sealer
                    .seal(&mut streams, &subject, ctx.now)
                    .await
                    .map_err(StoreError::from)?;
            }
            let make_events = Arc::new(move |_: Option<&ProtocolNumber>| streams.clone());
            let write = request_write(ctx, command.name(), id, None, make_events);
            match self.committer.commit(write).await {
                Ok(outcome) => return Ok(outcome),
                Err(e) if e.is_conflict() => backoff(attempt).await,
                Err(e) => return self.after_failed_append(ctx, e).await,
            }
        }
        Err(CommandError::Conflict(Contended::Request))
    }

    /// Looks up what the command refers to outside the request.
    async fn resolve(
        &self,
        ctx: &CommandContext,
        action: RequestAction,
    ) -> Result<RequestCommand, CommandError> {
        let uploader = ctx.actor.id().as_str();
        Ok(match action {
            RequestAction::AddAttachment { upload } => {
                let mut refs =
                    attachments::resolve_uploads(&self.pool, &[upload], uploader).await?;
                RequestCommand::AddAttachment {
                    attachment: refs.remove(0),
                }
            }
            RequestAction::RemoveAttachment { attachment_id } => {
                RequestCommand::RemoveAttachment { attachment_id }
            }
            RequestAction::TakeInCharge => RequestCommand::TakeInCharge,
            RequestAction::Reply { text, uploads } => RequestCommand::Reply {
                text,
                attachments: attachments::resolve_uploads(&self.pool, &uploads, uploader).await?,
            },
            RequestAction::SendMessage { text, uploads } => RequestCommand::SendMessage {
                text,
                attachments: attachments::resolve_uploads(&self.pool, &uploads, uploader).await?,
            },
            RequestAction::SendSollecito => RequestCommand::SendSollecito,
            RequestAction::Forward { to, reason } => RequestCommand::Forward {
                to: self.sedi.lookup(&to).await?,
                reason,
            },
            RequestAction::EnableAppointment => RequestCommand::EnableAppointment,
            RequestAction::Close { note } => RequestCommand::Close { note },
        })
    }
}
