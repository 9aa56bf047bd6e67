//! Writes of the `requests` projection: `request_summary`, `request_timeline`,
//! `request_attachments`. Unqualified table names (a rebuild redirects them);
//! every value comes from the events.
//!
//! A batch is folded in memory: the summaries of the requests it touches are
//! read once, each event changes its request's summary as
//! `domain::request::Request::apply` changes the request, and each table then
//! gets one statement for the whole batch (rows passed as one JSON array to
//! `jsonb_populate_recordset`, typed by the table itself). Applying an event
//! twice changes nothing: summaries only move to a higher stream version,
//! timeline and attachment rows are inserted once.

use super::search::{self, SearchRow};
use super::summary_writer::SummaryWriter;
use crate::copy::CopyRows;
use crate::events::{requests_begun_before, serde_name, subject, RequestFact};
use crate::row_cache::RowCache;
use crate::worker::SideSession;
use crate::ProjectionError;
use chrono::{NaiveDate, SubsecRound};
use domain::actor::{PatronatoRole, Side};
use domain::booking::BookingId;
use domain::ids::{SedeCode, UserId};
use domain::request::{AttachmentRef, RequestEvent, RequestSent, Requester, Status, StatusLine};
use domain::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::types::Json;
use sqlx::PgConnection;
use uuid::Uuid;

/// One `request_summary` row; field names are the column names.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Summary {
    pub(super) request_id: Uuid,
    protocol: String,
    patronato: String,
    office: String,
    created_by: String,
    created_by_role: String,
    requester_kind: String,
    codice_fiscale: Option<String>,
    citizen_surname: Option<String>,
    citizen_name: Option<String>,
    citizen_birth_date: Option<NaiveDate>,
    referent_region: Option<String>,
    topic: String,
    topic_label: String,
    subtopic: Option<String>,
    subtopic_label: Option<String>,
    subject: String,
    text: String,
    notes: Option<String>,
    practice_ref_kind: Option<String>,
    practice_ref_value: Option<String>,
    status: Status,
    current_sede: String,
    origin_sede: String,
    sent_at: Timestamp,
    last_activity_at: Timestamp,
    first_reply_at: Option<Timestamp>,
    last_reply_at: Option<Timestamp>,
    replies: i32,
    awaiting_reply_since: Option<Timestamp>,
    in_charge_by: Option<String>,
    interactions_used: i32,
    solleciti: i32,
    last_sollecito_at: Option<Timestamp>,
    appointment_enabled: bool,
    closed_at: Option<Timestamp>,
    forwards: i32,
    attachments_count: i32,
    version: i32,
    last_position: i64,
    appointment_booking_id: Option<Uuid>,
    appointment_start: Option<Timestamp>,
    status_before_appointment: Option<Status>,
}

/// Every column but the key: what a newer version of a summary replaces.
const SUMMARY_UPDATED_COLUMNS: &[&str] = &[
    "protocol",
    "patronato",
    "office",
    "created_by",
    "created_by_role",
    "requester_kind",
    "codice_fiscale",
    "citizen_surname",
    "citizen_name",
    "citizen_birth_date",
    "referent_region",
    "topic",
    "topic_label",
    "subtopic",
    "subtopic_label",
    "subject",
    "text",
    "notes",
    "practice_ref_kind",
    "practice_ref_value",
    "status",
    "current_sede",
    "origin_sede",
    "sent_at",
    "last_activity_at",
    "first_reply_at",
    "last_reply_at",
    "replies",
    "awaiting_reply_since",
    "in_charge_by",
    "interactions_used",
    "solleciti",
    "last_sollecito_at",
    "appointment_enabled",
    "closed_at",
    "forwards",
    "attachments_count",
    "version",
    "last_position",
    "appointment_booking_id",
    "appointment_start",
    "status_before_appointment",
];

/// One `request_timeline` row.
#[derive(Debug, Serialize)]
struct TimelineRow {
    request_id: Uuid,
    version: i32,
    at: Timestamp,
    kind: &'static str,
    actor_id: String,
    side: String,
    /// The sede the request was at when it happened (for a forward: the sender).
    sede: Option<String>,
    text: Option<String>,
    attachments: Value,
    details: Value,
    position: i64,
}

/// One `request_attachments` row.
#[derive(Debug, Clone, Serialize)]
struct AttachmentRow {
    request_id: Uuid,
    attachment_id: Uuid,
    sha256: String,
    filename: String,
    media_type: String,
    size: i64,
    side: String,
    added_by: String,
    added_at: Timestamp,
    added_version: i32,
    ordinal: i32,
    removed_at: Option<Timestamp>,
    removed_by: Option<String>,
}

