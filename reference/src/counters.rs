//! `counters.json`: the counters ("Sportelli di Sede", seed 002) of every
//! sede and their weekly opening hours, and the look-up the appointments
//! need. The file describes counters by profile (per kind of sede) with
//! per-sede changes; [`expand`] turns it into one row per sede and counter.

use super::error::{decode_err, ReferenceError};
use super::model::{Sede, SedeKind};
use chrono::NaiveTime;
use domain::ids::SedeCode;
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, Row};
use std::collections::{BTreeMap, HashMap, HashSet};

pub const COUNTERS_FILE: &str = "counters.json";

/// The counter through which patronati book appointments for a request
/// (SPEC §2.4): every active sede has one.
pub const PATRONATI_COUNTER: &str = "servizi_patronati";

/// `counters.json`, list `counter_types`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CounterType {
    pub code: String,
    pub name: String,
}

/// Opening interval `[opens, closes)` on some weekdays (ISO, 1 = Monday).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpeningInterval {
    pub weekdays: Vec<u8>,
    /// `HH:MM`, local time (Europe/Rome).
    pub opens: String,
    pub closes: String,
}

/// `counters.json`, list `schedules`: a named weekly timetable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    pub code: String,
    pub hours: Vec<OpeningInterval>,
}

fn yes() -> bool {
    true
}

/// A counter of a profile or of a sede's changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CounterSpec {
    #[serde(rename = "type")]
    pub counter_type: String,
    pub schedule: String,
    #[serde(default = "yes")]
    pub active: bool,
}

/// `counters.json`, list `profiles`: the counters of the sedi of `kinds`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub code: String,
    pub kinds: Vec<SedeKind>,
    pub counters: Vec<CounterSpec>,
}

/// `counters.json`, list `sedi`: a sede that uses another profile than its
/// kind's, and/or adds or replaces (by type) some counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SedeCounters {
    pub sede: SedeCode,
    #[serde(default)]
    pub profile: Option<String>,
    #[serde(default)]
    pub counters: Vec<CounterSpec>,
}

/// One weekly opening: ISO weekday (1 = Monday … 7 = Sunday) and local times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Opening {
    pub weekday: u8,
    pub opens: NaiveTime,
    pub closes: NaiveTime,
}

/// A counter of a sede, as loaded into `ref_counters` and `ref_counter_hours`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CounterRow {
    pub sede: SedeCode,
    pub counter_type: String,
    pub name: String,
    /// False when the counter or its sede is inactive.
    pub active: bool,
    /// Sorted by weekday and opening time.
    pub hours: Vec<Opening>,
}

/// The lists of `counters.json`.
#[derive(Debug, Clone, Default)]
pub struct CountersFile {
    pub counter_types: Vec<CounterType>,
    pub schedules: Vec<Schedule>,
    pub profiles: Vec<Profile>,
    pub sedi: Vec<SedeCounters>,
}

fn parse_time(s: &str) -> Option<NaiveTime> {
    (s.len() == 5)
        .then(|| NaiveTime::parse_from_str(s, "%H:%M").ok())
        .flatten()
}

