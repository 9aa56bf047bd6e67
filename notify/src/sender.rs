//! The sender: claims due rows of the outbox, renders them, hands them to
//! a channel and marks the outcome. An e-mail is recorded `sent` while its
//! final `.` is held back, and completed only once that record is committed
//! (`smtp.rs`): a sender killed before the commit leaves the server an
//! unterminated message it discards, and its row is taken again after the
//! lease; killed after it, the message is complete. Once, across crashes,
//! but for the instant between the commit and the `.` (docs/notifications.md).

use crate::channels::{
    message_id, Commit, DeliveryError, EmailPort, OutgoingEmail, SendFailure, SmsPort,
};
use crate::metrics::NotifyMetrics;
use crate::outbox::{self, Claimed};
use crate::plan::Kind;
use crate::render::{self, DigestItem, Rendered};
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use store::clock::Clock;
use tokio::sync::watch;

/// Where users' addresses come from (the directory; api/src/directory.rs).
pub trait AddressBook: Send + Sync {
    fn email_of(&self, user_id: &str) -> Option<String>;
    /// The officers of a sede, who receive its digest.
    fn officers_of(&self, sede: &str) -> Vec<String>;
}

/// Timings and limits of the sender.
#[derive(Debug, Clone)]
pub struct SenderConfig {
    /// Rows claimed, and sent concurrently, at once.
    pub batch_size: i64,
    /// Tries before a notification is dead-lettered.
    pub max_attempts: i32,
    /// The first retry's wait; each next one doubles, up to `max_backoff`.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// How long a row may stay `sending` before another sender takes it.
    pub lease: Duration,
    /// Longest sleep when no `NOTIFY` comes.
    pub poll_interval: Duration,
    /// The web app's address, for links in the messages.
    pub public_url: Option<String>,
    /// The `From` address (also the domain of the `Message-ID`s).
    pub from: String,
}

impl Default for SenderConfig {
    fn default() -> Self {
        SenderConfig {
            batch_size: 16,
            max_attempts: 8,
            base_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(600),
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_millis(500),
            public_url: None,
            from: "noreply@combipat.local".into(),
        }
    }
}

