//! Italian public holidays: the national ones (fixed dates, Easter Monday
//! computed) and a city's patron saint's day (reference data, passed in).

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// Easter Sunday of the Gregorian calendar (anonymous algorithm of Meeus,
/// Jones and Butcher), for any year the calendar covers.
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("Easter is a valid date")
}

/// "Lunedì dell'Angelo": the day after Easter Sunday.
pub fn easter_monday(year: i32) -> NaiveDate {
    easter_sunday(year) + Duration::days(1)
}

/// Fixed national holidays: (month, day, name, first year it applies).
const FIXED: &[(u32, u32, &str, i32)] = &[
    (1, 1, "Capodanno", 0),
    (1, 6, "Epifania", 0),
    (4, 25, "Festa della Liberazione", 0),
    (5, 1, "Festa del Lavoro", 0),
    (6, 2, "Festa della Repubblica", 0),
    (8, 15, "Ferragosto", 0),
    // Restored as a national holiday from 2026 (legge 11 ottobre 2025).
    (10, 4, "San Francesco d'Assisi, patrono d'Italia", 2026),
    (11, 1, "Ognissanti", 0),
    (12, 8, "Immacolata Concezione", 0),
    (12, 25, "Natale", 0),
    (12, 26, "Santo Stefano", 0),
];

/// The national holiday on `date`, if any (Easter Sunday is a Sunday and
/// named too, for completeness).
pub fn national_holiday(date: NaiveDate) -> Option<&'static str> {
    let (m, d, y) = (date.month(), date.day(), date.year());
    if let Some((_, _, name, _)) = FIXED
        .iter()
        .find(|(fm, fd, _, from)| *fm == m && *fd == d && y >= *from)
    {
        return Some(name);
    }
    if date == easter_sunday(y) {
        return Some("Pasqua");
    }
    if date == easter_monday(y) {
        return Some("Lunedì dell'Angelo");
    }
    None
}

/// A city's patron saint's day ("festa del santo patrono"): a local holiday
/// on which the city's sedi are closed. Reference data (`ref_patron_days`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatronDay {
    pub month: u32,
    pub day: u32,
    /// E.g. "Santi Pietro e Paolo".
    pub saint: String,
}

impl PatronDay {
    pub fn falls_on(&self, date: NaiveDate) -> bool {
        date.month() == self.month && date.day() == self.day
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn easter_of_known_years() {
        for (y, m, d) in [
            (2000, 4, 23),
            (2008, 3, 23),
            (2011, 4, 24),
            (2019, 4, 21),
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2038, 4, 25),
            (2285, 3, 22),
        ] {
            assert_eq!(easter_sunday(y), ymd(y, m, d), "{y}");
        }
        assert_eq!(easter_monday(2026), ymd(2026, 4, 6));
    }

    #[test]
    fn easter_is_always_a_sunday_between_march_22_and_april_25() {
        for y in 1900..2200 {
            let e = easter_sunday(y);
            assert_eq!(e.weekday(), chrono::Weekday::Sun, "{y}");
            assert!(e >= ymd(y, 3, 22) && e <= ymd(y, 4, 25), "{y}");
        }
    }

    #[test]
    fn national_holidays() {
        assert_eq!(national_holiday(ymd(2026, 12, 25)), Some("Natale"));
        assert_eq!(
            national_holiday(ymd(2026, 4, 6)),
            Some("Lunedì dell'Angelo")
        );
        assert_eq!(
            national_holiday(ymd(2026, 6, 2)),
            Some("Festa della Repubblica")
        );
        assert!(national_holiday(ymd(2025, 10, 4)).is_none());
        assert!(national_holiday(ymd(2026, 10, 4)).is_some());
        assert!(national_holiday(ymd(2026, 4, 7)).is_none());
        assert!(national_holiday(ymd(2026, 6, 29)).is_none());
    }
}
