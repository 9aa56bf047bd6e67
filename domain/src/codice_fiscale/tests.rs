use super::compose::*;
use super::*;
use proptest::prelude::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
}

/// A 16-character code from a 15-character draft and its computed check.
fn draft(first15: &str) -> String {
    let check = CodiceFiscale::check_char(first15).expect("valid draft");
    format!("{first15}{check}")
}

fn err(raw: &str) -> CfError {
    CodiceFiscale::parse(raw).expect_err(raw)
}

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

// --- known examples ----------------------------------------------------

#[test]
fn famous_example_parses_and_composes() {
    let cf = CodiceFiscale::parse("RSSMRA85T10A562S").unwrap();
    assert_eq!(cf.as_str(), "RSSMRA85T10A562S");
    assert_eq!(cf.sex(), Sex::Male);
    assert_eq!(cf.birth_day_of_month(), 10);
    assert_eq!(cf.birth_month(), 12);
    assert_eq!(cf.birth_year_two_digits(), 85);
    assert_eq!(cf.birth_date(2025), Some(date(1985, 12, 10)));
    assert_eq!(cf.place_code(), "A562");
    assert!(!cf.is_omocode());
    assert_eq!(cf.base_code(), cf.as_str());
    assert_eq!(
        compose("Rossi", "Mario", date(1985, 12, 10), Sex::Male, "A562").unwrap(),
        cf
    );
}

#[test]
fn textbook_example_matteo_moretti() {
    // The worked example of the Italian literature: Matteo Moretti, born
    // in Milano (F205) on 9 April 1925.
    let cf = compose("Moretti", "Matteo", date(1925, 4, 9), Sex::Male, "F205").unwrap();
    assert_eq!(cf.as_str(), "MRTMTT25D09F205Z");
    // The two digits alone are ambiguous: the pivot decides the century.
    assert_eq!(cf.birth_date(2024), Some(date(1925, 4, 9)));
    assert_eq!(cf.birth_date(2025), Some(date(2025, 4, 9)));
}

#[test]
fn women_have_day_plus_40() {
    let cf = compose("Rossi", "Maria", date(1985, 12, 10), Sex::Female, "H501").unwrap();
    assert_eq!(&cf.as_str()[9..11], "50");
    assert_eq!(cf.sex(), Sex::Female);
    assert_eq!(cf.birth_day_of_month(), 10);
    assert_eq!(cf.birth_date(2025), Some(date(1985, 12, 10)));
    assert_eq!(cf.place_code(), "H501");
    let first = compose("Bianchi", "Anna", date(2001, 1, 1), Sex::Female, "F205").unwrap();
    assert_eq!(&first.as_str()[9..11], "41");
    let last = compose("Bianchi", "Anna", date(2001, 1, 31), Sex::Female, "F205").unwrap();
    assert_eq!(&last.as_str()[9..11], "71");
}

#[test]
fn surname_and_name_rules() {
    assert_eq!(surname_code(b"ROSSI"), *b"RSS");
    assert_eq!(surname_code(b"FO"), *b"FOX");
    assert_eq!(surname_code(b"AIA"), *b"AIA");
    assert_eq!(surname_code(b"EA"), *b"EAX");
    assert_eq!(surname_code(b"BIANCHI"), *b"BNC");
    assert_eq!(surname_code(b"DELUCA"), *b"DLC");
    assert_eq!(name_code(b"GIANFRANCO"), *b"GFR"); // G N F R N C: 1st, 3rd, 4th
    assert_eq!(name_code(b"MARIO"), *b"MRA");
    assert_eq!(name_code(b"ALESSANDRO"), *b"LSN"); // L S S N D R: 1st, 3rd, 4th
    assert_eq!(name_code(b"LUCA"), *b"LCU");
    assert_eq!(name_code(b"BO"), *b"BOX");
    let cf = compose(
        "D'Àngelo",
        "Niccolò  Maria",
        date(1970, 7, 4),
        Sex::Male,
        " h501 ",
    )
    .unwrap();
    // Surname consonants D N G L; name consonants N C C L M R: 1st, 3rd, 4th.
    assert_eq!(&cf.as_str()[..6], "DNGNCL");
    assert_eq!(cf.place_code(), "H501");
}

