//! # Layout
//! The write side: the event store and the command handlers.
//!
//! - [`store`]: the only code that touches the `events` table — append with
//!   optimistic concurrency and hash chain, load, global log, idempotency,
//!   protocol counters.
//! - [`ports`]: traits for the outside registries the rules need.
//! - [`reference`]: PostgreSQL implementations of the ports and their loader.
//! - [`sessions`]: database sessions kept out of sqlx's pool for the
//!   statements of every command.
//! - [`attachments`]: content-addressed file storage with type sniffing.
//! - [`convention`], [`error`]: what request and booking commands share —
//!   idempotency, replay, metadata, the scoped load, one error enum.
//! - [`requests`]: one handler per request command: load, decide, append.
//! - [`bookings`]: counter appointments and appointments on requests: hold,
//!   confirm, cancel (several streams in one transaction), closures, notices, queue.

pub mod attachments;
pub mod bookings;
pub mod clock;
pub mod convention;
pub mod error;
pub mod ports;
pub mod privacy;
pub mod reference;
pub mod requests;
pub mod sessions;
pub mod store;
