use super::*;
use serde::Serialize;
use serde_json::json;

#[derive(Serialize)]
struct Row {
    id: i64,
    name: String,
    note: Option<String>,
    ok: bool,
    ratio: f64,
    details: serde_json::Value,
    tags: Vec<String>,
}

#[test]
fn a_row_is_one_line_of_tab_separated_escaped_fields() {
    let mut rows = CopyRows::new("t");
    rows.push(&Row {
        id: 7,
        name: "a\tb\\c\nd\re".into(),
        note: None,
        ok: true,
        ratio: 0.5,
        details: json!({"k": "tab\there"}),
        tags: vec!["x".into()],
    });
    rows.push(&Row {
        id: -1,
        name: String::new(),
        note: Some("n".into()),
        ok: false,
        ratio: 2.0,
        details: json!([]),
        tags: vec![],
    });
    assert_eq!(
        rows.columns,
        ["id", "name", "note", "ok", "ratio", "details", "tags"]
    );
    assert_eq!(
        rows.text,
        "7\ta\\tb\\\\c\\nd\\re\t\\N\tt\t0.5\t{\"k\":\"tab\\\\there\"}\t[\"x\"]\n\
         -1\t\tn\tf\t2\t[]\t[]\n"
    );
    assert_eq!(rows.rows, 2);
}
