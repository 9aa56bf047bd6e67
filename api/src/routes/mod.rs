//! HTTP routes, one module per resource; each exposes `router()`.

pub mod access_log;
pub mod admin;
pub mod audit;
pub mod bookings;
pub mod check;
pub mod clock;
pub mod codice_fiscale;
pub mod config;
pub mod health;
pub mod notifications;
pub mod places;
pub mod privacy;
pub mod queries;
pub mod read_your_writes;
pub mod reference;
pub mod request_detail;
pub mod requests;
pub mod sede_inbox;
pub mod session;
pub mod statistics;
pub mod subject_copy;
pub mod summary;
pub mod timeline_view;
pub mod uploads;
pub mod views;
