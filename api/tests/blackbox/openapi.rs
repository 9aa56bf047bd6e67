//! The committed OpenAPI document is the one the service serves, and it names
//! every operation clients rely on.

use std::collections::BTreeSet;

fn generated() -> serde_json::Value {
    serde_json::to_value(combipat_api::openapi::document()).unwrap()
}

#[test]
fn the_committed_document_is_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json");
    let committed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("docs/openapi.json exists"))
            .expect("docs/openapi.json is JSON");
    assert!(
        committed == generated(),
        "docs/openapi.json is stale: run `cargo run -p combipat-api -- openapi > docs/openapi.json`"
    );
}

#[test]
fn every_required_operation_has_its_stable_id() {
    let doc = generated();
    let ids: BTreeSet<String> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op["operationId"].as_str().map(str::to_string))
        .collect();
    for id in [
        "createRequest",
        "addAttachment",
        "removeAttachment",
        "takeInCharge",
        "replyToRequest",
        "sendMessage",
        "forwardRequest",
        "sendSollecito",
        "enableAppointment",
        "closeConversation",
        "listRequests",
        "getRequest",
        "getRequestTimeline",
        "listRecentReplies",
        "listSedeInbox",
    ] {
        assert!(
            ids.contains(id),
            "operationId {id} missing from the OpenAPI document"
        );
    }
}

/// utoipa's `IntoParams` puts a struct's fields in the path unless told otherwise;
/// a generated client cannot call an operation whose path parameter has no place
/// in its template, so every `in: path` parameter must name a `{segment}`.
#[test]
fn every_path_parameter_appears_in_its_path_template() {
    let doc = generated();
    let mut misplaced = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for param in op["parameters"].as_array().into_iter().flatten() {
                let name = param["name"].as_str().unwrap();
                if param["in"] == "path" && !path.contains(&format!("{{{name}}}")) {
                    misplaced.push(format!("{method} {path}: {name}"));
                }
            }
        }
    }
    assert!(
        misplaced.is_empty(),
        "path parameters missing from their path: {misplaced:#?}"
    );
}

/// The other half of the same promise: every `{segment}` of a template is declared.
#[test]
fn every_path_template_segment_is_declared() {
    let doc = generated();
    let mut undeclared = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let segments: Vec<&str> = path
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split('}').next())
            .collect();
        for (method, op) in item.as_object().unwrap() {
            let declared: BTreeSet<&str> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .filter_map(|p| p["name"].as_str())
                .collect();
            for segment in &segments {
                if !declared.contains(segment) {
                    undeclared.push(format!("{method} {path}: {segment}"));
                }
            }
        }
    }
    assert!(
        undeclared.is_empty(),
        "path segments without a parameter: {undeclared:#?}"
    );
}

/// Issue 23, item 10: the document says what the service answers: every
/// error as application/problem+json, the shared 400/401/403/503 on every
/// operation, 404 where a path names something, enums and length bounds.
#[test]
fn errors_are_documented_as_served() {
    let doc = generated();
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let responses = op["responses"].as_object().unwrap();
            for (status, response) in responses {
                if status.as_str() >= "400" {
                    let content = response["content"].as_object().unwrap();
                    assert_eq!(
                        content.keys().collect::<Vec<_>>(),
                        ["application/problem+json"],
                        "{method} {path} {status}"
                    );
                }
            }
            for status in ["400", "401", "403", "503"] {
                assert!(responses.contains_key(status), "{method} {path} {status}");
            }
            if path.contains('{') {
                assert!(responses.contains_key("404"), "{method} {path} 404");
            }
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["name"] == "Idempotency-Key" {
                    assert_eq!(p["schema"]["minLength"], 1, "{method} {path}");
                    assert_eq!(p["schema"]["maxLength"], 200, "{method} {path}");
                }
                if p["name"] == "limit" {
                    assert_eq!(p["schema"]["minimum"], 1, "{method} {path}");
                    assert!(p["schema"]["maximum"].is_number(), "{method} {path}");
                }
                if p["name"] == "status" && p["in"] == "query" {
                    assert!(p["schema"]["enum"].is_array(), "{method} {path}");
                }
            }
        }
    }
    assert!(operations > 50);
    assert_eq!(
        doc["components"]["schemas"]["ConfirmBody"]["properties"]["mode"]["enum"],
        serde_json::json!(["in_presenza", "ricontatto_telefonico", "web_meeting"])
    );
}

/// A generated client can type the `Idempotency-Key` of every command that
/// reads it (docs/api.md: "on any command").
#[test]
fn every_command_declares_its_idempotency_key() {
    let doc = generated();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap_or("");
            let command_of_requests = path.starts_with("/api/v1/requests/{id}/")
                && method != "get"
                && id != "checkRequest";
            if command_of_requests || id == "createRequest" {
                let declared = op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header");
                assert!(
                    declared,
                    "{method} {path} ({id}) does not declare Idempotency-Key"
                );
            }
        }
    }
}
