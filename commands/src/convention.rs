//! What every command handler shares, requests and bookings alike: the
//! idempotency key and its fingerprint, the replay of an earlier answer, the
//! events' metadata, the retry pause, and the load of a request that answers
//! "not found" (logged) outside the caller's scope.

use crate::error::CommandError;
use domain::actor::Actor;
use domain::ids::RequestId;
use domain::request::Request;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use store::{self, idempotency, Expected, Metadata, StoreError};
use uuid::Uuid;

/// Attempts of a command that keeps losing optimistic-concurrency races.
pub const MAX_ATTEMPTS: u32 = 20;

/// A client's idempotency key and the fingerprint of the input it came with.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub key: String,
    pub fingerprint: Vec<u8>,
}

impl IdempotencyKey {
    /// The key with the fingerprint of the operation, its target and its
    /// input: the same key sent with anything else is refused, never replayed.
    pub fn fingerprinted(
        key: impl Into<String>,
        operation: &str,
        target: &str,
        input: &impl Serialize,
    ) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(operation.as_bytes());
        hasher.update(target.as_bytes());
        hasher.update(serde_json::to_vec(input).expect("input serialises"));
        IdempotencyKey {
            key: key.into(),
            fingerprint: hasher.finalize().to_vec(),
        }
    }

    /// What the append records under the caller's id.
    pub(crate) fn record(&self, actor_id: String) -> store::IdempotencyRecord {
        store::IdempotencyRecord {
            actor_id,
            key: self.key.clone(),
            fingerprint: self.fingerprint.clone(),
        }
    }
}

/// Answers that can be replayed for an idempotency key.
pub trait Replayable: Serialize + DeserializeOwned {
    fn mark_replayed(&mut self);
}

/// The recorded answer if this key was used before with the same input;
/// the key used before for something else is refused.
pub(crate) async fn replay<T: Replayable>(
    pool: &PgPool,
    actor_id: &str,
    key: Option<&IdempotencyKey>,
) -> Result<Option<T>, CommandError> {
    let Some(key) = key else {
        return Ok(None);
    };
    match idempotency::find(pool, actor_id, &key.key).await? {
        None => Ok(None),
        Some(rec) if rec.fingerprint == key.fingerprint => {
            let mut outcome: T =
                serde_json::from_value(rec.response).map_err(|e| StoreError::Corrupt {
                    position: 0,
                    reason: e.to_string(),
                })?;
            outcome.mark_replayed();
            Ok(Some(outcome))
        }
        Some(_) => Err(CommandError::IdempotencyKeyReused),
    }
}

/// Who did what, for the events' metadata. `actor` is `None` for a citizen
/// known only by the codice fiscale they typed (`actor_id`).
pub(crate) fn metadata(
    actor: Option<&Actor>,
    actor_id: String,
    command: &str,
    correlation_id: Uuid,
    idempotency: Option<&IdempotencyKey>,
) -> Metadata {
    let (patronato, office, sede) = match actor {
        Some(Actor::Patronato(u)) => (
            Some(u.patronato.to_string()),
            Some(u.office.to_string()),
            None,
        ),
        Some(Actor::Sede(o)) => (None, None, Some(o.sede.to_string())),
        _ => (None, None, None),
    };
    Metadata {
        actor_id,
        actor_role: actor.map_or("citizen", |a| a.role().as_str()).to_string(),
        patronato,
        office,
        sede,
        command: command.to_string(),
        correlation_id,
        causation_id: None,
        idempotency_key: idempotency.map(|k| k.key.clone()),
    }
}

/// The request's events and state, if `actor` may see it: outside their
/// scope it does not exist for them (404, never 403), and the attempt is logged.
pub async fn load_visible_request(
    pool: &PgPool,
    id: RequestId,
    actor: &Actor,
    until_version: Option<u64>,
) -> Result<(Request, Expected), CommandError> {
    let (request, expected) = crate::requests::load(pool, id, until_version).await?;
    if !request.exists() {
        return Err(CommandError::NotFound);
    }
    if !request.visible_to(actor) {
        tracing::warn!(
            request_id = %id,
            actor = %actor.id(),
            role = actor.role().as_str(),
            "access outside scope refused as not found"
        );
        return Err(CommandError::NotFound);
    }
    Ok((request, expected))
}

/// A short random pause before retrying a lost race, so racers spread out.
pub(crate) async fn backoff(attempt: u32) {
    use rand::Rng;
    let max_ms = 2u64.saturating_pow(attempt.min(6));
    let ms = rand::thread_rng().gen_range(0..=max_ms);
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_covers_operation_target_and_input() {
        let a = IdempotencyKey::fingerprinted("k", "reply", "r1", &"text");
        assert_eq!(
            a.fingerprint,
            IdempotencyKey::fingerprinted("k", "reply", "r1", &"text").fingerprint
        );
        for other in [
            IdempotencyKey::fingerprinted("k", "close", "r1", &"text"),
            IdempotencyKey::fingerprinted("k", "reply", "r2", &"text"),
            IdempotencyKey::fingerprinted("k", "reply", "r1", &"other"),
        ] {
            assert_ne!(a.fingerprint, other.fingerprint);
        }
    }

    #[test]
    fn an_anonymous_citizen_is_recorded_as_a_citizen() {
        let m = metadata(
            None,
            "RSSMRA80A01H501U".into(),
            "hold_slot",
            Uuid::nil(),
            None,
        );
        assert_eq!(m.actor_role, "citizen");
        assert_eq!((m.patronato, m.office, m.sede), (None, None, None));
    }
}
