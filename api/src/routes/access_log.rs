//! "Who looked at this citizen in this period" (issue 26): the read log for
//! auditors. The query is itself a read of the citizen's data: an `AuditRead`
//! event and a read record, before anything is read.

use crate::access::{self, Purpose, Subject};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use commands::privacy::reads::{self, ReadQuery, RecordedRead};
use domain::actor::Actor;
use domain::codice_fiscale::CodiceFiscale;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/audit/personal-data-reads",
        get(list_personal_data_reads),
    )
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReadsParams {
    /// The citizen's codice fiscale (looked up by its pseudonym; never stored).
    pub codice_fiscale: Option<String>,
    /// A subject's pseudonym, as the log shows it (`c…` citizen, `b…` booking).
    pub subject: Option<String>,
    /// The reader's id (token subject).
    pub actor: Option<String>,
    /// Read at or after this instant (RFC 3339).
    pub from_time: Option<DateTime<Utc>>,
    /// Read before this instant.
    pub to_time: Option<DateTime<Utc>>,
    /// With a subject: also the bulk reads of the period (audit listings and
    /// exports over the whole log). Default false.
    #[serde(default)]
    pub include_bulk: bool,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1–1000, default 100.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
}

/// One recorded read of personal data.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PersonalDataRead)]
pub struct PersonalDataReadDoc {
    pub id: i64,
    pub read_at: DateTime<Utc>,
    pub actor_id: String,
    pub actor_role: String,
    /// `patronato:P/office:O`, `sede:S`, or the role of an unscoped reader.
    pub scope: String,
    /// The subject's pseudonym; absent for a bulk read.
    pub subject: Option<String>,
    /// `citizen`, `booking` or `bulk`.
    pub subject_kind: String,
    /// The operationId that served the read.
    pub operation: String,
    /// `request-<uuid>`, `booking-<uuid>`, `agenda-<sede>`, a stream id.
    pub target: Option<String>,
    /// Why, as the reader stated it (`X-Access-Purpose`).
    pub purpose: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonalDataReadsPage {
    /// The pseudonym searched, when a codice fiscale or subject was given.
    pub subject: Option<String>,
    #[schema(value_type = Vec<PersonalDataReadDoc>)]
    pub items: Vec<RecordedRead>,
    /// Pass as `cursor` (same filters) for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/audit/personal-data-reads", operation_id = "listPersonalDataReads", tag = "audit",
    security(("bearer" = [])),
    params(ReadsParams),
    responses((status = 200, body = PersonalDataReadsPage),
        (status = 400, body = crate::error::Problem, description = "cf_*, invalid_date_range, invalid_cursor, invalid_limit"),
        (status = 403, body = crate::error::Problem)))]
pub async fn list_personal_data_reads(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiQuery(params): ApiQuery<ReadsParams>,
    purpose: Purpose,
) -> Result<Json<PersonalDataReadsPage>, ApiError> {
    if !matches!(actor, Actor::Auditor { .. }) {
        return Err(ApiError::Forbidden);
    }
    let limit = crate::paging::limit(params.limit.as_deref(), 100, 1_000).map(i64::from)?;
    let after = match params.cursor.as_deref() {
        None => 0,
        Some(c) => c.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_cursor",
                "Cursore non valido: ripartire dalla prima pagina",
            )
        })?,
    };
    if let (Some(a), Some(b)) = (params.from_time, params.to_time) {
        if a > b {
            return Err(ApiError::bad_request(
                "invalid_date_range",
                "from_time è successivo a to_time",
            ));
        }
    }
    let from_code = match params.codice_fiscale.as_deref().map(str::trim) {
        Some(cf) if !cf.is_empty() => Some(
            CodiceFiscale::parse(cf)
                .map(|cf| app.pseudonyms.citizen(&cf))
                .map_err(|e| ApiError::bad_request(e.code(), e.to_string()))?,
        ),
        _ => None,
    };
    let subject = from_code.or_else(|| {
        params
            .subject
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    });
    let subjects = match &subject {
        Some(s) if s.starts_with('b') => vec![Subject::Booking(s.clone())],
        Some(s) => vec![Subject::Citizen(s.clone())],
        None => vec![Subject::Bulk],
    };
    access::record(
        &app,
        &actor,
        &subjects,
        "listPersonalDataReads",
        None,
        &purpose,
    )
    .await?;
    let query = ReadQuery {
        subject: subject.clone(),
        actor: params.actor.clone().filter(|a| !a.trim().is_empty()),
        from_time: params.from_time,
        to_time: params.to_time,
        include_bulk: params.include_bulk,
    };
    let mut items = reads::list(&app.pool, &query, after, limit + 1)
        .await
        .map_err(ApiError::internal)?;
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    let next_cursor = more
        .then(|| items.last().map(|r| r.id.to_string()))
        .flatten();
    Ok(Json(PersonalDataReadsPage {
        subject,
        items,
        next_cursor,
    }))
}
