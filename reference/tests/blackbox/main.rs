//! The reference data's tests on real PostgreSQL: the files, their loader,
//! the ports' implementations, routing, the look-ups' cache. One binary, so
//! the crate is linked once.

mod cache;
mod data;
