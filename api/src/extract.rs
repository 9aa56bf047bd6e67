//! Extractors whose rejections are problem+json answers like every other error.

use crate::error::ApiError;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

/// `Json<T>` whose rejections are problem+json: malformed JSON is a 400
/// `invalid_json`, a body of the wrong shape (unknown or missing fields, wrong
/// types) a 422 `invalid_body`, a missing content type a 415.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !json_content_type(req.headers()) {
            return Err(ApiError::UnsupportedMediaType(
                "è richiesto Content-Type: application/json".to_string(),
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| match e.status() {
                StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge {
                    detail: "Il contenuto della richiesta supera la dimensione massima consentita"
                        .to_string(),
                },
                _ => ApiError::bad_request(
                    "invalid_body",
                    "Il contenuto della richiesta non può essere letto",
                ),
            })?;
        // The text rule (H1) on every string, once the JSON is well formed.
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes) {
            crate::text::check_json(&value)?;
        }
        axum::Json::<T>::from_bytes(&bytes)
            .map(|axum::Json(v)| ApiJson(v))
            .map_err(json_rejection)
    }
}

/// `application/json` or `application/*+json`, as axum's `Json` accepts.
fn json_content_type(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.split_once('/') {
        Some(("application", subtype)) => subtype == "json" || subtype.ends_with("+json"),
        _ => false,
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(e) => ApiError::Unprocessable {
            code: "invalid_body",
            detail: format!(
                "Il contenuto della richiesta non è valido: {}",
                italian_json_reason(&e.body_text())
            ),
        },
        JsonRejection::JsonSyntaxError(e) => ApiError::bad_request(
            "invalid_json",
            format!(
                "Il contenuto non è JSON valido: {}",
                italian_json_reason(&e.body_text())
            ),
        ),
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::UnsupportedMediaType("è richiesto Content-Type: application/json".to_string())
        }
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge {
            detail: "Il contenuto della richiesta supera la dimensione massima consentita"
                .to_string(),
        },
        _ => ApiError::bad_request(
            "invalid_body",
            "Il contenuto della richiesta non può essere letto",
        ),
    }
}

/// `Multipart` whose rejections (no multipart content type, no boundary) are a
/// problem+json 400 `invalid_multipart` instead of axum's plain-text answer.
pub struct ApiMultipart(pub axum::extract::Multipart);

impl<S: Send + Sync> FromRequest<S> for ApiMultipart {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        axum::extract::Multipart::from_request(req, state)
            .await
            .map(ApiMultipart)
            .map_err(|_| {
                ApiError::bad_request(
                    "invalid_multipart",
                    "È richiesto un modulo multipart/form-data, con il suo delimitatore \
                     (boundary) e il campo 'file'",
                )
            })
    }
}

/// `Query<T>` whose rejections are a 400 `invalid_query`. The signature of a
/// download link (`link`, checked by `auth`) is not one of the operation's
/// parameters.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        crate::text::check_query(parts.uri.query())?;
        let query = parts.uri.query().unwrap_or("");
        let without_link: Vec<&str> = query
            .split('&')
            .filter(|pair| !pair.is_empty() && !pair.starts_with("link="))
            .collect();
        let uri: axum::http::Uri =
            format!("/?{}", without_link.join("&"))
                .parse()
                .map_err(|_| {
                    ApiError::bad_request("invalid_query", "Parametri di ricerca non validi")
                })?;
        axum::extract::Query::<T>::try_from_uri(&uri)
            .map(|q| ApiQuery(q.0))
            .map_err(|e: QueryRejection| {
                ApiError::bad_request(
                    "invalid_query",
                    format!(
                        "Parametri di ricerca non validi: {}",
                        italian_json_reason(&e.body_text())
                    ),
                )
            })
    }
}

/// `Path<T>` whose rejections are a 404 (a malformed id names nothing).
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        crate::text::check_path(parts.uri.path())?;
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|_| ApiError::NotFound)
    }
}

/// A JSON body that may be absent: an empty body is `T::default()`; a present
/// one is read like [`ApiJson`].
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        let bytes =
            axum::body::to_bytes(body, 64 * 1024)
                .await
                .map_err(|_| ApiError::PayloadTooLarge {
                    detail: "Il contenuto della richiesta supera la dimensione massima consentita"
                        .to_string(),
                })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(T::default()));
        }
        let req = Request::from_parts(parts, axum::body::Body::from(bytes));
        ApiJson::<T>::from_request(req, state)
            .await
            .map(|ApiJson(v)| OptionalJson(v))
    }
}

