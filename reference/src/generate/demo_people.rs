//! The hand-picked demo people of `citizens.json` (documented in
//! `reference/README.md`).

use super::*;

/// The hand-picked demo people, always at the start of `citizens.json`
/// (documented in `reference/README.md`; their practices are in
/// `practices.json`).
const DEMO_PEOPLE: &[DemoPerson] = &[
    // Mario Rossi and his homonym (born the same day, in Napoli).
    demo(
        "Rossi",
        "Mario",
        Sex::Male,
        (1960, 5, 12),
        "H501",
        "Roma",
        "00184",
    ),
    demo(
        "Rossi",
        "Mario",
        Sex::Male,
        (1960, 5, 12),
        "F839",
        "Napoli",
        "80127",
    ),
    // Omocodia: Rossi and Russo give the same surname code, so these two
    // would have the same code; the second gets the first variant.
    demo(
        "Rossi",
        "Giuseppe",
        Sex::Male,
        (1975, 3, 8),
        "H501",
        "Roma",
        "00144",
    ),
    demo(
        "Russo",
        "Giuseppe",
        Sex::Male,
        (1975, 3, 8),
        "H501",
        "Roma",
        "00162",
    ),
    // Practices: a protocollo, a pension with INCA's mandate, one without.
    demo(
        "Bianchi",
        "Anna",
        Sex::Female,
        (1952, 11, 23),
        "H501",
        "Roma",
        "00185",
    ),
    // ACLI's demo citizen in Milano.
    demo(
        "Colombo",
        "Francesca",
        Sex::Female,
        (1981, 7, 30),
        "F205",
        "Milano",
        "20121",
    ),
    // Apostrophe and accent in the names; born in Palermo, lives in Roma.
    demo(
        "D'Angelo",
        "Nicolò",
        Sex::Male,
        (1990, 2, 28),
        "G273",
        "Palermo",
        "00153",
    ),
    demo(
        "Esposito",
        "Rosa",
        Sex::Female,
        (1948, 9, 15),
        "F839",
        "Napoli",
        "80126",
    ),
    // Born abroad.
    demo(
        "Popescu",
        "Andrei",
        Sex::Male,
        (1985, 10, 4),
        "Z129",
        "Romania",
        "00172",
    ),
];

struct DemoPerson {
    surname: &'static str,
    name: &'static str,
    sex: Sex,
    birth: (i32, u32, u32),
    place_code: &'static str,
    place_name: &'static str,
    cap: &'static str,
}

const fn demo(
    surname: &'static str,
    name: &'static str,
    sex: Sex,
    birth: (i32, u32, u32),
    place_code: &'static str,
    place_name: &'static str,
    cap: &'static str,
) -> DemoPerson {
    DemoPerson {
        surname,
        name,
        sex,
        birth,
        place_code,
        place_name,
        cap,
    }
}

pub(super) fn demo_drafts() -> Vec<Draft> {
    DEMO_PEOPLE
        .iter()
        .map(|p| Draft {
            surname: p.surname,
            name: p.name,
            sex: p.sex,
            birth_date: NaiveDate::from_ymd_opt(p.birth.0, p.birth.1, p.birth.2)
                .expect("valid demo date"),
            place_code: p.place_code,
            place_name: p.place_name,
            cap: p.cap.to_string(),
        })
        .collect()
}
