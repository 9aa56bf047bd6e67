//! Loading the reference files into the `ref_*` tables.
//!
//! Contract: every file is read and validated first; a malformed file is
//! refused without touching the database. Then, in ONE transaction (under an
//! advisory lock, so two loaders never interleave), each dataset whose file
//! checksum differs from the recorded one is replaced (delete + batch insert
//! with `UNNEST`), together with the datasets that reference it (a new
//! `sedi.json` reloads the CAP routes and the counters, new citizens reload
//! practices and mandates). Loading the same files again changes nothing.
//!
//! The municipality file lives outside the repository (see
//! [`ReferenceSource`]); when it is missing the other datasets load as usual,
//! the municipalities already in the database are kept, and the report says
//! [`LoadOutcome::Skipped`].

mod insert;

use super::error::ReferenceError;
use super::files::{read_reference, FileInfo, ReferenceData, ReferenceSource};
use insert::{
    insert_cap_routes, insert_citizens, insert_counters, insert_mandates, insert_municipalities,
    insert_practices, insert_sedi, insert_topics,
};
use sqlx::{PgPool, Postgres, Row, Transaction};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Key of the advisory lock held while loading (any constant unique to this use).
const LOAD_LOCK: i64 = 0x636f_6d62_7265_6601;

/// What happened to one dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadOutcome {
    /// The tables were replaced with the file's content.
    Loaded,
    /// Same checksum as the loaded data: nothing written.
    Unchanged,
    /// No file (the municipality file is optional): nothing written, the
    /// data already loaded, if any, is kept.
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetReport {
    pub dataset: &'static str,
    pub file: String,
    pub version: String,
    pub checksum: String,
    pub rows: usize,
    pub outcome: LoadOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadReport {
    /// In load order: topics, sedi, cap_routes, counters, citizens,
    /// practices, mandates, municipalities.
    pub datasets: Vec<DatasetReport>,
}

impl std::fmt::Display for LoadReport {
    /// One line per dataset: name, outcome, rows, version, file.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for d in &self.datasets {
            let outcome = match d.outcome {
                LoadOutcome::Loaded => "loaded",
                LoadOutcome::Unchanged => "unchanged",
                LoadOutcome::Skipped => "skipped (file not found)",
            };
            writeln!(
                f,
                "{:<15} {:<24} {:>6} rows  {}  {}",
                d.dataset, outcome, d.rows, d.version, d.file
            )?;
        }
        Ok(())
    }
}

impl LoadReport {
    /// True when at least one dataset was rewritten.
    pub fn changed(&self) -> bool {
        self.datasets
            .iter()
            .any(|d| d.outcome == LoadOutcome::Loaded)
    }

    pub fn dataset(&self, name: &str) -> Option<&DatasetReport> {
        self.datasets.iter().find(|d| d.dataset == name)
    }
}

/// Datasets whose tables reference another dataset's: rewriting the latter
/// means rewriting these too.
const DEPENDENTS: &[(&str, &str)] = &[
    ("sedi", "cap_routes"),
    ("sedi", "counters"),
    ("citizens", "practices"),
    ("practices", "mandates"),
];

/// Reads, validates and loads every reference file of `dir`, and the
/// municipality file of [`ReferenceSource::from_env`] (see the module
/// documentation).
pub async fn load_all(pool: &PgPool, dir: &Path) -> Result<LoadReport, ReferenceError> {
    load_from(pool, &ReferenceSource::from_env(dir)).await
}

/// [`load_all`] with an explicit source.
#[tracing::instrument(skip_all, fields(dir = %source.dir.display()), err)]
pub async fn load_from(
    pool: &PgPool,
    source: &ReferenceSource,
) -> Result<LoadReport, ReferenceError> {
    let data = read_reference(source).await?;
    load_data(pool, &data).await
}

