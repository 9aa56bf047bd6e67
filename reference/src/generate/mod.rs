//! Deterministic synthetic citizens for `reference/citizens.json`.
//!
//! Every person gets a valid codice fiscale built by
//! [`domain::codice_fiscale::compose`]. Like the real registry the population
//! has homonyms (same surname, name and birth date, different place of birth:
//! distinct codes) and omocodia (two people whose natural code is identical:
//! the second gets the first unused omocodia variant, as the Agenzia delle
//! Entrate does; both share the base code). Accidental collisions between
//! random people are resolved the same way.
//!
//! Places of birth and residence are the real municipalities of
//! `reference/places.json` (compiled in, so generating needs nothing outside
//! the repository), drawn in proportion to the population they stand for;
//! residence CAPs are real CAPs of the place.
//!
//! The pseudo-random generator is a local splitmix64, so the output depends
//! only on the seed, the count, [`GENERATOR_VERSION`] and the word and place
//! lists, never on a dependency's version.

mod demo_people;
#[cfg(test)]
mod tests;

use super::derive::{Place, PlacesFile};
use super::model::CitizenRow;
use super::names::{FEMALE_NAMES, FOREIGN, MALE_NAMES, STREETS, SURNAMES};
use chrono::{Datelike, NaiveDate};
use demo_people::demo_drafts;
use domain::codice_fiscale::{compose, CodiceFiscale, Sex};
use domain::ids::Cap;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// Bump when the generator or its word lists change its output.
pub const GENERATOR_VERSION: u32 = 3;

/// The people `reference/citizens.json` holds besides the demo people.
pub const SHIPPED_SEED: u64 = 42;
pub const SHIPPED_COUNT: usize = 20_000;

/// `reference/places.json`, compiled in.
const PLACES_JSON: &str = include_str!("../../places.json");

/// The generator's places (see [`super::derive::places_json`]).
pub fn places() -> &'static [Place] {
    static PLACES: OnceLock<Vec<Place>> = OnceLock::new();
    PLACES.get_or_init(|| {
        let file: PlacesFile =
            serde_json::from_str(PLACES_JSON).expect("reference/places.json is valid");
        file.places
    })
}

/// Per-mille chance that a drawn person starts a homonym group (2 or 3
/// people): about 1% of the population are homonyms.
const HOMONYM_PER_MILLE: u64 = 5;
/// Per-mille chance of an omocodia pair: about 0.5% of the population.
const OMOCODIA_PER_MILLE: u64 = 3;
/// Per-mille chance of a foreign place of birth.
const FOREIGN_PER_MILLE: u64 = 40;

/// A person before their code is assigned.
#[derive(Debug, Clone)]
struct Draft {
    surname: &'static str,
    name: &'static str,
    sex: Sex,
    birth_date: NaiveDate,
    place_code: &'static str,
    place_name: &'static str,
    cap: String,
}

impl Draft {
    fn natural_code(&self) -> CodiceFiscale {
        compose(
            self.surname,
            self.name,
            self.birth_date,
            self.sex,
            self.place_code,
        )
        .expect("the word lists hold valid names and Belfiore codes")
    }

    fn personal_key(&self) -> (String, String, NaiveDate) {
        (
            self.surname.to_uppercase(),
            self.name.to_uppercase(),
            self.birth_date,
        )
    }
}

/// Codes already given out; a collision gets the next unused omocodia variant.
#[derive(Default)]
struct Assigned {
    codes: HashSet<String>,
}

impl Assigned {
    fn assign(&mut self, natural: CodiceFiscale) -> Option<CodiceFiscale> {
        std::iter::once(natural.clone())
            .chain(natural.omocodia_variants())
            .find(|cf| self.codes.insert(cf.as_str().to_string()))
    }
}

fn row(d: Draft, cf: CodiceFiscale) -> CitizenRow {
    let residence = place_of_cap(&d.cap);
    CitizenRow {
        address: Some(street_of(&cf)),
        codice_fiscale: cf,
        surname: d.surname.to_string(),
        name: d.name.to_string(),
        sex: d.sex,
        birth_date: d.birth_date,
        birth_place: Some(d.place_name.to_string()),
        birth_province: Some(province_of_birth(d.place_code)),
        municipality: residence.map(|p| p.name.clone()),
        province: residence.map(|p| p.sigla.clone()),
        cap: Cap::parse(&d.cap).expect("five digits"),
    }
}

/// The province of a place of birth; `EE` (estero) for a foreign state, as
/// INPS's forms write it.
fn province_of_birth(place_code: &str) -> String {
    if place_code.starts_with('Z') {
        return "EE".into();
    }
    places()
        .iter()
        .find(|p| p.cadastral_code == place_code)
        .map(|p| p.sigla.clone())
        .expect("places of birth come from places.json")
}

