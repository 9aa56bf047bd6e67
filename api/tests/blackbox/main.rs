//! The API crate's tests against its router and its real binary. One binary, so
//! the crate is linked once.

mod openapi;
mod upload_memory;
mod notifications_crash;
