//! The subjects' data keys (`subject_keys`), wrapped by the master key and
//! cached unwrapped in memory (a hot path: sealing at append and opening at
//! load must not cost a database round trip per event).
//!
//! Erasure ([`SubjectKeys::erase`]) destroys the wrapped key and appends a
//! `SubjectErased` event (who, whom by pseudonym, when, legal ground) in one
//! transaction: either both or neither.

use super::crypto::{new_data_key, CryptoError, DataKey, MasterKey};
pub(crate) use super::new_keys::Stored;
use super::new_keys::{outcome, Answer, NewKeys, Outcome};
use crate::{append, Expected, Metadata, NewEvent, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use tokio::sync::watch;
use uuid::Uuid;

/// The stream type of erasure records (`erasure-<subject>`).
pub const ERASURE_STREAM_TYPE: &str = "erasure";
pub const SUBJECT_ERASED_EVENT: &str = "SubjectErased";

/// A subject's key as far as this process knows.
#[derive(Clone)]
enum Cached {
    Live(DataKey),
    Erased,
    /// Made here for a first use, on its way to `subject_keys`.
    Pending(DataKey, KeyReceipt),
}

/// Beyond this many subjects the cache keeps only the keys being stored:
/// a server sees new citizens every day, and its memory must not grow with
/// them (a forgotten key is read again, once, when next needed).
const CACHED_SUBJECTS_MAX: usize = 100_000;

fn remember_in(cache: &mut HashMap<String, Cached>, subject: &str, c: Cached) {
    if cache.len() >= CACHED_SUBJECTS_MAX {
        cache.retain(|_, c| matches!(c, Cached::Pending(..)));
    }
    cache.insert(subject.to_string(), c);
}

/// A new subject's key on its way to `subject_keys`: the events sealed
/// with it commit only with it (decision P30). Either the write sealed with
/// it stores it in its own batch ([`NewKeyStored::WithTheWrite`], the
/// committer inserts [`KeyReceipt::carried`]), or a shared statement does
/// (new_keys.rs) and the committer waits for it.
#[derive(Clone)]
pub struct KeyReceipt {
    wrapped: Arc<[u8]>,
    answer: Answer,
    carried: Option<Arc<CarriedKey>>,
}

/// How a new subject's key reaches `subject_keys`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewKeyStored {
    /// In the statement of the batch that commits the write sealed with it
    /// (a creation: no round trip and no transaction of its own).
    WithTheWrite,
    /// By a statement shared with other first uses, waited for before the
    /// write is built (a command that needs the key stored first).
    ByItself,
}

/// A key the write sealed with it stores: the row, and where its outcome
/// is told to the cache and to other writes sealed with it.
pub(crate) struct CarriedKey {
    pub(crate) subject: String,
    pub(crate) kind: String,
    pub(crate) master_key_id: String,
    pub(crate) wrapped: Arc<[u8]>,
    pub(crate) at: DateTime<Utc>,
    told: watch::Sender<Option<Outcome>>,
}

impl KeyReceipt {
    /// Waits for the statement. `Ok` when events sealed with the key may
    /// commit: the key stored is this one, or the subject turned out to be
    /// erased (sealed under a key nobody keeps, they read as erased);
    /// [`StoreError::KeyLost`] when another writer's key was stored first
    /// (or, for a key carried by a write, when that write failed).
    pub async fn stored(&self) -> Result<(), StoreError> {
        match outcome(&self.answer).await {
            Ok(Stored::Live(w)) if self.is(&w) => Ok(()),
            Ok(Stored::Erased) => Ok(()),
            _ => Err(StoreError::KeyLost),
        }
    }

    /// The key's row, when the write sealed with it stores it.
    pub(crate) fn carried(&self) -> Option<&CarriedKey> {
        self.carried.as_deref()
    }

    /// Tells what the write carrying the key found. The first outcome
    /// stays, except that a key stored after all replaces "not stored".
    pub(crate) fn tell(&self, found: Stored) {
        if let Some(carried) = &self.carried {
            carried.told.send_if_modified(|told| match told {
                None | Some(Ok(Stored::NotSeen)) => {
                    *told = Some(Ok(found));
                    true
                }
                _ => false,
            });
        }
    }