#[test]
fn compose_errors() {
    let d = date(1990, 1, 1);
    let e = compose(" ' ", "Mario", d, Sex::Male, "H501").unwrap_err();
    assert_eq!(
        e,
        CfError::NameWithoutLetters {
            field: NameField::Surname
        }
    );
    assert_eq!(e.code(), "cf_name_without_letters");
    let e = compose("Rossi", "Mar1o", d, Sex::Male, "H501").unwrap_err();
    assert_eq!(
        e,
        CfError::NameInvalidCharacter {
            field: NameField::Name,
            character: '1'
        }
    );
    assert_eq!(e.code(), "cf_name_invalid_character");
    assert_eq!(
        e.to_string(),
        "Il nome contiene un carattere non ammesso: '1'"
    );
    for bad in ["H000", "5501", "H50", "H5011", "HM01", "", "Ĥ501"] {
        let e = compose("Rossi", "Mario", d, Sex::Male, bad).unwrap_err();
        assert_eq!(e.code(), "cf_invalid_place", "{bad}");
    }
}

// --- normalisation -----------------------------------------------------

#[test]
fn lower_case_and_spaces_are_normalised() {
    for raw in [
        "rssmra85t10a562s",
        "  RSSMRA85T10A562S\n",
        "RSS MRA 85T10 A562 S",
        "rss\tmra85t10a562S",
        "\u{a0}RSSMRA85T10A562S\u{3000}",
    ] {
        assert_eq!(
            CodiceFiscale::parse(raw).unwrap().as_str(),
            "RSSMRA85T10A562S",
            "{raw:?}"
        );
    }
}

// --- every error variant -------------------------------------------------

#[test]
fn empty() {
    assert_eq!(err(""), CfError::Empty);
    assert_eq!(err(" \t\n "), CfError::Empty);
    assert_eq!(CfError::Empty.code(), "cf_empty");
}

#[test]
fn invalid_characters() {
    assert_eq!(
        err("RSSMRA85T10A562-"),
        CfError::InvalidCharacters {
            character: '-',
            position: 16
        }
    );
    assert_eq!(
        err("RSS MRà85T10A562S"),
        CfError::InvalidCharacters {
            character: 'à',
            position: 6
        }
    );
    assert_eq!(err("🦀").code(), "cf_invalid_characters");
    // Characters whose Unicode case mapping is ASCII are still rejected.
    assert_eq!(err("ſſſſſſ85T10A562S").code(), "cf_invalid_characters");
    assert_eq!(
        err("RSSMRA85T10A562\u{212A}").code(),
        "cf_invalid_characters"
    );
    assert_eq!(err("ＲSSMRA85T10A562S").code(), "cf_invalid_characters");
}

#[test]
fn wrong_length() {
    assert_eq!(
        err("RSSMRA85T10A562"),
        CfError::WrongLength {
            expected: 16,
            found: 15
        }
    );
    assert_eq!(err("RSSMRA85T10A562SS").code(), "cf_wrong_length");
    assert_eq!(err("A").code(), "cf_wrong_length");
}

#[test]
fn invalid_surname_name() {
    assert_eq!(
        err("RSSMR185T10A562S"),
        CfError::InvalidSurnameName {
            position: 6,
            found: '1'
        }
    );
    assert_eq!(err("0SSMRA85T10A562S").code(), "cf_invalid_surname_name");
}

#[test]
fn invalid_month() {
    assert_eq!(
        err("RSSMRA85F10A562S"),
        CfError::InvalidMonth { found: 'F' }
    );
    assert_eq!(err("RSSMRA85110A562S").code(), "cf_invalid_month");
}

