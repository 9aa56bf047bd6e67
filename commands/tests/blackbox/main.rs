//! The command side's tests on real PostgreSQL: bookings. One binary, so the
//! crate is linked once.

mod bookings;
