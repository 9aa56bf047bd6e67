//! The master key of crypto-shredding (docs/privacy.md, P12) as every
//! command that seals or opens personal fields takes it: `serve`, `seed
//! --demo`, the projection workers (`project`) and `rebuild`. A process that
//! reads sealed events without it cannot open them, so each of these
//! resolves it the same way: the configured key (`COMBIPAT_MASTER_KEY`, or
//! `COMBIPAT_MASTER_KEY_FILE`, which `make run` writes), else one derived
//! from the JWT secret (development and tests).

use crate::auth::JwtKeys;
use crate::secret::Redacted;
use clap::Args;
use commands::privacy::crypto::{LocalMasterKey, MasterKey};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Args, Debug, Clone, Default)]
pub struct MasterKeyArgs {
    /// The master key of crypto-shredding: a file of 64 hex digits
    /// (`make run` writes `.local/master.key`). Without it (nor
    /// COMBIPAT_MASTER_KEY) a key derived from the JWT secret is used.
    #[arg(long, env = "COMBIPAT_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
    /// The master key as 64 hex digits (instead of a file).
    #[arg(long, env = "COMBIPAT_MASTER_KEY", hide_env_values = true)]
    pub master_key: Option<Redacted>,
}

impl MasterKeyArgs {
    /// The configured key, if any (a malformed one is an error).
    pub fn configured(&self) -> Result<Option<LocalMasterKey>, String> {
        let hex_key = self
            .master_key
            .as_ref()
            .map(|k| k.expose())
            .filter(|k| !k.is_empty());
        let file = self
            .master_key_file
            .as_deref()
            .filter(|f| !f.as_os_str().is_empty());
        match (hex_key, file) {
            (Some(hex_key), _) => LocalMasterKey::from_hex_fingerprinted(hex_key)
                .map(Some)
                .map_err(|e| format!("COMBIPAT_MASTER_KEY: {e}")),
            (None, Some(file)) => LocalMasterKey::from_file(file)
                .map(Some)
                .map_err(|e| format!("COMBIPAT_MASTER_KEY_FILE: {e}")),
            (None, None) => Ok(None),
        }
    }

    /// The configured key, else the one `serve` derives from `jwt_secret`;
    /// registered in this process, so that what it reads opens. Neither: an
    /// error naming what to set.
    pub fn resolve_registered(
        &self,
        jwt_secret: Option<&[u8]>,
    ) -> Result<Arc<dyn MasterKey>, String> {
        let master: Arc<dyn MasterKey> = match (self.configured()?, jwt_secret) {
            (Some(m), _) => Arc::new(m),
            (None, Some(secret)) => {
                tracing::warn!(
                    "no master key configured: one derived from the JWT secret opens personal data"
                );
                Arc::new(JwtKeys::from_secret(secret).derived_master_key())
            }
            (None, None) => {
                return Err(
                    "manca la chiave dei dati personali: COMBIPAT_MASTER_KEY_FILE, \
                     COMBIPAT_MASTER_KEY o COMBIPAT_JWT_SECRET"
                        .into(),
                )
            }
        };
        tracing::info!(id = master.id(), "master key of personal data");
        commands::privacy::seal::register_master_key(master.clone());
        Ok(master)
    }
}

/// `COMBIPAT_JWT_SECRET` for the commands that only need it to derive the
/// keys `serve` derives when none is configured.
#[derive(Args, Debug, Clone, Default)]
pub struct DerivingSecret {
    /// What `serve` derives keys from when none is configured.
    #[arg(long, env = "COMBIPAT_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<Redacted>,
}

impl DerivingSecret {
    pub fn bytes(&self) -> Option<&[u8]> {
        self.jwt_secret
            .as_ref()
            .filter(|s| !s.is_empty())
            .map(|s| s.expose().as_bytes())
    }
}
