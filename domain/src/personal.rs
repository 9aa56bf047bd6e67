//! Personal data that may have been erased (crypto-shredding, docs/privacy.md).
//!
//! A personal field of a stored event is sealed under its subject's key; once
//! that key is destroyed the field opens to [`ERASED`]. A `String` can hold
//! that text as it is; a typed value (a codice fiscale, a date) cannot, so it
//! is a [`Personal`]: the value, or erased. Serialised, an erased value is the
//! text [`ERASED`], which is also what the screens show.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What an erased personal field reads as.
pub const ERASED: &str = "dato cancellato";

/// A personal value, or the mark that it was erased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Personal<T> {
    Known(T),
    Erased,
}

impl<T> Personal<T> {
    /// The value, unless erased.
    pub fn known(&self) -> Option<&T> {
        match self {
            Personal::Known(v) => Some(v),
            Personal::Erased => None,
        }
    }

    pub fn into_known(self) -> Option<T> {
        match self {
            Personal::Known(v) => Some(v),
            Personal::Erased => None,
        }
    }

    pub fn is_erased(&self) -> bool {
        matches!(self, Personal::Erased)
    }

    /// Whether this is exactly `value` (an erased value equals nothing).
    pub fn is(&self, value: &T) -> bool
    where
        T: PartialEq,
    {
        self.known() == Some(value)
    }
}

impl<T> From<T> for Personal<T> {
    fn from(v: T) -> Self {
        Personal::Known(v)
    }
}

impl<T: std::fmt::Display> std::fmt::Display for Personal<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Personal::Known(v) => v.fmt(f),
            Personal::Erased => f.write_str(ERASED),
        }
    }
}

impl<T: Serialize> Serialize for Personal<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Personal::Known(v) => v.serialize(s),
            Personal::Erased => s.serialize_str(ERASED),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Personal<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Every personal value is stored as a JSON string; the erased mark is
        // told apart before the value's own parser sees it.
        let raw = serde_json::Value::deserialize(d)?;
        if raw.as_str() == Some(ERASED) {
            return Ok(Personal::Erased);
        }
        T::deserialize(raw)
            .map(Personal::Known)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codice_fiscale::CodiceFiscale;

    #[test]
    fn erased_reads_and_writes_as_the_mark() {
        let cf: Personal<CodiceFiscale> = serde_json::from_str("\"RSSMRA80A01H501U\"").unwrap();
        assert_eq!(cf.known().unwrap().as_str(), "RSSMRA80A01H501U");
        let erased: Personal<CodiceFiscale> = serde_json::from_str("\"dato cancellato\"").unwrap();
        assert!(erased.is_erased());
        assert_eq!(
            serde_json::to_string(&erased).unwrap(),
            "\"dato cancellato\""
        );
        assert!(serde_json::from_str::<Personal<CodiceFiscale>>("\"XYZ\"").is_err());
        assert_eq!(erased.to_string(), ERASED);
    }
}
