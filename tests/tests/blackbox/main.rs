//! The service's black-box tests: the real router over HTTP on a fresh database
//! per test. One binary, so the workspace is linked once for all of them.

mod appointment_grounds;
mod audit;
mod bad_input;
mod booking_bad_input;
mod bookings;
mod citizen_app;
mod codice_fiscale;
mod concurrency;
mod hostile_input;
mod idempotency;
mod lifecycle;
mod local_cluster;
mod notifications;
mod notifications_digest;
mod oidc;
mod overload;
mod privacy_analysts;
mod privacy_copy;
mod privacy_erasure;
mod privacy_keys;
mod privacy_pseudonyms;
mod privacy_reads;
mod privacy_retention;
mod rebuild;
mod request_check;
mod routing;
mod scope;
mod sede_screens;
mod statistics;
mod summary;
mod web;
mod web_signin_names;
