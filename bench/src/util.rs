//! Small helpers: fresh databases, percentiles, process memory, URLs.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};
use std::str::FromStr;
use std::time::Duration;

pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// `url` with its database name replaced by `db`.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    // scheme://authority/path: keep everything up to the path.
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[after_scheme..]
        .find('/')
        .map_or(base.len(), |i| after_scheme + i);
    let mut out = format!("{}/{}", &base[..path_start], db);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// A database created for one run and dropped at the end.
pub struct FreshDb {
    pub admin_url: String,
    pub name: String,
    pub url: String,
}

impl FreshDb {
    /// Creates `combipat_bench_<ts>_<suffix>` on the server of `admin_url`.
    pub async fn create(admin_url: &str, suffix: &str) -> Result<FreshDb> {
        let ts = chrono::Utc::now().format("%Y%m%d%H%M%S");
        let name = format!("combipat_bench_{ts}_{suffix}");
        let mut conn = admin(admin_url).await?;
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        Ok(FreshDb {
            admin_url: admin_url.to_string(),
            url: with_database(admin_url, &name),
            name,
        })
    }

    pub async fn pool(&self, max: u32) -> Result<PgPool> {
        pool(&self.url, max).await
    }

    /// Drops the database (closing whatever is still connected to it).
    pub async fn drop_now(&self) {
        match admin(&self.admin_url).await {
            Ok(mut conn) => {
                let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
                if let Err(e) = sqlx::query(&sql).execute(&mut conn).await {
                    eprintln!("bench: could not drop {}: {e}", self.name);
                }
                let _ = conn.close().await;
            }
            Err(e) => eprintln!("bench: could not drop {}: {e}", self.name),
        }
    }
}

/// Writes out what earlier sections left dirty (`CHECKPOINT`), so that a
/// section does not pay for another's writes: the append section commits
/// about a million events in two minutes, and the checkpoint that WAL volume
/// starts then ran through the HTTP section after it. Best effort: a role
/// without the right to checkpoint only gets a line saying so.
pub async fn settle(admin_url: &str) {
    let done = async {
        let mut conn = admin(admin_url).await?;
        sqlx::query("CHECKPOINT").execute(&mut conn).await?;
        conn.close().await?;
        Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
    };
    if let Err(e) = done.await {
        println!("bench: no CHECKPOINT between sections: {e}");
    }
}

/// A connection to the server's `postgres` database (for CREATE/DROP DATABASE).
async fn admin(url: &str) -> Result<PgConnection> {
    let opts = PgConnectOptions::from_str(url)?.database("postgres");
    Ok(opts.connect().await?)
}

pub async fn pool(url: &str, max: u32) -> Result<PgPool> {
    Ok(PgPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(60))
        .connect(url)
        .await?)
}

/// Sorted sample of durations, in milliseconds.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    ms: Vec<f64>,
}

impl Sample {
    pub fn push(&mut self, d: Duration) {
        self.ms.push(d.as_secs_f64() * 1000.0);
    }

    pub fn extend(&mut self, other: Sample) {
        self.ms.extend(other.ms);
    }

    pub fn len(&self) -> usize {
        self.ms.len()
    }

    /// The `q`-quantile (0..=1), nearest rank; `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.ms.is_empty() {
            return None;
        }
        let mut v = self.ms.clone();
        v.sort_by(|a, b| a.total_cmp(b));
        let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
        Some(v[rank - 1])
    }

    pub fn p50(&self) -> Option<f64> {
        self.quantile(0.50)
    }

    pub fn p99(&self) -> Option<f64> {
        self.quantile(0.99)
    }

    pub fn max(&self) -> Option<f64> {
        self.ms.iter().copied().reduce(f64::max)
    }
}

