//! Writes of the `requests` projection: `request_summary`, `request_timeline`,
//! `request_attachments`. Unqualified table names (a rebuild redirects them);
//! every value comes from the event; each write is idempotent (inserts do
//! nothing on conflict, summary updates only move the version forward).

use crate::events::{serde_name, subject, RequestFact};
use crate::ProjectionError;
use domain::actor::{PatronatoRole, Side};
use domain::ids::{AttachmentId, SedeCode, UserId};
use domain::request::{AttachmentRef, RequestEvent, RequestSent, Requester, Status};
use domain::time::Timestamp;
use serde_json::{json, Value};
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::{PgConnection, Postgres};

/// `UPDATE request_summary` of one event: `$1` request, `$2` version, `$3`
/// position, `$4` the event's instant; further parameters from `$5`.
macro_rules! update {
    ($set:expr) => {
        concat!(
            "UPDATE request_summary SET version = $2, last_position = $3, last_activity_at = $4, ",
            $set,
            " WHERE request_id = $1 AND version < $2"
        )
    };
}

/// `SET` clause: the number of attachments held now (the event's own rows are in).
macro_rules! recount_attachments {
    () => {
        "attachments_count = (SELECT count(*) FROM request_attachments \
         WHERE request_id = $1 AND removed_at IS NULL)"
    };
}

/// `SET` clause: a closed request keeps its status whatever happens after
/// (as `domain::request::Request::apply` does).
macro_rules! status_unless_closed {
    ($param:literal) => {
        concat!(
            "status = CASE WHEN status = 'chiusa' THEN status ELSE ",
            $param,
            " END"
        )
    };
}

