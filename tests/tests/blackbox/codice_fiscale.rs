//! `validateCodiceFiscale` over HTTP, and the line format of `combipat cf check`.

use api::routes::codice_fiscale::{cf_check_line, cf_check_stream};
use combipat_tests::{who, TestApp};
use domain::codice_fiscale::CodiceFiscale;
use serde_json::Value;
use sqlx::PgPool;

async fn check(app: &TestApp, token: &str, code: &str) -> Value {
    let answer = app
        .get(token, &format!("/api/v1/codice-fiscale/{code}"))
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    answer.body
}

/// A structurally valid code with this place of birth (check character computed).
fn with_place(first11: &str, place: &str) -> String {
    let first15 = format!("{first11}{place}");
    format!("{first15}{}", CodiceFiscale::check_char(&first15).unwrap())
}

#[sqlx::test(migrations = "../migrations")]
async fn valid_and_invalid_codes_are_both_answered(pool: PgPool) {
    let app = TestApp::spawn_with(pool, Default::default(), false).await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let known_places = app.scalar("SELECT count(*) FROM ref_municipalities").await > 0;

    // A valid code, decoded.
    let mario = check(&app, &op, "RSSMRA60E12H501E").await;
    assert_eq!(mario["code"], "RSSMRA60E12H501E");
    assert_eq!(mario["normalized"], "RSSMRA60E12H501E");
    assert_eq!(mario["valid"], true);
    assert_eq!(mario["error_code"], Value::Null);
    assert_eq!(mario["message"], Value::Null);
    assert_eq!(mario["omocode"], false);
    assert_eq!(mario["base_code"], "RSSMRA60E12H501E");
    assert_eq!(mario["sex"], "male");
    assert_eq!(mario["birth_date"], "1960-05-12");
    assert_eq!(mario["place_code"], "H501");
    if known_places {
        assert_eq!(mario["place_name"], "Roma");
        assert_eq!(mario["place_province"], "RM");
    }

    // Case and spaces are normalised; the code is echoed as given.
    let spaced = check(&app, &op, "rssmra%2060e12%20h501e").await;
    assert_eq!(spaced["code"], "rssmra 60e12 h501e");
    assert_eq!(spaced["normalized"], "RSSMRA60E12H501E");
    assert_eq!(spaced["valid"], true);

    // Omocodia: valid, with the base code the registry looks up.
    let russo = check(&app, &op, "RSSGPP75C08H50MQ").await;
    assert_eq!(russo["valid"], true);
    assert_eq!(russo["omocode"], true);
    assert_eq!(russo["base_code"], "RSSGPP75C08H501Y");
    assert_eq!(russo["place_code"], "H501");
    assert_eq!(russo["birth_date"], "1975-03-08");

    // A woman (day + 40) born in Milano.
    let francesca = check(&app, &op, "CLMFNC81L70F205M").await;
    assert_eq!(francesca["sex"], "female");
    assert_eq!(francesca["birth_date"], "1981-07-30");
    if known_places {
        assert_eq!(francesca["place_name"], "Milano");
    }

    // Born abroad (Z…): valid, the place is unknown to the municipality list.
    let andrei = check(&app, &op, "PPSNDR85R04Z129A").await;
    assert_eq!(andrei["valid"], true);
    assert_eq!(andrei["place_code"], "Z129");
    assert_eq!(andrei["place_name"], Value::Null);
    // A well-formed place code that is no municipality (e.g. a suppressed one).
    let suppressed = with_place("RSSMRA60E12", "M999");
    let unknown = check(&app, &op, &suppressed).await;
    assert_eq!(unknown["valid"], true);
    assert_eq!(unknown["place_code"], "M999");
    assert_eq!(unknown["place_name"], Value::Null);

    // 30 February passes the structural check; the date does not exist.
    let february = check(&app, &op, &with_place("RSSMRA60B30", "H501")).await;
    assert_eq!(february["valid"], true);
    assert_eq!(february["birth_date"], Value::Null);

    // Invalid codes: a normal answer with the error code and message.
    for (code, error) in [
        ("RSSMRA60E12H501X", "cf_invalid_check_char"),
        ("RSSMRA60E12H501", "cf_wrong_length"),
        ("RSSMRA60Z12H501E", "cf_invalid_month"),
        ("RSSMRA60E35H501E", "cf_invalid_day"),
        ("R5SMRA60E12H501E", "cf_invalid_surname_name"),
        ("RSSMRA60E12H000E", "cf_invalid_place"),
        ("RSSMRA6AE12H501E", "cf_invalid_omocodia"),
        ("RSSMRA60E12H50!E", "cf_invalid_characters"),
        ("%20%20", "cf_empty"),
    ] {
        let answer = check(&app, &op, code).await;
        assert_eq!(answer["valid"], false, "{code}: {answer}");
        assert_eq!(answer["error_code"], error, "{code}: {answer}");
        assert!(
            answer["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{answer}"
        );
        for field in [
            "omocode",
            "base_code",
            "sex",
            "birth_date",
            "place_code",
            "place_name",
        ] {
            assert_eq!(answer[field], Value::Null, "{code}: {field}");
        }
    }

    // Any authenticated user may check; nobody else.
    let officer = app.officer("uff.bianchi", "3201");
    assert_eq!(
        check(&app, &officer, "RSSMRA60E12H501E").await["valid"],
        true
    );
    let anonymous = app
        .send(
            reqwest::Method::GET,
            None,
            "/api/v1/codice-fiscale/RSSMRA60E12H501E",
            None,
            &[],
        )
        .await;
    assert_eq!(anonymous.status, 401, "{anonymous:?}");
    app.stop().await;
}

/// The HTTP answer and `combipat cf check` agree on the shipped citizens'
/// codes and on a corrupted copy of each.
#[sqlx::test(migrations = "../migrations")]
async fn http_and_cli_agree(pool: PgPool) {
    let app = TestApp::spawn_with(pool, Default::default(), false).await;
    let op = app.operator("op.rossi", who::PATRONATO, who::OFFICE);
    let codes: Vec<String> = sqlx::query_scalar(
        "SELECT codice_fiscale FROM ref_citizens ORDER BY codice_fiscale LIMIT 150",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(codes.len(), 150);
    for code in codes {
        // Swap two characters: usually invalid (check character, month, …).
        let mut corrupted: Vec<char> = code.chars().collect();
        corrupted.swap(8, 12);
        let corrupted: String = corrupted.into_iter().collect();
        for c in [code, corrupted] {
            let answer = check(&app, &op, &c).await;
            let line = cf_check_line(&c);
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields[0], c);
            let valid = fields[1] == "valid";
            assert_eq!(answer["valid"], valid, "{c}");
            let expected = if valid { Value::Null } else { fields[2].into() };
            assert_eq!(answer["error_code"], expected, "{c}");
        }
    }
    app.stop().await;
}

/// `combipat cf check` prints `code<TAB>valid|invalid<TAB>error-code`, the
/// code as read (line terminators removed), an empty error code when valid.
#[test]
fn cf_check_prints_code_validity_and_error_code() {
    assert_eq!(
        cf_check_line("RSSMRA60E12H501E"),
        "RSSMRA60E12H501E\tvalid\t"
    );
    assert_eq!(
        cf_check_line("RSSGPP75C08H50MQ\r\n"),
        "RSSGPP75C08H50MQ\tvalid\t"
    );
    assert_eq!(
        cf_check_line("rssmra60e12h501e"),
        "rssmra60e12h501e\tvalid\t"
    );
    assert_eq!(
        cf_check_line("RSSMRA60E12H501X"),
        "RSSMRA60E12H501X\tinvalid\tcf_invalid_check_char"
    );
    assert_eq!(
        cf_check_line("RSSMRA60E12H501"),
        "RSSMRA60E12H501\tinvalid\tcf_wrong_length"
    );
    assert_eq!(cf_check_line(""), "\tinvalid\tcf_empty");
    assert_eq!(
        cf_check_line("RSSMRA60E12H50ÉE"),
        "RSSMRA60E12H50ÉE\tinvalid\tcf_invalid_characters"
    );
    for line in ["RSSMRA60E12H501E", "x", "", "RSS MRA"] {
        let out = cf_check_line(line);
        assert_eq!(out.split('\t').count(), 3, "{out:?}");
        assert!(!out.contains('\n'));
    }
}

/// The whole of `combipat cf check`: one output line per input line, in order,
/// CRLF or LF, the last line with or without its terminator; a line that is
/// not UTF-8 is answered as invalid and does not stop the lines after it.
#[test]
fn cf_check_answers_every_line_even_after_bytes_that_are_not_utf8() {
    let input: &[u8] =
        b"RSSMRA60E12H501E\r\nRSSMRA60E12H50\xC9E\n\nRSSGPP75C08H50MQ\nRSSMRA60E12H501X";
    let mut out = Vec::new();
    cf_check_stream(input, &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5, "{out:?}");
    assert_eq!(lines[0], "RSSMRA60E12H501E\tvalid\t");
    let fields: Vec<&str> = lines[1].split('\t').collect();
    assert_eq!(fields.len(), 3, "{out:?}");
    assert_eq!(fields[1..], ["invalid", "cf_invalid_characters"], "{out:?}");
    assert_eq!(lines[2], "\tinvalid\tcf_empty");
    assert_eq!(lines[3], "RSSGPP75C08H50MQ\tvalid\t");
    assert_eq!(lines[4], "RSSMRA60E12H501X\tinvalid\tcf_invalid_check_char");
    assert!(out.ends_with('\n'));
}
