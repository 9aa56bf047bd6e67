//! # Layout
//! The write side: the command handlers. They load and append through the
//! event store (the `combipat-store` crate).
//!
//! - [`ports`]: traits for the outside registries the rules need, implemented
//!   on the reference tables by the `combipat-reference` crate.
//! - [`privacy`]: keys of personal fields, pseudonyms, retention.
//! - [`attachments`]: content-addressed file storage with type sniffing.
//! - [`convention`], [`error`]: what request and booking commands share —
//!   idempotency, replay, metadata, the scoped load, one error enum.
//! - [`requests`]: one handler per request command: load, decide, append.
//! - [`bookings`]: counter appointments and appointments on requests: hold,
//!   confirm, cancel (several streams in one transaction), closures, notices, queue.
//! - [`privacy`]: pseudonyms, sealed personal fields, erasure, the record of
//!   reads of personal data, retention.

pub mod attachments;
pub mod bookings;
pub mod convention;
pub mod error;
pub mod ports;
pub mod privacy;
pub mod requests;
