//! Response headers every answer needs (issue 23, item 8), set in one place:
//! `X-Content-Type-Options: nosniff` on everything, `Cache-Control: no-store`
//! unless a handler chose otherwise (nearly every answer carries personal or
//! scoped data, and a shared cache must never keep one), a client's
//! `X-Request-Id` kept only when it is short and plain, and RFC 6266 file
//! names for downloads.

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The longest client request id kept (a UUID is 36).
pub const MAX_REQUEST_ID: usize = 128;

/// Sets the headers every answer carries.
pub async fn defaults(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    res
}

/// Drops a client `X-Request-Id` that is too long or holds anything but
/// letters, digits and `-_.:`; the request-id layer then draws a fresh one,
/// so logs never carry 5,000 characters or odd bytes of a client's choosing.
pub async fn sanitize_request_id(mut req: Request, next: Next) -> Response {
    let plain = |v: &HeaderValue| {
        let b = v.as_bytes();
        !b.is_empty()
            && b.len() <= MAX_REQUEST_ID
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b':'))
    };
    let values = req.headers().get_all("x-request-id");
    let keep = values.iter().count() == 1 && values.iter().all(plain);
    if !keep {
        req.headers_mut().remove("x-request-id");
    }
    next.run(req).await
}

/// `attachment` with the name as `filename*` (RFC 6266/8187, UTF-8) and an
/// ASCII fallback in `filename` for old clients: `ricevùta.pdf` arrives as
/// written instead of as `ricevÃ¹ta.pdf`.
pub fn attachment(filename: &str) -> HeaderValue {
    let fallback: String = filename
        .chars()
        .map(|c| match c {
            ' '..='~' if !matches!(c, '"' | '\\' | '%') => c,
            _ => '_',
        })
        .collect();
    let encoded = percent_encoding::utf8_percent_encode(filename, RFC8187).to_string();
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or(HeaderValue::from_static("attachment"))
}

/// Everything but RFC 8187's attr-char is percent-encoded.
const RFC8187: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

#[cfg(test)]
mod tests {
    use super::attachment;

    #[test]
    fn file_names_are_given_in_utf8_with_an_ascii_fallback() {
        assert_eq!(
            attachment("ricevùta 1.pdf").to_str().unwrap(),
            "attachment; filename=\"ricev_ta 1.pdf\"; filename*=UTF-8''ricev%C3%B9ta%201.pdf"
        );
        assert_eq!(
            attachment("a\"b\\c.pdf").to_str().unwrap(),
            "attachment; filename=\"a_b_c.pdf\"; filename*=UTF-8''a%22b%5Cc.pdf"
        );
    }
}
