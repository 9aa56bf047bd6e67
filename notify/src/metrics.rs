//! Prometheus: notifications queued, sent, failed, dead-lettered, the age of
//! the oldest unsent one and the delivery lag. Labels are kinds and
//! channels, never a recipient.

use chrono::{DateTime, Utc};
use prometheus::{
    Gauge, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
};
use sqlx::PgPool;

#[derive(Clone)]
pub struct NotifyMetrics {
    pub queued: IntGauge,
    pub sent: IntCounterVec,
    pub failed: IntCounter,
    pub dead: IntCounter,
    pub dead_now: IntGauge,
    pub oldest_unsent: Gauge,
    pub delivery_lag: Histogram,
}

impl NotifyMetrics {
    pub fn unregistered() -> Self {
        NotifyMetrics {
            queued: IntGauge::new(
                "combipat_notifications_queued",
                "Notifications due and not yet delivered",
            )
            .expect("metric"),
            sent: IntCounterVec::new(
                Opts::new(
                    "combipat_notifications_sent_total",
                    "Notifications delivered, by channel",
                ),
                &["channel"],
            )
            .expect("metric"),
            failed: IntCounter::new(
                "combipat_notifications_failed_total",
                "Delivery attempts that failed",
            )
            .expect("metric"),
            dead: IntCounter::new(
                "combipat_notifications_dead_lettered_total",
                "Notifications moved to the dead-letter list",
            )
            .expect("metric"),
            dead_now: IntGauge::new(
                "combipat_notifications_dead_letters",
                "Notifications in the dead-letter list now",
            )
            .expect("metric"),
            oldest_unsent: Gauge::new(
                "combipat_notifications_oldest_unsent_seconds",
                "Age of the oldest due notification not yet delivered",
            )
            .expect("metric"),
            delivery_lag: Histogram::with_opts(
                HistogramOpts::new(
                    "combipat_notification_delivery_lag_seconds",
                    "From the event (or a reminder's time) to the channel's acceptance",
                )
                .buckets(vec![
                    0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0,
                ]),
            )
            .expect("metric"),
        }
    }

    /// Registered in `registry`; unregistered (but working) if already there.
    pub fn register(registry: &Registry) -> Self {
        let m = Self::unregistered();
        let all: Vec<Box<dyn prometheus::core::Collector>> = vec![
            Box::new(m.queued.clone()),
            Box::new(m.sent.clone()),
            Box::new(m.failed.clone()),
            Box::new(m.dead.clone()),
            Box::new(m.dead_now.clone()),
            Box::new(m.oldest_unsent.clone()),
            Box::new(m.delivery_lag.clone()),
        ];
        for c in all {
            if let Err(e) = registry.register(c) {
                tracing::error!(error = %e, "notification metrics not registered");
            }
        }
        m
    }

    /// Queue gauges from the table (one indexed statement).
    pub async fn refresh(&self, pool: &PgPool, now: DateTime<Utc>) {
        let row: Result<(i64, i64, Option<f64>), _> = sqlx::query_as(
            "SELECT count(*) FILTER (WHERE status IN ('pending', 'sending') AND due_at <= $1), \
                    count(*) FILTER (WHERE status = 'dead'), \
                    EXTRACT(EPOCH FROM ($1 - min(due_at) FILTER (WHERE status IN ('pending', 'sending') AND due_at <= $1)))::float8 \
             FROM notification_outbox WHERE status IN ('pending', 'sending', 'dead')",
        )
        .bind(now)
        .fetch_one(pool)
        .await;
        if let Ok((queued, dead, oldest)) = row {
            self.queued.set(queued);
            self.dead_now.set(dead);
            self.oldest_unsent.set(oldest.unwrap_or(0.0).max(0.0));
        }
    }
}
