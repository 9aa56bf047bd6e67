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
//! sorts every trigram with a comparison function: its build took several
//! times as long as one over the same trigrams as `smallint[]` (decision
//! A46). It bounded the rebuild of `requests`.
//!
//! The words are those of `pg_trgm`, with one difference: a word is a run of
//! ASCII letters and digits. Every other character separates words, which
//! keeps the key of a trigram in 16 bits and the lowercasing the same as
//! PostgreSQL's; an accented letter costs a search some selectivity, never a
//! match.

/// The trigrams of a request's searched text, sorted, each once.
pub fn of_text(text: &str) -> Vec<i16> {
    // The text's own start and end are edges of its first and last words.
    collect(|emit| trigrams(text, true, emit))
}

/// The trigrams that every text containing `needle` (as `ILIKE` finds it)
/// has, sorted, each once; empty when the needle has no run of three letters
/// or digits, nor a shorter word that it shows whole.
pub fn of_needle(needle: &str) -> Vec<i16> {
    // A word touching an end of the needle may be part of a longer word of
    // the text: only an edge that the needle shows gets its padding.
    collect(|emit| trigrams(needle, false, emit))
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

/// 37 symbols (blank, 10 digits, 26 letters): 37³ = 50,653 trigrams, one
/// `smallint` each.
const SYMBOLS: u32 = 37;
const TRIGRAMS: usize = (SYMBOLS * SYMBOLS * SYMBOLS) as usize;
/// The padding of a word's edge, as `pg_trgm` writes it: two blanks before,
/// one after.
const BLANK: u32 = 0;

/// Emits the code of each trigram of `s`'s words, in order, repeats
/// included. `edges`: the start and the end of `s` are edges of words (a
/// text); otherwise only the separators inside `s` are (a needle).
fn trigrams(s: &str, edges: bool, mut emit: impl FnMut(u32)) {
    let mut window = Window::default();
    let mut in_word = false;
    let mut after_break = edges;
    for c in s.chars() {
        match key_char(c) {
            Some(k) => {
                if !in_word {
                    in_word = true;
                    window = Window::starting_word(after_break);
                }
                window.push(symbol(k), &mut emit);
            }
            None => {
                if in_word {
                    window.push(BLANK, &mut emit);
                    in_word = false;
                }
                after_break = true;
            }
        }
    }
    if in_word && edges {
        window.push(BLANK, &mut emit);
    }
}

/// The last three symbols read, as one trigram code, and how many of them
/// there are yet.
#[derive(Default)]
struct Window {
    code: u32,
    filled: u8,
}

impl Window {
    /// At a word's first letter: after two blanks when its start is seen.
    fn starting_word(start_seen: bool) -> Window {
        Window {
            code: BLANK,
            filled: if start_seen { 2 } else { 0 },
        }
    }

    fn push(&mut self, symbol: u32, emit: &mut impl FnMut(u32)) {
        self.code = (self.code % (SYMBOLS * SYMBOLS)) * SYMBOLS + symbol;
        self.filled = (self.filled + 1).min(3);
        if self.filled == 3 {
            emit(self.code);
        }
    }
}

fn symbol(c: u8) -> u32 {
    match c {
        b'0'..=b'9' => 1 + u32::from(c - b'0'),
        b'a'..=b'z' => 11 + u32::from(c - b'a'),
        _ => unreachable!("key_char reads only ASCII letters and digits"),
    }
}

fn key(code: u32) -> i16 {
    (code as i32 + i32::from(i16::MIN)) as i16
}

thread_local! {
    /// One bit per trigram: a text's trigrams are marked here, then read
    /// back in order (sorted and each once without a sort), clearing them.
    static SEEN: std::cell::RefCell<Vec<u64>> =
        std::cell::RefCell::new(vec![0; TRIGRAMS.div_ceil(64)]);
}

fn collect(walk: impl FnOnce(&mut dyn FnMut(u32))) -> Vec<i16> {
    SEEN.with_borrow_mut(|seen| {
        let mut marked = 0usize;
        walk(&mut |code| {
            let (word, bit) = (code as usize / 64, code % 64);
            marked += usize::from(seen[word] & (1 << bit) == 0);
            seen[word] |= 1 << bit;
        });
        let mut keys = Vec::with_capacity(marked);
        for (i, word) in seen.iter_mut().enumerate() {
            let mut bits = std::mem::take(word);
            while bits != 0 {
                let bit = bits.trailing_zeros();
                keys.push(key(i as u32 * 64 + bit));
                bits &= bits - 1;
            }
        }
        keys
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn keys_of(trigrams: &[&str]) -> Vec<i16> {
        let mut keys: Vec<i16> = trigrams
            .iter()
            .map(|t| key(t.bytes().fold(0, |code, c| code * SYMBOLS + symbol_of(c))))
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

    fn symbol_of(c: u8) -> u32 {
        if c == b' ' {
            BLANK
        } else {
            symbol(c)
        }
    }

    #[test]
    fn every_trigram_has_its_own_key() {
        let keys: std::collections::HashSet<i16> = (0..TRIGRAMS as u32).map(key).collect();
        assert_eq!(keys.len(), 50_653);
        assert_eq!(key(0), i16::MIN);
        assert_eq!(key(TRIGRAMS as u32 - 1), 17_884); // i16::MIN + 50,652
    }

    #[test]
    fn keys_come_sorted_and_each_once_call_after_call() {
        let first = of_text("zz aa zz 00 aa");
        assert!(first.windows(2).all(|w| w[0] < w[1]), "{first:?}");
        assert_eq!(
            first,
            keys_of(&["  z", " zz", "zz ", "  a", " aa", "aa ", "  0", " 00", "00 "])
        );
        // Nothing of a call is left for the next.
        assert_eq!(of_needle("xyz"), keys_of(&["xyz"]));
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
