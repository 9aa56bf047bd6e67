//! "Risposte ricevute negli ultimi 3 giorni: N" and the list behind it.

use crate::page::{clamp_limit, contains_pattern, Cursor, Page, TimeRange};
use crate::ProjectionError;
use chrono::{DateTime, Utc};
use chrono::{Duration, NaiveDate};
use domain::ids::{ProtocolNumber, UserId};
use domain::time::Timestamp;
use serde::Serialize;
use sqlx::{PgPool, Postgres, QueryBuilder};
use utoipa::ToSchema;
use uuid::Uuid;

/// The panel's window: the last 3 days (3 × 24 h before `now`).
pub const DEFAULT_DAYS: u32 = 3;

/// One reply to one of the user's requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, ToSchema)]
pub struct ReplyRow {
    pub request_id: Uuid,
    /// Stream version of the reply.
    pub version: i32,
    pub replied_at: DateTime<Utc>,
    pub replied_by: String,
    pub sede: String,
    pub created_by: String,
    pub patronato: String,
    pub office: String,
    pub protocol: String,
    pub codice_fiscale: Option<String>,
    pub subject: String,
    /// The reply's first 200 characters.
    pub excerpt: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentRepliesQuery {
    /// The creator of the requests (the panel's owner).
    pub user: UserId,
    pub now: DateTime<Utc>,
    /// Window length in days of 24 h; [`DEFAULT_DAYS`] for the panel.
    pub days: u32,
    /// Only replies of this calendar day (Europe/Rome).
    pub replied_on: Option<NaiveDate>,
    /// Case-insensitive substring of the subject.
    pub subject: Option<String>,
    /// The citizen's pseudonym (a codice fiscale searched for is turned
    /// into it at the API's edge: the table is never searched by the code).
    pub citizen: Option<String>,
    pub protocol: Option<ProtocolNumber>,
    pub cursor: Option<Cursor>,
    /// Rows per page, clamped to `1..=100`.
    pub limit: u32,
}

impl RecentRepliesQuery {
    /// The panel as it opens: last 3 days, no filters, first page of 20.
    pub fn panel(user: UserId, now: Timestamp) -> RecentRepliesQuery {
        RecentRepliesQuery {
            user,
            now,
            days: DEFAULT_DAYS,
            replied_on: None,
            subject: None,
            citizen: None,
            protocol: None,
            cursor: None,
            limit: 20,
        }
    }
}

/// The panel's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecentReplies {
    /// Replies in the window that match the filters (cursor and limit aside):
    /// without filters, the panel's "N".
    pub count: i64,
    pub page: Page<ReplyRow>,
}

/// Replies to `q.user`'s requests in `(now − days, now]`, newest first.
#[tracing::instrument(skip_all, err)]
pub async fn list_recent_replies(
    pool: &PgPool,
    q: &RecentRepliesQuery,
) -> Result<RecentReplies, ProjectionError> {
    let limit = clamp_limit(q.limit);

    let mut count = QueryBuilder::<Postgres>::new("SELECT count(*) FROM recent_replies WHERE ");
    push_filters(&mut count, q);
    let count: i64 = count.build_query_scalar().fetch_one(pool).await?;

    let mut list = QueryBuilder::<Postgres>::new(
        "SELECT request_id, version, replied_at, replied_by, sede, created_by, patronato, \
           office, protocol, codice_fiscale, subject, excerpt FROM recent_replies WHERE ",
    );
    push_filters(&mut list, q);
    if let Some(c) = &q.cursor {
        list.push(" AND (replied_at, request_id, version) < (")
            .push_bind(c.at)
            .push(", ")
            .push_bind(c.id)
            .push(", ")
            .push_bind(c.version)
            .push(")");
    }
    list.push(" ORDER BY replied_at DESC, request_id DESC, version DESC LIMIT ")
        .push_bind(limit + 1);
    let rows: Vec<ReplyRow> = list.build_query_as().fetch_all(pool).await?;
    let page = Page::from_rows(rows, limit, |r| {
        Cursor::new(r.replied_at, r.request_id, r.version)
    });
    Ok(RecentReplies { count, page })
}

fn push_filters(sql: &mut QueryBuilder<'_, Postgres>, q: &RecentRepliesQuery) {
    let window_start = q.now - Duration::days(i64::from(q.days));
    sql.push("created_by = ")
        .push_bind(q.user.as_str().to_string());
    sql.push(" AND replied_at > ").push_bind(window_start);
    sql.push(" AND replied_at <= ").push_bind(q.now);
    if let Some(day) = q.replied_on {
        let range = TimeRange::rome_day(day);
        if let (Some(from), Some(to)) = (range.from, range.to) {
            sql.push(" AND replied_at >= ").push_bind(from);
            sql.push(" AND replied_at < ").push_bind(to);
        }
    }
    if let Some(pattern) = contains_pattern(q.subject.as_deref()) {
        sql.push(" AND subject ILIKE ").push_bind(pattern);
    }
    if let Some(citizen) = &q.citizen {
        sql.push(" AND citizen_pseudonym = ")
            .push_bind(citizen.clone());
    }
    if let Some(protocol) = &q.protocol {
        sql.push(" AND protocol = ")
            .push_bind(protocol.as_str().to_string());
    }
}
