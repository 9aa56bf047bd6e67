//! Append throughput: `commands::store::append` against a raw-SQL baseline
//! (and the peer libraries), at N concurrent writers, measured in interleaved
//! rounds in one process against one database.
//!
//! Every writer loops for a fixed time; each iteration is one command that
//! writes one event to a new stream in its own transaction:
//! - combipat: `BEGIN; store::append(Expected::new_stream, [RequestSent], metadata); COMMIT`
//!   then `CommitNotifier::ring` — the hash chain, metadata and the workers'
//!   wake-up included, exactly as the create handler calls them (the protocol
//!   counter and idempotency record are left out: they are not the store);
//! - baseline: `BEGIN; INSERT INTO bench_baseline (stream_id, version, payload)
//!   VALUES ($1, 1, $2); COMMIT` into a bare table with only
//!   `UNIQUE (stream_id, version)`, the same JSON payload;
//! - peers: `combipat-bench-peers <lib>` (bench/peers), same payload.

use crate::util::Result;
use crate::world::World;
use commands::store::{self, Expected, Metadata, NewEvent};
use domain::request::RequestEvent;
use rand::rngs::StdRng;
use rand::SeedableRng;
use sqlx::PgPool;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variant {
    Baseline,
    /// Diagnostic: the baseline plus a `pg_notify` in its transaction (what `store::append` sent before the commit notifier).
    BaselineNotify,
    /// Diagnostic: the baseline, then `pg_notify` in its own statement after the commit.
    BaselineNotifyAfter,
    Combipat,
    /// `store::append` batched by the group-commit prototype below.
    GroupCommit,
    /// The same, with one multi-row INSERT per batch (the proposal's fast path).
    GroupCommitBatched,
    CqrsEs,
    Esrs,
}

impl Variant {
    pub fn name(self) -> &'static str {
        match self {
            Variant::Baseline => "raw INSERT baseline",
            Variant::BaselineNotify => "baseline + pg_notify in tx (diag.)",
            Variant::BaselineNotifyAfter => "baseline, pg_notify after (diag.)",
            Variant::Combipat => "combipat store::append",
            Variant::GroupCommit => "store::append, group commit proto",
            Variant::GroupCommitBatched => "group commit proto, multi-row INSERT",
            Variant::CqrsEs => "cqrs-es 0.5 + postgres-es 0.5",
            Variant::Esrs => "esrs 0.18",
        }
    }
}

/// One measurement: events committed in `secs`.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    pub events: u64,
    pub secs: f64,
    pub errors: u64,
}

impl Run {
    pub fn rate(&self) -> f64 {
        self.events as f64 / self.secs.max(1e-9)
    }
}

/// The payload every variant writes: one realistic `RequestSent`.
pub struct Payload {
    pub event: NewEvent,
    pub metadata: Metadata,
    pub json: serde_json::Value,
}

pub fn payload(world: &mut World) -> Payload {
    let mut rng = StdRng::seed_from_u64(7);
    let at = chrono::Utc::now();
    let id = crate::world::request_id(&mut rng, at);
    let (sent, metadata) = world.request_sent(&mut rng, id, at);
    let event = RequestEvent::RequestSent(Box::new(sent));
    let json = serde_json::to_value(&event).expect("event serialises");
    Payload {
        event: NewEvent {
            event_type: event.event_type().to_string(),
            schema_version: RequestEvent::SCHEMA_VERSION,
            payload: json.clone(),
        },
        metadata,
        json,
    }
}