    /// Tells that the write carrying the key committed it.
    pub(crate) fn tell_stored(&self) {
        self.tell(Stored::Live(self.wrapped.to_vec()));
    }

    /// Whether a write carrying the key may leave it out of its batch's
    /// insert: found stored as ours, or its subject erased — both for good.
    /// A key found to have lost stays in, so that its writes are refused.
    pub(crate) fn stored_for_good(&self) -> bool {
        // Borrowed, not cloned: every batch asks this of each key it carries.
        match &*self.answer.borrow() {
            Some(Ok(Stored::Live(w))) => self.is(w),
            Some(Ok(Stored::Erased)) => true,
            _ => false,
        }
    }

    /// Whether `stored` is this key.
    pub(crate) fn is(&self, stored: &[u8]) -> bool {
        *stored == *self.wrapped
    }

    fn resolved(&self) -> Option<Outcome> {
        self.answer.borrow().clone()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("unknown data subject")]
    UnknownSubject,
    #[error("the data subject was already erased")]
    AlreadyErased,
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The legal ground and the actor of an erasure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectErased {
    /// The subject's pseudonym (never the codice fiscale).
    pub subject: String,
    pub kind: String,
    /// e.g. "GDPR art. 17(1)(a)", or the retention rule that applied.
    pub legal_ground: String,
    pub erased_by: String,
    pub erased_by_role: String,
    pub at: DateTime<Utc>,
    /// Where the event was appended in the log (not part of it).
    #[serde(skip)]
    pub position: i64,
}

/// The key store (cheap to clone).
#[derive(Clone)]
pub struct SubjectKeys {
    pool: PgPool,
    master: Arc<dyn MasterKey>,
    cache: Arc<RwLock<HashMap<String, Cached>>>,
    new_keys: NewKeys,
}

impl std::fmt::Debug for SubjectKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SubjectKeys(master {})", self.master.id())
    }
}

impl SubjectKeys {
    pub fn new(pool: PgPool, master: Arc<dyn MasterKey>) -> Self {
        Self {
            new_keys: NewKeys::new(pool.clone(), master.id().to_string()),
            pool,
            master,
            cache: Arc::default(),
        }
    }

    fn cached(&self, subject: &str) -> Option<Cached> {
        self.cache.read().expect("key cache").get(subject).cloned()
    }

    fn remember(&self, subject: &str, c: Cached) {
        remember_in(&mut self.cache.write().expect("key cache"), subject, c);
    }