/// The reason of a body or query string that could not be read, in Italian:
/// axum's and serde's English messages (`Failed to deserialize …: field:
/// unknown field `x`, expected … at line 1 column 9`) become `campo «field»:
/// campo sconosciuto «x» (campi ammessi: …) (riga 1, colonna 9)`. Only the
/// names of fields and values are kept from the original text.
pub fn italian_json_reason(text: &str) -> String {
    let mut rest = text;
    for prefix in [
        "Failed to deserialize the JSON body into the target type: ",
        "Failed to parse the request body as JSON: ",
        "Failed to deserialize query string: ",
        "Failed to deserialize the JSON body: ",
    ] {
        if let Some(r) = rest.strip_prefix(prefix) {
            rest = r;
            break;
        }
    }
    // " at line L column C" at the end.
    let mut position = None;
    if let Some(at) = rest.rfind(" at line ") {
        let tail = &rest[at + " at line ".len()..];
        if let Some((line, column)) = tail.split_once(" column ") {
            if let (Ok(line), Ok(column)) = (line.parse::<u64>(), column.parse::<u64>()) {
                position = Some((line, column));
                rest = &rest[..at];
            }
        }
    }
    // "path: message" (serde_path_to_error), the path being field names,
    // dots and [indexes].
    let mut field = None;
    if let Some((path, message)) = rest.split_once(": ") {
        if !path.is_empty()
            && path
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '[' | ']' | '-'))
        {
            rest = message;
            // An unknown field's path ends with the field itself: name its parent.
            field = if message.starts_with("unknown field ") {
                path.rsplit_once('.').map(|(parent, _)| parent)
            } else {
                Some(path)
            };
        }
    }
    let mut out = String::new();
    if let Some(f) = field {
        out.push_str(&format!("campo «{f}»: "));
    }
    out.push_str(&italian_message(rest));
    if let Some((line, column)) = position {
        out.push_str(&format!(" (riga {line}, colonna {column})"));
    }
    out
}

/// The names between backticks in a serde message.
fn quoted(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

fn italian_message(message: &str) -> String {
    let list = |names: Vec<&str>| names.join(", ");
    if let Some(r) = message.strip_prefix("unknown field ") {
        let names = quoted(r);
        let (first, allowed) = names.split_first().map_or(("", &[][..]), |(f, a)| (*f, a));
        return if allowed.is_empty() {
            format!("campo sconosciuto «{first}»")
        } else {
            format!(
                "campo sconosciuto «{first}» (campi ammessi: {})",
                list(allowed.to_vec())
            )
        };
    }
    if let Some(r) = message.strip_prefix("missing field ") {
        let names = quoted(r);
        return format!(
            "manca il campo obbligatorio «{}»",
            names.first().copied().unwrap_or("")
        );
    }
    if let Some(r) = message.strip_prefix("unknown variant ") {
        let names = quoted(r);
        let (first, allowed) = names.split_first().map_or(("", &[][..]), |(f, a)| (*f, a));
        return format!(
            "valore «{first}» non ammesso (valori ammessi: {})",
            list(allowed.to_vec())
        );
    }
    if let Some(r) = message.strip_prefix("invalid type: ") {
        let expected = r.split_once(", expected ").map(|(_, e)| e).unwrap_or("");
        return format!("tipo non valido: atteso {}", italian_type(expected));
    }
    if message.starts_with("duplicate field ") {
        return format!(
            "campo ripetuto «{}»",
            quoted(message).first().copied().unwrap_or("")
        );
    }
    if message.starts_with("EOF while parsing") {
        return "il contenuto è incompleto".to_string();
    }
    if message.starts_with("trailing characters") {
        return "caratteri in eccesso dopo il contenuto JSON".to_string();
    }
    if message.starts_with("expected ")
        || message.starts_with("key must be")
        || message.starts_with("invalid escape")
        || message.starts_with("invalid number")
        || message.starts_with("control character")
        || message.starts_with("lone leading surrogate")
        || message.starts_with("invalid unicode")
    {
        return "sintassi JSON non valida".to_string();
    }
    if message.starts_with("recursion limit") {
        return "annidamento eccessivo".to_string();
    }
    if message.starts_with("invalid length") {
        return "numero di elementi non valido".to_string();
    }
    "valore non valido".to_string()
}

fn italian_type(expected: &str) -> &'static str {
    match expected {
        "a boolean" => "un valore booleano (true o false)",
        "a string" | "a borrowed string" | "a character" => "un testo",
        "a sequence" | "a tuple" => "un elenco",
        "a map" => "un oggetto",
        "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64" | "usize" | "isize"
        | "an integer" => "un numero intero",
        "f32" | "f64" | "a number" => "un numero",
        e if e.starts_with("struct ") || e.starts_with("a map") => "un oggetto",
        e if e.starts_with("a sequence") || e.starts_with("an array") => "un elenco",
        e if e.contains("UUID") || e.contains("uuid") => "un identificativo (UUID)",
        e if e.contains("date") || e.contains("timestamp") || e.contains("datetime") => {
            "una data e ora (RFC 3339)"
        }
        _ => "un valore di un altro tipo",
    }
}

