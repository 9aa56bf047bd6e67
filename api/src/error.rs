//! The one place that knows HTTP status codes: every error of every layer
//! becomes an `application/problem+json` answer with a stable `code` and an
//! Italian `detail`. Internal errors are logged, never shown.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use commands::attachments::AttachmentError;
use commands::error::{CommandError, Contended};
use domain::booking::{BookingViolation, ViolationKind};
use domain::request::RuleViolation;
use serde::Serialize;
use store::StoreError;
use utoipa::ToSchema;

/// RFC 9457 problem details, with the rule's code and, where waiting helps,
/// when the refused action becomes possible.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// `about:blank` or a URN naming the code.
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    /// Stable machine-readable code (e.g. `sollecito_too_early`).
    pub code: String,
    /// Italian explanation for the user.
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_from: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Rule(#[from] RuleViolation),
    /// A booking rule's refusal: its kind picks the status.
    #[error(transparent)]
    Booking(#[from] BookingViolation),
    #[error("La risorsa richiesta non esiste")]
    NotFound,
    /// A named thing that does not exist, with its own code (`province_not_found`).
    #[error("{detail}")]
    Missing { code: &'static str, detail: String },
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String },
    #[error("{detail}")]
    Unprocessable { code: &'static str, detail: String },
    #[error("Metodo HTTP non consentito per questa risorsa")]
    MethodNotAllowed,
    #[error("Autenticazione richiesta: fornire un token valido (Authorization: Bearer …)")]
    Unauthenticated { code: &'static str },
    #[error("Operazione non consentita al proprio profilo")]
    Forbidden,
    #[error("{0}")]
    Conflict(String),
    /// A state that refuses the operation, with its own code (409).
    #[error("{detail}")]
    Refused { code: &'static str, detail: String },
    #[error("Il contenuto supera la dimensione massima consentita")]
    PayloadTooLarge { detail: String },
    #[error("Tipo di contenuto non supportato: {0}")]
    UnsupportedMediaType(String),
    /// An attachment whose content is not of an allowed type.
    #[error("{0}")]
    AttachmentTypeNotAllowed(String),
    /// Too many calls of this client or on this resource (429, `Retry-After`).
    #[error("{detail}")]
    TooManyRequests {
        code: &'static str,
        detail: String,
        retry_after_secs: u64,
    },
    #[error("Il servizio non è pronto")]
    Unavailable,
    #[error("Il servizio è momentaneamente sovraccarico: riprovare tra poco")]
    Overloaded,
    #[error("I dati di consultazione non sono ancora aggiornati all'ultima operazione: riprovare tra poco")]
    Lagging,
    #[error("Errore interno")]
    Internal(String),
}

impl ApiError {
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code,
            detail: detail.into(),
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        ApiError::Internal(e.to_string())
    }

    /// The stable problem code, also the outcome label of the command metric.
    pub fn code(&self) -> &'static str {
        self.parts().1
    }

    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Booking(v) => {
                let status = match v.kind() {
                    ViolationKind::NotFound => StatusCode::NOT_FOUND,
                    ViolationKind::Forbidden => StatusCode::FORBIDDEN,
                    ViolationKind::Conflict => StatusCode::CONFLICT,
                    ViolationKind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
                };
                (status, v.code())
            }
            ApiError::Rule(v) if v.is_forbidden() => (StatusCode::FORBIDDEN, v.code()),
            ApiError::Rule(RuleViolation::NotFound) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Rule(v) => (StatusCode::UNPROCESSABLE_ENTITY, v.code()),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Missing { code, .. } => (StatusCode::NOT_FOUND, code),
            ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code),
            ApiError::Unprocessable { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code),
            ApiError::Unauthenticated { code } => (StatusCode::UNAUTHORIZED, code),
            ApiError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::Refused { code, .. } => (StatusCode::CONFLICT, code),
            ApiError::PayloadTooLarge { .. } => {
                (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
            }
            ApiError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::AttachmentTypeNotAllowed(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "attachment_type_not_allowed",
            ),
            ApiError::TooManyRequests { code, .. } => (StatusCode::TOO_MANY_REQUESTS, code),
            ApiError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "not_ready"),
            ApiError::Overloaded => (StatusCode::SERVICE_UNAVAILABLE, "overloaded"),
            ApiError::Lagging => (StatusCode::SERVICE_UNAVAILABLE, "read_model_lagging"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl From<commands::privacy::keys::KeyError> for ApiError {
    fn from(e: commands::privacy::keys::KeyError) -> Self {
        use commands::privacy::keys::KeyError;
        match e {
            KeyError::UnknownSubject => ApiError::Missing {
                code: "subject_unknown",
                detail: "Nessun dato personale di questo interessato è custodito nel registro \
                         degli eventi"
                    .into(),
            },
            KeyError::AlreadyErased => ApiError::Refused {
                code: "already_erased",
                detail: "I dati personali di questo interessato sono già stati cancellati".into(),
            },
            KeyError::Db(e) => e.into(),
            other => ApiError::internal(other),
        }
    }
}

impl From<CommandError> for ApiError {
    fn from(e: CommandError) -> Self {
        match e {
            CommandError::Rejected(v) => ApiError::Rule(v),
            CommandError::BookingRejected(v) => ApiError::Booking(v),
            CommandError::NotFound => ApiError::NotFound,
            CommandError::Invalid { code, message } => ApiError::Unprocessable {
                code,
                detail: message,
            },
            CommandError::Attachment(a) => a.into(),
            CommandError::IdempotencyKeyReused => ApiError::Unprocessable {
                code: "idempotency_key_reused",
                detail: CommandError::IdempotencyKeyReused.to_string(),
            },
            e @ CommandError::Conflict(_) => ApiError::Conflict(e.to_string()),
            // A race lost at the store: the same answer as one lost in a retry loop.
            CommandError::Store(StoreError::Conflict { .. } | StoreError::KeyLost) => {
                ApiError::Conflict(CommandError::Conflict(Contended::Request).to_string())
            }
            CommandError::Store(StoreError::Database(e)) => e.into(),
            CommandError::Store(s) => ApiError::internal(s),
        }
    }
}

/// Outside the caller's scope a thing does not exist for them; a role that
/// may not ask at all is told so.
impl From<domain::access::Refusal> for ApiError {
    fn from(r: domain::access::Refusal) -> Self {
        match r {
            domain::access::Refusal::OutOfScope => ApiError::NotFound,
            domain::access::Refusal::Forbidden => ApiError::Forbidden,
        }
    }
}

impl From<AttachmentError> for ApiError {
    fn from(e: AttachmentError) -> Self {
        match e {
            AttachmentError::TooLarge { .. } => ApiError::PayloadTooLarge {
                detail: e.to_string(),
            },
            AttachmentError::TypeNotAllowed => ApiError::AttachmentTypeNotAllowed(e.to_string()),
            AttachmentError::Database(d) => ApiError::internal(d),
            e => ApiError::Unprocessable {
                code: e.code(),
                detail: e.to_string(),
            },
        }
    }
}

/// A read of personal data is answered only once it is recorded (P2): when
/// the record cannot be written the read is refused as the service being
/// unavailable, with a retry, never answered unrecorded.
impl From<commands::privacy::ReadLogError> for ApiError {
    fn from(e: commands::privacy::ReadLogError) -> Self {
        tracing::error!(error = %e, "a read of personal data could not be recorded; refused");
        ApiError::Unavailable
    }
}

impl From<projections::ProjectionError> for ApiError {
    fn from(e: projections::ProjectionError) -> Self {
        match e {
            projections::ProjectionError::Database(e) => e.into(),
            e => ApiError::internal(e),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            // Every connection busy for the whole acquire timeout: shed, don't fail.
            sqlx::Error::PoolTimedOut => ApiError::Overloaded,
            e => ApiError::internal(e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.parts();
        let detail = match &self {
            ApiError::Internal(e) => {
                tracing::error!(error = %e, "internal error");
                "Si è verificato un errore interno; l'operazione non è stata eseguita".to_string()
            }
            ApiError::PayloadTooLarge { detail } => detail.clone(),
            other => other.to_string(),
        };
        let available_from = match &self {
            ApiError::Rule(v) => v.available_from(),
            _ => None,
        };
        let problem = Problem {
            type_: format!("urn:combipat:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            code: code.to_string(),
            detail,
            available_from,
        };
        let mut res = (status, axum::Json(problem)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        if let ApiError::Unauthenticated { code } = &self {
            // RFC 6750 §3: a 401 names the scheme; a token that was sent but
            // refused is `invalid_token`.
            let value = match *code {
                "token_missing" => "Bearer realm=\"combipat\"".to_string(),
                _ => "Bearer realm=\"combipat\", error=\"invalid_token\"".to_string(),
            };
            if let Ok(v) = header::HeaderValue::from_str(&value) {
                res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
        }
        if let ApiError::TooManyRequests {
            retry_after_secs, ..
        } = &self
        {
            res.headers_mut()
                .insert(header::RETRY_AFTER, (*retry_after_secs).max(1).into());
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        }
        res.extensions_mut().insert(ErrorCode(code));
        res
    }
}

/// The problem code of an error response, for metrics and logs.
#[derive(Debug, Clone, Copy)]
pub struct ErrorCode(pub &'static str);

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use commands::requests::CommandError;

    /// Status, `Retry-After`, and the problem body of an error's answer.
    async fn answer(e: ApiError) -> (u16, Option<String>, serde_json::Value) {
        let res = e.into_response();
        let status = res.status().as_u16();
        let retry = res
            .headers()
            .get(header::RETRY_AFTER)
            .map(|v| v.to_str().unwrap().to_string());
        let body = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, retry, serde_json::from_slice(&body).unwrap())
    }

    fn pool_timeout() -> CommandError {
        CommandError::Store(StoreError::Database(sqlx::Error::PoolTimedOut))
    }

    #[tokio::test]
    async fn a_booking_command_out_of_connections_sheds_with_retry_after_like_a_request_command() {
        let (status, retry, body) = answer(pool_timeout().into()).await;
        assert_eq!(status, 503);
        assert_eq!(retry.as_deref(), Some("1"));
        assert_eq!(body["code"], "overloaded");
        // The booking handlers' read side too: a projection's pool timeout.
        let read = projections::ProjectionError::Database(sqlx::Error::PoolTimedOut);
        let (status, retry, body) = answer(read.into()).await;
        assert_eq!((status, retry.as_deref()), (503, Some("1")));
        assert_eq!(body["code"], "overloaded");
    }

    #[tokio::test]
    async fn a_new_citizens_key_lost_to_another_writer_asks_to_try_again() {
        let lost = CommandError::Store(StoreError::KeyLost);
        let (status, _, body) = answer(lost.into()).await;
        assert_eq!(status, 409);
        assert_eq!(body["code"], "conflict");
        assert!(
            body["detail"].as_str().unwrap().contains("riprovare"),
            "{body}"
        );
    }

    #[tokio::test]
    async fn a_request_rule_refusing_a_booking_says_when_it_becomes_possible() {
        let from = chrono::Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap();
        let refusal = RuleViolation::AppointmentNotEligible {
            available_from: Some(from),
        };
        let (status, _, body) = answer(CommandError::Rejected(refusal.clone()).into()).await;
        assert_eq!(status, 422);
        assert_eq!(body["code"], "appointment_not_eligible");
        assert_eq!(body["available_from"], "2026-03-02T08:00:00Z");
        assert_eq!(body["detail"], refusal.to_string());
    }

    #[tokio::test]
    async fn booking_refusals_keep_their_status_code_and_message() {
        for (v, status) in [
            (BookingViolation::BookingNotFound, 404),
            (BookingViolation::NotAllowedForRole, 403),
            (BookingViolation::SlotUnavailable, 409),
            (BookingViolation::HoldExpired, 422),
        ] {
            let (got, retry, body) = answer(CommandError::BookingRejected(v.clone()).into()).await;
            assert_eq!(got, status, "{v:?}");
            assert_eq!(retry, None);
            assert_eq!(body["code"], v.code());
            assert_eq!(body["detail"], v.to_string());
            assert_eq!(body["type"], format!("urn:combipat:problem:{}", v.code()));
            assert!(body.get("available_from").is_none());
        }
    }

    #[test]
    fn the_metric_code_is_the_problem_code() {
        let cases: Vec<(ApiError, &str)> = vec![
            (BookingViolation::SlotUnavailable.into(), "slot_unavailable"),
            (RuleViolation::Closed.into(), "conversation_closed"),
            (CommandError::NotFound.into(), "not_found"),
            (
                CommandError::invalid("citizen_not_found", "x").into(),
                "citizen_not_found",
            ),
            (
                CommandError::IdempotencyKeyReused.into(),
                "idempotency_key_reused",
            ),
            (
                CommandError::Conflict(Contended::Booking).into(),
                "conflict",
            ),
            (pool_timeout().into(), "overloaded"),
        ];
        for (e, code) in cases {
            assert_eq!(e.code(), code, "{e:?}");
            let res = e.into_response();
            assert_eq!(res.extensions().get::<ErrorCode>().unwrap().0, code);
        }
    }
}
