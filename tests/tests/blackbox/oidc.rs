//! The identity provider's OpenID Connect tokens: RS256 and ES256 verified
//! against the provider's JWKS (found through its discovery document), issuer
//! and audience checked, keys rotated without a restart, claims mapped to role
//! and scope by configuration.

use api::oidc::{ClaimNames, OidcConfig};
use axum::routing::get;
use axum::{Json, Router};
use combipat_tests::TestApp;
use domain::actor::Role;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Short, so that the rotation test need not wait the production pause.
const PAUSE: std::time::Duration = std::time::Duration::from_secs(2);

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/fixtures/oidc/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// A pretend provider: its discovery document and a key set that a test can
/// rotate; counts the key-set fetches.
struct Provider {
    base: String,
    jwks: Arc<Mutex<Value>>,
    fetches: Arc<Mutex<u32>>,
}

async fn provider() -> Provider {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let jwks = Arc::new(Mutex::new(
        serde_json::from_str::<Value>(&fixture("jwks1.json")).unwrap(),
    ));
    let fetches = Arc::new(Mutex::new(0));
    let (set, count) = (jwks.clone(), fetches.clone());
    let discovery = json!({"issuer": base, "jwks_uri": format!("{base}/keys")});
    let app = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || async move { Json(discovery) }),
        )
        .route(
            "/keys",
            get(move || async move {
                *count.lock().unwrap() += 1;
                let set = set.lock().unwrap().clone();
                Json(set)
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Provider {
        base,
        jwks,
        fetches,
    }
}

async fn spawn(pool: PgPool, issuer: &str) -> TestApp {
    spawn_with_leeway(pool, issuer, api::oidc::DEFAULT_LEEWAY_SECS).await
}

async fn spawn_with_leeway(pool: PgPool, issuer: &str, leeway_secs: u64) -> TestApp {
    let config = OidcConfig {
        issuer: issuer.to_string(),
        audience: "crm-patronati".into(),
        jwks_url: None,
        claims: ClaimNames {
            role: "inps_profilo".into(),
            patronato: "codice_patronato".into(),
            office: "codice_ufficio".into(),
            ..ClaimNames::default()
        },
        roles: HashMap::from([
            ("OPERATORE".to_string(), Role::Operator),
            ("FUNZIONARIO".to_string(), Role::SedeOfficer),
        ]),
        refresh_pause: PAUSE,
        leeway_secs,
    };
    TestApp::spawn_configured(pool, Default::default(), false, move |state| {
        state.with_oidc(Some(config))
    })
    .await
}

fn sign(alg: Algorithm, kid: &str, key: &str, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(kid.into());
    let key = match alg {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(fixture(key).as_bytes()).unwrap(),
        _ => EncodingKey::from_ec_pem(fixture(key).as_bytes()).unwrap(),
    };
    encode(&header, claims, &key).unwrap()
}

fn operator_claims(issuer: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"iss": issuer, "aud": "crm-patronati", "sub": "op.rossi", "iat": now,
           "nbf": now, "exp": now + 600, "inps_profilo": "OPERATORE",
           "codice_patronato": "INCA", "codice_ufficio": "INCA-RM01", "name": "Laura Rossi"})
}

async fn me(app: &TestApp, token: &str) -> combipat_tests::Resp {
    app.get(token, "/api/v1/me").await
}