#[test]
fn invalid_day() {
    for (day, raw) in [
        (0, "RSSMRA85T00A562S"),
        (32, "RSSMRA85T32A562S"),
        (40, "RSSMRA85T40A562S"),
        (72, "RSSMRA85T72A562S"),
        (99, "RSSMRA85TVVA562S"),
    ] {
        assert_eq!(err(raw), CfError::InvalidDay { day }, "{raw}");
    }
    assert_eq!(err("RSSMRA85T00A562S").code(), "cf_invalid_day");
    // Boundaries are accepted (with a correct check character).
    for first15 in [
        "RSSMRA85T01A562",
        "RSSMRA85T31A562",
        "RSSMRA85T41A562",
        "RSSMRA85T71A562",
    ] {
        assert!(CodiceFiscale::parse(&draft(first15)).is_ok(), "{first15}");
    }
}

#[test]
fn invalid_place() {
    assert_eq!(
        err(&draft("RSSMRA85T10A000")),
        CfError::InvalidPlace {
            found: "A000".into()
        }
    );
    // "LLL" is "000" written with omocodia letters.
    assert_eq!(err(&draft("RSSMRA85T10ALLL")).code(), "cf_invalid_place");
    assert_eq!(err(&draft("RSSMRA85T101562")).code(), "cf_invalid_place");
}

#[test]
fn invalid_check_char() {
    assert_eq!(
        err("RSSMRA85T10A562T"),
        CfError::InvalidCheckChar {
            found: 'T',
            expected: 'S'
        }
    );
    assert_eq!(err("RSSMRA85T10A5623").code(), "cf_invalid_check_char");
    assert_eq!(
        err("RSSMRA85T10A562T").to_string(),
        "Il carattere di controllo del codice fiscale non è corretto"
    );
}

#[test]
fn invalid_omocodia() {
    assert_eq!(
        err("RSSMRA8AT10A562S"),
        CfError::InvalidOmocodia {
            position: 8,
            found: 'A'
        }
    );
    assert_eq!(err("RSSMRA85TK0A562S").code(), "cf_invalid_omocodia");
    assert_eq!(err("RSSMRA85T10A56ZS").code(), "cf_invalid_omocodia");
}

#[test]
fn structural_errors_take_precedence_over_the_check_char() {
    // Wrong check char AND a wrong day: the day is reported.
    assert_eq!(err("RSSMRA85T00A562A").code(), "cf_invalid_day");
}

#[test]
fn error_codes_are_distinct() {
    let all = [
        CfError::Empty,
        CfError::InvalidCharacters {
            character: '-',
            position: 1,
        },
        CfError::WrongLength {
            expected: 16,
            found: 1,
        },
        CfError::InvalidSurnameName {
            position: 1,
            found: '1',
        },
        CfError::InvalidMonth { found: 'F' },
        CfError::InvalidDay { day: 0 },
        CfError::InvalidPlace {
            found: "A000".into(),
        },
        CfError::InvalidCheckChar {
            found: 'A',
            expected: 'B',
        },
        CfError::InvalidOmocodia {
            position: 7,
            found: 'A',
        },
        CfError::NameWithoutLetters {
            field: NameField::Surname,
        },
        CfError::NameInvalidCharacter {
            field: NameField::Name,
            character: '1',
        },
    ];
    let mut codes: Vec<&str> = all.iter().map(CfError::code).collect();
    assert!(codes.iter().all(|c| c.starts_with("cf_")));
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), all.len());
    assert!(all.iter().all(|e| !e.to_string().is_empty()));
}

// --- dates ---------------------------------------------------------------

#[test]
fn day_is_structural_and_birth_date_checks_the_calendar() {
    let feb30 = CodiceFiscale::parse(&draft("RSSMRA85B30A562")).unwrap();
    assert_eq!(feb30.birth_day_of_month(), 30);
    assert_eq!(feb30.birth_month(), 2);
    assert_eq!(feb30.birth_date(2025), None);

    let leap = CodiceFiscale::parse(&draft("RSSMRA00B29A562")).unwrap();
    assert_eq!(leap.birth_date(2024), Some(date(2000, 2, 29)));
    assert_eq!(leap.birth_date(1999), None); // 1900 is not a leap year
}

