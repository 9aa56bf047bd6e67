//! File uploads: a multipart form with one `file` field. The file is checked
//! (size, type by content), stored once per SHA-256, and can then be referenced
//! by its upload id in commands of the same user.

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::ApiMultipart;
use crate::state::AppState;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use commands::attachments::{self, AttachmentError, Upload};
use serde::Serialize;
use utoipa::ToSchema;

pub fn router(max_bytes: usize) -> Router<AppState> {
    Router::new()
        .route("/api/v1/uploads", post(upload_file))
        .layer(DefaultBodyLimit::max(max_bytes + 64 * 1024))
}

/// An uploaded file (see `commands::attachments::Upload`).
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadView {
    pub id: uuid::Uuid,
    pub sha256: String,
    pub filename: String,
    pub media_type: String,
    pub size: u64,
}

impl From<Upload> for UploadView {
    fn from(u: Upload) -> Self {
        Self {
            id: u.id.0,
            sha256: u.sha256,
            filename: u.filename,
            media_type: u.media_type,
            size: u.size,
        }
    }
}

/// The multipart form of an upload.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The file: PDF, JPEG, PNG, TIFF or signed .p7m, recognised by content.
    #[schema(format = Binary, value_type = String)]
    file: Vec<u8>,
}

#[utoipa::path(post, path = "/api/v1/uploads", operation_id = "uploadFile", tag = "attachments",
    security(("bearer" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = UploadView),
        (status = 413, body = crate::error::Problem, description = "payload_too_large"),
        (status = 415, body = crate::error::Problem, description = "attachment_type_not_allowed"),
        (status = 422, body = crate::error::Problem, description = "attachment_empty, missing_file"),
        (status = 503, body = crate::error::Problem, description = "overloaded (too many uploads at once)")))]
pub async fn upload_file(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiMultipart(multipart): ApiMultipart,
) -> Result<(StatusCode, Json<UploadView>), ApiError> {
    let upload = receive_file(&app, actor.id().as_str(), multipart).await?;
    Ok((StatusCode::CREATED, Json(upload.into())))
}

/// Bytes read before the type is decided (the longest signature looked for
/// is within the first 64).
const SNIFF_BYTES: usize = 64;

/// Reads the `file` field of a multipart form and stores it. The type is
/// decided from the first bytes, before the rest is read: a file of another
/// type costs a chunk of memory, not its whole size (issue 23, item 6). The
/// rest is read chunk by chunk, refused as soon as it passes the limit, and
/// only `max_concurrent_uploads` files are read at once.
pub async fn receive_file(
    app: &AppState,
    uploader: &str,
    mut multipart: Multipart,
) -> Result<Upload, ApiError> {
    let max = app.limits.max_attachment_bytes;
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.name() != Some("file") {
            continue;
        }
        let filename = field.file_name().unwrap_or("allegato").to_string();
        let mut content = Vec::new();
        while content.len() < SNIFF_BYTES {
            match field.chunk().await.map_err(multipart_error)? {
                Some(chunk) => content.extend_from_slice(&chunk),
                None => break,
            }
        }
        if content.is_empty() {
            return Err(AttachmentError::Empty.into());
        }
        if attachments::sniff(&content).is_none() {
            return Err(AttachmentError::TypeNotAllowed.into());
        }
        let _permit = tokio::time::timeout(app.limits.read_wait, app.uploads.acquire())
            .await
            .map_err(|_| ApiError::Overloaded)?
            .map_err(ApiError::internal)?;
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if content.len() + chunk.len() > max {
                return Err(AttachmentError::TooLarge { max }.into());
            }
            content.extend_from_slice(&chunk);
        }
        return Ok(attachments::store_upload(
            &app.pool,
            &content,
            &filename,
            uploader,
            app.clock.now(),
            max,
        )
        .await?);
    }
    Err(ApiError::Unprocessable {
        code: "missing_file",
        detail: "Il modulo non contiene il campo 'file'".into(),
    })
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge {
            detail: "Il file supera la dimensione massima consentita".into(),
        }
    } else {
        ApiError::bad_request(
            "invalid_multipart",
            "Modulo multipart/form-data non valido: il contenuto è incompleto o malformato",
        )
    }
}
