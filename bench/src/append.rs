//! Append throughput: `store::append` against a raw-SQL baseline
//! (and the peer libraries), at N concurrent writers, measured in interleaved
//! rounds in one process against one database.
//!
//! Every writer loops for a fixed time; each iteration is one command that
//! writes one event to a new stream in its own transaction:
//! - combipat: `GroupCommitter::commit` of a write that calls
//!   `store::append(Expected::new_stream, [RequestSent], metadata)` — the
//!   group commit, hash chain, metadata and the workers' wake-up included,
//!   exactly as the command handlers call them (the protocol counter and
//!   idempotency record are left out: they are not the store); concurrent
//!   commands share a transaction;
//! - diagnostic: `BEGIN; store::append(…); COMMIT` per command, the store
//!   without group commit;
//! - baseline: `BEGIN; INSERT INTO bench_baseline (stream_id, version, payload)
//!   VALUES ($1, 1, $2); COMMIT` into a bare table with only
//!   `UNIQUE (stream_id, version)`, the same JSON payload;
//! - peers: `combipat-bench-peers <lib>` (bench/peers), same payload.

use crate::util::Result;
use crate::world::World;
use domain::request::RequestEvent;
use rand::rngs::StdRng;
use rand::SeedableRng;
use sqlx::PgPool;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{self, Expected, Metadata, NewEvent};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variant {
    Baseline,
    /// The store as the command handlers use it: group commit.
    Combipat,
    /// The same, each command's personal fields sealed under a new
    /// citizen's data key (created on the command's path, as for a citizen
    /// the service has not seen yet).
    CombipatSealed,
    /// The same for citizens seen before: their keys are in the cache.
    CombipatSealedKnown,
    /// Diagnostic: `store::append` in a transaction of its own per command.
    CombipatAlone,
    CqrsEs,
    Esrs,
}

impl Variant {
    pub fn name(self) -> &'static str {
        match self {
            Variant::Baseline => "raw INSERT baseline",
            Variant::Combipat => "combipat store (group commit)",
            Variant::CombipatSealed => "combipat store, sealed, new key",
            Variant::CombipatSealedKnown => "combipat store, sealed, known key",
            Variant::CombipatAlone => "store::append, one tx per command",
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

/// The group committer as the service runs it (`COMBIPAT_COMMITTERS`);
/// `BENCH_NOTIFY=off`: a diagnostic run without the workers' wake-up.
fn group_committer(pool: &PgPool) -> store::GroupCommitter {
    let notifier = match std::env::var("BENCH_NOTIFY").as_deref() {
        Ok("off") => store::CommitNotifier::silent(),
        _ => store::CommitNotifier::spawn(pool.clone()),
    };
    store::GroupCommitter::spawn(pool.clone(), crate::util::committers(), notifier)
}

/// The store through the group committer, as the command handlers call it.
pub async fn run_combipat(
    pool: &PgPool,
    writers: usize,
    duration: Duration,
    payload: &Payload,
    tag: &str,
) -> Run {
    let event = Arc::new(payload.event.clone());
    let metadata = Arc::new(payload.metadata.clone());
    let tag = tag.to_string();
    let committer = group_committer(pool);
    drive(writers, duration, move |i| {
        let (committer, event, metadata) = (committer.clone(), event.clone(), metadata.clone());
        let expected = Expected::new_stream(format!("request-bench-{tag}-{i:x}"), "request");
        async move {
            let write = store::Write {
                metadata: (*metadata).clone(),
                recorded_at: chrono::Utc::now(),
                protocol: None,
                events: Arc::new(move |_| vec![(expected.clone(), vec![(*event).clone()])]),
                idempotency: None,
                answer: Arc::new(|written: &store::Written| written.last_position()),
            };
            committer.commit(write).await.is_ok()
        }
    })
    .await
}

/// Citizens of the *known* sealed variant.
const KNOWN_CITIZENS: u64 = 1000;

fn known_subject(tag: &str, k: u64) -> String {
    format!("cbench{tag}k{k:x}")
}

/// [`run_combipat`] with crypto-shredding as the commands seal: each command
/// creates its citizen's data key (`SubjectKeys::key_for_sealing_ahead`,
/// stored while the write waits for its batch) and seals the payload's
/// personal fields with it.
/// With `known`, the commands' citizens are [`KNOWN_CITIZENS`] whose keys
/// were created before the run: every command finds its key cached.
pub async fn run_combipat_sealed(
    pool: &PgPool,
    writers: usize,
    duration: Duration,
    payload: &Payload,
    tag: &str,
    known: bool,
) -> Run {
    use store::privacy::keys::{NewKeyStored, SubjectKeys};
    use store::privacy::personal;
    let event = Arc::new(payload.event.clone());
    let metadata = Arc::new(payload.metadata.clone());
    let tag = tag.to_string();
    let committer = group_committer(pool);
    let keys = SubjectKeys::new(pool.clone(), crate::sealing::register_master_key());
    if known {
        // Before the clock starts: every command then finds its key cached.
        let now = chrono::Utc::now();
        for k in 0..KNOWN_CITIZENS {
            let subject = known_subject(&tag, k);
            if keys
                .key_for_sealing(&subject, "citizen", now)
                .await
                .is_err()
            {
                return Run {
                    events: 0,
                    secs: 1.0,
                    errors: 1,
                };
            }
        }
    }
    drive(writers, duration, move |i| {
        let (committer, event, metadata, keys) = (
            committer.clone(),
            event.clone(),
            metadata.clone(),
            keys.clone(),
        );
        let stream = format!("request-bench-{tag}-{i:x}");
        let subject = if known {
            known_subject(&tag, i % KNOWN_CITIZENS)
        } else {
            format!("cbench{tag}{i:x}")
        };
        async move {
            let now = chrono::Utc::now();
            // As the creations: a new key is stored by the write's batch.
            let Ok(Some((dek, receipt))) = keys
                .key_for_sealing_ahead(&subject, "citizen", now, NewKeyStored::WithTheWrite)
                .await
            else {
                return false;
            };
            let mut sealed = (*event).clone();
            let to = personal::SealFor {
                subject: Some((subject.as_str(), &dek)),
                joint: None,
            };
            if personal::seal_payload(&sealed.event_type, &mut sealed.payload, to) != Ok(true) {
                return false;
            }
            let expected = Expected::new_stream(stream, "request");
            let write = store::Write {
                metadata: (*metadata).clone(),
                recorded_at: now,
                protocol: None,
                events: Arc::new(move |_| vec![(expected.clone(), vec![sealed.clone()])]),
                idempotency: None,
                answer: Arc::new(|written: &store::Written| written.last_position()),
            };
            committer
                .commit_sealed(write, receipt.into_iter().collect())
                .await
                .is_ok()
        }
    })
    .await
}

/// Diagnostic: the store without group commit, one transaction per command.
pub async fn run_combipat_alone(
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
            ok && tx.commit().await.is_ok()
        }
    })
    .await
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
