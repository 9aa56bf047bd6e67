//! # Notifications (issue 27, docs/notifications.md)
//!
//! Reactions to events, through an outbox:
//! - [`plan`]: what each event means (pure): kinds, recipients, the id
//!   derived from the cause, the reminder's time;
//! - [`projection`]: the notifier, a projection of the log into
//!   `notification_outbox` (run by the projection framework's worker, never
//!   rebuilt);
//! - [`digest`]: the daily overdue digest, time-driven;
//! - [`sender`]: claims due rows (`FOR UPDATE SKIP LOCKED`), renders
//!   ([`render`], templates in `templates/`), delivers ([`channels`]: SMTP,
//!   log-only SMS; [`smtp`] records `sent` before the final `.`), retries
//!   with backoff, dead-letters;
//! - [`outbox`]: the table's SQL for the sender and the API;
//! - [`metrics`]: Prometheus gauges and counters.

pub mod channels;
pub mod digest;
mod gate;
pub mod metrics;
pub mod outbox;
pub mod plan;
pub mod projection;
pub mod render;
pub mod sender;
pub mod smtp;

pub use channels::{SmtpConfig, TlsMode};
pub use plan::Kind;
pub use projection::NotifierProjection;
pub use sender::{AddressBook, Sender, SenderConfig};
