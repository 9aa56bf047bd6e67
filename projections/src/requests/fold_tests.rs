//! The `requests` read model's meaning, given/when/then, without PostgreSQL.

use super::*;
use crate::fixtures::*;
use crate::requests::rows::StoredAttachment;
use domain::booking::BookingId;
use domain::request::Request;
use std::collections::HashMap;

/// A request's rows after some events: the summary as the fold keeps it,
/// the attachments written before the batch, and the rows of the last batch.
struct Given {
    id: Uuid,
    events: Vec<RequestEvent>,
    summaries: HashMap<Uuid, Summary>,
    stored: StoredAttachments,
    rows: BatchRows,
}

fn given(events: impl IntoIterator<Item = RequestEvent>) -> Given {
    let mut g = Given {
        id: Uuid::now_v7(),
        events: Vec::new(),
        summaries: HashMap::new(),
        stored: StoredAttachments::new(),
        rows: BatchRows::default(),
    };
    for event in events {
        g = g.when(event);
    }
    g
}

impl Given {
    /// One more event, in a batch of its own.
    fn when(self, event: RequestEvent) -> Given {
        self.when_batch([event])
    }

    /// A batch of events; earlier batches' attachment rows count as written.
    fn when_batch(mut self, events: impl IntoIterator<Item = RequestEvent>) -> Given {
        for a in self.rows.attachments.drain(..) {
            let stored = StoredAttachment {
                sha256: a.sha256,
                filename: a.filename,
                media_type: a.media_type,
                size: a.size,
                removed: a.removed_at.is_some(),
            };
            self.stored.insert((a.request_id, a.attachment_id), stored);
        }
        for r in self.rows.removals.drain(..) {
            if let Some(a) = self.stored.get_mut(&(r.request_id, r.attachment_id)) {
                a.removed = true;
            }
        }
        self.rows.clear();
        let first = self.events.len();
        self.events.extend(events);
        let facts = facts(self.id, 100, &self.events);
        for f in &facts[first..] {
            apply(&mut self.summaries, &self.stored, &mut self.rows, f);
        }
        self
    }

    fn summary(&self) -> &Summary {
        &self.summaries[&self.id]
    }

    fn kinds(&self) -> Vec<&'static str> {
        self.rows.timeline.iter().map(|t| t.kind).collect()
    }
}

#[test]
fn a_sent_request_is_inoltrata_at_its_sede_awaiting_a_reply() {
    let pdf = attachment("domanda.pdf");
    let g = given([sent_to("ROMA01", day(0), vec![pdf.clone()])]);
    let s = g.summary();
    assert_eq!(s.status, Status::Inoltrata);
    assert_eq!(
        (s.current_sede.as_str(), s.origin_sede.as_str()),
        ("ROMA01", "ROMA01")
    );
    assert_eq!(s.awaiting_reply_since, Some(day(0)));
    assert_eq!(s.subject, "Prestazione in corso o respinta – NASpI");
    assert_eq!((s.version, s.last_position), (1, 100));
    assert_eq!(s.attachments_count, 1);
    assert_eq!(g.kinds(), ["sent"]);
    assert_eq!(g.rows.timeline[0].sede.as_deref(), Some("ROMA01"));
    assert_eq!(g.rows.attachments[0].attachment_id, pdf.id.0);
}

#[test]
fn a_reply_ends_the_wait_and_counts_once_as_the_first() {
    let g = given([sent(day(0)), reply("ROMA01", day(2))]).when(reply("ROMA01", day(5)));
    let s = g.summary();
    assert_eq!(s.status, Status::RispostaRicevuta);
    assert_eq!(s.awaiting_reply_since, None);
    assert_eq!(
        (s.first_reply_at, s.last_reply_at),
        (Some(day(2)), Some(day(5)))
    );
    assert_eq!(s.replies, 2);
    assert_eq!(s.last_activity_at, day(5));
}