/// Validates the file against the sedi and expands it: one row per sede and
/// counter, sorted by sede and type.
pub(crate) fn expand(
    file: &CountersFile,
    sedi: &[Sede],
) -> Result<Vec<CounterRow>, ReferenceError> {
    let bad = |list, i, r: String| Err(ReferenceError::entry(COUNTERS_FILE, list, i, r));

    let mut types: HashMap<&str, &str> = HashMap::new();
    for (i, t) in file.counter_types.iter().enumerate() {
        let code_ok = (1..=64).contains(&t.code.len())
            && t.code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !code_ok {
            return bad(
                "counter_types",
                i,
                format!("code {:?} is not [a-z0-9_]{{1,64}}", t.code),
            );
        }
        if t.name.trim().is_empty() {
            return bad("counter_types", i, "empty name".into());
        }
        if types.insert(&t.code, &t.name).is_some() {
            return bad(
                "counter_types",
                i,
                format!("duplicate counter type {}", t.code),
            );
        }
    }

    let mut schedules: HashMap<&str, Vec<Opening>> = HashMap::new();
    for (i, s) in file.schedules.iter().enumerate() {
        let mut hours = Vec::new();
        for h in &s.hours {
            let (Some(opens), Some(closes)) = (parse_time(&h.opens), parse_time(&h.closes)) else {
                return bad(
                    "schedules",
                    i,
                    format!("times {:?}-{:?} are not HH:MM", h.opens, h.closes),
                );
            };
            if opens >= closes {
                return bad(
                    "schedules",
                    i,
                    format!("opens {} is not before closes {}", h.opens, h.closes),
                );
            }
            if h.weekdays.is_empty() {
                return bad("schedules", i, "an interval without weekdays".into());
            }
            for &weekday in &h.weekdays {
                if !(1..=7).contains(&weekday) {
                    return bad("schedules", i, format!("weekday {weekday} is not 1 to 7"));
                }
                hours.push(Opening {
                    weekday,
                    opens,
                    closes,
                });
            }
        }
        hours.sort();
        for pair in hours.windows(2) {
            if pair[0].weekday == pair[1].weekday && pair[1].opens < pair[0].closes {
                return bad(
                    "schedules",
                    i,
                    format!("two intervals overlap on weekday {}", pair[0].weekday),
                );
            }
        }
        if hours.is_empty() {
            return bad("schedules", i, "no opening hours".into());
        }
        if schedules.insert(&s.code, hours).is_some() {
            return bad("schedules", i, format!("duplicate schedule {}", s.code));
        }
    }

    let check_specs = |list: &'static str, i: usize, specs: &[CounterSpec]| {
        let mut seen = HashSet::new();
        for c in specs {
            let reason = if !types.contains_key(c.counter_type.as_str()) {
                format!("unknown counter type {}", c.counter_type)
            } else if !schedules.contains_key(c.schedule.as_str()) {
                format!("unknown schedule {}", c.schedule)
            } else if !seen.insert(c.counter_type.as_str()) {
                format!("counter {} listed twice", c.counter_type)
            } else {
                continue;
            };
            return Err(ReferenceError::entry(COUNTERS_FILE, list, i, reason));
        }
        Ok(())
    };

    let mut profiles: HashMap<&str, &Profile> = HashMap::new();
    let mut by_kind: HashMap<SedeKind, &Profile> = HashMap::new();
    for (i, p) in file.profiles.iter().enumerate() {
        if profiles.insert(&p.code, p).is_some() {
            return bad("profiles", i, format!("duplicate profile {}", p.code));
        }
        for k in &p.kinds {
            if by_kind.insert(*k, p).is_some() {
                return bad(
                    "profiles",
                    i,
                    format!("kind {} has two profiles", k.as_str()),
                );
            }
        }
        check_specs("profiles", i, &p.counters)?;
    }

    let known: HashSet<&str> = sedi.iter().map(|s| s.code.as_str()).collect();
    let mut changes: HashMap<&str, &SedeCounters> = HashMap::new();
    for (i, c) in file.sedi.iter().enumerate() {
        if !known.contains(c.sede.as_str()) {
            return bad("sedi", i, format!("unknown sede {}", c.sede));
        }
        if let Some(p) = &c.profile {
            if !profiles.contains_key(p.as_str()) {
                return bad("sedi", i, format!("unknown profile {p}"));
            }
        }
        check_specs("sedi", i, &c.counters)?;
        if changes.insert(c.sede.as_str(), c).is_some() {
            return bad("sedi", i, format!("sede {} listed twice", c.sede));
        }
    }

    let mut rows = Vec::new();
    for s in sedi {
        let change = changes.get(s.code.as_str());
        let profile = match change.and_then(|c| c.profile.as_deref()) {
            Some(p) => profiles.get(p).copied(),
            None => by_kind.get(&s.kind).copied(),
        };
        let mut specs: BTreeMap<&str, &CounterSpec> = BTreeMap::new();
        for c in profile.map(|p| p.counters.as_slice()).unwrap_or_default() {
            specs.insert(&c.counter_type, c);
        }
        for c in change.map(|c| c.counters.as_slice()).unwrap_or_default() {
            specs.insert(&c.counter_type, c);
        }
        for (counter_type, spec) in specs {
            rows.push(CounterRow {
                sede: s.code.clone(),
                counter_type: counter_type.to_string(),
                name: types[counter_type].to_string(),
                active: s.active && spec.active,
                hours: schedules[spec.schedule.as_str()].clone(),
            });
        }
    }
    rows.sort_by(|a, b| {
        (a.sede.as_str(), &a.counter_type).cmp(&(b.sede.as_str(), &b.counter_type))
    });
    Ok(rows)
}

/// The counters of a sede with their weekly hours (active ones and not),
/// by type. Empty for an unknown sede.
pub async fn counters_of(pool: &PgPool, sede: &SedeCode) -> Result<Vec<CounterRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT c.sede_code, c.counter_type, c.name, c.active, h.weekday, h.opens, h.closes
         FROM ref_counters c
         LEFT JOIN ref_counter_hours h
                ON h.sede_code = c.sede_code AND h.counter_type = c.counter_type
         WHERE c.sede_code = $1
         ORDER BY c.counter_type, h.weekday, h.opens",
    )
    .bind(sede.as_str())
    .fetch_all(pool)
    .await?;
    let mut out: Vec<CounterRow> = Vec::new();
    for row in &rows {
        let counter_type: String = row.try_get("counter_type")?;
        if out.last().map(|c| &c.counter_type) != Some(&counter_type) {
            out.push(CounterRow {
                sede: SedeCode::parse(row.try_get("sede_code")?).map_err(decode_err)?,
                counter_type,
                name: row.try_get("name")?,
                active: row.try_get("active")?,
                hours: Vec::new(),
            });
        }
        let weekday: Option<i16> = row.try_get("weekday")?;
        if let (Some(weekday), Some(last)) = (weekday, out.last_mut()) {
            last.hours.push(Opening {
                weekday: u8::try_from(weekday).map_err(decode_err)?,
                opens: row.try_get("opens")?,
                closes: row.try_get("closes")?,
            });
        }
    }
    Ok(out)
}
