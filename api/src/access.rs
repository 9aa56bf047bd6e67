//! Who read what (issue 26): handlers that serve a data subject's personal
//! data call [`record`] before answering; it returns once the read's record is
//! committed (commands::privacy::reads), so no read is served unrecorded. An
//! auditor's read is also an `AuditRead` event of the log (docs/audit.md).

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use commands::privacy::{ReadRecord, SubjectKind};
use domain::actor::Actor;
use serde_json::json;
use store::audit;

/// The header in which a reader may state why (`X-Access-Purpose`).
pub const PURPOSE_HEADER: &str = "x-access-purpose";
/// Longest purpose kept, in characters.
const MAX_PURPOSE: usize = 200;

/// The purpose the caller gave, if any: printable text up to 200 characters,
/// else 400 `invalid_purpose`.
#[derive(Debug, Clone, Default)]
pub struct Purpose(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for Purpose {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let Some(raw) = parts.headers.get(PURPOSE_HEADER) else {
            return Ok(Purpose(None));
        };
        let bad = || ApiError::BadRequest {
            code: "invalid_purpose",
            detail: format!(
                "La finalità dell'accesso (intestazione X-Access-Purpose) deve essere un testo \
                 stampabile di al massimo {MAX_PURPOSE} caratteri."
            ),
        };
        let text = std::str::from_utf8(raw.as_bytes())
            .map_err(|_| bad())?
            .trim();
        if text.chars().count() > MAX_PURPOSE || text.chars().any(char::is_control) {
            return Err(bad());
        }
        Ok(Purpose((!text.is_empty()).then(|| text.to_string())))
    }
}

/// Whose data a read touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A citizen, by pseudonym.
    Citizen(String),
    /// A booking's contact data (a booking without a citizen), by pseudonym.
    Booking(String),
    /// Many subjects at once (audit listings and exports).
    Bulk,
}

/// The scope the actor read in: `patronato:P/office:O`, `sede:S`, or the role.
pub fn scope_of(actor: &Actor) -> String {
    match actor {
        Actor::Patronato(u) => format!("patronato:{}/office:{}", u.patronato, u.office),
        Actor::Sede(o) => format!("sede:{}", o.sede),
        other => other.role().as_str().to_string(),
    }
}

/// Records that `actor` read `subjects` through `operation` on `target`;
/// returns once committed. Nothing goes to the read log when `subjects` is
/// empty (a regional referent's own request names no citizen); an auditor's
/// read is an `AuditRead` event all the same.
pub async fn record(
    app: &AppState,
    actor: &Actor,
    subjects: &[Subject],
    operation: &str,
    target: Option<String>,
    purpose: &Purpose,
) -> Result<(), ApiError> {
    if let Actor::Auditor { id } = actor {
        audit::record_read(
            &app.pool,
            id.as_str(),
            "auditor",
            json!({"operation": operation, "parameters": {"target": target}}),
            app.clock.now(),
        )
        .await
        .map_err(ApiError::internal)?;
        app.notifier.ring();
    }
    log_reads(app, actor, subjects, operation, target, purpose).await
}

/// The read log's part of [`record`], for the audit API, which writes its
/// own `AuditRead` events.
pub async fn log_reads(
    app: &AppState,
    actor: &Actor,
    subjects: &[Subject],
    operation: &str,
    target: Option<String>,
    purpose: &Purpose,
) -> Result<(), ApiError> {
    let now = app.clock.now();
    let records = subjects
        .iter()
        .map(|s| {
            let (subject, kind) = match s {
                Subject::Citizen(p) => (Some(p.clone()), SubjectKind::Citizen),
                Subject::Booking(p) => (Some(p.clone()), SubjectKind::Booking),
                Subject::Bulk => (None, SubjectKind::Bulk),
            };
            ReadRecord {
                read_at: now,
                actor_id: actor.id().to_string(),
                actor_role: actor.role().as_str().to_string(),
                scope: scope_of(actor),
                subject,
                subject_kind: kind,
                operation: operation.to_string(),
                target: target.clone(),
                purpose: purpose.0.clone(),
            }
        })
        .collect();
    Ok(app.reads.record(records).await?)
}

/// The citizen a request is about, if any (an erased citizen's request holds
/// no personal data left to read).
pub fn request_subjects(app: &AppState, request: &domain::request::Request) -> Vec<Subject> {
    match request.sent.as_deref().map(|s| &s.requester) {
        Some(domain::request::Requester::Citizen(c)) => match c.codice_fiscale.known() {
            Some(cf) => vec![Subject::Citizen(app.pseudonyms.citizen(cf))],
            None => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// Records a read of a request's personal data (detail, timeline, summary,
/// attachment, state as of).
pub async fn record_request_read(
    app: &AppState,
    actor: &Actor,
    request: &domain::request::Request,
    operation: &str,
    purpose: &Purpose,
) -> Result<(), ApiError> {
    let target = request.id().map(|id| id.stream_id());
    record(
        app,
        actor,
        &request_subjects(app, request),
        operation,
        target,
        purpose,
    )
    .await
}

/// Whose data a booking row shows: its citizen, else its own contact data.
pub fn booking_subject(app: &AppState, row: &projections::bookings::BookingRow) -> Subject {
    match &row.codice_fiscale {
        Some(cf) => Subject::Citizen(app.pseudonyms.citizen_code(cf)),
        None => Subject::Booking(app.pseudonyms.booking(row.booking_id)),
    }
}
