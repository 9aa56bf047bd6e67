//! The Italian *codice fiscale* of a natural person, parsed once at the edge.
//!
//! Layout (DM 23/12/1976), one-based positions:
//!
//! | positions | content                                                       |
//! |-----------|---------------------------------------------------------------|
//! | 1–3       | surname code (letters)                                        |
//! | 4–6       | name code (letters)                                           |
//! | 7–8       | last two digits of the birth year                             |
//! | 9         | birth month letter: `A B C D E H L M P R S T` (Jan..Dec)      |
//! | 10–11     | birth day `01`–`31` (men) or `41`–`71` (women: day + 40)      |
//! | 12–15     | Belfiore code of the place of birth: a letter and 3 digits    |
//! | 16        | check character                                               |
//!
//! *Omocodia*: when two people would get the same code, the Agenzia delle
//! Entrate replaces digits in the seven numeric positions (7, 8, 10, 11, 13, 14,
//! 15) with the letters `L M N P Q R S T U V` (standing for 0..9), right to
//! left, and recomputes the check character **on the code as written**. A
//! [`CodiceFiscale`] keeps the code as written; [`CodiceFiscale::base_code`]
//! gives the code every omocodia variant collapses to.
//!
//! Validation is structural: the day is checked against `1..=31` (or
//! `41..=71`) only, never against the month's length, so `30 February` is
//! accepted; [`CodiceFiscale::birth_date`] answers `None` for such a date. The
//! place code is not looked up in the Belfiore table (that is reference data).

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

mod check;
mod compose;
mod error;

use check::*;
pub use compose::compose;
pub use error::{CfError, NameField};

/// Length of a codice fiscale, check character included.
pub const CF_LENGTH: usize = 16;

/// Month letters, January first.
const MONTHS: [u8; 12] = *b"ABCDEHLMPRST";

/// The letters that replace the digits 0..9 in an omocodic code.
const OMOCODIA: [u8; 10] = *b"LMNPQRSTUV";

/// Zero-based indices of the seven numeric positions (7, 8, 10, 11, 13, 14, 15
/// one-based), left to right.
const NUMERIC_POSITIONS: [usize; 7] = [6, 7, 9, 10, 12, 13, 14];

/// Check-character values of a character in an odd (one-based) position, by
/// index (`A`/`0` = 0, `B`/`1` = 1, ..., `Z` = 25; digits share the value of
/// the letter with the same index).
const ODD_VALUES: [u8; 26] = [
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
];

// ---------------------------------------------------------------------------
// Sex
// ---------------------------------------------------------------------------

/// Sex as encoded in the codice fiscale (women have 40 added to the birth day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

// ---------------------------------------------------------------------------
// The value type
// ---------------------------------------------------------------------------

/// A structurally valid codice fiscale with a correct check character.
///
/// Invariant: 16 upper-case ASCII letters/digits that pass every rule of
/// [`CodiceFiscale::parse`]. The code is kept **as written**: omocodia letters
/// stay letters, so two omocodia variants are different values (they identify
/// different people); `Eq`, `Hash` and `Ord` compare the written code. Use
/// [`CodiceFiscale::base_code`] to group variants.
///
/// Serialised as its string; deserialisation goes through `parse`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CodiceFiscale(String);

