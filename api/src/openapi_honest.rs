//! What the annotations cannot say once for every operation (issue 23, item
//! 10), written into the generated document in one pass: errors are
//! `application/problem+json`; every operation documents the answers the
//! shared layers give (400 from the extractors and the text rule, 401/403
//! from the token and the role guards, 404 for a path that names nothing,
//! 413/415/422 for bodies, 503 when overloaded or lagging); the parameters
//! and fields with a closed set of values or a length bound say so.

use serde_json::{json, Map, Value};

const PROBLEM: &str = "application/problem+json";

/// The shared answers: status, description, and whether it applies.
fn shared(op: &Value, has_path_params: bool) -> Vec<(&'static str, &'static str)> {
    let has_body = op.get("requestBody").is_some();
    let mut out = vec![
        ("400", "invalid_query, invalid_limit, invalid_cursor, invalid_min_position, text_invalid_character, invalid_json, invalid_idempotency_key, …"),
        ("401", "token_missing, token_invalid, token_expired, token_not_yet_valid, token_lifetime_too_long, token_claims_invalid (a token that is sent must be valid)"),
        ("403", "forbidden, not_allowed_for_role"),
        ("503", "overloaded, read_model_lagging, not_ready (Retry-After)"),
    ];
    if has_path_params {
        out.push(("404", "not_found, sede_not_found, counter_not_found, …"));
    }
    if has_body {
        out.push(("413", "payload_too_large"));
        out.push(("415", "unsupported_media_type, attachment_type_not_allowed"));
        out.push(("422", "invalid_body and the operation's rules"));
    }
    out
}

fn problem_content() -> Value {
    json!({ PROBLEM: { "schema": { "$ref": "#/components/schemas/Problem" } } })
}

/// Closed sets and bounds of parameters, by name.
fn parameter_schema(name: &str) -> Option<Value> {
    Some(match name {
        "Idempotency-Key" => json!({"type": "string", "minLength": 1, "maxLength": 200}),
        "status" => json!({"type": "string", "enum": [
            "inoltrata", "presa_in_carico", "risposta_ricevuta", "in_attesa_di_risposta",
            "sollecitata", "inoltrata_ad_altra_sede", "chiusa", "appuntamento_prenotato"]}),
        "bucket" => {
            json!({"type": "string", "enum": ["all", "new", "in_charge", "awaiting_reply", "overdue"]})
        }
        "scope" => json!({"type": "string", "enum": ["office", "mine"]}),
        "min_position" => json!({"type": "integer", "format": "int64", "minimum": 1}),
        _ => return None,
    })
}

pub fn patch(doc: &mut Value) {
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for op in item.values_mut() {
                patch_operation(op);
            }
        }
    }
    if let Some(mode) = doc.pointer_mut("/components/schemas/ConfirmBody/properties/mode") {
        mode["enum"] = json!(["in_presenza", "ricontatto_telefonico", "web_meeting"]);
    }
}

/// The commands that read an `Idempotency-Key` (the request commands through
/// `run_action`, the bookings through `bookings::http::idempotency`).
const IDEMPOTENT: &[&str] = &[
    "createRequest",
    "addAttachment",
    "removeAttachment",
    "takeInCharge",
    "replyToRequest",
    "sendMessage",
    "sendSollecito",
    "forwardRequest",
    "enableAppointment",
    "closeConversation",
    "bookRequestAppointment",
    "cancelRequestAppointment",
    "declareClosure",
    "publishNotice",
    "holdSlot",
    "confirmBooking",
    "cancelBooking",
];

fn declare_idempotency_key(op: &mut Value) {
    let id = op["operationId"].as_str().unwrap_or("");
    if !IDEMPOTENT.contains(&id) {
        return;
    }
    let Some(op) = op.as_object_mut() else {
        return;
    };
    let params = op.entry("parameters").or_insert_with(|| json!([]));
    let Some(params) = params.as_array_mut() else {
        return;
    };
    if !params.iter().any(|p| p["name"] == "Idempotency-Key") {
        params.push(json!({
            "name": "Idempotency-Key",
            "in": "header",
            "required": false,
            "description": "Replays the first answer for the same key and the same input",
        }));
    }
}

fn patch_operation(op: &mut Value) {
    declare_idempotency_key(op);
    let mut has_path_params = false;
    if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
        for p in params.iter_mut() {
            has_path_params |= p["in"] == "path";
            let name = p["name"].as_str().unwrap_or("").to_string();
            if let Some(schema) = parameter_schema(&name) {
                // Optional query parameters stay optional; the schema is the value's.
                p["schema"] = schema;
            }
        }
    }
    let shared = shared(op, has_path_params);
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
        return;
    };
    for (status, description) in shared {
        responses
            .entry(status)
            .or_insert_with(|| json!({ "description": description }));
    }
    for (status, response) in responses.iter_mut() {
        if status.as_str() < "400" {
            continue;
        }
        let Some(response) = response.as_object_mut() else {
            continue;
        };
        response.insert("content".into(), problem_content());
        let empty = response
            .get("description")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty);
        if empty {
            response.insert("description".into(), Value::String(status_text(status)));
        }
    }
    // Keep the statuses in order, as utoipa writes them.
    let sorted: Map<String, Value> = {
        let mut all: Vec<_> = std::mem::take(responses).into_iter().collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all.into_iter().collect()
    };
    *responses = sorted;
}

fn status_text(status: &str) -> String {
    status
        .parse::<u16>()
        .ok()
        .and_then(|s| axum::http::StatusCode::from_u16(s).ok())
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_become_problem_json_and_shared_answers_are_documented() {
        let mut doc = json!({"paths": {"/x/{id}": {"post": {
        "parameters": [{"name": "id", "in": "path"}, {"name": "Idempotency-Key", "in": "header"}],
        "requestBody": {},
        "responses": {
            "201": {"description": "ok", "content": {"application/json": {}}},
            "409": {"description": "", "content": {"application/json": {}}}
        }}}}});
        patch(&mut doc);
        let op = &doc["paths"]["/x/{id}"]["post"];
        for s in [
            "400", "401", "403", "404", "409", "413", "415", "422", "503",
        ] {
            assert!(op["responses"][s]["content"][PROBLEM].is_object(), "{s}");
            assert!(
                op["responses"][s]["content"]["application/json"].is_null(),
                "{s}"
            );
        }
        assert!(op["responses"]["201"]["content"]["application/json"].is_object());
        assert_eq!(op["parameters"][1]["schema"]["maxLength"], 200);
    }
}