impl SenderConfig {
    /// The wait after the `attempt`-th failure (1-based).
    pub fn backoff(&self, attempt: i32) -> Duration {
        let factor = 2u32.saturating_pow((attempt - 1).clamp(0, 20) as u32);
        self.base_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// Everything the sender needs.
#[derive(Clone)]
pub struct Sender {
    pub pool: PgPool,
    pub clock: Arc<dyn Clock>,
    pub email: Arc<dyn EmailPort>,
    pub sms: Arc<dyn SmsPort>,
    pub addresses: Arc<dyn AddressBook>,
    pub metrics: NotifyMetrics,
    pub config: SenderConfig,
}

/// What became of one claimed row.
enum Outcome {
    /// Delivered; `recorded` when the channel already committed `sent`.
    Sent {
        channel: &'static str,
        recorded: bool,
    },
    Skipped(&'static str),
    NotReady,
    /// `recorded`: `sent` had been committed, then the server refused.
    Failed {
        error: DeliveryError,
        recorded: bool,
    },
    /// The row was no longer this claim's when its record was due.
    Abandoned,
}

impl From<DeliveryError> for Outcome {
    fn from(error: DeliveryError) -> Outcome {
        Outcome::Failed {
            error,
            recorded: false,
        }
    }
}

/// A booking's read model has not caught up with the event for this long:
/// something is wrong, dead-letter it so an officer sees it.
const NOT_READY_LIMIT: chrono::Duration = chrono::Duration::minutes(10);
const NOT_READY_RETRY: Duration = Duration::from_millis(200);

impl Sender {
    /// Runs until `shutdown` turns true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut listener = match PgListener::connect_with(&self.pool).await {
            Ok(mut l) => match l.listen(crate::projection::OUTBOX_CHANNEL).await {
                Ok(()) => Some(l),
                Err(_) => None,
            },
            Err(_) => None,
        };
        let mut last_digest_look = None;
        while !*shutdown.borrow() {
            if let Err(e) = crate::digest::plan_if_due(
                &self.pool,
                self.clock.now(),
                &*self.addresses,
                &mut last_digest_look,
            )
            .await
            {
                tracing::warn!(error = %e, "notification digest not planned");
            }
            let busy = match self.run_once().await {
                Ok(n) => n as i64 >= self.config.batch_size,
                Err(e) => {
                    tracing::warn!(error = %e, "notification sender");
                    false
                }
            };
            if busy {
                continue;
            }
            let wait = self.config.poll_interval;
            tokio::select! {
                _ = shutdown.changed() => {}
                _ = tokio::time::sleep(wait) => {}
                _ = async {
                    match listener.as_mut() {
                        Some(l) => { let _ = l.recv().await; }
                        None => std::future::pending::<()>().await,
                    }
                } => {}
            }
        }
    }

    /// One claim and its deliveries; returns the rows claimed.
    pub async fn run_once(&self) -> sqlx::Result<usize> {
        outbox::release_stale(&self.pool, self.config.lease).await?;
        let now = self.clock.now();
        let rows = outbox::claim(&self.pool, now, self.config.batch_size).await?;
        let n = rows.len();
        // Concurrently: each delivery waits on its server.
        let deliveries = rows.into_iter().map(|row| self.deliver_and_mark(row));
        for result in futures::future::join_all(deliveries).await {
            result?;
        }
        self.metrics.refresh(&self.pool, self.clock.now()).await;
        Ok(n)
    }

    async fn deliver_and_mark(&self, row: Claimed) -> sqlx::Result<()> {
        let outcome = self.deliver(&row).await;
        match outcome {
            Outcome::Sent { channel, recorded } => {
                if !recorded {
                    outbox::mark_done(&self.pool, &row, "sent", channel, None, None).await?;
                }
                self.metrics.sent.with_label_values(&[channel]).inc();
                let lag = (self.clock.now() - row.due_at).num_milliseconds().max(0) as f64;
                self.metrics.delivery_lag.observe(lag / 1000.0);
            }
            Outcome::Skipped(why) => {
                outbox::mark_done(&self.pool, &row, "skipped", "none", None, Some(why)).await?;
            }
            Outcome::NotReady => {
                if chrono::Utc::now() - row.created_at > NOT_READY_LIMIT {
                    let e = "dati della prenotazione non disponibili";
                    outbox::mark_failed(&self.pool, &row, e, Duration::ZERO, true).await?;
                    self.metrics.dead.inc();
                } else {
                    outbox::defer(&self.pool, &row, NOT_READY_RETRY).await?;
                }
            }
            Outcome::Abandoned => {
                tracing::info!(notification = %row.id, "notification taken over by another sender");
            }
            Outcome::Failed { error: e, recorded } => {
                let attempt = row.attempts + 1;
                let dead =
                    matches!(e, DeliveryError::Permanent(_)) || attempt >= self.config.max_attempts;
                let message = e.to_string();
                let backoff = self.config.backoff(attempt);
                if recorded {
                    outbox::unmark_sent(&self.pool, &row.id, &message, backoff, dead).await?;
                } else {
                    outbox::mark_failed(&self.pool, &row, &message, backoff, dead).await?;
                }
                self.metrics.failed.inc();
                if dead {
                    self.metrics.dead.inc();
                }
                tracing::warn!(notification = %row.id, attempt, dead, error = %message, "notification not delivered");
            }
        }
        Ok(())
    }

    async fn deliver(&self, row: &Claimed) -> Outcome {
        let Some(kind) = Kind::parse(&row.kind) else {
            return Outcome::Skipped("tipo sconosciuto");
        };
        if row.recipient_kind == "citizen" {
            return self.deliver_to_citizen(kind, row).await;
        }
        let Some(user) = row.recipient_user.as_deref() else {
            return Outcome::Skipped("nessun destinatario");
        };
        match outbox::muted_kinds(&self.pool, user).await {
            Ok(muted) if muted.iter().any(|m| m == kind.as_str()) => {
                return Outcome::Skipped("disattivata nelle preferenze")
            }
            Ok(_) => {}
            Err(e) => return DeliveryError::Transient(e.to_string()).into(),
        }
        let Some(address) = self.addresses.email_of(user) else {
            return Outcome::Skipped("nessun indirizzo e-mail nell'anagrafica");
        };
        let rendered = match self.render_for_user(kind, row).await {
            Ok(Some(r)) => r,
            Ok(None) => return Outcome::NotReady,
            Err(e) => return e.into(),
        };
        self.email(address, row, rendered).await
    }

    async fn render_for_user(
        &self,
        kind: Kind,
        row: &Claimed,
    ) -> Result<Option<Rendered>, DeliveryError> {
        let protocol = row.details.get("protocol").and_then(|p| p.as_str());
        let link = match (&self.config.public_url, row.request_id) {
            (Some(base), Some(id)) => {
                Some(format!("{}/richieste/{id}", base.trim_end_matches('/')))
            }
            (Some(base), None) => Some(base.clone()),
            _ => None,
        };
        let result = if kind == Kind::AppointmentBooked {
            let Some(booking) = self.booking(row).await? else {
                return Ok(None);
            };
            render::booking(kind, &booking, None)
        } else {
            let items: Vec<DigestItem> = row
                .details
                .get("items")
                .and_then(|i| serde_json::from_value(i.clone()).ok())
                .unwrap_or_default();
            render::notice(kind, protocol, &row.details, &items, link.as_deref())
        };
        result
            .map(Some)
            .map_err(|e| DeliveryError::Permanent(format!("modello: {e}")))
    }

    async fn booking(
        &self,
        row: &Claimed,
    ) -> Result<Option<projections::bookings::BookingRow>, DeliveryError> {
        let Some(id) = row.booking_id else {
            return Ok(None);
        };
        projections::bookings::get_booking(&self.pool, id)
            .await
            .map_err(|e| DeliveryError::Transient(e.to_string()))
    }

    async fn deliver_to_citizen(&self, kind: Kind, row: &Claimed) -> Outcome {
        let booking = match self.booking(row).await {
            Ok(Some(b)) => b,
            Ok(None) => return Outcome::NotReady,
            Err(e) => return e.into(),
        };
        let cancelled = booking.status == "cancelled";
        match kind {
            Kind::BookingCancelled if !cancelled => return Outcome::NotReady,
            Kind::BookingConfirmed | Kind::BookingReminder if cancelled => {
                return Outcome::Skipped("prenotazione annullata")
            }
            _ => {}
        }
        if booking.booker_kind != "citizen" {
            return Outcome::Skipped("prenotazione di una richiesta");
        }
        let reason = row.details.get("reason").and_then(|r| r.as_str());
        let rendered = match render::booking(kind, &booking, reason) {
            Ok(r) => r,
            Err(e) => return DeliveryError::Permanent(format!("modello: {e}")).into(),
        };
        // Read now, from the booking's recapiti, and never stored here.
        if let Some(address) = booking.email.clone() {
            return self.email(address, row, rendered).await;
        }
        if let Some(mobile) = booking.mobile.as_deref() {
            let text = format!("INPS: {}. Codice {}", rendered.subject, booking.code);
            return match self.sms.send(mobile, &text, &row.id).await {
                Ok(()) => Outcome::Sent {
                    channel: "sms",
                    recorded: false,
                },
                Err(e) => e.into(),
            };
        }
        Outcome::Skipped("nessun recapito")
    }

    async fn email(&self, to: String, row: &Claimed, rendered: Rendered) -> Outcome {
        let email = OutgoingEmail {
            to,
            notification_id: row.id.clone(),
            rendered,
        };
        let mid = message_id(&row.id, &self.config.from);
        // Runs while the message's final `.` is held back.
        let (decide, decided) = tokio::sync::oneshot::channel();
        let done = Box::pin(async move {
            match outbox::mark_sent(&self.pool, row, &mid, decide).await {
                Ok(mine) => mine,
                Err(e) => {
                    tracing::warn!(notification = %row.id, error = %e, "notification not recorded sent");
                    false
                }
            }
        });
        let commit = Commit { done, decided };
        match self.email.send(&email, commit).await {
            Ok(()) => Outcome::Sent {
                channel: "email",
                recorded: true,
            },
            Err(SendFailure::Before(e)) => e.into(),
            Err(SendFailure::NotCommitted) => Outcome::Abandoned,
            Err(SendFailure::After(error)) => Outcome::Failed {
                error,
                recorded: true,
            },
        }
    }
}
