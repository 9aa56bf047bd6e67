//! Writes of the `home_panel` projection (the row a reply makes: `fold.rs`).
//! The reply event does not say whose request it answers: the request's first
//! event (immutable, so a rebuild reads the same) does — taken from the batch
//! when it is there, else read from the log once for every reply of the batch.

use super::fold;
use crate::batch::{AppendRows, Mode};
use crate::events::{citizen_pseudonym, RequestFact};
use crate::ProjectionError;
use domain::request::{RequestEvent, RequestSent};
use sqlx::PgConnection;
use std::collections::HashMap;
use store::{load_first_events, RecordedEvent};
use uuid::Uuid;

/// Inserts a row per reply of the batch (`facts` in log order, with the
/// recorded event each comes from).
pub(crate) async fn apply_batch(
    conn: &mut PgConnection,
    facts: &[(&RecordedEvent, RequestFact)],
) -> Result<(), ProjectionError> {
    let replies: Vec<&(&RecordedEvent, RequestFact)> = facts
        .iter()
        .filter(|(_, f)| matches!(f.event, RequestEvent::ReplyReceived { .. }))
        .collect();
    if replies.is_empty() {
        return Ok(());
    }
    // Each request's first event, with the citizen it was sealed for.
    let mut sent: HashMap<Uuid, (RequestSent, Option<String>)> = HashMap::new();
    for (_, f) in facts {
        if let RequestEvent::RequestSent(s) = &f.event {
            sent.insert(f.request_id, ((**s).clone(), f.citizen.clone()));
        }
    }
    let mut missing: Vec<String> = replies
        .iter()
        .filter(|(_, f)| !sent.contains_key(&f.request_id))
        .map(|(e, _)| e.stream_id.clone())
        .collect();
    missing.sort_unstable();
    missing.dedup();
    if !missing.is_empty() {
        for first in load_first_events(&mut *conn, &missing).await? {
            if let Ok(RequestEvent::RequestSent(s)) = first.decode::<RequestEvent>() {
                if let Some(id) = first
                    .stream_id
                    .strip_prefix("request-")
                    .and_then(|id| Uuid::parse_str(id).ok())
                {
                    let citizen = citizen_pseudonym(&first).map(str::to_owned);
                    sent.insert(id, (*s, citizen));
                }
            }
        }
    }
    let mut rows = Vec::with_capacity(replies.len());
    for (event, f) in replies {
        let Some((s, citizen)) = sent.get(&f.request_id) else {
            return Err(ProjectionError::poisoned(
                event,
                "the request's first event is not a readable RequestSent",
            ));
        };
        rows.extend(fold::reply_row(f, s, citizen.as_deref()));
    }
    AppendRows::new("recent_replies", "request_id, version", &Mode::Live)
        .write(conn, &mut rows)
        .await
}
