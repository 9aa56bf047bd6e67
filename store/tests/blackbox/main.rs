//! The event store's tests on real PostgreSQL: append and load, group
//! commit, tamper evidence, kept sessions. One binary, so the crate is
//! linked once.

mod common;
mod event_store;
mod group_commit;
mod new_keys;
mod sessions;
mod tamper;
