//! Where an entry of a reference file starts, so that an error about entry
//! `i` of a list can name its line and column. `serde_json::Value` keeps no
//! positions; this scanner walks the (already syntax-checked) text instead.

use super::error::{Location, ReferenceError};

/// The byte offset of element `index` of the array that is the value of the
/// top-level key `key` (or of the top-level array when `key` is `None`).
/// `None` when the text has no such element.
pub(crate) fn entry_offset(text: &[u8], key: Option<&str>, index: usize) -> Option<usize> {
    let mut s = Scanner { text, pos: 0 };
    s.skip_ws();
    let array_start = match key {
        None => s.pos,
        Some(key) => {
            s.expect(b'{')?;
            loop {
                s.skip_ws();
                let k = s.string()?;
                s.skip_ws();
                s.expect(b':')?;
                s.skip_ws();
                if k == key.as_bytes() {
                    break s.pos;
                }
                s.value()?;
                s.skip_ws();
                if s.peek()? == b',' {
                    s.pos += 1;
                } else {
                    return None;
                }
            }
        }
    };
    s.pos = array_start;
    s.expect(b'[')?;
    for i in 0.. {
        s.skip_ws();
        if s.peek()? == b']' {
            return None;
        }
        if i == index {
            return Some(s.pos);
        }
        s.value()?;
        s.skip_ws();
        match s.peek()? {
            b',' => s.pos += 1,
            _ => return None,
        }
    }
    None
}

/// One-based line and column (in characters) of a byte offset.
pub(crate) fn line_column(text: &[u8], offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

/// Fills in the line and column of an entry error about `file`, whose text
/// is `text`; `top_level_array` when the file is a bare array.
pub(crate) fn locate(
    err: ReferenceError,
    file: &str,
    text: &[u8],
    top_level_array: bool,
) -> ReferenceError {
    match err {
        ReferenceError::Malformed {
            file: f,
            line_or_index:
                Location::Entry {
                    list,
                    index,
                    line: 0,
                    ..
                },
            reason,
        } if f == file => {
            let key = (!top_level_array).then_some(list);
            let (line, column) =
                entry_offset(text, key, index).map_or((0, 0), |o| line_column(text, o));
            ReferenceError::Malformed {
                file: f,
                line_or_index: Location::Entry {
                    list,
                    index,
                    line,
                    column,
                },
                reason,
            }
        }
        other => other,
    }
}

struct Scanner<'a> {
    text: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn expect(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.pos += 1)
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// A string's raw bytes (escapes not decoded; keys here have none).
    fn string(&mut self) -> Option<&'a [u8]> {
        self.expect(b'"')?;
        let start = self.pos;
        loop {
            match self.peek()? {
                b'\\' => self.pos += 2,
                b'"' => {
                    let s = &self.text[start..self.pos];
                    self.pos += 1;
                    return Some(s);
                }
                _ => self.pos += 1,
            }
        }
    }

    /// Skips one value of any kind.
    fn value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match self.peek()? {
                        b'"' => {
                            self.string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.pos += 1;
                                return Some(());
                            }
                        }
                        _ => {}
                    }
                    self.pos += 1;
                }
            }
            _ => {
                while !matches!(
                    self.peek(),
                    None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                ) {
                    self.pos += 1;
                }
                Some(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_entries_of_a_keyed_list_and_of_a_bare_array() {
        let text = br#"{
  "version": "1", "other": [1, {"a": "]"}],
  "items": [
    {"x": "a\"b"},
    {"x": [1, 2]},
    3
  ]
}"#;
        let at = |i| entry_offset(text, Some("items"), i).map(|o| line_column(text, o));
        assert_eq!(at(0), Some((4, 5)));
        assert_eq!(at(1), Some((5, 5)));
        assert_eq!(at(2), Some((6, 5)));
        assert_eq!(at(3), None);
        assert_eq!(entry_offset(text, Some("missing"), 0), None);

        let bare = "[{\"a\":1},{\"b\":\"\u{e8}\"},{\"c\":2}]".as_bytes();
        let o = entry_offset(bare, None, 2).unwrap();
        assert_eq!(&bare[o..o + 5], br#"{"c":"#);
        assert_eq!(line_column(bare, o), (1, 20));
    }
}