#[test]
fn the_lists_keep_the_start_of_the_last_reply() {
    let g = given([sent(day(0))]);
    assert_eq!(g.summary().last_reply_excerpt, None);
    let long = |text: &str| RequestEvent::ReplyReceived {
        by: user("officer1"),
        sede: sede("ROMA01"),
        text: text.into(),
        attachments: Vec::new(),
        at: day(3),
    };
    let g = g.when(reply("ROMA01", day(2)));
    assert_eq!(
        g.summary().last_reply_excerpt.as_deref(),
        Some("Serve l'ISEE.")
    );
    // The last reply replaces the first; lines and runs of spaces fold.
    let text = "Gentile operatore,\n\nla   pratica è stata lavorata. ".to_string()
        + &"Si allega il prospetto di liquidazione aggiornato. ".repeat(4);
    let g = g.when(long(&text));
    let shown = g.summary().last_reply_excerpt.clone().unwrap();
    assert!(shown.starts_with("Gentile operatore, la pratica è stata lavorata. Si allega"));
    assert!(shown.chars().count() <= EXCERPT_CHARS, "{shown}");
    assert!(
        shown.ends_with("liquidazione…"),
        "cut after a whole word: {shown}"
    );
}

#[test]
fn an_excerpt_cuts_on_a_word_and_says_so() {
    assert_eq!(excerpt("  breve\trisposta \n"), "breve risposta");
    let exact = "a".repeat(EXCERPT_CHARS);
    assert_eq!(excerpt(&exact), exact);
    let word = "é".repeat(EXCERPT_CHARS + 10);
    let cut = excerpt(&word);
    assert_eq!(cut.chars().count(), EXCERPT_CHARS);
    assert!(cut.ends_with('…'));
    let two = format!("{} fine", "x".repeat(EXCERPT_CHARS - 2));
    assert_eq!(excerpt(&two), format!("{}…", "x".repeat(EXCERPT_CHARS - 2)));
    assert_eq!(excerpt(""), "");
}

#[test]
fn a_forward_moves_the_request_and_the_timeline_names_the_sender() {
    let g =
        given([sent(day(0)), taken("ROMA01", day(1))]).when(forwarded("ROMA01", "MILA01", day(2)));
    let s = g.summary();
    assert_eq!(s.current_sede, "MILA01");
    assert_eq!(s.origin_sede, "ROMA01");
    assert_eq!(s.in_charge_by, None);
    assert_eq!(s.forwards, 1);
    assert_eq!(g.rows.timeline[0].sede.as_deref(), Some("ROMA01"));
    // A patronato event goes where the request is.
    let g = g.when(sollecito(1, day(20)));
    assert_eq!(g.rows.timeline[0].sede.as_deref(), Some("MILA01"));
    assert_eq!(g.summary().solleciti, 1);
}

#[test]
fn an_event_applied_twice_changes_nothing() {
    let g = given([sent(day(0)), reply("ROMA01", day(2))]);
    let before = serde_json::to_value(g.summary()).unwrap();
    let mut summaries = g.summaries.clone();
    let mut rows = BatchRows::default();
    for f in facts(g.id, 100, &g.events) {
        assert!(!apply(&mut summaries, &g.stored, &mut rows, &f));
    }
    assert_eq!(serde_json::to_value(&summaries[&g.id]).unwrap(), before);
}

#[test]
fn an_attachment_added_and_removed_in_one_batch_is_written_removed() {
    let isee = attachment("isee.pdf");
    let g = given([sent(day(0))]).when_batch([added(&isee, day(1)), removed(&isee, day(1))]);
    assert_eq!(g.summary().attachments_count, 0);
    assert_eq!(g.rows.attachments.len(), 1);
    assert_eq!(g.rows.attachments[0].removed_at, Some(day(1)));
    assert!(g.rows.removals.is_empty());
    assert_eq!(g.rows.timeline[1].attachments[0]["filename"], "isee.pdf");
}

