//! The history's search keys (`projections/src/requests/trigrams.rs`) against
//! PostgreSQL itself: its `lower()`, which `ILIKE` compares through, and the
//! reference function of migration 0013, which keyed the requests sent
//! before it.

use projections::requests::trigrams::{key_char, of_text};
use sqlx::PgPool;

/// Every character that PostgreSQL's `lower()` changes reads as its
/// lowercase does: a needle's character and the text's character that
/// `ILIKE` takes as equal are the same letter or digit for the keys, or both
/// separate words. Otherwise a search would miss texts that it finds today.
#[sqlx::test(migrations = "../migrations")]
async fn lowercase_pairs_read_as_postgresql_lowers_them(pool: PgPool) {
    let pairs: Vec<(i32, String)> = sqlx::query_as(
        "SELECT n, lower(chr(n)) FROM generate_series(1, 1114111) AS n \
         WHERE n NOT BETWEEN 55296 AND 57343 AND lower(chr(n)) <> chr(n)",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    // Under a UTF-8 locale (C.UTF-8, as `make` creates its databases): more
    // than the 26 ASCII capitals; under C, just those.
    let ctype: String =
        sqlx::query_scalar("SELECT datctype FROM pg_database WHERE datname = current_database()")
            .fetch_one(&pool)
            .await
            .unwrap();
    if matches!(ctype.as_str(), "C" | "POSIX") {
        assert_eq!(pairs.len(), 26);
    } else {
        assert!(pairs.len() > 26, "{} characters lowercased", pairs.len());
    }
    let mut into_ascii = Vec::new();
    for (code, lower) in &pairs {
        let c = char::from_u32(*code as u32).unwrap();
        let mut chars = lower.chars();
        let l = chars.next().unwrap();
        assert_eq!(chars.next(), None, "lower() gives one character for one");
        assert_eq!(
            key_char(c),
            key_char(l),
            "U+{code:04X} lowercases into {l:?}"
        );
        if !c.is_ascii() && key_char(c).is_some() {
            into_ascii.push(c);
        }
    }
    // The ASCII capitals, and the few others that lowercase into ASCII.
    assert!(pairs.iter().any(|(n, l)| *n == 'Q' as i32 && l == "q"));
    assert!(into_ascii.len() <= 4, "{into_ascii:?}");
}

/// The migration's SQL function keys a text as the service does.
#[sqlx::test(migrations = "../migrations")]
async fn the_reference_function_keys_texts_as_the_service_does(pool: PgPool) {
    let texts = [
        "Requisiti e modalità di accesso ai servizi - NASpI Il cittadino chiede quali \
         requisiti contributivi servono per accedere alla prestazione dopo un contratto a termine.",
        "Si allega la documentazione reddituale aggiornata e si chiede di verificare l'ISEE utilizzato.",
        "Si segnala una possibile incongruenza nell'estratto conto per gli anni dal 1998 al 2003.",
        "PERCHÉ è già così: l'età, la città, 50% e 5_x \\ fine",
        "\u{212A}ELVIN e \u{0130}STANBUL, ǅemal, ΣΟΦΙΑ, straße",
        "a",
        "",
        "   ",
        "x1 y22 z333",
    ];
    for text in texts {
        let reference: Vec<i16> = sqlx::query_scalar("SELECT request_search_trigrams($1)")
            .bind(text)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(reference, of_text(text), "{text:?}");
    }
    // Not trivially equal: a text with words has keys.
    assert_eq!(of_text(texts[5]).len(), 2);
    assert!(of_text(texts[0]).len() > 100);
}