/// A removal of an attachment held before this batch.
#[derive(Debug, Serialize)]
struct Removal {
    request_id: Uuid,
    attachment_id: Uuid,
    removed_at: Timestamp,
    removed_by: String,
}

/// PostgreSQL keeps microseconds; the binary protocol truncates, so do we.
fn micros(at: Timestamp) -> Timestamp {
    at.trunc_subsecs(6)
}

/// Applies a batch of request events (in log order) to the three tables.
pub(crate) async fn apply_batch(
    conn: &mut PgConnection,
    facts: &[RequestFact],
) -> Result<(), ProjectionError> {
    let mut batch = Batch::new();
    batch.apply_batch(conn, facts).await?;
    batch.finish(conn).await
}

/// The batch in memory: summaries read or created, rows to write.
///
/// Timeline and attachment rows are written at the end of every batch.
/// Summaries stay in memory after it, up to `cached` of them (least recently
/// touched written out first): the live worker keeps none, a rebuild
/// ([`Batch::replay`] with its cache size) writes most summaries once instead
/// of once per batch that touches them.
pub(crate) struct Batch {
    cached: usize,
    /// The tables started empty and only this batch writes them (a rebuild's
    /// shadow tables): rows it has not written yet go in with COPY.
    bulk: bool,
    summaries: RowCache<Summary>,
    timeline: Vec<TimelineRow>,
    attachments: Vec<AttachmentRow>,
    removals: Vec<Removal>,
    /// `request_search` rows of the requests sent in a live batch (a
    /// replay's come from its fill: `search.rs`).
    searches: Vec<SearchRow>,
    /// COPY buffers of a bulk batch, kept from batch to batch (their memory
    /// is reused instead of grown again from nothing).
    copy: CopyBuffers,
    /// A replay's summaries, written on a session of their own (`Some`
    /// exactly when `bulk`).
    writer: Option<SummaryWriter>,
}

struct CopyBuffers {
    timeline: CopyRows,
    attachments: CopyRows,
}

impl Batch {
    /// The live worker's batch: idempotent statements, nothing kept.
    pub(crate) fn new() -> Batch {
        Batch::with(0, false)
    }

    /// A rebuild's replay into empty shadow tables, keeping up to `cached`
    /// summaries in memory; the summaries it evicts are written on the
    /// `side` session.
    pub(crate) fn replay(cached: usize, side: SideSession) -> Batch {
        let mut batch = Batch::with(cached, true);
        batch.writer = Some(SummaryWriter::start(side));
        batch
    }

    fn with(cached: usize, bulk: bool) -> Batch {
        Batch {
            cached,
            bulk,
            summaries: RowCache::new(),
            timeline: Vec::new(),
            attachments: Vec::new(),
            removals: Vec::new(),
            searches: Vec::new(),
            copy: CopyBuffers {
                timeline: CopyRows::new("request_timeline"),
                attachments: CopyRows::new("request_attachments"),
            },
            writer: None,
        }
    }

    /// Applies consecutive events; writes their timeline and attachment rows
    /// and the summaries that no longer fit the cache.
    pub(crate) async fn apply_batch(
        &mut self,
        conn: &mut PgConnection,
        facts: &[RequestFact],
    ) -> Result<(), ProjectionError> {
        if facts.is_empty() {
            return Ok(());
        }
        self.summaries.next_batch();
        self.load(conn, facts).await?;
        for fact in facts {
            self.apply(conn, fact).await?;
        }
        self.write_rows(conn).await?;
        self.evict(conn, self.cached).await
    }

    /// Writes every summary still held.
    pub(crate) async fn finish(&mut self, conn: &mut PgConnection) -> Result<(), ProjectionError> {
        self.evict(conn, 0).await?;
        match &mut self.writer {
            Some(writer) => writer.finish().await,
            None => Ok(()),
        }
    }

