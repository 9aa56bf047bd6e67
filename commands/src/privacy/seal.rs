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
use super::keys::{KeyError, SubjectKeys};
use super::personal::{self, SubjectOf};
use super::Pseudonyms;
use chrono::{DateTime, Utc};
use domain::codice_fiscale::CodiceFiscale;
use std::collections::HashMap;
pub use store::privacy::open::{register_master_key, ERASED_SUBJECT};
use store::{Expected, NewEvent};

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
        let mut keys = HashMap::new();
        let mut wanted: Vec<&CodiceFiscale> = citizens.to_vec();
        if let StreamSubject::Citizen(cf) = stream {
            wanted.push(cf);
        }
        for cf in wanted {
            let subject = self.pseudonyms.citizen(cf);
            if let std::collections::hash_map::Entry::Vacant(slot) = keys.entry(subject) {
                let key = self
                    .keys
                    .key_for_sealing(slot.key(), "citizen", now)
                    .await?;
                slot.insert(key);
            }
        }
        let stream_subject = match stream {
            StreamSubject::None => None,
            StreamSubject::Citizen(cf) => Some(self.pseudonyms.citizen(cf)),
            StreamSubject::Erased => Some(ERASED_SUBJECT.to_string()),
        };
        Ok(SealKeys {
            pseudonyms: self.pseudonyms.clone(),
            keys,
            stream_subject,
        })
    }

    /// Seals built events in place: the citizens their payloads name are
    /// found in them.
    pub async fn seal(
        &self,
        streams: &mut [(Expected, Vec<NewEvent>)],
        stream: &StreamSubject,
        now: DateTime<Utc>,
    ) -> Result<(), KeyError> {
        let mut named = Vec::new();
        for (_, events) in streams.iter() {
            for e in events {
                if let Some(raw) = personal::subject_code(&e.event_type, &e.payload) {
                    if let Ok(cf) = CodiceFiscale::parse(raw) {
                        named.push(cf);
                    }
                }
            }
        }
        let refs: Vec<&CodiceFiscale> = named.iter().collect();
        self.keys_for(&refs, stream, now).await?.seal(streams);
        Ok(())
    }
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
        };
        let Some(subject) = subject else {
            return;
        };
        let dek = match self.keys.get(&subject) {
            Some(Some(k)) => *k,
            Some(None) => new_data_key(),
            None => {
                if subject != ERASED_SUBJECT {
                    tracing::error!(event_type = %e.event_type, "no data key fetched for a subject: sealed as erased");
                }
                new_data_key()
            }
        };
        if let Err(err) = personal::seal_payload(&e.event_type, &mut e.payload, &subject, &dek) {
            // AES-GCM sealing fails only on absurd lengths; never store in clear.
            tracing::error!(error = %err, "sealing failed: personal fields dropped");
            personal::drop_personal_fields(&e.event_type, &mut e.payload);
        }
    }
}
