//! Erasure of a citizen, end to end (issue 26): a citizen with requests,
//! attachments named after them, a reply, a closing note, a booking and
//! audit reads is erased; then no API answer, no
//! export and no `pg_dump` of the database holds their codice fiscale, names,
//! birth date, mobile or e-mail in clear; the log still verifies; a rebuild
//! of every projection gives the same rows; another citizen is untouched.
//! Erasing twice, an unknown subject, or without the role changes nothing.

use chrono::NaiveDate;
use combipat_tests::{pdf, who, TestApp};
use domain::actor::Role;
use serde_json::json;
use sqlx::PgPool;

const MARIO: &str = "RSSMRA60E12H501E";
const ANNA: &str = "BNCNNA52S63H501H";
const ERASURES: &str = "/api/v1/privacy/erasures";
const MOBILE: &str = "3331234567";
const EMAIL: &str = "mario.privato@example.com";
const MARIO_TEXT: &str = "Il figlio Luchino chiede la NASpI";

async fn text(app: &TestApp, token: &str, path: &str) -> String {
    let r = app
        .http
        .get(format!("{}{path}", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.text().await.unwrap()
}

/// The whole database as `pg_dump` writes it, but the registry's copy of
/// the citizens (`ref_*`: INPS's registry, kept under its own retention,
/// not combipat's record; docs/privacy.md).
fn pg_dump(pool: &PgPool) -> String {
    let opts = pool.connect_options();
    let out = std::process::Command::new("pg_dump")
        .args(["-h", opts.get_host(), "-p", &opts.get_port().to_string()])
        .args(["-U", opts.get_username()])
        .args(["-d", opts.get_database().unwrap()])
        .args(["--data-only", "--exclude-table-data=ref_*"])
        .output()
        .expect("pg_dump runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// As written and upper-cased (case-sensitive: an operator's id such as
/// `op.rossi` is staff data, not the citizen's surname).
fn assert_none_in(what: &str, haystack: &str, needles: &[String]) {
    for n in needles {
        for form in [n.clone(), n.to_uppercase()] {
            assert!(!haystack.contains(&form), "{form:?} in clear in {what}");
        }
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn an_erased_citizen_is_nowhere_in_clear_and_the_others_stay(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let admin = app.token(Role::SystemAdmin, "dpo.bianchi", &[]);
    app.set_clock("2026-12-01T08:00:00Z").await;
    let (surname, name, birth): (String, String, NaiveDate) = sqlx::query_as(
        "SELECT surname, name, birth_date FROM ref_citizens WHERE codice_fiscale = $1",
    )
    .bind(MARIO)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let mario_clear: Vec<String> = vec![
        MARIO.into(),
        surname.clone(),
        name.clone(),
        birth.to_string(),
        birth.format("%d/%m/%Y").to_string(),
        MOBILE.into(),
        EMAIL.into(),
        "Luchino".into(),
    ];

    // Mario: a request with an attachment, a booking with contacts, an
    // auditor's read. Anna: a request.
    let rossi = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let created = app.create_request(&rossi, MARIO, MARIO_TEXT).await;
    let r1 = created["request_id"].as_str().unwrap().to_string();
    let protocol = created["protocol"].as_str().unwrap().to_string();
    // Files named after the citizen, added on their own and with a reply;
    // the sede replies and closes with texts that name the son.
    app.upload(
        &rossi,
        &format!("/api/v1/requests/{r1}/attachments"),
        &format!("CI_{surname}.pdf"),
        pdf("m1"),
    )
    .await
    .ok();
    let sede = app
        .request_detail(&rossi, &r1, created["position"].as_i64().unwrap())
        .await["request"]["current_sede"]
        .as_str()
        .unwrap()
        .to_string();
    let officer = app.officer("uff.bianchi", &sede);
    let reply_file = app
        .upload(
            &officer,
            "/api/v1/uploads",
            &format!("Estratto_{surname}_{name}.pdf"),
            pdf("m2"),
        )
        .await
        .ok();
    app.post(
        &officer,
        &format!("/api/v1/requests/{r1}/replies"),
        json!({"text": "Per Luchino serve il modello SR163", "attachments": [reply_file["id"]]}),
    )
    .await
    .ok();
    app.post(
        &officer,
        &format!("/api/v1/requests/{r1}/close"),
        json!({"note": "Informato Luchino al telefono"}),
    )
    .await
    .ok();
    let r2 = app
        .create_request(&rossi, ANNA, "Assegno unico per Anna")
        .await["request_id"]
        .as_str()
        .unwrap()
        .to_string();
    app.book_as_citizen(
        MARIO,
        "2026-12-03T08:06:00Z",
        json!({"mode": "in_presenza", "reason": "Estratto conto", "mobile": MOBILE,
               "email": EMAIL}),
    )
    .await;
    let auditor = app.token(Role::Auditor, "aud.verdi", &[]);
    app.caught_up().await;
    let before = app
        .get(&auditor, &format!("/api/v1/requests/{r1}"))
        .await
        .ok();
    assert!(
        before.to_string().contains(MARIO_TEXT),
        "opened for a reader: {before}"
    );

    // Sealed at append: the log itself holds none of Mario's data in clear.
    let log: String = sqlx::query_scalar(
        "SELECT string_agg(stream_id || ' ' || payload::text || ' ' || metadata::text, E'\\n') \
         FROM events",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_none_in("the events table", &log, &mario_clear);
    app.caught_up().await;

    // Refusals change nothing.
    let events = app.event_count().await;
    let ground = json!({"codice_fiscale": MARIO, "legal_ground": "GDPR art. 17(1)(d)"});
    app.post(&auditor, ERASURES, ground.clone())
        .await
        .problem(403, "forbidden");
    app.post(&rossi, ERASURES, ground.clone())
        .await
        .problem(403, "forbidden");
    app.post(
        &admin,
        ERASURES,
        json!({"codice_fiscale": MARIO, "legal_ground": " "}),
    )
    .await
    .problem(400, "invalid_legal_ground");
    app.post(
        &admin,
        ERASURES,
        json!({"codice_fiscale": "XYZ", "legal_ground": "x"}),
    )
    .await
    .problem(400, "cf_wrong_length");
    let nobody: String = sqlx::query_scalar(
        "SELECT codice_fiscale FROM ref_citizens WHERE codice_fiscale NOT IN ($1, $2) LIMIT 1",
    )
    .bind(MARIO)
    .bind(ANNA)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    app.post(
        &admin,
        ERASURES,
        json!({"codice_fiscale": nobody, "legal_ground": "x"}),
    )
    .await
    .problem(404, "subject_unknown");
    assert_eq!(app.event_count().await, events);

    let erased = app.post(&admin, ERASURES, ground.clone()).await;
    assert_eq!(erased.status, 201, "{erased:?}");
    let erased = erased.body;
    assert!(erased["subject"].as_str().unwrap().starts_with('c'));
    assert_eq!(erased["erased_by"], "dpo.bianchi");
    assert_eq!(erased["requests_scrubbed"], 1);
    assert_eq!(erased["bookings_scrubbed"], 1);
    let events = app.event_count().await;
    app.post(&admin, ERASURES, ground)
        .await
        .problem(409, "already_erased");
    assert_eq!(app.event_count().await, events);

    // Every answer and export: the erased form, the administrative record stays.
    let detail = app
        .get(&rossi, &format!("/api/v1/requests/{r1}"))
        .await
        .ok();
    assert!(detail.to_string().contains("dato cancellato"), "{detail}");
    assert!(detail.to_string().contains(&protocol), "{detail}");
    let mut answers = String::new();
    for (token, path) in [
        (&rossi, format!("/api/v1/requests/{r1}")),
        (&rossi, format!("/api/v1/requests/{r1}/timeline")),
        (&rossi, format!("/api/v1/requests/{r1}/summary")),
        (&rossi, "/api/v1/requests".to_string()),
        (
            &auditor,
            format!("/api/v1/audit/streams/request-{r1}/events"),
        ),
        (&auditor, "/api/v1/audit/events?limit=1000".to_string()),
        (&auditor, "/api/v1/audit/export".to_string()),
    ] {
        answers.push_str(&text(&app, token, &path).await);
    }
    assert!(answers.contains("dato cancellato"));
    assert_none_in("the API's answers", &answers, &mario_clear);
    assert_none_in("pg_dump", &pg_dump(&app.pool), &mario_clear);

    // Anna is untouched.
    let anna = app
        .get(&rossi, &format!("/api/v1/requests/{r2}"))
        .await
        .ok();
    assert!(anna.to_string().contains("Assegno unico per Anna"));
    assert!(anna.to_string().contains(ANNA));

    // The log verifies; a rebuild of every projection gives the same rows.
    let v = store::verify::verify_log(&app.pool).await.unwrap();
    assert!(v.ok, "{v:?}");
    app.caught_up().await;
    let scrubbed = crate::rebuild::snapshot(&app.pool).await;
    for name in projections::NAMES {
        projections::rebuild_by_name(&app.pool, name).await.unwrap();
    }
    let rebuilt = crate::rebuild::snapshot(&app.pool).await;
    for (table, rows) in &scrubbed {
        assert_eq!(rows, &rebuilt[table], "{table} differs after the rebuild");
    }
    app.stop().await;
}
