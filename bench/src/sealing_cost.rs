//! What sealing (crypto-shredding, docs/privacy.md) costs, measured side by
//! side in one run: the creations of a server storing requests in clear,
//! just before and just after the sealed one, and the `requests` rebuild of
//! the same log generated in clear.

use crate::report::{Report, Verdict};
use crate::util::{FreshDb, Result};
use crate::{drain, generate, prepared, server, world, Settings};
use std::time::Duration;

/// Sealing's cost on the creations: the sealed server's figures beside the
/// mean of the same loads in clear just before and just after it.
pub fn sealing_figures(
    report: &mut Report,
    s: &Settings,
    clear: [Unsealed; 2],
    rate: f64,
    p99: Option<f64>,
    lag99: Option<f64>,
) {
    let clear_rate = (clear[0].rate + clear[1].rate) / 2.0;
    report.figure(
        "http",
        "createRequest closed loop, sealed / in clear (the same load just before and just after, on the same database)",
        format!(
            "{:.2}× ({rate:.0} / {clear_rate:.0} creations/s; in clear {:.0} before, {:.0} after)",
            rate / clear_rate,
            clear[0].rate,
            clear[1].rate
        ),
        Some("≥ 0.90 ×".into()),
        Some(Verdict::from_min(rate / clear_rate, 0.90, "×")),
    );
    let ms = |v: Option<f64>| v.unwrap_or(f64::NAN);
    report.figure(
        "http",
        &format!(
            "open loop at {}/s: latency p99 and projection lag p99, sealed vs in clear before / after",
            s.open_rate
        ),
        format!(
            "sealed {:.1} ms, {:.1} ms; in clear {:.1} / {:.1} ms, {:.1} / {:.1} ms",
            ms(p99),
            ms(lag99),
            ms(clear[0].open_p99),
            ms(clear[1].open_p99),
            ms(clear[0].lag_p99),
            ms(clear[1].lag_p99)
        ),
        None,
        None,
    );
}

/// What the creations cost with requests stored in clear.
pub struct Unsealed {
    pub rate: f64,
    pub open_p99: Option<f64>,
    pub lag_p99: Option<f64>,
}

/// The closed and open loops of [`http_section`] against a server that
/// stores requests in clear, just before and again just after the sealed
/// one on the same database (the database grows meanwhile): sealing's cost
/// measured side by side in one run.
pub async fn unsealed_baseline(
    s: &Settings,
    db: &FreshDb,
    creator: &server::Creator,
    lag_pool: &sqlx::PgPool,
    smtp_port: u16,
) -> Result<Unsealed> {
    let child = server::Child::spawn_with_mail(&db.url, 32, Some(smtp_port), false).await?;
    let creator = server::Creator {
        url: format!("{}/api/v1/requests", child.base),
        ..creator.clone()
    };
    let warm = Duration::from_secs(if s.quick { 1 } else { 3 });
    server::closed_loop(&creator, 8, warm).await;
    let (ok, _, secs, _, _) = server::closed_loop(
        &creator,
        s.http_concurrency,
        Duration::from_secs_f64(s.closed_secs),
    )
    .await;
    drain(lag_pool, Duration::from_secs(120)).await;
    let open = server::open_loop(
        &creator,
        lag_pool,
        s.open_rate,
        Duration::from_secs_f64(s.open_secs),
        s.lag_every,
    )
    .await;
    drain(lag_pool, Duration::from_secs(120)).await;
    child.stop().await;
    let rate = ok as f64 / secs;
    println!(
        "http: in clear {rate:.0} creations/s; open loop p99 {:.1} ms, lag p99 {:.1} ms",
        open.latency.p99().unwrap_or(f64::NAN),
        open.lag.p99().unwrap_or(f64::NAN)
    );
    Ok(Unsealed {
        rate,
        open_p99: open.latency.p99(),
        lag_p99: open.lag.p99(),
    })
}

/// Sealing's cost on the `requests` rebuild: the same log generated in
/// clear, and the two rebuilt alternately — sealed (the data section's,
/// `first_sealed`), clear, sealed, clear — so that each sees the other's
/// effect on the machine's caches; the figure is the ratio of the means.
pub async fn rebuild_in_clear(
    s: &Settings,
    sealed_db: &FreshDb,
    first_sealed: f64,
    report: &mut Report,
) -> Result<()> {
    let db = FreshDb::create(&sealed_db.admin_url, "dataclear").await?;
    let result = async {
        let pool = prepared(&db, 8).await?;
        let world = world::World::load(&pool).await?;
        println!("data: the same log in clear, for the rebuild's baseline ...");
        generate::generate(&pool, world, s.requests, s.days, s.seed, 2, false).await?;
        pool.close().await;
        let mut sealed = vec![first_sealed];
        let mut clear = Vec::new();
        for (i, is_sealed) in [false, true, false].into_iter().enumerate() {
            let pool = if is_sealed { sealed_db } else { &db }.pool(8).await?;
            let started = std::time::Instant::now();
            let r = projections::rebuild_by_name(&pool, "requests").await?;
            let rate = r.events as f64 / started.elapsed().as_secs_f64();
            pool.close().await;
            println!("data: rebuild {} of requests: {rate:.0} events/s", i + 2);
            if is_sealed { &mut sealed } else { &mut clear }.push(rate);
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let (sealed_rate, clear_rate) = (mean(&sealed), mean(&clear));
        let rounds: Vec<String> = sealed
            .iter()
            .zip(&clear)
            .map(|(s, c)| format!("{:.2}", s / c))
            .collect();
        report.figure(
            "rebuild",
            "rebuild requests, sealed log / the same log in clear (alternately: sealed, clear, sealed, clear)",
            format!(
                "{:.2}× ({sealed_rate:.0} / {clear_rate:.0} events/s, means; rounds: {})",
                sealed_rate / clear_rate,
                rounds.join(", ")
            ),
            Some("≥ 0.90 ×".into()),
            Some(Verdict::from_min(sealed_rate / clear_rate, 0.90, "×")),
        );
        Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
    }
    .await;
    db.drop_now().await;
    result
}
