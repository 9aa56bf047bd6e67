//! The large data set: realistic request lifecycles (`world::lifecycle`),
//! hash-chained with the store's own `event_hash`, loaded with `COPY` into
//! the real `events` table. The events are exactly what the command handlers
//! would have written (same types, payloads, metadata, chain), so the audit
//! verifies them and the projections rebuild from them. Reproducible from
//! the seed (except `tx_id` and `position`, which PostgreSQL assigns).

use crate::sealing::{NewKey, Sealing};
use crate::util::Result;
use crate::world::{self, World};
use chrono::{DateTime, Duration, SecondsFormat, SubsecRound, Utc};
use domain::request::RequestEvent;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::PgPool;
use std::time::Instant;
use store::{event_hash, ChainLink, GENESIS_HASH};

/// Requests per COPY chunk (≈ 4 events each).
const CHUNK_REQUESTS: usize = 5_000;

#[derive(Debug, Clone, Copy)]
pub struct Generated {
    pub requests: u64,
    pub events: u64,
    pub secs: f64,
}

/// Generates `requests` lifecycles sent over the `days` before `now`, oldest
/// first, and COPYs them on `copiers` connections; their personal fields
/// sealed when `sealed`, as the service stores them.
pub async fn generate(
    pool: &PgPool,
    mut world: World,
    requests: u64,
    days: i64,
    seed: u64,
    copiers: usize,
    sealed: bool,
) -> Result<Generated> {
    let started = Instant::now();
    // Whole seconds: the store keeps microseconds, and the hash covers what is stored.
    let now = (Utc::now() - Duration::minutes(5)).trunc_subsecs(0);
    let start = now - Duration::days(days);
    let span_ms = (now - start).num_milliseconds().max(1);
    let mut sealing = sealed.then(Sealing::new);
    let master_id = sealing.as_ref().map(Sealing::master_id).unwrap_or_default();
    let (tx, rx) = tokio::sync::mpsc::channel::<(Vec<u8>, Vec<NewKey>)>(copiers * 2);
    let rx = std::sync::Arc::new(tokio::sync::Mutex::new(rx));

    // The producer: a plain thread (serialisation and SHA-256 are CPU work).
    let producer = std::thread::spawn(move || -> (u64, World) {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut events = 0u64;
        let mut made = 0u64;
        while made < requests {
            let n = CHUNK_REQUESTS.min((requests - made) as usize);
            let mut rows: Vec<(DateTime<Utc>, Vec<u8>)> = Vec::with_capacity(n * 5);
            for k in 0..n {
                // Evenly spread sending times, oldest first, a little jitter.
                let i = made + k as u64;
                let base = start
                    + Duration::milliseconds(
                        (i as i128 * span_ms as i128 / requests as i128) as i64,
                    );
                let t0 = base + Duration::milliseconds(rng.gen_range(0..1000));
                let t0 = t0.min(now);
                let id = world::request_id(&mut rng, t0);
                let life = world.lifecycle(&mut rng, id, t0, now);
                let stream_id = id.stream_id();
                let mut prev = GENESIS_HASH;
                let mut stream_subject = None;
                for (version, (event, meta)) in life.iter().enumerate() {
                    let version = version as u64 + 1;
                    let mut payload = serde_json::to_value(event).expect("event serialises");
                    if let Some(sealing) = sealing.as_mut() {
                        if version == 1 {
                            stream_subject = sealing.stream_subject(&payload);
                        }
                        sealing.seal(event.event_type(), &mut payload, stream_subject.as_deref());
                    }
                    let metadata = serde_json::to_value(meta).expect("metadata serialises");
                    let at = event.at();
                    let hash = event_hash(
                        &prev,
                        &ChainLink {
                            stream_id: &stream_id,
                            version,
                            event_type: event.event_type(),
                            schema_version: RequestEvent::SCHEMA_VERSION,
                            payload: &payload,
                            metadata: &metadata,
                            recorded_at: at,
                        },
                    );
                    let mut line = Vec::with_capacity(2048);
                    csv_row(
                        &mut line,
                        &stream_id,
                        version,
                        event.event_type(),
                        &payload,
                        &metadata,
                        at,
                        &prev,
                        &hash,
                    );
                    rows.push((at, line));
                    prev = hash;
                    events += 1;
                }
            }
            // The log in time order within the chunk (a stream's versions stay in order).
            rows.sort_by_key(|(at, _)| *at);
            let mut buf = Vec::with_capacity(rows.iter().map(|r| r.1.len()).sum());
            for (_, line) in rows {
                buf.extend_from_slice(&line);
            }
            let keys = sealing
                .as_mut()
                .map(Sealing::take_new_keys)
                .unwrap_or_default();
            if tx.blocking_send((buf, keys)).is_err() {
                break;
            }
            made += n as u64;
        }
        (events, world)
    });

    let mut copy_tasks = Vec::new();
    for _ in 0..copiers {
        let pool = pool.clone();
        let rx = rx.clone();
        let master_id = master_id.clone();
        copy_tasks.push(tokio::spawn(async move {
            loop {
                let chunk = { rx.lock().await.recv().await };
                let Some((chunk, keys)) = chunk else {
                    return Ok::<(), sqlx::Error>(());
                };
                crate::sealing::store_keys(&pool, &master_id, &keys).await?;
                let mut conn = pool.acquire().await?;
                let mut copy = conn
                    .copy_in_raw(
                        "COPY events (stream_id, stream_type, version, event_type, schema_version, \
                         payload, metadata, recorded_at, prev_hash, hash) FROM STDIN WITH (FORMAT csv)",
                    )
                    .await?;
                copy.send(chunk).await?;
                copy.finish().await?;
            }
        }));
    }
    for t in copy_tasks {
        t.await??;
    }
    let (events, world) = producer.join().map_err(|_| "generator thread panicked")?;
    // Later creations must not reuse a generated protocol number.
    for ((sede, year), last) in &world.counters {
        sqlx::query(
            "INSERT INTO protocol_counters (sede, year, last) VALUES ($1, $2, $3) \
             ON CONFLICT (sede, year) DO UPDATE SET last = GREATEST(protocol_counters.last, EXCLUDED.last)",
        )
        .bind(sede)
        .bind(year)
        .bind(*last as i32)
        .execute(pool)
        .await?;
    }
    let secs = started.elapsed().as_secs_f64();
    // A log this old has been vacuumed many times over (autovacuum visits
    // insert-only tables too): its rows' commit status is on the pages. Fresh
    // from COPY it is not, and whichever rebuild reads the log first would
    // pay for writing it there, on every page, as part of its replay.
    sqlx::query("VACUUM (ANALYZE) events").execute(pool).await?;
    Ok(Generated {
        requests,
        events,
        secs,
    })
}