    /// The subject's key to seal with, created on first use; blocks until a
    /// new key is stored. `None` once the subject is erased: nothing new is
    /// written about an erased subject.
    pub async fn key_for_sealing(
        &self,
        subject: &str,
        kind: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<DataKey>, KeyError> {
        // A statement that found another key meanwhile hands that one out
        // next time round; a second round settles every case.
        for _ in 0..3 {
            match self
                .key_for_sealing_ahead(subject, kind, now, NewKeyStored::ByItself)
                .await?
            {
                None => return Ok(None),
                Some((key, None)) => return Ok(Some(key)),
                Some((_, Some(receipt))) => {
                    if let Err(e) = outcome(&receipt.answer).await {
                        self.forget_pending(subject, &receipt);
                        return Err(KeyError::Db(sqlx::Error::Protocol(format!(
                            "storing a new data key: {e}"
                        ))));
                    }
                }
            }
        }
        Err(KeyError::Store(StoreError::KeyLost))
    }

    /// As [`key_for_sealing`](Self::key_for_sealing) without waiting: a new
    /// key comes with its [`KeyReceipt`], which the write sealed with it
    /// hands to the committer (`GroupCommitter::commit_sealed`): the batch
    /// stores it ([`NewKeyStored::WithTheWrite`]), or waits for it.
    pub async fn key_for_sealing_ahead(
        &self,
        subject: &str,
        kind: &str,
        now: DateTime<Utc>,
        how: NewKeyStored,
    ) -> Result<Option<(DataKey, Option<KeyReceipt>)>, KeyError> {
        loop {
            match self.cached(subject) {
                Some(Cached::Live(k)) => return Ok(Some((k, None))),
                Some(Cached::Erased) => return Ok(None),
                Some(Cached::Pending(dek, receipt)) => match receipt.resolved() {
                    None if how == NewKeyStored::ByItself && receipt.carried().is_some() => {
                        let queued = self.store_by_itself(subject, kind, dek, &receipt, now);
                        return Ok(Some((dek, Some(queued.await?))));
                    }
                    None => return Ok(Some((dek, Some(receipt)))),
                    Some(outcome) => {
                        self.settle(subject, dek, &receipt, outcome)?;
                        continue;
                    }
                },
                None => {}
            }
            let dek = new_data_key();
            let wrapped: Arc<[u8]> = self.master.wrap(&dek, subject)?.into();
            let receipt = match how {
                NewKeyStored::ByItself => self.queued(subject, kind, wrapped, now).await?,
                NewKeyStored::WithTheWrite => {
                    let (told, answer) = watch::channel(None);
                    KeyReceipt {
                        carried: Some(Arc::new(CarriedKey {
                            subject: subject.to_string(),
                            kind: kind.to_string(),
                            master_key_id: self.master.id().to_string(),
                            wrapped: wrapped.clone(),
                            at: now,
                            told,
                        })),
                        wrapped,
                        answer,
                    }
                }
            };
            // Two first uses here at once: the first to be remembered is
            // the one both seal with (the other's key is not kept).
            let mut cache = self.cache.write().expect("key cache");
            if cache.contains_key(subject) {
                continue;
            }
            remember_in(&mut cache, subject, Cached::Pending(dek, receipt.clone()));
            return Ok(Some((dek, Some(receipt))));
        }
    }

    /// A key made for a write that carries it, wanted stored first by
    /// another command: stored by a statement of its own rather than waited
    /// for, since the write may never come (its command cancelled before it
    /// was queued). A write that still carries it then finds it stored.
    async fn store_by_itself(
        &self,
        subject: &str,
        kind: &str,
        dek: DataKey,
        carried: &KeyReceipt,
        now: DateTime<Utc>,
    ) -> Result<KeyReceipt, KeyError> {
        let queued = self
            .queued(subject, kind, carried.wrapped.clone(), now)
            .await?;
        let mut cache = self.cache.write().expect("key cache");
        if matches!(cache.get(subject), Some(Cached::Pending(_, r)) if Arc::ptr_eq(&r.wrapped, &carried.wrapped))
        {
            cache.insert(subject.to_string(), Cached::Pending(dek, queued.clone()));
        }
        Ok(queued)
    }

    /// A key handed to the statement shared by first uses (new_keys.rs).
    async fn queued(
        &self,
        subject: &str,
        kind: &str,
        wrapped: Arc<[u8]>,
        now: DateTime<Utc>,
    ) -> Result<KeyReceipt, KeyError> {
        Ok(KeyReceipt {
            answer: self
                .new_keys
                .enqueue(subject, kind, wrapped.to_vec(), now)
                .await?,
            wrapped,
            carried: None,
        })
    }

    /// What a pending key's statement found becomes what this process knows.
    fn settle(
        &self,
        subject: &str,
        dek: DataKey,
        receipt: &KeyReceipt,
        outcome: Outcome,
    ) -> Result<(), KeyError> {
        match outcome {
            Ok(Stored::Live(stored)) if receipt.is(&stored) => {
                self.remember(subject, Cached::Live(dek));
            }
            Ok(Stored::Live(stored)) => {
                let k = self.master.unwrap(&stored, subject)?;
                self.remember(subject, Cached::Live(k));
            }
            Ok(Stored::Erased) => self.remember(subject, Cached::Erased),
            // Stored by another writer after the statement's snapshot, or
            // not stored at all: the next first use asks afresh.
            Ok(Stored::NotSeen) | Err(_) => self.forget_pending(subject, receipt),
        }
        Ok(())
    }

    fn forget_pending(&self, subject: &str, receipt: &KeyReceipt) {
        let mut cache = self.cache.write().expect("key cache");
        if matches!(cache.get(subject), Some(Cached::Pending(_, r)) if Arc::ptr_eq(&r.wrapped, &receipt.wrapped))
        {
            cache.remove(subject);
        }
    }

    /// The subject's key to open with; `None` when erased (or never keyed).
    pub async fn key_for_opening(&self, subject: &str) -> Result<Option<DataKey>, KeyError> {
        match self.cached(subject) {
            Some(Cached::Live(k)) | Some(Cached::Pending(k, _)) => return Ok(Some(k)),
            Some(Cached::Erased) => return Ok(None),
            None => {}
        }
        let row: Option<(Option<Vec<u8>>,)> =
            sqlx::query_as("SELECT wrapped_key FROM subject_keys WHERE subject = $1")
                .bind(subject)
                .fetch_optional(&self.pool)
                .await?;
        match row {
            Some((Some(wrapped),)) => {
                let k = self.master.unwrap(&wrapped, subject)?;
                self.remember(subject, Cached::Live(k));
                Ok(Some(k))
            }
            Some((None,)) => {
                self.remember(subject, Cached::Erased);
                Ok(None)
            }
            None => Ok(None),
        }
    }

    /// Destroys the subject's key and records the erasure, in one
    /// transaction. Unknown subject and a second erasure change nothing.
    /// Other processes' caches learn of it when they next miss (see
    /// docs/privacy.md: a deployment restarts them or they re-read on the
    /// `SubjectErased` event).
    pub async fn erase(
        &self,
        subject: &str,
        legal_ground: &str,
        erased_by: &str,
        erased_by_role: &str,
        now: DateTime<Utc>,
    ) -> Result<SubjectErased, KeyError> {
        let mut tx = self.pool.begin().await?;
        let row: Option<(String, bool)> = sqlx::query_as(
            "SELECT kind, wrapped_key IS NULL FROM subject_keys WHERE subject = $1 FOR UPDATE",
        )
        .bind(subject)
        .fetch_optional(&mut *tx)
        .await?;
        let kind = match row {
            None => return Err(KeyError::UnknownSubject),
            Some((_, true)) => return Err(KeyError::AlreadyErased),
            Some((kind, false)) => kind,
        };
        sqlx::query(
            "UPDATE subject_keys SET wrapped_key = NULL, erased_at = $2 WHERE subject = $1",
        )
        .bind(subject)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let erased = SubjectErased {
            subject: subject.to_string(),
            kind,
            legal_ground: legal_ground.to_string(),
            erased_by: erased_by.to_string(),
            erased_by_role: erased_by_role.to_string(),
            at: now,
            position: 0,
        };
        let event = NewEvent {
            event_type: SUBJECT_ERASED_EVENT.into(),
            schema_version: 1,
            payload: serde_json::to_value(&erased).expect("serialises"),
        };
        let metadata = Metadata {
            actor_id: erased_by.to_string(),
            actor_role: erased_by_role.to_string(),
            patronato: None,
            office: None,
            sede: None,
            command: "erase_subject".into(),
            correlation_id: Uuid::new_v4(),
            causation_id: None,
            idempotency_key: None,
        };
        let expected = Expected::new_stream(format!("erasure-{subject}"), ERASURE_STREAM_TYPE);
        let appended = append(&mut tx, &expected, &[event], &metadata, now).await?;
        tx.commit().await?;
        self.remember(subject, Cached::Erased);
        Ok(SubjectErased {
            position: appended.last_position,
            ..erased
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_cache_forgets_all_but_the_keys_being_stored() {
        let mut cache = HashMap::new();
        let receipt = KeyReceipt {
            wrapped: Arc::from(&b"wrapped"[..]),
            answer: tokio::sync::watch::channel(None).1,
            carried: None,
        };
        remember_in(&mut cache, "cpending", Cached::Pending([1; 32], receipt));
        for i in 1..CACHED_SUBJECTS_MAX {
            remember_in(&mut cache, &format!("c{i}"), Cached::Live([2; 32]));
        }
        assert_eq!(cache.len(), CACHED_SUBJECTS_MAX);
        remember_in(&mut cache, "cnew", Cached::Erased);
        let mut left: Vec<&String> = cache.keys().collect();
        left.sort();
        assert_eq!(left, ["cnew", "cpending"]);
    }
}
