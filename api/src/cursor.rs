//! Signed cursors (issue 23, item 2): a cursor that carries something the
//! database interprets (the audit listing's `pg_snapshot`) is accepted only
//! as this service made it. Token: hex of the payload, `.`, hex of an
//! HMAC-SHA256 of it keyed from the server secret.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn mac(key: &[u8; 32]) -> HmacSha256 {
    HmacSha256::new_from_slice(key).expect("HMAC takes any key length")
}

pub fn sign(key: &[u8; 32], payload: &[u8]) -> String {
    let tag = mac(key).chain_update(payload).finalize().into_bytes();
    format!("{}.{}", hex::encode(payload), hex::encode(tag))
}

/// The payload of a token this service signed, `None` for anything else.
pub fn verify(key: &[u8; 32], token: &str) -> Option<Vec<u8>> {
    let (payload, tag) = token.trim().split_once('.')?;
    let payload = hex::decode(payload).ok()?;
    let tag = hex::decode(tag).ok()?;
    // verify_slice compares in constant time.
    mac(key).chain_update(&payload).verify_slice(&tag).ok()?;
    Some(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_signed_payloads_come_back() {
        let key = [7u8; 32];
        let token = sign(&key, b"123:130:125|42");
        assert_eq!(verify(&key, &token).unwrap(), b"123:130:125|42");
        assert_eq!(verify(&[8u8; 32], &token), None);
        let forged = format!(
            "{}.{}",
            hex::encode("0:0:|0"),
            &token[token.find('.').unwrap() + 1..]
        );
        assert_eq!(verify(&key, &forged), None);
        for garbage in [
            "",
            ".",
            "zz.zz",
            "30303a303a7c30",
            &token[..token.len() - 2],
        ] {
            assert_eq!(verify(&key, garbage), None, "{garbage}");
        }
    }
}