#[cfg(test)]
mod tests {
    use super::italian_json_reason;

    #[test]
    fn serde_messages_become_italian_keeping_names_and_position() {
        let cases = [
            (
                "Failed to deserialize the JSON body into the target type: priority: unknown field `priority`, expected one of `codice_fiscale`, `text` at line 1 column 135",
                "campo sconosciuto «priority» (campi ammessi: codice_fiscale, text) (riga 1, colonna 135)",
            ),
            (
                "Failed to deserialize the JSON body into the target type: practice_ref.extra: unknown field `extra`, expected `kind` or `value` at line 1 column 90",
                "campo «practice_ref»: campo sconosciuto «extra» (campi ammessi: kind, value) (riga 1, colonna 90)",
            ),
            (
                "Failed to deserialize the JSON body into the target type: missing field `start` at line 1 column 2",
                "manca il campo obbligatorio «start» (riga 1, colonna 2)",
            ),
            (
                "Failed to deserialize the JSON body into the target type: mandate_declared: invalid type: string \"yes\", expected a boolean at line 1 column 61",
                "campo «mandate_declared»: tipo non valido: atteso un valore booleano (true o false) (riga 1, colonna 61)",
            ),
            (
                "Failed to deserialize the JSON body into the target type: mode: unknown variant `teletrasporto`, expected one of `in_presenza`, `web_meeting` at line 1 column 59",
                "campo «mode»: valore «teletrasporto» non ammesso (valori ammessi: in_presenza, web_meeting) (riga 1, colonna 59)",
            ),
            (
                "Failed to deserialize the JSON body into the target type: start: input contains invalid characters at line 1 column 17",
                "campo «start»: valore non valido (riga 1, colonna 17)",
            ),
            (
                "Failed to deserialize the JSON body into the target type: attachments[0]: UUID parsing failed: invalid character at line 1 column 20",
                "campo «attachments[0]»: valore non valido (riga 1, colonna 20)",
            ),
            (
                "Failed to parse the request body as JSON: EOF while parsing a value at line 1 column 37",
                "il contenuto è incompleto (riga 1, colonna 37)",
            ),
            (
                "Failed to parse the request body as JSON: trailing characters at line 1 column 14",
                "caratteri in eccesso dopo il contenuto JSON (riga 1, colonna 14)",
            ),
            (
                "Failed to parse the request body as JSON: expected value at line 1 column 10",
                "sintassi JSON non valida (riga 1, colonna 10)",
            ),
            (
                "Failed to deserialize query string: limit: invalid digit found in string",
                "campo «limit»: valore non valido",
            ),
            (
                "Failed to deserialize query string: unknown field `pagina`, expected `limit` or `cursor`",
                "campo sconosciuto «pagina» (campi ammessi: limit, cursor)",
            ),
        ];
        for (english, italian) in cases {
            assert_eq!(italian_json_reason(english), italian, "{english}");
        }
    }

    #[test]
    fn no_english_of_the_original_survives() {
        let english = [
            "Failed to deserialize the JSON body into the target type: x: invalid value: integer `7`, expected a string at line 1 column 3",
            "Failed to parse the request body as JSON: key must be a string at line 1 column 2",
            "Failed to deserialize the JSON body into the target type: invalid type: sequence, expected struct CreateRequestBody at line 1 column 0",
        ];
        for e in english {
            let it = italian_json_reason(e);
            for word in ["Failed", "expected", "invalid", "type", "string", "line"] {
                assert!(!it.contains(word), "{it:?} from {e:?}");
            }
        }
    }
}
