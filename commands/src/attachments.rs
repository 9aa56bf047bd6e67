//! Attachment files: type sniffed from the content (never from the name),
//! bounded size, sanitised names, stored once per SHA-256 in PostgreSQL.

use chrono::{DateTime, Utc};
use domain::ids::{AttachmentId, UploadId};
use domain::request::AttachmentRef;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{PgExecutor, PgPool};

/// The default upper bound of one file (10 MB), overridable by configuration.
pub const DEFAULT_MAX_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum AttachmentError {
    #[error("Il file è vuoto")]
    Empty,
    #[error("Il file supera la dimensione massima di {max} byte")]
    TooLarge { max: usize },
    #[error("Tipo di file non ammesso: sono accettati PDF, JPEG, PNG, TIFF e file firmati .p7m")]
    TypeNotAllowed,
    #[error("Il file caricato indicato non esiste o non appartiene all'utente")]
    UploadNotFound,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl AttachmentError {
    pub fn code(&self) -> &'static str {
        match self {
            AttachmentError::Empty => "attachment_empty",
            AttachmentError::TooLarge { .. } => "attachment_too_large",
            AttachmentError::TypeNotAllowed => "attachment_type_not_allowed",
            AttachmentError::UploadNotFound => "upload_not_found",
            AttachmentError::Database(_) => "internal",
        }
    }
}

/// The media types we accept, recognised by their first bytes.
pub fn sniff(content: &[u8]) -> Option<(&'static str, &'static str)> {
    const PKCS7_SIGNED_DATA_OID: [u8; 11] = [
        0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02,
    ];
    if content.starts_with(b"%PDF-") {
        Some(("application/pdf", "pdf"))
    } else if content.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(("image/jpeg", "jpg"))
    } else if content.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(("image/png", "png"))
    } else if content.starts_with(b"II*\0") || content.starts_with(b"MM\0*") {
        Some(("image/tiff", "tif"))
    } else if content.first() == Some(&0x30)
        && content
            .iter()
            .take(64)
            .collect::<Vec<_>>()
            .windows(PKCS7_SIGNED_DATA_OID.len())
            .any(|w| w.iter().copied().eq(PKCS7_SIGNED_DATA_OID.iter()))
    {
        // A DER-encoded CMS/PKCS#7 SignedData envelope (CAdES, ".p7m").
        Some(("application/pkcs7-mime", "p7m"))
    } else {
        None
    }
}

/// A file name safe to show and to offer as a download name: no path, no
/// control characters, at most 120 characters, with the extension of its type.
pub fn sanitize_filename(raw: &str, extension: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let mut clean: String = base
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ' | '(' | ')') {
                c
            } else {
                '_'
            }
        })
        .collect();
    clean = clean
        .trim_matches(|c: char| c == '.' || c == ' ')
        .to_string();
    if clean.is_empty() {
        clean = "allegato".to_string();
    }
    let has_ext = clean.rsplit_once('.').is_some_and(|(_, ext)| {
        ext.eq_ignore_ascii_case(extension)
            || (extension == "jpg" && ext.eq_ignore_ascii_case("jpeg"))
            || (extension == "tif" && ext.eq_ignore_ascii_case("tiff"))
    });
    if !has_ext {
        clean = format!("{clean}.{extension}");
    }
    if clean.chars().count() > 120 {
        let keep: String = clean.chars().take(115 - extension.len()).collect();
        clean = format!("{keep}.{extension}");
    }
    clean
}

/// An uploaded file, ready to be referenced by a command of its uploader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Upload {
    pub id: UploadId,
    pub sha256: String,
    pub filename: String,
    pub media_type: String,
    pub size: u64,
}

/// Checks and stores a file for `uploader`.
pub async fn store_upload(
    pool: &PgPool,
    content: &[u8],
    filename: &str,
    uploader: &str,
    now: DateTime<Utc>,
    max_bytes: usize,
) -> Result<Upload, AttachmentError> {
    if content.is_empty() {
        return Err(AttachmentError::Empty);
    }
    if content.len() > max_bytes {
        return Err(AttachmentError::TooLarge { max: max_bytes });
    }
    let (media_type, extension) = sniff(content).ok_or(AttachmentError::TypeNotAllowed)?;
    let digest: [u8; 32] = Sha256::digest(content).into();
    let upload = Upload {
        id: UploadId::new(),
        sha256: hex::encode(digest),
        filename: sanitize_filename(filename, extension),
        media_type: media_type.to_string(),
        size: content.len() as u64,
    };
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO attachment_blobs (sha256, media_type, size, content) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (sha256) DO UPDATE SET content = EXCLUDED.content, purged_at = NULL \
         WHERE attachment_blobs.purged_at IS NOT NULL",
    )
    .bind(&digest[..])
    .bind(media_type)
    .bind(content.len() as i64)
    .bind(content)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO attachment_uploads (id, sha256, filename, media_type, size, uploaded_by, uploaded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(upload.id.0)
    .bind(&digest[..])
    .bind(&upload.filename)
    .bind(media_type)
    .bind(content.len() as i64)
    .bind(uploader)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(upload)
}

