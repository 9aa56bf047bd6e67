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
//! - [`requests`]: one handler per request command: load, decide, append.
//! - [`bookings`]: counter appointments and appointments on requests: hold,
//!   confirm, cancel (several streams in one transaction), closures, notices, queue.

pub mod attachments;
pub mod bookings;
pub mod clock;
pub mod ports;
pub mod privacy;
pub mod reference;
pub mod requests;
pub use ::store;
pub use store::sessions;
