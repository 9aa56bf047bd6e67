//! Shared pieces of the list queries: keyset cursors, pages, time ranges and
//! substring patterns.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Rome;
use domain::time::Timestamp;
use serde::{Serialize, Serializer};
use uuid::Uuid;

/// Rows a page may hold at most (and at least 1).
pub const MAX_LIMIT: u32 = 100;

/// The rows of a page must be clamped to `1..=MAX_LIMIT`.
pub(crate) fn clamp_limit(limit: u32) -> i64 {
    i64::from(limit.clamp(1, MAX_LIMIT))
}

/// Where a page ended, as an opaque token for the next request: the sort key of
/// the last row (instant, id, and a version where rows share an id). Keyset
/// pagination: rows inserted meanwhile never shift a later page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub(crate) at: Timestamp,
    pub(crate) id: Uuid,
    pub(crate) version: i32,
}

/// A cursor string that this service did not make.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cursore di paginazione non valido")]
pub struct CursorError;

impl Cursor {
    pub(crate) fn new(at: Timestamp, id: Uuid, version: i32) -> Cursor {
        Cursor { at, id, version }
    }

    /// The token: 56 lower-case hex digits (microseconds, id, version).
    pub fn encode(&self) -> String {
        let mut bytes = Vec::with_capacity(28);
        bytes.extend_from_slice(&self.at.timestamp_micros().to_be_bytes());
        bytes.extend_from_slice(self.id.as_bytes());
        bytes.extend_from_slice(&self.version.to_be_bytes());
        hex::encode(bytes)
    }

    pub fn decode(token: &str) -> Result<Cursor, CursorError> {
        let bytes = hex::decode(token.trim()).map_err(|_| CursorError)?;
        if bytes.len() != 28 {
            return Err(CursorError);
        }
        let micros = i64::from_be_bytes(bytes[0..8].try_into().expect("8 bytes"));
        // Only instants PostgreSQL can compare with a timestamptz: chrono reaches
        // far beyond its range, and a forged cursor must not become a 500.
        let at = DateTime::<Utc>::from_timestamp_micros(micros)
            .filter(|at| (1970..=9999).contains(&at.year()))
            .ok_or(CursorError)?;
        let id = Uuid::from_slice(&bytes[8..24]).map_err(|_| CursorError)?;
        let version = i32::from_be_bytes(bytes[24..28].try_into().expect("4 bytes"));
        Ok(Cursor { at, id, version })
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.encode())
    }
}

impl std::str::FromStr for Cursor {
    type Err = CursorError;
    fn from_str(s: &str) -> Result<Cursor, CursorError> {
        Cursor::decode(s)
    }
}

impl Serialize for Cursor {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.encode())
    }
}

/// One page of a list, newest first, and the cursor of the next page (`None`
/// on the last one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<Cursor>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows: the extra row only says
    /// that a next page exists.
    pub(crate) fn from_rows(mut rows: Vec<T>, limit: i64, key: impl Fn(&T) -> Cursor) -> Page<T> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = if more { rows.last().map(key) } else { None };
        Page {
            items: rows,
            next_cursor,
        }
    }
}

/// A half-open interval of instants `[from, to)`; either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeRange {
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

impl TimeRange {
    /// Every instant.
    pub const ALL: TimeRange = TimeRange {
        from: None,
        to: None,
    };

    /// Whole calendar days in Europe/Rome, `first` and `last` included.
    pub fn rome_days(first: Option<NaiveDate>, last: Option<NaiveDate>) -> TimeRange {
        TimeRange {
            from: first.map(rome_midnight),
            to: last.and_then(|d| d.succ_opt()).map(rome_midnight),
        }
    }

    /// One calendar day in Europe/Rome.
    pub fn rome_day(day: NaiveDate) -> TimeRange {
        TimeRange::rome_days(Some(day), Some(day))
    }
}

/// The instant a calendar day starts in Europe/Rome (Italian DST changes at
/// 02:00/03:00, so midnight always exists).
fn rome_midnight(day: NaiveDate) -> Timestamp {
    let local = day.and_hms_opt(0, 0, 0).expect("midnight exists");
    Rome.from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&local))
}

/// An `ILIKE` pattern matching `needle` anywhere, with `%`, `_` and `\`
/// taken literally; `None` for a blank needle.
pub(crate) fn contains_pattern(needle: Option<&str>) -> Option<String> {
    let needle = needle.map(str::trim).filter(|n| !n.is_empty())?;
    let mut p = String::with_capacity(needle.len() + 2);
    p.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_refuses_garbage() {
        let c = Cursor::new(
            Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap(),
            Uuid::now_v7(),
            7,
        );
        assert_eq!(Cursor::decode(&c.encode()), Ok(c));
        assert_eq!(Cursor::decode("zz"), Err(CursorError));
        assert_eq!(Cursor::decode(&c.encode()[2..]), Err(CursorError));
    }

    #[test]
    fn cursors_with_instants_postgresql_cannot_hold_are_refused() {
        // "f000…" was a 500 ("timestamp out of range") before the year check.
        let forged = format!("f000{}", "0".repeat(52));
        assert_eq!(Cursor::decode(&forged), Err(CursorError));
        let year_10000 = Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap();
        let c = Cursor::new(year_10000, Uuid::nil(), 0);
        assert_eq!(Cursor::decode(&c.encode()), Err(CursorError));
    }

    #[test]
    fn rome_days_are_half_open_in_local_time() {
        let d = NaiveDate::from_ymd_opt(2026, 7, 10).unwrap();
        let r = TimeRange::rome_day(d);
        assert_eq!(
            r.from,
            Some(Utc.with_ymd_and_hms(2026, 7, 9, 22, 0, 0).unwrap())
        );
        assert_eq!(
            r.to,
            Some(Utc.with_ymd_and_hms(2026, 7, 10, 22, 0, 0).unwrap())
        );
        let winter = TimeRange::rome_days(NaiveDate::from_ymd_opt(2026, 1, 10), None);
        assert_eq!(
            winter.from,
            Some(Utc.with_ymd_and_hms(2026, 1, 9, 23, 0, 0).unwrap())
        );
        assert_eq!(winter.to, None);
    }

    #[test]
    fn patterns_take_wildcards_literally() {
        assert_eq!(contains_pattern(Some("  ")), None);
        assert_eq!(
            contains_pattern(Some(" 50%_a\\ ")).unwrap(),
            "%50\\%\\_a\\\\%"
        );
    }
}
