//! Scope (SPEC §1): whoever is outside a request's scope gets the same 404
//! `not_found` as for a request that does not exist, on every read and every
//! write, and nothing is appended or stored.

use combipat_tests::{pdf, who, Resp, TestApp};
use domain::actor::Role;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

const MARIO: &str = "RSSMRA60E12H501E";

/// One call of the API on request `id` (attachment `att`).
#[derive(Debug, Clone, Copy)]
enum Call {
    GetRequest,
    GetTimeline,
    DownloadAttachment,
    AddAttachment,
    RemoveAttachment,
    TakeInCharge,
    Reply,
    Message,
    Sollecito,
    Forward,
    EnableAppointment,
    Close,
}

const EVERY_CALL: [Call; 12] = [
    Call::GetRequest,
    Call::GetTimeline,
    Call::DownloadAttachment,
    Call::AddAttachment,
    Call::RemoveAttachment,
    Call::TakeInCharge,
    Call::Reply,
    Call::Message,
    Call::Sollecito,
    Call::Forward,
    Call::EnableAppointment,
    Call::Close,
];

async fn call(app: &TestApp, token: &str, what: Call, id: &str, att: &str) -> Resp {
    let p = |rest: &str| format!("/api/v1/requests/{id}{rest}");
    match what {
        Call::GetRequest => app.get(token, &p("")).await,
        Call::GetTimeline => app.get(token, &p("/timeline")).await,
        Call::DownloadAttachment => app.get(token, &p(&format!("/attachments/{att}"))).await,
        Call::AddAttachment => {
            app.upload(
                token,
                &p("/attachments"),
                "intruso.pdf",
                pdf(&format!("intruso {}", Uuid::new_v4())),
            )
            .await
        }
        Call::RemoveAttachment => app.delete(token, &p(&format!("/attachments/{att}"))).await,
        Call::TakeInCharge => app.post(token, &p("/take-in-charge"), json!({})).await,
        Call::Reply => {
            app.post(token, &p("/replies"), json!({"text": "Risposta abusiva"}))
                .await
        }
        Call::Message => {
            app.post(token, &p("/messages"), json!({"text": "Messaggio abusivo"}))
                .await
        }
        Call::Sollecito => app.post(token, &p("/solleciti"), json!({})).await,
        Call::Forward => {
            app.post(
                token,
                &p("/forward"),
                json!({"to_sede": "3203", "reason": "Competenza territoriale"}),
            )
            .await
        }
        Call::EnableAppointment => {
            app.post(token, &p("/appointment-enablement"), json!({}))
                .await
        }
        Call::Close => {
            app.post(token, &p("/close"), json!({"note": "Chiusa da estraneo"}))
                .await
        }
    }
}

fn ids_in(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a page: {page}"))
        .iter()
        .map(|r| r["request_id"].as_str().unwrap().to_string())
        .collect()
}

struct Fixture {
    app: TestApp,
    id: String,
    protocol: String,
    attachment: String,
    position: i64,
}

