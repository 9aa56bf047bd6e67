//! Keyed pseudonyms of data subjects.
//!
//! A pseudonym is `HMAC-SHA256(key, kind ‖ 0 ‖ identifier)`, the first 16
//! bytes in hex: stable (the same citizen always gets the same one, so an
//! operator's search by codice fiscale finds the pseudonym of the searched
//! code), not reversible without the key, and the same in every process of a
//! deployment. Omocodia variants of a codice fiscale share one pseudonym (the
//! base code is what is keyed), as they share one citizen in the registry.

use domain::codice_fiscale::CodiceFiscale;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// A configured pseudonym key that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PseudonymKeyError {
    #[error("the pseudonym key is not hexadecimal")]
    NotHex,
    #[error("the pseudonym key is not 32 bytes (64 hex digits)")]
    NotThirtyTwoBytes,
    #[error("the pseudonym key file cannot be read: {0}")]
    File(String),
}

/// The key of the pseudonyms; never printed.
#[derive(Clone)]
pub struct Pseudonyms {
    key: [u8; 32],
}

impl std::fmt::Debug for Pseudonyms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonyms(***)")
    }
}

impl Pseudonyms {
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    /// 64 hex digits (whitespace around ignored): `COMBIPAT_PSEUDONYM_KEY`,
    /// or the content of `COMBIPAT_PSEUDONYM_KEY_FILE`.
    pub fn from_hex(hex_key: &str) -> Result<Self, PseudonymKeyError> {
        let bytes = hex::decode(hex_key.trim()).map_err(|_| PseudonymKeyError::NotHex)?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| PseudonymKeyError::NotThirtyTwoBytes)?;
        Ok(Self::new(key))
    }

    /// Reads a key file of 64 hex digits.
    pub fn from_file(path: &std::path::Path) -> Result<Self, PseudonymKeyError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| PseudonymKeyError::File(format!("{}: {e}", path.display())))?;
        Self::from_hex(&text)
    }

    /// A key derived from another secret of the deployment (`label` keeps the
    /// derived keys of different uses apart). For development and tests; a
    /// deployment configures its own key (docs/privacy.md).
    pub fn derived_from(secret: &[u8], label: &str) -> Self {
        let mut h = Sha256::new();
        h.update(b"combipat-pseudonym-key\0");
        h.update(label.as_bytes());
        h.update([0]);
        h.update(secret);
        Self {
            key: h.finalize().into(),
        }
    }

    fn of(&self, kind: &str, id: &str) -> String {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(id.as_bytes());
        store::privacy::hex_text::encode(&mac.finalize().into_bytes()[..16])
    }

    /// The pseudonym of a citizen (`c` followed by 32 hex digits).
    pub fn citizen(&self, cf: &CodiceFiscale) -> String {
        format!("c{}", self.of("citizen", &cf.base_code()))
    }

    /// The pseudonym of a booking's contact data (`b` and 32 hex digits), for
    /// a booking that names no citizen.
    pub fn booking(&self, booking_id: uuid::Uuid) -> String {
        format!("b{}", self.of("booking", &booking_id.to_string()))
    }

    /// The pseudonym of a citizen from a stored code that may not parse (old
    /// rows): the code as given, upper-cased, when it is not a codice fiscale.
    pub fn citizen_code(&self, raw: &str) -> String {
        match CodiceFiscale::parse(raw) {
            Ok(cf) => self.citizen(&cf),
            Err(_) => format!("c{}", self.of("citizen", &raw.trim().to_ascii_uppercase())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_keyed_and_without_the_code() {
        let p = Pseudonyms::new([7; 32]);
        let cf = CodiceFiscale::parse("RSSMRA80A01H501U").unwrap();
        let a = p.citizen(&cf);
        assert_eq!(a, p.citizen(&cf));
        assert_eq!(a.len(), 33);
        assert!(!a.contains("RSSMRA"));
        assert_ne!(a, Pseudonyms::new([8; 32]).citizen(&cf));
        assert_eq!(a, p.citizen_code("rssmra80a01h501u"));
    }

    #[test]
    fn a_configured_key_is_64_hex_digits() {
        let cf = CodiceFiscale::parse("RSSMRA80A01H501U").unwrap();
        let p = Pseudonyms::from_hex(&format!(" {}\n", "07".repeat(32))).unwrap();
        assert_eq!(p.citizen(&cf), Pseudonyms::new([7; 32]).citizen(&cf));
        assert!(matches!(
            Pseudonyms::from_hex("zz"),
            Err(PseudonymKeyError::NotHex)
        ));
        assert!(matches!(
            Pseudonyms::from_hex("0707"),
            Err(PseudonymKeyError::NotThirtyTwoBytes)
        ));
        assert!(matches!(
            Pseudonyms::from_file(std::path::Path::new("/nonexistent/pseudonym.key")),
            Err(PseudonymKeyError::File(_))
        ));
    }
}