#[allow(clippy::too_many_arguments)]
fn csv_row(
    out: &mut Vec<u8>,
    stream_id: &str,
    version: u64,
    event_type: &str,
    payload: &serde_json::Value,
    metadata: &serde_json::Value,
    at: DateTime<Utc>,
    prev: &[u8; 32],
    hash: &[u8; 32],
) {
    use std::io::Write;
    csv_field(out, stream_id.as_bytes());
    out.extend_from_slice(b",request,");
    write!(out, "{version},").expect("memory");
    csv_field(out, event_type.as_bytes());
    out.extend_from_slice(b",1,");
    csv_field(
        out,
        serde_json::to_string(payload).expect("json").as_bytes(),
    );
    out.push(b',');
    csv_field(
        out,
        serde_json::to_string(metadata).expect("json").as_bytes(),
    );
    out.push(b',');
    out.extend_from_slice(at.to_rfc3339_opts(SecondsFormat::Micros, true).as_bytes());
    write!(out, ",\\x{},\\x{}", hex(prev), hex(hash)).expect("memory");
    out.push(b'\n');
}

fn csv_field(out: &mut Vec<u8>, v: &[u8]) {
    out.push(b'"');
    for &b in v {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_double_their_quotes() {
        let mut out = Vec::new();
        csv_field(&mut out, br#"{"a":"b,c"}"#);
        assert_eq!(out, br#""{""a"":""b,c""}""#);
    }

    #[test]
    fn hashes_are_lower_case_hex() {
        assert_eq!(hex(&[0x00, 0xab, 0x10]), "00ab10");
    }
}
