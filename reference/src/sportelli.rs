//! `reference/sportelli.json`, compiled in: the services of each counter
//! type ("Scegli il servizio richiesto", seed 002) and the provinces whose
//! sedi pilot the web meeting ("Nelle sedi di Napoli e Rovigo, e in altre
//! sedi del Veneto"). Also the street address given to a sede that
//! `sedi.json` leaves without one (deterministic, from its code).

use super::names::STREETS;
use domain::booking::{CounterOffer, RequestedService};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::OnceLock;

const SPORTELLI_JSON: &str = include_str!("../sportelli.json");

#[derive(Debug, Deserialize)]
struct SportelliFile {
    services: HashMap<String, Vec<ServiceEntry>>,
    web_meeting_pilot: Pilot,
}

#[derive(Debug, Deserialize)]
struct ServiceEntry {
    code: String,
    name: String,
}

#[derive(Debug, Deserialize)]
struct Pilot {
    provinces: Vec<String>,
}

fn file() -> &'static SportelliFile {
    static FILE: OnceLock<SportelliFile> = OnceLock::new();
    FILE.get_or_init(|| {
        serde_json::from_str(SPORTELLI_JSON).expect("reference/sportelli.json is valid")
    })
}

/// The services of a counter type, in the catalogue's order (empty when the
/// type has none listed).
pub fn services_of(counter_type: &str) -> Vec<RequestedService> {
    file()
        .services
        .get(counter_type)
        .map(|list| {
            list.iter()
                .map(|s| RequestedService {
                    code: s.code.clone(),
                    name: s.name.clone(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Does a sede of this province pilot the web meeting?
pub fn web_meeting_offered(province: Option<&str>) -> bool {
    province.is_some_and(|p| file().web_meeting_pilot.provinces.iter().any(|q| q == p))
}

/// What a counter of a sede offers the citizen confirming a booking.
pub fn counter_offer(counter_type: &str, province: Option<&str>) -> CounterOffer {
    CounterOffer {
        services: services_of(counter_type),
        web_meeting: web_meeting_offered(province),
    }
}

/// A street and number for a sede without an address, derived from its
/// code alone (FNV-1a): the same sede always gets the same address.
pub fn sede_address(code: &str, city: Option<&str>) -> String {
    let hash = code.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let street = STREETS[(hash % STREETS.len() as u64) as usize];
    let number = 1 + (hash >> 32) % 120;
    match city {
        Some(city) => format!("{street} {number}, {city}"),
        None => format!("{street} {number}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_services_are_in_the_catalogue() {
        let veloci: Vec<String> = services_of("servizi_veloci")
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert!(veloci.contains(&"Invio MAV".to_string()));
        assert!(services_of("nessuno").is_empty());
        for (counter, list) in &file().services {
            let mut codes: Vec<&str> = list.iter().map(|s| s.code.as_str()).collect();
            codes.sort_unstable();
            codes.dedup();
            assert_eq!(codes.len(), list.len(), "{counter}: duplicate service code");
        }
    }

    #[test]
    fn web_meeting_at_napoli_and_in_veneto_only() {
        assert!(web_meeting_offered(Some("NA")));
        assert!(web_meeting_offered(Some("RO")));
        assert!(!web_meeting_offered(Some("RM")));
        assert!(!web_meeting_offered(None));
    }

    #[test]
    fn a_sede_address_is_stable_and_real_looking() {
        let a = sede_address("3231", Some("Roma"));
        assert_eq!(a, sede_address("3231", Some("Roma")));
        assert!(a.ends_with(", Roma"), "{a}");
        assert!(
            a.starts_with("Via")
                || a.starts_with("Corso")
                || a.starts_with("Piazza")
                || a.starts_with("Viale"),
            "{a}"
        );
        assert_ne!(sede_address("3231", None), sede_address("3232", None));
    }
}
