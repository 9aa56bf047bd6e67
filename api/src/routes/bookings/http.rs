//! What the booking handlers share: the optional caller (a citizen may call
//! without a token), the command context, and the views of slots. Errors are
//! [`ApiError`]s, mapped in `crate::error` like every other handler's.

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::Rome;
use commands::bookings::{BookingContext, BookingService, Caller};
use commands::convention::IdempotencyKey;
use domain::access::Refusal;
use domain::actor::{Actor, SedeOfficer};
use domain::booking::{BookingViolation, CounterCode, Notice, SlotRef};
use domain::codice_fiscale::CodiceFiscale;
use domain::ids::SedeCode;
use serde::Serialize;
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

/// Booking handlers answer with [`ApiError`] like every other handler: one
/// mapping to HTTP, one metric code.
pub type HttpResult<T> = Result<T, ApiError>;

/// The commands, on the primary.
pub fn service(app: &AppState) -> BookingService {
    BookingService::with_committer(
        app.pool.clone(),
        app.counters.clone(),
        app.committer.clone(),
    )
    .with_sealer(app.sealer.clone())
}

/// The `Idempotency-Key` header and a fingerprint of what it came with.
pub fn idempotency(
    headers: &HeaderMap,
    operation: &str,
    target: &str,
    input: &impl Serialize,
) -> Result<Option<IdempotencyKey>, ApiError> {
    crate::idempotency::key(headers, operation, target, input)
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
    app.metrics.counted(command, result)
}

fn cf_error(e: domain::codice_fiscale::CfError) -> ApiError {
    ApiError::Unprocessable {
        code: e.code(),
        detail: e.to_string(),
    }
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

/// The officer of `sede` ([`domain::access::officer_of`]): another sede's
/// officer hears 404 (logged), other roles 403.
pub fn sede_officer<'a>(actor: &'a Actor, sede: &SedeCode) -> HttpResult<&'a SedeOfficer> {
    domain::access::officer_of(actor, sede).map_err(|r| match r {
        Refusal::OutOfScope => {
            tracing::warn!(actor = %actor.id(), %sede, "sede outside scope refused as not found");
            ApiError::NotFound
        }
        Refusal::Forbidden => BookingViolation::NotAllowedForRole.into(),
    })
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
