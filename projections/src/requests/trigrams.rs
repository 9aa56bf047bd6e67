//! The keys of the history's text search: the trigrams of a request's
//! searched text (`subject || ' ' || text`), computed here and stored in
//! `request_search.trigrams` under a plain GIN array index (migration 0013).
//!
//! A search for `needle` asks the index for the rows whose keys contain every
//! key of the needle, then tests `ILIKE '%needle%'` on those rows only. So the
//! keys must never miss a match: whenever PostgreSQL finds the needle in a
//! text, the needle's keys are among the text's. That holds because both
//! sides read characters the same way ([`key_char`]) and a needle's word is
//! padded only on a side where the needle itself shows the word's edge.
//!
//! Why not `pg_trgm`: PostgreSQL 15 builds its GIN index on one core, and
//! for each row `pg_trgm` lowercases the text through wide characters and
//! sorts every trigram with a comparison function: on 400,000 requests the
//! build took 49.6 s, against 10.8 s for the same trigrams as `smallint[]`
//! (decision A46). It bounded the rebuild of `requests`.
//!
//! The words are those of `pg_trgm`, with one difference: a word is a run of
//! ASCII letters and digits. Every other character separates words, which
//! keeps the key of a trigram in 16 bits and the lowercasing the same as
//! PostgreSQL's; an accented letter costs a search some selectivity, never a
//! match.

/// The trigrams of a request's searched text, sorted, each once.
pub fn of_text(text: &str) -> Vec<i16> {
    let mut keys = Vec::new();
    for word in words(text) {
        push_trigrams(&mut keys, &word.chars, true, true);
    }
    sorted(keys)
}

/// The trigrams that every text containing `needle` (as `ILIKE` finds it)
/// has, sorted, each once; empty when the needle has no run of three letters
/// or digits, nor a shorter word that it shows whole.
pub fn of_needle(needle: &str) -> Vec<i16> {
    let mut keys = Vec::new();
    for word in words(needle) {
        // A word touching an end of the needle may be part of a longer word
        // of the text: only an edge the needle shows gets its padding.
        push_trigrams(&mut keys, &word.chars, word.after_break, word.before_break);
    }
    sorted(keys)
}

/// A character as the keys read it: an ASCII letter (lowercased) or digit,
/// or `None` for a character that separates words.
///
/// `ILIKE` compares the texts after PostgreSQL's `lower()`, one character
/// for one, so two characters that `lower()` makes equal must read the same
/// here. Outside ASCII, a few characters lowercase into an ASCII letter
/// (KELVIN SIGN into `k`, `İ` into `i`): they read as that letter. The test
/// `lowercase_pairs_read_as_postgresql_lowers_them` checks every character
/// that PostgreSQL's `lower()` changes.
pub fn key_char(c: char) -> Option<u8> {
    if c.is_ascii() {
        return c
            .is_ascii_alphanumeric()
            .then(|| c.to_ascii_lowercase() as u8);
    }
    let lower = c.to_lowercase().next()?;
    lower.is_ascii_alphanumeric().then_some(lower as u8)
}

/// One word: its characters as [`key_char`] reads them, and whether a
/// separating character stands right before and right after it.
struct Word {
    chars: Vec<u8>,
    after_break: bool,
    before_break: bool,
}

fn words(text: &str) -> Vec<Word> {
    let mut words = Vec::new();
    let mut current: Option<Word> = None;
    let mut break_seen = false;
    for c in text.chars() {
        match key_char(c) {
            Some(k) => current
                .get_or_insert_with(|| Word {
                    chars: Vec::new(),
                    after_break: break_seen,
                    before_break: false,
                })
                .chars
                .push(k),
            None => {
                if let Some(mut word) = current.take() {
                    word.before_break = true;
                    words.push(word);
                }
                break_seen = true;
            }
        }
    }
    words.extend(current);
    words
}

/// The padding of a word's edge, as `pg_trgm` writes it: two blanks before,
/// one after.
const BLANK: u8 = b' ';

fn push_trigrams(keys: &mut Vec<i16>, word: &[u8], pad_start: bool, pad_end: bool) {
    let mut padded = Vec::with_capacity(word.len() + 3);
    if pad_start {
        padded.extend([BLANK, BLANK]);
    }
    padded.extend_from_slice(word);
    if pad_end {
        padded.push(BLANK);
    }
    keys.extend(padded.windows(3).map(|t| key(t[0], t[1], t[2])));
}

/// 37 symbols (blank, 10 digits, 26 letters): 37³ = 50,653 trigrams, one
/// `smallint` each.
fn key(a: u8, b: u8, c: u8) -> i16 {
    let code = (symbol(a) * 37 + symbol(b)) * 37 + symbol(c);
    (code + i32::from(i16::MIN)) as i16
}

