//! What a reply means for the home panel: a pure function from the reply and
//! the `RequestSent` of its request (fetched before it runs) to the
//! `recent_replies` row.

use crate::events::{subject, RequestFact};
use chrono::SubsecRound;
use domain::request::{RequestEvent, RequestSent, Requester};
use domain::time::Timestamp;
use serde::Serialize;
use uuid::Uuid;

/// Characters of the reply kept in the panel.
const EXCERPT_CHARS: usize = 200;

/// One `recent_replies` row.
#[derive(Debug, Serialize)]
pub(super) struct ReplyRow<'a> {
    pub(super) request_id: Uuid,
    pub(super) version: i32,
    pub(super) replied_at: Timestamp,
    pub(super) replied_by: &'a str,
    pub(super) sede: &'a str,
    pub(super) created_by: &'a str,
    pub(super) patronato: &'a str,
    pub(super) office: &'a str,
    pub(super) protocol: &'a str,
    pub(super) codice_fiscale: Option<&'a str>,
    /// What the panel's filter by codice fiscale looks up.
    pub(super) citizen_pseudonym: Option<&'a str>,
    pub(super) subject: String,
    pub(super) excerpt: String,
}

/// The row of a reply to the request that `s` began (sealed for the citizen
/// `citizen`); `None` for any other event.
pub(super) fn reply_row<'a>(
    f: &'a RequestFact,
    s: &'a RequestSent,
    citizen: Option<&'a str>,
) -> Option<ReplyRow<'a>> {
    let RequestEvent::ReplyReceived {
        by, sede, text, at, ..
    } = &f.event
    else {
        return None;
    };
    Some(ReplyRow {
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
            Requester::Citizen(c) => c.codice_fiscale.known().map(|cf| cf.as_str()),
            Requester::OwnBehalf { .. } => None,
        },
        citizen_pseudonym: match &s.requester {
            Requester::Citizen(_) => citizen,
            Requester::OwnBehalf { .. } => None,
        },
        subject: subject(&s.topic_label, s.subtopic_label.as_deref()),
        excerpt: text.chars().take(EXCERPT_CHARS).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::*;

    #[test]
    fn a_reply_makes_a_row_with_its_request_and_an_excerpt_of_200_characters() {
        let RequestEvent::RequestSent(s) = sent(day(0)) else {
            unreachable!()
        };
        let long = RequestEvent::ReplyReceived {
            by: user("officer1"),
            sede: sede("ROMA01"),
            text: "è".repeat(250),
            attachments: Vec::new(),
            at: day(2),
        };
        let f = &facts(Uuid::now_v7(), 7, &[sent(day(0)), long])[1];
        let row = reply_row(f, &s, Some(CITIZEN)).expect("a row");
        assert_eq!((row.request_id, row.version), (f.request_id, 2));
        assert_eq!((row.replied_by, row.sede), ("officer1", "ROMA01"));
        assert_eq!(
            (row.created_by, row.patronato, row.office),
            ("op1", "INCA", "ROMA1")
        );
        assert_eq!(row.codice_fiscale, Some("RSSMRA85T10A562S"));
        assert_eq!(row.citizen_pseudonym, Some(CITIZEN));
        assert_eq!(row.subject, "Prestazione in corso o respinta – NASpI");
        assert_eq!(row.excerpt, "è".repeat(200));
        assert_eq!(row.replied_at, day(2));
    }

    #[test]
    fn other_events_make_no_row() {
        let RequestEvent::RequestSent(s) = sent(day(0)) else {
            unreachable!()
        };
        let f = &facts(Uuid::now_v7(), 1, &[sent(day(0)), message(1, day(1))])[1];
        assert!(reply_row(f, &s, Some(CITIZEN)).is_none());
    }
}
