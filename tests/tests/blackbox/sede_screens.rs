//! What the sede's screens read (issue 25): the inbox's bucket counts, names
//! in the detail, the calendar read after a closure, and the service's day.

use api::directory::Directory;
use combipat_tests::{reference_dir, who, TestApp};
use domain::actor::Role;
use serde_json::{json, Value};
use sqlx::PgPool;

const MARIO: &str = "RSSMRA60E12H501E";

fn path(id: &str, rest: &str) -> String {
    format!("/api/v1/requests/{id}{rest}")
}

/// The rows of one bucket, read page by page.
async fn bucket_len(app: &TestApp, officer: &str, sede: &str, bucket: &str, pos: i64) -> i64 {
    let mut total = 0;
    let mut cursor: Option<String> = None;
    loop {
        let mut url =
            format!("/api/v1/sedi/{sede}/inbox?bucket={bucket}&limit=100&min_position={pos}");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page = app.get(officer, &url).await.ok();
        total += page["items"].as_array().unwrap().len() as i64;
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return total,
        }
    }
}

async fn counts(app: &TestApp, officer: &str, sede: &str, pos: i64) -> Value {
    app.get(
        officer,
        &format!("/api/v1/sedi/{sede}/inbox/counts?min_position={pos}"),
    )
    .await
    .ok()
}

