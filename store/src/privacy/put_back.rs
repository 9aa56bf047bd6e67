//! The opened plaintext of a sealed value put back into its payload as it
//! is parsed: each `pointer: value` entry goes straight to its place, with
//! no map of the fields built first and its pointers borrowed from the
//! plaintext (opening a sealed log does this for every event it reads).

use super::crypto::CryptoError;
use super::pointer::put;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

/// Puts every field of `plaintext` (a JSON object of pointers to values)
/// into `payload`; anything else is malformed.
pub(super) fn put_fields(plaintext: &[u8], payload: &mut Value) -> Result<(), CryptoError> {
    let mut parser = serde_json::Deserializer::from_slice(plaintext);
    PutEach(payload)
        .deserialize(&mut parser)
        .and_then(|()| parser.end())
        .map_err(|_| CryptoError::Malformed)
}

struct PutEach<'p>(&'p mut Value);

impl<'de> DeserializeSeed<'de> for PutEach<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, parser: D) -> Result<(), D::Error> {
        parser.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PutEach<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of JSON pointers to values")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut fields: A) -> Result<(), A::Error> {
        while let Some(Pointer(pointer)) = fields.next_key()? {
            let value: Value = fields.next_value()?;
            put(self.0, &pointer, value);
        }
        Ok(())
    }
}

/// A pointer as the plaintext holds it: borrowed unless it was escaped.
struct Pointer<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Pointer<'de> {
    fn deserialize<D: Deserializer<'de>>(parser: D) -> Result<Self, D::Error> {
        struct Text;
        impl<'de> Visitor<'de> for Text {
            type Value = Pointer<'de>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON pointer")
            }

            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Pointer<'de>, E> {
                Ok(Pointer(Cow::Borrowed(v)))
            }

            fn visit_str<E>(self, v: &str) -> Result<Pointer<'de>, E> {
                Ok(Pointer(Cow::Owned(v.to_owned())))
            }
        }
        parser.deserialize_str(Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_go_back_to_their_places_escaped_or_not() {
        let mut payload = json!({"requester": {"cap": "00184"}});
        let plaintext =
            br#"{"/requester/name":"MARIO","/text":"a \"quoted\" text","\/notes":null}"#;
        put_fields(plaintext, &mut payload).unwrap();
        assert_eq!(
            payload,
            json!({"requester": {"cap": "00184", "name": "MARIO"},
                   "text": "a \"quoted\" text", "notes": null})
        );
    }

    #[test]
    fn anything_but_one_object_of_pointers_is_malformed() {
        for plaintext in [
            &b"[1]"[..],
            b"\"/text\"",
            br#"{"/text":"a"} {}"#,
            b"{\"/text\"",
        ] {
            let mut payload = json!({});
            assert_eq!(
                put_fields(plaintext, &mut payload),
                Err(CryptoError::Malformed),
                "{}",
                String::from_utf8_lossy(plaintext)
            );
        }
    }
}
