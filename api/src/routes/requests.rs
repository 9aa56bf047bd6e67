//! Commands on requests. Handlers extract, call the command, map the result.

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiMultipart, ApiPath, OptionalJson};
use crate::guard::PatronatoCaller;
use crate::routes::uploads::receive_file;
use crate::state::AppState;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post};
use axum::{Json, Router};
use commands::requests::{
    CommandContext, CommandError, CommandOutcome, CreateRequestInput, IdempotencyKey, RequestAction,
};
use domain::actor::Actor;
use domain::codice_fiscale::CodiceFiscale;
use domain::ids::{AttachmentId, PracticeRef, PracticeRefKind, RequestId, TopicCode, UploadId};
use domain::request::RuleViolation;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub fn router(max_bytes: usize) -> Router<AppState> {
    Router::new()
        .route("/api/v1/requests/{id}/take-in-charge", post(take_in_charge))
        .route("/api/v1/requests/{id}/replies", post(reply_to_request))
        .route("/api/v1/requests/{id}/messages", post(send_message))
        .route("/api/v1/requests/{id}/solleciti", post(send_sollecito))
        .route("/api/v1/requests/{id}/forward", post(forward_request))
        .route(
            "/api/v1/requests/{id}/appointment-enablement",
            post(enable_appointment),
        )
        .route("/api/v1/requests/{id}/close", post(close_conversation))
        .route(
            "/api/v1/requests/{id}/attachments/{attachment_id}",
            delete(remove_attachment).get(crate::routes::queries::download_attachment),
        )
        .route(
            "/api/v1/requests/{id}/attachments",
            post(add_attachment).layer(DefaultBodyLimit::max(max_bytes + 64 * 1024)),
        )
}

pub fn create_route() -> axum::routing::MethodRouter<AppState> {
    post(create_request)
}

/// The answer to every command: the stream's new version and the global
/// position to pass as `min_position` to later queries.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommandAccepted {
    pub request_id: Uuid,
    pub version: u64,
    pub position: i64,
    /// Assigned when the request is sent: `INPS.<sede>.<year>.<7 digits>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
}

impl From<&CommandOutcome> for CommandAccepted {
    fn from(o: &CommandOutcome) -> Self {
        Self {
            request_id: o.request_id.0,
            version: o.version,
            position: o.position,
            protocol: o.protocol.clone(),
        }
    }
}

fn accepted(status: StatusCode, outcome: &CommandOutcome) -> Response {
    let mut res = (status, Json(CommandAccepted::from(outcome))).into_response();
    if outcome.replayed {
        res.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    res
}

/// The `Idempotency-Key` header and a fingerprint of what it came with
/// (the target is the request, none for a creation).
fn idempotency(
    headers: &HeaderMap,
    operation: &str,
    target: Option<Uuid>,
    input: &impl Serialize,
) -> Result<Option<IdempotencyKey>, ApiError> {
    let target = target.map(|t| t.to_string()).unwrap_or_default();
    crate::idempotency::key(headers, operation, &target, input)
}

impl AppState {
    pub(crate) fn context(
        &self,
        actor: Actor,
        idempotency: Option<IdempotencyKey>,
    ) -> CommandContext {
        CommandContext {
            actor,
            now: self.clock.now(),
            correlation_id: Uuid::now_v7(),
            idempotency,
        }
    }

    /// Counts the command's outcome and maps errors.
    fn outcome(
        &self,
        command: &str,
        result: Result<CommandOutcome, CommandError>,
    ) -> Result<CommandOutcome, ApiError> {
        self.metrics
            .counted(command, result.map_err(ApiError::from))
    }

    async fn run_action(
        &self,
        actor: Actor,
        headers: &HeaderMap,
        id: Uuid,
        action: RequestAction,
        input: &impl Serialize,
    ) -> Result<Response, ApiError> {
        let name = action.name();
        let ctx = self.context(actor, idempotency(headers, name, Some(id), input)?);
        let result = self.requests.execute(&ctx, RequestId(id), action).await;
        Ok(accepted(StatusCode::OK, &self.outcome(name, result)?))
    }
}

/// A practice reference: kind and value.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PracticeRefBody {
    /// `protocollo`, `domus`, `pensione`, `domanda_rdc` or `domanda_rem`.
    #[schema(value_type = String, example = "pensione")]
    pub kind: PracticeRefKind,
    pub value: String,
}