#[sqlx::test(migrations = "../migrations")]
async fn inbox_counts_equal_the_lengths_of_the_buckets(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let mut ids = vec![];
    let mut sede = String::new();
    for n in 0..5 {
        let created = app
            .create_request(&op, MARIO, &format!("Richiesta numero {n}"))
            .await;
        ids.push(created["request_id"].as_str().unwrap().to_string());
        let detail = app
            .request_detail(&op, &ids[n], created["position"].as_i64().unwrap())
            .await;
        sede = detail["request"]["current_sede"]
            .as_str()
            .unwrap()
            .to_string();
    }
    let officer = app.officer("uff.bianchi", &sede);
    let fresh = counts(&app, &officer, &sede, 1).await;
    assert_eq!(
        fresh,
        json!({"all": 5, "new": 5, "in_charge": 0, "awaiting_reply": 5, "overdue": 0})
    );

    // One taken in charge, one answered, one closed; 16 days later the two
    // still awaiting a reply are overdue.
    app.post(&officer, &path(&ids[0], "/take-in-charge"), json!({}))
        .await
        .ok();
    app.post(
        &officer,
        &path(&ids[1], "/replies"),
        json!({"text": "Ecco la risposta"}),
    )
    .await
    .ok();
    let last = app
        .post(&officer, &path(&ids[2], "/close"), json!({}))
        .await
        .ok();
    app.advance_days(16).await;
    let pos = last["position"].as_i64().unwrap();
    let now = counts(&app, &officer, &sede, pos).await;
    assert_eq!(
        now,
        json!({"all": 5, "new": 2, "in_charge": 1, "awaiting_reply": 3, "overdue": 3})
    );
    for bucket in ["all", "new", "in_charge", "awaiting_reply", "overdue"] {
        assert_eq!(
            now[bucket].as_i64().unwrap(),
            bucket_len(&app, &officer, &sede, bucket, pos).await,
            "bucket {bucket}"
        );
    }

    // Someone else's inbox does not exist.
    for token in [app.officer("uff.eur", "3202"), op.clone()] {
        app.get(&token, &format!("/api/v1/sedi/{sede}/inbox/counts"))
            .await
            .problem(404, "not_found");
    }
    app.get(
        &officer,
        &format!("/api/v1/sedi/{sede}/inbox/counts?min_position=999999999"),
    )
    .await
    .problem(400, "invalid_min_position");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_detail_names_the_patronato_its_office_and_who_took_it_in_charge(pool: PgPool) {
    let directory = Directory::load(&reference_dir()).unwrap();
    let app = TestApp::spawn_configured(pool, TestApp::limits(), true, |state| {
        state.with_directory(directory, false)
    })
    .await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let created = app.create_request(&op, MARIO, "Requisiti NASpI").await;
    let id = created["request_id"].as_str().unwrap();
    let detail = app
        .request_detail(&op, id, created["position"].as_i64().unwrap())
        .await;
    assert_eq!(detail["patronato_name"], "Patronato INCA CGIL");
    assert_eq!(detail["office_name"], "INCA Roma Esquilino");
    assert_eq!(detail["in_charge_by_name"], Value::Null);
    let sede = detail["request"]["current_sede"].as_str().unwrap();

    let officer = app.officer("uff.bianchi", sede);
    let taken = app
        .post(&officer, &path(id, "/take-in-charge"), json!({}))
        .await
        .ok();
    let detail = app
        .request_detail(&officer, id, taken["position"].as_i64().unwrap())
        .await;
    assert_eq!(detail["request"]["in_charge_by"], "uff.bianchi");
    assert_eq!(detail["in_charge_by_name"], "Stefano Bianchi");

    // Someone the directory does not know keeps their id.
    let other_sede = if sede == "3202" { "3203" } else { "3202" };
    app.post(
        &officer,
        &path(id, "/forward"),
        json!({"to_sede": other_sede, "reason": "Competenza territoriale"}),
    )
    .await
    .ok();
    let stranger = app.officer("uff.sconosciuto", other_sede);
    let taken = app
        .post(&stranger, &path(id, "/take-in-charge"), json!({}))
        .await
        .ok();
    let detail = app
        .request_detail(&stranger, id, taken["position"].as_i64().unwrap())
        .await;
    assert_eq!(detail["in_charge_by_name"], "uff.sconosciuto");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_declared_closure_is_read_at_once_with_its_position(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let sede = "3231";
    let officer = app.officer("uff.roma", sede);
    let clock = app.get(&officer, "/api/v1/clock").await.ok();
    let today =
        chrono::NaiveDate::parse_from_str(clock["today"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    let date = (today + chrono::Duration::days(3)).to_string();
    let closure = app
        .post(
            &officer,
            &format!("/api/v1/sedi/{sede}/closures"),
            json!({"date": date, "reason": "Assemblea del personale"}),
        )
        .await;
    assert_eq!(closure.status, 201, "{closure:?}");
    let pos = closure.body["position"].as_i64().unwrap();
    let calendar = app
        .get(
            &officer,
            &format!("/api/v1/sedi/{sede}/closures?min_position={pos}"),
        )
        .await
        .ok();
    assert!(
        calendar["closures"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["date"] == date.as_str() && c["reason"] == "Assemblea del personale"),
        "{calendar}"
    );
    let counters = app
        .get(
            &officer,
            &format!("/api/v1/sedi/{sede}/counters?min_position={pos}"),
        )
        .await;
    assert_eq!(counters.status, 200, "{counters:?}");
    for read in ["closures", "counters"] {
        app.get(
            &officer,
            &format!("/api/v1/sedi/{sede}/{read}?min_position=999999999"),
        )
        .await
        .problem(400, "invalid_min_position");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn every_signed_in_user_reads_the_service_day(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let officer = app.officer("uff.bianchi", "3201");
    let admin = app.token(Role::SystemAdmin, "clock", &[]);
    let set = app
        .post(
            &admin,
            "/api/v1/admin/clock",
            json!({"set": "2031-03-30T22:30:00Z"}),
        )
        .await
        .ok();
    assert_eq!(set["manual"], true);
    // 22:30 UTC on 30 March is 00:30 of the 31st in Rome (summer time).
    for token in [officer.clone(), app.token(Role::Auditor, "rev.demo", &[])] {
        let clock = app.get(&token, "/api/v1/clock").await.ok();
        assert_eq!(clock["today"], "2031-03-31");
        // The manual clock keeps running from the instant it was set to.
        let at = |v: &Value| {
            chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap())
                .unwrap()
                .to_utc()
        };
        let since = at(&clock["now"]) - at(&set["now"]);
        assert!(
            since >= chrono::Duration::zero() && since < chrono::Duration::minutes(1),
            "{since}"
        );
    }
    app.advance_days(1).await;
    let clock = app.get(&officer, "/api/v1/clock").await.ok();
    assert_eq!(clock["today"], "2031-04-01");
    let anonymous = app
        .send(reqwest::Method::GET, None, "/api/v1/clock", None, &[])
        .await;
    assert_eq!(anonymous.status, 401);
}
