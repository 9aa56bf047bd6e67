//! `cluster-check`, with `make cluster` running (scripts/cluster.sh):
//!
//! 1. read-your-writes through the replica: N times, a `createRequest` on an
//!    API process whose queries go to the streaming replica, then at once the
//!    detail and the history with `min_position` from the answer — each must
//!    show the new request (a 503 `read_model_lagging` or a missing request
//!    is a failure);
//! 2. whether that API process really reads from the replica (its sessions
//!    and transactions on the replica);
//! 3. query throughput (history pages, closed loop) of that process (two
//!    database servers) and of a process that reads from the primary only
//!    (one database server), measured in alternating rounds in one run.

use crate::server::token;
use crate::util::{Result, Sample};
use api::auth::JwtKeys;
use domain::actor::Role;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// API process reading from the replica (COMBIPAT_READ_DATABASE_URL set).
    #[arg(long, default_value = "http://127.0.0.1:18081")]
    pub api: String,
    /// API process reading from the primary only (the one-server reference).
    #[arg(long, default_value = "http://127.0.0.1:18083")]
    pub api_single: String,
    /// The replica, to see whether the API reads from it.
    #[arg(long, env = "CLUSTER_REPLICA_URL")]
    pub replica_url: Option<String>,
    #[arg(long, default_value_t = 200)]
    pub n: usize,
    /// Seconds per throughput round.
    #[arg(long, default_value_t = 8.0)]
    pub secs: f64,
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    #[arg(long, env = "COMBIPAT_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: String,
    #[arg(long, default_value = "RSSMRA60E12H501E")]
    pub citizen: String,
}

pub async fn check(args: CheckArgs) -> Result<()> {
    let keys = JwtKeys::from_secret(args.jwt_secret.as_bytes());
    let operator = token(
        &keys,
        Role::Operator,
        "op.cluster",
        &[("patronato", "INCA"), ("office", "CLUSTER-01")],
    );
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;

    let replica = match &args.replica_url {
        Some(url) => Some(crate::util::pool(url, 2).await?),
        None => None,
    };
    let replica_xacts = |pool: Option<sqlx::PgPool>| async move {
        let pool = pool?;
        sqlx::query_scalar::<_, i64>(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()",
        )
        .fetch_one(&pool)
        .await
        .ok()
    };
    let before = replica_xacts(replica.clone()).await;

    let mut failures = Vec::new();
    let mut detail_latency = Sample::default();
    for i in 0..args.n {
        let res = http
            .post(format!("{}/api/v1/requests", args.api))
            .bearer_auth(&operator)
            .json(&serde_json::json!({
                "codice_fiscale": args.citizen, "mandate_declared": true,
                "topic": "requisiti_accesso", "subtopic": "naspi",
                "text": format!("Cluster check {i}: requisiti NASpI.")}))
            .send()
            .await?;
        if res.status().as_u16() != 201 {
            failures.push(format!("create {i}: {}", res.status()));
            continue;
        }
        let created: serde_json::Value = res.json().await?;
        let id = created["request_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let position = created["position"].as_i64().unwrap_or(0);
        let t = Instant::now();
        let detail = http
            .get(format!(
                "{}/api/v1/requests/{id}?min_position={position}",
                args.api
            ))
            .bearer_auth(&operator)
            .send()
            .await?;
        let status = detail.status();
        let body: serde_json::Value = detail.json().await.unwrap_or_default();
        detail_latency.push(t.elapsed());
        if !status.is_success() || body["request"]["request_id"].as_str() != Some(&id) {
            failures.push(format!("detail {i}: {status} {}", body["code"]));
            continue;
        }
        let list = http
            .get(format!(
                "{}/api/v1/requests?min_position={position}&limit=5",
                args.api
            ))
            .bearer_auth(&operator)
            .send()
            .await?;
        let status = list.status();
        let body: serde_json::Value = list.json().await.unwrap_or_default();
        let seen = body["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|r| r["request_id"].as_str() == Some(&id)));
        if !status.is_success() || !seen {
            failures.push(format!("history {i}: {status} seen={seen}"));
        }
    }
    println!(
        "read-your-writes: {}/{} commands seen by the detail and the history right after (min_position); failures: {}",
        args.n - failures.len(),
        args.n,
        failures.len()
    );
    for f in failures.iter().take(10) {
        println!("  failure: {f}");
    }
    println!(
        "  detail with min_position: p50 {:.1} ms, p99 {:.1} ms",
        detail_latency.p50().unwrap_or(f64::NAN),
        detail_latency.p99().unwrap_or(f64::NAN)
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let after = replica_xacts(replica.clone()).await;
    let reads_replica = match (before, after) {
        (Some(b), Some(a)) => {
            // Our own two statements count too; the API's queries add hundreds.
            let used = a - b > (args.n as i64);
            println!(
                "replica: {} transactions during the check → the API {} from the replica",
                a - b,
                if used { "reads" } else { "does NOT read" }
            );
            Some(used)
        }
        _ => {
            println!("replica: not inspected (no --replica-url)");
            None
        }
    };

    // Throughput: alternate rounds, two servers vs one.
    let mut two = Vec::new();
    let mut one = Vec::new();
    for round in 0..2 {
        for (label, base, out) in [
            ("replica + primary", &args.api, &mut two),
            ("primary only", &args.api_single, &mut one),
        ] {
            let rate = throughput(&http, base, &operator, args.concurrency, args.secs).await;
            match rate {
                Ok(r) => {
                    println!("query throughput round {round}, {label:<18}: {r:.0} history pages/s");
                    out.push(r);
                }
                Err(e) => println!("query throughput round {round}, {label}: not measured: {e}"),
            }
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    if !two.is_empty() && !one.is_empty() {
        println!(
            "query throughput: two database servers {:.0}/s, one {:.0}/s, ratio {:.2}×",
            mean(&two),
            mean(&one),
            mean(&two) / mean(&one)
        );
    }
    if reads_replica == Some(false) {
        println!("note: the API process does not read from the replica yet (COMBIPAT_READ_DATABASE_URL not supported by this build?)");
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!("{} read-your-writes failures", failures.len()).into())
    }
}

async fn throughput(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    concurrency: usize,
    secs: f64,
) -> Result<f64> {
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(secs);
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let http = http.clone();
        let url = format!("{base}/api/v1/requests?limit=20");
        let token = token.to_string();
        let ok = ok.clone();
        let failed = failed.clone();
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                match http.get(&url).bearer_auth(&token).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let n = ok.load(Ordering::Relaxed);
    if n == 0 {
        return Err(format!("{} failures, no success", failed.load(Ordering::Relaxed)).into());
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}