pub async fn setup_baseline(pool: &PgPool) -> Result<()> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS bench_baseline (
            stream_id text NOT NULL,
            version   integer NOT NULL,
            payload   jsonb NOT NULL,
            CONSTRAINT bench_baseline_stream_version UNIQUE (stream_id, version))",
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Runs `writers` loops of `body` for `duration`; counts successes.
async fn drive<F, Fut>(writers: usize, duration: Duration, body: F) -> Run
where
    F: Fn(u64) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let events = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for w in 0..writers {
        let body = body.clone();
        let events = events.clone();
        let errors = errors.clone();
        tasks.push(tokio::spawn(async move {
            let mut i = 0u64;
            while Instant::now() < deadline {
                if body((w as u64) << 40 | i).await {
                    events.fetch_add(1, Ordering::Relaxed);
                } else {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
                i += 1;
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    Run {
        events: events.load(Ordering::Relaxed),
        secs: started.elapsed().as_secs_f64(),
        errors: errors.load(Ordering::Relaxed),
    }
}

/// A pool of exactly `writers` connections, all opened before the clock starts.
pub async fn writer_pool(url: &str, writers: usize) -> Result<PgPool> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(writers as u32)
        .min_connections(writers as u32)
        .acquire_timeout(Duration::from_secs(60))
        .connect(url)
        .await?;
    // Touch every connection (and prepare nothing yet).
    let mut held = Vec::new();
    for _ in 0..writers {
        held.push(pool.acquire().await?);
    }
    drop(held);
    Ok(pool)
}

pub async fn run_combipat(
    pool: &PgPool,
    writers: usize,
    duration: Duration,
    payload: &Payload,
    tag: &str,
) -> Run {
    let pool = pool.clone();
    let event = Arc::new(payload.event.clone());
    let metadata = Arc::new(payload.metadata.clone());
    let tag = tag.to_string();
    let notifier = store::CommitNotifier::spawn(pool.clone());
    drive(writers, duration, move |i| {
        let pool = pool.clone();
        let event = event.clone();
        let metadata = metadata.clone();
        let notifier = notifier.clone();
        let stream = format!("request-bench-{tag}-{i:x}");
        async move {
            let Ok(mut tx) = pool.begin().await else {
                return false;
            };
            let expected = Expected::new_stream(stream, "request");
            let ok = store::append(
                &mut tx,
                &expected,
                std::slice::from_ref(&*event),
                &metadata,
                chrono::Utc::now(),
            )
            .await
            .is_ok();
            let committed = ok && tx.commit().await.is_ok();
            if committed {
                notifier.ring();
            }
            committed
        }
    })
    .await
}

pub async fn run_baseline(
    pool: &PgPool,
    writers: usize,
    duration: Duration,
    payload: &Payload,
    tag: &str,
    notify: Notify,
) -> Run {
    let pool = pool.clone();
    let json = Arc::new(payload.json.clone());
    let tag = tag.to_string();
    drive(writers, duration, move |i| {
        let pool = pool.clone();
        let json = json.clone();
        let stream = format!("request-bench-{tag}-{i:x}");
        async move {
            let Ok(mut tx) = pool.begin().await else {
                return false;
            };
            let ok = sqlx::query(
                "INSERT INTO bench_baseline (stream_id, version, payload) VALUES ($1, 1, $2)",
            )
            .bind(&stream)
            .bind(&*json)
            .execute(&mut *tx)
            .await
            .is_ok();
            let notified = notify != Notify::InTransaction
                || sqlx::query("SELECT pg_notify('combipat_bench', '')")
                    .execute(&mut *tx)
                    .await
                    .is_ok();
            let committed = ok && notified && tx.commit().await.is_ok();
            committed
                && (notify != Notify::AfterCommit
                    || sqlx::query("SELECT pg_notify('combipat_bench', '')")
                        .execute(&pool)
                        .await
                        .is_ok())
        }
    })
    .await
}

/// Where the baseline sends a notification, if at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notify {
    No,
    InTransaction,
    AfterCommit,
}

/// Runs the peer binary; `Err` carries why it could not be measured.
pub async fn run_peer(
    bin: &Path,
    variant: Variant,
    url: &str,
    writers: usize,
    duration: Duration,
    payload_file: &Path,
) -> std::result::Result<Run, String> {
    let lib = match variant {
        Variant::CqrsEs => "cqrs-es",
        Variant::Esrs => "esrs",
        _ => unreachable!("not a peer"),
    };
    let out = tokio::process::Command::new(bin)
        .arg(lib)
        .arg(url)
        .arg(writers.to_string())
        .arg(format!("{:.3}", duration.as_secs_f64()))
        .arg(payload_file)
        .output()
        .await
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "{lib} exited with {}: {}",
            out.status,
            stderr.lines().last().unwrap_or("")
        ));
    }
    let field = |name: &str| -> Option<f64> {
        stdout
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
    };
    match (field("events"), field("seconds"), field("errors")) {
        (Some(e), Some(s), Some(err)) => Ok(Run {
            events: e as u64,
            secs: s,
            errors: err as u64,
        }),
        _ => Err(format!("unexpected output of {lib}: {stdout}")),
    }
}

