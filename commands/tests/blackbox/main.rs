//! The command side's tests on real PostgreSQL: bookings and the reference
//! data. One binary, so the crate is linked once.

mod bookings;
mod reference;
mod reference_cache;