    /// Reads the summaries of the batch's requests that are not in memory.
    async fn load(
        &mut self,
        conn: &mut PgConnection,
        facts: &[RequestFact],
    ) -> Result<(), ProjectionError> {
        let ids = match &self.writer {
            // A replay: a summary handed off to the writer may not be
            // committed yet, so it comes from the hand-off.
            Some(writer) => {
                let missing = self.summaries.missing(requests_begun_before(facts));
                let mut unwritten = Vec::with_capacity(missing.len());
                for id in missing {
                    match writer.in_flight(&id) {
                        Some(summary) => self.summaries.loaded(id, summary),
                        None => unwritten.push(id),
                    }
                }
                unwritten
            }
            // Live: a request whose first event is in the batch has no row,
            // since the checkpoint moves with the rows. Were the batch ever
            // applied again, the upsert keeps the newer row
            // (`version < EXCLUDED.version`) and the timeline and attachment
            // rows exist already (`DO NOTHING`): skipping the look-up keeps
            // re-application harmless. A creation then reads nothing.
            None => self.summaries.missing(requests_begun_before(facts)),
        };
        if ids.is_empty() {
            return Ok(());
        }
        let rows: Vec<Json<Summary>> = sqlx::query_scalar(
            "SELECT to_jsonb(s) FROM request_summary s WHERE request_id = ANY($1)",
        )
        .bind(&ids)
        .fetch_all(&mut *conn)
        .await?;
        for Json(summary) in rows {
            self.summaries.loaded(summary.request_id, summary);
        }
        Ok(())
    }

