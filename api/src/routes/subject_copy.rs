//! The citizen's copy (GDPR art. 15, issue 26): everything combipat holds
//! about one codice fiscale — the registry's entry, the requests with their
//! texts, statuses, timelines and attachments' names, the bookings with their
//! contacts, and who read that citizen's data — for an auditor answering a
//! citizen's request of access (decision P18). The copy is itself a read of
//! the citizen's data: recorded (read log and `AuditRead` event) before
//! anything is read, so it lists itself.

use crate::access::{self, Purpose, Subject};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::routes::reference::CitizenView;
use crate::routes::timeline_view::{timeline_items, TimelineItem};
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use commands::privacy::reads::{self, ReadQuery, RecordedRead};
use domain::actor::Actor;
use domain::codice_fiscale::CodiceFiscale;
use projections::bookings::BookingRow;
use projections::requests::{self as read, AttachmentRow, RequestRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Most reads listed in one copy; past it `reads_truncated` is set and the
/// rest is paged through `GET /audit/personal-data-reads`.
pub const MAX_READS: i64 = 5_000;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/privacy/subject-copy", get(get_subject_copy))
}

/// The code travels in the query, not the path: request paths are logged.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CopyParams {
    /// The citizen's codice fiscale (any omocodia variant finds them all).
    pub codice_fiscale: String,
}

/// One request as the copy shows it: the summary, every step of its
/// timeline (texts included), its attachments.
#[derive(Debug, Serialize, ToSchema)]
pub struct CopyRequest {
    pub request: RequestRow,
    pub timeline: Vec<TimelineItem>,
    pub attachments: Vec<AttachmentRow>,
}

/// Everything combipat holds about one citizen.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectCopy {
    /// The code as asked, normalised.
    pub codice_fiscale: String,
    /// The citizen's pseudonym, as the read log and erasures name them.
    pub subject: String,
    pub generated_at: DateTime<Utc>,
    /// The registry's entries for the code (INPS reference data).
    pub registry: Vec<CitizenView>,
    /// Oldest first.
    pub requests: Vec<CopyRequest>,
    /// Cancelled and past ones too, by time.
    pub bookings: Vec<BookingRow>,
    /// Who read this citizen's data, oldest first (this copy included).
    #[schema(value_type = Vec<crate::routes::access_log::PersonalDataReadDoc>)]
    pub reads: Vec<RecordedRead>,
    /// More reads than [`MAX_READS`]: the rest through the read log's query.
    pub reads_truncated: bool,
}

#[utoipa::path(get, path = "/api/v1/privacy/subject-copy", operation_id = "getSubjectCopy", tag = "audit",
    security(("bearer" = [])),
    params(CopyParams),
    responses((status = 200, body = SubjectCopy),
        (status = 400, body = crate::error::Problem, description = "cf_*, invalid_purpose"),
        (status = 403, body = crate::error::Problem)))]
pub async fn get_subject_copy(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiQuery(params): ApiQuery<CopyParams>,
    purpose: Purpose,
) -> Result<Json<SubjectCopy>, ApiError> {
    if !matches!(actor, Actor::Auditor { .. }) {
        return Err(ApiError::Forbidden);
    }
    let cf = CodiceFiscale::parse(params.codice_fiscale.trim())
        .map_err(|e| ApiError::bad_request(e.code(), e.to_string()))?;
    // The requests and bookings are found by the pseudonym, which every
    // omocodia variant of the code shares.
    let subject = app.pseudonyms.citizen(&cf);
    access::record(
        &app,
        &actor,
        &[Subject::Citizen(subject.clone())],
        "getSubjectCopy",
        Some(format!("subject-copy-{subject}")),
        &purpose,
    )
    .await?;
    let found = app.requests.citizens().by_codice_fiscale(&cf).await?;
    let found_codes: Vec<_> = found
        .iter()
        .filter_map(|c| c.codice_fiscale.known())
        .collect();
    let residences = reference::residences(&app.pool, &found_codes).await?;
    let registry = found
        .into_iter()
        .filter_map(|c| CitizenView::new(c, &residences))
        .collect();
    let names = app.sede_names.all().await.map_err(ApiError::internal)?;
    let mut requests = Vec::new();
    for request in read::list_citizen_requests(&app.pool, &subject)
        .await
        .map_err(ApiError::internal)?
    {
        let id = request.request_id;
        let entries = read::get_timeline(&app.pool, id)
            .await
            .map_err(ApiError::internal)?;
        let attachments = read::list_attachments(&app.pool, id)
            .await
            .map_err(ApiError::internal)?;
        let timeline = timeline_items(entries, Some(&request.patronato), &app.directory, &names);
        requests.push(CopyRequest {
            request,
            timeline,
            attachments,
        });
    }
    let bookings = projections::bookings::list_bookings_of_citizen(&app.pool, &subject)
        .await
        .map_err(ApiError::internal)?;
    let query = ReadQuery {
        subject: Some(subject.clone()),
        actor: None,
        from_time: None,
        to_time: None,
        include_bulk: false,
    };
    let mut reads = reads::list(&app.pool, &query, 0, MAX_READS + 1)
        .await
        .map_err(ApiError::internal)?;
    let reads_truncated = reads.len() as i64 > MAX_READS;
    reads.truncate(MAX_READS as usize);
    Ok(Json(SubjectCopy {
        codice_fiscale: cf.as_str().to_string(),
        subject,
        generated_at: app.clock.now(),
        registry,
        requests,
        bookings,
        reads,
        reads_truncated,
    }))
}