/// Applies one request event to the three tables.
pub(crate) async fn apply(conn: &mut PgConnection, f: &RequestFact) -> Result<(), ProjectionError> {
    match &f.event {
        RequestEvent::RequestSent(sent) => request_sent(conn, f, sent).await,
        RequestEvent::AttachmentAdded {
            attachment,
            by,
            side,
            at,
        } => {
            let entry = Entry::new("attachment_added", by, *side, *at)
                .attachments(std::slice::from_ref(attachment));
            timeline(conn, f, entry).await?;
            add_attachments(conn, f, std::slice::from_ref(attachment), *side, by, *at).await?;
            summary(f, *at, update!(recount_attachments!()))
                .execute(conn)
                .await?;
            Ok(())
        }
        RequestEvent::AttachmentRemoved {
            attachment_id,
            by,
            at,
        } => {
            let removed = attachment_json(conn, f, attachment_id).await?;
            let entry = Entry::new("attachment_removed", by, Side::Patronato, *at)
                .attachments_json(Value::Array(removed.into_iter().collect()))
                .details(json!({ "attachment_id": attachment_id }));
            timeline(conn, f, entry).await?;
            sqlx::query(
                "UPDATE request_attachments SET removed_at = $3, removed_by = $4 \
                 WHERE request_id = $1 AND attachment_id = $2 AND removed_at IS NULL",
            )
            .bind(f.request_id)
            .bind(attachment_id.0)
            .bind(at)
            .bind(by.as_str())
            .execute(&mut *conn)
            .await?;
            summary(f, *at, update!(recount_attachments!()))
                .execute(conn)
                .await?;
            Ok(())
        }
        RequestEvent::TakenInCharge { by, sede, at } => {
            let entry = Entry::new("taken_in_charge", by, Side::Sede, *at).sede(sede);
            timeline(conn, f, entry).await?;
            summary(
                f,
                *at,
                update!(concat!("in_charge_by = $5, ", status_unless_closed!("$6"))),
            )
            .bind(by.as_str())
            .bind(Status::PresaInCarico.as_str())
            .execute(conn)
            .await?;
            Ok(())
        }
        RequestEvent::ReplyReceived {
            by,
            sede,
            text,
            attachments,
            at,
        } => {
            let entry = Entry::new("reply", by, Side::Sede, *at)
                .sede(sede)
                .text(text)
                .attachments(attachments);
            timeline(conn, f, entry).await?;
            add_attachments(conn, f, attachments, Side::Sede, by, *at).await?;
            summary(
                f,
                *at,
                update!(concat!(
                    "first_reply_at = COALESCE(first_reply_at, $4), last_reply_at = $4, \
                 replies = replies + 1, awaiting_reply_since = NULL, ",
                    status_unless_closed!("$5"),
                    ", ",
                    recount_attachments!()
                )),
            )
            .bind(Status::RispostaRicevuta.as_str())
            .execute(conn)
            .await?;
            Ok(())
        }
        RequestEvent::MessageSent {
            by,
            text,
            attachments,
            interaction,
            at,
        } => {
            let entry = Entry::new("message", by, Side::Patronato, *at)
                .text(text)
                .attachments(attachments)
                .details(json!({ "interaction": interaction }));
            timeline(conn, f, entry).await?;
            add_attachments(conn, f, attachments, Side::Patronato, by, *at).await?;
            summary(
                f,
                *at,
                update!(concat!(
                    "interactions_used = $5, awaiting_reply_since = $4, ",
                    status_unless_closed!("$6"),
                    ", ",
                    recount_attachments!()
                )),
            )
            .bind(i32::from(*interaction))
            .bind(Status::InAttesaDiRisposta.as_str())
            .execute(conn)
            .await?;
            Ok(())
        }
        RequestEvent::SollecitoSent { by, number, at } => {
            let entry = Entry::new("sollecito", by, Side::Patronato, *at)
                .details(json!({ "number": number }));
            timeline(conn, f, entry).await?;
            summary(
                f,
                *at,
                update!(concat!(
                    "solleciti = $5, last_sollecito_at = $4, ",
                    status_unless_closed!("$6")
                )),
            )
            .bind(i32::try_from(*number).unwrap_or(i32::MAX))
            .bind(Status::Sollecitata.as_str())
            .execute(conn)
            .await?;
            Ok(())
        }
        RequestEvent::ForwardedToSede {
            by,
            from,
            to,
            reason,
            at,
        } => {
            let entry = Entry::new("forwarded", by, Side::Sede, *at)
                .sede(from)
                .text(reason)
                .details(json!({ "from": from, "to": to, "reason": reason }));
            timeline(conn, f, entry).await?;
            summary(
                f,
                *at,
                update!(concat!(
                    "current_sede = $5, in_charge_by = NULL, forwards = forwards + 1, ",
                    status_unless_closed!("$6")
                )),
            )
            .bind(to.as_str())
            .bind(Status::InoltrataAdAltraSede.as_str())
            .execute(conn)
            .await?;
            Ok(())
        }
        RequestEvent::AppointmentEnabled { by, sede, at } => {
            let entry = Entry::new("appointment_enabled", by, Side::Sede, *at).sede(sede);
            timeline(conn, f, entry).await?;
            summary(f, *at, update!("appointment_enabled = true"))
                .execute(conn)
                .await?;
            Ok(())
        }
        RequestEvent::ConversationClosed { by, sede, note, at } => {
            let mut entry = Entry::new("closed", by, Side::Sede, *at).sede(sede);
            if let Some(note) = note {
                entry = entry.text(note);
            }
            timeline(conn, f, entry).await?;
            summary(f, *at, update!("closed_at = $4, status = $5"))
                .bind(Status::Chiusa.as_str())
                .execute(conn)
                .await?;
            Ok(())
        }
        RequestEvent::AppointmentBooked {
            booking_id,
            code,
            slot,
            ground,
            by,
            at,
        } => {
            let entry = Entry::new("appointment_booked", by, Side::Patronato, *at)
                .sede(&slot.sede)
                .details(json!({
                    "booking_id": booking_id,
                    "code": code,
                    "counter": slot.counter,
                    "start": slot.start,
                    "end": slot.end,
                    "ground": ground,
                }));
            timeline(conn, f, entry).await?;
            // As `Request::apply`: shown even on a closed conversation; the
            // status before comes back when the appointment is cancelled.
            summary(
                f,
                *at,
                update!(
                    "status_before_appointment = status, status = $5, \
                     appointment_booking_id = $6, appointment_start = $7"
                ),
            )
            .bind(Status::AppuntamentoPrenotato.as_str())
            .bind(booking_id.0)
            .bind(slot.start)
            .execute(conn)
            .await?;
            Ok(())
        }
        RequestEvent::AppointmentCancelled {
            booking_id,
            by,
            side,
            reason,
            at,
        } => {
            let mut entry = Entry::new("appointment_cancelled", by, *side, *at)
                .details(json!({ "booking_id": booking_id }));
            if let Some(reason) = reason {
                entry = entry.text(reason);
            }
            timeline(conn, f, entry).await?;
            summary(
                f,
                *at,
                update!(
                    "status = CASE WHEN appointment_booking_id = $5 AND status = $6 \
                       THEN COALESCE(status_before_appointment, status) ELSE status END, \
                     status_before_appointment = CASE WHEN appointment_booking_id = $5 \
                       THEN NULL ELSE status_before_appointment END, \
                     appointment_start = CASE WHEN appointment_booking_id = $5 \
                       THEN NULL ELSE appointment_start END, \
                     appointment_booking_id = CASE WHEN appointment_booking_id = $5 \
                       THEN NULL ELSE appointment_booking_id END"
                ),
            )
            .bind(booking_id.0)
            .bind(Status::AppuntamentoPrenotato.as_str())
            .execute(conn)
            .await?;
            Ok(())
        }
    }
}

