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
// Errors
// ---------------------------------------------------------------------------

/// Which personal name a [`compose`] error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameField {
    Surname,
    Name,
}

impl fmt::Display for NameField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameField::Surname => "cognome",
            NameField::Name => "nome",
        })
    }
}

/// Why a string is not a valid codice fiscale (or why one cannot be composed).
///
/// Each variant has a stable machine-readable [`code`](CfError::code) and an
/// Italian message (its `Display`). Positions are one-based and count the
/// characters of the normalised code (whitespace removed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CfError {
    /// Nothing but whitespace.
    #[error("Il codice fiscale è vuoto")]
    Empty,
    /// A character that is not an ASCII letter or digit (after removing whitespace).
    #[error(
        "Il codice fiscale contiene un carattere non ammesso ({character:?} in posizione {position}): \
         sono ammesse solo lettere e cifre"
    )]
    InvalidCharacters { character: char, position: usize },
    /// Not the expected number of characters.
    #[error("Il codice fiscale deve essere di {expected} caratteri, ne contiene {found}")]
    WrongLength { expected: usize, found: usize },
    /// A non-letter in positions 1–6 (surname and name codes).
    #[error(
        "Le prime sei posizioni del codice fiscale (cognome e nome) devono essere lettere: \
         {found:?} in posizione {position} non è ammesso"
    )]
    InvalidSurnameName { position: usize, found: char },
    /// Position 9 is not one of `A B C D E H L M P R S T`.
    #[error(
        "Il mese di nascita del codice fiscale non è valido ({found:?}): \
         sono ammesse le lettere A B C D E H L M P R S T"
    )]
    InvalidMonth { found: char },
    /// Positions 10–11 (omocodia letters mapped back) are not in `01..=31` or `41..=71`.
    #[error(
        "Il giorno di nascita del codice fiscale non è valido ({day:02}): \
         sono ammessi i valori da 01 a 31 e, per le donne, da 41 a 71"
    )]
    InvalidDay { day: u32 },
    /// Position 12 is not a letter, or positions 13–15 are `000`.
    #[error("Il codice del luogo di nascita del codice fiscale non è valido ({found})")]
    InvalidPlace { found: String },
    /// Position 16 is not the check character computed on positions 1–15.
    #[error("Il carattere di controllo del codice fiscale non è corretto")]
    InvalidCheckChar { found: char, expected: char },
    /// A letter outside `L M N P Q R S T U V` in one of the seven numeric positions.
    #[error(
        "Il carattere {found:?} in posizione {position} del codice fiscale non è ammesso: \
         sono ammesse solo cifre o le lettere di omocodia L M N P Q R S T U V"
    )]
    InvalidOmocodia { position: usize, found: char },
    /// [`compose`]: the surname or name has no letter at all.
    #[error("Il {field} non contiene lettere utilizzabili per il codice fiscale")]
    NameWithoutLetters { field: NameField },
    /// [`compose`]: the surname or name contains a character that is neither a
    /// letter (accented letters included) nor a space, apostrophe, hyphen or dot.
    #[error("Il {field} contiene un carattere non ammesso: {character:?}")]
    NameInvalidCharacter { field: NameField, character: char },
}

impl CfError {
    /// Stable snake_case code, for problem+json answers and logs.
    pub fn code(&self) -> &'static str {
        match self {
            CfError::Empty => "cf_empty",
            CfError::InvalidCharacters { .. } => "cf_invalid_characters",
            CfError::WrongLength { .. } => "cf_wrong_length",
            CfError::InvalidSurnameName { .. } => "cf_invalid_surname_name",
            CfError::InvalidMonth { .. } => "cf_invalid_month",
            CfError::InvalidDay { .. } => "cf_invalid_day",
            CfError::InvalidPlace { .. } => "cf_invalid_place",
            CfError::InvalidCheckChar { .. } => "cf_invalid_check_char",
            CfError::InvalidOmocodia { .. } => "cf_invalid_omocodia",
            CfError::NameWithoutLetters { .. } => "cf_name_without_letters",
            CfError::NameInvalidCharacter { .. } => "cf_name_invalid_character",
        }
    }
}

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

// ---------------------------------------------------------------------------
// Composition
// ---------------------------------------------------------------------------