/// A prototype of group commit, built on the real `store::append`, to show
/// what batching concurrent commands into one transaction gives (the store
/// itself does not do it yet: see docs/scaling.md "Change proposals").
///
/// `committers` tasks, each on its own connection, take every command waiting
/// in a queue (up to `MAX_BATCH`), open one transaction, call
/// `store::append` for each command in turn (its own stream, expected
/// version, hash chain and metadata, exactly as alone), and commit once: one
/// WAL flush for the batch. If an append fails (a conflict), the batch is
/// rolled back and each of its commands is retried alone in its own
/// transaction, so an outcome is still exact per command. One ring of the
/// commit notifier per committed transaction.
pub async fn run_group_commit(
    pool: &PgPool,
    writers: usize,
    committers: usize,
    duration: Duration,
    payload: &Payload,
    tag: &str,
    multi_row: bool,
) -> Run {
    const MAX_BATCH: usize = 64;
    type Job = (String, tokio::sync::oneshot::Sender<bool>);
    let (jobs_tx, jobs_rx) = tokio::sync::mpsc::channel::<Job>(writers * 2);
    let jobs_rx = Arc::new(tokio::sync::Mutex::new(jobs_rx));
    let event = Arc::new(payload.event.clone());
    let metadata = Arc::new(payload.metadata.clone());
    let mut committer_tasks = Vec::new();
    let notifier = store::CommitNotifier::spawn(pool.clone());
    for _ in 0..committers {
        let notifier = notifier.clone();
        let pool = pool.clone();
        let jobs_rx = jobs_rx.clone();
        let event = event.clone();
        let metadata = metadata.clone();
        committer_tasks.push(tokio::spawn(async move {
            loop {
                let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
                {
                    let mut rx = jobs_rx.lock().await;
                    match rx.recv().await {
                        Some(job) => batch.push(job),
                        None => return,
                    }
                    while batch.len() < MAX_BATCH {
                        match rx.try_recv() {
                            Ok(job) => batch.push(job),
                            Err(_) => break,
                        }
                    }
                }
                let together = async {
                    let mut tx = pool.begin().await.ok()?;
                    if multi_row {
                        let streams: Vec<&str> = batch.iter().map(|(s, _)| s.as_str()).collect();
                        insert_batch(&mut tx, &streams, &event, &metadata)
                            .await
                            .ok()?;
                        return tx.commit().await.ok();
                    }
                    for (stream, _) in &batch {
                        let expected = Expected::new_stream(stream.clone(), "request");
                        store::append(
                            &mut tx,
                            &expected,
                            std::slice::from_ref(&*event),
                            &metadata,
                            chrono::Utc::now(),
                        )
                        .await
                        .ok()?;
                    }
                    tx.commit().await.ok()
                };
                if together.await.is_some() {
                    notifier.ring();
                    for (_, reply) in batch {
                        let _ = reply.send(true);
                    }
                    continue;
                }
                // One of them failed: each alone, in its own transaction.
                for (stream, reply) in batch {
                    let alone = async {
                        let mut tx = pool.begin().await.ok()?;
                        let expected = Expected::new_stream(stream.clone(), "request");
                        store::append(
                            &mut tx,
                            &expected,
                            std::slice::from_ref(&*event),
                            &metadata,
                            chrono::Utc::now(),
                        )
                        .await
                        .ok()?;
                        tx.commit().await.ok()
                    };
                    let committed = alone.await.is_some();
                    if committed {
                        notifier.ring();
                    }
                    let _ = reply.send(committed);
                }
            }
        }));
    }
    let tag = tag.to_string();
    let run = drive(writers, duration, move |i| {
        let jobs_tx = jobs_tx.clone();
        let stream = format!("request-bench-{tag}-{i:x}");
        async move {
            let (tx, rx) = tokio::sync::oneshot::channel();
            if jobs_tx.send((stream, tx)).await.is_err() {
                return false;
            }
            rx.await.unwrap_or(false)
        }
    })
    .await;
    // `drive` dropped its clones of the sender: the committers drain and stop.
    for t in committer_tasks {
        let _ = t.await;
    }
    run
}

/// The fast path of the group-commit proposal: every new stream of the batch
/// in one `INSERT … SELECT FROM unnest(…)`, rows exactly as `store::append`
/// writes them (same columns, metadata, `event_hash` chain from the genesis
/// hash).
async fn insert_batch(
    conn: &mut sqlx::PgConnection,
    streams: &[&str],
    event: &NewEvent,
    metadata: &Metadata,
) -> std::result::Result<(), sqlx::Error> {
    use chrono::SubsecRound;
    let recorded_at = chrono::Utc::now().trunc_subsecs(6);
    let metadata = serde_json::to_value(metadata).expect("metadata serialises");
    let n = streams.len();
    let mut hashes = Vec::with_capacity(n);
    for stream in streams {
        let hash = store::event_hash(
            &store::GENESIS_HASH,
            &store::ChainLink {
                stream_id: stream,
                version: 1,
                event_type: &event.event_type,
                schema_version: event.schema_version,
                payload: &event.payload,
                metadata: &metadata,
                recorded_at,
            },
        );
        hashes.push(hash.to_vec());
    }
    sqlx::query(
        "INSERT INTO events (stream_id, stream_type, version, event_type, schema_version, \
                             payload, metadata, recorded_at, prev_hash, hash) \
         SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::int2[], \
                              $6::jsonb[], $7::jsonb[], $8::timestamptz[], $9::bytea[], $10::bytea[]) \
         RETURNING position",
    )
    .bind(streams.to_vec())
    .bind(vec!["request"; n])
    .bind(vec![1i32; n])
    .bind(vec![event.event_type.as_str(); n])
    .bind(vec![event.schema_version; n])
    .bind(vec![event.payload.clone(); n])
    .bind(vec![metadata.clone(); n])
    .bind(vec![recorded_at; n])
    .bind(vec![store::GENESIS_HASH.to_vec(); n])
    .bind(hashes)
    .fetch_all(&mut *conn)
    .await?;
    Ok(())
}