fn summary<'q>(f: &RequestFact, at: Timestamp, sql: &'q str) -> Query<'q, Postgres, PgArguments> {
    sqlx::query(sql)
        .bind(f.request_id)
        .bind(f.version)
        .bind(f.position)
        .bind(at)
}

async fn request_sent(
    conn: &mut PgConnection,
    f: &RequestFact,
    s: &RequestSent,
) -> Result<(), ProjectionError> {
    let entry = Entry::new("sent", &s.by, Side::Patronato, s.at)
        .sede(&s.destination)
        .text(&s.text)
        .attachments(&s.attachments)
        .details(json!({
            "protocol": s.protocol,
            "topic": s.topic,
            "subtopic": s.subtopic,
            "subject": subject(&s.topic_label, s.subtopic_label.as_deref()),
            "practice_ref": s.practice_ref,
            "notes": s.notes,
            "routing": s.routing,
            "copied_from": s.copied_from,
        }));
    timeline(conn, f, entry).await?;
    add_attachments(conn, f, &s.attachments, Side::Patronato, &s.by, s.at).await?;

    let (kind, citizen, region) = match &s.requester {
        Requester::Citizen(c) => ("citizen", Some(c), None),
        Requester::OwnBehalf { region } => ("own_behalf", None, Some(region.as_str())),
    };
    let role = match s.by_role {
        PatronatoRole::Operator => "operator",
        PatronatoRole::Admin => "patronato_admin",
        PatronatoRole::RegionalReferent => "regional_referent",
    };
    sqlx::query(
        "INSERT INTO request_summary (request_id, protocol, patronato, office, created_by, \
           created_by_role, requester_kind, codice_fiscale, citizen_surname, citizen_name, \
           citizen_birth_date, referent_region, topic, topic_label, subtopic, subtopic_label, \
           subject, text, notes, practice_ref_kind, practice_ref_value, status, current_sede, \
           origin_sede, sent_at, last_activity_at, awaiting_reply_since, attachments_count, \
           version, last_position) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
           $18, $19, $20, $21, $22, $23, $23, $24, $24, $24, $25, $26, $27) \
         ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(f.request_id)
    .bind(s.protocol.as_str())
    .bind(s.patronato.as_str())
    .bind(s.office.as_str())
    .bind(s.by.as_str())
    .bind(role)
    .bind(kind)
    .bind(citizen.map(|c| c.codice_fiscale.as_str()))
    .bind(citizen.map(|c| c.surname.as_str()))
    .bind(citizen.map(|c| c.name.as_str()))
    .bind(citizen.map(|c| c.birth_date))
    .bind(region)
    .bind(s.topic.as_str())
    .bind(&s.topic_label)
    .bind(s.subtopic.as_ref().map(|t| t.as_str()))
    .bind(s.subtopic_label.as_deref())
    .bind(subject(&s.topic_label, s.subtopic_label.as_deref()))
    .bind(&s.text)
    .bind(s.notes.as_deref())
    .bind(s.practice_ref.as_ref().map(|p| serde_name(&p.kind)))
    .bind(s.practice_ref.as_ref().map(|p| p.value.as_str()))
    .bind(Status::Inoltrata.as_str())
    .bind(s.destination.as_str())
    .bind(s.at)
    .bind(i32::try_from(s.attachments.len()).unwrap_or(i32::MAX))
    .bind(f.version)
    .bind(f.position)
    .execute(conn)
    .await?;
    Ok(())
}

