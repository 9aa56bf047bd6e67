//! Configuration values that must never reach a log line or a panic message.

use std::fmt;
use std::str::FromStr;

/// A secret read from the command line or the environment (the JWT key, a
/// database URL with its password, the metrics token). `Debug` and `Display`
/// print a placeholder, so `#[derive(Debug)]` on the settings cannot leak it.
#[derive(Clone, PartialEq, Eq)]
pub struct Redacted(String);

impl Redacted {
    /// The value itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Redacted {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl FromStr for Redacted {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_string()))
    }
}

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Redacted(***)")
    }
}

impl fmt::Display for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::Redacted;

    #[test]
    fn neither_debug_nor_display_shows_the_value() {
        let secret: Redacted = "postgres://app:s3cr3t@db/combipat".parse().unwrap();
        assert!(!format!("{secret:?}").contains("s3cr3t"));
        assert!(!format!("{secret}").contains("s3cr3t"));
        assert_eq!(secret.expose(), "postgres://app:s3cr3t@db/combipat");
    }
}
