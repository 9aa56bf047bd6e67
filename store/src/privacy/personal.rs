//! The one place that knows which fields of which event are personal
//! (docs/privacy.md has the table and why), and the seal/open of a payload.
//!
//! Sealing moves an event's personal fields out of its payload into one
//! AEAD-sealed value under the subject's data key:
//!
//! ```json
//! {"type": "RequestSent", "requester": {"kind": "citizen", "cap": "00184"}, …,
//!  "_sealed": {"subject": "c3f…", "fields64": "<base64 of nonce ‖ ciphertext>"}}
//! ```
//!
//! Values sealed before decision P32 hold the same bytes as hex under
//! `fields`; they open as they always did (the hash chain covers them).
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
use super::hex_text;
use super::pointer::{expand, put, take};
use super::put_back;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

/// What an erased field reads as.
pub const ERASED: &str = domain::personal::ERASED;
/// The payload key of the sealed fields.
pub const SEALED_KEY: &str = "_sealed";
/// Inside [`SEALED_KEY`], the fields sealed under the joint key.
const JOINT_KEY: &str = "joint";
/// Inside a sealed value, the ciphertext in base64 (what is written).
const FIELDS_KEY: &str = "fields64";
/// Inside a sealed value written before P32, the ciphertext in hex.
const HEX_FIELDS_KEY: &str = "fields";

/// Whose data an event's personal fields are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectOf {
    /// The citizen whose codice fiscale is at this pointer of the payload.
    CitizenAt(&'static str),
    /// The subject of the event's stream (e.g. a request's later messages
    /// belong to the request's citizen), known to the caller.
    Stream,
    /// The contact data of the booking whose id is at this pointer (`b…`).
    BookingAt(&'static str),
}

/// An event type with personal fields.
#[derive(Debug, Clone, Copy)]
pub struct PersonalEvent {
    pub event_type: &'static str,
    pub subject: SubjectOf,
    /// JSON pointers (RFC 6901, `*` for each element of an array) of the
    /// personal fields; absent ones are skipped.
    pub fields: &'static [&'static str],
    /// Fields that are a second subject's too.
    pub joint: Option<Joint>,
}

/// Fields of two subjects at once: sealed under a key joined from both
/// subjects' keys, so that destroying either key erases them. A booking's
/// contacts: retention destroys the booking's key (`b…`), the citizen's
/// erasure the citizen's. Without the first subject they are sealed under
/// the second's key alone.
#[derive(Debug, Clone, Copy)]
pub struct Joint {
    pub subject: SubjectOf,
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
            "/attachments/*/filename",
        ],
        joint: None,
    },
    stream_event("MessageSent", &["/text", "/attachments/*/filename"]),
    stream_event("ReplyReceived", &["/text", "/attachments/*/filename"]),
    stream_event("AttachmentAdded", &["/attachment/filename"]),
    stream_event("ForwardedToSede", &["/reason"]),
    stream_event("ConversationClosed", &["/note"]),
    stream_event("AppointmentCancelled", &["/reason"]),
    PersonalEvent {
        event_type: "SlotHeld",
        subject: SubjectOf::CitizenAt("/codice_fiscale"),
        fields: &["/codice_fiscale"],
        joint: None,
    },
    PersonalEvent {
        event_type: "SlotBooked",
        subject: SubjectOf::CitizenAt("/booker/codice_fiscale"),
        fields: &["/booker/codice_fiscale"],
        joint: Some(Joint {
            subject: SubjectOf::BookingAt("/booking_id"),
            fields: &[
                "/booker/details/reason",
                "/booker/details/mobile",
                "/booker/details/email",
            ],
        }),
    },
    // The slot stream's subject is the booking's citizen, when the command
    // knows it (docs/privacy.md).
    PersonalEvent {
        event_type: "SlotBookingCancelled",
        subject: SubjectOf::Stream,
        fields: &[],
        joint: Some(Joint {
            subject: SubjectOf::BookingAt("/booking_id"),
            fields: &["/reason"],
        }),
    },
];

const fn stream_event(event_type: &'static str, fields: &'static [&'static str]) -> PersonalEvent {
    PersonalEvent {
        event_type,
        subject: SubjectOf::Stream,
        fields,
        joint: None,
    }
}

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
        _ => None,
    }
}