impl CodiceFiscale {
    /// Parses a codice fiscale typed by a person.
    ///
    /// Normalisation: every whitespace character (leading, trailing or inner)
    /// is removed and ASCII letters are upper-cased. Any other non-ASCII-
    /// alphanumeric character is rejected, never transliterated (so `ſ` or a
    /// full-width `Ｒ` is an error). Then the rules, in this order:
    /// length 16; letters in 1–6; digits or omocodia letters in 7, 8;
    /// month letter in 9; digits or omocodia letters in 10, 11, forming a day
    /// in `01..=31` or `41..=71`; a letter in 12; digits or omocodia letters in
    /// 13–15, not `000`; the check character in 16, computed on positions
    /// 1–15 as written. Omocodia letters are accepted in any combination of
    /// the numeric positions, not only in the progressive right-to-left order.
    ///
    /// Never panics, whatever the input.
    pub fn parse(raw: &str) -> Result<Self, CfError> {
        let code = normalise(raw)?;
        if code.len() != CF_LENGTH {
            return Err(CfError::WrongLength {
                expected: CF_LENGTH,
                found: code.len(),
            });
        }
        let b = code.as_bytes();
        for (i, &c) in b[..6].iter().enumerate() {
            if !c.is_ascii_uppercase() {
                return Err(CfError::InvalidSurnameName {
                    position: i + 1,
                    found: c as char,
                });
            }
        }
        numeric_digit(b, 6)?;
        numeric_digit(b, 7)?;
        if !MONTHS.contains(&b[8]) {
            return Err(CfError::InvalidMonth {
                found: b[8] as char,
            });
        }
        let day = u32::from(numeric_digit(b, 9)?) * 10 + u32::from(numeric_digit(b, 10)?);
        if !((1..=31).contains(&day) || (41..=71).contains(&day)) {
            return Err(CfError::InvalidDay { day });
        }
        let bad_place = || CfError::InvalidPlace {
            found: code[11..15].to_string(),
        };
        if !b[11].is_ascii_uppercase() {
            return Err(bad_place());
        }
        let place_digits = [
            numeric_digit(b, 12)?,
            numeric_digit(b, 13)?,
            numeric_digit(b, 14)?,
        ];
        if place_digits == [0, 0, 0] {
            return Err(bad_place());
        }
        let expected = compute_check(&b[..15]);
        if b[15] != expected {
            return Err(CfError::InvalidCheckChar {
                found: b[15] as char,
                expected: expected as char,
            });
        }
        Ok(Self(code))
    }

    /// The check character of a code whose first 15 characters are `first15`.
    ///
    /// Contract: `first15` must be exactly 15 ASCII letters or digits (either
    /// case; whitespace is *not* removed). No other structural rule is
    /// checked, so a generator can compute the check character of any draft,
    /// omocodic or not. The character is computed on the text as written:
    /// an omocodia letter does not count as the digit it replaces.
    pub fn check_char(first15: &str) -> Result<char, CfError> {
        let mut upper = [0u8; 15];
        let mut len = 0usize;
        for (i, c) in first15.chars().enumerate() {
            if !c.is_ascii_alphanumeric() {
                return Err(CfError::InvalidCharacters {
                    character: c,
                    position: i + 1,
                });
            }
            if len < upper.len() {
                upper[len] = c.to_ascii_uppercase() as u8;
            }
            len += 1;
        }
        if len != 15 {
            return Err(CfError::WrongLength {
                expected: 15,
                found: len,
            });
        }
        Ok(compute_check(&upper) as char)
    }

    /// The code as written (16 upper-case characters, omocodia letters kept).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when at least one numeric position holds an omocodia letter.
    pub fn is_omocode(&self) -> bool {
        let b = self.0.as_bytes();
        NUMERIC_POSITIONS.iter().any(|&i| b[i].is_ascii_uppercase())
    }

    /// The code every omocodia variant collapses to: omocodia letters mapped
    /// back to digits in the seven numeric positions and the check character
    /// recomputed. Equal to [`as_str`](Self::as_str) when not
    /// [`is_omocode`](Self::is_omocode).
    pub fn base_code(&self) -> String {
        let mut first15 = self.first15();
        for &i in &NUMERIC_POSITIONS {
            first15[i] = b'0' + digit_value(first15[i]);
        }
        with_check(&first15)
    }