/// A new request. With `copy_from`, fields left out are taken from that request.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRequestBody {
    /// The citizen (as picked after identification); absent for a regional
    /// referent's request on their own behalf.
    pub codice_fiscale: Option<String>,
    /// The operator holds the citizen's mandate ("delega").
    #[serde(default)]
    pub mandate_declared: bool,
    pub topic: Option<String>,
    pub subtopic: Option<String>,
    pub practice_ref: Option<PracticeRefBody>,
    pub text: Option<String>,
    pub notes: Option<String>,
    /// Upload ids (from `uploadFile`) to attach.
    #[serde(default)]
    pub attachments: Vec<Uuid>,
    /// A sede other than the suggested one.
    pub destination_sede: Option<String>,
    /// Start from an existing request (same request for another citizen, or a
    /// new request for the same citizen).
    pub copy_from: Option<Uuid>,
}

impl CreateRequestBody {
    /// Parses every field at the edge.
    pub(crate) fn parse(self) -> Result<CreateRequestInput, ApiError> {
        let codice_fiscale = self
            .codice_fiscale
            .as_deref()
            .map(CodiceFiscale::parse)
            .transpose()
            .map_err(|e| ApiError::Unprocessable {
                code: e.code(),
                detail: e.to_string(),
            })?;
        let code = |raw: &Option<String>, unknown: RuleViolation| {
            raw.as_deref()
                .map(TopicCode::parse)
                .transpose()
                .map_err(|_| ApiError::Rule(unknown))
        };
        let topic = code(&self.topic, RuleViolation::TopicUnknown)?;
        let subtopic = code(&self.subtopic, RuleViolation::SubtopicUnknown)?;
        let practice_ref = self
            .practice_ref
            .map(|p| PracticeRef::parse(p.kind, &p.value))
            .transpose()
            .map_err(|e| ApiError::Unprocessable {
                code: "invalid_practice_ref",
                detail: e.to_string(),
            })?;
        Ok(CreateRequestInput {
            codice_fiscale,
            mandate_declared: self.mandate_declared,
            topic,
            subtopic,
            practice_ref,
            text: self.text,
            notes: self.notes,
            uploads: self.attachments.into_iter().map(UploadId).collect(),
            destination: self.destination_sede,
            copy_from: self.copy_from.map(RequestId),
        })
    }
}

#[utoipa::path(post, path = "/api/v1/requests", operation_id = "createRequest", tag = "requests",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer for the same key")),
    request_body = CreateRequestBody,
    responses(
        (status = 201, body = CommandAccepted),
        (status = 400, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem, description = "not_allowed_for_role"),
        (status = 422, body = crate::error::Problem, description = "mandate_not_declared, topic_unknown, topic_not_allowed_for_role, subtopic_unknown, practice_ref_required, practice_ref_not_associated, practice_not_enabled, text_required, text_too_long, notes_too_long, citizen_required, own_behalf_only, destination_unknown, destination_inactive, destination_missing, citizen_not_found, cf_*, upload_not_found, too_many_attachments, idempotency_key_reused")))]
// The role class is checked before the body here (a request is created, no
// target to hide). Commands on a request keep AuthUser: out of scope they must
// answer 404 exactly as for a missing request, whatever the caller's role.
pub async fn create_request(
    State(app): State<AppState>,
    PatronatoCaller(actor): PatronatoCaller,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CreateRequestBody>,
) -> Result<Response, ApiError> {
    let key = idempotency(&headers, "create_request", None, &body)?;
    let input = body.parse()?;
    let ctx = app.context(actor, key);
    let result = app.requests.create(&ctx, input).await;
    Ok(accepted(
        StatusCode::CREATED,
        &app.outcome("create_request", result)?,
    ))
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/attachments", operation_id = "addAttachment", tag = "attachments",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    request_body(content = crate::routes::uploads::UploadForm, content_type = "multipart/form-data"),
    responses((status = 200, body = CommandAccepted),
        (status = 404, body = crate::error::Problem),
        (status = 413, body = crate::error::Problem),
        (status = 415, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem, description = "too_many_attachments, conversation_closed")))]
