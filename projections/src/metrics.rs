//! Prometheus metrics of the projection workers. Registered once in the
//! registry the caller passes (the API serves it on `/metrics`); every worker
//! of the process shares them, labelled by projection name.

use prometheus::{GaugeVec, IntCounterVec, IntGaugeVec, Opts, Registry};

#[derive(Clone, Debug)]
pub struct Metrics {
    /// `combipat_projection_lag_events{projection}`: events in the log after the checkpoint.
    pub lag_events: IntGaugeVec,
    /// `combipat_projection_lag_seconds{projection}`: now − recorded time of the oldest
    /// unprocessed event; 0 when caught up.
    pub lag_seconds: GaugeVec,
    /// `combipat_projection_events_applied_total{projection}`.
    pub applied: IntCounterVec,
    /// `combipat_projection_leader{projection}`: 1 while this process runs the
    /// active worker of the projection, 0 while it stands by.
    pub leader: IntGaugeVec,
    /// `combipat_projection_log_events_read_total{source}`: events the workers
    /// of this process took from the log, `database` when read there,
    /// `shared` when another worker's read of them was still in memory.
    pub log_events_read: IntCounterVec,
}

impl Metrics {
    /// Creates the metrics and registers them in `registry`.
    pub fn register(registry: &Registry) -> Result<Metrics, prometheus::Error> {
        let metrics = Metrics::unregistered();
        registry.register(Box::new(metrics.lag_events.clone()))?;
        registry.register(Box::new(metrics.lag_seconds.clone()))?;
        registry.register(Box::new(metrics.applied.clone()))?;
        registry.register(Box::new(metrics.leader.clone()))?;
        registry.register(Box::new(metrics.log_events_read.clone()))?;
        Ok(metrics)
    }

    /// The metrics, in no registry.
    pub fn unregistered() -> Metrics {
        let labels = &["projection"];
        Metrics {
            lag_events: IntGaugeVec::new(
                Opts::new(
                    "combipat_projection_lag_events",
                    "Events in the global log after the projection's checkpoint.",
                ),
                labels,
            )
            .expect("valid metric"),
            lag_seconds: GaugeVec::new(
                Opts::new(
                    "combipat_projection_lag_seconds",
                    "Age of the oldest event the projection has not applied (0 when caught up).",
                ),
                labels,
            )
            .expect("valid metric"),
            applied: IntCounterVec::new(
                Opts::new(
                    "combipat_projection_events_applied_total",
                    "Events applied by the projection's worker in this process.",
                ),
                labels,
            )
            .expect("valid metric"),
            leader: IntGaugeVec::new(
                Opts::new(
                    "combipat_projection_leader",
                    "1 while this process runs the projection's active worker.",
                ),
                labels,
            )
            .expect("valid metric"),
            log_events_read: IntCounterVec::new(
                Opts::new(
                    "combipat_projection_log_events_read_total",
                    "Events the workers of this process took from the log, by source \
                     (database, or shared: another worker's recent read).",
                ),
                &["source"],
            )
            .expect("valid metric"),
        }
    }
}
