//! Crypto-shredding wired into the store's edge (docs/privacy.md, P12–P14).
//!
//! **Sealing** happens before a write reaches the group committer: the
//! commands hand their events to a [`Sealer`], which fetches each subject's
//! data key once (cached by [`SubjectKeys`]) and moves the personal fields
//! into `_sealed` ([`super::personal`]). What the committer stores, and the
//! hash chain covers, is that sealed form.
//!
//! **Opening** happens where the store decodes rows (`store::privacy::open`,
//! re-exported here).

use super::crypto::{new_data_key, DataKey};
use super::keys::{KeyError, KeyReceipt, NewKeyStored, SubjectKeys};
use super::personal::{self, SealFor, SubjectOf};
use super::Pseudonyms;
use chrono::{DateTime, Utc};
use domain::codice_fiscale::CodiceFiscale;
use std::collections::HashMap;
pub use store::privacy::open::{register_master_key, ERASED_SUBJECT};
use store::{Expected, NewEvent};
use uuid::Uuid;

/// Seals the events of commands' writes (cheap to clone).
#[derive(Clone, Debug)]
pub struct Sealer {
    keys: SubjectKeys,
    pseudonyms: Pseudonyms,
}

/// Whose the personal fields of a stream's events are when they do not
/// name their citizen themselves (a request's messages, replies, files).
#[derive(Debug, Clone, Default)]
pub enum StreamSubject {
    /// Nobody's: an own-behalf request, a stream without such events.
    #[default]
    None,
    Citizen(CodiceFiscale),
    /// The stream's citizen was erased: new personal fields are sealed under
    /// a key that is never kept, so they read as erased from the start.
    Erased,
}

/// The data keys a write is sealed with, fetched before it is queued.
#[derive(Clone)]
pub struct SealKeys {
    pseudonyms: Pseudonyms,
    keys: HashMap<String, Option<DataKey>>,
    stream_subject: Option<String>,
    /// New subjects' keys not stored yet ([`Sealer::keys_ahead_for`]).
    pending: Vec<KeyReceipt>,
}

impl Sealer {
    pub fn new(keys: SubjectKeys, pseudonyms: Pseudonyms) -> Self {
        Self { keys, pseudonyms }
    }

    pub fn keys(&self) -> &SubjectKeys {
        &self.keys
    }

    pub fn pseudonyms(&self) -> &Pseudonyms {
        &self.pseudonyms
    }

    /// The keys to seal the events of `citizens` (and of a stream's own
    /// subject) with; a citizen's key is created on first use.
    pub async fn keys_for(
        &self,
        citizens: &[&CodiceFiscale],
        stream: &StreamSubject,
        now: DateTime<Utc>,
    ) -> Result<SealKeys, KeyError> {
        self.keys_for_subjects(citizens, &[], stream, now).await
    }

    /// As [`Sealer::keys_for`] without storing new citizens' keys first:
    /// the write hands [`SealKeys::pending`] to the committer
    /// (`GroupCommitter::commit_sealed`), whose batch stores them with the
    /// write (decision P30).
    pub async fn keys_ahead_for(
        &self,
        citizens: &[&CodiceFiscale],
        stream: &StreamSubject,
        now: DateTime<Utc>,
    ) -> Result<SealKeys, KeyError> {
        self.keys_ahead(citizens, &[], stream, now, NewKeyStored::WithTheWrite)
            .await
    }

    /// As [`Sealer::keys_for`], and the keys of `bookings`' contact data
    /// (`b…`). The keys not cached are fetched side by side: however many
    /// subjects are new, the write waits for one round trip.
    pub async fn keys_for_subjects(
        &self,
        citizens: &[&CodiceFiscale],
        bookings: &[Uuid],
        stream: &StreamSubject,
        now: DateTime<Utc>,
    ) -> Result<SealKeys, KeyError> {
        // A key that lost to one stored first by another process is
        // replaced by the stored one in the second round.
        for _ in 0..2 {
            let mut keys = self
                .keys_ahead(citizens, bookings, stream, now, NewKeyStored::ByItself)
                .await?;
            let mut lost = false;
            for receipt in std::mem::take(&mut keys.pending) {
                lost |= receipt.stored().await.is_err();
            }
            if !lost {
                return Ok(keys);
            }
        }
        Err(KeyError::Store(store::StoreError::KeyLost))
    }