/// One timeline row in the making.
struct Entry<'a> {
    kind: &'static str,
    actor: &'a UserId,
    side: Side,
    at: Timestamp,
    sede: Option<&'a SedeCode>,
    text: Option<&'a str>,
    attachments: Value,
    details: Value,
}

impl<'a> Entry<'a> {
    fn new(kind: &'static str, actor: &'a UserId, side: Side, at: Timestamp) -> Self {
        Entry {
            kind,
            actor,
            side,
            at,
            sede: None,
            text: None,
            attachments: Value::Array(Vec::new()),
            details: json!({}),
        }
    }
    fn sede(mut self, sede: &'a SedeCode) -> Self {
        self.sede = Some(sede);
        self
    }
    fn text(mut self, text: &'a str) -> Self {
        self.text = Some(text);
        self
    }
    fn attachments(self, attachments: &[AttachmentRef]) -> Self {
        let list = serde_json::to_value(attachments).expect("attachment refs serialise");
        self.attachments_json(list)
    }
    fn attachments_json(mut self, list: Value) -> Self {
        self.attachments = list;
        self
    }
    fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}

/// Inserts a timeline row. Without an explicit sede, the row names the sede
/// the request is at (read before this event's summary update).
async fn timeline(
    conn: &mut PgConnection,
    f: &RequestFact,
    e: Entry<'_>,
) -> Result<(), ProjectionError> {
    sqlx::query(
        "INSERT INTO request_timeline (request_id, version, at, kind, actor_id, side, sede, \
           text, attachments, details, position) \
         VALUES ($1, $2, $3, $4, $5, $6, \
           COALESCE($7, (SELECT current_sede FROM request_summary WHERE request_id = $1)), \
           $8, $9, $10, $11) \
         ON CONFLICT (request_id, version) DO NOTHING",
    )
    .bind(f.request_id)
    .bind(f.version)
    .bind(e.at)
    .bind(e.kind)
    .bind(e.actor.as_str())
    .bind(serde_name(&e.side))
    .bind(e.sede.map(|s| s.as_str()))
    .bind(e.text)
    .bind(e.attachments)
    .bind(e.details)
    .bind(f.position)
    .execute(conn)
    .await?;
    Ok(())
}

async fn add_attachments(
    conn: &mut PgConnection,
    f: &RequestFact,
    attachments: &[AttachmentRef],
    side: Side,
    by: &UserId,
    at: Timestamp,
) -> Result<(), ProjectionError> {
    for (ordinal, a) in attachments.iter().enumerate() {
        sqlx::query(
            "INSERT INTO request_attachments (request_id, attachment_id, sha256, filename, \
               media_type, size, side, added_by, added_at, added_version, ordinal) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (request_id, attachment_id) DO NOTHING",
        )
        .bind(f.request_id)
        .bind(a.id.0)
        .bind(&a.sha256)
        .bind(&a.filename)
        .bind(&a.media_type)
        .bind(i64::try_from(a.size).unwrap_or(i64::MAX))
        .bind(serde_name(&side))
        .bind(by.as_str())
        .bind(at)
        .bind(f.version)
        .bind(ordinal as i32)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The attachment as the timeline shows it (`{id, sha256, filename,
/// media_type, size}`), if the request held it.
async fn attachment_json(
    conn: &mut PgConnection,
    f: &RequestFact,
    id: &AttachmentId,
) -> Result<Option<Value>, ProjectionError> {
    let row: Option<(String, String, String, i64)> = sqlx::query_as(
        "SELECT sha256, filename, media_type, size FROM request_attachments \
         WHERE request_id = $1 AND attachment_id = $2",
    )
    .bind(f.request_id)
    .bind(id.0)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(sha256, filename, media_type, size)| {
        json!({
            "id": id,
            "sha256": sha256,
            "filename": filename,
            "media_type": media_type,
            "size": size,
        })
    }))
}

#[cfg(test)]
mod tests {
    use domain::request::Status;

    #[test]
    fn the_sql_knows_the_closed_status_by_name() {
        assert_eq!(Status::Chiusa.as_str(), "chiusa");
    }
}
