//! What each request event means for the `requests` read model: a pure,
//! synchronous fold (no SQL, no cache). Given the summaries of the batch's
//! requests and the attachments it removes, each event changes its request's
//! summary (the status through `domain`'s status machine) and adds its
//! timeline, attachment and removal rows. `store.rs` fetches the rows first
//! and writes the result; how fast is its business, not this file's.
//!
//! Applying an event twice changes nothing: a summary only moves to a higher
//! stream version, and the writer inserts timeline and attachment rows once.

use super::rows::{
    micros, AttachmentRow, BatchRows, Entry, Removal, StoredAttachments, Summary, TimelineRow,
};
use crate::batch::RowSet;
use crate::events::{serde_name, subject, RequestFact};
use domain::actor::{PatronatoRole, Role, Side};
use domain::booking::BookingId;
use domain::ids::UserId;
use domain::request::{AttachmentRef, RequestEvent, RequestSent, Requester, Status, StatusLine};
use domain::time::Timestamp;
use serde_json::{json, Value};
use uuid::Uuid;

/// At most this many characters of the last reply in the lists.
pub(super) const EXCERPT_CHARS: usize = 140;

/// The start of `text` the history and the inbox show: whitespace folded to
/// single spaces, at most [`EXCERPT_CHARS`] characters, cut after the last
/// whole word that fits (a word longer than that is cut) with `…` when
/// anything was left out.
pub(super) fn excerpt(text: &str) -> String {
    let mut words = text.split_whitespace().peekable();
    let mut out = String::new();
    let mut chars = 0;
    while let Some(word) = words.next() {
        let sep = usize::from(!out.is_empty());
        let len = word.chars().count();
        // Room for the word and, if more follows, the ellipsis.
        let more = words.peek().is_some();
        if chars + sep + len + usize::from(more) <= EXCERPT_CHARS {
            if sep == 1 {
                out.push(' ');
            }
            out.push_str(word);
            chars += sep + len;
            continue;
        }
        if out.is_empty() {
            out.extend(word.chars().take(EXCERPT_CHARS - 1));
        }
        out.push('…');
        break;
    }
    out
}

/// Applies one event. Returns true when it created its request's summary
/// (a `RequestSent` seen for the first time).
pub(super) fn apply(
    summaries: &mut impl RowSet<Summary>,
    stored: &StoredAttachments,
    out: &mut BatchRows,
    f: &RequestFact,
) -> bool {
    Fold {
        summaries,
        stored,
        out,
    }
    .apply(f)
}

struct Fold<'a, S> {
    summaries: &'a mut S,
    stored: &'a StoredAttachments,
    out: &'a mut BatchRows,
}

impl<S: RowSet<Summary>> Fold<'_, S> {
    fn apply(&mut self, f: &RequestFact) -> bool {
        match &f.event {
            RequestEvent::RequestSent(sent) => return self.request_sent(f, sent),
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
                let (removed, held) = self.remove_attachment(f, attachment_id.0, by, *at);
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
                    s.last_reply_excerpt = Some(excerpt(text));
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
        false
    }

    /// The summary an event changes, moved to its version and status: `None`
    /// when the request has none (a stream without its `RequestSent`) or
    /// already holds this version.
    fn summary_for(&mut self, f: &RequestFact, at: Timestamp) -> Option<&mut Summary> {
        if self.summaries.get(&f.request_id)?.version >= f.version {
            return None;
        }
        let summary = self.summaries.change(&f.request_id)?;
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
        self.out.timeline.push(TimelineRow {
            request_id: f.request_id,
            version: f.version,
            at: micros(e.at),
            kind: e.kind,
            actor_id: e.actor.to_string(),
            actor_role: f.actor_role.map(Role::as_str),
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
            self.out.attachments.push(AttachmentRow {
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
    fn remove_attachment(
        &mut self,
        f: &RequestFact,
        attachment_id: Uuid,
        by: &UserId,
        at: Timestamp,
    ) -> (Option<Value>, bool) {
        let shown = |sha256: &str, filename: &str, media_type: &str, size: i64| {
            json!({"id": attachment_id, "sha256": sha256, "filename": filename,
                   "media_type": media_type, "size": size})
        };
        // Added in this batch: not in the table yet.
        if let Some(row) = self
            .out
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
            return (Some(json), held);
        }
        let Some(stored) = self.stored.get(&(f.request_id, attachment_id)) else {
            return (None, false);
        };
        let removed_in_batch = self
            .out
            .removals
            .iter()
            .any(|r| r.request_id == f.request_id && r.attachment_id == attachment_id);
        let held = !stored.removed && !removed_in_batch;
        if held {
            self.out.removals.push(Removal {
                request_id: f.request_id,
                attachment_id,
                removed_at: micros(at),
                removed_by: by.to_string(),
            });
        }
        let json = shown(
            &stored.sha256,
            &stored.filename,
            &stored.media_type,
            stored.size,
        );
        (Some(json), held)
    }

    fn request_sent(&mut self, f: &RequestFact, s: &RequestSent) -> bool {
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
        if self.summaries.get(&f.request_id).is_some() {
            return false;
        }
        self.summaries.insert_new(f.request_id, Summary::sent(f, s));
        true
    }
}

impl Summary {
    /// A request's summary as its `RequestSent` makes it.
    fn sent(f: &RequestFact, s: &RequestSent) -> Summary {
        let (kind, citizen, region) = match &s.requester {
            Requester::Citizen(c) => ("citizen", Some(c), None),
            Requester::OwnBehalf { region } => ("own_behalf", None, Some(region.to_string())),
        };
        let role = match s.by_role {
            PatronatoRole::Operator => "operator",
            PatronatoRole::Admin => "patronato_admin",
            PatronatoRole::RegionalReferent => "regional_referent",
        };
        let at = micros(s.at);
        Summary {
            request_id: f.request_id,
            protocol: s.protocol.to_string(),
            patronato: s.patronato.to_string(),
            office: s.office.to_string(),
            created_by: s.by.to_string(),
            created_by_role: role.to_string(),
            requester_kind: kind.to_string(),
            codice_fiscale: citizen.map(|c| c.codice_fiscale.to_string()),
            citizen_pseudonym: citizen.and(f.citizen.clone()),
            citizen_surname: citizen.map(|c| c.surname.clone()),
            citizen_name: citizen.map(|c| c.name.clone()),
            citizen_birth_date: citizen.and_then(|c| c.birth_date.known().copied()),
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
            last_reply_excerpt: None,
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
        }
    }

    /// Moves the status by `event` with `domain`'s status machine.
    fn follow_status(&mut self, event: &RequestEvent) {
        let line = StatusLine {
            status: Some(self.status),
            before_appointment: self.status_before_appointment,
            appointment: self.appointment_booking_id.map(BookingId),
        }
        .apply(event);
        self.status = line.status.unwrap_or(self.status);
        self.status_before_appointment = line.before_appointment;
    }
}

#[cfg(test)]
#[path = "fold_tests.rs"]
mod tests;
