//! E-mail over SMTP, with "sent" recorded before the message is complete at
//! the server (docs/notifications.md, decision N10).
//!
//! `lettre` speaks the protocol; its connection runs over [`Gated`], a stream
//! that, once the message's body has been written and flushed after `DATA`,
//! holds back the next write (the final `.`). The sender then commits `sent`;
//! only if that commit succeeds is the `.` let through. A process killed
//! before the commit leaves the server an unterminated `DATA`, which it
//! discards when the connection drops (RFC 5321 §4.1.1.4); killed after it,
//! the message is complete. The window left is the few microseconds between
//! the commit's reply and the write of those five bytes.

use crate::channels::{message_id, Commit, DeliveryError, EmailPort, OutgoingEmail, SendFailure};
use crate::channels::{SmtpConfig, TlsMode};
use crate::gate::{GateState, Gated};
use async_trait::async_trait;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::{Address, Message};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// A connection and the hold on its final `.`.
struct Conn {
    smtp: AsyncSmtpConnection,
    gate: Arc<Mutex<GateState>>,
    idle_since: Instant,
}

/// Connections idle longer than this are closed rather than reused (servers
/// drop idle clients after some minutes).
const MAX_IDLE: Duration = Duration::from_secs(30);
const MAX_POOLED: usize = 32;

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
    config: SmtpConfig,
    hello: ClientId,
    tls: Option<tokio_rustls::TlsConnector>,
    from: Mailbox,
    reply_to: Option<Mailbox>,
    idle: Mutex<Vec<Conn>>,
}