/// Loads already validated data (see [`load_all`]).
pub async fn load_data(pool: &PgPool, data: &ReferenceData) -> Result<LoadReport, ReferenceError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(LOAD_LOCK)
        .execute(&mut *tx)
        .await?;
    let recorded: HashMap<String, String> = sqlx::query("SELECT name, checksum FROM ref_dataset")
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|r| Ok((r.try_get("name")?, r.try_get("checksum")?)))
        .collect::<Result<_, sqlx::Error>>()?;

    let mut rewrite: HashSet<&str> = data
        .files
        .iter()
        .filter(|f| recorded.get(f.dataset) != Some(&f.checksum))
        .map(|f| f.dataset)
        .collect();
    // Dependents, transitively (DEPENDENTS is in dependency order).
    for (from, to) in DEPENDENTS {
        if rewrite.contains(from) {
            rewrite.insert(to);
        }
    }

    // Delete dependents first, then insert in dependency order.
    for f in data.files.iter().rev() {
        if rewrite.contains(f.dataset) {
            delete_dataset(&mut tx, f.dataset).await?;
        }
    }
    let mut datasets = Vec::with_capacity(data.files.len());
    for f in &data.files {
        let outcome = if rewrite.contains(f.dataset) {
            insert_dataset(&mut tx, data, f.dataset).await?;
            record(&mut tx, f).await?;
            LoadOutcome::Loaded
        } else {
            LoadOutcome::Unchanged
        };
        datasets.push(DatasetReport {
            dataset: f.dataset,
            file: f.file.clone(),
            version: f.version.clone(),
            checksum: f.checksum.clone(),
            rows: f.rows,
            outcome,
        });
    }
    if data.municipalities.is_none() {
        datasets.push(DatasetReport {
            dataset: "municipalities",
            file: String::new(),
            version: String::new(),
            checksum: String::new(),
            rows: 0,
            outcome: LoadOutcome::Skipped,
        });
    }
    tx.commit().await?;
    let report = LoadReport { datasets };
    for d in &report.datasets {
        tracing::info!(dataset = d.dataset, version = %d.version, rows = d.rows, outcome = ?d.outcome, "reference dataset");
    }
    Ok(report)
}

async fn record(tx: &mut Transaction<'_, Postgres>, f: &FileInfo) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO ref_dataset (name, version, checksum, row_count, loaded_at)
         VALUES ($1, $2, $3, $4, now())
         ON CONFLICT (name) DO UPDATE
         SET version = EXCLUDED.version, checksum = EXCLUDED.checksum,
             row_count = EXCLUDED.row_count, loaded_at = EXCLUDED.loaded_at",
    )
    .bind(f.dataset)
    .bind(&f.version)
    .bind(&f.checksum)
    .bind(i32::try_from(f.rows).unwrap_or(i32::MAX))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn delete_dataset(
    tx: &mut Transaction<'_, Postgres>,
    dataset: &str,
) -> Result<(), sqlx::Error> {
    let tables: &[&str] = match dataset {
        "topics" => &["ref_subtopics", "ref_topics"],
        "sedi" => &["ref_topic_hubs", "ref_provinces", "ref_sedi", "ref_regions"],
        "cap_routes" => &["ref_cap_routes"],
        "counters" => &["ref_counter_hours", "ref_counters"],
        "municipalities" => &["ref_municipalities"],
        "citizens" => &["ref_citizens"],
        "practices" => &["ref_practices"],
        "mandates" => &["ref_pension_mandates"],
        _ => &[],
    };
    for table in tables {
        // ref_sedi references itself (parent_code): one statement deletes all.
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

async fn insert_dataset(
    tx: &mut Transaction<'_, Postgres>,
    data: &ReferenceData,
    dataset: &str,
) -> Result<(), sqlx::Error> {
    match dataset {
        "topics" => insert_topics(tx, data).await,
        "sedi" => insert_sedi(tx, data).await,
        "cap_routes" => insert_cap_routes(tx, data).await,
        "counters" => insert_counters(tx, data).await,
        "municipalities" => insert_municipalities(tx, data).await,
        "citizens" => insert_citizens(tx, data).await,
        "practices" => insert_practices(tx, data).await,
        "mandates" => insert_mandates(tx, data).await,
        _ => Ok(()),
    }
}
