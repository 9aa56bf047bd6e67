//! The request ("richiesta") aggregate.
//!
//! - `events.rs`: what happened (the stored facts).
//! - `status.rs`: the status machine, the one place events move the status
//!   (the `requests` read model folds it too).
//! - `state.rs`: the state folded from the events; `apply` never refuses.
//! - `command.rs`: what a caller asks, with the facts looked up outside.
//! - `rules/`: **every rule** — `creation.rs`, then `decide` and scope in
//!   `mod.rs`, and one `check_*` per command in `checks.rs`.
//! - `violation.rs`: the refusals, with stable codes and Italian messages.
//! - `actions.rs`: what the caller may do next, from the same rules.
//! - `stored.rs`: decoding a stored event by its log's `event_type` (decisions A40).
//! - `tests/`: the rules' given/when/then tests, one file per subject.

mod actions;
mod command;
mod events;
mod rules;
mod state;
mod status;
mod stored;
mod violation;

#[cfg(test)]
mod tests;

pub use actions::{Action, ActionAvailability};
pub use command::{
    AcceptedRequest, NewRequest, PracticeCheck, RequestCommand, RequesterInput, SedeLookup,
};
pub use events::{AttachmentRef, CitizenRecord, RequestEvent, RequestSent, Requester, Routing};
pub use rules::{
    accept_new_request, AppointmentGround, MAX_ATTACHMENTS, MAX_FURTHER_INTERACTIONS,
    MAX_NOTES_CHARS, MAX_REASON_CHARS, MAX_TEXT_CHARS,
};
pub use state::{HeldAttachment, Request, RequestAppointment};
pub use status::{Status, StatusLine};
pub use violation::RuleViolation;