/// Turns upload ids of `uploader` into attachment references (each a new attachment id).
pub async fn resolve_uploads(
    db: impl PgExecutor<'_>,
    ids: &[UploadId],
    uploader: &str,
) -> Result<Vec<AttachmentRef>, AttachmentError> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let raw: Vec<uuid::Uuid> = ids.iter().map(|i| i.0).collect();
    let rows: Vec<(uuid::Uuid, Vec<u8>, String, String, i64)> = sqlx::query_as(
        "SELECT id, sha256, filename, media_type, size FROM attachment_uploads \
         WHERE id = ANY($1) AND uploaded_by = $2",
    )
    .bind(&raw)
    .bind(uploader)
    .fetch_all(db)
    .await?;
    ids.iter()
        .map(|id| {
            rows.iter()
                .find(|r| r.0 == id.0)
                .map(|(_, sha, filename, media_type, size)| AttachmentRef {
                    id: AttachmentId::new(),
                    sha256: hex::encode(sha),
                    filename: filename.clone(),
                    media_type: media_type.clone(),
                    size: *size as u64,
                })
                .ok_or(AttachmentError::UploadNotFound)
        })
        .collect()
}

/// Forgets the names the uploads of these contents (SHA-256 in hex) were
/// given: an erased citizen's files may be named after them ("CI_Rossi.pdf").
/// The log keeps each attachment's name sealed under the citizen's key; the
/// upload's copy, needed only to reference the file, becomes the erased
/// mark. Returns how many uploads were changed.
pub async fn forget_names(
    db: impl PgExecutor<'_>,
    sha256_hex: &[String],
) -> Result<u64, AttachmentError> {
    let digests: Vec<Vec<u8>> = sha256_hex
        .iter()
        .filter_map(|h| hex::decode(h).ok())
        .collect();
    if digests.is_empty() {
        return Ok(0);
    }
    Ok(sqlx::query(
        "UPDATE attachment_uploads SET filename = $2 WHERE sha256 = ANY($1) AND filename <> $2",
    )
    .bind(&digests)
    .bind(domain::personal::ERASED)
    .execute(db)
    .await?
    .rows_affected())
}

/// The stored content of a file.
pub async fn read_blob(
    db: impl PgExecutor<'_>,
    sha256_hex: &str,
) -> Result<Option<(String, Vec<u8>)>, AttachmentError> {
    let Ok(digest) = hex::decode(sha256_hex) else {
        return Ok(None);
    };
    Ok(sqlx::query_as(
        "SELECT media_type, content FROM attachment_blobs \
             WHERE sha256 = $1 AND purged_at IS NULL",
    )
    .bind(digest)
    .fetch_optional(db)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_recognised_by_content_not_name() {
        assert_eq!(sniff(b"%PDF-1.7\n...").unwrap().0, "application/pdf");
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]).unwrap().0,
            "image/jpeg"
        );
        assert_eq!(
            sniff(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0])
                .unwrap()
                .0,
            "image/png"
        );
        assert_eq!(sniff(b"II*\0rest").unwrap().0, "image/tiff");
        assert_eq!(sniff(b"MM\0*rest").unwrap().0, "image/tiff");
        let p7m = [
            0x30, 0x80, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02, 0xA0,
        ];
        assert_eq!(sniff(&p7m).unwrap().0, "application/pkcs7-mime");
        assert!(sniff(b"MZ\x90\0 an executable").is_none());
        assert!(sniff(b"<html>").is_none());
        assert!(sniff(&[0x30, 0x82, 0x01, 0x00, 0x06, 0x03]).is_none());
    }

    #[test]
    fn names_lose_paths_and_control_characters() {
        assert_eq!(sanitize_filename("../../etc/passwd", "pdf"), "passwd.pdf");
        assert_eq!(
            sanitize_filename("C:\\doc\\verbale.PDF", "pdf"),
            "verbale.PDF"
        );
        assert_eq!(sanitize_filename("a\u{0}b\nc.pdf", "pdf"), "a_b_c.pdf");
        assert_eq!(sanitize_filename("...", "png"), "allegato.png");
        assert_eq!(sanitize_filename("foto.jpeg", "jpg"), "foto.jpeg");
        assert_eq!(
            sanitize_filename("relazione.exe", "pdf"),
            "relazione.exe.pdf"
        );
        let long = "x".repeat(300);
        let s = sanitize_filename(&long, "pdf");
        assert!(s.chars().count() <= 120 && s.ends_with(".pdf"));
    }
}
