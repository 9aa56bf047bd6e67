//! The one error type of the projections layer.

use store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    /// An event of a type the projection knows could not be projected (bad
    /// payload, missing first event, ...). The batch is rolled back and the
    /// checkpoint stays before it: the projection stops here until fixed.
    #[error("event at position {position} ({event_type}) cannot be projected: {reason}")]
    Poisoned {
        position: i64,
        event_type: String,
        reason: String,
    },
    #[error("no projection is named {0:?}")]
    UnknownProjection(String),
    /// A rebuild of the same projection is already running.
    #[error("a rebuild of projection {0:?} is already running")]
    RebuildRunning(String),
    /// The rebuild met a table it does not know how to copy.
    #[error("rebuild: {0}")]
    Rebuild(String),
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl ProjectionError {
    pub(crate) fn poisoned(event: &store::RecordedEvent, reason: impl std::fmt::Display) -> Self {
        ProjectionError::Poisoned {
            position: event.position,
            event_type: event.event_type.clone(),
            reason: reason.to_string(),
        }
    }
}