/// The same provider and roots lettre uses for `STARTTLS` (ring, whose
/// `default_provider` rustls now marks deprecated for lacking post-quantum
/// key exchange; lettre still selects it).
#[allow(deprecated)]
fn tls_connector() -> Result<tokio_rustls::TlsConnector, String> {
    use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

/// An SMTP error reduced to its code: the server's text may quote the
/// recipient's address.
fn reduce(e: &lettre::transport::smtp::Error) -> DeliveryError {
    let code = e.status().map(|c| format!("SMTP {c}"));
    if e.is_permanent() {
        DeliveryError::Permanent(code.unwrap_or_else(|| "SMTP 5xx".into()))
    } else if e.is_timeout() {
        DeliveryError::Transient("SMTP timeout".into())
    } else {
        DeliveryError::Transient(code.unwrap_or_else(|| "server SMTP non raggiungibile".into()))
    }
}

fn timeout_error() -> DeliveryError {
    DeliveryError::Transient("SMTP timeout".into())
}

/// Why a transaction on one connection failed, and whether a fresh
/// connection may be tried at once (a pooled one the server had closed).
struct TxFailure {
    failure: SendFailure,
    network: bool,
}

impl TxFailure {
    fn before(e: lettre::transport::smtp::Error) -> TxFailure {
        TxFailure {
            network: e.status().is_none() && !e.is_timeout(),
            failure: SendFailure::Before(reduce(&e)),
        }
    }
}

impl SmtpEmail {
    pub fn new(config: &SmtpConfig) -> Result<SmtpEmail, String> {
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
        let tls = match config.tls {
            TlsMode::Tls => Some(tls_connector()?),
            _ => None,
        };
        if config.tls == TlsMode::StartTls {
            TlsParameters::new(config.host.clone())
                .map_err(|e| format!("TLS per {}: {e}", config.host))?;
        }
        Ok(SmtpEmail {
            config: config.clone(),
            hello: ClientId::default(),
            tls,
            from,
            reply_to,
            idle: Mutex::new(vec![]),
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
            .message_id(Some(message_id(&email.notification_id, &self.config.from)))
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

    async fn connect(&self) -> Result<Conn, TxFailure> {
        let unreachable = || TxFailure {
            failure: SendFailure::Before(DeliveryError::Transient(
                "server SMTP non raggiungibile".into(),
            )),
            network: false,
        };
        let tcp = tokio::net::TcpStream::connect((self.config.host.as_str(), self.config.port))
            .await
            .map_err(|_| unreachable())?;
        let _ = tcp.set_nodelay(true);
        let gate = Arc::new(Mutex::new(GateState::default()));
        let stream: Box<dyn AsyncTokioStream> = match &self.tls {
            Some(connector) => {
                let name =
                    tokio_rustls::rustls::pki_types::ServerName::try_from(self.config.host.clone())
                        .map_err(|_| unreachable())?;
                let tls = connector.connect(name, tcp).await.map_err(|_| TxFailure {
                    failure: SendFailure::Before(DeliveryError::Transient("SMTP TLS".into())),
                    network: false,
                })?;
                Box::new(Gated {
                    inner: tls,
                    gate: gate.clone(),
                })
            }
            None => Box::new(Gated {
                inner: tcp,
                gate: gate.clone(),
            }),
        };
        let mut smtp = AsyncSmtpConnection::connect_with_transport(stream, &self.hello)
            .await
            .map_err(TxFailure::before)?;
        if self.config.tls == TlsMode::StartTls {
            let params = TlsParameters::new(self.config.host.clone()).map_err(TxFailure::before)?;
            smtp.starttls(params, &self.hello)
                .await
                .map_err(TxFailure::before)?;
        }
        if let (Some(user), Some(password)) = (&self.config.username, &self.config.password) {
            let credentials = Credentials::new(user.clone(), password.clone());
            smtp.auth(&[Mechanism::Plain, Mechanism::Login], &credentials)
                .await
                .map_err(TxFailure::before)?;
        }
        Ok(Conn {
            smtp,
            gate,
            idle_since: Instant::now(),
        })
    }

    fn take_idle(&self) -> Option<Conn> {
        let mut idle = self.idle.lock().expect("pool lock");
        while let Some(conn) = idle.pop() {
            if conn.idle_since.elapsed() < MAX_IDLE && !conn.smtp.has_broken() {
                return Some(conn);
            }
        }
        None
    }

    fn put_back(&self, mut conn: Conn) {
        conn.idle_since = Instant::now();
        let mut idle = self.idle.lock().expect("pool lock");
        if idle.len() < MAX_POOLED {
            idle.push(conn);
        }
    }

    /// One mail transaction: envelope, body, the commit, then the final `.`.
    async fn transact(
        &self,
        conn: &mut Conn,
        from: Option<&Address>,
        to: &[Address],
        bytes: &[u8],
        commit: &mut Option<Commit<'_>>,
    ) -> Result<(), TxFailure> {
        let t = self.config.timeout;
        let timed_out = || TxFailure {
            failure: SendFailure::Before(timeout_error()),
            network: false,
        };
        let mut options = vec![];
        if to
            .iter()
            .chain(from)
            .any(|a| !AsRef::<str>::as_ref(a).is_ascii())
        {
            options.push(MailParameter::SmtpUtfEight);
        }
        if !bytes.is_ascii() {
            if !conn
                .smtp
                .server_info()
                .supports_feature(Extension::EightBitMime)
            {
                return Err(TxFailure {
                    failure: SendFailure::Before(DeliveryError::Permanent(
                        "il server non accetta 8BITMIME".into(),
                    )),
                    network: false,
                });
            }
            options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let smtp = &mut conn.smtp;
        let envelope = async {
            smtp.command(Mail::new(from.cloned(), options)).await?;
            for rcpt in to {
                smtp.command(Rcpt::new(rcpt.clone(), vec![])).await?;
            }
            smtp.command(Data).await
        };
        tokio::time::timeout(t, envelope)
            .await
            .map_err(|_| timed_out())?
            .map_err(TxFailure::before)?;

        let (tx, at_gate) = oneshot::channel();
        {
            let mut g = conn.gate.lock().expect("gate lock");
            *g = GateState {
                armed: true,
                at_gate: Some(tx),
                ..GateState::default()
            };
        }
        let gate = conn.gate.clone();
        let sending = conn.smtp.message(bytes);
        tokio::pin!(sending);
        // The body, up to the held `.`.
        let body = async {
            tokio::select! {
                result = &mut sending => Err(result),
                reached = at_gate => Ok(reached.is_ok()),
            }
        };
        match tokio::time::timeout(t, body).await {
            Err(_) => return Err(timed_out()),
            Ok(Err(Err(e))) => return Err(TxFailure::before(e)),
            Ok(Err(Ok(_))) | Ok(Ok(false)) => {
                return Err(TxFailure {
                    failure: SendFailure::Before(DeliveryError::Transient(
                        "SMTP: messaggio concluso senza il punto trattenuto".into(),
                    )),
                    network: false,
                })
            }
            Ok(Ok(true)) => {}
        }
        // The whole body is at the server: record it sent, then complete it.
        let Some(Commit { mut done, decided }) = commit.take() else {
            return Err(TxFailure {
                failure: SendFailure::NotCommitted,
                network: false,
            });
        };
        let mut recorded = None;
        // `done` first: one poll sends the COMMIT and tells `decided`.
        let go = tokio::select! {
            biased;
            r = &mut done => {
                recorded = Some(r);
                r
            }
            d = decided => d.unwrap_or(false),
        };
        {
            let mut g = gate.lock().expect("gate lock");
            g.verdict = Some(go);
            if let Some(w) = g.waker.take() {
                w.wake();
            }
        }
        if !go {
            return Err(TxFailure {
                failure: SendFailure::NotCommitted,
                network: false,
            });
        }
        // The `.` now (`sending` first), the COMMIT's reply meanwhile.
        let record = async {
            match recorded {
                Some(r) => r,
                None => done.await,
            }
        };
        let (reply, recorded) = tokio::join!(tokio::time::timeout(t, sending), record);
        if !recorded {
            // Complete at the server, not recorded (the database failed at
            // the COMMIT): the row, still `sending`, goes again after the
            // lease, a second copy with the same Message-ID.
            tracing::warn!("an e-mail was completed but its record failed");
            return Err(TxFailure {
                failure: SendFailure::NotCommitted,
                network: false,
            });
        }
        match reply {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(TxFailure {
                failure: SendFailure::After(reduce(&e)),
                network: false,
            }),
            Err(_) => Err(TxFailure {
                failure: SendFailure::After(timeout_error()),
                network: false,
            }),
        }
    }
}

#[async_trait]
impl EmailPort for SmtpEmail {
    async fn send(&self, email: &OutgoingEmail, commit: Commit<'_>) -> Result<(), SendFailure> {
        let message = self.message(email).map_err(SendFailure::Before)?;
        let envelope = message.envelope().clone();
        let bytes = message.formatted();
        let mut commit = Some(commit);
        let mut pooled = self.take_idle();
        loop {
            let reused = pooled.is_some();
            let mut conn = match pooled.take() {
                Some(c) => c,
                None => match tokio::time::timeout(self.config.timeout, self.connect()).await {
                    Ok(Ok(c)) => c,
                    Ok(Err(f)) => return Err(f.failure),
                    Err(_) => return Err(SendFailure::Before(timeout_error())),
                },
            };
            match self
                .transact(
                    &mut conn,
                    envelope.from(),
                    envelope.to(),
                    &bytes,
                    &mut commit,
                )
                .await
            {
                Ok(()) => {
                    self.put_back(conn);
                    return Ok(());
                }
                // A pooled connection the server had closed: once more on a
                // fresh one (nothing was committed).
                Err(f) if reused && f.network && commit.is_some() => continue,
                // The connection is dropped: an unterminated DATA is discarded.
                Err(f) => return Err(f.failure),
            }
        }
    }
}