/// Builds the (non-omocodic) codice fiscale of a person.
///
/// - Surname code: its consonants in order, then its vowels, then `X`
///   padding; the first three.
/// - Name code: if the name has 4 or more consonants, the 1st, 3rd and 4th;
///   otherwise as for the surname.
/// - Letters are upper-cased; common accented letters lose their accent
///   (`à`→`A`, `é`→`E`, `ç`→`C`, `ñ`→`N`, `š`→`S`, ...); spaces, apostrophes
///   (`'`, `’`), hyphens and dots are ignored. Vowels are `A E I O U`; every
///   other letter (`J K W X Y` included) is a consonant. Any other character
///   is [`CfError::NameInvalidCharacter`]; a surname or name without letters
///   is [`CfError::NameWithoutLetters`].
/// - Year: `birth.year()` modulo 100; month letter; day, +40 for women.
/// - `place_code`: a Belfiore code, one letter and three digits not `000`
///   (trimmed, case-insensitive); otherwise [`CfError::InvalidPlace`].
///
/// The result always satisfies [`CodiceFiscale::parse`].
pub fn compose(
    surname: &str,
    name: &str,
    birth: NaiveDate,
    sex: Sex,
    place_code: &str,
) -> Result<CodiceFiscale, CfError> {
    let surname_letters = name_letters(NameField::Surname, surname)?;
    let name_letters = name_letters(NameField::Name, name)?;
    let place = place_code.trim().to_ascii_uppercase();
    let pb = place.as_bytes();
    let place_ok = pb.len() == 4
        && pb[0].is_ascii_uppercase()
        && pb[1..].iter().all(u8::is_ascii_digit)
        && &pb[1..] != b"000";
    if !place_ok {
        return Err(CfError::InvalidPlace {
            found: place_code.to_string(),
        });
    }

    let mut first15 = [0u8; 15];
    first15[..3].copy_from_slice(&surname_code(&surname_letters));
    first15[3..6].copy_from_slice(&name_code(&name_letters));
    let yy = birth.year().rem_euclid(100) as u8;
    first15[6] = b'0' + yy / 10;
    first15[7] = b'0' + yy % 10;
    first15[8] = MONTHS[birth.month0() as usize];
    let day = birth.day() as u8
        + match sex {
            Sex::Male => 0,
            Sex::Female => 40,
        };
    first15[9] = b'0' + day / 10;
    first15[10] = b'0' + day % 10;
    first15[11..15].copy_from_slice(pb);
    Ok(CodiceFiscale(with_check(&first15)))
}

fn is_vowel(c: u8) -> bool {
    matches!(c, b'A' | b'E' | b'I' | b'O' | b'U')
}

/// Consonants, then vowels, then `X`; the first three.
fn surname_code(letters: &[u8]) -> [u8; 3] {
    let mut out = [b'X'; 3];
    let ordered = letters
        .iter()
        .filter(|&&c| !is_vowel(c))
        .chain(letters.iter().filter(|&&c| is_vowel(c)));
    for (slot, &c) in out.iter_mut().zip(ordered) {
        *slot = c;
    }
    out
}

/// 1st, 3rd and 4th consonant when there are at least four; else as surname.
fn name_code(letters: &[u8]) -> [u8; 3] {
    let consonants: Vec<u8> = letters.iter().copied().filter(|&c| !is_vowel(c)).collect();
    if consonants.len() >= 4 {
        [consonants[0], consonants[2], consonants[3]]
    } else {
        surname_code(letters)
    }
}

/// The upper-case ASCII letters of a surname or name, accents stripped.
fn name_letters(field: NameField, raw: &str) -> Result<Vec<u8>, CfError> {
    let mut out = Vec::with_capacity(raw.len());
    for c in raw.chars() {
        if c.is_whitespace() || matches!(c, '\'' | '’' | '‘' | '`' | '´' | '-' | '.') {
            continue;
        }
        let letter = if c.is_ascii_alphabetic() {
            c.to_ascii_uppercase()
        } else {
            strip_accent(c).ok_or(CfError::NameInvalidCharacter {
                field,
                character: c,
            })?
        };
        out.push(letter as u8);
    }
    if out.is_empty() {
        return Err(CfError::NameWithoutLetters { field });
    }
    Ok(out)
}

/// The upper-case ASCII base letter of a common accented letter.
fn strip_accent(c: char) -> Option<char> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'A',
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'E',
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'I',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => 'O',
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'U',
        'ç' | 'č' | 'ć' | 'Ç' | 'Č' | 'Ć' => 'C',
        'ñ' | 'Ñ' => 'N',
        'š' | 'Š' => 'S',
        'ž' | 'Ž' => 'Z',
        'ý' | 'ÿ' | 'Ý' => 'Y',
        _ => return None,
    })
}

