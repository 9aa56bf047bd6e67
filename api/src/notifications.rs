//! Starting the notifications (crate `notify`) with `serve`: the notifier
//! (a projection worker writing the outbox) and the sender (SMTP, log-only
//! SMS), configured by `COMBIPAT_SMTP_*` and `COMBIPAT_NOTIFY_*`.

use crate::state::AppState;
use clap::Args;
use notify::channels::{LogSms, SmtpEmail};
use notify::metrics::NotifyMetrics;
use notify::{NotifierProjection, Sender, SenderConfig, SmtpConfig, TlsMode};
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

#[derive(Args, Debug, Clone)]
pub struct NotifyArgs {
    /// SMTP server of the notifications; none: they are planned and kept
    /// in the outbox, not sent.
    #[arg(long, env = "COMBIPAT_SMTP_HOST")]
    pub smtp_host: Option<String>,
    #[arg(long, env = "COMBIPAT_SMTP_PORT", default_value_t = 25)]
    pub smtp_port: u16,
    /// `none` (a local catcher), `starttls` or `tls` (SMTPS).
    #[arg(long, env = "COMBIPAT_SMTP_TLS", default_value = "starttls")]
    pub smtp_tls: String,
    #[arg(long, env = "COMBIPAT_SMTP_USERNAME")]
    pub smtp_username: Option<String>,
    #[arg(long, env = "COMBIPAT_SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<String>,
    #[arg(
        long,
        env = "COMBIPAT_SMTP_FROM",
        default_value = "INPS Sportelli di Sede <noreply@combipat.local>"
    )]
    pub smtp_from: String,
    #[arg(long, env = "COMBIPAT_SMTP_REPLY_TO")]
    pub smtp_reply_to: Option<String>,
    /// Seconds an SMTP exchange may take.
    #[arg(long, env = "COMBIPAT_SMTP_TIMEOUT_SECS", default_value_t = 10)]
    pub smtp_timeout_secs: u64,
    /// Tries before a notification lands in the dead-letter list.
    #[arg(long, env = "COMBIPAT_NOTIFY_MAX_ATTEMPTS", default_value_t = 8)]
    pub notify_max_attempts: i32,
    /// The first retry's wait in milliseconds (doubling, at most 10 minutes).
    #[arg(long, env = "COMBIPAT_NOTIFY_RETRY_BASE_MS", default_value_t = 2000)]
    pub notify_retry_base_ms: u64,
    /// Seconds a notification may stay `sending` before another sender takes
    /// it again (a sender killed mid-send; docs/notifications.md).
    #[arg(long, env = "COMBIPAT_NOTIFY_LEASE_SECS", default_value_t = 60)]
    pub notify_lease_secs: u64,
    /// The web app's public address, for links in the e-mails.
    #[arg(long, env = "COMBIPAT_PUBLIC_URL")]
    pub public_url: Option<String>,
}

impl NotifyArgs {
    /// The SMTP settings, if a host is configured.
    pub fn smtp(&self) -> Result<Option<SmtpConfig>, String> {
        let Some(host) = self.smtp_host.clone().filter(|h| !h.is_empty()) else {
            return Ok(None);
        };
        let tls = TlsMode::parse(&self.smtp_tls).ok_or_else(|| {
            format!(
                "COMBIPAT_SMTP_TLS deve essere none, starttls o tls (non {:?})",
                self.smtp_tls
            )
        })?;
        Ok(Some(SmtpConfig {
            host,
            port: self.smtp_port,
            tls,
            username: self.smtp_username.clone().filter(|u| !u.is_empty()),
            password: self.smtp_password.clone().filter(|p| !p.is_empty()),
            from: self.smtp_from.clone(),
            reply_to: self.smtp_reply_to.clone().filter(|r| !r.is_empty()),
            timeout: Duration::from_secs(self.smtp_timeout_secs.max(1)),
        }))
    }

    pub fn sender_config(&self) -> SenderConfig {
        SenderConfig {
            max_attempts: self.notify_max_attempts.max(1),
            base_backoff: Duration::from_millis(self.notify_retry_base_ms.max(10)),
            lease: Duration::from_secs(self.notify_lease_secs.max(1)),
            public_url: self.public_url.clone().filter(|u| !u.is_empty()),
            from: self.smtp_from.clone(),
            ..SenderConfig::default()
        }
    }
}

/// Starts the notifier and, with `smtp`, the sender; the tasks end when
/// `shutdown` turns true. The notifier's lag goes to `projection_metrics`,
/// beside the projections' (`combipat_projection_lag_*{projection="notifier"}`).
pub fn spawn(
    pool: PgPool,
    state: &AppState,
    projection_metrics: projections::Metrics,
    smtp: Option<SmtpConfig>,
    config: SenderConfig,
    shutdown: watch::Receiver<bool>,
) -> Result<Vec<JoinHandle<()>>, String> {
    let connect = (*pool.connect_options()).clone();
    let notifier = projections::Worker::new(
        connect,
        Arc::new(NotifierProjection),
        projection_metrics,
        projections::WorkerConfig::default(),
    );
    let mut tasks = vec![tokio::spawn(notifier.run(shutdown.clone()))];
    let Some(smtp) = smtp else {
        tracing::warn!(
            "COMBIPAT_SMTP_HOST not set: notifications are kept in the outbox, not sent"
        );
        return Ok(tasks);
    };
    tracing::info!(host = %smtp.host, port = smtp.port, tls = ?smtp.tls, "notifications sent over SMTP");
    if config.lease <= smtp.timeout {
        // Not a duplicate (a row taken over is abandoned by its first sender
        // before its final `.`), but wasted work on a slow server.
        tracing::warn!("COMBIPAT_NOTIFY_LEASE_SECS should exceed COMBIPAT_SMTP_TIMEOUT_SECS: slow sends are taken over and abandoned");
    }
    let sender = Sender {
        pool,
        clock: state.clock.clone(),
        email: Arc::new(SmtpEmail::new(&smtp)?),
        sms: Arc::new(LogSms),
        addresses: state.directory.clone(),
        metrics: NotifyMetrics::register(&state.metrics.registry),
        config,
    };
    tasks.push(tokio::spawn(sender.run(shutdown)));
    Ok(tasks)
}