/// `op.rossi` (INCA-RM01) writes about Mario Rossi (routed to 3201) and
/// attaches a file; the clock moves past 15 days so that a sollecito would be
/// allowed to someone in scope.
async fn fixture(pool: PgPool) -> Fixture {
    let app = TestApp::spawn(pool).await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let created = app
        .create_request(&op, MARIO, "Requisiti NASpI per lavoratore stagionale")
        .await;
    let id = created["request_id"].as_str().unwrap().to_string();
    let protocol = created["protocol"].as_str().unwrap().to_string();
    assert!(protocol.starts_with("INPS.3201."), "{protocol}");
    let added = app
        .upload(
            &op,
            &format!("/api/v1/requests/{id}/attachments"),
            "busta paga.pdf",
            pdf("busta paga"),
        )
        .await
        .ok();
    let position = added["position"].as_i64().unwrap();
    let detail = app
        .get(
            &op,
            &format!("/api/v1/requests/{id}?min_position={position}"),
        )
        .await
        .ok();
    let attachment = detail["attachments"][0]["attachment_id"]
        .as_str()
        .unwrap_or_else(|| panic!("attachment in {detail}"))
        .to_string();
    app.advance_days(16).await;
    Fixture {
        app,
        id,
        protocol,
        attachment,
        position,
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn outsiders_get_404_on_every_read_and_write(pool: PgPool) {
    let Fixture {
        app,
        id,
        attachment,
        position,
        ..
    } = fixture(pool).await;

    // The request is really there for those in scope (a colleague of the office
    // and the destination sede): the 404s below are about scope only.
    let colleague = app.operator("op.ferri", who::PATRONATO, who::OFFICE);
    let officer = app.officer("uff.bianchi", "3201");
    for token in [&colleague, &officer] {
        app.get(
            token,
            &format!("/api/v1/requests/{id}?min_position={position}"),
        )
        .await
        .ok();
        app.get(token, &format!("/api/v1/requests/{id}/timeline"))
            .await
            .ok();
        app.get(
            token,
            &format!("/api/v1/requests/{id}/attachments/{attachment}"),
        )
        .await
        .ok();
    }

    let outsiders = [
        (
            "operator of another office of the same patronato",
            app.operator("op.verdi", who::PATRONATO, who::OTHER_OFFICE),
        ),
        (
            "operator of another patronato",
            app.operator("op.galli", who::OTHER_PATRONATO, "ACLI-MI01"),
        ),
        (
            "administrator of another patronato",
            app.token(
                Role::PatronatoAdmin,
                "adm.acli",
                &[("patronato", "ACLI"), ("office", "ACLI-MI01")],
            ),
        ),
        (
            "regional referent of the same patronato, another office",
            app.token(
                Role::RegionalReferent,
                "ref.lazio",
                &[
                    ("patronato", "INCA"),
                    ("office", "INCA-LAZ"),
                    ("region", "LAZ"),
                ],
            ),
        ),
        ("officer of another sede", app.officer("uff.eur", "3202")),
    ];

    let events = app.event_count().await;
    let uploads = app.upload_count().await;
    let missing = Uuid::new_v4().to_string();
    let missing_att = Uuid::new_v4().to_string();
    for (who, token) in &outsiders {
        for what in EVERY_CALL {
            let out_of_scope = call(&app, token, what, &id, &attachment).await;
            assert_eq!(
                out_of_scope.status, 404,
                "{who}, {what:?}: {out_of_scope:?}"
            );
            out_of_scope.problem(404, "not_found");
            let nonexistent = call(&app, token, what, &missing, &attachment).await;
            nonexistent.problem(404, "not_found");
            assert_eq!(
                (
                    &out_of_scope.status,
                    &out_of_scope.content_type,
                    &out_of_scope.body
                ),
                (
                    &nonexistent.status,
                    &nonexistent.content_type,
                    &nonexistent.body
                ),
                "{who}, {what:?}: an out-of-scope request must look exactly like a missing one"
            );
            // A random attachment id on the real request: still the request's 404.
            if matches!(what, Call::DownloadAttachment | Call::RemoveAttachment) {
                let other_att = call(&app, token, what, &id, &missing_att).await;
                assert_eq!(other_att.body, nonexistent.body, "{who}, {what:?}");
            }
        }
    }
    // Copying an out-of-scope request is refused exactly like copying none.
    for (who, token) in outsiders.iter().take(4) {
        let copy = |from: &str| json!({"copy_from": from, "codice_fiscale": MARIO, "mandate_declared": true});
        let out_of_scope = app.post(token, "/api/v1/requests", copy(&id)).await;
        let nonexistent = app.post(token, "/api/v1/requests", copy(&missing)).await;
        out_of_scope.problem(422, "copy_source_not_found");
        assert_eq!(out_of_scope.body, nonexistent.body, "{who}");
    }
    assert_eq!(
        app.event_count().await,
        events,
        "a refused write appended events"
    );
    assert_eq!(
        app.upload_count().await,
        uploads,
        "a refused add-attachment stored the file"
    );

    // Nothing changed for those in scope either.
    let detail = app
        .get(&colleague, &format!("/api/v1/requests/{id}"))
        .await
        .ok();
    assert_eq!(detail["request"]["status"], "inoltrata");
    assert_eq!(detail["request"]["current_sede"], "3201");
    assert_eq!(detail["attachments"].as_array().unwrap().len(), 1);
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn another_sedes_inbox_is_404_and_histories_stay_in_scope(pool: PgPool) {
    let Fixture {
        app,
        id,
        protocol,
        position,
        ..
    } = fixture(pool).await;
    let own_officer = app.officer("uff.bianchi", "3201");
    let other_officer = app.officer("uff.eur", "3202");
    let other_office = app.operator("op.verdi", who::PATRONATO, who::OTHER_OFFICE);
    let other_patronato = app.operator("op.galli", who::OTHER_PATRONATO, "ACLI-MI01");

    // The own sede sees it.
    let inbox = app
        .get(
            &own_officer,
            &format!("/api/v1/sedi/3201/inbox?min_position={position}"),
        )
        .await
        .ok();
    assert!(ids_in(&inbox).contains(&id));

    // Another sede's inbox is 404, exactly like a sede that does not exist;
    // patronato users have no inbox at all.
    let missing_sede = app.get(&other_officer, "/api/v1/sedi/9999/inbox").await;
    missing_sede.problem(404, "not_found");
    for token in [&other_officer, &other_office, &other_patronato] {
        for path in [
            "/api/v1/sedi/3201/inbox",
            "/api/v1/sedi/3201/inbox?bucket=new",
            "/api/v1/sedi/3201/inbox?bucket=overdue",
        ] {
            let r = app.get(token, path).await;
            r.problem(404, "not_found");
            assert_eq!(r.body, missing_sede.body, "{path}");
        }
    }
    // The other officer's own inbox does not have it.
    let theirs = app
        .get(
            &other_officer,
            &format!("/api/v1/sedi/3202/inbox?min_position={position}"),
        )
        .await
        .ok();
    assert!(!ids_in(&theirs).contains(&id));

    // Histories of other offices / patronati do not have it, whatever the filter.
    for token in [&other_office, &other_patronato] {
        for query in [
            format!("min_position={position}"),
            format!("protocol={protocol}"),
            format!("codice_fiscale={MARIO}"),
            "scope=mine".to_string(),
            "subject=NASpI".to_string(),
        ] {
            let page = app
                .get(token, &format!("/api/v1/requests?{query}"))
                .await
                .ok();
            assert!(!ids_in(&page).contains(&id), "{query}: {page}");
        }
    }
    // Home panels of others stay empty.
    let panel = app
        .get(&other_office, "/api/v1/home/recent-replies")
        .await
        .ok();
    assert_eq!(panel["count"], 0);
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_patronato_admin_sees_every_office_of_the_patronato(pool: PgPool) {
    let Fixture {
        app,
        id,
        attachment,
        position,
        ..
    } = fixture(pool).await;
    let admin = app.token(
        Role::PatronatoAdmin,
        "adm.inca",
        &[("patronato", "INCA"), ("office", who::OTHER_OFFICE)],
    );
    let detail = app
        .get(
            &admin,
            &format!("/api/v1/requests/{id}?min_position={position}"),
        )
        .await
        .ok();
    assert_eq!(detail["request"]["office"], who::OFFICE);
    app.get(&admin, &format!("/api/v1/requests/{id}/timeline"))
        .await
        .ok();
    app.get(
        &admin,
        &format!("/api/v1/requests/{id}/attachments/{attachment}"),
    )
    .await
    .ok();
    let history = app.get(&admin, "/api/v1/requests").await.ok();
    assert!(ids_in(&history).contains(&id), "{history}");
    // "mine" of the admin does not have it: they did not write it.
    let mine = app.get(&admin, "/api/v1/requests?scope=mine").await.ok();
    assert!(!ids_in(&mine).contains(&id));
    // And the admin may act on it like an operator of the office.
    let s = app
        .post(
            &admin,
            &format!("/api/v1/requests/{id}/solleciti"),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(s["version"], 3);
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn auditors_and_analysts_may_not_list_requests(pool: PgPool) {
    let Fixture { app, .. } = fixture(pool).await;
    let events = app.event_count().await;
    for role in [Role::Auditor, Role::Analyst, Role::Citizen] {
        let token = app.token(role, "someone", &[]);
        app.get(&token, "/api/v1/requests")
            .await
            .problem(403, "forbidden");
        app.get(&token, "/api/v1/requests?scope=mine")
            .await
            .problem(403, "forbidden");
        app.get(&token, "/api/v1/home/recent-replies")
            .await
            .problem(403, "forbidden");
    }
    // Neither may an analyst or a citizen create or read a request.
    let analyst = app.token(Role::Analyst, "ana.demo", &[]);
    let r = app
        .post(
            &analyst,
            "/api/v1/requests",
            json!({"codice_fiscale": MARIO, "mandate_declared": true,
                   "topic": "requisiti_accesso", "text": "x"}),
        )
        .await;
    r.problem(403, "not_allowed_for_role");
    assert_eq!(app.event_count().await, events);
    app.stop().await;
}
