//! What the store's tests share.

use store::Metadata;
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
