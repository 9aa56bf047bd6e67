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
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(e) => ApiError::Unprocessable {
            code: "invalid_body",
            detail: format!(
                "Il contenuto della richiesta non è valido: {}",
                e.body_text()
            ),
        },
        JsonRejection::JsonSyntaxError(e) => ApiError::bad_request(
            "invalid_json",
            format!("Il contenuto non è JSON valido: {}", e.body_text()),
        ),
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::UnsupportedMediaType("è richiesto Content-Type: application/json".to_string())
        }
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge {
            detail: "Il contenuto della richiesta supera la dimensione massima consentita"
                .to_string(),
        },
        other => ApiError::bad_request("invalid_body", other.body_text()),
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
            .map_err(|e| {
                ApiError::bad_request(
                    "invalid_multipart",
                    format!(
                        "È richiesto un modulo multipart/form-data con il campo 'file': {}",
                        e.body_text()
                    ),
                )
            })
    }
}

/// `Query<T>` whose rejections are a 400 `invalid_query`.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e: QueryRejection| {
                ApiError::bad_request(
                    "invalid_query",
                    format!("Parametri di ricerca non validi: {}", e.body_text()),
                )
            })
    }
}

/// `Path<T>` whose rejections are a 404 (a malformed id names nothing).
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
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
