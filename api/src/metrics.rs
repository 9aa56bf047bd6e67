//! Prometheus metrics: HTTP requests by matched route, commands by type and
//! outcome; projection lag is registered by the projection workers.

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};
use std::time::Instant;

#[derive(Clone)]
pub struct Metrics {
    pub registry: Registry,
    http_requests: IntCounterVec,
    http_latency: HistogramVec,
    commands: IntCounterVec,
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let http_requests = IntCounterVec::new(
            Opts::new(
                "combipat_http_requests_total",
                "HTTP requests by route and status",
            ),
            &["method", "route", "status"],
        )
        .expect("metric");
        let http_latency = HistogramVec::new(
            HistogramOpts::new(
                "combipat_http_request_duration_seconds",
                "HTTP request latency by route",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["method", "route"],
        )
        .expect("metric");
        let commands = IntCounterVec::new(
            Opts::new("combipat_commands_total", "Commands by type and outcome"),
            &["command", "outcome"],
        )
        .expect("metric");
        registry
            .register(Box::new(http_requests.clone()))
            .expect("register");
        registry
            .register(Box::new(http_latency.clone()))
            .expect("register");
        registry
            .register(Box::new(commands.clone()))
            .expect("register");
        Self {
            registry,
            http_requests,
            http_latency,
            commands,
        }
    }

    /// Counts a command: `outcome` is `ok` or the refusal's code.
    pub fn command(&self, command: &str, outcome: &str) {
        self.commands.with_label_values(&[command, outcome]).inc();
    }

    /// Counts a command's outcome: `ok`, or the problem code its error answers with.
    pub fn counted<T>(
        &self,
        command: &str,
        result: Result<T, crate::error::ApiError>,
    ) -> Result<T, crate::error::ApiError> {
        match &result {
            Ok(_) => self.command(command, "ok"),
            Err(e) => self.command(command, e.code()),
        }
        result
    }

    pub fn render(&self) -> String {
        use prometheus::Encoder;
        let mut buf = Vec::new();
        prometheus::TextEncoder::new()
            .encode(&self.registry.gather(), &mut buf)
            .expect("text encoding");
        String::from_utf8(buf).expect("utf-8 metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Middleware: latency and count by matched route (never the raw path).
pub async fn track(State(metrics): State<Metrics>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = req.method().to_string();
    let started = Instant::now();
    let res = next.run(req).await;
    metrics
        .http_latency
        .with_label_values(&[&method, &route])
        .observe(started.elapsed().as_secs_f64());
    metrics
        .http_requests
        .with_label_values(&[&method, &route, res.status().as_str()])
        .inc();
    res
}

/// Middleware: load shedding. A request that finds every slot taken is
/// answered 503 `overloaded` at once, so memory and latency stay bounded.
pub async fn shed(
    State(slots): State<std::sync::Arc<tokio::sync::Semaphore>>,
    req: Request,
    next: Next,
) -> Response {
    use axum::response::IntoResponse;
    match slots.try_acquire() {
        Ok(_permit) => next.run(req).await,
        Err(_) => crate::error::ApiError::Overloaded.into_response(),
    }
}
