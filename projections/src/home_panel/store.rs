//! Writes of the `home_panel` projection. The reply event does not say whose
//! request it answers: the request's first event (immutable, so a rebuild
//! reads the same) does.

use crate::events::{subject, RequestFact};
use crate::ProjectionError;
use commands::store::{load_stream, RecordedEvent};
use domain::request::{RequestEvent, Requester};
use sqlx::PgConnection;

/// Characters of the reply kept in the panel.
const EXCERPT_CHARS: usize = 200;

pub(crate) async fn reply(
    conn: &mut PgConnection,
    event: &RecordedEvent,
    f: &RequestFact,
) -> Result<(), ProjectionError> {
    let RequestEvent::ReplyReceived {
        by, sede, text, at, ..
    } = &f.event
    else {
        return Ok(());
    };
    let first = load_stream(&mut *conn, &event.stream_id, &event.stream_type, Some(1)).await?;
    let sent = match first.events.first().map(|e| e.decode::<RequestEvent>()) {
        Some(Ok(RequestEvent::RequestSent(sent))) => sent,
        _ => {
            return Err(ProjectionError::poisoned(
                event,
                "the request's first event is not a readable RequestSent",
            ))
        }
    };
    let codice_fiscale = match &sent.requester {
        Requester::Citizen(c) => Some(c.codice_fiscale.as_str()),
        Requester::OwnBehalf { .. } => None,
    };
    let excerpt: String = text.chars().take(EXCERPT_CHARS).collect();
    sqlx::query(
        "INSERT INTO recent_replies (request_id, version, replied_at, replied_by, sede, \
           created_by, patronato, office, protocol, codice_fiscale, subject, excerpt) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (request_id, version) DO NOTHING",
    )
    .bind(f.request_id)
    .bind(f.version)
    .bind(at)
    .bind(by.as_str())
    .bind(sede.as_str())
    .bind(sent.by.as_str())
    .bind(sent.patronato.as_str())
    .bind(sent.office.as_str())
    .bind(sent.protocol.as_str())
    .bind(codice_fiscale)
    .bind(subject(&sent.topic_label, sent.subtopic_label.as_deref()))
    .bind(excerpt)
    .execute(conn)
    .await?;
    Ok(())
}