/// The place a residence CAP was drawn from.
fn place_of_cap(cap: &str) -> Option<&'static Place> {
    static BY_CAP: OnceLock<HashMap<&'static str, &'static Place>> = OnceLock::new();
    BY_CAP
        .get_or_init(|| {
            let mut by_cap = HashMap::new();
            for p in places() {
                for c in &p.caps {
                    by_cap.entry(c.as_str()).or_insert(p);
                }
            }
            by_cap
        })
        .get(cap)
        .copied()
}

/// A street and house number derived from the code alone (FNV-1a), so that
/// adding addresses changed no other field of the generated people.
fn street_of(cf: &CodiceFiscale) -> String {
    let hash = cf.as_str().bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let street = STREETS[(hash % STREETS.len() as u64) as usize];
    format!("{street} {}", 1 + (hash >> 32) % 180)
}

/// The hand-picked demo people, with their codes.
pub fn demo_citizens() -> Vec<CitizenRow> {
    let mut assigned = Assigned::default();
    demo_drafts()
        .into_iter()
        .map(|d| {
            let cf = assigned
                .assign(d.natural_code())
                .expect("demo codes are distinct");
            row(d, cf)
        })
        .collect()
}

/// `count` synthetic people, deterministic for `seed`. They never share a
/// code, a base code or surname + name + birth date with a demo person, so
/// the demo cases stay exactly as documented.
pub fn generate_citizens(seed: u64, count: usize) -> Vec<CitizenRow> {
    let demo = demo_drafts();
    let mut assigned = Assigned::default();
    let mut reserved_bases = HashSet::new();
    let mut reserved_people = HashSet::new();
    for d in &demo {
        let natural = d.natural_code();
        reserved_bases.insert(natural.base_code());
        assigned.assign(natural);
        reserved_people.insert(d.personal_key());
    }
    let reserved = |group: &[Draft]| {
        group.iter().any(|d| {
            reserved_bases.contains(&d.natural_code().base_code())
                || reserved_people.contains(&d.personal_key())
        })
    };

    let mut g = Generator::new(seed);
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        let room = count - out.len();
        let roll = g.rng.below(1000);
        let group = if room >= 2 && roll < HOMONYM_PER_MILLE {
            let size = if room >= 3 && g.rng.below(5) == 0 {
                3
            } else {
                2
            };
            g.homonyms(size)
        } else if room >= 2 && roll < HOMONYM_PER_MILLE + OMOCODIA_PER_MILLE {
            g.omocodia_pair()
        } else {
            vec![g.person()]
        };
        if reserved(&group) {
            continue;
        }
        for d in group {
            if let Some(cf) = assigned.assign(d.natural_code()) {
                out.push(row(d, cf));
            }
        }
    }
    out
}

/// The content of `reference/citizens.json`: the demo people, then `count`
/// synthetic people for `seed`, one entry per line. What
/// `combipat reference generate --seed 42 --count 20000` prints.
pub fn citizens_json(seed: u64, count: usize) -> String {
    let people = demo_citizens()
        .into_iter()
        .chain(generate_citizens(seed, count));
    let entries: Vec<String> = people
        .map(|c| format!("    {}", serde_json::to_string(&c).expect("serialisable")))
        .collect();
    let description = format!(
        "Synthetic people (not real persons): {} hand-picked demo people (reference/README.md), \
         then {count} generated with `combipat reference generate --seed {seed} --count {count}`.",
        demo_drafts().len()
    );
    format!(
        "{{\n  \"version\": \"synthetic-v{GENERATOR_VERSION}-seed-{seed}-count-{count}\",\n  \
         \"description\": {},\n  \"citizens\": [\n{}\n  ]\n}}\n",
        serde_json::to_string(&description).expect("serialisable"),
        entries.join(",\n")
    )
}

/// splitmix64 (Steele, Lea, Flood 2014): tiny, fast, good enough here.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`), by multiply-shift.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }
}

struct Generator {
    rng: SplitMix64,
    places: &'static [Place],
    place_weights: u64,
    /// Surnames that share their code with another one, grouped.
    surname_groups: Vec<Vec<&'static str>>,
    /// Same for names, by sex.
    name_groups: HashMap<(Sex, &'static str), Vec<&'static str>>,
}

fn surname_code(s: &str) -> String {
    let d = NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid");
    compose(s, "Mario", d, Sex::Male, "H501")
        .expect("valid surname")
        .as_str()[..3]
        .to_string()
}

fn name_code(n: &str) -> String {
    let d = NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid");
    compose("Rossi", n, d, Sex::Male, "H501")
        .expect("valid name")
        .as_str()[3..6]
        .to_string()
}

impl Generator {
    fn new(seed: u64) -> Self {
        let mut by_code: HashMap<String, Vec<&'static str>> = HashMap::new();
        for &s in SURNAMES {
            by_code.entry(surname_code(s)).or_default().push(s);
        }
        let mut surname_groups: Vec<Vec<&'static str>> =
            by_code.into_values().filter(|g| g.len() > 1).collect();
        surname_groups.sort();
        let mut name_groups = HashMap::new();
        for (sex, list) in [(Sex::Male, MALE_NAMES), (Sex::Female, FEMALE_NAMES)] {
            for &n in list {
                let code = name_code(n);
                let group: Vec<&'static str> = list
                    .iter()
                    .copied()
                    .filter(|m| name_code(m) == code)
                    .collect();
                name_groups.insert((sex, n), group);
            }
        }
        let places = places();
        Self {
            rng: SplitMix64(seed),
            places,
            place_weights: places.iter().map(|p| u64::from(p.weight)).sum(),
            surname_groups,
            name_groups,
        }
    }

