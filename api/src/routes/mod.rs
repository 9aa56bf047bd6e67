//! HTTP routes, one module per resource; each exposes `router()`.

pub mod admin;
pub mod audit;
pub mod bookings;
pub mod check;
pub mod codice_fiscale;
pub mod health;
pub mod places;
pub mod queries;
pub mod reference;
pub mod requests;
pub mod session;
pub mod statistics;
pub mod summary;
pub mod uploads;
pub mod views;