    /// Keeps at most `keep` summaries in memory (none with `keep` 0), writing
    /// the changed ones among those it forgets.
    async fn evict(&mut self, conn: &mut PgConnection, keep: usize) -> Result<(), ProjectionError> {
        let evicted = self.summaries.evict(keep);
        if let Some(writer) = &mut self.writer {
            return writer.write(evicted.new, evicted.stored).await;
        }
        let upserted = evicted.all();
        if !upserted.is_empty() {
            sqlx::query(&upsert_summaries_sql())
                .bind(Json(&upserted))
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    /// The summary an event changes: `None` when the request has none (a
    /// stream without its `RequestSent`) or already holds this version.
    fn summary_for(&mut self, f: &RequestFact, at: Timestamp) -> Option<&mut Summary> {
        if self.summaries.get(&f.request_id)?.version >= f.version {
            return None;
        }
        self.summaries.changed(f.request_id);
        let summary = self.summaries.get_mut(&f.request_id)?;
        summary.version = f.version;
        summary.last_position = f.position;
        summary.last_activity_at = micros(at);
        summary.follow_status(&f.event);
        Some(summary)
    }

    /// A timeline row; without an explicit sede, the sede the request is at
    /// before this event's change.
    fn timeline(&mut self, f: &RequestFact, e: Entry<'_>) {
        let sede = e.sede.map(|s| s.to_string()).or_else(|| {
            self.summaries
                .get(&f.request_id)
                .map(|s| s.current_sede.clone())
        });
        self.timeline.push(TimelineRow {
            request_id: f.request_id,
            version: f.version,
            at: micros(e.at),
            kind: e.kind,
            actor_id: e.actor.to_string(),
            side: serde_name(&e.side),
            sede,
            text: e.text.map(str::to_string),
            attachments: e.attachments,
            details: e.details,
            position: f.position,
        });
    }

    fn add_attachments(
        &mut self,
        f: &RequestFact,
        attachments: &[AttachmentRef],
        side: Side,
        by: &UserId,
        at: Timestamp,
    ) {
        for (ordinal, a) in attachments.iter().enumerate() {
            self.attachments.push(AttachmentRow {
                request_id: f.request_id,
                attachment_id: a.id.0,
                sha256: a.sha256.clone(),
                filename: a.filename.clone(),
                media_type: a.media_type.clone(),
                size: i64::try_from(a.size).unwrap_or(i64::MAX),
                side: serde_name(&side),
                added_by: by.to_string(),
                added_at: micros(at),
                added_version: f.version,
                ordinal: ordinal as i32,
                removed_at: None,
                removed_by: None,
            });
        }
    }

    /// Marks an attachment removed. Returns how the timeline shows it
    /// (`{id, sha256, filename, media_type, size}`) if the request ever had
    /// it, and whether it was held until now.
    async fn remove_attachment(
        &mut self,
        conn: &mut PgConnection,
        f: &RequestFact,
        attachment_id: Uuid,
        by: &UserId,
        at: Timestamp,
    ) -> Result<(Option<Value>, bool), ProjectionError> {
        let shown = |sha256: &str, filename: &str, media_type: &str, size: i64| {
            json!({"id": attachment_id, "sha256": sha256, "filename": filename,
                   "media_type": media_type, "size": size})
        };
        // Added in this batch: not in the table yet.
        if let Some(row) = self
            .attachments
            .iter_mut()
            .find(|a| a.request_id == f.request_id && a.attachment_id == attachment_id)
        {
            let held = row.removed_at.is_none();
            if held {
                row.removed_at = Some(micros(at));
                row.removed_by = Some(by.to_string());
            }
            let json = shown(&row.sha256, &row.filename, &row.media_type, row.size);
            return Ok((Some(json), held));
        }
        let stored: Option<(String, String, String, i64, bool)> = sqlx::query_as(
            "SELECT sha256, filename, media_type, size, removed_at IS NULL FROM request_attachments \
             WHERE request_id = $1 AND attachment_id = $2",
        )
        .bind(f.request_id)
        .bind(attachment_id)
        .fetch_optional(&mut *conn)
        .await?;
        let Some((sha256, filename, media_type, size, not_removed)) = stored else {
            return Ok((None, false));
        };
        let removed_in_batch = self
            .removals
            .iter()
            .any(|r| r.request_id == f.request_id && r.attachment_id == attachment_id);
        let held = not_removed && !removed_in_batch;
        if held {
            self.removals.push(Removal {
                request_id: f.request_id,
                attachment_id,
                removed_at: micros(at),
                removed_by: by.to_string(),
            });
        }
        Ok((Some(shown(&sha256, &filename, &media_type, size)), held))
    }

    async fn apply(
        &mut self,
        conn: &mut PgConnection,
        f: &RequestFact,
    ) -> Result<(), ProjectionError> {
        match &f.event {
            RequestEvent::RequestSent(sent) => self.request_sent(f, sent),
            RequestEvent::AttachmentAdded {
                attachment,
                by,
                side,
                at,
            } => {
                let entry = Entry::new("attachment_added", by, *side, *at)
                    .attachments(std::slice::from_ref(attachment));
                self.timeline(f, entry);
                self.add_attachments(f, std::slice::from_ref(attachment), *side, by, *at);
                if let Some(s) = self.summary_for(f, *at) {
                    s.attachments_count += 1;
                }
            }
            RequestEvent::AttachmentRemoved {
                attachment_id,
                by,
                at,
            } => {
                let (removed, held) = self
                    .remove_attachment(conn, f, attachment_id.0, by, *at)
                    .await?;
                let entry = Entry::new("attachment_removed", by, Side::Patronato, *at)
                    .attachments_json(Value::Array(removed.into_iter().collect()))
                    .details(json!({ "attachment_id": attachment_id }));
                self.timeline(f, entry);
                if let Some(s) = self.summary_for(f, *at) {
                    if held {
                        s.attachments_count = (s.attachments_count - 1).max(0);
                    }
                }
            }
            RequestEvent::TakenInCharge { by, sede, at } => {
                let entry = Entry::new("taken_in_charge", by, Side::Sede, *at).sede(sede);
                self.timeline(f, entry);
                if let Some(s) = self.summary_for(f, *at) {
                    s.in_charge_by = Some(by.to_string());
                }
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
                self.timeline(f, entry);
                self.add_attachments(f, attachments, Side::Sede, by, *at);
                if let Some(s) = self.summary_for(f, *at) {
                    s.first_reply_at = s.first_reply_at.or(Some(micros(*at)));
                    s.last_reply_at = Some(micros(*at));
                    s.replies += 1;
                    s.awaiting_reply_since = None;
                    s.attachments_count += attachments.len() as i32;
                }
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
                self.timeline(f, entry);
                self.add_attachments(f, attachments, Side::Patronato, by, *at);
                if let Some(s) = self.summary_for(f, *at) {
                    s.interactions_used = i32::from(*interaction);
                    s.awaiting_reply_since = Some(micros(*at));
                    s.attachments_count += attachments.len() as i32;
                }
            }
            RequestEvent::SollecitoSent { by, number, at } => {
                let entry = Entry::new("sollecito", by, Side::Patronato, *at)
                    .details(json!({ "number": number }));
                self.timeline(f, entry);
                if let Some(s) = self.summary_for(f, *at) {
                    s.solleciti = i32::try_from(*number).unwrap_or(i32::MAX);
                    s.last_sollecito_at = Some(micros(*at));
                }
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
                self.timeline(f, entry);
                if let Some(s) = self.summary_for(f, *at) {
                    s.current_sede = to.to_string();
                    s.in_charge_by = None;
                    s.forwards += 1;
                }
            }
            RequestEvent::AppointmentEnabled { by, sede, at } => {
                let entry = Entry::new("appointment_enabled", by, Side::Sede, *at).sede(sede);
                self.timeline(f, entry);
                if let Some(s) = self.summary_for(f, *at) {
                    s.appointment_enabled = true;
                }
            }
            RequestEvent::ConversationClosed { by, sede, note, at } => {
                let mut entry = Entry::new("closed", by, Side::Sede, *at).sede(sede);
                if let Some(note) = note {
                    entry = entry.text(note);
                }
                self.timeline(f, entry);
                if let Some(s) = self.summary_for(f, *at) {
                    s.closed_at = Some(micros(*at));
                }
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
                self.timeline(f, entry);
                if let Some(s) = self.summary_for(f, *at) {
                    s.appointment_booking_id = Some(booking_id.0);
                    s.appointment_start = Some(micros(slot.start));
                }
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
                self.timeline(f, entry);
                if let Some(s) = self.summary_for(f, *at) {
                    if s.appointment_booking_id == Some(booking_id.0) {
                        s.appointment_start = None;
                        s.appointment_booking_id = None;
                    }
                }
            }
        }
        Ok(())
    }

    fn request_sent(&mut self, f: &RequestFact, s: &RequestSent) {
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
        self.timeline(f, entry);
        self.add_attachments(f, &s.attachments, Side::Patronato, &s.by, s.at);
        if self.summaries.contains(&f.request_id) {
            return;
        }
        let (kind, citizen, region) = match &s.requester {
            Requester::Citizen(c) => ("citizen", Some(c), None),
            Requester::OwnBehalf { region } => ("own_behalf", None, Some(region.to_string())),
        };
        let role = match s.by_role {
            PatronatoRole::Operator => "operator",
            PatronatoRole::Admin => "patronato_admin",
            PatronatoRole::RegionalReferent => "regional_referent",
        };
        if !self.bulk {
            self.searches.push(SearchRow::of(f.request_id, s));
        }
        let at = micros(s.at);
        self.summaries.insert_new(
            f.request_id,
            Summary {
                request_id: f.request_id,
                protocol: s.protocol.to_string(),
                patronato: s.patronato.to_string(),
                office: s.office.to_string(),
                created_by: s.by.to_string(),
                created_by_role: role.to_string(),
                requester_kind: kind.to_string(),
                codice_fiscale: citizen.map(|c| c.codice_fiscale.to_string()),
                citizen_surname: citizen.map(|c| c.surname.clone()),
                citizen_name: citizen.map(|c| c.name.clone()),
                citizen_birth_date: citizen.map(|c| c.birth_date),
                referent_region: region,
                topic: s.topic.to_string(),
                topic_label: s.topic_label.clone(),
                subtopic: s.subtopic.as_ref().map(|t| t.to_string()),
                subtopic_label: s.subtopic_label.clone(),
                subject: subject(&s.topic_label, s.subtopic_label.as_deref()),
                text: s.text.clone(),
                notes: s.notes.clone(),
                practice_ref_kind: s.practice_ref.as_ref().map(|p| serde_name(&p.kind)),
                practice_ref_value: s.practice_ref.as_ref().map(|p| p.value.to_string()),
                status: Status::Inoltrata,
                current_sede: s.destination.to_string(),
                origin_sede: s.destination.to_string(),
                sent_at: at,
                last_activity_at: at,
                first_reply_at: None,
                last_reply_at: None,
                replies: 0,
                awaiting_reply_since: Some(at),
                in_charge_by: None,
                interactions_used: 0,
                solleciti: 0,
                last_sollecito_at: None,
                appointment_enabled: false,
                closed_at: None,
                forwards: 0,
                attachments_count: i32::try_from(s.attachments.len()).unwrap_or(i32::MAX),
                version: f.version,
                last_position: f.position,
                appointment_booking_id: None,
                appointment_start: None,
                status_before_appointment: None,
            },
        );
    }

    /// The batch's timeline and attachment rows and removals: one statement
    /// per table.
    async fn write_rows(&mut self, conn: &mut PgConnection) -> Result<(), ProjectionError> {
        if !self.bulk {
            search::insert(conn, &self.searches).await?;
            self.searches.clear();
        }
        if self.bulk {
            // Each event is replayed once into empty tables: no row is there yet.
            let timeline = &mut self.copy.timeline;
            for row in self.timeline.drain(..) {
                timeline.push(&row);
            }
            timeline.send(conn).await?;
            let attachments = &mut self.copy.attachments;
            for row in self.attachments.drain(..) {
                attachments.push(&row);
            }
            attachments.send(conn).await?;
        }
        if !self.timeline.is_empty() {
            sqlx::query(
                "INSERT INTO request_timeline \
                 SELECT * FROM jsonb_populate_recordset(NULL::request_timeline, $1) \
                 ON CONFLICT (request_id, version) DO NOTHING",
            )
            .bind(Json(&self.timeline))
            .execute(&mut *conn)
            .await?;
        }
        if !self.attachments.is_empty() {
            sqlx::query(
                "INSERT INTO request_attachments \
                 SELECT * FROM jsonb_populate_recordset(NULL::request_attachments, $1) \
                 ON CONFLICT (request_id, attachment_id) DO NOTHING",
            )
            .bind(Json(&self.attachments))
            .execute(&mut *conn)
            .await?;
        }
        if !self.removals.is_empty() {
            sqlx::query(
                "UPDATE request_attachments a SET removed_at = r.removed_at, removed_by = r.removed_by \
                 FROM jsonb_to_recordset($1) AS r(request_id uuid, attachment_id uuid, \
                                                  removed_at timestamptz, removed_by text) \
                 WHERE a.request_id = r.request_id AND a.attachment_id = r.attachment_id \
                   AND a.removed_at IS NULL",
            )
            .bind(Json(&self.removals))
            .execute(&mut *conn)
            .await?;
        }
        self.timeline.clear();
        self.attachments.clear();
        self.removals.clear();
        Ok(())
    }
}

impl Summary {
    /// The status as `domain`'s status machine sees it.
    fn status_line(&self) -> StatusLine {
        StatusLine {
            status: Some(self.status),
            before_appointment: self.status_before_appointment,
            appointment: self.appointment_booking_id.map(BookingId),
        }
    }

    /// Moves the status by `event` with `domain`'s status machine.
    fn follow_status(&mut self, event: &RequestEvent) {
        let line = self.status_line().apply(event);
        self.status = line.status.unwrap_or(self.status);
        self.status_before_appointment = line.before_appointment;
    }
}

pub(super) fn upsert_summaries_sql() -> String {
    let set: Vec<String> = SUMMARY_UPDATED_COLUMNS
        .iter()
        .map(|c| format!("{c} = EXCLUDED.{c}"))
        .collect();
    format!(
        "INSERT INTO request_summary \
         SELECT * FROM jsonb_populate_recordset(NULL::request_summary, $1) \
         ON CONFLICT (request_id) DO UPDATE SET {} \
         WHERE request_summary.version < EXCLUDED.version",
        set.join(", ")
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sql_knows_the_closed_status_by_name() {
        assert_eq!(Status::Chiusa.as_str(), "chiusa");
    }

    #[test]
    fn every_summary_field_but_the_key_is_updated() {
        let fields: Vec<String> = match serde_json::to_value(Summary {
            request_id: Uuid::nil(),
            protocol: String::new(),
            patronato: String::new(),
            office: String::new(),
            created_by: String::new(),
            created_by_role: String::new(),
            requester_kind: String::new(),
            codice_fiscale: None,
            citizen_surname: None,
            citizen_name: None,
            citizen_birth_date: None,
            referent_region: None,
            topic: String::new(),
            topic_label: String::new(),
            subtopic: None,
            subtopic_label: None,
            subject: String::new(),
            text: String::new(),
            notes: None,
            practice_ref_kind: None,
            practice_ref_value: None,
            status: Status::Inoltrata,
            current_sede: String::new(),
            origin_sede: String::new(),
            sent_at: Timestamp::UNIX_EPOCH,
            last_activity_at: Timestamp::UNIX_EPOCH,
            first_reply_at: None,
            last_reply_at: None,
            replies: 0,
            awaiting_reply_since: None,
            in_charge_by: None,
            interactions_used: 0,
            solleciti: 0,
            last_sollecito_at: None,
            appointment_enabled: false,
            closed_at: None,
            forwards: 0,
            attachments_count: 0,
            version: 0,
            last_position: 0,
            appointment_booking_id: None,
            appointment_start: None,
            status_before_appointment: None,
        })
        .unwrap()
        {
            Value::Object(map) => map.keys().cloned().collect(),
            _ => unreachable!(),
        };
        let mut expected: Vec<String> = SUMMARY_UPDATED_COLUMNS
            .iter()
            .map(|c| c.to_string())
            .collect();
        expected.push("request_id".into());
        let mut fields = fields;
        fields.sort();
        expected.sort();
        assert_eq!(fields, expected);
    }
}
