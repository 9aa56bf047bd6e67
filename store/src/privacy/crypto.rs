//! Envelope encryption of personal data (AES-256-GCM, RustCrypto's `aes-gcm`).
//!
//! Each data subject has its own data key (DEK). Personal fields are sealed
//! with it, one AEAD per payload; the DEK is stored only wrapped by the master
//! key, behind the [`MasterKey`] port so that an HSM or a KMS can take the
//! local key file's place. Destroying a subject's wrapped DEK makes every
//! sealed payload of that subject unreadable for good, while the sealed bytes
//! (and the hash chain over them) stay as they are.

use aes_gcm::aead::{Aead, AeadInPlace, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use rand::RngCore;
use std::path::Path;

/// A subject's data key.
pub type DataKey = [u8; 32];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("ciphertext does not authenticate (wrong key, subject or tampering)")]
    Authentication,
    #[error("malformed sealed value")]
    Malformed,
    #[error("master key: {0}")]
    MasterKey(String),
}

/// Wraps and unwraps data keys. Implementations: [`LocalMasterKey`]; an HSM
/// or KMS adapter implements the same two calls (and may keep the key out of
/// the process entirely).
pub trait MasterKey: Send + Sync {
    /// Names the key a DEK was wrapped with (stored beside it, for rotation).
    fn id(&self) -> &str;
    fn wrap(&self, dek: &DataKey, subject: &str) -> Result<Vec<u8>, CryptoError>;
    fn unwrap(&self, wrapped: &[u8], subject: &str) -> Result<DataKey, CryptoError>;
}

/// A master key held in the process: from configuration (64 hex digits) or a
/// key file (`make run` writes `.local/master.key`).
pub struct LocalMasterKey {
    id: String,
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for LocalMasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LocalMasterKey({})", self.id)
    }
}

impl LocalMasterKey {
    pub fn new(id: impl Into<String>, key: &[u8; 32]) -> Self {
        Self {
            id: id.into(),
            cipher: Aes256Gcm::new(key.into()),
        }
    }

    /// 64 hex digits (whitespace around ignored).
    pub fn from_hex(id: impl Into<String>, hex_key: &str) -> Result<Self, CryptoError> {
        Ok(Self::new(id, &parse_hex(hex_key)?))
    }

    /// A key named by its fingerprint (`local-` and 12 hex digits of its
    /// SHA-256): two different keys never share an id, so the id stored
    /// beside each wrapped data key says which master key opens it.
    pub fn fingerprinted(key: &[u8; 32]) -> Self {
        use sha2::Digest;
        let fp = hex::encode(sha2::Sha256::digest(key));
        Self::new(format!("local-{}", &fp[..12]), key)
    }

    /// 64 hex digits, named by their fingerprint.
    pub fn from_hex_fingerprinted(hex_key: &str) -> Result<Self, CryptoError> {
        Ok(Self::fingerprinted(&parse_hex(hex_key)?))
    }

    /// Reads the key file (64 hex digits); the key is named by its fingerprint.
    pub fn from_file(path: &Path) -> Result<Self, CryptoError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| CryptoError::MasterKey(format!("{}: {e}", path.display())))?;
        Self::from_hex_fingerprinted(&text)
    }

    /// Writes a fresh random key to `path` (mode 0600) unless it exists.
    pub fn generate_file(path: &Path) -> std::io::Result<bool> {
        if path.exists() {
            return Ok(false);
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        std::io::Write::write_all(&mut opts.open(path)?, hex::encode(key).as_bytes())?;
        Ok(true)
    }
}

fn parse_hex(hex_key: &str) -> Result<[u8; 32], CryptoError> {
    let bytes = hex::decode(hex_key.trim())
        .map_err(|_| CryptoError::MasterKey("not hexadecimal".into()))?;
    bytes
        .try_into()
        .map_err(|_| CryptoError::MasterKey("not 32 bytes".into()))
}

impl MasterKey for LocalMasterKey {
    fn id(&self) -> &str {
        &self.id
    }

    fn wrap(&self, dek: &DataKey, subject: &str) -> Result<Vec<u8>, CryptoError> {
        seal_with(&self.cipher, dek, subject.as_bytes())
    }

