//! One rule for `limit` on every list (issue 23, item 4): absent is the
//! endpoint's default; anything but an integer in `1..=max` is a 400
//! `invalid_limit` — never silently clamped. The parameter is read as text so
//! that `-1`, `2^32` or `abc` get this code, not a generic `invalid_query`.

use crate::error::ApiError;

/// The rows a page of the request lists (history, inbox, home panel) may hold.
pub const MAX_PAGE: u32 = projections::page::MAX_LIMIT;

/// The `limit` of a list: `default` when absent, else an integer in `1..=max`.
pub fn limit(raw: Option<&str>, default: u32, max: u32) -> Result<u32, ApiError> {
    let Some(raw) = raw else { return Ok(default) };
    raw.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_limit",
                format!("limit deve essere un numero intero tra 1 e {max}"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::limit;

    #[test]
    fn one_rule_for_every_limit() {
        assert_eq!(limit(None, 20, 100).unwrap(), 20);
        assert_eq!(limit(Some("1"), 20, 100).unwrap(), 1);
        assert_eq!(limit(Some("100"), 20, 100).unwrap(), 100);
        for bad in ["0", "101", "1000000", "-1", "4294967296", "abc", "", "1.5"] {
            assert!(limit(Some(bad), 20, 100).is_err(), "{bad}");
        }
    }
}
