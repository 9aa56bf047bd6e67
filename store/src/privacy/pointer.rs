//! JSON pointers (RFC 6901) of personal fields, with one extension: a `*`
//! segment stands for every element of the array at that place, so that a
//! field of each element (an attachment's `filename` inside an event's
//! `attachments`) can be declared once. What is stored always names concrete
//! elements (`/attachments/0/filename`).

use serde_json::Value;

/// The concrete pointers `pointer` names in `payload`: itself when it has
/// no `*`, else one per element of each array a `*` stands on (none when
/// the array is absent or empty).
pub fn expand(payload: &Value, pointer: &str) -> Vec<String> {
    let Some((before, after)) = pointer.split_once("/*") else {
        return vec![pointer.to_string()];
    };
    let items = match payload.pointer(before).and_then(Value::as_array) {
        Some(items) => items.len(),
        None => return vec![],
    };
    (0..items)
        .flat_map(|i| expand(payload, &format!("{before}/{i}{after}")))
        .collect()
}

fn split(pointer: &str) -> Option<(&str, &str)> {
    pointer.rsplit_once('/')
}

/// Removes the value at a concrete pointer (its parent an object).
pub fn take(payload: &mut Value, pointer: &str) -> Option<Value> {
    let (parent, last) = split(pointer)?;
    let target = if parent.is_empty() {
        payload
    } else {
        payload.pointer_mut(parent)?
    };
    target.as_object_mut()?.remove(last)
}

/// Puts `value` at a concrete pointer whose parent object exists.
pub fn put(payload: &mut Value, pointer: &str, value: Value) {
    let Some((parent, last)) = split(pointer) else {
        return;
    };
    let target = if parent.is_empty() {
        Some(payload)
    } else {
        payload.pointer_mut(parent)
    };
    if let Some(Value::Object(m)) = target {
        m.insert(last.to_string(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_star_names_each_element_of_the_array() {
        let p = json!({"attachments": [{"filename": "a"}, {"filename": "b"}], "text": "t"});
        assert_eq!(
            expand(&p, "/attachments/*/filename"),
            ["/attachments/0/filename", "/attachments/1/filename"]
        );
        assert_eq!(expand(&p, "/text"), ["/text"]);
        assert!(expand(&json!({"attachments": []}), "/attachments/*/filename").is_empty());
        assert!(expand(&json!({}), "/attachments/*/filename").is_empty());
        let mut p = p;
        assert_eq!(take(&mut p, "/attachments/1/filename"), Some(json!("b")));
        put(&mut p, "/attachments/1/filename", json!("c"));
        assert_eq!(p["attachments"][1]["filename"], "c");
    }
}
