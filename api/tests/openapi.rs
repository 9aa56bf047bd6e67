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
