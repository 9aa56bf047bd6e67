//! The hash chain: each event's hash covers its content and the previous
//! event's hash in the same stream.

use super::canonical;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// The `prev_hash` of a stream's first event.
pub const GENESIS_HASH: [u8; 32] = [0; 32];

/// The content of one event that the chain protects.
pub struct ChainLink<'a> {
    pub stream_id: &'a str,
    pub version: u64,
    pub event_type: &'a str,
    pub schema_version: i16,
    pub payload: &'a serde_json::Value,
    pub metadata: &'a serde_json::Value,
    pub recorded_at: DateTime<Utc>,
}

impl<'a> ChainLink<'a> {
    /// The link of `event` written as `version` of `stream_id`.
    pub fn of(
        stream_id: &'a str,
        version: u64,
        event: &'a super::NewEvent,
        metadata: &'a serde_json::Value,
        recorded_at: DateTime<Utc>,
    ) -> Self {
        Self {
            stream_id,
            version,
            event_type: &event.event_type,
            schema_version: event.schema_version,
            payload: &event.payload,
            metadata,
            recorded_at,
        }
    }
}

pub fn event_hash(prev_hash: &[u8; 32], link: &ChainLink<'_>) -> [u8; 32] {
    let mut buf = Vec::with_capacity(512);
    buf.extend_from_slice(prev_hash);
    buf.extend_from_slice(link.stream_id.as_bytes());
    buf.push(0);
    buf.extend_from_slice(&link.version.to_be_bytes());
    buf.extend_from_slice(link.event_type.as_bytes());
    buf.push(0);
    buf.extend_from_slice(&link.schema_version.to_be_bytes());
    canonical::write(link.payload, &mut buf);
    buf.push(0);
    canonical::write(link.metadata, &mut buf);
    buf.push(0);
    buf.extend_from_slice(&link.recorded_at.timestamp_micros().to_be_bytes());
    Sha256::digest(&buf).into()
}