// ---------------------------------------------------------------------------
// Algorithm helpers (inputs already validated as upper-case ASCII alphanumerics)
// ---------------------------------------------------------------------------

/// Removes whitespace, rejects non-ASCII-alphanumerics, upper-cases.
fn normalise(raw: &str) -> Result<String, CfError> {
    let mut out = String::with_capacity(CF_LENGTH);
    for (i, c) in raw.chars().filter(|c| !c.is_whitespace()).enumerate() {
        if !c.is_ascii_alphanumeric() {
            return Err(CfError::InvalidCharacters {
                character: c,
                position: i + 1,
            });
        }
        out.push(c.to_ascii_uppercase());
    }
    if out.is_empty() {
        return Err(CfError::Empty);
    }
    Ok(out)
}

/// The digit in numeric position `i` (zero-based) of a normalised code:
/// a digit, or an omocodia letter mapped back.
fn numeric_digit(b: &[u8], i: usize) -> Result<u8, CfError> {
    let c = b[i];
    if c.is_ascii_digit() {
        Ok(c - b'0')
    } else if let Some(d) = OMOCODIA.iter().position(|&l| l == c) {
        Ok(d as u8)
    } else {
        Err(CfError::InvalidOmocodia {
            position: i + 1,
            found: c as char,
        })
    }
}

/// Digit value of a validated numeric-position character.
fn digit_value(c: u8) -> u8 {
    if c.is_ascii_digit() {
        c - b'0'
    } else {
        OMOCODIA.iter().position(|&l| l == c).unwrap_or(0) as u8
    }
}

/// `0`..`9` → 0..9, `A`..`Z` → 0..25.
fn char_index(c: u8) -> usize {
    debug_assert!(c.is_ascii_digit() || c.is_ascii_uppercase());
    match c {
        b'0'..=b'9' => usize::from(c - b'0'),
        b'A'..=b'Z' => usize::from(c - b'A'),
        _ => 0,
    }
}

/// The check character of 15 upper-case ASCII alphanumerics: odd (one-based)
/// positions are worth [`ODD_VALUES`], even ones their index; the sum modulo
/// 26 is the letter.
fn compute_check(first15: &[u8]) -> u8 {
    let sum: usize = first15
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let idx = char_index(c);
            if i % 2 == 0 {
                usize::from(ODD_VALUES[idx])
            } else {
                idx
            }
        })
        .sum();
    b'A' + (sum % 26) as u8
}

