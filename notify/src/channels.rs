//! The two ways out: e-mail over SMTP (`lettre`) and SMS behind a port with
//! a log-only implementation (no provider is reachable here). Neither ever
//! logs an address or a number in clear.

use crate::render::Rendered;
use async_trait::async_trait;
use futures::future::BoxFuture;
use sha2::{Digest, Sha256};
use std::time::Duration;

pub use crate::smtp::SmtpEmail;

/// Why a delivery failed, and whether trying again may help.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Refused for good (a 5xx answer, a malformed address): dead at once.
    #[error("rifiutato: {0}")]
    Permanent(String),
    /// Unreachable server, 4xx, timeout: tried again later.
    #[error("temporaneo: {0}")]
    Transient(String),
}

/// One e-mail to send.
#[derive(Debug, Clone)]
pub struct OutgoingEmail {
    pub to: String,
    /// The outbox id, also sent as the `X-Combipat-Notification` header.
    pub notification_id: String,
    pub rendered: Rendered,
}

/// Why an e-mail was not delivered, relative to the record of its sending.
#[derive(Debug)]
pub enum SendFailure {
    /// Before `commit` ran: nothing is recorded, the server has no message.
    Before(DeliveryError),
    /// `commit` answered `false` (the row is no longer this sender's, or the
    /// database failed): the message was broken off before its final `.`.
    NotCommitted,
    /// `commit` succeeded, then the server refused the message or did not
    /// answer after its final `.`: the record must be undone.
    After(DeliveryError),
}

/// The record of a sending, run when the whole message is at the server but
/// for its final `.` (docs/notifications.md).
pub struct Commit<'a> {
    /// The record: `true` once committed.
    pub done: BoxFuture<'a, bool>,
    /// Told as soon as the outcome is settled but for the database's reply:
    /// `true` when the `COMMIT` has been sent, `false` when the row is no
    /// longer this claim's. The final `.` follows at once, so a crash cannot
    /// fall between a commit's reply and the `.` however late that reply is.
    pub decided: tokio::sync::oneshot::Receiver<bool>,
}

#[async_trait]
pub trait EmailPort: Send + Sync {
    /// Sends `email`, completing it only once `commit` has decided.
    async fn send(&self, email: &OutgoingEmail, commit: Commit<'_>) -> Result<(), SendFailure>;
}

#[async_trait]
pub trait SmsPort: Send + Sync {
    async fn send(
        &self,
        mobile: &str,
        text: &str,
        notification_id: &str,
    ) -> Result<(), DeliveryError>;
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain text (a local catcher only).
    None,
    /// `STARTTLS` required.
    StartTls,
    /// TLS from the first byte (SMTPS, port 465).
    Tls,
}

impl TlsMode {
    pub fn parse(s: &str) -> Option<TlsMode> {
        match s {
            "none" => Some(TlsMode::None),
            "starttls" => Some(TlsMode::StartTls),
            "tls" => Some(TlsMode::Tls),
            _ => None,
        }
    }
}

/// `COMBIPAT_SMTP_*` (api/src/cli.rs).
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub username: Option<String>,
    pub password: Option<String>,
    pub from: String,
    pub reply_to: Option<String>,
    pub timeout: Duration,
}

/// The stable `Message-ID` of a notification: should a notification ever be
/// delivered twice (a server that did not answer after the final `.`,
/// docs/notifications.md), both copies carry the same id.
pub fn message_id(notification_id: &str, from: &str) -> String {
    let domain = from
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>'))
        .unwrap_or("combipat.local");
    let digest = hex::encode(Sha256::digest(notification_id.as_bytes()));
    format!("<{}@{domain}>", &digest[..32])
}

/// SMS that only writes a log line: the notification id, the length and the
/// number's last two digits.
#[derive(Debug, Default)]
pub struct LogSms;

/// `+39******12`: enough to tell two numbers apart in a log, not to call one.
pub fn masked_number(mobile: &str) -> String {
    let digits: Vec<char> = mobile.chars().filter(|c| c.is_ascii_digit()).collect();
    let tail: String = digits[digits.len().saturating_sub(2)..].iter().collect();
    format!("+39******{tail}")
}

#[async_trait]
impl SmsPort for LogSms {
    async fn send(
        &self,
        mobile: &str,
        text: &str,
        notification_id: &str,
    ) -> Result<(), DeliveryError> {
        tracing::info!(
            notification = notification_id,
            to = %masked_number(mobile),
            chars = text.chars().count(),
            "SMS (solo log: nessun fornitore configurato)"
        );
        Ok(())
    }
}