/// The booking id that names the event's joint subject, when it has one.
pub fn joint_booking<'a>(event_type: &str, payload: &'a Value) -> Option<&'a str> {
    match personal_event(event_type)?.joint?.subject {
        SubjectOf::BookingAt(p) => payload.pointer(p)?.as_str(),
        _ => None,
    }
}

/// Whether any joint field of the event holds a value (a booking without
/// contacts needs no key of its own).
pub fn has_joint_fields(event_type: &str, payload: &Value) -> bool {
    personal_event(event_type)
        .and_then(|d| d.joint)
        .is_some_and(|j| {
            j.fields.iter().any(|declared| {
                expand(payload, declared)
                    .iter()
                    .any(|p| payload.pointer(p).is_some_and(|v| !v.is_null()))
            })
        })
}

/// The subjects and keys an event is sealed for: the first (the citizen),
/// and the second of its joint fields (a booking's contacts), each when known.
pub struct SealFor<'a> {
    pub subject: Option<(&'a str, &'a DataKey)>,
    pub joint: Option<(&'a str, &'a DataKey)>,
}

/// The key of joint fields: neither subject's key alone opens them.
fn joint_key(first: &DataKey, second: &DataKey) -> DataKey {
    let mut mac = Hmac::<Sha256>::new_from_slice(first).expect("HMAC takes any key length");
    mac.update(b"combipat-joint-key\0");
    mac.update(second);
    mac.finalize().into_bytes().into()
}

/// Takes the non-null values of `pointers` out of `payload` (a `null`, an
/// empty optional field, stays: it tells nothing about anyone).
fn take_all(payload: &mut Value, pointers: &[&str], into: &mut Map<String, Value>) {
    for declared in pointers {
        for pointer in expand(payload, declared) {
            if payload.pointer(&pointer).is_some_and(|v| !v.is_null()) {
                if let Some(v) = take(payload, &pointer) {
                    into.insert(pointer, v);
                }
            }
        }
    }
}

fn seal_map(fields: Map<String, Value>, dek: &DataKey, aad: &str) -> Result<String, CryptoError> {
    let plain = serde_json::to_vec(&Value::Object(fields)).expect("JSON serialises");
    Ok(BASE64.encode(crypto::seal(dek, &plain, aad.as_bytes())?))
}

/// Moves the personal fields of `payload` into one sealed value under the
/// keys of `to`; a payload without any (or without a known subject) is left
/// as it is. Returns whether anything was sealed.
pub fn seal_payload(
    event_type: &str,
    payload: &mut Value,
    to: SealFor,
) -> Result<bool, CryptoError> {
    let Some(decl) = personal_event(event_type) else {
        return Ok(false);
    };
    let joint_fields = decl.joint.map(|j| j.fields).unwrap_or_default();
    let sealed = match (to.subject, to.joint) {
        (None, None) => return Ok(false),
        (Some((subject, dek)), Some((second, second_dek))) if !joint_fields.is_empty() => {
            let (mut own, mut joint) = (Map::new(), Map::new());
            take_all(payload, decl.fields, &mut own);
            take_all(payload, joint_fields, &mut joint);
            if own.is_empty() && joint.is_empty() {
                return Ok(false);
            }
            let key = joint_key(dek, second_dek);
            serde_json::json!({
                "subject": subject,
                FIELDS_KEY: seal_map(own, dek, &aad(event_type, subject))?,
                JOINT_KEY: {"subject": second,
                    FIELDS_KEY: seal_map(joint, &key, &joint_aad(event_type, subject, second))?},
            })
        }
        (Some((subject, dek)), _) | (None, Some((subject, dek))) => {
            let mut taken = Map::new();
            take_all(payload, decl.fields, &mut taken);
            take_all(payload, joint_fields, &mut taken);
            if taken.is_empty() {
                return Ok(false);
            }
            serde_json::json!({"subject": subject,
                FIELDS_KEY: seal_map(taken, dek, &aad(event_type, subject))?})
        }
    };
    if let Value::Object(m) = payload {
        m.insert(SEALED_KEY.into(), sealed);
    }
    Ok(true)
}

/// The subject a stored payload was sealed for, if sealed.
pub fn sealed_subject(payload: &Value) -> Option<&str> {
    payload.get(SEALED_KEY)?.get("subject")?.as_str()
}

