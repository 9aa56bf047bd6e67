//! # Layout
//! Black-box helpers: [`TestApp::spawn`] serves the whole service on port 0
//! against a fresh database (from `#[sqlx::test]`), with the manual clock,
//! the reference data loaded and the projection workers running; typed calls
//! speak HTTP like any client.

use api::auth::{Claims, JwtKeys, ISSUER};
use api::{AppState, Limits};
use domain::actor::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use std::path::PathBuf;

pub const SECRET: &[u8] = b"black-box-test-secret";

/// The demo scope used throughout the tests (see reference/README.md).
pub mod who {
    pub const PATRONATO: &str = "INCA";
    pub const OFFICE: &str = "INCA-RM01";
    pub const OTHER_OFFICE: &str = "INCA-RM02";
    pub const OTHER_PATRONATO: &str = "ACLI";
}

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub pool: PgPool,
    keys: JwtKeys,
    stop: tokio::sync::watch::Sender<bool>,
    stop_rx: tokio::sync::watch::Receiver<bool>,
    workers: Vec<tokio::task::JoinHandle<()>>,
    server: tokio::task::JoinHandle<()>,
}

/// A response: status and JSON body (Null when the body is not JSON).
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub content_type: String,
    pub body: Value,
}

impl Resp {
    /// The problem code of an error answer.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    #[track_caller]
    pub fn ok(self) -> Value {
        assert!(self.status.is_success(), "expected success, got {self:?}");
        self.body
    }

    /// Asserts a problem+json answer with this status and code.
    #[track_caller]
    pub fn problem(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "{self:?}");
        assert_eq!(self.code(), code, "{self:?}");
        assert_eq!(self.content_type, "application/problem+json", "{self:?}");
        assert!(
            self.body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{self:?}"
        );
    }
}

pub fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../reference")
}

impl TestApp {
    /// Serves the service on a fresh database with its own pool (the workers
    /// need more connections than a test pool has).
    pub async fn spawn(test_pool: PgPool) -> TestApp {
        Self::spawn_with(test_pool, Self::limits(), true).await
    }

    /// The defaults, but with the anonymous-hold rate limits out of the way:
    /// every client of a test comes from 127.0.0.1, where a race of fifty
    /// "citizens" stands for fifty addresses. `hostile_input.rs` tests the
    /// limits themselves with small quotas.
    pub fn limits() -> Limits {
        Limits {
            anonymous_holds_per_client: 100_000,
            anonymous_holds_per_counter_day: 100_000,
            public_reads_per_client: 100_000,
            booking_lookups_per_client: 100_000,
            ..Limits::default()
        }
    }

    pub async fn spawn_with(test_pool: PgPool, limits: Limits, workers: bool) -> TestApp {
        Self::spawn_configured(test_pool, limits, workers, |state| state).await
    }

    /// As [`TestApp::spawn_with`], with the state changed by `configure`
    /// (a web app directory, the development sign-in, …).
    pub async fn spawn_configured(
        test_pool: PgPool,
        limits: Limits,
        workers: bool,
        configure: impl FnOnce(AppState) -> AppState,
    ) -> TestApp {
        let options = (*test_pool.connect_options()).clone();
        let pool = PgPoolOptions::new()
            .max_connections(24)
            .connect_with(options)
            .await
            .expect("connect");
        reference::load_all(&pool, &reference_dir())
            .await
            .expect("reference data loads");
        let keys = JwtKeys::from_secret(SECRET);
        let state = configure(AppState::new(pool.clone(), keys.clone(), true, limits));
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        let workers = if workers {
            projections::spawn_all(pool.clone(), &state.metrics.registry, stop_rx.clone())
        } else {
            vec![]
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            axum::serve(
                listener,
                api::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
            .unwrap();
        });
        TestApp {
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
            pool,
            keys,
            stop,
            stop_rx,
            workers,
            server,
        }
    }

