//! The read models name citizens by pseudonym (issue 26, decision P27): a
//! search by codice fiscale finds the requests and bookings sent under any
//! omocodia variant of the code, the erasure scrubs them all, and no index of
//! a read model covers a column holding a codice fiscale in clear.

use combipat_tests::{who, TestApp};
use domain::actor::Role;
use domain::codice_fiscale::CodiceFiscale;
use serde_json::{json, Value};
use sqlx::PgPool;

const MARIO: &str = "RSSMRA60E12H501E";
const ANNA: &str = "BNCNNA52S63H501H";
/// A codice fiscale as the read models would hold it in clear.
const CF_PATTERN: &str =
    "[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]";

/// Mario's first omocodia variant, registered beside him (as INPS's registry
/// holds a citizen whose code was changed for omocodia).
async fn register_variant(app: &TestApp) -> String {
    let variant = CodiceFiscale::parse(MARIO).unwrap().omocodia_variants()[0]
        .as_str()
        .to_string();
    sqlx::query(
        "INSERT INTO ref_citizens SELECT (jsonb_populate_record(NULL::ref_citizens, \
             to_jsonb(c) || jsonb_build_object('codice_fiscale', $2::text))).* \
         FROM ref_citizens c WHERE codice_fiscale = $1",
    )
    .bind(MARIO)
    .bind(&variant)
    .execute(&app.pool)
    .await
    .unwrap();
    variant
}

fn ids(list: &Value) -> Vec<String> {
    let mut ids: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["request_id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

/// A citizen with requests under two codes (omocodia), booked under the
/// variant: the history's filter finds both requests by either code, the
/// erasure by the original code scrubs every row (matching the code as
/// typed missed the variant's), and the other citizen stays.
#[sqlx::test(migrations = "../migrations")]
async fn an_omocodia_variants_rows_are_found_and_scrubbed_at_erasure(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let admin = app.token(Role::SystemAdmin, "dpo.bianchi", &[]);
    app.set_clock("2026-12-01T08:00:00Z").await;
    let variant = register_variant(&app).await;
    let rossi = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let mut mario = vec![
        app.create_request(&rossi, MARIO, "Richiesta col codice originale")
            .await["request_id"]
            .as_str()
            .unwrap()
            .to_string(),
        app.create_request(&rossi, &variant, "Richiesta col codice omocodico")
            .await["request_id"]
            .as_str()
            .unwrap()
            .to_string(),
    ];
    mario.sort();
    let anna = app
        .create_request(&rossi, ANNA, "Assegno unico per Anna")
        .await["request_id"]
        .as_str()
        .unwrap()
        .to_string();
    // Booked under the variant only (one booking per counter type and citizen).
    app.book_as_citizen(
        &variant,
        "2026-12-03T08:06:00Z",
        json!({"mode": "in_presenza", "reason": "Estratto conto", "mobile": "3331234567"}),
    )
    .await;
    app.caught_up().await;

    // Either code finds both requests, and nothing of Anna.
    for code in [MARIO, variant.as_str()] {
        let found = app
            .get(&rossi, &format!("/api/v1/requests?codice_fiscale={code}"))
            .await
            .ok();
        assert_eq!(ids(&found), mario, "searched by {code}");
    }

    let erased = app
        .post(
            &admin,
            "/api/v1/privacy/erasures",
            json!({"codice_fiscale": MARIO, "legal_ground": "GDPR art. 17(1)(d)"}),
        )
        .await;
    assert_eq!(erased.status, 201, "{erased:?}");
    assert_eq!(erased.body["requests_scrubbed"], 2);
    assert_eq!(erased.body["bookings_scrubbed"], 1);
    let clear: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM request_summary WHERE codice_fiscale = ANY($1)) \
              + (SELECT count(*) FROM bookings WHERE codice_fiscale = ANY($1) \
                                                   OR booked_by = ANY($1))",
    )
    .bind([MARIO.to_string(), variant.clone()])
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(clear, 0, "a row of Mario kept his code in clear");
    let anna_row = app
        .get(&rossi, &format!("/api/v1/requests/{anna}"))
        .await
        .ok();
    assert!(anna_row.to_string().contains(ANNA), "{anna_row}");
    app.stop().await;
}

/// Every index of the read models' tables, read from the catalogue (columns
/// of keys, expressions and predicates alike, through `pg_depend`): none is
/// on a column named for the codice fiscale, and none covers a column that
/// holds one, with requests, replies and bookings of citizens projected.
#[sqlx::test(migrations = "../migrations")]
async fn no_read_model_index_covers_a_codice_fiscale_in_clear(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.set_clock("2026-12-01T08:00:00Z").await;
    let rossi = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let created = app
        .create_request(&rossi, MARIO, "Richiesta di Mario")
        .await;
    let id = created["request_id"].as_str().unwrap().to_string();
    let detail = app
        .request_detail(&rossi, &id, created["position"].as_i64().unwrap())
        .await;
    let sede = detail["request"]["current_sede"].as_str().unwrap();
    let officer = app.officer("uff.verdi", sede);
    app.post(
        &officer,
        &format!("/api/v1/requests/{id}/replies"),
        json!({"text": "Risposta della sede"}),
    )
    .await
    .ok();
    app.book_as_citizen(
        MARIO,
        "2026-12-03T08:06:00Z",
        json!({"mode": "in_presenza", "reason": "Estratto conto", "mobile": "3331234567"}),
    )
    .await;
    app.caught_up().await;

    let mut tables = Vec::new();
    for name in projections::NAMES {
        for table in projections::by_name(&app.pool, name).unwrap().tables() {
            tables.push(table.to_string());
        }
    }
    let indexed: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT DISTINCT t.relname::text, i.relname::text, a.attname::text \
         FROM pg_index x \
         JOIN pg_class i ON i.oid = x.indexrelid \
         JOIN pg_class t ON t.oid = x.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public' \
         JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = i.oid \
              AND d.refclassid = 'pg_class'::regclass AND d.refobjid = t.oid \
              AND d.refobjsubid > 0 \
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid \
         WHERE t.relname = ANY($1) \
         ORDER BY 1, 2, 3",
    )
    .bind(&tables)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(
        indexed
            .iter()
            .any(|(t, _, c)| t == "bookings" && c == "citizen_pseudonym"),
        "the catalogue query sees the indexes: {indexed:?}"
    );
    let mut named = 0;
    for (table, index, column) in &indexed {
        assert!(
            !column.contains("codice_fiscale"),
            "index {index} of {table} covers {column}"
        );
        let clear: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {table} WHERE {column}::text ~ '{CF_PATTERN}'"
        ))
        .fetch_one(&app.pool)
        .await
        .unwrap();
        assert_eq!(
            clear, 0,
            "index {index} of {table} covers {column}, which holds a codice fiscale"
        );
        named += 1;
    }
    assert!(named > 10, "{indexed:?}");
    // The rows the check looked at do hold citizens.
    assert_eq!(
        app.scalar("SELECT count(*) FROM request_summary WHERE citizen_pseudonym LIKE 'c%'")
            .await,
        1
    );
    for table in ["recent_replies", "bookings"] {
        let sql = format!("SELECT count(*) FROM {table} WHERE citizen_pseudonym LIKE 'c%'");
        assert_eq!(app.scalar(&sql).await, 1, "{table}");
    }
    app.stop().await;
}