/// `first15` followed by its check character, as a `String`.
fn with_check(first15: &[u8; 15]) -> String {
    let mut s: String = first15.iter().map(|&c| c as char).collect();
    s.push(compute_check(first15) as char);
    s
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    /// A 16-character code from a 15-character draft and its computed check.
    fn draft(first15: &str) -> String {
        let check = CodiceFiscale::check_char(first15).expect("valid draft");
        format!("{first15}{check}")
    }

    fn err(raw: &str) -> CfError {
        CodiceFiscale::parse(raw).expect_err(raw)
    }

    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    // --- known examples ----------------------------------------------------

    #[test]
    fn famous_example_parses_and_composes() {
        let cf = CodiceFiscale::parse("RSSMRA85T10A562S").unwrap();
        assert_eq!(cf.as_str(), "RSSMRA85T10A562S");
        assert_eq!(cf.sex(), Sex::Male);
        assert_eq!(cf.birth_day_of_month(), 10);
        assert_eq!(cf.birth_month(), 12);
        assert_eq!(cf.birth_year_two_digits(), 85);
        assert_eq!(cf.birth_date(2025), Some(date(1985, 12, 10)));
        assert_eq!(cf.place_code(), "A562");
        assert!(!cf.is_omocode());
        assert_eq!(cf.base_code(), cf.as_str());
        assert_eq!(
            compose("Rossi", "Mario", date(1985, 12, 10), Sex::Male, "A562").unwrap(),
            cf
        );
    }

    #[test]
    fn textbook_example_matteo_moretti() {
        // The worked example of the Italian literature: Matteo Moretti, born
        // in Milano (F205) on 9 April 1925.
        let cf = compose("Moretti", "Matteo", date(1925, 4, 9), Sex::Male, "F205").unwrap();
        assert_eq!(cf.as_str(), "MRTMTT25D09F205Z");
        // The two digits alone are ambiguous: the pivot decides the century.
        assert_eq!(cf.birth_date(2024), Some(date(1925, 4, 9)));
        assert_eq!(cf.birth_date(2025), Some(date(2025, 4, 9)));
    }

    #[test]
    fn women_have_day_plus_40() {
        let cf = compose("Rossi", "Maria", date(1985, 12, 10), Sex::Female, "H501").unwrap();
        assert_eq!(&cf.as_str()[9..11], "50");
        assert_eq!(cf.sex(), Sex::Female);
        assert_eq!(cf.birth_day_of_month(), 10);
        assert_eq!(cf.birth_date(2025), Some(date(1985, 12, 10)));
        assert_eq!(cf.place_code(), "H501");
        let first = compose("Bianchi", "Anna", date(2001, 1, 1), Sex::Female, "F205").unwrap();
        assert_eq!(&first.as_str()[9..11], "41");
        let last = compose("Bianchi", "Anna", date(2001, 1, 31), Sex::Female, "F205").unwrap();
        assert_eq!(&last.as_str()[9..11], "71");
    }

    #[test]
    fn surname_and_name_rules() {
        assert_eq!(surname_code(b"ROSSI"), *b"RSS");
        assert_eq!(surname_code(b"FO"), *b"FOX");
        assert_eq!(surname_code(b"AIA"), *b"AIA");
        assert_eq!(surname_code(b"EA"), *b"EAX");
        assert_eq!(surname_code(b"BIANCHI"), *b"BNC");
        assert_eq!(surname_code(b"DELUCA"), *b"DLC");
        assert_eq!(name_code(b"GIANFRANCO"), *b"GFR"); // G N F R N C: 1st, 3rd, 4th
        assert_eq!(name_code(b"MARIO"), *b"MRA");
        assert_eq!(name_code(b"ALESSANDRO"), *b"LSN"); // L S S N D R: 1st, 3rd, 4th
        assert_eq!(name_code(b"LUCA"), *b"LCU");
        assert_eq!(name_code(b"BO"), *b"BOX");
        let cf = compose(
            "D'Àngelo",
            "Niccolò  Maria",
            date(1970, 7, 4),
            Sex::Male,
            " h501 ",
        )
        .unwrap();
        // Surname consonants D N G L; name consonants N C C L M R: 1st, 3rd, 4th.
        assert_eq!(&cf.as_str()[..6], "DNGNCL");
        assert_eq!(cf.place_code(), "H501");
    }

    #[test]
    fn compose_errors() {
        let d = date(1990, 1, 1);
        let e = compose(" ' ", "Mario", d, Sex::Male, "H501").unwrap_err();
        assert_eq!(
            e,
            CfError::NameWithoutLetters {
                field: NameField::Surname
            }
        );
        assert_eq!(e.code(), "cf_name_without_letters");
        let e = compose("Rossi", "Mar1o", d, Sex::Male, "H501").unwrap_err();
        assert_eq!(
            e,
            CfError::NameInvalidCharacter {
                field: NameField::Name,
                character: '1'
            }
        );
        assert_eq!(e.code(), "cf_name_invalid_character");
        assert_eq!(
            e.to_string(),
            "Il nome contiene un carattere non ammesso: '1'"
        );
        for bad in ["H000", "5501", "H50", "H5011", "HM01", "", "Ĥ501"] {
            let e = compose("Rossi", "Mario", d, Sex::Male, bad).unwrap_err();
            assert_eq!(e.code(), "cf_invalid_place", "{bad}");
        }
    }

    // --- normalisation -----------------------------------------------------

    #[test]
    fn lower_case_and_spaces_are_normalised() {
        for raw in [
            "rssmra85t10a562s",
            "  RSSMRA85T10A562S\n",
            "RSS MRA 85T10 A562 S",
            "rss\tmra85t10a562S",
            "\u{a0}RSSMRA85T10A562S\u{3000}",
        ] {
            assert_eq!(
                CodiceFiscale::parse(raw).unwrap().as_str(),
                "RSSMRA85T10A562S",
                "{raw:?}"
            );
        }
    }

    // --- every error variant -------------------------------------------------

    #[test]
    fn empty() {
        assert_eq!(err(""), CfError::Empty);
        assert_eq!(err(" \t\n "), CfError::Empty);
        assert_eq!(CfError::Empty.code(), "cf_empty");
    }

    #[test]
    fn invalid_characters() {
        assert_eq!(
            err("RSSMRA85T10A562-"),
            CfError::InvalidCharacters {
                character: '-',
                position: 16
            }
        );
        assert_eq!(
            err("RSS MRà85T10A562S"),
            CfError::InvalidCharacters {
                character: 'à',
                position: 6
            }
        );
        assert_eq!(err("🦀").code(), "cf_invalid_characters");
        // Characters whose Unicode case mapping is ASCII are still rejected.
        assert_eq!(err("ſſſſſſ85T10A562S").code(), "cf_invalid_characters");
        assert_eq!(
            err("RSSMRA85T10A562\u{212A}").code(),
            "cf_invalid_characters"
        );
        assert_eq!(err("ＲSSMRA85T10A562S").code(), "cf_invalid_characters");
    }

    #[test]
    fn wrong_length() {
        assert_eq!(
            err("RSSMRA85T10A562"),
            CfError::WrongLength {
                expected: 16,
                found: 15
            }
        );
        assert_eq!(err("RSSMRA85T10A562SS").code(), "cf_wrong_length");
        assert_eq!(err("A").code(), "cf_wrong_length");
    }

    #[test]
    fn invalid_surname_name() {
        assert_eq!(
            err("RSSMR185T10A562S"),
            CfError::InvalidSurnameName {
                position: 6,
                found: '1'
            }
        );
        assert_eq!(err("0SSMRA85T10A562S").code(), "cf_invalid_surname_name");
    }

    #[test]
    fn invalid_month() {
        assert_eq!(
            err("RSSMRA85F10A562S"),
            CfError::InvalidMonth { found: 'F' }
        );
        assert_eq!(err("RSSMRA85110A562S").code(), "cf_invalid_month");
    }

    #[test]
    fn invalid_day() {
        for (day, raw) in [
            (0, "RSSMRA85T00A562S"),
            (32, "RSSMRA85T32A562S"),
            (40, "RSSMRA85T40A562S"),
            (72, "RSSMRA85T72A562S"),
            (99, "RSSMRA85TVVA562S"),
        ] {
            assert_eq!(err(raw), CfError::InvalidDay { day }, "{raw}");
        }
        assert_eq!(err("RSSMRA85T00A562S").code(), "cf_invalid_day");
        // Boundaries are accepted (with a correct check character).
        for first15 in [
            "RSSMRA85T01A562",
            "RSSMRA85T31A562",
            "RSSMRA85T41A562",
            "RSSMRA85T71A562",
        ] {
            assert!(CodiceFiscale::parse(&draft(first15)).is_ok(), "{first15}");
        }
    }

    #[test]
    fn invalid_place() {
        assert_eq!(
            err(&draft("RSSMRA85T10A000")),
            CfError::InvalidPlace {
                found: "A000".into()
            }
        );
        // "LLL" is "000" written with omocodia letters.
        assert_eq!(err(&draft("RSSMRA85T10ALLL")).code(), "cf_invalid_place");
        assert_eq!(err(&draft("RSSMRA85T101562")).code(), "cf_invalid_place");
    }

    #[test]
    fn invalid_check_char() {
        assert_eq!(
            err("RSSMRA85T10A562T"),
            CfError::InvalidCheckChar {
                found: 'T',
                expected: 'S'
            }
        );
        assert_eq!(err("RSSMRA85T10A5623").code(), "cf_invalid_check_char");
        assert_eq!(
            err("RSSMRA85T10A562T").to_string(),
            "Il carattere di controllo del codice fiscale non è corretto"
        );
    }

    #[test]
    fn invalid_omocodia() {
        assert_eq!(
            err("RSSMRA8AT10A562S"),
            CfError::InvalidOmocodia {
                position: 8,
                found: 'A'
            }
        );
        assert_eq!(err("RSSMRA85TK0A562S").code(), "cf_invalid_omocodia");
        assert_eq!(err("RSSMRA85T10A56ZS").code(), "cf_invalid_omocodia");
    }

    #[test]
    fn structural_errors_take_precedence_over_the_check_char() {
        // Wrong check char AND a wrong day: the day is reported.
        assert_eq!(err("RSSMRA85T00A562A").code(), "cf_invalid_day");
    }

    #[test]
    fn error_codes_are_distinct() {
        let all = [
            CfError::Empty,
            CfError::InvalidCharacters {
                character: '-',
                position: 1,
            },
            CfError::WrongLength {
                expected: 16,
                found: 1,
            },
            CfError::InvalidSurnameName {
                position: 1,
                found: '1',
            },
            CfError::InvalidMonth { found: 'F' },
            CfError::InvalidDay { day: 0 },
            CfError::InvalidPlace {
                found: "A000".into(),
            },
            CfError::InvalidCheckChar {
                found: 'A',
                expected: 'B',
            },
            CfError::InvalidOmocodia {
                position: 7,
                found: 'A',
            },
            CfError::NameWithoutLetters {
                field: NameField::Surname,
            },
            CfError::NameInvalidCharacter {
                field: NameField::Name,
                character: '1',
            },
        ];
        let mut codes: Vec<&str> = all.iter().map(CfError::code).collect();
        assert!(codes.iter().all(|c| c.starts_with("cf_")));
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        assert!(all.iter().all(|e| !e.to_string().is_empty()));
    }

    // --- dates ---------------------------------------------------------------

    #[test]
    fn day_is_structural_and_birth_date_checks_the_calendar() {
        let feb30 = CodiceFiscale::parse(&draft("RSSMRA85B30A562")).unwrap();
        assert_eq!(feb30.birth_day_of_month(), 30);
        assert_eq!(feb30.birth_month(), 2);
        assert_eq!(feb30.birth_date(2025), None);

        let leap = CodiceFiscale::parse(&draft("RSSMRA00B29A562")).unwrap();
        assert_eq!(leap.birth_date(2024), Some(date(2000, 2, 29)));
        assert_eq!(leap.birth_date(1999), None); // 1900 is not a leap year
    }

    #[test]
    fn birth_date_century_follows_the_pivot() {
        let cf = CodiceFiscale::parse("RSSMRA85T10A562S").unwrap();
        assert_eq!(cf.birth_date(1985), Some(date(1985, 12, 10)));
        assert_eq!(cf.birth_date(1984), Some(date(1885, 12, 10)));
        assert_eq!(cf.birth_date(2084), Some(date(1985, 12, 10)));
        assert_eq!(cf.birth_date(2085), Some(date(2085, 12, 10)));
        assert_eq!(cf.birth_date(i32::MIN), None);
        assert_eq!(cf.birth_date(i32::MAX), None);
        assert_eq!(cf.birth_date(-15), Some(date(-15, 12, 10)));
    }

    // --- omocodia --------------------------------------------------------------

    #[test]
    fn omocodia_variants_are_progressive_and_valid() {
        let cf = CodiceFiscale::parse("RSSMRA85T10A562S").unwrap();
        let variants = cf.omocodia_variants();
        assert_eq!(variants.len(), 7);
        let firsts: Vec<&str> = variants.iter().map(|v| &v.as_str()[..15]).collect();
        assert_eq!(
            firsts,
            [
                "RSSMRA85T10A56N",
                "RSSMRA85T10A5SN",
                "RSSMRA85T10ARSN",
                "RSSMRA85T1LARSN",
                "RSSMRA85TMLARSN",
                "RSSMRA8RTMLARSN",
                "RSSMRAURTMLARSN",
            ]
        );
        for v in &variants {
            let reparsed = CodiceFiscale::parse(v.as_str()).unwrap();
            assert_eq!(&reparsed, v);
            assert!(v.is_omocode());
            assert_eq!(v.base_code(), cf.as_str());
            assert_eq!(v.birth_date(2025), cf.birth_date(2025));
            assert_eq!(v.sex(), cf.sex());
            assert_eq!(v.place_code(), "A562");
            assert_ne!(v, &cf);
            // Variants of a variant are the same list.
            assert_eq!(v.omocodia_variants(), variants);
        }
    }

    #[test]
    fn non_progressive_omocodia_is_accepted() {
        // Only position 7 replaced (8 → U): not a progressive variant.
        let cf = CodiceFiscale::parse(&draft("RSSMRAU5T10A562")).unwrap();
        assert!(cf.is_omocode());
        assert_eq!(cf.base_code(), "RSSMRA85T10A562S");
        assert_eq!(cf.birth_year_two_digits(), 85);
        assert!(!cf.omocodia_variants().contains(&cf));
    }

    #[test]
    fn mutated_check_char_is_rejected() {
        let cf = CodiceFiscale::parse("RSSMRA85T10A562S").unwrap();
        let variant = &cf.omocodia_variants()[2];
        for code in [cf.as_str(), variant.as_str()] {
            for &c in ALPHABET.iter().filter(|&&c| c != code.as_bytes()[15]) {
                let mutated = format!("{}{}", &code[..15], c as char);
                assert_eq!(err(&mutated).code(), "cf_invalid_check_char", "{mutated}");
            }
        }
    }

    #[test]
    fn every_single_substitution_is_rejected_exhaustively() {
        let cf = CodiceFiscale::parse("RSSMRA85T10A562S").unwrap();
        let mut codes = vec![cf.clone()];
        codes.extend(cf.omocodia_variants());
        for code in &codes {
            for pos in 0..CF_LENGTH {
                for &c in ALPHABET
                    .iter()
                    .filter(|&&c| c != code.as_str().as_bytes()[pos])
                {
                    let mut bytes = code.as_str().as_bytes().to_vec();
                    bytes[pos] = c;
                    let mutated = String::from_utf8(bytes).unwrap();
                    assert!(CodiceFiscale::parse(&mutated).is_err(), "{mutated}");
                }
            }
        }
    }

    #[test]
    fn check_char_contract() {
        assert_eq!(CodiceFiscale::check_char("RSSMRA85T10A562"), Ok('S'));
        assert_eq!(CodiceFiscale::check_char("rssmra85t10a562"), Ok('S'));
        assert_eq!(
            CodiceFiscale::check_char("RSSMRA85T10A56"),
            Err(CfError::WrongLength {
                expected: 15,
                found: 14
            })
        );
        assert_eq!(
            CodiceFiscale::check_char("RSSMRA85T10A562S")
                .unwrap_err()
                .code(),
            "cf_wrong_length"
        );
        assert_eq!(
            CodiceFiscale::check_char("RSSMRA85T10A56 2")
                .unwrap_err()
                .code(),
            "cf_invalid_characters"
        );
        assert_eq!(
            CodiceFiscale::check_char("RSSMRA85T10A56é")
                .unwrap_err()
                .code(),
            "cf_invalid_characters"
        );
    }

    // --- traits ----------------------------------------------------------------

    #[test]
    fn serde_round_trip_as_string() {
        let cf = CodiceFiscale::parse("RSSMRA85T10A562S").unwrap();
        let json = serde_json::to_string(&cf).unwrap();
        assert_eq!(json, "\"RSSMRA85T10A562S\"");
        let back: CodiceFiscale = serde_json::from_str("\" rssmra85t10a562s \"").unwrap();
        assert_eq!(back, cf);
        assert!(serde_json::from_str::<CodiceFiscale>("\"RSSMRA85T10A562T\"").is_err());
        assert!(serde_json::from_str::<CodiceFiscale>("42").is_err());
        assert_eq!(serde_json::to_string(&Sex::Female).unwrap(), "\"female\"");
        assert_eq!(serde_json::from_str::<Sex>("\"male\"").unwrap(), Sex::Male);
    }

    #[test]
    fn display_from_str_and_conversions() {
        let cf: CodiceFiscale = "rssmra85t10a562s".parse().unwrap();
        assert_eq!(cf.to_string(), "RSSMRA85T10A562S");
        assert_eq!(cf.as_ref(), "RSSMRA85T10A562S");
        assert_eq!(String::from(cf.clone()), "RSSMRA85T10A562S");
        assert_eq!(CodiceFiscale::try_from("RSSMRA85T10A562S"), Ok(cf));
    }

    #[test]
    fn unicode_junk_never_panics() {
        let junk = [
            "🦀🦀🦀🦀🦀🦀🦀🦀🦀🦀🦀🦀🦀🦀🦀🦀",
            "ßßßßßßßßßßßßßßßß",
            "RSSMRA85T10A562\u{301}",
            "\u{200f}RSSMRA85T10A562S",
            "\u{0}",
            "ǅǅǅ",
            "İıİıİıİıİıİıİıİı",
            "ＲＳＳＭＲＡ８５Ｔ１０Ａ５６２Ｓ",
            "\u{feff}",
            "R\u{fffd}S",
        ];
        for raw in junk {
            assert!(CodiceFiscale::parse(raw).is_err(), "{raw:?}");
        }
    }

    // --- properties --------------------------------------------------------------

    fn person_name() -> impl Strategy<Value = String> {
        "[A-Za-zàèéìòùÀÈÉÌÒÙçñ' -]{0,12}[A-Za-zàèéìòù][A-Za-zàèéìòù' ]{0,12}"
    }

    fn birth() -> impl Strategy<Value = NaiveDate> {
        (1800i32..2200, 1u32..=366).prop_map(|(y, d)| {
            NaiveDate::from_yo_opt(y, d)
                .or_else(|| NaiveDate::from_yo_opt(y, 365))
                .expect("day 365 exists every year")
        })
    }

    fn sex() -> impl Strategy<Value = Sex> {
        prop_oneof![Just(Sex::Male), Just(Sex::Female)]
    }

    fn place() -> impl Strategy<Value = String> {
        "[A-Z][0-9]{3}".prop_filter("000 is not a place", |p| &p[1..] != "000")
    }

    fn valid_code() -> impl Strategy<Value = CodiceFiscale> {
        (
            person_name(),
            person_name(),
            birth(),
            sex(),
            place(),
            0usize..8,
        )
            .prop_map(|(s, n, b, x, p, variant)| {
                let cf = compose(&s, &n, b, x, &p).expect("compose");
                if variant == 0 {
                    cf
                } else {
                    cf.omocodia_variants().swap_remove(variant - 1)
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// (1) compose() always yields a code that parses back to itself and
        /// carries the given birth data.
        #[test]
        fn composed_codes_parse(
            s in person_name(), n in person_name(), b in birth(), x in sex(), p in place()
        ) {
            let cf = compose(&s, &n, b, x, &p).unwrap();
            let parsed = CodiceFiscale::parse(cf.as_str()).unwrap();
            prop_assert_eq!(&parsed, &cf);
            prop_assert!(!cf.is_omocode());
            prop_assert_eq!(cf.sex(), x);
            prop_assert_eq!(cf.birth_date(b.year()), Some(b));
            prop_assert_eq!(cf.birth_year_two_digits() as i32, b.year().rem_euclid(100));
            prop_assert_eq!(cf.place_code(), p);
            prop_assert_eq!(cf.base_code(), cf.as_str());
        }

        /// (2) Every omocodia variant parses, is omocodic, and keeps base code,
        /// birth data, sex and place.
        #[test]
        fn omocodia_variants_keep_identity(cf in valid_code()) {
            let variants = cf.omocodia_variants();
            prop_assert_eq!(variants.len(), 7);
            for v in &variants {
                let parsed = CodiceFiscale::parse(v.as_str()).unwrap();
                prop_assert_eq!(&parsed, v);
                prop_assert!(v.is_omocode());
                prop_assert_eq!(v.base_code(), cf.base_code());
                prop_assert_eq!(v.birth_date(2100), cf.birth_date(2100));
                prop_assert_eq!(v.sex(), cf.sex());
                prop_assert_eq!(v.place_code(), cf.place_code());
            }
        }

        /// (3) Replacing any single character of a valid code by any other
        /// letter or digit is ALWAYS rejected. Why: in every position the
        /// admissible characters have pairwise distinct check values in
        /// 0..26 (digits and omocodia letters included: a digit and the letter
        /// standing for it are weighted differently because the check is
        /// computed on the code as written), so the sum modulo 26 changes;
        /// and changing position 16 changes the check character itself.
        #[test]
        fn single_substitution_is_always_detected(
            cf in valid_code(), pos in 0usize..CF_LENGTH, pick in 0usize..35
        ) {
            let original = cf.as_str().as_bytes()[pos];
            let replacements: Vec<u8> =
                ALPHABET.iter().copied().filter(|&c| c != original).collect();
            let mut bytes = cf.as_str().as_bytes().to_vec();
            bytes[pos] = replacements[pick];
            let mutated = String::from_utf8(bytes).unwrap();
            prop_assert!(CodiceFiscale::parse(&mutated).is_err(), "{}", mutated);
        }

        /// (4) parse never panics on arbitrary strings.
        #[test]
        fn parse_never_panics(raw in any::<String>()) {
            let _ = CodiceFiscale::parse(&raw);
            let _ = CodiceFiscale::check_char(&raw);
        }

        /// (4b) On 16 arbitrary letters/digits parse never panics, and whatever
        /// it accepts is self-consistent.
        #[test]
        fn parse_of_alphanumerics_is_consistent(raw in "[A-Za-z0-9]{16}") {
            if let Ok(cf) = CodiceFiscale::parse(&raw) {
                prop_assert_eq!(cf.as_str(), raw.to_ascii_uppercase());
                let base = CodiceFiscale::parse(&cf.base_code()).unwrap();
                prop_assert!(!base.is_omocode());
                prop_assert_eq!(base.place_code(), cf.place_code());
                prop_assert!((1..=31).contains(&cf.birth_day_of_month()));
                prop_assert!((1..=12).contains(&cf.birth_month()));
            }
        }

        /// compose() never panics on arbitrary text.
        #[test]
        fn compose_never_panics(s in any::<String>(), n in any::<String>(), p in any::<String>()) {
            let _ = compose(&s, &n, date(2000, 1, 1), Sex::Female, &p);
        }
    }
}
