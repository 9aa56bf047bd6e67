//! The soak test's client and checker (scripts/soak.sh drives the processes
//! and the faults).
//!
//! `soak-load`: concurrent operators create requests and sede officers take
//! them in charge and reply, against several API processes in turn. Every
//! command carries its own `Idempotency-Key`; a command that gets no answer
//! (connection refused or reset while a server is killed, 5xx while
//! PostgreSQL restarts) is retried with the same key until acknowledged or a
//! bound passes. Every acknowledgement (2xx) is appended to a JSON-lines file.
//!
//! `soak-verify`: every acknowledged command is in the log exactly once (its
//! stream, version and idempotency key), no idempotency key produced two
//! events, every projection equals a fresh rebuild of itself, and (with
//! `--reads`) every read answered 200 has its record in the read log: the
//! record is committed before the answer, so a `kill -9` loses none.

use crate::server::token;
use crate::util::Result;
use api::auth::JwtKeys;
use domain::actor::Role;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct LoadArgs {
    /// API base URLs, comma-separated; commands rotate over them.
    #[arg(long, value_delimiter = ',')]
    pub api: Vec<String>,
    #[arg(long, default_value_t = 120)]
    pub secs: u64,
    /// Concurrent clients.
    #[arg(long, default_value_t = 16)]
    pub clients: usize,
    /// Where acknowledgements are appended (JSON lines).
    #[arg(long)]
    pub acks: PathBuf,
    /// How long one command is retried before it is given up (unacknowledged).
    #[arg(long, default_value_t = 90)]
    pub retry_secs: u64,
    #[arg(long, env = "COMBIPAT_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: String,
    /// Where the answered detail reads are appended (JSON lines); none: no reads.
    #[arg(long)]
    pub reads: Option<PathBuf>,
    /// Citizens whose CAP routes (codici fiscali, comma-separated); default: demo ones.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "RSSMRA60E12H501E,BNCNNA52S63H501H,CLMFNC81L70F205M"
    )]
    pub citizens: Vec<String>,
}

/// A detail read answered 200, found in the read log by its purpose.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct AnsweredRead {
    purpose: String,
    request_id: uuid::Uuid,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Ack {
    command: String,
    key: String,
    request_id: uuid::Uuid,
    version: i64,
    position: i64,
}

struct Client {
    http: reqwest::Client,
    apis: Vec<String>,
    next: AtomicU64,
    retry: Duration,
    acks: std::sync::Mutex<std::fs::File>,
    acked: AtomicU64,
    given_up: AtomicU64,
    retries: AtomicU64,
    reads: Option<std::sync::Mutex<std::fs::File>>,
    reads_answered: AtomicU64,
    reads_unanswered: AtomicU64,
}