#[test]
fn birth_date_century_follows_the_pivot() {
    let cf = CodiceFiscale::parse("RSSMRA85T10A562S").unwrap();
    assert_eq!(cf.birth_date(1985), Some(date(1985, 12, 10)));
    assert_eq!(cf.birth_date(1984), Some(date(1885, 12, 10)));
    assert_eq!(cf.birth_date(2084), Some(date(1985, 12, 10)));
    assert_eq!(cf.birth_date(2085), Some(date(2085, 12, 10)));
    assert_eq!(cf.birth_date(i32::MIN), None);
    assert_eq!(cf.birth_date(i32::MAX), None);
    assert_eq!(cf.birth_date(-15), Some(date(-15, 12, 10)));
}

// --- omocodia --------------------------------------------------------------

#[test]
fn omocodia_variants_are_progressive_and_valid() {
    let cf = CodiceFiscale::parse("RSSMRA85T10A562S").unwrap();
    let variants = cf.omocodia_variants();
    assert_eq!(variants.len(), 7);
    let firsts: Vec<&str> = variants.iter().map(|v| &v.as_str()[..15]).collect();
    assert_eq!(
        firsts,
        [
            "RSSMRA85T10A56N",
            "RSSMRA85T10A5SN",
            "RSSMRA85T10ARSN",
            "RSSMRA85T1LARSN",
            "RSSMRA85TMLARSN",
            "RSSMRA8RTMLARSN",
            "RSSMRAURTMLARSN",
        ]
    );
    for v in &variants {
        let reparsed = CodiceFiscale::parse(v.as_str()).unwrap();
        assert_eq!(&reparsed, v);
        assert!(v.is_omocode());
        assert_eq!(v.base_code(), cf.as_str());
        assert_eq!(v.birth_date(2025), cf.birth_date(2025));
        assert_eq!(v.sex(), cf.sex());
        assert_eq!(v.place_code(), "A562");
        assert_ne!(v, &cf);
        // Variants of a variant are the same list.
        assert_eq!(v.omocodia_variants(), variants);
    }
}

#[test]
fn non_progressive_omocodia_is_accepted() {
    // Only position 7 replaced (8 → U): not a progressive variant.
    let cf = CodiceFiscale::parse(&draft("RSSMRAU5T10A562")).unwrap();
    assert!(cf.is_omocode());
    assert_eq!(cf.base_code(), "RSSMRA85T10A562S");
    assert_eq!(cf.birth_year_two_digits(), 85);
    assert!(!cf.omocodia_variants().contains(&cf));
}

#[test]
fn mutated_check_char_is_rejected() {
    let cf = CodiceFiscale::parse("RSSMRA85T10A562S").unwrap();
    let variant = &cf.omocodia_variants()[2];
    for code in [cf.as_str(), variant.as_str()] {
        for &c in ALPHABET.iter().filter(|&&c| c != code.as_bytes()[15]) {
            let mutated = format!("{}{}", &code[..15], c as char);
            assert_eq!(err(&mutated).code(), "cf_invalid_check_char", "{mutated}");
        }
    }
}

#[test]
fn every_single_substitution_is_rejected_exhaustively() {
    let cf = CodiceFiscale::parse("RSSMRA85T10A562S").unwrap();
    let mut codes = vec![cf.clone()];
    codes.extend(cf.omocodia_variants());
    for code in &codes {
        for pos in 0..CF_LENGTH {
            for &c in ALPHABET
                .iter()
                .filter(|&&c| c != code.as_str().as_bytes()[pos])
            {
                let mut bytes = code.as_str().as_bytes().to_vec();
                bytes[pos] = c;
                let mutated = String::from_utf8(bytes).unwrap();
                assert!(CodiceFiscale::parse(&mutated).is_err(), "{mutated}");
            }
        }
    }
}

