//! One line per figure on stdout, and `docs/benchmarks.md`.

use crate::util;
use crate::Settings;

#[derive(Debug, Clone)]
pub enum Verdict {
    Met(String),
    Missed(String),
}

impl Verdict {
    /// Target: value ≥ min.
    pub fn from_min(value: f64, min: f64, unit: &str) -> Verdict {
        if value >= min {
            Verdict::Met(format!("met ({:+.0}%)", (value / min - 1.0) * 100.0))
        } else {
            Verdict::Missed(format!(
                "missed by {:.2}{unit} ({:.0}% of target)",
                min - value,
                value / min * 100.0
            ))
        }
    }

    /// Target: value < max.
    pub fn from_max(value: f64, max: f64, unit: &str) -> Verdict {
        if value < max {
            Verdict::Met(format!("met ({:.0}% of the bound)", value / max * 100.0))
        } else {
            Verdict::Missed(format!(
                "missed by {:.1}{unit} ({:.1}× the bound)",
                value - max,
                value / max
            ))
        }
    }

    fn text(&self) -> String {
        match self {
            Verdict::Met(s) => format!("MET — {s}"),
            Verdict::Missed(s) => format!("MISSED — {s}"),
        }
    }
}

struct Figure {
    section: String,
    name: String,
    value: String,
    target: Option<String>,
    verdict: Option<Verdict>,
}

pub struct Report {
    started: chrono::DateTime<chrono::Local>,
    finished: Option<chrono::DateTime<chrono::Local>>,
    settings: Settings,
    machine: String,
    writeback: String,
    commit: String,
    postgres: String,
    pg_settings: Vec<(String, String)>,
    figures: Vec<Figure>,
    notes: Vec<String>,
    load_start: String,
    load_end: String,
}

impl Report {
    pub async fn new(settings: &Settings, url: &str) -> Report {
        let mut postgres = "unknown".to_string();
        let mut pg_settings = Vec::new();
        if let Ok(pool) = util::pool(url, 1).await {
            if let Ok(v) = sqlx::query_scalar::<_, String>("SELECT version()")
                .fetch_one(&pool)
                .await
            {
                postgres = v.split(" on ").next().unwrap_or(&v).to_string();
            }
            for name in [
                "fsync",
                "synchronous_commit",
                "wal_sync_method",
                "full_page_writes",
                "shared_buffers",
                "max_connections",
                "commit_delay",
                "max_wal_size",
            ] {
                if let Ok(v) = sqlx::query_scalar::<_, String>(&format!("SHOW {name}"))
                    .fetch_one(&pool)
                    .await
                {
                    pg_settings.push((name.to_string(), v));
                }
            }
            // NULL over a Unix socket: how the run reached its server.
            if let Ok(addr) =
                sqlx::query_scalar::<_, Option<String>>("SELECT host(inet_server_addr())")
                    .fetch_one(&pool)
                    .await
            {
                let how = addr.map_or("unix socket".to_string(), |a| format!("tcp {a}"));
                pg_settings.push(("connection".to_string(), how));
            }
            pool.close().await;
        }
        Report {
            started: chrono::Local::now(),
            finished: None,
            settings: settings.clone(),
            machine: util::machine(),
            writeback: util::kernel_writeback(),
            commit: util::git_commit(),
            postgres,
            pg_settings,
            figures: Vec::new(),
            notes: Vec::new(),
            load_start: util::loadavg(),
            load_end: String::new(),
        }
    }

