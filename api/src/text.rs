//! What a text may contain, decided once at the edge (H1): PostgreSQL refuses
//! U+0000 in `text` and `jsonb`, and control characters have no business in a
//! message, a name or a filter. Strings of JSON bodies may hold `\n`, `\r` and
//! `\t` (multi-line texts) and no other C0/C1 control character nor DEL; query
//! parameters and path segments none at all. Anything else is a 400
//! `text_invalid_character` naming the field, before a handler runs.

use crate::error::ApiError;
use serde_json::Value;

/// The first character a text may not contain, if any.
fn forbidden(text: &str, multi_line: bool) -> Option<char> {
    text.chars()
        .find(|&c| c.is_control() && !(multi_line && matches!(c, '\n' | '\r' | '\t')))
}

fn refuse(field: &str, c: char) -> ApiError {
    ApiError::bad_request(
        "text_invalid_character",
        format!(
            "Il campo «{field}» contiene un carattere non ammesso (U+{:04X}): \
             sono esclusi i caratteri di controllo",
            u32::from(c)
        ),
    )
}

/// Every string (keys too) of a JSON body.
pub fn check_json(value: &Value) -> Result<(), ApiError> {
    fn walk(value: &Value, path: &mut String) -> Result<(), ApiError> {
        match value {
            Value::String(s) => match forbidden(s, true) {
                Some(c) => Err(refuse(if path.is_empty() { "corpo" } else { path }, c)),
                None => Ok(()),
            },
            Value::Array(items) => items.iter().enumerate().try_for_each(|(i, v)| {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                let r = walk(v, path);
                path.truncate(len);
                r
            }),
            Value::Object(map) => map.iter().try_for_each(|(k, v)| {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                if let Some(c) = forbidden(k, false) {
                    return Err(refuse(path, c));
                }
                let r = walk(v, path);
                path.truncate(len);
                r
            }),
            _ => Ok(()),
        }
    }
    walk(value, &mut String::new())
}

/// Every name and value of a query string (percent-decoded).
pub fn check_query(query: Option<&str>) -> Result<(), ApiError> {
    let Some(query) = query else { return Ok(()) };
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if let Some(c) = forbidden(&name, false) {
            return Err(refuse(&name, c));
        }
        if let Some(c) = forbidden(&value, false) {
            return Err(refuse(&name, c));
        }
    }
    Ok(())
}

/// A request path (percent-decoded).
pub fn check_path(path: &str) -> Result<(), ApiError> {
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    match forbidden(&decoded, false) {
        Some(c) => Err(refuse("percorso", c)),
        None => Ok(()),
    }
}

/// A single-line text from elsewhere (a file name, a header).
pub fn check_line(field: &str, text: &str) -> Result<(), ApiError> {
    match forbidden(text, false) {
        Some(c) => Err(refuse(field, c)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn code(r: Result<(), ApiError>) -> Option<String> {
        r.err().map(|e| match e {
            ApiError::BadRequest { code, detail } => format!("{code}: {detail}"),
            other => other.to_string(),
        })
    }

    #[test]
    fn bodies_keep_line_breaks_and_tabs_and_refuse_other_controls() {
        assert_eq!(code(check_json(&json!({"text": "a\nb\r\n\tc è ✓"}))), None);
        for bad in ["a\u{0}b", "\u{1b}[31m", "x\u{7f}", "x\u{85}", "\u{8}"] {
            let e = code(check_json(&json!({"reply": {"text": bad}}))).expect(bad);
            assert!(e.starts_with("text_invalid_character: "), "{e}");
            assert!(e.contains("«reply.text»"), "{e}");
        }
        let e = code(check_json(&json!({"attachments": ["ok", "n\u{0}"]}))).unwrap();
        assert!(e.contains("«attachments[1]»"), "{e}");
        let e = code(check_json(&json!({"a\u{0}": 1}))).unwrap();
        assert!(e.contains("text_invalid_character"), "{e}");
    }

    #[test]
    fn queries_and_paths_refuse_every_control_character() {
        assert_eq!(
            code(check_query(Some("subject=caf%C3%A8+latte&limit=3"))),
            None
        );
        for q in ["subject=a%00b", "surname=a%0Ab", "name=%09", "value=%C2%85"] {
            let e = code(check_query(Some(q))).expect(q);
            let field = q.split('=').next().unwrap();
            assert!(e.contains(&format!("«{field}»")), "{e}");
        }
        assert_eq!(
            code(check_path("/api/v1/audit/streams/request-1/events")),
            None
        );
        assert!(code(check_path("/api/v1/audit/streams/a%00b/events")).is_some());
    }
}
