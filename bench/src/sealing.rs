//! The generated log sealed as the commands seal it
//! (`commands/src/privacy/seal.rs`): a data key per citizen, wrapped by the
//! bench's master key, and each event's personal fields moved into its
//! sealed value before the hash chain covers it. The keys go to
//! `subject_keys` with the events, so that a rebuild opens them as the
//! service's would.

use commands::privacy::Pseudonyms;
use serde_json::Value;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::Arc;
use store::privacy::crypto::{new_data_key, DataKey, LocalMasterKey, MasterKey};
use store::privacy::personal::{self, SubjectOf};

/// A key the log needs, not stored yet: subject and wrapped key.
pub type NewKey = (String, Vec<u8>);

pub struct Sealing {
    master: Arc<LocalMasterKey>,
    pseudonyms: Pseudonyms,
    keys: HashMap<String, DataKey>,
    new_keys: Vec<NewKey>,
}

/// The bench's master key, registered in this process: what the generator
/// seals, this process's rebuilds open.
pub fn register_master_key() -> Arc<LocalMasterKey> {
    let master = Arc::new(LocalMasterKey::fingerprinted(&[7u8; 32]));
    store::privacy::open::register_master_key(master.clone());
    master
}

impl Sealing {
    /// Sealing under the bench's master key, registered in this process so
    /// that its rebuilds open what was sealed.
    pub fn new() -> Self {
        let master = register_master_key();
        Self {
            master,
            pseudonyms: Pseudonyms::new([9u8; 32]),
            keys: HashMap::new(),
            new_keys: Vec::new(),
        }
    }

    pub fn master_id(&self) -> String {
        self.master.id().to_string()
    }

    /// The subject of a citizen's code, and its key (created on first use).
    fn key_of(&mut self, code: &str) -> (String, DataKey) {
        let subject = self.pseudonyms.citizen_code(code);
        if let Some(k) = self.keys.get(&subject) {
            return (subject, *k);
        }
        let dek = new_data_key();
        let wrapped = self.master.wrap(&dek, &subject).expect("wraps");
        self.keys.insert(subject.clone(), dek);
        self.new_keys.push((subject.clone(), wrapped));
        (subject, dek)
    }

    /// The subject a request's later events are sealed for: its citizen.
    pub fn stream_subject(&mut self, payload: &Value) -> Option<String> {
        let code = payload.pointer("/requester/codice_fiscale")?.as_str()?;
        Some(self.key_of(code).0)
    }

    /// Seals `payload` in place, as `SealKeys::seal` does.
    pub fn seal(&mut self, event_type: &str, payload: &mut Value, stream_subject: Option<&str>) {
        let Some(decl) = personal::personal_event(event_type) else {
            return;
        };
        let (subject, dek) = match decl.subject {
            SubjectOf::CitizenAt(_) => {
                let Some(code) = personal::subject_code(event_type, payload) else {
                    return;
                };
                let code = code.to_string();
                self.key_of(&code)
            }
            // The generated log holds requests only.
            SubjectOf::BookingAt(_) => return,
            SubjectOf::Stream => {
                let Some(subject) = stream_subject else {
                    return;
                };
                (subject.to_string(), self.keys[subject])
            }
        };
        let to = personal::SealFor {
            subject: Some((subject.as_str(), &dek)),
            joint: None,
        };
        personal::seal_payload(event_type, payload, to).expect("seals");
    }

    /// The keys created since the last call.
    pub fn take_new_keys(&mut self) -> Vec<NewKey> {
        std::mem::take(&mut self.new_keys)
    }
}

/// Stores `keys` as `SubjectKeys` would have on their first use.
pub async fn store_keys(pool: &PgPool, master_id: &str, keys: &[NewKey]) -> sqlx::Result<()> {
    if keys.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO subject_keys (subject, kind, master_key_id, wrapped_key, created_at) \
         SELECT s, 'citizen', $3, k, now() FROM unnest($1::text[], $2::bytea[]) AS u(s, k) \
         ON CONFLICT (subject) DO NOTHING",
    )
    .bind(keys.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>())
    .bind(keys.iter().map(|(_, k)| k.as_slice()).collect::<Vec<_>>())
    .bind(master_id)
    .execute(pool)
    .await?;
    Ok(())
}