    pub fn header_line(&self) -> String {
        format!(
            "{} | {} | {} | {} | {} | commit {} | {}",
            self.started.format("%Y-%m-%d %H:%M"),
            self.machine,
            self.writeback,
            self.postgres,
            self.pg_settings
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" "),
            self.commit,
            self.mode()
        )
    }

    fn mode(&self) -> String {
        format!(
            "{} BENCH_SCALE={} seed={}",
            if self.settings.quick {
                "--quick"
            } else {
                "full"
            },
            self.settings.scale,
            self.settings.seed
        )
    }

    pub fn figure(
        &mut self,
        section: &str,
        name: &str,
        value: String,
        target: Option<String>,
        verdict: Option<Verdict>,
    ) {
        let mut line = format!("figure [{section}] {name}: {value}");
        if let Some(t) = &target {
            line.push_str(&format!(" | target {t}"));
        }
        if let Some(v) = &verdict {
            line.push_str(&format!(" | {}", v.text()));
        }
        println!("{line}");
        self.figures.push(Figure {
            section: section.to_string(),
            name: name.to_string(),
            value,
            target,
            verdict,
        });
    }

    pub fn missing(&mut self, section: &str, name: &str, reason: &str) {
        self.figure(section, name, format!("MISSING: {reason}"), None, None);
    }

    pub fn note(&mut self, note: String) {
        println!("note: {note}");
        self.notes.push(note);
    }

    pub fn finish(&mut self) {
        self.finished = Some(chrono::Local::now());
        self.load_end = util::loadavg();
    }

    pub fn markdown(&self) -> String {
        let s = &self.settings;
        let mut md = String::new();
        md.push_str("# Benchmarks\n\n");
        md.push_str(
            "Written by `make bench` (`combipat-bench run`, crate `bench/`). Every figure below was \
             measured by that run on this machine; nothing is copied from elsewhere. How each one is \
             measured, and what the misses mean: see the end of this file and `docs/scaling.md`.\n\n",
        );
        md.push_str("## Run\n\n");
        md.push_str("| | |\n|---|---|\n");
        md.push_str(&format!(
            "| date | {} → {} |\n",
            self.started.format("%Y-%m-%d %H:%M:%S %Z"),
            self.finished
                .map(|f| f.format("%H:%M:%S").to_string())
                .unwrap_or_default()
        ));
        md.push_str(&format!("| machine | {} |\n", self.machine));
        md.push_str(&format!(
            "| load average (1 min) at start / end | {} / {} (other work on the machine shares the 2 cores: figures that matter are ratios measured side by side) |\n",
            self.load_start, self.load_end
        ));
        md.push_str(&format!(
            "| kernel writeback | {} (scripts/host-writeback.sh, decision A41) |\n",
            self.writeback
        ));
        md.push_str(&format!("| PostgreSQL | {} |\n", self.postgres));
        md.push_str(&format!(
            "| PostgreSQL settings | {} |\n",
            self.pg_settings
                .iter()
                .map(|(k, v)| format!("`{k}={v}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        md.push_str(&format!("| commit | {} |\n", self.commit));
        md.push_str(&format!("| mode | {} |\n", self.mode()));
        md.push_str(&format!(
            "| settings | append {} s × {} rounds at {:?} writers; HTTP closed loop {} connections × {} s; open loop {}/s × {} s, lag sampled every {}th command; data set {} requests over {} days; {} calls per query |\n\n",
            s.append_secs, s.append_rounds, s.writers, s.http_concurrency, s.closed_secs,
            s.open_rate, s.open_secs, s.lag_every, s.requests, s.days, s.query_samples
        ));
        let mut section = String::new();
        for f in &self.figures {
            if f.section != section {
                section = f.section.clone();
                md.push_str(&format!("\n## {}\n\n", section_title(&section)));
                md.push_str("| figure | measured | target | verdict |\n|---|---|---|---|\n");
            }
            md.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                f.name.replace('|', "\\|"),
                f.value.replace('|', "\\|"),
                f.target.clone().unwrap_or_default(),
                f.verdict.as_ref().map(Verdict::text).unwrap_or_default()
            ));
        }
        if !self.notes.is_empty() {
            md.push_str("\n## Notes of this run\n\n");
            for n in &self.notes {
                md.push_str(&format!("- {n}\n"));
            }
        }
        md.push_str(METHOD);
        md
    }
}

fn section_title(s: &str) -> &str {
    match s {
        "append" => "Event append (events/s, one event per command, one transaction per command)",
        "http" => "HTTP commands, projection lag, memory",
        "data" => "Large data set",
        "rebuild" => "Projection rebuild",
        "queries" => "Query latency on the large data set",
        other => other,
    }
}

const METHOD: &str = include_str!("method.md");