#[test]
fn check_char_contract() {
    assert_eq!(CodiceFiscale::check_char("RSSMRA85T10A562"), Ok('S'));
    assert_eq!(CodiceFiscale::check_char("rssmra85t10a562"), Ok('S'));
    assert_eq!(
        CodiceFiscale::check_char("RSSMRA85T10A56"),
        Err(CfError::WrongLength {
            expected: 15,
            found: 14
        })
    );
    assert_eq!(
        CodiceFiscale::check_char("RSSMRA85T10A562S")
            .unwrap_err()
            .code(),
        "cf_wrong_length"
    );
    assert_eq!(
        CodiceFiscale::check_char("RSSMRA85T10A56 2")
            .unwrap_err()
            .code(),
        "cf_invalid_characters"
    );
    assert_eq!(
        CodiceFiscale::check_char("RSSMRA85T10A56é")
            .unwrap_err()
            .code(),
        "cf_invalid_characters"
    );
}

// --- traits ----------------------------------------------------------------

#[test]
fn serde_round_trip_as_string() {
    let cf = CodiceFiscale::parse("RSSMRA85T10A562S").unwrap();
    let json = serde_json::to_string(&cf).unwrap();
    assert_eq!(json, "\"RSSMRA85T10A562S\"");
    let back: CodiceFiscale = serde_json::from_str("\" rssmra85t10a562s \"").unwrap();
    assert_eq!(back, cf);
    assert!(serde_json::from_str::<CodiceFiscale>("\"RSSMRA85T10A562T\"").is_err());
    assert!(serde_json::from_str::<CodiceFiscale>("42").is_err());
    assert_eq!(serde_json::to_string(&Sex::Female).unwrap(), "\"female\"");
    assert_eq!(serde_json::from_str::<Sex>("\"male\"").unwrap(), Sex::Male);
}

#[test]
fn display_from_str_and_conversions() {
    let cf: CodiceFiscale = "rssmra85t10a562s".parse().unwrap();
    assert_eq!(cf.to_string(), "RSSMRA85T10A562S");
    assert_eq!(cf.as_ref(), "RSSMRA85T10A562S");
    assert_eq!(String::from(cf.clone()), "RSSMRA85T10A562S");
    assert_eq!(CodiceFiscale::try_from("RSSMRA85T10A562S"), Ok(cf));
}

#[test]
fn unicode_junk_never_panics() {
    let junk = [
        "🦀🦀🦀🦀🦀🦀🦀🦀🦀🦀🦀🦀🦀🦀🦀🦀",
        "ßßßßßßßßßßßßßßßß",
        "RSSMRA85T10A562\u{301}",
        "\u{200f}RSSMRA85T10A562S",
        "\u{0}",
        "ǅǅǅ",
        "İıİıİıİıİıİıİıİı",
        "ＲＳＳＭＲＡ８５Ｔ１０Ａ５６２Ｓ",
        "\u{feff}",
        "R\u{fffd}S",
    ];
    for raw in junk {
        assert!(CodiceFiscale::parse(raw).is_err(), "{raw:?}");
    }
}

// --- properties --------------------------------------------------------------

fn person_name() -> impl Strategy<Value = String> {
    "[A-Za-zàèéìòùÀÈÉÌÒÙçñ' -]{0,12}[A-Za-zàèéìòù][A-Za-zàèéìòù' ]{0,12}"
}

fn birth() -> impl Strategy<Value = NaiveDate> {
    (1800i32..2200, 1u32..=366).prop_map(|(y, d)| {
        NaiveDate::from_yo_opt(y, d)
            .or_else(|| NaiveDate::from_yo_opt(y, 365))
            .expect("day 365 exists every year")
    })
}

fn sex() -> impl Strategy<Value = Sex> {
    prop_oneof![Just(Sex::Male), Just(Sex::Female)]
}

fn place() -> impl Strategy<Value = String> {
    "[A-Z][0-9]{3}".prop_filter("000 is not a place", |p| &p[1..] != "000")
}