#[test]
fn an_attachment_written_before_is_removed_once() {
    let isee = attachment("isee.pdf");
    let g = given([sent(day(0)), added(&isee, day(1))])
        .when_batch([removed(&isee, day(2)), removed(&isee, day(3))]);
    assert_eq!(g.summary().attachments_count, 0);
    assert_eq!(g.rows.removals.len(), 1);
    assert_eq!(g.rows.removals[0].removed_at, day(2));
    // Both removals show the attachment in the timeline.
    assert_eq!(g.rows.timeline[1].attachments[0]["filename"], "isee.pdf");
    // Removed already: a later batch's removal removes nothing.
    let g = g.when(removed(&isee, day(4)));
    assert!(g.rows.removals.is_empty());
    assert_eq!(g.summary().attachments_count, 0);
}

#[test]
fn an_attachment_the_request_never_had_is_shown_as_nothing() {
    let g = given([sent(day(0))]).when(removed(&attachment("altro.pdf"), day(1)));
    assert_eq!(g.rows.timeline[0].attachments, Value::Array(vec![]));
    assert!(g.rows.removals.is_empty());
    assert_eq!(g.summary().attachments_count, 0);
}

#[test]
fn a_stream_without_its_request_sent_only_gets_timeline_rows() {
    let g = given([reply("ROMA01", day(1))]);
    assert!(g.summaries.is_empty());
    assert_eq!(g.kinds(), ["reply"]);
}

#[test]
fn an_appointment_shows_until_cancelled_then_the_status_comes_back() {
    let b = BookingId::new();
    let g = given([
        sent(day(0)),
        reply("ROMA01", day(1)),
        enabled("ROMA01", day(1)),
    ])
    .when(booked(b, day(9), day(2)));
    let s = g.summary();
    assert_eq!(s.status, Status::AppuntamentoPrenotato);
    assert_eq!(s.status_before_appointment, Some(Status::RispostaRicevuta));
    assert_eq!(
        (s.appointment_booking_id, s.appointment_start),
        (Some(b.0), Some(day(9)))
    );
    // Another booking's cancellation changes nothing.
    let g = g.when(cancelled(BookingId::new(), day(3)));
    assert_eq!(g.summary().status, Status::AppuntamentoPrenotato);
    let g = g.when(cancelled(b, day(3)));
    let s = g.summary();
    assert_eq!(s.status, Status::RispostaRicevuta);
    assert_eq!(s.status_before_appointment, None);
    assert_eq!(
        (s.appointment_booking_id, s.appointment_start),
        (None, None)
    );
}

/// The status machine exists once: every event kind moves the read model's
/// status as it moves the aggregate's.
#[test]
fn the_summarys_status_is_the_aggregates_after_every_event_kind() {
    let isee = attachment("isee.pdf");
    let (first, second) = (BookingId::new(), BookingId::new());
    let history = [
        sent(day(0)),
        added(&isee, day(1)),
        taken("ROMA01", day(2)),
        removed(&isee, day(2)),
        enabled("ROMA01", day(2)),
        booked(first, day(9), day(3)),
        cancelled(BookingId::new(), day(3)),
        cancelled(first, day(3)),
        reply("ROMA01", day(4)),
        booked(second, day(9), day(4)),
        message(1, day(5)),
        cancelled(second, day(5)),
        sollecito(1, day(21)),
        forwarded("ROMA01", "MILA01", day(22)),
        closed("MILA01", day(23)),
        reply("MILA01", day(24)),
        booked(first, day(30), day(24)),
        cancelled(first, day(25)),
    ];
    let kinds: std::collections::HashSet<&str> = history.iter().map(|e| e.event_type()).collect();
    assert_eq!(kinds.len(), RequestEvent::TYPES.len(), "every event kind");
    let mut g = given([]);
    let mut seen = std::collections::HashSet::new();
    for (i, event) in history.iter().enumerate() {
        g = g.when(event.clone());
        let aggregate = Request::from_events(&history[..=i]);
        assert_eq!(
            Some(g.summary().status),
            aggregate.status,
            "after {}",
            event.event_type()
        );
        assert_eq!(
            g.summary().status_before_appointment,
            aggregate.status_before_appointment
        );
        seen.insert(g.summary().status);
    }
    assert_eq!(seen.len(), Status::ALL.len(), "every status");
}
