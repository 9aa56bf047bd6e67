//! Identifiers of the booking aggregates and the counter code.

use crate::ids::uuid_id;
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

uuid_id!(
    /// A hold of a slot: what a citizen confirms within 5 minutes.
    HoldId
);
uuid_id!(
    /// A confirmed booking (a citizen's, or an appointment on a request).
    BookingId
);
uuid_id!(
    /// A closure day declared by a sede.
    ClosureId
);
uuid_id!(
    /// A dated notice ("avviso") of a sede.
    NoticeId
);

/// Why a raw string is not a counter code or a booking code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookingIdError {
    #[error("codice sportello non valido: {0:?}")]
    Counter(String),
    #[error("codice di prenotazione non valido: {0:?}")]
    BookingCode(String),
}

/// A counter type ("sportello"): `reception`, `servizi_veloci`,
/// `servizi_patronati`, … — `[a-z0-9_]{1,64}`, as in `reference/counters.json`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CounterCode(String);

impl CounterCode {
    pub fn parse(raw: &str) -> Result<Self, BookingIdError> {
        let s = raw.trim();
        let ok = (1..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(BookingIdError::Counter(raw.to_string()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CounterCode {
    type Error = BookingIdError;
    fn try_from(s: String) -> Result<Self, BookingIdError> {
        Self::parse(&s)
    }
}
impl From<CounterCode> for String {
    fn from(v: CounterCode) -> String {
        v.0
    }
}
impl fmt::Display for CounterCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The alphabet of booking codes: Crockford's base 32 (no I, L, O, U), so a
/// code read aloud at the counter is not mistaken.
pub const BOOKING_CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters of a booking code (40 bits of randomness).
pub const BOOKING_CODE_LEN: usize = 8;

/// The code printed on a confirmation ("codice di prenotazione"), e.g.
/// `K7M2Q9XA`: 8 characters of [`BOOKING_CODE_ALPHABET`]. Drawn at random by
/// the command handler; the domain only checks its shape.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BookingCode(String);

impl BookingCode {
    pub fn parse(raw: &str) -> Result<Self, BookingIdError> {
        let s: String = raw
            .trim()
            .chars()
            .filter(|c| *c != '-' && *c != ' ')
            .collect::<String>()
            .to_ascii_uppercase();
        if s.len() == BOOKING_CODE_LEN && s.bytes().all(|b| BOOKING_CODE_ALPHABET.contains(&b)) {
            Ok(Self(s))
        } else {
            Err(BookingIdError::BookingCode(raw.to_string()))
        }
    }

    /// A code from 40 random bits (the low 40 bits of `bits`).
    pub fn from_bits(bits: u64) -> Self {
        let mut s = String::with_capacity(BOOKING_CODE_LEN);
        for i in (0..BOOKING_CODE_LEN).rev() {
            let v = ((bits >> (5 * i)) & 0x1f) as usize;
            s.push(BOOKING_CODE_ALPHABET[v] as char);
        }
        Self(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for BookingCode {
    type Error = BookingIdError;
    fn try_from(s: String) -> Result<Self, BookingIdError> {
        Self::parse(&s)
    }
}
impl From<BookingCode> for String {
    fn from(v: BookingCode) -> String {
        v.0
    }
}
impl fmt::Display for BookingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
