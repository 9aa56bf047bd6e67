//! The command side's tests on real PostgreSQL: the store, group commit, the
//! reference data, sessions. One binary, so the crate is linked once.

mod bookings;
mod common;
mod group_commit;
mod reference;
mod reference_cache;
mod sessions;
mod store;
mod tamper;
