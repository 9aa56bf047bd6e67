//! The two ways out: e-mail over SMTP (`lettre`) and SMS behind a port with
//! a log-only implementation (no provider is reachable here). Neither ever
//! logs an address or a number in clear.

use crate::render::Rendered;
use async_trait::async_trait;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sha2::{Digest, Sha256};
use std::time::Duration;

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

#[async_trait]
pub trait EmailPort: Send + Sync {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), DeliveryError>;
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

/// The stable `Message-ID` of a notification: a second delivery of the same
/// notification (the at-least-once window, docs/notifications.md) carries the
/// same id, so a duplicate is recognisable.
pub fn message_id(notification_id: &str, from: &str) -> String {
    let domain = from
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>'))
        .unwrap_or("combipat.local");
    let digest = hex::encode(Sha256::digest(notification_id.as_bytes()));
    format!("<{}@{domain}>", &digest[..32])
}

#[derive(Clone)]
struct NotificationHeader(String);

impl Header for NotificationHeader {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Combipat-Notification")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_string()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// E-mail through an SMTP server, with a pool of connections.
pub struct SmtpEmail {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    reply_to: Option<Mailbox>,
    from_raw: String,
}

impl SmtpEmail {
    pub fn new(config: &SmtpConfig) -> Result<SmtpEmail, String> {
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host.clone())
                .port(config.port)
                .timeout(Some(config.timeout));
        let tls = |host: &str| {
            TlsParameters::new(host.to_string()).map_err(|e| format!("TLS per {host}: {e}"))
        };
        builder = match config.tls {
            TlsMode::None => builder.tls(Tls::None),
            TlsMode::StartTls => builder.tls(Tls::Required(tls(&config.host)?)),
            TlsMode::Tls => builder.tls(Tls::Wrapper(tls(&config.host)?)),
        };
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| format!("COMBIPAT_SMTP_FROM non valido: {e}"))?;
        let reply_to = match &config.reply_to {
            Some(r) => Some(
                r.parse()
                    .map_err(|e| format!("COMBIPAT_SMTP_REPLY_TO non valido: {e}"))?,
            ),
            None => None,
        };
        Ok(SmtpEmail {
            transport: builder.build(),
            from,
            reply_to,
            from_raw: config.from.clone(),
        })
    }

    fn message(&self, email: &OutgoingEmail) -> Result<Message, DeliveryError> {
        let to: Mailbox = email.to.parse().map_err(|_| {
            DeliveryError::Permanent("indirizzo del destinatario non valido".into())
        })?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.rendered.subject.clone())
            .message_id(Some(message_id(&email.notification_id, &self.from_raw)))
            .header(NotificationHeader(email.notification_id.clone()));
        if let Some(r) = &self.reply_to {
            builder = builder.reply_to(r.clone());
        }
        let body = MultiPart::alternative_plain_html(
            email.rendered.text.clone(),
            email.rendered.html.clone(),
        );
        let result = match &email.rendered.calendar {
            None => builder.multipart(body),
            Some((name, ics)) => {
                let calendar = ContentType::parse("text/calendar; charset=utf-8; method=PUBLISH")
                    .expect("valid content type");
                builder.multipart(
                    MultiPart::mixed()
                        .multipart(body)
                        .singlepart(Attachment::new(name.clone()).body(ics.clone(), calendar)),
                )
            }
        };
        result.map_err(|e| DeliveryError::Permanent(format!("messaggio non valido: {e}")))
    }
}

#[async_trait]
impl EmailPort for SmtpEmail {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), DeliveryError> {
        let message = self.message(email)?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            // The error's text may quote the server's answer, which can name
            // the recipient: keep only its code.
            Err(e) if e.is_permanent() => Err(DeliveryError::Permanent(format!(
                "SMTP {}",
                e.status().map(|c| c.to_string()).unwrap_or_default()
            ))),
            Err(e) => Err(DeliveryError::Transient(if e.is_timeout() {
                "SMTP timeout".into()
            } else if let Some(code) = e.status() {
                format!("SMTP {code}")
            } else {
                "server SMTP non raggiungibile".into()
            })),
        }
    }
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