/// `COMBIPAT_OIDC_LEEWAY_SECS`: a token 30 s past its expiry is within the
/// default minute of clock skew, and refused when the allowance is 5 s.
#[sqlx::test(migrations = "../migrations")]
async fn the_clock_skew_allowance_is_configured(pool: PgPool) {
    let idp = provider().await;
    let mut claims = operator_claims(&idp.base);
    claims["exp"] = json!(chrono::Utc::now().timestamp() - 30);
    let token = sign(Algorithm::RS256, "rsa-1", "rsa1.pem", &claims);

    let lenient = spawn(pool.clone(), &idp.base).await;
    assert_eq!(me(&lenient, &token).await.ok()["id"], "op.rossi");
    lenient.stop().await;

    let strict = spawn_with_leeway(pool, &idp.base, 5).await;
    me(&strict, &token).await.problem(401, "token_expired");
    strict.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn provider_tokens_are_verified_and_mapped(pool: PgPool) {
    let idp = provider().await;
    let app = spawn(pool, &idp.base).await;
    let claims = operator_claims(&idp.base);

    let rsa = sign(Algorithm::RS256, "rsa-1", "rsa1.pem", &claims);
    let who = me(&app, &rsa).await.ok();
    assert_eq!(who["role"], "operator");
    assert_eq!(who["office"]["code"], "INCA-RM01");
    assert_eq!(who["display_name"], "Laura Rossi");
    // The mapped actor works on the API.
    app.get(&rsa, "/api/v1/requests").await.ok();

    let ec = sign(Algorithm::ES256, "ec-1", "ec1.pem", &claims);
    assert_eq!(me(&app, &ec).await.ok()["id"], "op.rossi");

    let mut officer = operator_claims(&idp.base);
    officer["inps_profilo"] = json!("FUNZIONARIO");
    officer["sede"] = json!("3201");
    let token = sign(Algorithm::RS256, "rsa-1", "rsa1.pem", &officer);
    assert_eq!(me(&app, &token).await.ok()["sede"]["code"], "3201");
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn wrong_issuer_audience_time_key_or_claims_are_refused(pool: PgPool) {
    let idp = provider().await;
    let app = spawn(pool, &idp.base).await;
    let now = chrono::Utc::now().timestamp();
    let with = |field: &str, value: Value| {
        let mut c = operator_claims(&idp.base);
        c[field] = value;
        sign(Algorithm::RS256, "rsa-1", "rsa1.pem", &c)
    };
    let cases = [
        (
            "another issuer",
            with("iss", json!("https://altro.example")),
            "token_invalid",
        ),
        (
            "another audience",
            with("aud", json!("altro")),
            "token_invalid",
        ),
        ("expired", with("exp", json!(now - 3600)), "token_expired"),
        (
            "not yet valid",
            with("nbf", json!(now + 3600)),
            "token_not_yet_valid",
        ),
        (
            "unknown role",
            with("inps_profilo", json!("DIRETTORE")),
            "token_claims_invalid",
        ),
        (
            "no office",
            with("codice_ufficio", Value::Null),
            "token_claims_invalid",
        ),
    ];
    for (what, token, code) in cases {
        let res = me(&app, &token).await;
        assert_eq!(res.status.as_u16(), 401, "{what}: {res:?}");
        assert_eq!(res.code(), code, "{what}");
    }
    // A key the provider does not publish, and a key id of another key.
    let claims = operator_claims(&idp.base);
    let foreign = sign(Algorithm::RS256, "rsa-1", "rsa2.pem", &claims);
    assert_eq!(me(&app, &foreign).await.code(), "token_invalid");
    let mislabelled = sign(Algorithm::RS256, "ec-1", "rsa1.pem", &claims);
    assert_eq!(me(&app, &mislabelled).await.code(), "token_invalid");
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_rotated_key_is_accepted_without_a_restart_and_made_up_ids_fetch_little(pool: PgPool) {
    let idp = provider().await;
    let app = spawn(pool, &idp.base).await;
    let claims = operator_claims(&idp.base);
    me(&app, &sign(Algorithm::RS256, "rsa-1", "rsa1.pem", &claims))
        .await
        .ok();
    assert_eq!(*idp.fetches.lock().unwrap(), 1);

    // Made-up key ids do not each cause a fetch.
    for n in 0..20 {
        let token = sign(Algorithm::RS256, &format!("nope-{n}"), "rsa1.pem", &claims);
        assert_eq!(me(&app, &token).await.code(), "token_invalid");
    }
    assert!(
        *idp.fetches.lock().unwrap() <= 2,
        "fetches bounded by the pause"
    );

    // The provider rotates to rsa-2; once the pause is over, the new key is
    // fetched on first sight (here: the pause has not passed, so it waits).
    *idp.jwks.lock().unwrap() = serde_json::from_str(&fixture("jwks2.json")).unwrap();
    let rotated = sign(Algorithm::RS256, "rsa-2", "rsa2.pem", &claims);
    let deadline = std::time::Instant::now() + PAUSE * 5;
    loop {
        let res = me(&app, &rotated).await;
        if res.status.is_success() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "rotation never seen: {res:?}"
        );
        tokio::time::sleep(PAUSE / 4).await;
    }
    // The old key is gone from the provider's set, and from ours.
    let old = sign(Algorithm::RS256, "rsa-1", "rsa1.pem", &claims);
    assert_eq!(me(&app, &old).await.code(), "token_invalid");
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn the_services_own_tokens_still_work_beside_the_provider(pool: PgPool) {
    let idp = provider().await;
    let app = spawn(pool, &idp.base).await;
    let own = app.operator("op.rossi", "INCA", "INCA-RM01");
    assert_eq!(me(&app, &own).await.ok()["role"], "operator");
    // A provider token's link is signed by the service and opens its download.
    let token = sign(
        Algorithm::RS256,
        "rsa-1",
        "rsa1.pem",
        &operator_claims(&idp.base),
    );
    let link = app
        .post(
            &token,
            "/api/v1/links",
            json!({"path": "/api/v1/statistics/export"}),
        )
        .await
        .ok();
    assert!(link["url"].as_str().unwrap().contains("link="));
    app.stop().await;
}
