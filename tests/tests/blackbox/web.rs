//! What the web app stands on: the app served at `/` with its security
//! headers, the development sign-in, `GET /me`, the referent's choice of
//! profile and signed download links.

use combipat_tests::{reference_dir, TestApp};
use serde_json::{json, Value};
use sqlx::PgPool;
use std::path::PathBuf;

fn web_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("combipat-web-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><html lang=\"it\"><title>CRM Patronati</title></html>",
    )
    .unwrap();
    std::fs::write(dir.join("assets/index-abc123.js"), "console.log(1)").unwrap();
    std::fs::write(dir.join("assets/index-abc123.js.gz"), b"\x1f\x8bpretend").unwrap();
    std::fs::write(dir.join("favicon.svg"), "<svg/>").unwrap();
    dir
}

async fn spawn(pool: PgPool, dev_login: bool) -> TestApp {
    let dir = web_dir();
    TestApp::spawn_configured(pool, Default::default(), true, move |state| {
        let directory = api::directory::Directory::load(&reference_dir()).unwrap();
        state
            .with_directory(directory, dev_login)
            .with_web_dir(Some(dir))
    })
    .await
}

async fn raw_get(app: &TestApp, path: &str) -> reqwest::Response {
    app.http
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap()
}

fn header<'a>(res: &'a reqwest::Response, name: &str) -> &'a str {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[sqlx::test(migrations = "../migrations")]
async fn the_app_answers_deep_links_with_its_page_and_keeps_api_errors_as_problems(pool: PgPool) {
    let app = spawn(pool, false).await;
    for path in ["/", "/storico/5b1c", "/nuova-richiesta"] {
        let res = raw_get(&app, path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(header(&res, "cache-control"), "no-cache", "{path}");
        let csp = header(&res, "content-security-policy").to_string();
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
        assert_eq!(header(&res, "x-content-type-options"), "nosniff");
        assert_eq!(header(&res, "x-frame-options"), "DENY");
        assert!(header(&res, "content-type").starts_with("text/html"));
        assert!(res.text().await.unwrap().contains("lang=\"it\""));
    }
    let asset = raw_get(&app, "/assets/index-abc123.js").await;
    assert_eq!(asset.status(), 200);
    assert!(header(&asset, "cache-control").contains("immutable"));
    assert_eq!(header(&asset, "x-content-type-options"), "nosniff");
    assert_eq!(header(&asset, "content-encoding"), "");
    assert_eq!(asset.text().await.unwrap(), "console.log(1)");
    // The build's gzip, to a browser that accepts it.
    let gzipped = app
        .http
        .get(format!("{}/assets/index-abc123.js", app.base))
        .header("accept-encoding", "gzip, deflate, br")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&gzipped, "content-encoding"), "gzip");
    assert!(header(&gzipped, "content-type").contains("javascript"));
    assert!(header(&gzipped, "vary").contains("accept-encoding"));

    // A missing file is not answered with the page (a stale hashed asset
    // would otherwise load HTML as a script).
    let missing = raw_get(&app, "/assets/index-old.js").await;
    assert_eq!(missing.status(), 404);

    let api = raw_get(&app, "/api/v1/nothing-here").await;
    assert_eq!(api.status(), 404);
    assert_eq!(header(&api, "content-type"), "application/problem+json");

    let post = app
        .http
        .post(format!("{}/storico", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 405);
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn without_a_web_dir_every_unknown_path_is_a_problem(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let res = raw_get(&app, "/storico").await;
    assert_eq!(res.status(), 404);
    assert_eq!(header(&res, "content-type"), "application/problem+json");
    app.stop().await;
}

async fn demo_session(app: &TestApp, user: &str) -> String {
    let res = app
        .send(
            reqwest::Method::POST,
            None,
            "/api/v1/dev/session",
            Some(&json!({"user_id": user})),
            &[],
        )
        .await;
    res.ok()["token"].as_str().unwrap().to_string()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_development_sign_in_exists_only_when_opened(pool: PgPool) {
    let app = spawn(pool, false).await;
    let users = app
        .send(reqwest::Method::GET, None, "/api/v1/dev/users", None, &[])
        .await;
    users.problem(404, "not_found");
    let session = app
        .send(
            reqwest::Method::POST,
            None,
            "/api/v1/dev/session",
            Some(&json!({"user_id": "op.rossi"})),
            &[],
        )
        .await;
    session.problem(404, "not_found");
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_demo_operator_signs_in_and_is_named_with_patronato_and_office(pool: PgPool) {
    let app = spawn(pool, true).await;
    let users = app
        .send(reqwest::Method::GET, None, "/api/v1/dev/users", None, &[])
        .await
        .ok();
    let rossi = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == "op.rossi")
        .cloned()
        .expect("op.rossi offered");
    assert_eq!(rossi["role_label"], "Operatore di patronato");
    assert_eq!(
        rossi["scope_label"],
        "Patronato INCA CGIL – INCA Roma Esquilino"
    );

    let token = demo_session(&app, "op.rossi").await;
    let me = app.get(&token, "/api/v1/me").await.ok();
    assert_eq!(me["id"], "op.rossi");
    assert_eq!(me["display_name"], "Laura Rossi");
    assert_eq!(me["role"], "operator");
    assert_eq!(
        me["patronato"],
        json!({"code": "INCA", "name": "Patronato INCA CGIL"})
    );
    assert_eq!(me["office"]["name"], "INCA Roma Esquilino");
    assert_eq!(me["profiles"].as_array().unwrap().len(), 1);

    // The session works on the API like any token.
    app.get(&token, "/api/v1/requests").await.ok();

    let officer = demo_session(&app, "uff.bianchi").await;
    let me = app.get(&officer, "/api/v1/me").await.ok();
    assert_eq!(me["sede"]["code"], "3201");
    assert_ne!(me["sede"]["name"], "3201", "the sede is named: {me}");

    let unknown = app
        .send(
            reqwest::Method::POST,
            None,
            "/api/v1/dev/session",
            Some(&json!({"user_id": "nessuno"})),
            &[],
        )
        .await;
    unknown.problem(422, "demo_user_unknown");
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_regional_referent_chooses_a_profile_and_an_operator_cannot_become_referent(
    pool: PgPool,
) {
    let app = spawn(pool, true).await;
    let referent = demo_session(&app, "ref.lazio").await;
    let me = app.get(&referent, "/api/v1/me").await.ok();
    assert_eq!(me["region"]["code"], "LAZ");
    let profiles: Vec<&str> = me["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(profiles, ["regional_referent", "operator"]);

    let as_operator = app
        .post(
            &referent,
            "/api/v1/me/profile",
            json!({"profile": "operator"}),
        )
        .await
        .ok();
    let token = as_operator["token"].as_str().unwrap();
    let me = app.get(token, "/api/v1/me").await.ok();
    assert_eq!(me["active_profile"], "operator");
    // … and back to the referent profile.
    let back = app
        .post(
            token,
            "/api/v1/me/profile",
            json!({"profile": "regional_referent"}),
        )
        .await
        .ok();
    let me = app
        .get(back["token"].as_str().unwrap(), "/api/v1/me")
        .await
        .ok();
    assert_eq!(me["active_profile"], "regional_referent");

    let operator = demo_session(&app, "op.rossi").await;
    app.post(
        &operator,
        "/api/v1/me/profile",
        json!({"profile": "regional_referent"}),
    )
    .await
    .problem(422, "profile_not_available");
    app.post(
        &operator,
        "/api/v1/me/profile",
        json!({"profile": "auditor"}),
    )
    .await
    .problem(422, "profile_not_available");
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_signed_link_opens_one_download_for_a_minute_and_nothing_else(pool: PgPool) {
    let app = spawn(pool, true).await;
    let token = demo_session(&app, "op.rossi").await;
    let created = app
        .create_request(&token, "RSSMRA60E12H501E", "Richiesta con riepilogo")
        .await;
    let id = created["request_id"].as_str().unwrap();
    let summary = format!("/api/v1/requests/{id}/summary");

    let link = app
        .post(&token, "/api/v1/links", json!({"path": summary}))
        .await
        .ok();
    let url = link["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{summary}?link=")), "{url}");
    let opened = raw_get(&app, url).await;
    assert_eq!(opened.status(), 200);
    assert!(header(&opened, "content-type").starts_with("text/html"));

    // The same signature on another path, or as a bearer token, is refused.
    let signature = url.split("link=").nth(1).unwrap();
    let elsewhere = raw_get(&app, &format!("/api/v1/requests/{id}?link={signature}")).await;
    assert_eq!(elsewhere.status(), 401);
    let as_bearer = app.get(signature, &format!("/api/v1/requests/{id}")).await;
    assert_eq!(as_bearer.status.as_u16(), 401, "{as_bearer:?}");
    let tampered = raw_get(&app, &format!("{url}x")).await;
    assert_eq!(tampered.status(), 401);

    // Another operator's link cannot open a request outside their office.
    let foreign = demo_session(&app, "op.galli").await;
    let link = app
        .post(&foreign, "/api/v1/links", json!({"path": summary}))
        .await
        .ok();
    let res = raw_get(&app, link["url"].as_str().unwrap()).await;
    assert_eq!(res.status(), 404);

    let refused = app
        .post(
            &token,
            "/api/v1/links",
            json!({"path": format!("/api/v1/requests/{id}")}),
        )
        .await;
    refused.problem(400, "invalid_link_path");
    let body: Value = app.get(&token, "/api/v1/me").await.ok();
    assert_eq!(body["id"], "op.rossi");
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn lists_and_the_detail_name_the_sedi(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let op = app.operator("op.rossi", "INCA", "INCA-RM01");
    let created = app
        .create_request(&op, "RSSMRA60E12H501E", "Richiesta da nominare")
        .await;
    let id = created["request_id"].as_str().unwrap();
    let position = &created["position"];
    let history = app
        .get(&op, &format!("/api/v1/requests?min_position={position}"))
        .await
        .ok();
    let item = &history["items"][0];
    assert_eq!(item["request_id"], id);
    let name: String = sqlx::query_scalar("SELECT name FROM ref_sedi WHERE code = $1")
        .bind(item["current_sede"].as_str().unwrap())
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(item["current_sede_name"], name.as_str());
    assert_eq!(item["origin_sede_name"], name.as_str());

    let detail = app
        .get(
            &op,
            &format!("/api/v1/requests/{id}?min_position={position}"),
        )
        .await
        .ok();
    assert_eq!(detail["current_sede_name"], name.as_str());

    let sede = item["current_sede"].as_str().unwrap();
    let officer = app.officer("uff.bianchi", sede);
    let inbox = app
        .get(
            &officer,
            &format!("/api/v1/sedi/{sede}/inbox?min_position={position}"),
        )
        .await
        .ok();
    assert_eq!(inbox["items"][0]["current_sede_name"], name.as_str());
    assert_eq!(inbox["items"][0]["overdue"], false);
    app.stop().await;
}

fn pdf(title: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {title}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n")
        .into_bytes()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_detail_says_which_attachment_can_go_and_shows_the_booked_appointment(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let op = app.operator("op.rossi", "INCA", "INCA-RM01");
    let created = app
        .create_request(&op, "RSSMRA60E12H501E", "Con allegati")
        .await;
    let id = created["request_id"].as_str().unwrap().to_string();
    let add = format!("/api/v1/requests/{id}/attachments");
    let first = app.upload(&op, &add, "prima.pdf", pdf("prima")).await.ok();
    let detail = app
        .request_detail(&op, &id, first["position"].as_i64().unwrap())
        .await;
    let sede = detail["request"]["current_sede"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(detail["request"]["status"], "inoltrata");
    let officer = app.officer("uff.bianchi", &sede);
    let taken = app
        .post(
            &officer,
            &format!("/api/v1/requests/{id}/take-in-charge"),
            json!({}),
        )
        .await
        .ok();
    app.wait_projections(taken["position"].as_i64().unwrap())
        .await;
    let second = app
        .upload(&op, &add, "seconda.pdf", pdf("seconda"))
        .await
        .ok();
    let detail = app
        .request_detail(&op, &id, second["position"].as_i64().unwrap())
        .await;
    let by_name = |name: &str| {
        detail["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["filename"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} in {detail}"))
    };
    // The sede acted after the first one was added: it stays.
    assert_eq!(by_name("prima.pdf")["removable"], false);
    assert!(by_name("prima.pdf")["removable_reason"]
        .as_str()
        .unwrap()
        .contains("non può più essere rimosso"));
    assert_eq!(by_name("seconda.pdf")["removable"], true);
    assert_eq!(by_name("seconda.pdf")["removable_reason"], Value::Null);
    // The officer sees the same attachments, none removable by them.
    let seen = app
        .request_detail(&officer, &id, second["position"].as_i64().unwrap())
        .await;
    assert!(seen["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["removable"] == false));
    assert_eq!(detail["appointment"], Value::Null);
    assert_eq!(
        detail["request"]["status"], "presa_in_carico",
        "the list's status label follows"
    );
    let history = app
        .get(
            &op,
            &format!("/api/v1/requests?min_position={}", second["position"]),
        )
        .await
        .ok();
    assert_eq!(history["items"][0]["status_label"], "Presa in carico");

    // More than 15 days without a reply: an appointment, shown in the detail.
    app.advance_days(16).await;
    let enable = app
        .post(
            &officer,
            &format!("/api/v1/requests/{id}/appointment-enablement"),
            json!({}),
        )
        .await
        .ok();
    app.wait_projections(enable["position"].as_i64().unwrap())
        .await;
    let start = app.first_free_patronati_slot(&sede).await;
    let booked = app.book_request_appointment(&op, &id, &start).await;
    assert_eq!(booked.status, 201, "{booked:?}");
    let detail = app
        .request_detail(&op, &id, booked.body["position"].as_i64().unwrap())
        .await;
    let appointment = &detail["appointment"];
    assert_eq!(appointment["code"], booked.body["code"]);
    assert_eq!(appointment["counter"], "servizi_patronati");
    assert_eq!(appointment["sede"], sede.as_str());
    assert_eq!(appointment["past"], false);
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(appointment["start"].as_str().unwrap()).unwrap(),
        chrono::DateTime::parse_from_rfc3339(&start).unwrap()
    );
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn the_home_panel_names_the_sede_of_each_reply(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let op = app.operator("op.rossi", "INCA", "INCA-RM01");
    let created = app
        .create_request(&op, "RSSMRA60E12H501E", "Risposta attesa")
        .await;
    let id = created["request_id"].as_str().unwrap();
    let detail = app
        .request_detail(&op, id, created["position"].as_i64().unwrap())
        .await;
    let sede = detail["request"]["current_sede"].as_str().unwrap();
    let officer = app.officer("uff.bianchi", sede);
    let replied = app
        .post(
            &officer,
            &format!("/api/v1/requests/{id}/replies"),
            json!({"text": "Ecco"}),
        )
        .await
        .ok();
    let panel = app
        .get(
            &op,
            &format!(
                "/api/v1/home/recent-replies?min_position={}",
                replied["position"]
            ),
        )
        .await
        .ok();
    assert_eq!(panel["count"], 1);
    assert_eq!(panel["items"][0]["sede_name"], detail["current_sede_name"]);
    assert_ne!(panel["items"][0]["sede_name"], sede);
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn homonyms_are_told_apart_by_birth_place_and_residence(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let op = app.operator("op.rossi", "INCA", "INCA-RM01");
    let found = app
        .get(
            &op,
            "/api/v1/citizens?surname=Rossi&name=Mario&birth_date=1960-05-12",
        )
        .await
        .ok();
    assert_eq!(found["outcome"], "choose");
    let candidates = found["candidates"].as_array().unwrap();
    assert_eq!(candidates.len(), 2);
    let roman = candidates
        .iter()
        .find(|c| c["codice_fiscale"] == "RSSMRA60E12H501E")
        .unwrap();
    assert_eq!(roman["birth_place"], "Roma");
    assert_eq!(roman["birth_province"], "RM");
    assert_eq!(roman["residence"]["municipality"], "Roma");
    assert_eq!(roman["residence"]["province"], "RM");
    assert_eq!(roman["residence"]["cap"], "00184");
    assert!(roman["residence"]["address"]
        .as_str()
        .is_some_and(|a| a.starts_with("V") || a.starts_with("C") || a.starts_with("P")));
    let neapolitan = candidates
        .iter()
        .find(|c| c["codice_fiscale"] == "RSSMRA60E12F839G")
        .unwrap();
    assert_eq!(neapolitan["birth_province"], "NA");
    assert_eq!(neapolitan["residence"]["province"], "NA");
    // Born abroad: EE.
    let abroad = app
        .get(
            &op,
            "/api/v1/citizens?surname=Popescu&name=Andrei&birth_date=1985-10-04",
        )
        .await
        .ok();
    assert_eq!(abroad["candidates"][0]["birth_province"], "EE");
    app.stop().await;
}
