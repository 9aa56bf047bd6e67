//! Issue 23, item 6, measured on the real binary: 32 concurrent 10 MB uploads
//! of a type that is not allowed leave the server's peak RSS within 50 MB of
//! its idle RSS (decision H6: each file used to be buffered whole before its
//! type was checked). The peak is the kernel's VmHWM of the server
//! process, reset through /proc/<pid>/clear_refs just before the uploads.

use combipat_api::auth::{Claims, JwtKeys, ISSUER};
use domain::actor::Role;
use sqlx::PgPool;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const SECRET: &str = "upload-memory-test-secret";
const FILE: usize = 10 * 1024 * 1024;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn status_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/{pid}/status"))
}

/// The test database's URL: DATABASE_URL with the database name replaced.
fn database_url(pool: &PgPool) -> String {
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let base = base.split('?').next().unwrap();
    let (server, _) = base.rsplit_once('/').unwrap();
    format!(
        "{server}/{}",
        pool.connect_options().get_database().unwrap()
    )
}

fn multipart(boundary: &str, content: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.exe\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

#[sqlx::test(migrations = "../migrations")]
async fn wrong_type_uploads_do_not_raise_peak_memory(pool: PgPool) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = Server(
        Command::new(env!("CARGO_BIN_EXE_combipat"))
            .arg("serve")
            .env("DATABASE_URL", database_url(&pool))
            .env("COMBIPAT_JWT_SECRET", SECRET)
            .env("COMBIPAT_ADDR", format!("127.0.0.1:{port}"))
            .env("COMBIPAT_NO_WORKERS", "true")
            .env("COMBIPAT_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the combipat binary starts"),
    );
    let pid = server.0.id();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if http.get(format!("{base}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "the server answers");
    let now = chrono::Utc::now().timestamp();
    let token = JwtKeys::from_secret(SECRET.as_bytes()).issue(&Claims {
        sub: "op.rossi".into(),
        role: Role::Operator,
        patronato: Some("INCA".into()),
        office: Some("INCA-RM01".into()),
        region: None,
        sede: None,
        name: None,
        iss: ISSUER.into(),
        iat: now,
        exp: now + 3600,
        nbf: None,
    });
    let boundary = "combipat-boundary-7b1f";
    // An executable's first bytes, then 10 MB.
    let mut content = b"MZ\x90\x00".to_vec();
    content.resize(FILE, 0x41);
    let body = axum::body::Bytes::from(multipart(boundary, &content));
    let send = |body: axum::body::Bytes| {
        let (http, base, token) = (&http, &base, &token);
        async move {
            http.post(format!("{base}/api/v1/uploads"))
                .bearer_auth(token)
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(body)
                .send()
                .await
        }
    };
    // Warm up (allocator, pools, first request), then measure from idle.
    let r = send(body.clone()).await.expect("warm-up answered");
    assert_eq!(r.status(), 415);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle = status_kb(pid, "VmRSS:");
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").expect("peak RSS reset");

    let answers = futures::future::join_all((0..32).map(|_| send(body.clone()))).await;
    // Refused, before or while the body arrives (the connection may close
    // under the rest of it): never stored, never a 5xx.
    for r in answers.into_iter().flatten() {
        assert_eq!(r.status(), 415, "{r:?}");
    }
    let peak = status_kb(pid, "VmHWM:");
    let grown = peak.saturating_sub(idle) / 1024;
    assert!(
        grown <= 50,
        "peak RSS {peak} kB is {grown} MB over idle {idle} kB"
    );
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM attachment_blobs")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);
}
