//! What the booking handlers share: the optional caller (a citizen may call
//! without a token), the mapping of booking errors to problem+json, the
//! idempotency fingerprint, and the views of slots.

use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorCode, Problem};
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::Rome;
use commands::bookings::{BookingContext, BookingError, BookingService, Caller};
use commands::requests::IdempotencyKey;
use commands::store::StoreError;
use domain::actor::Actor;
use domain::booking::{BookingViolation, CounterCode, Notice, SlotRef, ViolationKind};
use domain::codice_fiscale::CodiceFiscale;
use domain::ids::SedeCode;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

/// The caller if a token was sent; `None` without an `Authorization` header.
/// A token that is sent must be valid (401 otherwise): a bad token is never
/// taken for "no token".
pub struct MaybeActor(pub Option<Actor>);

impl FromRequestParts<AppState> for MaybeActor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if !parts.headers.contains_key(header::AUTHORIZATION) {
            return Ok(MaybeActor(None));
        }
        let AuthUser(actor) = AuthUser::from_request_parts(parts, state).await?;
        Ok(MaybeActor(Some(actor)))
    }
}

/// An error of a booking handler: an [`ApiError`], or a booking rule's
/// refusal with its own status and code.
#[derive(Debug)]
pub enum BookingHttpError {
    Api(ApiError),
    Rule(BookingViolation),
}

impl From<ApiError> for BookingHttpError {
    fn from(e: ApiError) -> Self {
        BookingHttpError::Api(e)
    }
}

impl From<BookingViolation> for BookingHttpError {
    fn from(v: BookingViolation) -> Self {
        BookingHttpError::Rule(v)
    }
}

impl From<sqlx::Error> for BookingHttpError {
    fn from(e: sqlx::Error) -> Self {
        BookingHttpError::Api(ApiError::internal(e))
    }
}

impl From<projections::ProjectionError> for BookingHttpError {
    fn from(e: projections::ProjectionError) -> Self {
        BookingHttpError::Api(ApiError::internal(e))
    }
}

impl From<BookingError> for BookingHttpError {
    fn from(e: BookingError) -> Self {
        match e {
            BookingError::Rejected(v) => BookingHttpError::Rule(v),
            BookingError::Request(v) => BookingHttpError::Api(ApiError::Rule(v)),
            BookingError::NotFound => BookingHttpError::Api(ApiError::NotFound),
            BookingError::Invalid { code, message } => {
                BookingHttpError::Api(ApiError::Unprocessable {
                    code,
                    detail: message,
                })
            }
            BookingError::IdempotencyKeyReused => BookingHttpError::Api(ApiError::Unprocessable {
                code: "idempotency_key_reused",
                detail: BookingError::IdempotencyKeyReused.to_string(),
            }),
            BookingError::Conflict | BookingError::Store(StoreError::Conflict { .. }) => {
                BookingHttpError::Api(ApiError::Conflict(BookingError::Conflict.to_string()))
            }
            BookingError::Store(s) => BookingHttpError::Api(ApiError::internal(s)),
        }
    }
}

impl BookingHttpError {
    /// The problem code, for metrics.
    pub fn code(&self) -> &'static str {
        match self {
            BookingHttpError::Rule(v) => v.code(),
            BookingHttpError::Api(ApiError::Rule(v)) => v.code(),
            BookingHttpError::Api(ApiError::NotFound) => "not_found",
            BookingHttpError::Api(ApiError::Conflict(_)) => "conflict",
            BookingHttpError::Api(ApiError::Unprocessable { code, .. }) => code,
            BookingHttpError::Api(ApiError::Internal(_)) => "internal",
            BookingHttpError::Api(_) => "invalid",
        }
    }
}