/// `VmHWM` / `VmRSS` of a process in kB (`self` or a pid).
pub fn proc_status_kb(pid: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| {
        let rest = l.strip_prefix(field)?.strip_prefix(':')?;
        rest.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// `git describe`-like identification of the working tree.
pub fn git_commit() -> String {
    let run = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let head = run(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let dirty =
        run(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    if dirty {
        format!("{head} (+ uncommitted changes)")
    } else {
        head
    }
}

/// CPU model, cores and memory of this machine.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem_kb = proc_status_kb_file("/proc/meminfo", "MemTotal").unwrap_or(0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    format!(
        "{cpu}, {cores} cores, {:.1} GiB RAM, Linux {kernel}",
        mem_kb as f64 / 1024.0 / 1024.0
    )
}

fn proc_status_kb_file(path: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(path).ok()?;
    status.lines().find_map(|l| {
        let rest = l.strip_prefix(field)?.strip_prefix(':')?;
        rest.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// The machine's CPU ticks so far, all processors together, from the `cpu`
/// line of `/proc/stat`: user nice system idle iowait irq softirq steal ….
fn machine_ticks() -> Option<Vec<u64>> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let cpu = stat.lines().find(|l| l.starts_with("cpu "))?;
    Some(
        cpu.split_whitespace()
            .skip(1)
            .filter_map(|t| t.parse().ok())
            .collect(),
    )
}

/// CPU seconds the whole machine has spent busy since boot (every process:
/// the bench, PostgreSQL, anything else), from `/proc/stat`; the difference
/// around a run divided by its events is the machine's CPU per event.
pub fn machine_busy_secs() -> Option<f64> {
    let ticks = machine_ticks()?;
    // user nice system idle iowait irq softirq steal …: all but idle and iowait.
    let busy: u64 = ticks
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4 && *i < 8)
        .map(|(_, t)| t)
        .sum();
    // USER_HZ is 100 on every Linux this runs on.
    Some(busy as f64 / 100.0)
}

/// The machine's CPU ticks so far, from `/proc/stat`: those the hypervisor
/// gave to other machines while this one had work (steal), and all of them.
pub fn cpu_ticks() -> Option<CpuTicks> {
    let ticks = machine_ticks()?;
    // user nice system idle iowait irq softirq steal (guest time is in user).
    Some(CpuTicks {
        stolen: *ticks.get(7)?,
        all: ticks.iter().take(8).sum(),
    })
}

#[derive(Debug, Clone, Copy)]
pub struct CpuTicks {
    pub stolen: u64,
    pub all: u64,
}

impl CpuTicks {
    /// The share of the machine's time stolen since `self`, in percent.
    pub fn stolen_percent_until(self, later: CpuTicks) -> Option<f64> {
        let all = later.all.checked_sub(self.all).filter(|&t| t > 0)?;
        Some(later.stolen.saturating_sub(self.stolen) as f64 * 100.0 / all as f64)
    }
}

/// The kernel's page-cache writeback settings (decision A41): when it starts
/// writing dirty pages out in the background, and how old a page may get.
pub fn kernel_writeback() -> String {
    let read = |name: &str| {
        std::fs::read_to_string(format!("/proc/sys/vm/{name}"))
            .map(|v| format!("vm.{name}={}", v.trim()))
            .unwrap_or_else(|_| format!("vm.{name} unknown"))
    };
    [
        "dirty_background_bytes",
        "dirty_background_ratio",
        "dirty_expire_centisecs",
    ]
    .map(read)
    .join(", ")
}

/// CPU time (user and system) of process `pid` so far, in seconds.
pub fn process_cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    // USER_HZ, as in machine_busy_secs.
    Some((utime + stime) as f64 / 100.0)
}

/// Committers of the group commit as the service reads them
/// (`COMBIPAT_COMMITTERS`, else the service's default).
pub fn committers() -> usize {
    std::env::var("COMBIPAT_COMMITTERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(store::group::DEFAULT_COMMITTERS)
}

/// Load average (1 min) — how busy the machine was around a measurement.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_is_replaced() {
        assert_eq!(
            with_database("postgres://u@127.0.0.1:54329/combipat", "x"),
            "postgres://u@127.0.0.1:54329/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/combipat?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h:1", "x"), "postgres://h:1/x");
    }

    #[test]
    fn a_process_cpu_time_counts_its_work() {
        let me = std::process::id();
        let before = process_cpu_secs(me).expect("this process's /proc/<pid>/stat");
        let started = std::time::Instant::now();
        let mut x: u64 = 1;
        // Work until 0.2 s of CPU is counted; a machine shared with other
        // tests may give this thread a fraction of a core, hence the long bound.
        while process_cpu_secs(me).unwrap() - before < 0.2 {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "20 s of work and less than 0.2 s of CPU counted"
            );
            for _ in 0..100_000 {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            }
        }
    }

    #[test]
    fn quantiles() {
        let mut s = Sample::default();
        for i in 1..=100 {
            s.push(Duration::from_millis(i));
        }
        assert_eq!(s.p50(), Some(50.0));
        assert_eq!(s.p99(), Some(99.0));
    }
}