    /// Starts the projection workers of an app spawned without them, after
    /// `delay` (to hold the read models back while commands go on).
    pub fn start_workers_after(&mut self, delay: std::time::Duration) {
        let pool = self.pool.clone();
        let stop_rx = self.stop_rx.clone();
        self.workers.push(tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let registry = prometheus::Registry::new();
            for worker in projections::spawn_all(pool, &registry, stop_rx) {
                let _ = worker.await;
            }
        }));
    }

    /// Stops the workers and the server and closes the pool.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for w in self.workers {
            let _ = w.await;
        }
        self.server.abort();
        self.pool.close().await;
    }

    pub fn token(&self, role: Role, sub: &str, scope: &[(&str, &str)]) -> String {
        let get = |k: &str| {
            scope
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.to_string())
        };
        let now = chrono::Utc::now().timestamp();
        self.keys.issue(&Claims {
            sub: sub.to_string(),
            role,
            patronato: get("patronato"),
            office: get("office"),
            region: get("region"),
            sede: get("sede"),
            name: None,
            iss: ISSUER.to_string(),
            iat: now,
            exp: now + 3600,
            nbf: None,
        })
    }

    pub fn operator(&self, sub: &str, patronato: &str, office: &str) -> String {
        self.token(
            Role::Operator,
            sub,
            &[("patronato", patronato), ("office", office)],
        )
    }

    pub fn officer(&self, sub: &str, sede: &str) -> String {
        self.token(Role::SedeOfficer, sub, &[("sede", sede)])
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        token: Option<&str>,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut req = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        into_resp(req.send().await.expect("request sent")).await
    }

    pub async fn get(&self, token: &str, path: &str) -> Resp {
        self.send(reqwest::Method::GET, Some(token), path, None, &[])
            .await
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> Resp {
        self.send(reqwest::Method::POST, Some(token), path, Some(&body), &[])
            .await
    }

    pub async fn delete(&self, token: &str, path: &str) -> Resp {
        self.send(reqwest::Method::DELETE, Some(token), path, None, &[])
            .await
    }

    /// Raw body (for malformed JSON tests).
    pub async fn post_raw(&self, token: &str, path: &str, content_type: &str, body: &str) -> Resp {
        let req = self
            .http
            .post(format!("{}{}", self.base, path))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body.to_string());
        into_resp(req.send().await.expect("request sent")).await
    }

    pub async fn upload(&self, token: &str, path: &str, filename: &str, content: Vec<u8>) -> Resp {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(content).file_name(filename.to_string()),
        );
        let req = self
            .http
            .post(format!("{}{}", self.base, path))
            .bearer_auth(token)
            .multipart(form);
        into_resp(req.send().await.expect("request sent")).await
    }

    pub async fn advance_days(&self, days: i64) {
        let t = self.token(Role::SystemAdmin, "clock", &[]);
        self.post(&t, "/api/v1/admin/clock", json!({"advance_days": days}))
            .await
            .ok();
    }

    pub async fn advance_seconds(&self, seconds: i64) {
        let t = self.token(Role::SystemAdmin, "clock", &[]);
        self.post(
            &t,
            "/api/v1/admin/clock",
            json!({"advance_seconds": seconds}),
        )
        .await
        .ok();
    }

    pub async fn event_count(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM events")
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

async fn into_resp(res: reqwest::Response) -> Resp {
    let status = res.status();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let bytes = res.bytes().await.unwrap_or_default();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Resp {
        status,
        content_type,
        body,
    }
}

/// A minimal valid PDF.
pub fn pdf(tag: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {tag}\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n").into_bytes()
}

/// A response with its headers (for `idempotent-replayed` and the like).
#[derive(Debug)]
pub struct RespWithHeaders {
    pub resp: Resp,
    pub headers: reqwest::header::HeaderMap,
}

impl TestApp {
    /// Signs arbitrary claims (expired tokens, odd scopes).
    pub fn issue(&self, claims: &Claims) -> String {
        self.keys.issue(claims)
    }

    /// Like [`TestApp::send`], keeping the response headers.
    pub async fn send_with_headers(
        &self,
        method: reqwest::Method,
        token: Option<&str>,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> RespWithHeaders {
        let mut req = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req.send().await.expect("request sent");
        let headers = res.headers().clone();
        RespWithHeaders {
            resp: into_resp(res).await,
            headers,
        }
    }

    /// A raw body with an optional content type (none at all when `None`).
    pub async fn send_bytes(
        &self,
        method: reqwest::Method,
        token: Option<&str>,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Resp {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        into_resp(req.send().await.expect("request sent")).await
    }

    /// Posts an arbitrary multipart form.
    pub async fn post_form(&self, token: &str, path: &str, form: reqwest::multipart::Form) -> Resp {
        let req = self
            .http
            .post(format!("{}{}", self.base, path))
            .bearer_auth(token)
            .multipart(form);
        into_resp(req.send().await.expect("request sent")).await
    }

    /// A `SELECT count(*) …` (or any single bigint) on the service's database.
    pub async fn scalar(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    pub async fn upload_count(&self) -> i64 {
        self.scalar("SELECT count(*) FROM attachment_uploads").await
    }

    /// Waits until every projection has applied the event at `position`.
    /// Waits until every projection passed the last event of the log; returns its position.
    pub async fn caught_up(&self) -> i64 {
        let last = self
            .scalar("SELECT coalesce(max(position), 0) FROM events")
            .await;
        self.wait_projections(last).await;
        last
    }

    /// An anonymous citizen's booking of a quick-service slot at Roma
    /// Monteverde (3231) starting at `start`: the hold, then its confirmation
    /// with `details` (mode, reason, contacts). Returns the confirmation.
    pub async fn book_as_citizen(&self, cf: &str, start: &str, details: Value) -> Value {
        let hold = self
            .send(
                reqwest::Method::POST,
                None,
                "/api/v1/sedi/3231/counters/servizi_veloci/holds",
                Some(&json!({"start": start, "codice_fiscale": cf})),
                &[],
            )
            .await
            .ok();
        let mut body = details;
        body["codice_fiscale"] = json!(cf);
        let path = format!(
            "/api/v1/holds/{}/confirmation",
            hold["hold_id"].as_str().expect("a hold")
        );
        self.send(reqwest::Method::POST, None, &path, Some(&body), &[])
            .await
            .ok()
    }

    /// Sets the service's manual clock (a system administrator's call).
    pub async fn set_clock(&self, at: &str) {
        let admin = self.token(Role::SystemAdmin, "clock.admin", &[]);
        self.post(
            &admin,
            "/api/v1/admin/clock",
            serde_json::json!({"set": at}),
        )
        .await
        .ok();
    }

    pub async fn wait_projections(&self, position: i64) {
        let reached = projections::wait_for_position(
            &self.pool,
            projections::NAMES,
            position,
            std::time::Duration::from_secs(20),
        )
        .await
        .expect("checkpoints readable");
        assert!(reached, "projections did not reach position {position}");
    }

    /// Creates a request of `op.rossi`'s office kind for a citizen
    /// (`requisiti_accesso`, no practice reference) and returns the answer.
    /// `bookRequestAppointment`: a slot of the request's sede for it.
    pub async fn book_request_appointment(&self, token: &str, id: &str, start: &str) -> Resp {
        self.post(
            token,
            &format!("/api/v1/requests/{id}/appointment"),
            serde_json::json!({ "start": start }),
        )
        .await
    }

    /// The first free slot of the sede's "Servizi per i patronati" counter.
    pub async fn first_free_patronati_slot(&self, sede: &str) -> String {
        let base = format!("/api/v1/sedi/{sede}/counters/servizi_patronati");
        for month in ["", "?month=2027-01"] {
            let cal = self
                .send(
                    reqwest::Method::GET,
                    None,
                    &format!("{base}/calendar{month}"),
                    None,
                    &[],
                )
                .await
                .ok();
            let Some(day) = cal["days"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["availability"] == "available")
            else {
                continue;
            };
            let date = day["date"].as_str().unwrap();
            let slots = self
                .send(
                    reqwest::Method::GET,
                    None,
                    &format!("{base}/slots?date={date}"),
                    None,
                    &[],
                )
                .await
                .ok();
            return slots["slots"][0]["start"].as_str().unwrap().to_string();
        }
        panic!("no free slot at {sede}");
    }

    /// `getRequest`, once the read models reached `position`.
    pub async fn request_detail(&self, token: &str, id: &str, position: i64) -> Value {
        self.get(
            token,
            &format!("/api/v1/requests/{id}?min_position={position}"),
        )
        .await
        .ok()
    }

    pub async fn create_request(&self, token: &str, codice_fiscale: &str, text: &str) -> Value {
        let created = self
            .post(
                token,
                "/api/v1/requests",
                json!({
                    "codice_fiscale": codice_fiscale,
                    "mandate_declared": true,
                    "topic": "requisiti_accesso",
                    "subtopic": "naspi",
                    "text": text,
                }),
            )
            .await;
        assert_eq!(created.status, 201, "{created:?}");
        created.body
    }
}
