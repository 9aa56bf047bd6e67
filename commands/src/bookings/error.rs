use domain::booking::BookingViolation;
use domain::request::RuleViolation;
use store::StoreError;

/// Why a booking command was not carried out. Nothing was appended in every case.
#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    /// A booking rule refused it (slot taken, hold expired, limits, …).
    #[error(transparent)]
    Rejected(#[from] BookingViolation),
    /// A rule of the request refused it (appointment not yet allowed, …).
    #[error(transparent)]
    Request(#[from] RuleViolation),
    /// The request does not exist, or the caller may not see it.
    #[error("La richiesta non esiste")]
    NotFound,
    /// Input the rules cannot consider.
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    #[error("La chiave di idempotenza è già stata usata per un'altra operazione")]
    IdempotencyKeyReused,
    /// Concurrent writers kept winning; the client may retry.
    #[error(
        "La prenotazione è stata modificata contemporaneamente da un'altra operazione: riprovare"
    )]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for BookingError {
    fn from(e: sqlx::Error) -> Self {
        BookingError::Store(StoreError::Database(e))
    }
}

impl From<crate::requests::CommandError> for BookingError {
    fn from(e: crate::requests::CommandError) -> Self {
        use crate::requests::CommandError as C;
        match e {
            C::Rejected(v) => BookingError::Request(v),
            C::NotFound => BookingError::NotFound,
            C::Invalid { code, message } => BookingError::Invalid { code, message },
            C::IdempotencyKeyReused => BookingError::IdempotencyKeyReused,
            C::Conflict => BookingError::Conflict,
            C::Store(s) => BookingError::Store(s),
            C::Attachment(a) => BookingError::Invalid {
                code: a.code(),
                message: a.to_string(),
            },
        }
    }
}
