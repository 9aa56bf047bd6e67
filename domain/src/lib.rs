//! # Layout
//! The pure core of combipat: value types, the request aggregate and its rules.
//!
//! Contract: no I/O, no database, no async runtime. "Now" and every fact that
//! comes from outside (registry look-ups, routing, protocol numbers) arrive as
//! arguments, so every rule is a plain function that a unit test can call.
//!
//! - [`codice_fiscale`]: the citizen's tax code, parsed once at the edge.
//! - [`ids`]: identifiers and small value types (sede code, CAP, protocol number, ...).
//! - [`actor`]: who is acting, with role and scope, as built from a token.
//! - [`personal`]: a personal value or the mark that it was erased.
//! - [`access`]: who sees what on the read side (history, statistics,
//!   bookings) and which sede an officer acts for.
//! - [`time`]: calendar helpers for Europe/Rome and the 15-day standard.
//! - [`topic`]: the topic catalogue types (the catalogue itself is reference data).
//! - [`request`]: the request ("richiesta") aggregate: commands, events, rules.
//! - [`booking`]: counter appointments: calendar, slots, holds and bookings,
//!   limits per codice fiscale, closures and notices, the queue.
//! - [`streams`]: the names of the event log's stream types.

pub mod access;
pub mod actor;
pub mod booking;
pub mod codice_fiscale;
pub mod ids;
pub mod personal;
pub mod request;
pub mod streams;
pub mod time;
pub mod topic;