pub async fn add_attachment(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiMultipart(multipart): ApiMultipart,
) -> Result<Response, ApiError> {
    // Scope before storing anything.
    app.requests
        .load_visible(RequestId(id), &actor, None)
        .await
        .map_err(ApiError::from)?;
    let upload = receive_file(&app, actor.id().as_str(), multipart).await?;
    let action = RequestAction::AddAttachment { upload: upload.id };
    app.run_action(actor, &headers, id, action, &upload.sha256)
        .await
}

#[utoipa::path(delete, path = "/api/v1/requests/{id}/attachments/{attachment_id}", operation_id = "removeAttachment", tag = "attachments",
    security(("bearer" = [])),
    params(("id" = Uuid, Path), ("attachment_id" = Uuid, Path)),
    responses((status = 200, body = CommandAccepted),
        (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem, description = "attachment_not_found, attachment_not_removable, conversation_closed")))]
pub async fn remove_attachment(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath((id, attachment_id)): ApiPath<(Uuid, Uuid)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let action = RequestAction::RemoveAttachment {
        attachment_id: AttachmentId(attachment_id),
    };
    app.run_action(actor, &headers, id, action, &attachment_id)
        .await
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/take-in-charge", operation_id = "takeInCharge", tag = "sede",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = CommandAccepted),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem, description = "already_in_charge, conversation_closed")))]
pub async fn take_in_charge(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    app.run_action(actor, &headers, id, RequestAction::TakeInCharge, &())
        .await
}

/// A text with optional attachments (upload ids).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageBody {
    pub text: String,
    #[serde(default)]
    pub attachments: Vec<Uuid>,
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/replies", operation_id = "replyToRequest", tag = "sede",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    request_body = MessageBody,
    responses((status = 200, body = CommandAccepted),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem, description = "nothing_to_reply, text_required, text_too_long, conversation_closed, upload_not_found")))]
pub async fn reply_to_request(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<MessageBody>,
) -> Result<Response, ApiError> {
    let action = RequestAction::Reply {
        text: body.text.clone(),
        uploads: body.attachments.iter().copied().map(UploadId).collect(),
    };
    app.run_action(actor, &headers, id, action, &body).await
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/messages", operation_id = "sendMessage", tag = "requests",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    request_body = MessageBody,
    responses((status = 200, body = CommandAccepted),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem, description = "no_reply_yet, awaiting_sede_reply, interactions_exhausted, text_required, conversation_closed")))]
pub async fn send_message(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<MessageBody>,
) -> Result<Response, ApiError> {
    let action = RequestAction::SendMessage {
        text: body.text.clone(),
        uploads: body.attachments.iter().copied().map(UploadId).collect(),
    };
    app.run_action(actor, &headers, id, action, &body).await
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/solleciti", operation_id = "sendSollecito", tag = "requests",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = CommandAccepted),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem, description = "sollecito_too_early (with available_from), sollecito_after_reply, conversation_closed")))]
pub async fn send_sollecito(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    app.run_action(actor, &headers, id, RequestAction::SendSollecito, &())
        .await
}

/// Forward to another sede, with the reason.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForwardBody {
    pub to_sede: String,
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/forward", operation_id = "forwardRequest", tag = "sede",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    request_body = ForwardBody,
    responses((status = 200, body = CommandAccepted),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem, description = "forward_to_same_sede, destination_unknown, destination_inactive, reason_required, reason_too_long, conversation_closed")))]
pub async fn forward_request(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ForwardBody>,
) -> Result<Response, ApiError> {
    let action = RequestAction::Forward {
        to: body.to_sede.clone(),
        reason: body.reason.clone(),
    };
    app.run_action(actor, &headers, id, action, &body).await
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/appointment-enablement", operation_id = "enableAppointment", tag = "sede",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = CommandAccepted),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem, description = "appointment_already_enabled, conversation_closed")))]
pub async fn enable_appointment(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    app.run_action(actor, &headers, id, RequestAction::EnableAppointment, &())
        .await
}

/// Close the conversation, with an optional note.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseBody {
    pub note: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/close", operation_id = "closeConversation", tag = "sede",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    request_body = CloseBody,
    responses((status = 200, body = CommandAccepted),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem, description = "conversation_closed, notes_too_long")))]
pub async fn close_conversation(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    OptionalJson(body): OptionalJson<CloseBody>,
) -> Result<Response, ApiError> {
    let action = RequestAction::Close {
        note: body.note.clone(),
    };
    app.run_action(actor, &headers, id, action, &body).await
}
