//! Analysts never see codici fiscali or names (issue 26, decision P21): every
//! relation the `combipat_analyst` role can read is in schema `analytics`,
//! none has a column named for personal data, and read as that role none
//! holds a citizen's code, name, birth date, contacts or texts; the functions
//! it may call with the owner's rights return no such column either.

use combipat_tests::{who, TestApp};
use domain::actor::Role;
use serde_json::json;
use sqlx::PgPool;

const MARIO: &str = "RSSMRA60E12H501E";
/// Parts of a column name that say it holds personal data.
const PERSONAL_COLUMNS: &[&str] = &[
    "codice_fiscale",
    "fiscal",
    "surname",
    "cognome",
    "birth",
    "nascita",
    "email",
    "mobile",
    "cellulare",
    "telefono",
    "text",
    "testo",
    "note",
    "reason",
    "motivo",
    "created_by",
    "actor",
    "user",
    "utente",
    "booked_by",
    "filename",
];

fn personal(column: &str) -> bool {
    let c = column.to_ascii_lowercase();
    c == "cf" || PERSONAL_COLUMNS.iter().any(|p| c.contains(p))
}

#[sqlx::test(migrations = "../migrations")]
async fn every_relation_an_analyst_can_read_is_pseudonymous(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let created = app
        .create_request(&op, MARIO, "Testo riservato di Mario sulla NASpI")
        .await;
    let id = created["request_id"].as_str().unwrap();
    let detail = app
        .request_detail(&op, id, created["position"].as_i64().unwrap())
        .await;
    let officer = app.officer(
        "uff.verdi",
        detail["request"]["current_sede"].as_str().unwrap(),
    );
    let reply = app
        .post(
            &officer,
            &format!("/api/v1/requests/{id}/replies"),
            json!({"text": "Risposta riservata per Mario"}),
        )
        .await
        .ok();
    app.wait_projections(reply["position"].as_i64().unwrap())
        .await;
    let personal_values = [
        MARIO,
        "Rossi",
        "ROSSI",
        "1960-05-12",
        "Testo riservato",
        "Risposta riservata",
        "op.rossi",
        "uff.verdi",
    ];

    // Every relation the role may SELECT, in any schema but the catalogues.
    let readable: Vec<(String, String)> = sqlx::query_as(
        "SELECT n.nspname::text, c.relname::text FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'v', 'm', 'f', 'p') \
           AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
           AND n.nspname NOT LIKE 'pg\\_%' \
           AND (has_table_privilege('combipat_analyst', c.oid, 'SELECT') \
                OR has_any_column_privilege('combipat_analyst', c.oid, 'SELECT')) \
         ORDER BY 1, 2",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(readable.len() >= 6, "the analysts' views: {readable:?}");
    let mut conn = app.pool.acquire().await.unwrap();
    for (schema, relation) in &readable {
        assert_eq!(
            schema, "analytics",
            "{schema}.{relation} readable by analysts"
        );
        let columns: Vec<String> = sqlx::query_scalar(
            "SELECT attname::text FROM pg_attribute \
             WHERE attrelid = format('%I.%I', $1::text, $2::text)::regclass \
               AND attnum > 0 AND NOT attisdropped",
        )
        .bind(schema)
        .bind(relation)
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        for c in &columns {
            assert!(!personal(c), "{schema}.{relation}.{c} names personal data");
        }
        // Read as the analyst: every row, as text.
        sqlx::query("SET ROLE combipat_analyst")
            .execute(&mut *conn)
            .await
            .unwrap();
        let rows: (i64, String) = sqlx::query_as(&format!(
            "SELECT count(*), coalesce(string_agg(t::text, E'\\n'), '') FROM \"{schema}\".\"{relation}\" t"
        ))
        .fetch_one(&mut *conn)
        .await
        .unwrap_or_else(|e| panic!("{schema}.{relation} as the analyst: {e}"));
        sqlx::query("RESET ROLE").execute(&mut *conn).await.unwrap();
        for v in personal_values {
            assert!(!rows.1.contains(v), "{schema}.{relation} holds {v}");
        }
        if relation == "indicatori_sede_mese" {
            assert!(rows.0 > 0, "the request is counted: the check saw data");
        }
    }
    drop(conn);

    // Functions that run with their owner's rights and that the role may
    // call: only the analysts' own, returning no personal column.
    let definers: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT n.nspname::text, p.proname::text, pg_get_function_result(p.oid) \
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
         WHERE p.prosecdef AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
           AND has_function_privilege('combipat_analyst', p.oid, 'EXECUTE')",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(!definers.is_empty());
    for (schema, name, result) in &definers {
        assert_eq!(schema, "analytics", "{schema}.{name} callable by analysts");
        let inner = result
            .trim_start_matches("TABLE(")
            .trim_end_matches(')')
            .to_string();
        for column in inner.split(',').filter_map(|c| c.split_whitespace().next()) {
            assert!(!personal(column), "{schema}.{name} returns {column}");
        }
    }

    // And the analysts' API answers, exports included.
    let analyst = app.token(Role::Analyst, "ana.demo", &[]);
    for path in [
        "/api/v1/statistics",
        "/api/v1/statistics/regions",
        "/api/v1/statistics/export",
        "/api/v1/statistics/regions?format=csv",
    ] {
        let res = app
            .http
            .get(format!("{}{path}", app.base))
            .bearer_auth(&analyst)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let body = res.text().await.unwrap();
        for v in personal_values {
            assert!(!body.contains(v), "{path} holds {v}");
        }
    }
    app.stop().await;
}
