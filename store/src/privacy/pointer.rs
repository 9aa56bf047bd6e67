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

/// An array index as RFC 6901 writes it (no sign, no leading zero).
fn array_index(segment: &str) -> Option<usize> {
    if segment.starts_with('+') || (segment.starts_with('0') && segment.len() != 1) {
        return None;
    }
    segment.parse().ok()
}

/// `payload.pointer_mut(pointer)` without an allocation per segment: the
/// declared pointers never escape a character (`~`), and opening a sealed
/// log walks one per personal field of every event.
fn walk_mut<'a>(payload: &'a mut Value, pointer: &str) -> Option<&'a mut Value> {
    if pointer.is_empty() || pointer.contains('~') {
        return payload.pointer_mut(pointer);
    }
    let mut target = payload;
    for segment in pointer.strip_prefix('/')?.split('/') {
        target = match target {
            Value::Object(m) => m.get_mut(segment)?,
            Value::Array(items) => items.get_mut(array_index(segment)?)?,
            _ => return None,
        };
    }
    Some(target)
}

/// Removes the value at a concrete pointer (its parent an object).
pub fn take(payload: &mut Value, pointer: &str) -> Option<Value> {
    let (parent, last) = split(pointer)?;
    let target = if parent.is_empty() {
        payload
    } else {
        walk_mut(payload, parent)?
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
        walk_mut(payload, parent)
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

    #[test]
    fn walking_agrees_with_serde_json_on_every_kind_of_pointer() {
        let mut p = json!({"a": {"b": [{"c": 1}, {"d~/e": 2}]}, "": {"x": 3}});
        for pointer in [
            "/a",
            "/a/b",
            "/a/b/0",
            "/a/b/0/c",
            "/a/b/1/d~0~1e",
            "/a/b/2",
            "/a/b/x",
            "/a/b/0/c/d",
            "/none",
            "//x",
            "/",
            "",
            "a",
            "/a/b/01",
            "/a/b/+1",
            "/a/b/-1",
        ] {
            let expected = p.clone().pointer_mut(pointer).map(|v| v.clone());
            assert_eq!(
                walk_mut(&mut p, pointer).map(|v| v.clone()),
                expected,
                "{pointer}"
            );
        }
    }
}