    /// The seven progressive omocodia variants of [`base_code`](Self::base_code),
    /// in the order the Agenzia delle Entrate assigns them: the first replaces
    /// the digit in position 15, the second positions 15 and 14, then 13, 11,
    /// 10, 8 and finally 7 (all seven numeric positions replaced). Each has its
    /// check character recomputed. `self` itself appears in the list only if
    /// it is one of these progressive variants.
    pub fn omocodia_variants(&self) -> Vec<CodiceFiscale> {
        let mut current = self.first15();
        for &i in &NUMERIC_POSITIONS {
            current[i] = b'0' + digit_value(current[i]);
        }
        NUMERIC_POSITIONS
            .iter()
            .rev()
            .map(|&i| {
                current[i] = OMOCODIA[usize::from(digit_value(current[i]))];
                CodiceFiscale(with_check(&current))
            })
            .collect()
    }

    /// Male for days `01..=31`, female for `41..=71`.
    pub fn sex(&self) -> Sex {
        if self.raw_day() > 40 {
            Sex::Female
        } else {
            Sex::Male
        }
    }

    /// Day of the month, `1..=31` (the +40 of women removed). Not checked
    /// against the month's length.
    pub fn birth_day_of_month(&self) -> u32 {
        let day = self.raw_day();
        if day > 40 {
            day - 40
        } else {
            day
        }
    }

    /// Month, `1..=12`.
    pub fn birth_month(&self) -> u32 {
        let letter = self.0.as_bytes()[8];
        MONTHS
            .iter()
            .position(|&m| m == letter)
            .map_or(0, |i| i as u32 + 1)
    }

    /// Last two digits of the birth year, `0..=99`.
    pub fn birth_year_two_digits(&self) -> u32 {
        self.digit_at(6) * 10 + self.digit_at(7)
    }

    /// The birth date, with the century chosen so that the birth **year** is
    /// not after `pivot_year`: the year is the only one in
    /// `(pivot_year - 100) ..= pivot_year` ending with the two encoded digits.
    /// Callers pass the current year (a birth in the current year counts as
    /// this century). `None` when that date does not exist (e.g. 30 February,
    /// or 29 February of a non-leap year) or is outside chrono's range.
    pub fn birth_date(&self, pivot_year: i32) -> Option<NaiveDate> {
        let yy = i64::from(self.birth_year_two_digits());
        let pivot = i64::from(pivot_year);
        let year = pivot - (pivot - yy).rem_euclid(100);
        NaiveDate::from_ymd_opt(
            i32::try_from(year).ok()?,
            self.birth_month(),
            self.birth_day_of_month(),
        )
    }

    /// The Belfiore code of the place of birth with digits restored (e.g.
    /// `H501` for Roma, `Z...` for a foreign state).
    pub fn place_code(&self) -> String {
        let b = self.0.as_bytes();
        let mut place = String::with_capacity(4);
        place.push(b[11] as char);
        for &c in &b[12..15] {
            place.push((b'0' + digit_value(c)) as char);
        }
        place
    }

    fn first15(&self) -> [u8; 15] {
        let mut out = [0u8; 15];
        out.copy_from_slice(&self.0.as_bytes()[..15]);
        out
    }

    /// Value of the numeric position `i` (zero-based), omocodia mapped back.
    fn digit_at(&self, i: usize) -> u32 {
        u32::from(digit_value(self.0.as_bytes()[i]))
    }

    fn raw_day(&self) -> u32 {
        self.digit_at(9) * 10 + self.digit_at(10)
    }
}

impl fmt::Display for CodiceFiscale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for CodiceFiscale {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for CodiceFiscale {
    type Err = CfError;
    fn from_str(s: &str) -> Result<Self, CfError> {
        Self::parse(s)
    }
}

impl TryFrom<String> for CodiceFiscale {
    type Error = CfError;
    fn try_from(s: String) -> Result<Self, CfError> {
        Self::parse(&s)
    }
}

impl TryFrom<&str> for CodiceFiscale {
    type Error = CfError;
    fn try_from(s: &str) -> Result<Self, CfError> {
        Self::parse(s)
    }
}

impl From<CodiceFiscale> for String {
    fn from(cf: CodiceFiscale) -> String {
        cf.0
    }
}

#[cfg(test)]
mod tests;
