//! What the web app reads before and after signing in (issue 22, last part):
//! `GET /api/v1/config` and the pages' CSP with and without the identity
//! provider, the last reply's excerpt in the history and the inbox, and the
//! Cronologia's names (sedi and who acted).

use api::oidc::OidcArgs;
use combipat_tests::{reference_dir, TestApp};
use serde_json::{json, Value};
use sqlx::PgPool;

fn provider_args(issuer: &str) -> OidcArgs {
    OidcArgs {
        oidc_issuer: Some(issuer.into()),
        oidc_audience: "combipat".into(),
        oidc_jwks_url: None,
        oidc_claims: String::new(),
        oidc_roles: String::new(),
        oidc_client_id: Some("combipat-web".into()),
        oidc_scopes: "openid  profile".into(),
        oidc_leeway_secs: api::oidc::DEFAULT_LEEWAY_SECS,
    }
}

async fn spawn(pool: PgPool, issuer: Option<&str>) -> TestApp {
    let dir = std::env::temp_dir().join(format!("combipat-web-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><html lang=\"it\"></html>",
    )
    .unwrap();
    let sign_in = issuer.map(|i| provider_args(i).browser().unwrap().unwrap());
    TestApp::spawn_configured(pool, Default::default(), true, move |state| {
        let directory = api::directory::Directory::load(&reference_dir()).unwrap();
        state
            .with_directory(directory, false)
            .with_web_dir(Some(dir))
            .with_browser_sign_in(sign_in)
    })
    .await
}

async fn public_get(app: &TestApp, path: &str) -> reqwest::Response {
    app.http
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap()
}

fn csp(res: &reqwest::Response) -> String {
    res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string()
}

#[sqlx::test(migrations = "../migrations")]
async fn without_a_provider_the_app_offers_no_provider_and_connects_only_to_us(pool: PgPool) {
    let app = spawn(pool, None).await;
    let res = public_get(&app, "/api/v1/config").await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, json!({ "dev_login": false }));
    let page = public_get(&app, "/accesso").await;
    assert!(csp(&page).contains("connect-src 'self';"), "{}", csp(&page));
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn with_a_provider_the_app_learns_it_without_a_token_and_may_connect_to_its_origin_only(
    pool: PgPool,
) {
    let app = spawn(pool, Some("https://idp.inps.example/realms/patronati")).await;
    let body: Value = public_get(&app, "/api/v1/config")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["oidc"],
        json!({
            "issuer": "https://idp.inps.example/realms/patronati",
            "client_id": "combipat-web",
            "scopes": "openid profile",
        })
    );
    let page = public_get(&app, "/").await;
    let policy = csp(&page);
    assert!(
        policy.contains("connect-src 'self' https://idp.inps.example;"),
        "{policy}"
    );
    assert!(policy.contains("script-src 'self';") && policy.contains("frame-ancestors 'none'"));
    app.stop().await;
}

#[test]
fn a_provider_setting_that_cannot_work_stops_the_start() {
    assert!(provider_args("idp.inps.example").browser().is_err());
    let mut args = provider_args("https://idp.inps.example");
    args.oidc_scopes = "profile".into();
    assert!(args.browser().is_err());
    args.oidc_issuer = None;
    assert_eq!(args.browser(), Ok(None));
    let mut defaulted = provider_args("https://idp.inps.example:8443/");
    defaulted.oidc_client_id = None;
    let sign_in = defaulted.browser().unwrap().unwrap();
    assert_eq!(sign_in.client_id, "combipat");
    assert_eq!(sign_in.origin, "https://idp.inps.example:8443");
}

#[sqlx::test(migrations = "../migrations")]
async fn lists_show_the_last_reply_and_the_timeline_names_sedi_and_who_acted(pool: PgPool) {
    let app = spawn(pool, None).await;
    let op = app.operator("op.rossi", "INCA", "INCA-RM01");
    let created = app
        .create_request(&op, "RSSMRA60E12H501E", "Quali requisiti per la NASpI?")
        .await;
    let id = created["request_id"].as_str().unwrap();
    let position = created["position"].as_i64().unwrap();
    let detail = app.request_detail(&op, id, position).await;
    let sede = detail["request"]["current_sede"]
        .as_str()
        .unwrap()
        .to_string();
    let sede_name: String = sqlx::query_scalar("SELECT name FROM ref_sedi WHERE code = $1")
        .bind(&sede)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let officer = app.officer("uff.bianchi", &sede);
    let reply = "Gentile operatore, la domanda di NASpI richiede lo stato di disoccupazione \
                 involontaria e almeno tredici settimane di contribuzione nei quattro anni \
                 precedenti; alleghi la lettera di licenziamento.";
    let answered = app
        .post(
            &officer,
            &format!("/api/v1/requests/{id}/replies"),
            json!({ "text": reply, "attachments": [] }),
        )
        .await;
    assert!(answered.status.is_success(), "{answered:?}");
    let position = answered.body["position"].as_i64().unwrap();

    let history = app
        .get(&op, &format!("/api/v1/requests?min_position={position}"))
        .await
        .ok();
    let excerpt = history["items"][0]["last_reply_excerpt"].as_str().unwrap();
    assert!(
        excerpt.starts_with("Gentile operatore, la domanda di NASpI"),
        "{excerpt}"
    );
    assert!(
        excerpt.ends_with('…') && excerpt.chars().count() <= 140,
        "{excerpt}"
    );
    let whole_words = excerpt.trim_end_matches('…');
    assert!(reply.starts_with(whole_words), "{excerpt}");
    assert_eq!(
        reply.as_bytes()[whole_words.len()],
        b' ',
        "cut on a word: {excerpt}"
    );
    let inbox = app
        .get(
            &officer,
            &format!("/api/v1/sedi/{sede}/inbox?min_position={position}"),
        )
        .await
        .ok();
    assert_eq!(inbox["items"][0]["last_reply_excerpt"], excerpt);

    let timeline = app
        .get(
            &op,
            &format!("/api/v1/requests/{id}/timeline?min_position={position}"),
        )
        .await
        .ok();
    let entries = timeline.as_array().unwrap();
    let sent = entries.iter().find(|e| e["kind"] == "sent").unwrap();
    assert_eq!(sent["actor_role"], "operator");
    assert_eq!(sent["actor_label"], "Operatore del patronato INCA CGIL");
    let labelled = format!("{sede_name} ({sede})");
    assert_eq!(sent["sede_label"], labelled.as_str());
    let replied = entries.iter().find(|e| e["kind"] == "reply").unwrap();
    assert_eq!(replied["actor_label"], format!("Sede INPS – {labelled}"));
    assert_eq!(replied["sede_label"], labelled.as_str());
    app.stop().await;
}
