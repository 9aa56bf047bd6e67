//! The API crate's tests against its router and its real binary. One binary, so
//! the crate is linked once.

mod notifications_crash;
mod openapi;
mod seed_demo;
mod upload_memory;
