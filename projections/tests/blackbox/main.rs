//! The read side's tests on real PostgreSQL. One binary, so the crate is linked
//! once; `rebuild_vacuum` has a binary of its own (decision A48).

#[path = "../common/mod.rs"]
mod common;
mod framework;
mod global_log;
mod read_models;
mod rebuild;
mod search_keys;
mod shared_log;
mod statistics_batches;
