//! The generator's determinism and the population's shape.

use super::*;

#[test]
fn generation_is_deterministic_for_a_seed() {
    assert_eq!(generate_citizens(7, 500), generate_citizens(7, 500));
    assert_ne!(generate_citizens(7, 500), generate_citizens(8, 500));
    assert_eq!(citizens_json(42, 50), citizens_json(42, 50));
}

#[test]
fn every_generated_code_is_valid_unique_and_matches_the_person() {
    let people: Vec<CitizenRow> = demo_citizens()
        .into_iter()
        .chain(generate_citizens(42, 3000))
        .collect();
    assert_eq!(people.len(), demo_drafts().len() + 3000);
    let mut codes = HashSet::new();
    for p in &people {
        let cf = CodiceFiscale::parse(p.codice_fiscale.as_str()).expect("valid");
        assert!(codes.insert(cf.as_str().to_string()), "duplicate {cf}");
        let natural = compose(&p.surname, &p.name, p.birth_date, p.sex, &cf.place_code()).unwrap();
        assert_eq!(natural.as_str(), cf.base_code(), "{p:?}");
        assert_eq!(cf.sex(), p.sex);
        assert_eq!(cf.birth_date(2025), Some(p.birth_date));
    }
}

#[test]
fn population_has_homonyms_and_omocodia() {
    let people = generate_citizens(42, 2000);
    let mut by_person: HashMap<(String, String, NaiveDate), usize> = HashMap::new();
    let mut by_base: HashMap<String, usize> = HashMap::new();
    for p in &people {
        *by_person
            .entry((p.surname.clone(), p.name.clone(), p.birth_date))
            .or_default() += 1;
        *by_base.entry(p.codice_fiscale.base_code()).or_default() += 1;
    }
    let homonyms: usize = by_person.values().filter(|&&n| n > 1).sum();
    let omocodes: usize = by_base.values().filter(|&&n| n > 1).sum();
    assert!((8..=60).contains(&homonyms), "{homonyms} homonyms");
    assert!(
        (4..=40).contains(&omocodes),
        "{omocodes} in omocodia groups"
    );
    assert!(people.iter().any(|p| p.codice_fiscale.is_omocode()));
}

#[test]
fn demo_people_are_as_documented() {
    let demo = demo_citizens();
    assert_eq!(demo[0].codice_fiscale.as_str(), "RSSMRA60E12H501E");
    assert_ne!(demo[0].codice_fiscale, demo[1].codice_fiscale);
    assert!(!demo[2].codice_fiscale.is_omocode());
    assert!(demo[3].codice_fiscale.is_omocode());
    assert_eq!(
        demo[2].codice_fiscale.base_code(),
        demo[3].codice_fiscale.base_code()
    );
    assert_eq!(
        demo[3].codice_fiscale,
        demo[2].codice_fiscale.omocodia_variants()[0]
    );
    // No generated person disturbs the demo cases.
    let generated = generate_citizens(42, 2000);
    for d in &demo {
        assert!(generated.iter().all(|g| g.codice_fiscale.base_code()
            != d.codice_fiscale.base_code()
            && !(g.surname == d.surname && g.name == d.name && g.birth_date == d.birth_date)));
    }
}
