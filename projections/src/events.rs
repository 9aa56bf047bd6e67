//! The request events as the projections read them from the log.

use crate::ProjectionError;
use domain::actor::Role;
use domain::request::RequestEvent;
use serde::Deserialize;
use store::RecordedEvent;
use uuid::Uuid;

/// The `stream_type` of request streams (`request-<uuid>`).
pub const REQUEST_STREAM_TYPE: &str = domain::streams::REQUEST;

/// One request event with where it sits.
#[derive(Debug, Clone)]
pub(crate) struct RequestFact {
    pub request_id: Uuid,
    pub version: i32,
    pub position: i64,
    pub tx_id: i64,
    pub event: RequestEvent,
    /// The role of who acted, from the event's metadata (`None` if it has
    /// none this code knows).
    pub actor_role: Option<Role>,
    /// The citizen's pseudonym of a `RequestSent` sealed for a citizen
    /// ([`citizen_pseudonym`]); `None` for every other event.
    pub citizen: Option<String>,
}

/// The pseudonym of the citizen an opened event was sealed for, as the read
/// models key a citizen's rows (docs/privacy.md): `None` for an event stored
/// before sealing or sealed for another kind of subject (a booking's `b…`,
/// an erased stream's).
pub(crate) fn citizen_pseudonym(event: &RecordedEvent) -> Option<&str> {
    event.subject.as_deref().filter(|s| s.starts_with('c'))
}

/// Decodes `event` if it is a request event this code knows; `None` otherwise.
/// A known type whose payload does not decode is an error (poisoned event).
pub(crate) fn request_fact(event: &RecordedEvent) -> Result<Option<RequestFact>, ProjectionError> {
    if event.stream_type != REQUEST_STREAM_TYPE
        || !RequestEvent::TYPES.contains(&event.event_type.as_str())
    {
        return Ok(None);
    }
    let request_id = request_id_of(&event.stream_id)
        .ok_or_else(|| ProjectionError::poisoned(event, "stream id is not request-<uuid>"))?;
    let payload_type = event.payload.get("type").and_then(|t| t.as_str());
    if payload_type != Some(event.event_type.as_str()) {
        return Err(ProjectionError::poisoned(
            event,
            format!("payload is a {}", payload_type.unwrap_or("(no type)")),
        ));
    }
    // By the column's name: serde's decoding of the tagged form copies the
    // whole payload first (domain::request::stored).
    let decoded = RequestEvent::from_stored(&event.event_type, &event.payload)
        .map_err(|e| ProjectionError::poisoned(event, e))?;
    let decoded_is_sent = matches!(decoded, RequestEvent::RequestSent(_));
    Ok(Some(RequestFact {
        request_id,
        version: event.version,
        position: event.position,
        tx_id: event.tx_id,
        event: decoded,
        actor_role: event
            .metadata
            .get("actor_role")
            .and_then(|role| Role::deserialize(role).ok()),
        citizen: if decoded_is_sent {
            citizen_pseudonym(event).map(str::to_owned)
        } else {
            None
        },
    }))
}

/// The request of a `request-<uuid>` stream.
pub(crate) fn request_id_of(stream_id: &str) -> Option<Uuid> {
    stream_id
        .strip_prefix("request-")
        .and_then(|id| Uuid::parse_str(id).ok())
}

/// The requests of `facts` that may have rows already: all but those whose
/// first event (version 1) is in `facts` itself, since events are applied
/// once, in order, and no row exists before a request's first event. (A
/// projection that relies on it live keeps re-application harmless by other
/// means: see its `load`.)
pub(crate) fn requests_begun_before<'f>(
    facts: &'f [RequestFact],
) -> impl Iterator<Item = Uuid> + 'f {
    let begun_here: std::collections::HashSet<Uuid> = facts
        .iter()
        .filter(|f| f.version == 1)
        .map(|f| f.request_id)
        .collect();
    facts
        .iter()
        .map(|f| f.request_id)
        .filter(move |id| !begun_here.contains(id))
}

/// "Topic label – subtopic label", or the topic label alone.
pub(crate) fn subject(topic_label: &str, subtopic_label: Option<&str>) -> String {
    match subtopic_label {
        Some(sub) if !sub.is_empty() => format!("{topic_label} – {sub}"),
        _ => topic_label.to_string(),
    }
}

/// The name serde gives a unit enum variant (e.g. `PracticeRefKind::DomandaRdc`
/// → `"domanda_rdc"`).
pub(crate) fn serde_name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        other => panic!("not a unit variant: {other:?}"),
    }
}
