//! Erasure of a data subject (GDPR art. 17; docs/privacy.md, P15–P16):
//! the subject's key is destroyed and the erasure recorded in one
//! transaction, then the read models' rows are scrubbed to their erased form.

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use domain::actor::Actor;
use domain::codice_fiscale::CodiceFiscale;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use utoipa::ToSchema;

/// Longest legal ground accepted.
const MAX_GROUND_CHARS: usize = 300;
/// How long the erasure waits for the projections to pass it before scrubbing.
const PROJECTIONS_WAIT: Duration = Duration::from_secs(30);

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/privacy/erasures", post(erase_subject))
}

/// Whom to erase and why.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErasureInput {
    /// The citizen's codice fiscale (turned into its pseudonym; never stored).
    pub codice_fiscale: String,
    /// The legal ground, e.g. "GDPR art. 17(1)(d)" and the file reference.
    pub legal_ground: String,
}

/// The erasure as recorded (the `SubjectErased` event).
#[derive(Debug, Serialize, ToSchema)]
pub struct Erasure {
    /// The subject's pseudonym.
    pub subject: String,
    pub kind: String,
    pub legal_ground: String,
    pub erased_by: String,
    pub erased_by_role: String,
    pub at: DateTime<Utc>,
    /// Read-model rows rewritten to their erased form.
    pub requests_scrubbed: u64,
    pub bookings_scrubbed: u64,
}

#[utoipa::path(post, path = "/api/v1/privacy/erasures", operation_id = "eraseSubject", tag = "privacy",
    security(("bearer" = [])),
    request_body = ErasureInput,
    responses((status = 201, body = Erasure),
        (status = 400, body = crate::error::Problem, description = "cf_*, invalid_legal_ground"),
        (status = 403, body = crate::error::Problem, description = "only a system administrator"),
        (status = 404, body = crate::error::Problem, description = "subject_unknown: nothing of this subject is sealed"),
        (status = 409, body = crate::error::Problem, description = "already_erased")))]
pub async fn erase_subject(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiJson(input): ApiJson<ErasureInput>,
) -> Result<(StatusCode, Json<Erasure>), ApiError> {
    if !matches!(actor, Actor::SystemAdmin { .. }) {
        return Err(ApiError::Forbidden);
    }
    let cf = CodiceFiscale::parse(input.codice_fiscale.trim())
        .map_err(|e| ApiError::bad_request(e.code(), e.to_string()))?;
    let ground = input.legal_ground.trim();
    if ground.is_empty()
        || ground.chars().count() > MAX_GROUND_CHARS
        || ground.chars().any(char::is_control)
    {
        return Err(ApiError::bad_request(
            "invalid_legal_ground",
            format!("Indicare la base giuridica della cancellazione (testo, al massimo {MAX_GROUND_CHARS} caratteri)"),
        ));
    }
    let subject = app.pseudonyms.citizen(&cf);
    let erased = app
        .sealer
        .keys()
        .erase(
            &subject,
            ground,
            actor.id().as_str(),
            actor.role().as_str(),
            app.clock.now(),
        )
        .await?;
    app.notifier.ring();
    // Rows projected from events opened before the key went would be written
    // again in clear: scrub once every projection has passed the erasure.
    let passed = projections::wait_for_position(
        &app.pool,
        projections::NAMES,
        erased.position,
        PROJECTIONS_WAIT,
    )
    .await
    .map_err(ApiError::internal)?;
    if !passed {
        tracing::warn!(subject = %subject, "erasure: projections behind, scrubbing anyway");
    }
    let scrubbed = projections::privacy::scrub_citizen(&app.pool, &subject)
        .await
        .map_err(ApiError::internal)?;
    // The uploads' copies of the files' names (P25).
    let uploads = commands::attachments::forget_names(&app.pool, &scrubbed.attachments).await?;
    tracing::info!(subject = %subject, requests = scrubbed.requests,
        bookings = scrubbed.bookings, uploads, "data subject erased");
    Ok((
        StatusCode::CREATED,
        Json(Erasure {
            subject: erased.subject,
            kind: erased.kind,
            legal_ground: erased.legal_ground,
            erased_by: erased.erased_by,
            erased_by_role: erased.erased_by_role,
            at: erased.at,
            requests_scrubbed: scrubbed.requests,
            bookings_scrubbed: scrubbed.bookings,
        }),
    ))
}