fn valid_code() -> impl Strategy<Value = CodiceFiscale> {
    (
        person_name(),
        person_name(),
        birth(),
        sex(),
        place(),
        0usize..8,
    )
        .prop_map(|(s, n, b, x, p, variant)| {
            let cf = compose(&s, &n, b, x, &p).expect("compose");
            if variant == 0 {
                cf
            } else {
                cf.omocodia_variants().swap_remove(variant - 1)
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// (1) compose() always yields a code that parses back to itself and
    /// carries the given birth data.
    #[test]
    fn composed_codes_parse(
        s in person_name(), n in person_name(), b in birth(), x in sex(), p in place()
    ) {
        let cf = compose(&s, &n, b, x, &p).unwrap();
        let parsed = CodiceFiscale::parse(cf.as_str()).unwrap();
        prop_assert_eq!(&parsed, &cf);
        prop_assert!(!cf.is_omocode());
        prop_assert_eq!(cf.sex(), x);
        prop_assert_eq!(cf.birth_date(b.year()), Some(b));
        prop_assert_eq!(cf.birth_year_two_digits() as i32, b.year().rem_euclid(100));
        prop_assert_eq!(cf.place_code(), p);
        prop_assert_eq!(cf.base_code(), cf.as_str());
    }

    /// (2) Every omocodia variant parses, is omocodic, and keeps base code,
    /// birth data, sex and place.
    #[test]
    fn omocodia_variants_keep_identity(cf in valid_code()) {
        let variants = cf.omocodia_variants();
        prop_assert_eq!(variants.len(), 7);
        for v in &variants {
            let parsed = CodiceFiscale::parse(v.as_str()).unwrap();
            prop_assert_eq!(&parsed, v);
            prop_assert!(v.is_omocode());
            prop_assert_eq!(v.base_code(), cf.base_code());
            prop_assert_eq!(v.birth_date(2100), cf.birth_date(2100));
            prop_assert_eq!(v.sex(), cf.sex());
            prop_assert_eq!(v.place_code(), cf.place_code());
        }
    }

    /// (3) Replacing any single character of a valid code by any other
    /// letter or digit is ALWAYS rejected. Why: in every position the
    /// admissible characters have pairwise distinct check values in
    /// 0..26 (digits and omocodia letters included: a digit and the letter
    /// standing for it are weighted differently because the check is
    /// computed on the code as written), so the sum modulo 26 changes;
    /// and changing position 16 changes the check character itself.
    #[test]
    fn single_substitution_is_always_detected(
        cf in valid_code(), pos in 0usize..CF_LENGTH, pick in 0usize..35
    ) {
        let original = cf.as_str().as_bytes()[pos];
        let replacements: Vec<u8> =
            ALPHABET.iter().copied().filter(|&c| c != original).collect();
        let mut bytes = cf.as_str().as_bytes().to_vec();
        bytes[pos] = replacements[pick];
        let mutated = String::from_utf8(bytes).unwrap();
        prop_assert!(CodiceFiscale::parse(&mutated).is_err(), "{}", mutated);
    }

    /// (4) parse never panics on arbitrary strings.
    #[test]
    fn parse_never_panics(raw in any::<String>()) {
        let _ = CodiceFiscale::parse(&raw);
        let _ = CodiceFiscale::check_char(&raw);
    }

    /// (4b) On 16 arbitrary letters/digits parse never panics, and whatever
    /// it accepts is self-consistent.
    #[test]
    fn parse_of_alphanumerics_is_consistent(raw in "[A-Za-z0-9]{16}") {
        if let Ok(cf) = CodiceFiscale::parse(&raw) {
            prop_assert_eq!(cf.as_str(), raw.to_ascii_uppercase());
            let base = CodiceFiscale::parse(&cf.base_code()).unwrap();
            prop_assert!(!base.is_omocode());
            prop_assert_eq!(base.place_code(), cf.place_code());
            prop_assert!((1..=31).contains(&cf.birth_day_of_month()));
            prop_assert!((1..=12).contains(&cf.birth_month()));
        }
    }

    /// compose() never panics on arbitrary text.
    #[test]
    fn compose_never_panics(s in any::<String>(), n in any::<String>(), p in any::<String>()) {
        let _ = compose(&s, &n, date(2000, 1, 1), Sex::Female, &p);
    }
}