impl IntoResponse for BookingHttpError {
    fn into_response(self) -> Response {
        let v = match self {
            BookingHttpError::Api(e) => return e.into_response(),
            BookingHttpError::Rule(v) => v,
        };
        let status = match v.kind() {
            ViolationKind::NotFound => StatusCode::NOT_FOUND,
            ViolationKind::Forbidden => StatusCode::FORBIDDEN,
            ViolationKind::Conflict => StatusCode::CONFLICT,
            ViolationKind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
        };
        let code = v.code();
        let problem = Problem {
            type_: format!("urn:combipat:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            code: code.to_string(),
            detail: v.to_string(),
            available_from: None,
        };
        let mut res = (status, axum::Json(problem)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        res.extensions_mut().insert(ErrorCode(code));
        res
    }
}

pub type HttpResult<T> = Result<T, BookingHttpError>;

/// The commands, on the primary.
pub fn service(app: &AppState) -> BookingService {
    BookingService::with_committer(app.pool.clone(), app.committer.clone())
        .with_sealer(app.sealer.clone())
}

/// The `Idempotency-Key` header and a fingerprint of what it came with.
pub fn idempotency(
    headers: &HeaderMap,
    operation: &str,
    target: &str,
    input: &impl Serialize,
) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(raw) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = raw
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 200)
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_idempotency_key",
                "L'intestazione Idempotency-Key deve essere un testo di 1–200 caratteri",
            )
        })?;
    let mut hasher = Sha256::new();
    hasher.update(operation.as_bytes());
    hasher.update(target.as_bytes());
    hasher.update(serde_json::to_vec(input).expect("input serialises"));
    Ok(Some(IdempotencyKey {
        key: key.to_string(),
        fingerprint: hasher.finalize().to_vec(),
    }))
}

pub fn context(app: &AppState, caller: Caller, key: Option<IdempotencyKey>) -> BookingContext {
    BookingContext {
        caller,
        now: app.clock.now(),
        correlation_id: Uuid::now_v7(),
        idempotency: key,
    }
}

/// Counts the command's outcome.
pub fn counted<T>(app: &AppState, command: &str, result: HttpResult<T>) -> HttpResult<T> {
    match &result {
        Ok(_) => app.metrics.command(command, "ok"),
        Err(e) => app.metrics.command(command, e.code()),
    }
    result
}

fn cf_error(e: domain::codice_fiscale::CfError) -> BookingHttpError {
    BookingHttpError::Api(ApiError::Unprocessable {
        code: e.code(),
        detail: e.to_string(),
    })
}

/// The citizen calling: a citizen token (the body's codice fiscale, if any,
/// must be theirs), or no token and the codice fiscale in the body. Other
/// roles may not act as citizens.
pub fn citizen_caller(actor: Option<Actor>, body_cf: Option<&str>) -> HttpResult<Caller> {
    let body_cf = body_cf
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(CodiceFiscale::parse)
        .transpose()
        .map_err(cf_error)?;
    match actor {
        None => match body_cf {
            Some(codice_fiscale) => Ok(Caller::Anonymous { codice_fiscale }),
            None => Err(BookingViolation::CodiceFiscaleRequired.into()),
        },
        Some(Actor::Citizen { id }) => {
            if let Some(cf) = body_cf {
                if cf.as_str() != id.as_str() {
                    return Err(BookingViolation::CodiceFiscaleMismatch.into());
                }
            }
            Ok(Caller::Actor(Actor::Citizen { id }))
        }
        Some(_) => Err(BookingViolation::NotAllowedForRole.into()),
    }
}

pub fn sede_code(raw: &str) -> HttpResult<SedeCode> {
    SedeCode::parse(raw).map_err(|_| BookingViolation::SedeUnknown.into())
}

pub fn counter_code(raw: &str) -> HttpResult<CounterCode> {
    CounterCode::parse(raw).map_err(|_| BookingViolation::CounterUnknown.into())
}

/// A slot as clients see it: UTC instants and the Europe/Rome date and time.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlotView {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Europe/Rome, `YYYY-MM-DD`.
    pub date: NaiveDate,
    /// Europe/Rome, `HH:MM`.
    pub time: String,
}

impl From<&SlotRef> for SlotView {
    fn from(s: &SlotRef) -> Self {
        let local = s.start.with_timezone(&Rome);
        SlotView {
            start: s.start,
            end: s.end,
            date: local.date_naive(),
            time: local.format("%H:%M").to_string(),
        }
    }
}

/// A notice ("avviso") of the sede.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NoticeView {
    pub notice_id: Uuid,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The counter it concerns; absent for the whole sede.
    pub counter: Option<String>,
    pub text: String,
}

impl From<&Notice> for NoticeView {
    fn from(n: &Notice) -> Self {
        NoticeView {
            notice_id: n.notice_id.0,
            from: n.from,
            to: n.to,
            counter: n.counter.as_ref().map(|c| c.to_string()),
            text: n.text.clone(),
        }
    }
}
