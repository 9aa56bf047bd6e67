use crate::attachments::AttachmentError;
use domain::request::RuleViolation;
use store::StoreError;

/// Why a command was not carried out. Nothing was appended in every case.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// A business rule refused it.
    #[error(transparent)]
    Rejected(#[from] RuleViolation),
    /// The request does not exist, or the caller may not see it.
    #[error("La richiesta non esiste")]
    NotFound,
    /// Input the rules cannot even consider (unknown citizen, missing field, ...).
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    #[error(transparent)]
    Attachment(#[from] AttachmentError),
    /// The same idempotency key was used before for a different command.
    #[error("La chiave di idempotenza è già stata usata per un'altra operazione")]
    IdempotencyKeyReused,
    /// Concurrent writers kept winning; the client may retry.
    #[error(
        "La richiesta è stata modificata contemporaneamente da un'altra operazione: riprovare"
    )]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl CommandError {
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        CommandError::Invalid {
            code,
            message: message.into(),
        }
    }
}

impl From<sqlx::Error> for CommandError {
    fn from(e: sqlx::Error) -> Self {
        CommandError::Store(StoreError::Database(e))
    }
}
