//! Hexadecimal text of the sealed values and pseudonyms, by table: the
//! `hex` crate's decoder goes character by character through an iterator
//! of results, and was the largest single cost of opening a sealed log in
//! a rebuild.

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Each byte's value as a hex digit, or `INVALID`.
const INVALID: u8 = 0xff;
const VALUES: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

/// Lower-case hex of `bytes`.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize]);
        out.push(DIGITS[(b & 0x0f) as usize]);
    }
    String::from_utf8(out).expect("hex digits are ASCII")
}

/// The bytes of hex `text` (either case); `None` if it is not hex.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let digits = text.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    let mut out = Vec::with_capacity(digits.len() / 2);
    for pair in digits.chunks_exact(2) {
        let (high, low) = (VALUES[pair[0] as usize], VALUES[pair[1] as usize]);
        if high == INVALID || low == INVALID {
            return None;
        }
        out.push(high << 4 | low);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_the_hex_crate_both_ways() {
        let bytes: Vec<u8> = (0..=255u8).chain([0, 255, 16, 1]).collect();
        let text = encode(&bytes);
        assert_eq!(text, hex::encode(&bytes));
        assert_eq!(decode(&text), Some(bytes.clone()));
        assert_eq!(decode(&text.to_uppercase()), Some(bytes));
    }

    #[test]
    fn refuses_what_is_not_hex() {
        for bad in ["0", "0g", "g0", "zz", "0 ", "é0", "abc"] {
            assert_eq!(decode(bad), None, "{bad:?}");
            assert!(hex::decode(bad).is_err(), "{bad:?}");
        }
        assert_eq!(decode(""), Some(vec![]));
    }
}
