//! Identifiers and small value types. Each is parsed once at the edge; inside
//! the domain a value of one of these types is trusted.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// Why a raw string is not a valid value of one of the types in this module.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("codice sede non valido: {0:?}")]
    SedeCode(String),
    #[error("codice non valido: {0:?}")]
    Code(String),
    #[error("CAP non valido: {0:?}")]
    Cap(String),
    #[error("numero di protocollo non valido: {0:?}")]
    Protocol(String),
    #[error("riferimento della pratica non valido: {0:?}")]
    PracticeRef(String),
}

macro_rules! uuid_id {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

/// Lets other modules of the domain declare their uuid identifiers the same way.
pub(crate) use uuid_id;

uuid_id!(
    /// A request ("richiesta"); its event stream is `request-<uuid>`.
    RequestId
);
uuid_id!(
    /// One attachment inside a request.
    AttachmentId
);
uuid_id!(
    /// An uploaded file waiting to be referenced by a command.
    UploadId
);

impl RequestId {
    pub fn stream_id(&self) -> String {
        format!("request-{}", self.0)
    }
}

macro_rules! code_type {
    ($(#[$m:meta])* $name:ident, $max:expr) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Letters, digits, `-` and `_`; 1 to
            #[doc = stringify!($max)]
            /// characters.
            pub fn parse(raw: &str) -> Result<Self, IdError> {
                let s = raw.trim();
                let ok = !s.is_empty()
                    && s.len() <= $max
                    && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
                if ok { Ok(Self(s.to_string())) } else { Err(IdError::Code(raw.to_string())) }
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

code_type!(
    /// A patronato (e.g. `INCA`, `ACLI`).
    PatronatoId, 32
);
code_type!(
    /// One office of a patronato.
    OfficeId, 32
);
code_type!(
    /// The subject of a token: an operator, an officer, an auditor, ...
    UserId, 64
);
code_type!(
    /// An INPS region / regional directorate (including the DCM of Milano, Napoli, Roma).
    RegionCode, 16
);
code_type!(
    /// A topic or sub-topic code of the catalogue.
    TopicCode, 64
);

/// The code of an INPS office ("sede"): 4 to 8 upper-case letters or digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SedeCode(String);

impl SedeCode {
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        let s = raw.trim().to_ascii_uppercase();
        if (4..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(Self(s))
        } else {
            Err(IdError::SedeCode(raw.to_string()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SedeCode {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        Self::parse(&s)
    }
}
impl From<SedeCode> for String {
    fn from(v: SedeCode) -> String {
        v.0
    }
}
impl fmt::Display for SedeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An Italian postcode: exactly five digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cap(String);

impl Cap {
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        let s = raw.trim();
        if s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_string()))
        } else {
            Err(IdError::Cap(raw.to_string()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for Cap {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        Self::parse(&s)
    }
}
impl From<Cap> for String {
    fn from(v: Cap) -> String {
        v.0
    }
}
impl fmt::Display for Cap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The protocol number given to a request when it is sent:
/// `INPS.<sede code>.<year>.<7-digit sequence>`, unique per sede and year.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProtocolNumber(String);

impl ProtocolNumber {
    pub fn new(sede: &SedeCode, year: i32, sequence: u32) -> Self {
        Self(format!("INPS.{}.{year}.{sequence:07}", sede.as_str()))
    }

    pub fn parse(raw: &str) -> Result<Self, IdError> {
        let s = raw.trim().to_ascii_uppercase();
        let bad = || IdError::Protocol(raw.to_string());
        let mut parts = s.split('.');
        let (Some("INPS"), Some(sede), Some(year), Some(seq), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(bad());
        };
        SedeCode::parse(sede).map_err(|_| bad())?;
        let digits = |t: &str, n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(year, 4) || !digits(seq, 7) {
            return Err(bad());
        }
        Ok(Self(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for ProtocolNumber {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        Self::parse(&s)
    }
}
impl From<ProtocolNumber> for String {
    fn from(v: ProtocolNumber) -> String {
        v.0
    }
}
impl fmt::Display for ProtocolNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The kind of practice reference an operator gives for the first two topics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PracticeRefKind {
    /// Numero protocollo
    Protocollo,
    /// Numero Domus
    Domus,
    /// Numero pensione
    Pensione,
    /// Numero domanda RDC
    DomandaRdc,
    /// Numero domanda REM
    DomandaRem,
}

impl PracticeRefKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Protocollo => "Numero protocollo",
            Self::Domus => "Numero Domus",
            Self::Pensione => "Numero pensione",
            Self::DomandaRdc => "Numero domanda RDC",
            Self::DomandaRem => "Numero domanda REM",
        }
    }
}

/// A practice reference: its kind and its value (upper-case letters, digits,
/// `/`, `.` and `-`, 1 to 40 characters).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PracticeRef {
    pub kind: PracticeRefKind,
    pub value: String,
}

impl PracticeRef {
    pub fn parse(kind: PracticeRefKind, raw: &str) -> Result<Self, IdError> {
        let v = raw.trim().to_ascii_uppercase();
        let ok = !v.is_empty()
            && v.len() <= 40
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'-'));
        if ok {
            Ok(Self { kind, value: v })
        } else {
            Err(IdError::PracticeRef(raw.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_number_round_trips() {
        let sede = SedeCode::parse("5100").unwrap();
        let p = ProtocolNumber::new(&sede, 2026, 42);
        assert_eq!(p.as_str(), "INPS.5100.2026.0000042");
        assert_eq!(ProtocolNumber::parse("inps.5100.2026.0000042").unwrap(), p);
        assert!(ProtocolNumber::parse("INPS.5100.26.0000042").is_err());
        assert!(ProtocolNumber::parse("INPS.5100.2026.42").is_err());
        assert!(ProtocolNumber::parse("INPS.5100.2026.0000042.1").is_err());
    }

    #[test]
    fn cap_is_five_digits() {
        assert!(Cap::parse("00184").is_ok());
        assert!(Cap::parse("0018").is_err());
        assert!(Cap::parse("0018a").is_err());
    }

    #[test]
    fn sede_code_is_normalised() {
        assert_eq!(SedeCode::parse(" 51a0 ").unwrap().as_str(), "51A0");
        assert!(SedeCode::parse("51").is_err());
        assert!(SedeCode::parse("51-00").is_err());
    }
}
