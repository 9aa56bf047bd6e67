//! Query latency over HTTP on the large data set: every query a person uses,
//! one client at a time (latency, not throughput), parameters drawn from the
//! data so that each call asks something different.

use crate::server::Server;
use crate::util::{Result, Sample};
use domain::actor::Role;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::{Duration, Instant};

pub struct QueryFigure {
    pub name: String,
    pub path_example: String,
    pub latency: Sample,
    pub errors: u64,
    pub first_error: Option<String>,
    /// Rows (items) in the last answer, for context.
    pub rows: usize,
    pub target_ms: f64,
}

struct Scope {
    patronato: String,
    office: String,
    user: String,
}

/// Runs every query `samples` times (after a few warm-up calls).
pub async fn run(server: &Server, samples: usize, seed: u64) -> Result<Vec<QueryFigure>> {
    let pool = &server.pool;
    let http = crate::server::http_client(4);
    let mut rng = StdRng::seed_from_u64(seed);

    // Parameters from the data: busy offices/users/sedi, existing requests.
    let scopes: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT patronato, office, created_by FROM request_summary TABLESAMPLE SYSTEM (1) LIMIT 200",
    )
    .fetch_all(pool)
    .await?;
    let scopes: Vec<Scope> = scopes
        .into_iter()
        .map(|(patronato, office, user)| Scope {
            patronato,
            office,
            user,
        })
        .collect();
    if scopes.is_empty() {
        return Err("no requests in the read models".into());
    }
    let requests: Vec<(uuid::Uuid, String, String, String, Option<String>, String)> =
        sqlx::query_as(
            "SELECT request_id, patronato, office, protocol, codice_fiscale, created_by \
             FROM request_summary TABLESAMPLE SYSTEM (1) LIMIT 500",
        )
        .fetch_all(pool)
        .await?;
    let sedi: Vec<String> = sqlx::query_scalar(
        "SELECT current_sede FROM request_summary TABLESAMPLE SYSTEM (1) \
         WHERE closed_at IS NULL LIMIT 200",
    )
    .fetch_all(pool)
    .await?;
    let repliers: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT created_by, patronato, office FROM recent_replies \
         WHERE replied_at > now() - interval '3 days' LIMIT 200",
    )
    .fetch_all(pool)
    .await?;
    let last_day: chrono::NaiveDate = sqlx::query_scalar(
        "SELECT (max(sent_at) AT TIME ZONE 'Europe/Rome')::date FROM request_summary",
    )
    .fetch_one(pool)
    .await?;

    let (scopes, requests, sedi, repliers) = (&scopes, &requests, &sedi, &repliers);
    let operator = |s: &Scope| {
        server.token(
            Role::Operator,
            &s.user,
            &[("patronato", &s.patronato), ("office", &s.office)],
        )
    };
    type Pick<'a> = Box<dyn FnMut(&mut StdRng) -> (String, String) + 'a>;
    let mut kinds: Vec<(&str, f64, Pick)> = Vec::new();
    let history = |extra: &'static str| -> Pick {
        Box::new(move |rng: &mut StdRng| {
            let s = &scopes[rng.gen_range(0..scopes.len())];
            (format!("/api/v1/requests?limit=20{extra}"), operator(s))
        })
    };
    kinds.push(("history: office, first page", 20.0, history("")));
    kinds.push(("history: scope=mine", 20.0, history("&scope=mine")));
    kinds.push((
        "history: status=risposta_ricevuta",
        20.0,
        history("&status=risposta_ricevuta"),
    ));
    kinds.push(("history: subject=naspi", 20.0, history("&subject=naspi")));
    kinds.push((
        "history: text contains 'estratto conto'",
        20.0,
        history("&subject=estratto%20conto"),
    ));
    // In no request: the window holds no match, so the rest of the list goes
    // through the trigram index of `request_search`.
    kinds.push((
        "history: text in no request ('cassa integrazione')",
        20.0,
        history("&subject=cassa%20integrazione"),
    ));
    let month_from = last_day - chrono::Duration::days(30);
    kinds.push((
        "history: sent_from/sent_to (30 days)",
        20.0,
        Box::new(move |rng: &mut StdRng| {
            let s = &scopes[rng.gen_range(0..scopes.len())];
            (
                format!("/api/v1/requests?limit=20&sent_from={month_from}&sent_to={last_day}"),
                operator(s),
            )
        }),
    ));
    let req_token = |r: &(uuid::Uuid, String, String, String, Option<String>, String)| {
        server.token(
            Role::Operator,
            &r.5,
            &[("patronato", &r.1), ("office", &r.2)],
        )
    };
    kinds.push((
        "history: protocol",
        20.0,
        Box::new(move |rng: &mut StdRng| {
            let r = &requests[rng.gen_range(0..requests.len())];
            (format!("/api/v1/requests?protocol={}", r.3), req_token(r))
        }),
    ));
    kinds.push((
        "history: codice_fiscale",
        20.0,
        Box::new(move |rng: &mut StdRng| {
            let r = &requests[rng.gen_range(0..requests.len())];
            (
                format!(
                    "/api/v1/requests?codice_fiscale={}",
                    r.4.clone().unwrap_or_default()
                ),
                req_token(r),
            )
        }),
    ));
    kinds.push((
        "detail (GET /requests/{id})",
        20.0,
        Box::new(move |rng: &mut StdRng| {
            let r = &requests[rng.gen_range(0..requests.len())];
            (format!("/api/v1/requests/{}", r.0), req_token(r))
        }),
    ));
    kinds.push((
        "timeline (GET /requests/{id}/timeline)",
        20.0,
        Box::new(move |rng: &mut StdRng| {
            let r = &requests[rng.gen_range(0..requests.len())];
            (format!("/api/v1/requests/{}/timeline", r.0), req_token(r))
        }),
    ));
    if !repliers.is_empty() {
        kinds.push((
            "home panel (recent replies, 3 days)",
            20.0,
            Box::new(move |rng: &mut StdRng| {
                let (u, p, o) = &repliers[rng.gen_range(0..repliers.len())];
                (
                    "/api/v1/home/recent-replies".to_string(),
                    server.token(Role::Operator, u, &[("patronato", p), ("office", o)]),
                )
            }),
        ));
    }
    let inbox = |bucket: &'static str| -> Pick {
        Box::new(move |rng: &mut StdRng| {
            let sede = &sedi[rng.gen_range(0..sedi.len())];
            (
                format!("/api/v1/sedi/{sede}/inbox?limit=20&bucket={bucket}"),
                server.token(
                    Role::SedeOfficer,
                    &format!("uff.{sede}.0"),
                    &[("sede", sede)],
                ),
            )
        })
    };
    if !sedi.is_empty() {
        kinds.push(("sede inbox: all", 20.0, inbox("all")));
        kinds.push(("sede inbox: new", 20.0, inbox("new")));
        kinds.push(("sede inbox: awaiting_reply", 20.0, inbox("awaiting_reply")));
        kinds.push(("sede inbox: overdue", 20.0, inbox("overdue")));
        let year_from = last_day - chrono::Duration::days(364);
        kinds.push((
            "statistics: one sede over a year",
            50.0,
            Box::new(move |rng: &mut StdRng| {
                let sede = &sedi[rng.gen_range(0..sedi.len())];
                (
                    format!(
                        "/api/v1/statistics?dimension=sede&value={sede}&from={year_from}&to={last_day}"
                    ),
                    server.token(
                        Role::SedeOfficer,
                        &format!("uff.{sede}.0"),
                        &[("sede", sede)],
                    ),
                )
            }),
        ));
    }

    let mut out = Vec::new();
    for (name, target_ms, mut pick) in kinds {
        let mut latency = Sample::default();
        let mut errors = 0;
        let mut first_error = None;
        let mut rows = 0;
        let mut example = String::new();
        for i in 0..(samples + 5) {
            let (path, token) = pick(&mut rng);
            let t = Instant::now();
            let res = http
                .get(format!("{}{}", server.base, path))
                .bearer_auth(&token)
                .timeout(Duration::from_secs(30))
                .send()
                .await;
            let outcome = match res {
                Ok(r) => {
                    let status = r.status();
                    let body = r.bytes().await.unwrap_or_default();
                    if status.is_success() {
                        Ok(body)
                    } else {
                        Err(format!("{status}: {}", String::from_utf8_lossy(&body)))
                    }
                }
                Err(e) => Err(e.to_string()),
            };
            let elapsed = t.elapsed();
            match outcome {
                Ok(body) => {
                    if i >= 5 {
                        latency.push(elapsed);
                    }
                    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) {
                        rows = v["items"]
                            .as_array()
                            .or(v["rows"].as_array())
                            .or(v.as_array())
                            .map_or(1, Vec::len);
                    }
                    example = path;
                }
                Err(e) => {
                    errors += 1;
                    first_error.get_or_insert(format!("{path}: {e}"));
                }
            }
        }
        let p50 = latency.p50().map_or("-".into(), |v| format!("{v:.2}"));
        let p99 = latency.p99().map_or("-".into(), |v| format!("{v:.2}"));
        println!("query {name:<42} p50 {p50:>7} ms  p99 {p99:>7} ms  (n={}, errors={errors}, rows={rows})", latency.len());
        if let Some(e) = &first_error {
            println!(
                "      first error: {}",
                e.chars().take(300).collect::<String>()
            );
        }
        out.push(QueryFigure {
            name: name.to_string(),
            path_example: example,
            latency,
            errors,
            first_error,
            rows,
            target_ms,
        });
    }
    Ok(out)
}

