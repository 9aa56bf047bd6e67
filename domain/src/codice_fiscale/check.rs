//! Algorithm helpers: normalisation, the numeric positions and the check
//! character (inputs already validated as upper-case ASCII alphanumerics).

use super::*;

/// Removes whitespace, rejects non-ASCII-alphanumerics, upper-cases.
pub(super) fn normalise(raw: &str) -> Result<String, CfError> {
    let mut out = String::with_capacity(CF_LENGTH);
    for (i, c) in raw.chars().filter(|c| !c.is_whitespace()).enumerate() {
        if !c.is_ascii_alphanumeric() {
            return Err(CfError::InvalidCharacters {
                character: c,
                position: i + 1,
            });
        }
        out.push(c.to_ascii_uppercase());
    }
    if out.is_empty() {
        return Err(CfError::Empty);
    }
    Ok(out)
}

/// The digit in numeric position `i` (zero-based) of a normalised code:
/// a digit, or an omocodia letter mapped back.
pub(super) fn numeric_digit(b: &[u8], i: usize) -> Result<u8, CfError> {
    let c = b[i];
    if c.is_ascii_digit() {
        Ok(c - b'0')
    } else if let Some(d) = OMOCODIA.iter().position(|&l| l == c) {
        Ok(d as u8)
    } else {
        Err(CfError::InvalidOmocodia {
            position: i + 1,
            found: c as char,
        })
    }
}

/// Digit value of a validated numeric-position character.
pub(super) fn digit_value(c: u8) -> u8 {
    if c.is_ascii_digit() {
        c - b'0'
    } else {
        OMOCODIA.iter().position(|&l| l == c).unwrap_or(0) as u8
    }
}

/// `0`..`9` → 0..9, `A`..`Z` → 0..25.
pub(super) fn char_index(c: u8) -> usize {
    debug_assert!(c.is_ascii_digit() || c.is_ascii_uppercase());
    match c {
        b'0'..=b'9' => usize::from(c - b'0'),
        b'A'..=b'Z' => usize::from(c - b'A'),
        _ => 0,
    }
}

/// The check character of 15 upper-case ASCII alphanumerics: odd (one-based)
/// positions are worth [`ODD_VALUES`], even ones their index; the sum modulo
/// 26 is the letter.
pub(super) fn compute_check(first15: &[u8]) -> u8 {
    let sum: usize = first15
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let idx = char_index(c);
            if i % 2 == 0 {
                usize::from(ODD_VALUES[idx])
            } else {
                idx
            }
        })
        .sum();
    b'A' + (sum % 26) as u8
}

/// `first15` followed by its check character, as a `String`.
pub(super) fn with_check(first15: &[u8; 15]) -> String {
    let mut s: String = first15.iter().map(|&c| c as char).collect();
    s.push(compute_check(first15) as char);
    s
}
