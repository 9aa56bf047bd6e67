//! `combipat-bench rebuild-pair`: the `requests` rebuild of one generated
//! log sealed and of the same log in clear, alternately, in one run — the
//! side-by-side measurement of what opening sealed fields costs a rebuild,
//! with rounds enough to see past this machine's noise. A development aid
//! (the report's figure is `make bench`'s data section).

use crate::util::{with_database, FreshDb, Result};
use crate::{generate, prepared, world};
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct PairArgs {
    /// Admin URL of the PostgreSQL server.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: String,
    /// Requests generated = 40,000 × scale.
    #[arg(long, default_value_t = 2.0)]
    pub scale: f64,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Rebuilds of each log, alternating.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Reuse these two databases (sealed, clear) instead of generating;
    /// with --keep, the ones generated are kept and named.
    #[arg(long, value_delimiter = ',')]
    pub reuse: Vec<String>,
    #[arg(long)]
    pub keep: bool,
}

pub async fn run(args: PairArgs) -> Result<()> {
    crate::sealing::register_master_key();
    let dbs = match args.reuse.as_slice() {
        [sealed, clear] => [sealed, clear].map(|name| FreshDb {
            admin_url: args.database_url.clone(),
            url: with_database(&args.database_url, name),
            name: name.clone(),
        }),
        [] => {
            let requests = (40_000.0 * args.scale) as u64;
            let mut made = Vec::new();
            for (suffix, sealed) in [("pairsealed", true), ("pairclear", false)] {
                let db = FreshDb::create(&args.database_url, suffix).await?;
                let pool = prepared(&db, 8).await?;
                let world = world::World::load(&pool).await?;
                let g =
                    generate::generate(&pool, world, requests, 730, args.seed, 2, sealed).await?;
                println!("{}: {} events in {:.0} s", db.name, g.events, g.secs);
                sqlx::query("CHECKPOINT").execute(&pool).await?;
                pool.close().await;
                made.push(db);
            }
            let clear = made.pop().expect("two");
            [made.pop().expect("two"), clear]
        }
        _ => return Err("--reuse takes two names: sealed,clear".into()),
    };
    let mut rates = [Vec::new(), Vec::new()];
    for round in 0..args.rounds {
        for (i, db) in dbs.iter().enumerate() {
            let pool = db.pool(8).await?;
            let started = Instant::now();
            let r = projections::rebuild_by_name(&pool, "requests").await?;
            let rate = r.events as f64 / started.elapsed().as_secs_f64();
            pool.close().await;
            println!("round {round} {}: {rate:.0} events/s", db.name);
            rates[i].push(rate);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (sealed, clear) = (median(&mut rates[0]), median(&mut rates[1]));
    println!(
        "sealed / clear: {:.2}× (medians {sealed:.0} / {clear:.0} events/s)",
        sealed / clear
    );
    if !args.keep && args.reuse.is_empty() {
        for db in &dbs {
            db.drop_now().await;
        }
    }
    Ok(())
}