/// The tables every operator's history reads, in the order they are loaded.
const HISTORY_TABLES: [&str; 2] = ["request_summary", "request_search"];

/// What [`warm_up`] loaded.
pub struct WarmUp {
    pub loaded_mb: f64,
    pub shared_buffers: String,
    pub secs: f64,
    /// Relations left cold: they would not fit in half of the buffers.
    pub left_cold: Vec<String>,
}

impl WarmUp {
    /// The report's note on it.
    pub fn note(&self) -> String {
        let cold = if self.left_cold.is_empty() {
            String::new()
        } else {
            format!(
                "; left cold, beyond half the buffers: {}",
                self.left_cold.join(", ")
            )
        };
        format!(
            "queries: the history's tables and indexes were first loaded into PostgreSQL's buffers (pg_prewarm), as on a server that has been answering for a while: {:.0} MB of shared_buffers = {} in {:.1} s{cold} (decision A49)",
            self.loaded_mb, self.shared_buffers, self.secs
        )
    }
}

/// Loads the history's tables and their indexes into PostgreSQL's buffers
/// (`pg_prewarm`), as on a server that has been answering operators for a
/// while, up to half of `shared_buffers`. Without it, a query's latency here
/// is that of the disk: this machine's kernel reclaims idle page cache
/// within a minute, and the rebuilds just read the whole log through the
/// buffers (decision A49).
pub async fn warm_up(pool: &sqlx::PgPool) -> Result<WarmUp> {
    let started = Instant::now();
    sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        .execute(pool)
        .await?;
    let (shared_buffers, budget): (String, i64) = sqlx::query_as(
        "SELECT current_setting('shared_buffers'), \
                (pg_size_bytes(current_setting('shared_buffers')) / 2)::bigint",
    )
    .fetch_one(pool)
    .await?;
    let mut relations: Vec<(String, i64)> = Vec::new();
    for table in HISTORY_TABLES {
        relations.extend(
            sqlx::query_as::<_, (String, i64)>(
                "SELECT c.oid::regclass::text, pg_relation_size(c.oid) FROM pg_class c \
                 WHERE c.oid = $1::regclass \
                    OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = $1::regclass) \
                 ORDER BY c.relkind DESC, c.relname",
            )
            .bind(table)
            .fetch_all(pool)
            .await?,
        );
    }
    let (mut loaded, mut left_cold) = (0i64, Vec::new());
    for (relation, bytes) in relations {
        if loaded + bytes > budget {
            left_cold.push(relation);
            continue;
        }
        sqlx::query("SELECT pg_prewarm($1::regclass)")
            .bind(&relation)
            .execute(pool)
            .await?;
        loaded += bytes;
    }
    Ok(WarmUp {
        loaded_mb: loaded as f64 / 1048576.0,
        shared_buffers,
        secs: started.elapsed().as_secs_f64(),
        left_cold,
    })
}
