//! Writes of the `home_panel` projection. The reply event does not say whose
//! request it answers: the request's first event (immutable, so a rebuild
//! reads the same) does — taken from the batch when it is there, else read
//! from the log once for every reply of the batch.

use crate::events::{subject, RequestFact};
use crate::ProjectionError;
use chrono::SubsecRound;
use commands::store::{load_first_events, RecordedEvent};
use domain::request::{RequestEvent, RequestSent, Requester};
use domain::time::Timestamp;
use serde::Serialize;
use sqlx::types::Json;
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

/// Characters of the reply kept in the panel.
const EXCERPT_CHARS: usize = 200;

/// One `recent_replies` row.
#[derive(Debug, Serialize)]
struct ReplyRow<'a> {
    request_id: Uuid,
    version: i32,
    replied_at: Timestamp,
    replied_by: &'a str,
    sede: &'a str,
    created_by: &'a str,
    patronato: &'a str,
    office: &'a str,
    protocol: &'a str,
    codice_fiscale: Option<&'a str>,
    subject: String,
    excerpt: String,
}

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
    let mut sent: HashMap<Uuid, RequestSent> = HashMap::new();
    for (_, f) in facts {
        if let RequestEvent::RequestSent(s) = &f.event {
            sent.insert(f.request_id, (**s).clone());
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
                    sent.insert(id, *s);
                }
            }
        }
    }
    let mut rows = Vec::with_capacity(replies.len());
    for (event, f) in replies {
        let RequestEvent::ReplyReceived {
            by, sede, text, at, ..
        } = &f.event
        else {
            continue;
        };
        let Some(s) = sent.get(&f.request_id) else {
            return Err(ProjectionError::poisoned(
                event,
                "the request's first event is not a readable RequestSent",
            ));
        };
        rows.push(ReplyRow {
            request_id: f.request_id,
            version: f.version,
            replied_at: at.trunc_subsecs(6),
            replied_by: by.as_str(),
            sede: sede.as_str(),
            created_by: s.by.as_str(),
            patronato: s.patronato.as_str(),
            office: s.office.as_str(),
            protocol: s.protocol.as_str(),
            codice_fiscale: match &s.requester {
                Requester::Citizen(c) => Some(c.codice_fiscale.as_str()),
                Requester::OwnBehalf { .. } => None,
            },
            subject: subject(&s.topic_label, s.subtopic_label.as_deref()),
            excerpt: text.chars().take(EXCERPT_CHARS).collect(),
        });
    }
    sqlx::query(
        "INSERT INTO recent_replies \
         SELECT * FROM jsonb_populate_recordset(NULL::recent_replies, $1) \
         ON CONFLICT (request_id, version) DO NOTHING",
    )
    .bind(Json(&rows))
    .execute(conn)
    .await?;
    Ok(())
}
