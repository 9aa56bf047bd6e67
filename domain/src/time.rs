//! Calendar rules. Instants are UTC; days are calendar days in Europe/Rome for
//! display, while the 15-day standard is 15 × 24 h from the instant that starts it
//! (see docs/decisions.md).

use chrono::{DateTime, Datelike, Duration, Utc};
use chrono_tz::Europe::Rome;

pub type Timestamp = DateTime<Utc>;

/// The response-time standard: 15 days of 24 hours.
pub fn standard_response_time() -> Duration {
    Duration::days(15)
}

/// "07/12 alle 10:31" in Europe/Rome, as the operator reads it.
pub fn format_rome_short(at: Timestamp) -> String {
    at.with_timezone(&Rome)
        .format("%d/%m alle %H:%M")
        .to_string()
}

/// "07/12/2026 10:31" in Europe/Rome.
pub fn format_rome_long(at: Timestamp) -> String {
    at.with_timezone(&Rome).format("%d/%m/%Y %H:%M").to_string()
}

/// The calendar year in Europe/Rome (protocol numbers restart every year).
pub fn rome_year(at: Timestamp) -> i32 {
    at.with_timezone(&Rome).year()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn rome_year_turns_at_local_midnight() {
        let utc = Utc.with_ymd_and_hms(2026, 12, 31, 23, 30, 0).unwrap();
        assert_eq!(rome_year(utc), 2027);
        assert_eq!(format_rome_short(utc), "01/01 alle 00:30");
    }
}
