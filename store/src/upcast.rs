//! Schema evolution: stored events are never rewritten; an event stored with
//! an older schema version is brought to the current one as it is read.
//!
//! To change an event's shape: bump its schema version where it is produced
//! (`RequestEvent::SCHEMA_VERSION`), and add a step here from the previous
//! version that rewrites the JSON. Steps chain: v1 → v2 → v3.

use super::log::RecordedEvent;
use super::StoreError;
use serde_json::Value;

/// One step: rewrites the payload of `event_type` from `from_version` to `from_version + 1`.
pub struct Step {
    pub event_type: &'static str,
    pub from_version: i16,
    pub rewrite: fn(Value) -> Value,
}

/// Every step the service knows. None yet: every event type is at version 1.
pub const STEPS: &[Step] = &[];

/// Brings an event to its current schema with the service's steps.
pub fn upcast(event: RecordedEvent) -> Result<RecordedEvent, StoreError> {
    upcast_with(event, STEPS)
}

/// Brings an event to its current schema with the given steps.
pub fn upcast_with(mut event: RecordedEvent, steps: &[Step]) -> Result<RecordedEvent, StoreError> {
    while let Some(step) = steps
        .iter()
        .find(|s| s.event_type == event.event_type && s.from_version == event.schema_version)
    {
        event.payload = (step.rewrite)(std::mem::take(&mut event.payload));
        event.schema_version += 1;
    }
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rename_body_to_text(mut v: Value) -> Value {
        if let Some(obj) = v.as_object_mut() {
            if let Some(body) = obj.remove("body") {
                obj.insert("text".into(), body);
            }
        }
        v
    }

    fn add_default_channel(mut v: Value) -> Value {
        v["channel"] = json!("web");
        v
    }

    #[test]
    fn steps_chain_from_the_stored_version_to_the_current_one() {
        let steps = [
            Step {
                event_type: "ReplyReceived",
                from_version: 1,
                rewrite: rename_body_to_text,
            },
            Step {
                event_type: "ReplyReceived",
                from_version: 2,
                rewrite: add_default_channel,
            },
        ];
        let stored = RecordedEvent {
            position: 1,
            tx_id: 1,
            stream_id: "request-x".into(),
            stream_type: "request".into(),
            version: 1,
            event_type: "ReplyReceived".into(),
            schema_version: 1,
            payload: json!({"body": "ok"}),
            metadata: json!({}),
            recorded_at: chrono::Utc::now(),
            prev_hash: vec![0; 32],
            hash: vec![0; 32],
            subject: None,
        };
        let current = upcast_with(stored.clone(), &steps).unwrap();
        assert_eq!(current.schema_version, 3);
        assert_eq!(current.payload, json!({"text": "ok", "channel": "web"}));

        let other_type = RecordedEvent {
            event_type: "SollecitoSent".into(),
            ..stored
        };
        assert_eq!(upcast_with(other_type.clone(), &steps).unwrap(), other_type);
    }
}
