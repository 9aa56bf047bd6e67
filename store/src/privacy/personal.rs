//! The one place that knows which fields of which event are personal
//! (docs/privacy.md has the table and why), and the seal/open of a payload.
//!
//! Sealing moves an event's personal fields out of its payload into one
//! AEAD-sealed value under the subject's data key:
//!
//! ```json
//! {"type": "RequestSent", "requester": {"kind": "citizen", "cap": "00184"}, …,
//!  "_sealed": {"subject": "c3f…", "fields": "<hex of nonce ‖ ciphertext>"}}
//! ```
//!
//! The hash chain covers that stored form. Opening puts the fields back; once
//! the subject's key is destroyed they come back as [`ERASED`] ("dato
//! cancellato"), so protocol numbers, dates, statuses and counts stay readable.
//!
//! **Declaring a new personal field**: add its JSON pointer to the event's
//! [`PersonalEvent::fields`] below (a new event: a new row, with where its
//! subject comes from), add the row to docs/privacy.md, and make sure the
//! domain type accepts [`ERASED`] where the field is read back after erasure
//! (a `String`, or an `Option` for which erased reads as `None`).

use super::crypto::{self, CryptoError, DataKey};
use serde_json::{Map, Value};

/// What an erased field reads as.
pub const ERASED: &str = domain::personal::ERASED;
/// The payload key of the sealed fields.
pub const SEALED_KEY: &str = "_sealed";

/// Whose data an event's personal fields are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectOf {
    /// The citizen whose codice fiscale is at this pointer of the payload.
    CitizenAt(&'static str),
    /// The subject of the event's stream (e.g. a request's later messages
    /// belong to the request's citizen), known to the caller.
    Stream,
}

/// An event type with personal fields.
#[derive(Debug, Clone, Copy)]
pub struct PersonalEvent {
    pub event_type: &'static str,
    pub subject: SubjectOf,
    /// JSON pointers (RFC 6901) of the personal fields; absent ones are skipped.
    pub fields: &'static [&'static str],
}

/// Every event with personal fields.
pub const PERSONAL_EVENTS: &[PersonalEvent] = &[
    PersonalEvent {
        event_type: "RequestSent",
        subject: SubjectOf::CitizenAt("/requester/codice_fiscale"),
        fields: &[
            "/requester/codice_fiscale",
            "/requester/surname",
            "/requester/name",
            "/requester/birth_date",
            "/requester/birth_place",
            "/text",
            "/notes",
        ],
    },
    PersonalEvent {
        event_type: "MessageSent",
        subject: SubjectOf::Stream,
        fields: &["/text"],
    },
    PersonalEvent {
        event_type: "ReplyReceived",
        subject: SubjectOf::Stream,
        fields: &["/text"],
    },
    PersonalEvent {
        event_type: "AttachmentAdded",
        subject: SubjectOf::Stream,
        fields: &["/attachment/filename"],
    },
    PersonalEvent {
        event_type: "SlotHeld",
        subject: SubjectOf::CitizenAt("/codice_fiscale"),
        fields: &["/codice_fiscale"],
    },
    PersonalEvent {
        event_type: "SlotBooked",
        subject: SubjectOf::CitizenAt("/booker/codice_fiscale"),
        fields: &[
            "/booker/codice_fiscale",
            "/booker/details/reason",
            "/booker/details/mobile",
            "/booker/details/email",
        ],
    },
];

/// Personal fields whose erased form is `null`: in the domain they are an
/// `Option` of a parsed value (a mobile number, an e-mail address) that
/// cannot hold [`ERASED`]; erased, they read as absent.
pub const ERASED_AS_NULL: &[&str] = &["/booker/details/mobile", "/booker/details/email"];

/// The declaration of `event_type`, if it has personal fields.
pub fn personal_event(event_type: &str) -> Option<&'static PersonalEvent> {
    PERSONAL_EVENTS.iter().find(|e| e.event_type == event_type)
}

/// The codice fiscale that names the event's subject, when the payload holds it.
pub fn subject_code<'a>(event_type: &str, payload: &'a Value) -> Option<&'a str> {
    match personal_event(event_type)?.subject {
        SubjectOf::CitizenAt(p) => payload.pointer(p)?.as_str(),
        SubjectOf::Stream => None,
    }
}

/// Moves the personal fields of `payload` into one sealed value for
/// `subject` under `dek`; a payload without any is left as it is. Returns
/// whether anything was sealed.
pub fn seal_payload(
    event_type: &str,
    payload: &mut Value,
    subject: &str,
    dek: &DataKey,
) -> Result<bool, CryptoError> {
    let Some(decl) = personal_event(event_type) else {
        return Ok(false);
    };
    let mut taken = Map::new();
    for pointer in decl.fields {
        if let Some(v) = take(payload, pointer) {
            taken.insert((*pointer).to_string(), v);
        }
    }
    if taken.is_empty() {
        return Ok(false);
    }
    let plain = serde_json::to_vec(&Value::Object(taken)).expect("JSON serialises");
    let sealed = crypto::seal(dek, &plain, aad(event_type, subject).as_bytes())?;
    if let Value::Object(m) = payload {
        m.insert(
            SEALED_KEY.into(),
            serde_json::json!({"subject": subject, "fields": hex::encode(sealed)}),
        );
    }
    Ok(true)
}

/// The subject a stored payload was sealed for, if sealed.
pub fn sealed_subject(payload: &Value) -> Option<&str> {
    payload.get(SEALED_KEY)?.get("subject")?.as_str()
}

