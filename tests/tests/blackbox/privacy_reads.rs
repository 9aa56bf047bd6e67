//! Who read what (issue 26): every read of a citizen's personal data leaves a
//! record (actor, role, scope, subject pseudonym, purpose, time) before it is
//! answered, an auditor's reads of requests are `AuditRead` events too, and an
//! auditor can ask "who looked at this citizen in this period".

use combipat_tests::{who, TestApp};
use domain::actor::Role;
use serde_json::Value;
use sqlx::PgPool;

const MARIO: &str = "RSSMRA60E12H501E";
const ANNA: &str = "BNCNNA52S63H501H";

fn auditor(app: &TestApp) -> String {
    app.token(Role::Auditor, "aud.demo", &[])
}

async fn reads_of(app: &TestApp, query: &str) -> Value {
    app.get(
        &auditor(app),
        &format!("/api/v1/audit/personal-data-reads?{query}"),
    )
    .await
    .ok()
}

fn operations_by(page: &Value, actor: &str) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["actor_id"] == actor)
        .map(|r| r["operation"].as_str().unwrap().to_string())
        .collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn every_read_of_a_citizen_is_recorded_and_an_auditor_finds_it(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let mario = app.create_request(&op, MARIO, "Requisiti NASpI").await;
    let anna = app.create_request(&op, ANNA, "Altra richiesta").await;
    let id = mario["request_id"].as_str().unwrap();
    let position = anna["position"].as_i64().unwrap();
    app.request_detail(&op, id, position).await;
    let timeline = app
        .send(
            reqwest::Method::GET,
            Some(&op),
            &format!("/api/v1/requests/{id}/timeline"),
            None,
            &[("X-Access-Purpose", "Verifica pratica NASpI")],
        )
        .await;
    assert_eq!(timeline.status, 200);
    let summary = app
        .http
        .get(format!("{}/api/v1/requests/{id}/summary", app.base))
        .bearer_auth(&op)
        .send()
        .await
        .unwrap();
    assert_eq!(summary.status(), 200);
    // Anna's request is read too: it must not show among Mario's reads.
    app.request_detail(&op, anna["request_id"].as_str().unwrap(), position)
        .await;

    // The auditor's plain GETs of the request: recorded as reads and as AuditRead events.
    let aud = auditor(&app);
    let before = app
        .scalar("SELECT count(*) FROM events WHERE event_type = 'AuditRead'")
        .await;
    for path in ["", "/timeline", "/summary"] {
        let res = app
            .http
            .get(format!("{}/api/v1/requests/{id}{path}", app.base))
            .bearer_auth(&aud)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "auditor GET {path}");
    }
    let after = app
        .scalar("SELECT count(*) FROM events WHERE event_type = 'AuditRead'")
        .await;
    assert_eq!(
        after - before,
        3,
        "each auditor read of a request is an AuditRead event"
    );

    let page = reads_of(&app, &format!("codice_fiscale={MARIO}")).await;
    assert_eq!(
        operations_by(&page, "op.rossi"),
        ["getRequest", "getRequestTimeline", "getPrintableSummary"]
    );
    // The query is recorded before it reads: it lists itself.
    assert_eq!(
        operations_by(&page, "aud.demo"),
        [
            "getRequest",
            "getRequestTimeline",
            "getPrintableSummary",
            "listPersonalDataReads"
        ]
    );
    let subject = page["subject"].as_str().unwrap().to_string();
    assert!(subject.starts_with('c') && !subject.contains(MARIO));
    let first = &page["items"][0];
    assert_eq!(first["actor_role"], "operator");
    assert_eq!(first["scope"], "patronato:INCA/office:INCA-RM01");
    assert_eq!(first["target"], format!("request-{id}"));
    assert_eq!(first["subject"], subject.as_str());
    assert_eq!(page["items"][1]["purpose"], "Verifica pratica NASpI");

    // Each query about Mario is itself a read of Mario's data.
    let again = reads_of(&app, &format!("codice_fiscale={MARIO}")).await;
    assert_eq!(operations_by(&again, "aud.demo").len(), 5);
    // A period before the reads: nothing.
    let none = reads_of(
        &app,
        &format!("codice_fiscale={MARIO}&to_time=2000-01-01T00:00:00Z"),
    )
    .await;
    assert_eq!(none["items"].as_array().unwrap().len(), 0);
    // By the pseudonym, paged one by one.
    let one = reads_of(&app, &format!("subject={subject}&limit=1")).await;
    assert_eq!(one["items"].as_array().unwrap().len(), 1);
    let cursor = one["next_cursor"].as_str().unwrap();
    let two = reads_of(&app, &format!("subject={subject}&limit=1&cursor={cursor}")).await;
    assert_eq!(two["items"][0]["operation"], "getRequestTimeline");

    // No codice fiscale in clear in the read log.
    let clear = app
        .scalar(&format!(
            "SELECT count(*) FROM personal_data_reads r WHERE r::text LIKE '%{MARIO}%' \
             OR r::text LIKE '%{ANNA}%'"
        ))
        .await;
    assert_eq!(clear, 0);
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn only_auditors_query_the_read_log_and_bad_input_is_refused(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    app.get(
        &op,
        &format!("/api/v1/audit/personal-data-reads?codice_fiscale={MARIO}"),
    )
    .await
    .problem(403, "forbidden");
    let aud = auditor(&app);
    app.get(
        &aud,
        "/api/v1/audit/personal-data-reads?codice_fiscale=RSSMRA60E12H501X",
    )
    .await
    .problem(400, "cf_invalid_check_char");
    app.get(&aud, "/api/v1/audit/personal-data-reads?cursor=abc")
        .await
        .problem(400, "invalid_cursor");
    let long = "x".repeat(201);
    let res = app
        .send(
            reqwest::Method::GET,
            Some(&aud),
            "/api/v1/audit/personal-data-reads",
            None,
            &[("X-Access-Purpose", long.as_str())],
        )
        .await;
    res.problem(400, "invalid_purpose");
    assert_eq!(
        app.scalar("SELECT count(*) FROM personal_data_reads").await,
        0
    );
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_thousand_concurrent_detail_reads_leave_a_thousand_records(pool: PgPool) {
    let limits = combipat_tests::TestApp::limits();
    let app = TestApp::spawn_with(
        pool,
        api::state::Limits {
            max_in_flight: 2_000,
            ..limits
        },
        true,
    )
    .await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let created = app.create_request(&op, MARIO, "Requisiti NASpI").await;
    let id = created["request_id"].as_str().unwrap().to_string();
    app.request_detail(&op, &id, created["position"].as_i64().unwrap())
        .await;
    let base = app
        .scalar("SELECT count(*) FROM personal_data_reads WHERE operation = 'getRequest'")
        .await;
    let started = std::time::Instant::now();
    let reads = (0..1_000).map(|_| {
        let (app, op, id) = (&app, &op, &id);
        async move { app.get(op, &format!("/api/v1/requests/{id}")).await.status }
    });
    let statuses = futures::future::join_all(reads).await;
    let elapsed = started.elapsed();
    assert!(
        statuses.iter().all(|s| *s == 200),
        "{:?}",
        statuses.iter().find(|s| **s != 200)
    );
    let recorded = app
        .scalar("SELECT count(*) FROM personal_data_reads WHERE operation = 'getRequest'")
        .await;
    assert_eq!(recorded - base, 1_000);
    let statements = app
        .scalar("SELECT count(DISTINCT xmin::text) FROM personal_data_reads")
        .await;
    eprintln!(
        "1000 concurrent reads in {elapsed:?}, their records written by {statements} inserts"
    );
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn recorded_and_unrecorded_detail_reads_side_by_side(pool: PgPool) {
    let app = TestApp::spawn_with(
        pool,
        api::state::Limits {
            max_in_flight: 2_000,
            ..TestApp::limits()
        },
        true,
    )
    .await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let referent = app.token(
        Role::RegionalReferent,
        "ref.lazio",
        &[
            ("patronato", "INCA"),
            ("office", "INCA-LAZ"),
            ("region", "LAZ"),
        ],
    );
    let citizen = app.create_request(&op, MARIO, "Requisiti NASpI").await;
    let own = app
        .post(
            &referent,
            "/api/v1/requests",
            serde_json::json!({"topic": "chiarimento_normativo", "text": "Circolare ADI"}),
        )
        .await
        .ok();
    let position = own["position"].as_i64().unwrap();
    let (cid, oid) = (
        citizen["request_id"].as_str().unwrap().to_string(),
        own["request_id"].as_str().unwrap().to_string(),
    );
    app.request_detail(&op, &cid, position).await;
    app.request_detail(&referent, &oid, position).await;
    let base = app.scalar("SELECT count(*) FROM personal_data_reads").await;
    let burst = |token: String, id: String| {
        let app = &app;
        async move {
            let started = std::time::Instant::now();
            let reads = (0..250).map(|_| {
                let (token, id) = (&token, &id);
                async move {
                    app.get(token, &format!("/api/v1/requests/{id}"))
                        .await
                        .status
                }
            });
            let statuses = futures::future::join_all(reads).await;
            assert!(statuses.iter().all(|s| *s == 200));
            started.elapsed()
        }
    };
    let (mut recorded, mut unrecorded) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
    for _ in 0..4 {
        recorded += burst(op.clone(), cid.clone()).await;
        unrecorded += burst(referent.clone(), oid.clone()).await;
    }
    let records = app.scalar("SELECT count(*) FROM personal_data_reads").await;
    assert_eq!(
        records - base,
        1_000,
        "only the citizen's request is recorded"
    );
    eprintln!(
        "1000 detail reads: recorded {recorded:?}, unrecorded {unrecorded:?}, ratio {:.2}",
        recorded.as_secs_f64() / unrecorded.as_secs_f64()
    );
    app.stop().await;
}
