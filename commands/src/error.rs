//! Why a command was not carried out — one enum for requests and bookings,
//! so `api/src/error.rs` maps every command refusal to HTTP once.

use crate::attachments::AttachmentError;
use domain::booking::BookingViolation;
use domain::request::RuleViolation;
use store::StoreError;

/// Why a command was not carried out. Nothing was appended in every case.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// A rule of the request refused it (sollecito too early, appointment not yet allowed, …).
    #[error(transparent)]
    Rejected(#[from] RuleViolation),
    /// A booking rule refused it (slot taken, hold expired, limits, …).
    #[error(transparent)]
    BookingRejected(#[from] BookingViolation),
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
    #[error("{0} è stata modificata contemporaneamente da un'altra operazione: riprovare")]
    Conflict(Contended),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What concurrent writers kept changing, for the message of a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contended {
    Request,
    Booking,
}

impl std::fmt::Display for Contended {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Contended::Request => "La richiesta",
            Contended::Booking => "La prenotazione",
        })
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_conflict_names_what_was_contended() {
        assert_eq!(
            CommandError::Conflict(Contended::Request).to_string(),
            "La richiesta è stata modificata contemporaneamente da un'altra operazione: riprovare"
        );
        assert_eq!(
            CommandError::Conflict(Contended::Booking).to_string(),
            "La prenotazione è stata modificata contemporaneamente da un'altra operazione: riprovare"
        );
    }
}
