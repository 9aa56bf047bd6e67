//! The notifier: a projection of the log into the outbox. It runs under the
//! projection framework's [`projections::Worker`] (leader election, batches
//! applied with their checkpoint in one transaction), but is never rebuilt:
//! its table records what was sent, and a replay from position 0 would only
//! meet the ids already there (`ON CONFLICT DO NOTHING`).

use crate::plan::{self, notification_id, recipient_key, Planned, Recipient};
use async_trait::async_trait;
use domain::booking::SlotEvent;
use domain::request::RequestEvent;
use projections::{Projection, ProjectionError};
use sqlx::PgConnection;
use store::RecordedEvent;
use uuid::Uuid;

pub const NAME: &str = "notifier";
/// The channel the sender `LISTEN`s on; notified when a batch planned rows.
pub const OUTBOX_CHANNEL: &str = "notification_outbox";

const SLOT_STREAM_TYPE: &str = domain::streams::SLOT;
const REQUEST_STREAM_TYPE: &str = domain::streams::REQUEST;

/// Request events that tell the request's author something.
const TOLD_TO_AUTHOR: &[&str] = &[
    "ReplyReceived",
    "ForwardedToSede",
    "ConversationClosed",
    "AppointmentBooked",
    "AppointmentCancelled",
];

#[derive(Debug, Clone, Copy, Default)]
pub struct NotifierProjection;

fn poisoned(event: &RecordedEvent, reason: impl std::fmt::Display) -> ProjectionError {
    ProjectionError::Poisoned {
        position: event.position,
        event_type: event.event_type.clone(),
        reason: reason.to_string(),
    }
}

#[async_trait]
impl Projection for NotifierProjection {
    fn name(&self) -> &'static str {
        NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        &["notification_outbox", "notifier_request_authors"]
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        event: &RecordedEvent,
    ) -> Result<(), ProjectionError> {
        apply_event(tx, event).await.map(|_| ())
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        let mut planned = 0;
        for event in events {
            planned += apply_event(tx, event).await?;
        }
        if planned > 0 {
            sqlx::query("SELECT pg_notify($1, '')")
                .bind(OUTBOX_CHANNEL)
                .execute(&mut *tx)
                .await?;
        }
        Ok(())
    }
}

/// Writes what `event` means; returns the notifications planned.
async fn apply_event(
    tx: &mut PgConnection,
    event: &RecordedEvent,
) -> Result<usize, ProjectionError> {
    if event.stream_type == SLOT_STREAM_TYPE
        && SlotEvent::TYPES.contains(&event.event_type.as_str())
    {
        let decoded: SlotEvent = event.decode()?;
        if let SlotEvent::SlotBookingCancelled { booking_id, .. } = &decoded {
            // Its reminder goes with it (the sender checks again when sending).
            sqlx::query(
                "UPDATE notification_outbox SET status = 'cancelled' \
                 WHERE booking_id = $1 AND kind = 'booking_reminder' AND status = 'pending'",
            )
            .bind(booking_id.0)
            .execute(&mut *tx)
            .await?;
        }
        let planned = plan::plan_slot(&decoded);
        for p in &planned {
            insert(tx, event.position, p, None).await?;
        }
        return Ok(planned.len());
    }
    if event.stream_type != REQUEST_STREAM_TYPE
        || !RequestEvent::TYPES.contains(&event.event_type.as_str())
    {
        return Ok(0);
    }
    let request_id = event
        .stream_id
        .strip_prefix("request-")
        .and_then(|id| Uuid::parse_str(id).ok())
        .ok_or_else(|| poisoned(event, "stream id is not request-<uuid>"))?;
    let is_sent = event.event_type == "RequestSent";
    if !is_sent && !TOLD_TO_AUTHOR.contains(&event.event_type.as_str()) {
        return Ok(0);
    }
    let decoded = RequestEvent::from_stored(&event.event_type, &event.payload)
        .map_err(|e| poisoned(event, e))?;
    if let Some((author, protocol)) = plan::author_of(&decoded) {
        sqlx::query(
            "INSERT INTO notifier_request_authors (request_id, author, protocol) \
             VALUES ($1, $2, $3) ON CONFLICT (request_id) DO NOTHING",
        )
        .bind(request_id)
        .bind(author)
        .bind(protocol)
        .execute(&mut *tx)
        .await?;
        return Ok(0);
    }
    let author: Option<(String, String)> = sqlx::query_as(
        "SELECT author, protocol FROM notifier_request_authors WHERE request_id = $1",
    )
    .bind(request_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((author, protocol)) = author else {
        // A request sent before the notifier's log began: nobody to tell.
        return Ok(0);
    };
    let mut planned = plan::plan_request(request_id, &decoded, Some(&author));
    for p in &mut planned {
        if let Some(details) = p.details.as_object_mut() {
            details.insert("protocol".into(), protocol.clone().into());
        }
        insert(tx, event.position, p, Some(&author)).await?;
    }
    Ok(planned.len())
}

/// One outbox row; a second write of the same id changes nothing.
pub(crate) async fn insert(
    tx: &mut PgConnection,
    cause_position: i64,
    p: &Planned,
    author: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let Some(key) = recipient_key(&p.recipient, author) else {
        return Ok(false);
    };
    let (recipient_kind, recipient_user) = match &p.recipient {
        Recipient::Citizen => ("citizen", None),
        Recipient::RequestAuthor => ("user", author.map(str::to_string)),
        Recipient::User(u) => ("user", Some(u.clone())),
    };
    let done = sqlx::query(
        "INSERT INTO notification_outbox \
           (id, kind, recipient_kind, recipient_user, booking_id, request_id, sede_code, \
            details, cause_position, due_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING",
    )
    .bind(notification_id(cause_position, p.kind, &key))
    .bind(p.kind.as_str())
    .bind(recipient_kind)
    .bind(recipient_user)
    .bind(p.booking_id)
    .bind(p.request_id)
    .bind(&p.sede)
    .bind(&p.details)
    .bind(cause_position)
    .bind(p.due_at)
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
