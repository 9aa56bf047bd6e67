//! Crypto-shredding wired into the store's edge (docs/privacy.md, P12–P14).
//!
//! **Sealing** happens before a write reaches the group committer: the
//! commands hand their events to a [`Sealer`], which fetches each subject's
//! data key once (cached by [`SubjectKeys`]) and moves the personal fields
//! into `_sealed` ([`super::personal`]). What the committer stores, and the
//! hash chain covers, is that sealed form.
//!
//! **Opening** happens where the store decodes rows: every query that hands
//! events to folds, projections, the audit API or the export joins the
//! subject's wrapped key in the same statement ([`EVENTS_WITH_KEYS`]), so an
//! erasure is seen at once by every process and no event costs a round trip
//! of its own. The wrapped key is unwrapped by the master key it names
//! (registered once per process, [`register_master_key`]) and the result
//! cached. A destroyed key opens to the erased form ("dato cancellato").

use super::crypto::{new_data_key, CryptoError, DataKey, MasterKey};
use super::keys::{KeyError, SubjectKeys};
use super::personal::{self, SubjectOf};
use super::Pseudonyms;
use crate::store::{Expected, NewEvent, RecordedEvent, StoreError};
use chrono::{DateTime, Utc};
use domain::codice_fiscale::CodiceFiscale;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock};

/// The subject recorded when a stream's citizen was already erased: nothing
/// is keyed under it, so what is sealed for it opens as erased.
pub const ERASED_SUBJECT: &str = "erased";

/// The events table with each sealed event's subject key beside it (a join
/// on the primary key of `subject_keys`; unsealed events join nothing).
pub(crate) const EVENTS_WITH_KEYS: &str = "events LEFT JOIN subject_keys sk \
    ON sk.subject = events.payload #>> '{_sealed,subject}'";
/// The columns the join adds to [`crate::store::log::EVENT_COLUMNS`].
pub(crate) const KEY_COLUMNS: &str =
    "sk.master_key_id AS sealed_master, sk.wrapped_key AS sealed_key";

/// A stored event with its subject's wrapped key, as a query returns it.
#[derive(sqlx::FromRow)]
pub(crate) struct SealedRow {
    #[sqlx(flatten)]
    pub event: RecordedEvent,
    pub sealed_master: Option<String>,
    pub sealed_key: Option<Vec<u8>>,
}

static MASTER_KEYS: LazyLock<RwLock<HashMap<String, Arc<dyn MasterKey>>>> =
    LazyLock::new(Default::default);
/// Unwrapped data keys by their wrapped bytes (unique per subject and key).
static OPEN_KEYS: LazyLock<RwLock<HashMap<Vec<u8>, DataKey>>> = LazyLock::new(Default::default);
/// Beyond this many cached data keys the cache starts afresh.
const OPEN_KEYS_MAX: usize = 200_000;

/// Makes `master` available to open what was sealed under it (by its id).
/// A process registers the deployment's master key at start (and an old one
/// during a rotation).
pub fn register_master_key(master: Arc<dyn MasterKey>) {
    MASTER_KEYS
        .write()
        .expect("master keys")
        .insert(master.id().to_string(), master);
}

fn data_key(master_id: &str, wrapped: &[u8], subject: &str) -> Result<DataKey, CryptoError> {
    if let Some(k) = OPEN_KEYS.read().expect("key cache").get(wrapped) {
        return Ok(*k);
    }
    let master = MASTER_KEYS
        .read()
        .expect("master keys")
        .get(master_id)
        .cloned()
        .ok_or_else(|| CryptoError::MasterKey(format!("master key {master_id} not configured")))?;
    let k = master.unwrap(wrapped, subject)?;
    let mut cache = OPEN_KEYS.write().expect("key cache");
    if cache.len() >= OPEN_KEYS_MAX {
        cache.clear();
    }
    cache.insert(wrapped.to_vec(), k);
    Ok(k)
}

/// The event with its personal fields opened, or erased if its subject's
/// key is gone. Not upcast (the audit API shows the stored schema version).
pub(crate) fn open_row(row: SealedRow) -> Result<RecordedEvent, StoreError> {
    let mut event = row.event;
    let Some(subject) = personal::sealed_subject(&event.payload).map(str::to_owned) else {
        return Ok(event);
    };
    let corrupt = |e: CryptoError| StoreError::Corrupt {
        position: event.position,
        reason: e.to_string(),
    };
    let dek = match (&row.sealed_master, &row.sealed_key) {
        (Some(master), Some(wrapped)) => {
            Some(data_key(master, wrapped, &subject).map_err(corrupt)?)
        }
        _ => None,
    };
    let position = event.position;
    personal::open_payload(&event.event_type, &mut event.payload, dek.as_ref()).map_err(|e| {
        StoreError::Corrupt {
            position,
            reason: e.to_string(),
        }
    })?;
    Ok(event)
}

/// Opens and brings to the current schema: what folds and projections read.
pub(crate) fn open_and_upcast(row: SealedRow) -> Result<RecordedEvent, StoreError> {
    crate::store::upcast::upcast(open_row(row)?)
}

impl From<KeyError> for StoreError {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::Db(e) => StoreError::Database(e),
            KeyError::Store(e) => e,
            other => StoreError::Corrupt {
                position: 0,
                reason: format!("data key: {other}"),
            },
        }
    }
}

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
