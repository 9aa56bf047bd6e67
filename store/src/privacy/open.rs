//! Opening of stored rows (crypto-shredding at the store's edge, docs/privacy.md,
//! P12–P14).
//!
//! Every query that hands events to folds, projections, the audit API or the
//! export joins the subject's wrapped key in the same statement
//! ([`EVENTS_WITH_KEYS`]), so an erasure is seen at once by every process and
//! no event costs a round trip of its own. The wrapped key is unwrapped by the
//! master key it names (registered once per process, [`register_master_key`])
//! and the result cached. A destroyed key opens to the erased form ("dato
//! cancellato"). Sealing, which needs the commands' pseudonyms, lives in
//! `commands::privacy::seal`.

use super::crypto::{CryptoError, DataKey, MasterKey};
use super::keys::KeyError;
use super::personal;
use crate::{RecordedEvent, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock};

/// The subject recorded when a stream's citizen was already erased: nothing
/// is keyed under it, so what is sealed for it opens as erased.
pub const ERASED_SUBJECT: &str = "erased";

/// The events table with each sealed event's subject key beside it, and the
/// second subject's key of its joint fields (joins on the primary key of
/// `subject_keys`; unsealed events join nothing).
pub(crate) const EVENTS_WITH_KEYS: &str = "events LEFT JOIN subject_keys sk \
    ON sk.subject = events.payload #>> '{_sealed,subject}' \
    LEFT JOIN subject_keys jk ON jk.subject = events.payload #>> '{_sealed,joint,subject}'";
/// The columns the joins add to [`crate::log::EVENT_COLUMNS`].
pub(crate) const KEY_COLUMNS: &str = "sk.master_key_id AS sealed_master, \
    sk.wrapped_key AS sealed_key, jk.master_key_id AS joint_master, jk.wrapped_key AS joint_key";

/// A stored event with its subject's wrapped key, as a query returns it.
#[derive(sqlx::FromRow)]
pub(crate) struct SealedRow {
    #[sqlx(flatten)]
    pub event: RecordedEvent,
    pub sealed_master: Option<String>,
    pub sealed_key: Option<Vec<u8>>,
    pub joint_master: Option<String>,
    pub joint_key: Option<Vec<u8>>,
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
    let keys = JoinedKeys {
        subject: row.sealed_master.as_deref().zip(row.sealed_key.as_deref()),
        joint: row.joint_master.as_deref().zip(row.joint_key.as_deref()),
    };
    event.subject = open_in_place(&event.event_type, event.position, &mut event.payload, keys)?;
    Ok(event)
}

/// The wrapped keys a query joined beside a sealed value, each with the id
/// of the master key that wrapped it: its subject's, and the second
/// subject's of its joint fields.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct JoinedKeys<'a> {
    pub subject: Option<(&'a str, &'a [u8])>,
    pub joint: Option<(&'a str, &'a [u8])>,
}

/// Opens the payload (of the event at `position`) in place with the keys
/// joined beside it; what a missing (destroyed) key sealed reads as erased.
/// A payload that was never sealed is left as it is. Answers the subject it
/// was sealed for.
pub(crate) fn open_in_place(
    event_type: &str,
    position: i64,
    payload: &mut serde_json::Value,
    keys: JoinedKeys<'_>,
) -> Result<Option<String>, StoreError> {
    let Some(subject) = personal::sealed_subject(payload).map(str::to_owned) else {
        return Ok(None);
    };
    let corrupt = |e: CryptoError| StoreError::Corrupt {
        position,
        reason: e.to_string(),
    };
    let dek = match keys.subject {
        Some((master, wrapped)) => Some(data_key(master, wrapped, &subject).map_err(corrupt)?),
        None => None,
    };
    let joint_dek = match (personal::sealed_joint_subject(payload), keys.joint) {
        (Some(second), Some((master, wrapped))) => {
            Some(data_key(master, wrapped, second).map_err(corrupt)?)
        }
        _ => None,
    };
    personal::open_payload(event_type, payload, dek.as_ref(), joint_dek.as_ref())
        .map_err(corrupt)?;
    Ok(Some(subject))
}

/// Opens and brings to the current schema: what folds and projections read.
pub(crate) fn open_and_upcast(row: SealedRow) -> Result<RecordedEvent, StoreError> {
    crate::upcast::upcast(open_row(row)?)
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
