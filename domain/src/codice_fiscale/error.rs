//! Why a string is not a valid codice fiscale, or why one cannot be composed.

use super::*;

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
