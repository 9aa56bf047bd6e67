//! What the store's tests share.

use chrono::Utc;
use domain::ids::SedeCode;
use serde_json::json;
use sqlx::PgPool;
use std::sync::Arc;
use store::{
    Appended, CommitNotifier, Expected, GroupCommitter, Metadata, NewEvent, Write, Written,
};
use uuid::Uuid;

/// The metadata of an operator's command.
pub fn meta() -> Metadata {
    Metadata {
        actor_id: "op.test".into(),
        actor_role: "operator".into(),
        patronato: Some("INCA".into()),
        office: Some("INCA-RM01".into()),
        sede: None,
        command: "test".into(),
        correlation_id: Uuid::now_v7(),
        causation_id: None,
        idempotency_key: None,
    }
}

pub fn committer(pool: &PgPool, committers: usize) -> GroupCommitter {
    GroupCommitter::spawn(
        pool.clone(),
        committers,
        CommitNotifier::spawn(pool.clone()),
    )
}

/// A write of one event at `expected`, as the command handlers make them;
/// with a protocol number of sede 3201 when `numbered`.
pub fn write_at(expected: Expected, n: u64, numbered: bool) -> Write<(Appended, Option<String>)> {
    let stream_id = expected.stream_id.clone();
    Write {
        metadata: meta(),
        recorded_at: Utc::now(),
        protocol: numbered.then(|| (SedeCode::parse("3201").unwrap(), 2026)),
        // A numbered write's event carries its number, as a creation's does.
        events: Arc::new(move |protocol| {
            let mut event = event(n);
            if let Some(protocol) = protocol {
                event.payload["protocol"] = json!(protocol.to_string());
            }
            vec![(expected.clone(), vec![event])]
        }),
        idempotency: None,
        answer: Arc::new(move |written: &Written| {
            let appended = written
                .appended
                .iter()
                .find(|(s, _)| *s == stream_id)
                .map(|(_, a)| *a)
                .expect("the stream was written");
            (appended, written.protocol.as_ref().map(ToString::to_string))
        }),
    }
}

/// A test event numbered `n`.
pub fn event(n: u64) -> NewEvent {
    NewEvent {
        event_type: "Tested".into(),
        schema_version: 1,
        payload: json!({ "n": n }),
    }
}