    async fn keys_ahead(
        &self,
        citizens: &[&CodiceFiscale],
        bookings: &[Uuid],
        stream: &StreamSubject,
        now: DateTime<Utc>,
        how: NewKeyStored,
    ) -> Result<SealKeys, KeyError> {
        let mut wanted: Vec<(String, &'static str)> = Vec::new();
        let stream_citizen = match stream {
            StreamSubject::Citizen(cf) => Some(cf),
            _ => None,
        };
        for cf in citizens.iter().copied().chain(stream_citizen) {
            wanted.push((self.pseudonyms.citizen(cf), "citizen"));
        }
        for id in bookings {
            wanted.push((self.pseudonyms.booking(*id), "booking"));
        }
        wanted.sort();
        wanted.dedup();
        let fetched = futures::future::try_join_all(
            wanted
                .iter()
                .map(|(subject, kind)| self.keys.key_for_sealing_ahead(subject, kind, now, how)),
        )
        .await?;
        let mut pending = Vec::new();
        let keys = wanted
            .into_iter()
            .map(|(subject, _)| subject)
            .zip(fetched)
            .map(|(subject, fetched)| {
                let key = fetched.map(|(key, receipt)| {
                    pending.extend(receipt);
                    key
                });
                (subject, key)
            })
            .collect();
        let stream_subject = match stream {
            StreamSubject::None => None,
            StreamSubject::Citizen(cf) => Some(self.pseudonyms.citizen(cf)),
            StreamSubject::Erased => Some(ERASED_SUBJECT.to_string()),
        };
        Ok(SealKeys {
            pseudonyms: self.pseudonyms.clone(),
            keys,
            stream_subject,
            pending,
        })
    }

    /// Seals built events in place: the citizens and bookings their payloads
    /// name are found in them; `stream` is whose the rest is.
    pub async fn seal(
        &self,
        streams: &mut [(Expected, Vec<NewEvent>)],
        stream: &StreamSubject,
        now: DateTime<Utc>,
    ) -> Result<(), KeyError> {
        let mut named = Vec::new();
        let mut bookings = Vec::new();
        for (_, events) in streams.iter() {
            for e in events {
                if let Some(raw) = personal::subject_code(&e.event_type, &e.payload) {
                    if let Ok(cf) = CodiceFiscale::parse(raw) {
                        named.push(cf);
                    }
                }
                if let Some(id) = joint_booking(&e.event_type, &e.payload) {
                    bookings.push(id);
                }
            }
        }
        let refs: Vec<&CodiceFiscale> = named.iter().collect();
        self.keys_for_subjects(&refs, &bookings, stream, now)
            .await?
            .seal(streams);
        Ok(())
    }
}

/// The booking whose contact data the event holds, if it holds any.
fn joint_booking(event_type: &str, payload: &serde_json::Value) -> Option<Uuid> {
    if !personal::has_joint_fields(event_type, payload) {
        return None;
    }
    personal::joint_booking(event_type, payload)?.parse().ok()
}

impl SealKeys {
    /// Moves every declared personal field into its event's sealed value.
    /// A subject without a live key here (erased, or not fetched) gets a key
    /// that is thrown away: its fields are never stored in clear.
    pub fn seal(&self, streams: &mut [(Expected, Vec<NewEvent>)]) {
        for (_, events) in streams.iter_mut() {
            for e in events.iter_mut() {
                self.seal_event(e);
            }
        }
    }

    fn seal_event(&self, e: &mut NewEvent) {
        let Some(decl) = personal::personal_event(&e.event_type) else {
            return;
        };
        let subject = match decl.subject {
            SubjectOf::CitizenAt(_) => personal::subject_code(&e.event_type, &e.payload)
                .map(|raw| self.pseudonyms.citizen_code(raw)),
            SubjectOf::Stream => self.stream_subject.clone(),
            SubjectOf::BookingAt(p) => e
                .payload
                .pointer(p)
                .and_then(|v| v.as_str())
                .and_then(|id| id.parse().ok())
                .map(|id| self.pseudonyms.booking(id)),
        };
        let joint = joint_booking(&e.event_type, &e.payload).map(|id| self.pseudonyms.booking(id));
        let dek = subject.as_deref().map(|s| self.key_of(s, &e.event_type));
        let joint_dek = joint.as_deref().map(|s| self.key_of(s, &e.event_type));
        let to = SealFor {
            subject: subject.as_deref().zip(dek.as_ref()),
            joint: joint.as_deref().zip(joint_dek.as_ref()),
        };
        if let Err(err) = personal::seal_payload(&e.event_type, &mut e.payload, to) {
            // AES-GCM sealing fails only on absurd lengths; never store in clear.
            tracing::error!(error = %err, "sealing failed: personal fields dropped");
            personal::drop_personal_fields(&e.event_type, &mut e.payload);
        }
    }