/// The second subject of a stored payload's joint fields, if any.
pub fn sealed_joint_subject(payload: &Value) -> Option<&str> {
    payload
        .get(SEALED_KEY)?
        .get(JOINT_KEY)?
        .get("subject")?
        .as_str()
}

/// Opens `sealed` with `dek` and puts its fields back into `payload`.
fn open_into(
    payload: &mut Value,
    sealed: &Value,
    dek: &DataKey,
    aad: &str,
) -> Result<(), CryptoError> {
    let mut bytes = match (sealed.get(FIELDS_KEY), sealed.get(HEX_FIELDS_KEY)) {
        (Some(Value::String(b64)), None) => BASE64.decode(b64).ok(),
        (None, Some(Value::String(hex))) => hex_text::decode(hex),
        _ => None,
    }
    .ok_or(CryptoError::Malformed)?;
    let plaintext = crypto::open_in_place(dek, &mut bytes, aad.as_bytes())?;
    put_back::put_fields(plaintext, payload)
}

/// Puts [`ERASED`] (or `null`) wherever a declared field was taken out.
fn erase_all(payload: &mut Value, pointers: &[&str]) {
    for declared in pointers {
        let erased = if ERASED_AS_NULL.contains(declared) {
            Value::Null
        } else {
            Value::String(ERASED.into())
        };
        for pointer in expand(payload, declared) {
            if payload.pointer(&pointer).is_none() {
                put(payload, &pointer, erased.clone());
            }
        }
    }
}

/// Puts the sealed fields back: opened with the subject's key `dek` (and
/// the joint fields with `joint_dek` too), or [`ERASED`] in each declared
/// field whose key is gone (`None`: the subject's key was destroyed). A
/// payload that was never sealed is returned as it is.
pub fn open_payload(
    event_type: &str,
    payload: &mut Value,
    dek: Option<&DataKey>,
    joint_dek: Option<&DataKey>,
) -> Result<(), CryptoError> {
    let Some(sealed) = payload.as_object_mut().and_then(|m| m.remove(SEALED_KEY)) else {
        return Ok(());
    };
    let subject = sealed
        .get("subject")
        .and_then(Value::as_str)
        .ok_or(CryptoError::Malformed)?;
    let decl = personal_event(event_type);
    let own_fields = decl.map(|d| d.fields).unwrap_or_default();
    let joint_fields = decl
        .and_then(|d| d.joint)
        .map(|j| j.fields)
        .unwrap_or_default();
    let joint = sealed.get(JOINT_KEY);
    if let Some(dek) = dek {
        open_into(payload, &sealed, dek, &aad(event_type, subject))?;
        if let (Some(joint), Some(second_dek)) = (joint, joint_dek) {
            let second = joint
                .get("subject")
                .and_then(Value::as_str)
                .ok_or(CryptoError::Malformed)?;
            let key = joint_key(dek, second_dek);
            open_into(
                payload,
                joint,
                &key,
                &joint_aad(event_type, subject, second),
            )?;
        }
    }
    // Only what a missing key sealed reads as erased: with the keys, a
    // declared field the event never had stays absent.
    if dek.is_none() {
        erase_all(payload, own_fields);
        erase_all(payload, joint_fields);
    } else if joint.is_some() && joint_dek.is_none() {
        erase_all(payload, joint_fields);
    }
    Ok(())
}

/// Removes the personal fields of `payload` without keeping them anywhere
/// (what is left if sealing itself ever failed).
pub fn drop_personal_fields(event_type: &str, payload: &mut Value) {
    if let Some(decl) = personal_event(event_type) {
        let joint = decl.joint.map(|j| j.fields).unwrap_or_default();
        take_all(payload, decl.fields, &mut Map::new());
        take_all(payload, joint, &mut Map::new());
    }
}

/// The sealed fields are bound to the event type and the subject.
fn aad(event_type: &str, subject: &str) -> String {
    format!("{event_type}\0{subject}")
}

/// Joint fields are bound to both subjects.
fn joint_aad(event_type: &str, subject: &str, second: &str) -> String {
    format!("{event_type}\0{subject}\0{second}")
}

#[cfg(test)]
#[path = "personal_tests.rs"]
mod tests;
