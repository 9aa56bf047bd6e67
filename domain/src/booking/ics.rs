//! iCalendar (RFC 5545) for a confirmed booking: one VEVENT, times in UTC,
//! lines folded at 75 octets, text escaped.

use crate::time::Timestamp;

/// What the event shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcsEvent<'a> {
    /// Globally unique (the booking id and a domain).
    pub uid: &'a str,
    pub start: Timestamp,
    pub end: Timestamp,
    pub stamp: Timestamp,
    pub summary: &'a str,
    pub location: Option<&'a str>,
    pub description: &'a str,
    /// `CONFIRMED` or `CANCELLED`.
    pub cancelled: bool,
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line: at most 75 octets per line, continuation lines
/// start with a space; never splits a UTF-8 character.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
    out
}

fn stamp(t: Timestamp) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// The `text/calendar` body.
pub fn render(e: &IcsEvent<'_>) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".to_string(),
        "PRODID:-//INPS//combipat Sportelli di Sede//IT".to_string(),
        "CALSCALE:GREGORIAN".to_string(),
        format!("METHOD:{}", if e.cancelled { "CANCEL" } else { "PUBLISH" }),
        "BEGIN:VEVENT".to_string(),
        format!("UID:{}", escape(e.uid)),
        format!("DTSTAMP:{}", stamp(e.stamp)),
        format!("DTSTART:{}", stamp(e.start)),
        format!("DTEND:{}", stamp(e.end)),
        format!("SUMMARY:{}", escape(e.summary)),
        format!("DESCRIPTION:{}", escape(e.description)),
    ];
    if let Some(l) = e.location {
        lines.push(format!("LOCATION:{}", escape(l)));
    }
    lines.push(format!(
        "STATUS:{}",
        if e.cancelled {
            "CANCELLED"
        } else {
            "CONFIRMED"
        }
    ));
    if !e.cancelled {
        lines.extend([
            "BEGIN:VALARM".to_string(),
            "ACTION:DISPLAY".to_string(),
            "TRIGGER:-PT1H".to_string(),
            format!("DESCRIPTION:{}", escape(e.summary)),
            "END:VALARM".to_string(),
        ]);
    }
    lines.extend(["END:VEVENT".to_string(), "END:VCALENDAR".to_string()]);
    lines.iter().map(|l| fold(l)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn renders_a_folded_escaped_event() {
        let start = Utc.with_ymd_and_hms(2026, 1, 7, 8, 15, 0).unwrap();
        let long = "Motivo: estratto conto, certificazione unica; ".repeat(4);
        let body = render(&IcsEvent {
            uid: "abc@combipat",
            start,
            end: start + chrono::Duration::minutes(15),
            stamp: start - chrono::Duration::days(1),
            summary: "INPS – Servizi veloci",
            location: Some("ROMA MONTEVERDE, Via Lenin 45"),
            description: &long,
            cancelled: false,
        });
        assert!(body.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(body.contains("DTSTART:20260107T081500Z\r\n"));
        assert!(body.contains("DTEND:20260107T083000Z\r\n"));
        assert!(body.contains("LOCATION:ROMA MONTEVERDE\\, Via Lenin 45\r\n"));
        assert!(body.contains("STATUS:CONFIRMED"));
        assert!(body.ends_with("END:VCALENDAR\r\n"));
        for line in body.split("\r\n") {
            assert!(line.len() <= 75, "{line:?}");
        }
        assert!(body.contains("\r\n "), "long description folded");
    }
}