    fn unwrap(&self, wrapped: &[u8], subject: &str) -> Result<DataKey, CryptoError> {
        let mut buffer = wrapped.to_vec();
        open_in_place_with(&self.cipher, &mut buffer, subject.as_bytes())?
            .try_into()
            .map_err(|_| CryptoError::Malformed)
    }
}

/// A fresh random data key.
pub fn new_data_key() -> DataKey {
    let mut k = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut k);
    k
}

/// `nonce ‖ ciphertext+tag` of `plaintext` under `dek`, bound to `aad`.
pub fn seal(dek: &DataKey, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
    seal_with(&Aes256Gcm::new(dek.into()), plaintext, aad)
}

/// The plaintext of [`seal`]'s output, decrypted where it lies: the part
/// of `sealed` between the nonce and the tag. Opening a sealed log does
/// this once per event, without a copy or an allocation of its own.
pub fn open_in_place<'a>(
    dek: &DataKey,
    sealed: &'a mut [u8],
    aad: &[u8],
) -> Result<&'a [u8], CryptoError> {
    open_in_place_with(&Aes256Gcm::new(dek.into()), sealed, aad)
}

fn seal_with(cipher: &Aes256Gcm, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let mut nonce = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut nonce);
    let ct = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| CryptoError::Authentication)?;
    let mut out = Vec::with_capacity(12 + ct.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

fn open_in_place_with<'a>(
    cipher: &Aes256Gcm,
    sealed: &'a mut [u8],
    aad: &[u8],
) -> Result<&'a [u8], CryptoError> {
    if sealed.len() < 12 + 16 {
        return Err(CryptoError::Malformed);
    }
    let (nonce, rest) = sealed.split_at_mut(12);
    let (text, tag) = rest.split_at_mut(rest.len() - 16);
    cipher
        .decrypt_in_place_detached(Nonce::from_slice(nonce), aad, text, Tag::from_slice(tag))
        .map_err(|_| CryptoError::Authentication)?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_keys_open_only_for_their_subject_and_master() {
        let master = LocalMasterKey::new("k1", &[1; 32]);
        let dek = new_data_key();
        let wrapped = master.wrap(&dek, "cabc").unwrap();
        assert_eq!(master.unwrap(&wrapped, "cabc").unwrap(), dek);
        assert_eq!(
            master.unwrap(&wrapped, "cother"),
            Err(CryptoError::Authentication)
        );
        let other = LocalMasterKey::new("k2", &[2; 32]);
        assert_eq!(
            other.unwrap(&wrapped, "cabc"),
            Err(CryptoError::Authentication)
        );
    }

    #[test]
    fn sealed_payloads_need_the_data_key() {
        let dek = new_data_key();
        let sealed = seal(&dek, b"ROSSI MARIO", b"RequestSent").unwrap();
        assert!(!sealed.windows(5).any(|w| w == b"ROSSI"));
        let open = |dek: &DataKey, sealed: &[u8], aad: &[u8]| {
            open_in_place(dek, &mut sealed.to_vec(), aad).map(<[u8]>::to_vec)
        };
        assert_eq!(open(&dek, &sealed, b"RequestSent").unwrap(), b"ROSSI MARIO");
        assert!(open(&new_data_key(), &sealed, b"RequestSent").is_err());
        assert!(open(&dek, &sealed, b"Other").is_err());
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(
            open(&dek, &tampered, b"RequestSent"),
            Err(CryptoError::Authentication)
        );
        // Shorter than a nonce and a tag: nothing to decrypt.
        assert_eq!(
            open(&dek, &sealed[..27], b"RequestSent"),
            Err(CryptoError::Malformed)
        );
    }

    #[test]
    fn key_file_round_trip() {
        let dir = std::env::temp_dir().join(format!("combipat-key-{}", uuid::Uuid::new_v4()));
        let path = dir.join("master.key");
        assert!(LocalMasterKey::generate_file(&path).unwrap());
        assert!(
            !LocalMasterKey::generate_file(&path).unwrap(),
            "never overwritten"
        );
        let k = LocalMasterKey::from_file(&path).unwrap();
        let w = k.wrap(&[9; 32], "s").unwrap();
        assert_eq!(
            LocalMasterKey::from_file(&path)
                .unwrap()
                .unwrap(&w, "s")
                .unwrap(),
            [9; 32]
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
