//! Counter appointments ("Sportelli di Sede", SPEC §4) and appointments on
//! requests (SPEC §2.4). Design and API guide: docs/appointments.md.
//!
//! - `calendar.rs`: counters of a sede, month view, free slots, closures (public).
//! - `citizen.rs`: hold, confirm, cancel, "le mie prenotazioni", iCalendar.
//! - `lookup.rs`: one booking by id and code, without a token.
//! - `request.rs`: appointments on requests.
//! - `sede.rs`: closures, notices, the sede's agenda.
//! - `queue.rs`: the queue of a counter today.
//! - `http.rs`: the optional caller, the command context, views (errors are
//!   `ApiError`s, mapped in `crate::error`).

pub mod anonymous;
mod calendar;
mod citizen;
mod http;
mod lookup;
mod queue;
mod request;
mod sede;

pub use calendar::*;
pub use citizen::*;
pub use lookup::*;
pub use queue::*;
pub use request::*;
pub use sede::*;

use crate::state::AppState;
use axum::routing::{delete, get, post};
use axum::Router;

pub fn router() -> Router<AppState> {
    let counter = "/api/v1/sedi/{sede}/counters/{counter}";
    Router::new()
        .route("/api/v1/sedi/{sede}/counters", get(list_counters))
        .route(&format!("{counter}/calendar"), get(get_counter_calendar))
        .route(&format!("{counter}/slots"), get(list_free_slots))
        .route(&format!("{counter}/holds"), post(hold_slot))
        .route(&format!("{counter}/queue"), get(get_queue_status))
        .route(&format!("{counter}/queue/tickets"), post(issue_ticket))
        .route(&format!("{counter}/queue/calls"), post(call_next_ticket))
        .route(
            &format!("{counter}/queue/tickets/{{number}}/served"),
            post(serve_ticket),
        )
        .route(
            &format!("{counter}/queue/tickets/{{number}}/skipped"),
            post(skip_ticket),
        )
        .route(
            "/api/v1/holds/{hold_id}/confirmation",
            post(confirm_booking),
        )
        .route(
            "/api/v1/bookings/{booking_id}/cancellation",
            post(cancel_booking),
        )
        .route("/api/v1/bookings/{booking_id}", get(get_booking_by_code))
        .route("/api/v1/bookings/{booking_id}/ics", get(get_booking_ics))
        .route("/api/v1/me/bookings", get(list_my_bookings))
        .route(
            "/api/v1/requests/{id}/appointment",
            post(book_request_appointment).delete(cancel_request_appointment),
        )
        .route(
            "/api/v1/sedi/{sede}/closures",
            get(get_sede_calendar).post(declare_closure),
        )
        .route(
            "/api/v1/sedi/{sede}/closures/{closure_id}",
            delete(withdraw_closure),
        )
        .route("/api/v1/sedi/{sede}/notices", post(publish_notice))
        .route(
            "/api/v1/sedi/{sede}/notices/{notice_id}",
            delete(withdraw_notice),
        )
        .route("/api/v1/sedi/{sede}/bookings", get(list_sede_bookings))
}
