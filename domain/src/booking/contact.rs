//! What a citizen gives when confirming: the mode, a short reason and the
//! contacts, each parsed once (seed 002, "Riepilogo prenotazione").

use super::violation::BookingViolation;
use serde::{Deserialize, Serialize};

/// The longest reason a citizen may give ("Max 150 caratteri").
pub const MAX_BOOKING_REASON_CHARS: usize = 150;

/// How the service is given (seed 002: "Accesso in sede", "Ricontatto
/// telefonico", "Web Meeting").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookingMode {
    InPresenza,
    RicontattoTelefonico,
    /// Only for authenticated citizens.
    WebMeeting,
}

impl BookingMode {
    pub fn as_str(self) -> &'static str {
        match self {
            BookingMode::InPresenza => "in_presenza",
            BookingMode::RicontattoTelefonico => "ricontatto_telefonico",
            BookingMode::WebMeeting => "web_meeting",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            BookingMode::InPresenza => "Accesso in sede",
            BookingMode::RicontattoTelefonico => "Ricontatto telefonico",
            BookingMode::WebMeeting => "Web meeting",
        }
    }
}

/// An Italian mobile number, stored as `+39` and 9 or 10 digits starting with 3.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Mobile(String);

impl Mobile {
    /// Accepts spaces, dots, dashes and slashes as separators, and an optional
    /// `+39` / `0039` prefix.
    pub fn parse(raw: &str) -> Result<Self, BookingViolation> {
        let compact: String = raw
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-' | '/'))
            .collect();
        let national = compact
            .strip_prefix("+39")
            .or_else(|| compact.strip_prefix("0039"))
            .unwrap_or(&compact);
        let ok = (9..=10).contains(&national.len())
            && national.starts_with('3')
            && national.bytes().all(|b| b.is_ascii_digit());
        if ok {
            Ok(Self(format!("+39{national}")))
        } else {
            Err(BookingViolation::MobileInvalid)
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Mobile {
    type Error = BookingViolation;
    fn try_from(s: String) -> Result<Self, BookingViolation> {
        Self::parse(&s)
    }
}
impl From<Mobile> for String {
    fn from(v: Mobile) -> String {
        v.0
    }
}

/// An e-mail address: one `@`, a local part of the RFC 5322 "atom" characters
/// (dots not leading, trailing or doubled), a domain of at least two labels
/// of letters, digits and inner dashes with an alphabetic top-level label.
/// The domain is lower-cased; at most 254 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, BookingViolation> {
        let s = raw.trim();
        let bad = || BookingViolation::EmailInvalid;
        if s.is_empty() || s.len() > 254 || !s.is_ascii() {
            return Err(bad());
        }
        let (local, domain) = s.split_once('@').ok_or_else(bad)?;
        if domain.contains('@') || local.is_empty() || local.len() > 64 {
            return Err(bad());
        }
        let local_ok = local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&b))
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..");
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            })
            && labels
                .last()
                .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()));
        if local_ok && domain_ok {
            Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
        } else {
            Err(bad())
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = BookingViolation;
    fn try_from(s: String) -> Result<Self, BookingViolation> {
        Self::parse(&s)
    }
}
impl From<Email> for String {
    fn from(v: Email) -> String {
        v.0
    }
}

/// The confirmation details of a citizen's booking, checked together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingDetails {
    pub mode: BookingMode,
    pub reason: Option<String>,
    pub mobile: Option<Mobile>,
    pub email: Option<Email>,
}

fn present(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|v| !v.is_empty())
}

impl BookingDetails {
    /// Parses raw input: the reason (optional, ≤ 150 characters, trimmed), the
    /// contacts (at least one, each valid), the mode (web meeting only when
    /// `authenticated`; a phone call needs the mobile; a web meeting the e-mail).
    pub fn parse(
        mode: BookingMode,
        reason: Option<&str>,
        mobile: Option<&str>,
        email: Option<&str>,
        authenticated: bool,
    ) -> Result<Self, BookingViolation> {
        if mode == BookingMode::WebMeeting && !authenticated {
            return Err(BookingViolation::WebMeetingRequiresAuthentication);
        }
        let reason = match present(reason) {
            Some(r) if r.chars().count() > MAX_BOOKING_REASON_CHARS => {
                return Err(BookingViolation::ReasonTooLong {
                    max: MAX_BOOKING_REASON_CHARS,
                })
            }
            r => r.map(str::to_string),
        };
        let mobile = present(mobile).map(Mobile::parse).transpose()?;
        let email = present(email).map(Email::parse).transpose()?;
        if mobile.is_none() && email.is_none() {
            return Err(BookingViolation::ContactRequired);
        }
        if mode == BookingMode::RicontattoTelefonico && mobile.is_none() {
            return Err(BookingViolation::MobileRequiredForCallback);
        }
        if mode == BookingMode::WebMeeting && email.is_none() {
            return Err(BookingViolation::EmailRequiredForWebMeeting);
        }
        Ok(Self {
            mode,
            reason,
            mobile,
            email,
        })
    }
}