impl Client {
    /// One detail read of a request just created, with a purpose of its own;
    /// recorded in the reads file only when answered 200 (a read refused or
    /// cut by a fault needs no record).
    async fn read(&self, token: &str, id: &str, position: i64) {
        let Some(file) = &self.reads else { return };
        let purpose = format!("soak-read-{}", uuid::Uuid::new_v4());
        let i = self.next.fetch_add(1, Ordering::Relaxed) as usize;
        let base = &self.apis[i % self.apis.len()];
        let res = self
            .http
            .get(format!(
                "{base}/api/v1/requests/{id}?min_position={position}"
            ))
            .bearer_auth(token)
            .header("x-access-purpose", &purpose)
            .send()
            .await;
        match res {
            Ok(r) if r.status().as_u16() == 200 => {
                let line = serde_json::to_string(&AnsweredRead {
                    purpose,
                    request_id: id.parse().unwrap_or_default(),
                })
                .expect("read serialises");
                let mut f = file.lock().expect("lock");
                let _ = writeln!(f, "{line}");
                self.reads_answered.fetch_add(1, Ordering::Relaxed);
            }
            _ => {
                self.reads_unanswered.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Sends one command until a 2xx (recorded), a 4xx (refused: not a
    /// fault, returned as `None`) or the retry bound.
    async fn command(
        &self,
        name: &str,
        token: &str,
        path: &str,
        body: serde_json::Value,
    ) -> Option<serde_json::Value> {
        let key = uuid::Uuid::new_v4().to_string();
        let started = Instant::now();
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed) as usize;
            let base = &self.apis[i % self.apis.len()];
            let res = self
                .http
                .post(format!("{base}{path}"))
                .bearer_auth(token)
                .header("idempotency-key", &key)
                .json(&body)
                .send()
                .await;
            match res {
                Ok(r) if r.status().is_success() => {
                    let v: serde_json::Value = r.json().await.unwrap_or_default();
                    let ack = Ack {
                        command: name.to_string(),
                        key: key.clone(),
                        request_id: v["request_id"]
                            .as_str()
                            .and_then(|s| s.parse().ok())
                            .unwrap_or_default(),
                        version: v["version"].as_i64().unwrap_or(-1),
                        position: v["position"].as_i64().unwrap_or(-1),
                    };
                    let line = serde_json::to_string(&ack).expect("ack serialises");
                    {
                        let mut f = self.acks.lock().expect("lock");
                        let _ = writeln!(f, "{line}");
                    }
                    self.acked.fetch_add(1, Ordering::Relaxed);
                    return Some(v);
                }
                Ok(r) if r.status().is_client_error() && r.status().as_u16() != 429 => {
                    let status = r.status();
                    let text = r.text().await.unwrap_or_default();
                    eprintln!(
                        "soak-load: {name} refused {status}: {}",
                        text.chars().take(200).collect::<String>()
                    );
                    return None;
                }
                _ => {
                    // No answer or a server error: retry with the same key.
                    if started.elapsed() > self.retry {
                        self.given_up.fetch_add(1, Ordering::Relaxed);
                        return None;
                    }
                    self.retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
    }
}

pub async fn load(args: LoadArgs) -> Result<()> {
    if args.api.is_empty() {
        return Err("--api is required".into());
    }
    let keys = JwtKeys::from_secret(args.jwt_secret.as_bytes());
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&args.acks)?;
    let client = Arc::new(Client {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()?,
        apis: args.api.clone(),
        next: AtomicU64::new(0),
        retry: Duration::from_secs(args.retry_secs),
        acks: std::sync::Mutex::new(file),
        acked: AtomicU64::new(0),
        given_up: AtomicU64::new(0),
        retries: AtomicU64::new(0),
        reads: match &args.reads {
            Some(path) => Some(std::sync::Mutex::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)?,
            )),
            None => None,
        },
        reads_answered: AtomicU64::new(0),
        reads_unanswered: AtomicU64::new(0),
    });
    let deadline = Instant::now() + Duration::from_secs(args.secs);
    let citizens = Arc::new(args.citizens.clone());
    let mut tasks = Vec::new();
    for c in 0..args.clients {
        let client = client.clone();
        let keys = keys.clone();
        let citizens = citizens.clone();
        tasks.push(tokio::spawn(async move {
            let office = format!("SOAK-{:02}", c % 4);
            let operator = token(
                &keys,
                Role::Operator,
                &format!("op.soak.{c}"),
                &[("patronato", "INCA"), ("office", &office)],
            );
            let mut i = c;
            while Instant::now() < deadline {
                let cf = &citizens[i % citizens.len()];
                i += 1;
                let created = client
                    .command(
                        "create_request",
                        &operator,
                        "/api/v1/requests",
                        serde_json::json!({
                            "codice_fiscale": cf, "mandate_declared": true,
                            "topic": "requisiti_accesso", "subtopic": "naspi",
                            "text": "Soak: requisiti per la NASpI dopo un contratto a termine."}),
                    )
                    .await;
                let Some(created) = created else { continue };
                let (Some(id), Some(sede)) = (
                    created["request_id"].as_str().map(str::to_string),
                    created["protocol"]
                        .as_str()
                        .and_then(|p| p.split('.').nth(1))
                        .map(str::to_string),
                ) else {
                    continue;
                };
                let position = created["position"].as_i64().unwrap_or(0);
                client.read(&operator, &id, position).await;
                if i % 2 == 0 {
                    continue;
                }
                let officer = token(
                    &keys,
                    Role::SedeOfficer,
                    &format!("uff.soak.{c}"),
                    &[("sede", &sede)],
                );
                let path = format!("/api/v1/requests/{id}/take-in-charge");
                if client
                    .command("take_in_charge", &officer, &path, serde_json::json!({}))
                    .await
                    .is_none()
                {
                    continue;
                }
                let path = format!("/api/v1/requests/{id}/replies");
                client
                    .command(
                        "reply",
                        &officer,
                        &path,
                        serde_json::json!({"text": "Soak: la prestazione spetta dal mese successivo."}),
                    )
                    .await;
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    println!(
        "soak-load: acknowledged {}, given up {}, retried sends {}; detail reads answered {}, not answered {}",
        client.acked.load(Ordering::Relaxed),
        client.given_up.load(Ordering::Relaxed),
        client.retries.load(Ordering::Relaxed),
        client.reads_answered.load(Ordering::Relaxed),
        client.reads_unanswered.load(Ordering::Relaxed)
    );
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: String,
    #[arg(long)]
    pub acks: PathBuf,
    /// How long to wait for the projections to reach the end of the log.
    #[arg(long, default_value_t = 120)]
    pub catch_up_secs: u64,
    /// The answered reads of `soak-load --reads`: each must have its record.
    #[arg(long)]
    pub reads: Option<PathBuf>,
    /// The servers' keys: the rebuilds open what they sealed.
    #[command(flatten)]
    pub secret: api::master_key::DerivingSecret,
    #[command(flatten)]
    pub master_key: api::master_key::MasterKeyArgs,
}

/// Every read answered 200 has its record in the read log (found by its
/// purpose, with the request as target). Returns whether all do.
async fn verify_reads(pool: &sqlx::PgPool, path: &std::path::Path) -> Result<bool> {
    let text = std::fs::read_to_string(path)?;
    let reads: Vec<AnsweredRead> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<std::result::Result<_, _>>()?;
    let purposes: Vec<String> = reads.iter().map(|r| r.purpose.clone()).collect();
    let targets: Vec<String> = reads
        .iter()
        .map(|r| format!("request-{}", r.request_id))
        .collect();
    let recorded: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM unnest($1::text[], $2::text[]) AS a(purpose, target) \
         WHERE EXISTS (SELECT 1 FROM personal_data_reads r WHERE r.purpose = a.purpose \
                       AND r.target = a.target AND r.operation = 'getRequest')",
    )
    .bind(&purposes)
    .bind(&targets)
    .fetch_one(pool)
    .await?;
    println!(
        "detail reads answered 200: {}, with their record in the read log: {recorded}",
        reads.len()
    );
    Ok(recorded == reads.len() as i64)
}

pub async fn verify(args: VerifyArgs) -> Result<()> {
    args.master_key.resolve_registered(args.secret.bytes())?;
    let pool = crate::util::pool(&args.database_url, 4).await?;
    let text = std::fs::read_to_string(&args.acks)?;
    let acks: Vec<Ack> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<std::result::Result<_, _>>()?;
    let streams: Vec<String> = acks
        .iter()
        .map(|a| format!("request-{}", a.request_id))
        .collect();
    let versions: Vec<i32> = acks.iter().map(|a| a.version as i32).collect();
    let keys: Vec<String> = acks.iter().map(|a| a.key.clone()).collect();
    let positions: Vec<i64> = acks.iter().map(|a| a.position).collect();
    // An acknowledged command is in the log when its event is: same stream,
    // version, position and idempotency key.
    let in_log: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM unnest($1::text[], $2::int[], $3::text[], $4::bigint[]) AS a(stream_id, version, key, position) \
         WHERE EXISTS (SELECT 1 FROM events e WHERE e.stream_id = a.stream_id AND e.version = a.version \
                       AND e.position = a.position AND e.metadata->>'idempotency_key' = a.key)",
    )
    .bind(&streams)
    .bind(&versions)
    .bind(&keys)
    .bind(&positions)
    .fetch_one(&pool)
    .await?;
    // Every soak command writes one event: a key with two events is a duplicate.
    let duplicated: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT metadata->>'idempotency_key' FROM events \
         WHERE metadata ? 'idempotency_key' GROUP BY 1 HAVING count(*) > 1) d",
    )
    .fetch_one(&pool)
    .await?;
    let unacked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE metadata ? 'idempotency_key' \
         AND NOT (metadata->>'idempotency_key' = ANY($1))",
    )
    .bind(&keys)
    .fetch_one(&pool)
    .await?;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&pool)
        .await?;
    println!(
        "acknowledged: {}, in log: {in_log}, duplicated: {duplicated}",
        acks.len()
    );
    println!(
        "  (events in the log: {total}; committed but never acknowledged — the answer was lost in a fault: {unacked})"
    );
    let mut ok = in_log == acks.len() as i64 && duplicated == 0;
    if let Some(path) = &args.reads {
        ok &= verify_reads(&pool, path).await?;
    }

    // Projections: caught up, then each equal to a fresh rebuild of itself.
    let end: Option<i64> = sqlx::query_scalar("SELECT max(position) FROM events")
        .fetch_one(&pool)
        .await?;
    if let Some(end) = end {
        let reached = projections::wait_for_position(
            &pool,
            projections::NAMES,
            end,
            Duration::from_secs(args.catch_up_secs),
        )
        .await?;
        if !reached {
            println!(
                "projections did not reach the end of the log within {} s",
                args.catch_up_secs
            );
            ok = false;
        }
    }
    sqlx::query("DROP SCHEMA IF EXISTS soak_snapshot CASCADE")
        .execute(&pool)
        .await?;
    sqlx::query("CREATE SCHEMA soak_snapshot")
        .execute(&pool)
        .await?;
    for p in projections::all(&pool) {
        for t in p.tables() {
            sqlx::query(&format!(
                "CREATE TABLE soak_snapshot.{t} AS SELECT * FROM public.{t}"
            ))
            .execute(&pool)
            .await?;
        }
        let report = projections::rebuild::rebuild(&pool, p.as_ref()).await?;
        let mut diffs = Vec::new();
        let mut rows = Vec::new();
        for t in p.tables() {
            let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM public.{t}"))
                .fetch_one(&pool)
                .await?;
            let only_live: i64 = sqlx::query_scalar(&format!(
                "SELECT count(*) FROM (SELECT * FROM soak_snapshot.{t} EXCEPT ALL SELECT * FROM public.{t}) d"
            ))
            .fetch_one(&pool)
            .await?;
            let only_rebuilt: i64 = sqlx::query_scalar(&format!(
                "SELECT count(*) FROM (SELECT * FROM public.{t} EXCEPT ALL SELECT * FROM soak_snapshot.{t}) d"
            ))
            .fetch_one(&pool)
            .await?;
            rows.push(format!("{t} {n} rows"));
            if only_live + only_rebuilt > 0 {
                diffs.push(format!(
                    "{t}: {only_live} rows only in the live projection, {only_rebuilt} only in the rebuild"
                ));
            }
        }
        if diffs.is_empty() {
            println!(
                "projection {}: equals a fresh rebuild ({}; {} events replayed)",
                p.name(),
                rows.join(", "),
                report.events
            );
        } else {
            ok = false;
            println!(
                "projection {}: DIFFERS from a fresh rebuild: {}",
                p.name(),
                diffs.join("; ")
            );
        }
    }
    sqlx::query("DROP SCHEMA soak_snapshot CASCADE")
        .execute(&pool)
        .await?;
    pool.close().await;
    if ok {
        println!("soak: OK");
        Ok(())
    } else {
        Err("soak: MISMATCH (see above)".into())
    }
}