    fn surname(&mut self) -> &'static str {
        // A third of the people get one of the ten most common surnames.
        if self.rng.below(3) == 0 {
            SURNAMES[self.rng.index(10)]
        } else {
            SURNAMES[self.rng.index(SURNAMES.len())]
        }
    }

    fn sex_and_name(&mut self) -> (Sex, &'static str) {
        if self.rng.below(2) == 0 {
            (Sex::Male, MALE_NAMES[self.rng.index(MALE_NAMES.len())])
        } else {
            (
                Sex::Female,
                FEMALE_NAMES[self.rng.index(FEMALE_NAMES.len())],
            )
        }
    }

    fn birth_date(&mut self) -> NaiveDate {
        let year = 1935 + self.rng.below(72) as i32;
        let days = NaiveDate::from_ymd_opt(year, 12, 31)
            .expect("valid")
            .ordinal();
        NaiveDate::from_yo_opt(year, 1 + self.rng.below(u64::from(days)) as u32).expect("valid")
    }

    fn place(&mut self) -> &'static Place {
        let places = self.places;
        let mut pick = self.rng.below(self.place_weights);
        for p in places {
            let w = u64::from(p.weight);
            if pick < w {
                return p;
            }
            pick -= w;
        }
        &places[0]
    }

    fn cap_in(&mut self, p: &Place) -> String {
        p.caps[self.rng.index(p.caps.len())].clone()
    }

    /// Mostly living where they were born; otherwise anywhere.
    fn residence_cap(&mut self, born: Option<&'static Place>) -> String {
        match born {
            Some(p) if self.rng.below(4) != 0 => self.cap_in(p),
            _ => {
                let p = self.place();
                self.cap_in(p)
            }
        }
    }

    fn person(&mut self) -> Draft {
        let surname = self.surname();
        let (sex, name) = self.sex_and_name();
        let birth_date = self.birth_date();
        if self.rng.below(1000) < FOREIGN_PER_MILLE {
            let (code, state) = FOREIGN[self.rng.index(FOREIGN.len())];
            let cap = self.residence_cap(None);
            return Draft {
                surname,
                name,
                sex,
                birth_date,
                place_code: code,
                place_name: state,
                cap,
            };
        }
        let place = self.place();
        let cap = self.residence_cap(Some(place));
        Draft {
            surname,
            name,
            sex,
            birth_date,
            place_code: &place.cadastral_code,
            place_name: &place.name,
            cap,
        }
    }

    /// `size` people with the same surname, name and birth date, each born
    /// somewhere else.
    fn homonyms(&mut self, size: usize) -> Vec<Draft> {
        let first = self.person();
        let mut places = vec![first.place_code];
        let mut group = vec![first.clone()];
        while group.len() < size {
            let p = self.place();
            if places.contains(&p.cadastral_code.as_str()) {
                continue;
            }
            places.push(&p.cadastral_code);
            let cap = self.residence_cap(Some(p));
            group.push(Draft {
                place_code: &p.cadastral_code,
                place_name: &p.name,
                cap,
                ..first.clone()
            });
        }
        group
    }

    /// Two people born the same day in the same place whose surnames (and
    /// maybe names) differ but give the same code.
    fn omocodia_pair(&mut self) -> Vec<Draft> {
        let mut first = self.person();
        let group = &self.surname_groups[self.rng.index(self.surname_groups.len())];
        let a = self.rng.index(group.len());
        let b = (a + 1 + self.rng.index(group.len() - 1)) % group.len();
        let (surname_a, surname_b) = (group[a], group[b]);
        first.surname = surname_a;
        let names = self.name_groups[&(first.sex, first.name)].clone();
        let other_name = names[self.rng.index(names.len())];
        let born = self
            .places
            .iter()
            .find(|p| p.cadastral_code == first.place_code);
        let cap = self.residence_cap(born);
        let second = Draft {
            surname: surname_b,
            name: other_name,
            cap,
            ..first.clone()
        };
        vec![first, second]
    }
}