fn symbol(c: u8) -> i32 {
    match c {
        BLANK => 0,
        b'0'..=b'9' => 1 + i32::from(c - b'0'),
        b'a'..=b'z' => 11 + i32::from(c - b'a'),
        _ => unreachable!("key_char reads only ASCII letters and digits"),
    }
}

fn sorted(mut keys: Vec<i16>) -> Vec<i16> {
    keys.sort_unstable();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn keys_of(trigrams: &[&str]) -> Vec<i16> {
        let mut keys: Vec<i16> = trigrams
            .iter()
            .map(|t| {
                let b = t.as_bytes();
                key(b[0], b[1], b[2])
            })
            .collect();
        keys.sort_unstable();
        keys
    }

    #[test]
    fn a_text_has_the_trigrams_of_each_word_padded_as_pg_trgm_pads_them() {
        assert_eq!(
            of_text("Il CUD"),
            keys_of(&["  i", " il", "il ", "  c", " cu", "cud", "ud "])
        );
        // Punctuation and accented letters separate words; a word repeated is
        // keyed once.
        assert_eq!(
            of_text("l'età, l'età"),
            keys_of(&["  l", " l ", "  e", " et", "et "])
        );
    }

    #[test]
    fn a_needle_pads_only_the_edges_it_shows() {
        // "stratto" may end "estratto"; "con" may begin "conto".
        assert_eq!(
            of_needle("stratto con"),
            keys_of(&["str", "tra", "rat", "att", "tto", "to ", "  c", " co", "con"])
        );
        assert_eq!(of_needle("di"), Vec::<i16>::new());
        assert_eq!(of_needle(" di "), keys_of(&["  d", " di", "di "]));
        assert_eq!(of_needle("a di b"), keys_of(&["  d", " di", "di ", "  b"]));
    }

    #[test]
    fn letters_outside_ascii_that_lowercase_into_ascii_read_as_that_letter() {
        assert_eq!(key_char('\u{212A}'), Some(b'k'));
        assert_eq!(key_char('\u{0130}'), Some(b'i'));
        assert_eq!(key_char('À'), None);
        assert_eq!(key_char('ß'), None);
        assert_eq!(of_text("\u{212A}ELVIN"), of_text("kelvin"));
    }

    #[test]
    fn every_trigram_has_its_own_key() {
        let symbols: Vec<u8> = std::iter::once(BLANK)
            .chain(b'0'..=b'9')
            .chain(b'a'..=b'z')
            .collect();
        let mut seen = std::collections::HashSet::new();
        for &a in &symbols {
            for &b in &symbols {
                for &c in &symbols {
                    assert!(seen.insert(key(a, b, c)), "{a} {b} {c}");
                }
            }
        }
        assert_eq!(seen.len(), 50_653);
    }

    /// Characters a search meets: ASCII in both cases, digits, blanks and
    /// punctuation, Italian accented letters, and the non-ASCII letters that
    /// lowercase into ASCII.
    fn text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                6 => proptest::char::range('a', 'z'),
                3 => proptest::char::range('A', 'Z'),
                1 => proptest::char::range('0', '9'),
                2 => Just(' '),
                1 => prop::sample::select(vec!['\'', ',', '.', '-', '/', '%', '_']),
                1 => prop::sample::select(vec!['à', 'è', 'é', 'ì', 'ò', 'ù', 'È', 'ß']),
                1 => prop::sample::select(vec!['\u{212A}', '\u{0130}']),
            ],
            0..80,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    /// What `ILIKE` compares for these characters: each lowercased alone
    /// (U+0130 lowercases into `i`, as PostgreSQL's `lower()` does).
    fn lowered(s: &str) -> Vec<char> {
        s.chars()
            .map(|c| c.to_lowercase().next().expect("one character at least"))
            .collect()
    }

    proptest! {
        #[test]
        fn a_needle_found_in_a_text_has_its_keys_among_the_texts(
            text in text(),
            from in 0usize..80,
            len in 0usize..40,
            upper in any::<bool>(),
        ) {
            let chars: Vec<char> = text.chars().collect();
            let from = from.min(chars.len());
            let to = (from + len).min(chars.len());
            let needle: String = chars[from..to]
                .iter()
                .map(|c| if upper { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
                .collect();
            let in_text = of_text(&text);
            for k in of_needle(&needle) {
                prop_assert!(in_text.binary_search(&k).is_ok(), "{needle:?} in {text:?}");
            }
        }

        #[test]
        fn a_needle_lowercased_as_postgresql_does_finds_the_same_keys(text in text()) {
            let lower: String = lowered(&text).into_iter().collect();
            prop_assert_eq!(of_text(&lower), of_text(&text));
            prop_assert_eq!(of_needle(&lower), of_needle(&text));
        }
    }
}