    /// The new subjects' keys still being stored, for the committer.
    pub fn pending(&self) -> Vec<KeyReceipt> {
        self.pending.clone()
    }

    /// `draft`'s sealed value, made before the event is final: a creation's
    /// event waits in the committer for its protocol number, which no
    /// personal field holds, so the encryption is done here, on the
    /// command's task, and the committer only swaps the fields for it.
    pub fn preseal(&self, draft: &NewEvent) -> PreSealed {
        let mut sealed = draft.clone();
        self.seal_event(&mut sealed);
        PreSealed {
            event_type: draft.event_type.clone(),
            sealed: sealed.payload.get(personal::SEALED_KEY).cloned(),
        }
    }

    /// The subject's live key; a key that is thrown away when the subject is
    /// erased (or, by a bug, was not fetched): nothing is stored in clear.
    fn key_of(&self, subject: &str, event_type: &str) -> DataKey {
        match self.keys.get(subject) {
            Some(Some(k)) => *k,
            Some(None) => new_data_key(),
            None => {
                if subject != ERASED_SUBJECT {
                    tracing::error!(%event_type, "no data key fetched for a subject: sealed as erased");
                }
                new_data_key()
            }
        }
    }
}

/// An event's sealed value made ahead of the event ([`SealKeys::preseal`]).
#[derive(Debug, Clone)]
pub struct PreSealed {
    event_type: String,
    /// `None`: nothing to seal (no personal field, or no subject).
    sealed: Option<serde_json::Value>,
}

impl PreSealed {
    /// Seals the final events of its type: their personal fields (the same
    /// as the draft's) give way to the sealed value made ahead.
    pub fn apply(&self, streams: &mut [(Expected, Vec<NewEvent>)]) {
        let Some(sealed) = &self.sealed else {
            return;
        };
        for (_, events) in streams.iter_mut() {
            for e in events
                .iter_mut()
                .filter(|e| e.event_type == self.event_type)
            {
                personal::drop_personal_fields(&e.event_type, &mut e.payload);
                if let serde_json::Value::Object(m) = &mut e.payload {
                    m.insert(personal::SEALED_KEY.into(), sealed.clone());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sent(protocol: &str) -> NewEvent {
        NewEvent {
            event_type: "RequestSent".into(),
            schema_version: 1,
            payload: json!({"type": "RequestSent", "protocol": protocol,
                "requester": {"kind": "citizen", "codice_fiscale": "RSSMRA60E12H501E",
                    "surname": "ROSSI", "name": "MARIO", "birth_date": "1960-05-12",
                    "cap": "00184"},
                "text": "Il figlio chiede la NASpI", "notes": null}),
        }
    }

    #[test]
    fn a_value_sealed_ahead_opens_to_the_final_events_fields() {
        let pseudonyms = Pseudonyms::new([3; 32]);
        let subject = pseudonyms.citizen_code("RSSMRA60E12H501E");
        let dek = new_data_key();
        let keys = SealKeys {
            pseudonyms,
            keys: HashMap::from([(subject, Some(dek))]),
            stream_subject: None,
            pending: Vec::new(),
        };
        let presealed = keys.preseal(&sent("3201-2000-000001"));
        let final_event = sent("3201-2026-000042");
        let mut streams = vec![(
            Expected::new_stream("request-x".into(), "request"),
            vec![final_event.clone()],
        )];
        presealed.apply(&mut streams);
        let stored = &streams[0].1[0].payload;
        assert_eq!(stored["protocol"], "3201-2026-000042");
        assert!(stored.get("text").is_none() && stored["requester"].get("surname").is_none());
        assert_eq!(stored["requester"]["cap"], "00184");
        let mut opened = stored.clone();
        personal::open_payload("RequestSent", &mut opened, Some(&dek), None).unwrap();
        assert_eq!(opened, final_event.payload);
    }
}
