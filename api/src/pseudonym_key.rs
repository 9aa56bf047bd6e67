//! The pseudonyms' own key (issue 26, decision P19): from
//! `COMBIPAT_PSEUDONYM_KEY` (64 hex digits) or `COMBIPAT_PSEUDONYM_KEY_FILE`;
//! `make run` writes `.local/pseudonym.key`. Without either, the key is
//! derived from the JWT secret, as before, with a warning: rotating that
//! secret would then change every pseudonym (the read log's subjects and the
//! subject keys would no longer be found), which is why a deployment sets one.

use crate::secret::Redacted;
use clap::Args;
use commands::privacy::Pseudonyms;
use std::path::PathBuf;

#[derive(Args, Debug, Clone, Default)]
pub struct PseudonymKeyArgs {
    /// Key of the data subjects' pseudonyms: 64 hex digits.
    #[arg(long, env = "COMBIPAT_PSEUDONYM_KEY", hide_env_values = true)]
    pub pseudonym_key: Option<Redacted>,
    /// A file holding that key (e.g. mounted from the secret store).
    #[arg(long, env = "COMBIPAT_PSEUDONYM_KEY_FILE")]
    pub pseudonym_key_file: Option<PathBuf>,
}

/// Where the pseudonym key came from (logged at start, never the key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    Configured,
    File,
    DerivedFromJwtSecret,
}

impl PseudonymKeyArgs {
    /// The configured key; else one derived from `jwt_secret` when given.
    /// Both a key and a file, or a key that is not 64 hex digits: an error.
    pub fn resolve(&self, jwt_secret: Option<&[u8]>) -> Result<(Pseudonyms, KeySource), String> {
        let key = self.pseudonym_key.as_ref().filter(|k| !k.is_empty());
        let file = self
            .pseudonym_key_file
            .as_ref()
            .filter(|f| !f.as_os_str().is_empty());
        match (key, file, jwt_secret) {
            (Some(_), Some(_), _) => Err(
                "COMBIPAT_PSEUDONYM_KEY e COMBIPAT_PSEUDONYM_KEY_FILE sono alternativi: indicarne uno"
                    .into(),
            ),
            (Some(key), None, _) => Pseudonyms::from_hex(key.expose())
                .map(|p| (p, KeySource::Configured))
                .map_err(|e| format!("COMBIPAT_PSEUDONYM_KEY: {e}")),
            (None, Some(file), _) => Pseudonyms::from_file(file)
                .map(|p| (p, KeySource::File))
                .map_err(|e| format!("COMBIPAT_PSEUDONYM_KEY_FILE: {e}")),
            (None, None, Some(secret)) => Ok((
                Pseudonyms::derived_from(secret, "jwt"),
                KeySource::DerivedFromJwtSecret,
            )),
            (None, None, None) => Err(
                "manca la chiave degli pseudonimi: COMBIPAT_PSEUDONYM_KEY o COMBIPAT_PSEUDONYM_KEY_FILE"
                    .into(),
            ),
        }
    }

    /// As [`resolve`](Self::resolve), logging where the key came from and
    /// warning when it is derived from the JWT secret.
    pub fn resolve_logged(&self, jwt_secret: Option<&[u8]>) -> Result<Pseudonyms, String> {
        let (p, source) = self.resolve(jwt_secret)?;
        if source == KeySource::DerivedFromJwtSecret {
            tracing::warn!(
                "no pseudonym key configured (COMBIPAT_PSEUDONYM_KEY or _FILE): pseudonyms \
                 derived from the JWT secret, so rotating it changes every pseudonym"
            );
        } else {
            tracing::info!(source = ?source, "pseudonym key configured");
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::codice_fiscale::CodiceFiscale;

    fn args(key: Option<&str>, file: Option<PathBuf>) -> PseudonymKeyArgs {
        PseudonymKeyArgs {
            pseudonym_key: key.map(|k| Redacted::from(k.to_string())),
            pseudonym_key_file: file,
        }
    }

    #[test]
    fn a_configured_key_wins_over_the_jwt_secret_and_a_bad_one_is_refused() {
        let cf = CodiceFiscale::parse("RSSMRA60E12H501E").unwrap();
        let hex = "ab".repeat(32);
        let (p, source) = args(Some(&hex), None).resolve(Some(b"jwt")).unwrap();
        assert_eq!(source, KeySource::Configured);
        let derived = Pseudonyms::derived_from(b"jwt", "jwt");
        assert_ne!(p.citizen(&cf), derived.citizen(&cf));
        assert_eq!(p.citizen(&cf), Pseudonyms::new([0xab; 32]).citizen(&cf));

        let dir = std::env::temp_dir().join(format!("combipat-pk-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("pseudonym.key");
        std::fs::write(&file, format!("{hex}\n")).unwrap();
        let (from_file, source) = args(None, Some(file.clone())).resolve(None).unwrap();
        assert_eq!(source, KeySource::File);
        assert_eq!(from_file.citizen(&cf), p.citizen(&cf));
        assert!(args(Some(&hex), Some(file)).resolve(None).is_err());
        std::fs::remove_dir_all(dir).unwrap();

        assert!(args(Some("abc"), None).resolve(Some(b"jwt")).is_err());
        let (d, source) = args(None, None).resolve(Some(b"jwt")).unwrap();
        assert_eq!(source, KeySource::DerivedFromJwtSecret);
        assert_eq!(d.citizen(&cf), derived.citizen(&cf));
        assert!(args(None, None).resolve(None).is_err());
    }
}