/// Puts the sealed fields back: opened with `dek`, or [`ERASED`] in each
/// declared field when `dek` is `None` (the subject's key was destroyed). A
/// payload that was never sealed is returned as it is.
pub fn open_payload(
    event_type: &str,
    payload: &mut Value,
    dek: Option<&DataKey>,
) -> Result<(), CryptoError> {
    let Some(Value::Object(sealed)) = payload.as_object_mut().and_then(|m| m.remove(SEALED_KEY))
    else {
        return Ok(());
    };
    let subject = sealed
        .get("subject")
        .and_then(Value::as_str)
        .ok_or(CryptoError::Malformed)?;
    let fields: Map<String, Value> = match dek {
        Some(dek) => {
            let bytes = sealed
                .get("fields")
                .and_then(Value::as_str)
                .and_then(|h| hex::decode(h).ok())
                .ok_or(CryptoError::Malformed)?;
            let plain = crypto::open(dek, &bytes, aad(event_type, subject).as_bytes())?;
            serde_json::from_slice(&plain).map_err(|_| CryptoError::Malformed)?
        }
        None => personal_event(event_type)
            .map(|d| {
                d.fields
                    .iter()
                    .map(|p| {
                        let erased = if ERASED_AS_NULL.contains(p) {
                            Value::Null
                        } else {
                            Value::String(ERASED.into())
                        };
                        ((*p).to_string(), erased)
                    })
                    .collect()
            })
            .unwrap_or_default(),
    };
    for (pointer, value) in fields {
        put(payload, &pointer, value);
    }
    Ok(())
}

/// Removes the personal fields of `payload` without keeping them anywhere
/// (what is left if sealing itself ever failed).
pub fn drop_personal_fields(event_type: &str, payload: &mut Value) {
    if let Some(decl) = personal_event(event_type) {
        for pointer in decl.fields {
            take(payload, pointer);
        }
    }
}

/// The sealed fields are bound to the event type and the subject.
fn aad(event_type: &str, subject: &str) -> String {
    format!("{event_type}\0{subject}")
}

fn split(pointer: &str) -> Option<(&str, &str)> {
    let (parent, last) = pointer.rsplit_once('/')?;
    Some((parent, last))
}

fn take(payload: &mut Value, pointer: &str) -> Option<Value> {
    let (parent, last) = split(pointer)?;
    let target = if parent.is_empty() {
        payload
    } else {
        payload.pointer_mut(parent)?
    };
    target.as_object_mut()?.remove(last)
}

fn put(payload: &mut Value, pointer: &str, value: Value) {
    let Some((parent, last)) = split(pointer) else {
        return;
    };
    let target = if parent.is_empty() {
        Some(payload)
    } else {
        payload.pointer_mut(parent)
    };
    if let Some(Value::Object(m)) = target {
        m.insert(last.to_string(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sent() -> Value {
        json!({"type": "RequestSent", "protocol": "INPS.1234.2026.0000001",
               "requester": {"kind": "citizen", "codice_fiscale": "RSSMRA60E12H501E",
                             "surname": "ROSSI", "name": "MARIO", "birth_date": "1960-05-12",
                             "birth_place": "ROMA", "cap": "00184"},
               "text": "Mio figlio Luca…", "notes": null, "at": "2026-03-01T10:00:00Z"})
    }

    #[test]
    fn sealed_payloads_hold_no_personal_field_and_open_to_the_original() {
        let dek = crypto::new_data_key();
        let original = sent();
        let mut p = original.clone();
        assert_eq!(subject_code("RequestSent", &p), Some("RSSMRA60E12H501E"));
        assert!(seal_payload("RequestSent", &mut p, "cabc", &dek).unwrap());
        let stored = p.to_string();
        for clear in ["RSSMRA60E12H501E", "ROSSI", "MARIO", "1960-05-12", "Luca"] {
            assert!(!stored.contains(clear), "{clear} in {stored}");
        }
        assert!(stored.contains("INPS.1234.2026.0000001") && stored.contains("00184"));
        assert_eq!(sealed_subject(&p), Some("cabc"));
        open_payload("RequestSent", &mut p, Some(&dek)).unwrap();
        assert_eq!(p, original);
    }

    #[test]
    fn without_the_key_personal_fields_read_as_erased_and_the_rest_stays() {
        let dek = crypto::new_data_key();
        let mut p = sent();
        seal_payload("RequestSent", &mut p, "cabc", &dek).unwrap();
        open_payload("RequestSent", &mut p, None).unwrap();
        assert_eq!(p["requester"]["surname"], ERASED);
        assert_eq!(p["requester"]["codice_fiscale"], ERASED);
        assert_eq!(p["text"], ERASED);
        assert_eq!(p["protocol"], "INPS.1234.2026.0000001");
        assert_eq!(p["at"], "2026-03-01T10:00:00Z");
    }

    #[test]
    fn a_sealed_payload_opens_only_as_its_event_and_subject() {
        let dek = crypto::new_data_key();
        let mut p = sent();
        seal_payload("RequestSent", &mut p, "cabc", &dek).unwrap();
        p[SEALED_KEY]["subject"] = json!("cother");
        assert!(open_payload("RequestSent", &mut p, Some(&dek)).is_err());
    }

    #[test]
    fn events_without_personal_fields_are_untouched() {
        let dek = crypto::new_data_key();
        let mut p = json!({"type": "TakenInCharge", "by": "u1"});
        assert!(!seal_payload("TakenInCharge", &mut p, "cabc", &dek).unwrap());
        assert_eq!(p, json!({"type": "TakenInCharge", "by": "u1"}));
        open_payload("TakenInCharge", &mut p, None).unwrap();
        assert_eq!(p, json!({"type": "TakenInCharge", "by": "u1"}));
    }
}
