//! Lists over `request_summary`: the patronato's history ("Storico
//! richieste", SPEC §2.5) and the sede inbox (§2.8). Newest first by
//! `(sent_at, request_id)`, keyset-paginated.

use super::trigrams;
use crate::page::{clamp_limit, contains_pattern, Cursor, Page, TimeRange};
use crate::ProjectionError;
use chrono::NaiveDate;
use chrono::{DateTime, Utc};
use domain::ids::{OfficeId, PatronatoId, ProtocolNumber, SedeCode, UserId};
use domain::request::Status;
use domain::time::{standard_response_time, Timestamp};
use serde::Serialize;
use sqlx::{PgPool, Postgres, QueryBuilder};
use utoipa::ToSchema;
use uuid::Uuid;

/// Every column of `request_summary`.
pub(crate) const SUMMARY_COLUMNS: &str = "request_id, protocol, patronato, office, created_by, \
    created_by_role, requester_kind, codice_fiscale, citizen_surname, citizen_name, \
    citizen_birth_date, referent_region, topic, topic_label, subtopic, subtopic_label, subject, \
    text, notes, practice_ref_kind, practice_ref_value, status, current_sede, origin_sede, \
    sent_at, last_activity_at, first_reply_at, last_reply_at, last_reply_excerpt, replies, \
    awaiting_reply_since, \
    in_charge_by, interactions_used, solleciti, last_sollecito_at, appointment_enabled, \
    closed_at, forwards, attachments_count, version, last_position";

/// One request as the lists and the detail header show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, ToSchema)]
pub struct RequestRow {
    pub request_id: Uuid,
    pub protocol: String,
    pub patronato: String,
    pub office: String,
    pub created_by: String,
    /// `operator`, `patronato_admin` or `regional_referent`.
    pub created_by_role: String,
    /// `citizen` or `own_behalf`.
    pub requester_kind: String,
    pub codice_fiscale: Option<String>,
    pub citizen_surname: Option<String>,
    pub citizen_name: Option<String>,
    pub citizen_birth_date: Option<NaiveDate>,
    pub referent_region: Option<String>,
    pub topic: String,
    pub topic_label: String,
    pub subtopic: Option<String>,
    pub subtopic_label: Option<String>,
    pub subject: String,
    pub text: String,
    pub notes: Option<String>,
    pub practice_ref_kind: Option<String>,
    pub practice_ref_value: Option<String>,
    /// [`Status::as_str`]; see [`RequestRow::status`].
    pub status: String,
    pub current_sede: String,
    pub origin_sede: String,
    pub sent_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
    pub first_reply_at: Option<DateTime<Utc>>,
    pub last_reply_at: Option<DateTime<Utc>>,
    /// The start of the last reply (at most 140 characters, cut on a word,
    /// `…` when shortened); `None` before the first reply.
    pub last_reply_excerpt: Option<String>,
    pub replies: i32,
    pub awaiting_reply_since: Option<DateTime<Utc>>,
    pub in_charge_by: Option<String>,
    pub interactions_used: i32,
    pub solleciti: i32,
    pub last_sollecito_at: Option<DateTime<Utc>>,
    pub appointment_enabled: bool,
    pub closed_at: Option<DateTime<Utc>>,
    pub forwards: i32,
    pub attachments_count: i32,
    /// Stream version of the last event applied (compare with a command's answer).
    pub version: i32,
    /// Global position of the last event applied.
    pub last_position: i64,
}

impl RequestRow {
    pub fn status(&self) -> Option<Status> {
        Status::parse(&self.status)
    }

    /// Awaiting a reply for longer than the 15-day standard at `now`.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.closed_at.is_none()
            && self
                .awaiting_reply_since
                .is_some_and(|since| since < now - standard_response_time())
    }

    fn cursor(&self) -> Cursor {
        Cursor::new(self.sent_at, self.request_id, 0)
    }
}

/// The filters of the history and of the inbox; all optional, combined with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestFilters {
    /// When the request was sent; see [`TimeRange::rome_days`] for dates.
    pub sent: TimeRange,
    /// Case-insensitive substring of the subject or the text.
    pub subject: Option<String>,
    pub protocol: Option<ProtocolNumber>,
    /// The citizen's pseudonym (a codice fiscale searched for is turned
    /// into it at the API's edge: the table is never searched by the code).
    pub citizen: Option<String>,
    pub status: Option<Status>,
}

/// Whose requests a history lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryScope {
    /// "Tutte le richieste della sede": the patronato office's requests.
    Office {
        patronato: PatronatoId,
        office: OfficeId,
    },
    /// Only those the user created.
    Mine {
        patronato: PatronatoId,
        user: UserId,
    },
    /// Every office of the patronato (administrators).
    Patronato { patronato: PatronatoId },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryQuery {
    pub scope: HistoryScope,
    pub filters: RequestFilters,
    /// The `next_cursor` of the previous page; `None` for the first.
    pub cursor: Option<Cursor>,
    /// Rows per page, clamped to `1..=100`.
    pub limit: u32,
}

/// The history ("Storico richieste"), newest first.
#[tracing::instrument(skip_all, err)]
pub async fn list_history(
    pool: &PgPool,
    q: &HistoryQuery,
) -> Result<Page<RequestRow>, ProjectionError> {
    let scope = |sql: &mut QueryBuilder<'_, Postgres>| match &q.scope {
        HistoryScope::Office { patronato, office } => {
            sql.push("patronato = ")
                .push_bind(patronato.as_str().to_string());
            sql.push(" AND office = ")
                .push_bind(office.as_str().to_string());
        }
        HistoryScope::Mine { patronato, user } => {
            sql.push("created_by = ")
                .push_bind(user.as_str().to_string());
            sql.push(" AND patronato = ")
                .push_bind(patronato.as_str().to_string());
        }
        HistoryScope::Patronato { patronato } => {
            sql.push("patronato = ")
                .push_bind(patronato.as_str().to_string());
        }
    };
    fetch_page(pool, &scope, &q.filters, q.cursor.as_ref(), q.limit).await
}

/// The buckets of a sede's inbox. Every bucket but `All` leaves closed requests out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InboxBucket {
    All,
    /// Nobody took it in charge and it awaits a reply.
    New,
    /// Taken in charge.
    InCharge,
    /// The latest patronato communication has no reply.
    AwaitingReply,
    /// Awaiting a reply for longer than the 15-day standard.
    Overdue,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxQuery {
    pub sede: SedeCode,
    pub bucket: InboxBucket,
    pub filters: RequestFilters,
    /// The instant "overdue" is measured at (the service's clock).
    pub now: DateTime<Utc>,
    pub cursor: Option<Cursor>,
    /// Rows per page, clamped to `1..=100`.
    pub limit: u32,
}

/// A request in a sede's inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct InboxRow {
    #[serde(flatten)]
    pub request: RequestRow,
    /// Awaiting a reply for longer than the 15-day standard at the query's `now`.
    pub overdue: bool,
}

/// The requests currently at `q.sede`, newest first.
#[tracing::instrument(skip_all, fields(sede = %q.sede), err)]
pub async fn list_inbox(pool: &PgPool, q: &InboxQuery) -> Result<Page<InboxRow>, ProjectionError> {
    let scope = |sql: &mut QueryBuilder<'_, Postgres>| {
        sql.push("current_sede = ")
            .push_bind(q.sede.as_str().to_string());
        match q.bucket {
            InboxBucket::All => {}
            InboxBucket::New => {
                sql.push(
                    " AND in_charge_by IS NULL AND awaiting_reply_since IS NOT NULL \
                     AND closed_at IS NULL",
                );
            }
            InboxBucket::InCharge => {
                sql.push(" AND in_charge_by IS NOT NULL AND closed_at IS NULL");
            }
            InboxBucket::AwaitingReply => {
                sql.push(" AND awaiting_reply_since IS NOT NULL AND closed_at IS NULL");
            }
            InboxBucket::Overdue => {
                sql.push(" AND closed_at IS NULL AND awaiting_reply_since < ")
                    .push_bind(q.now - standard_response_time());
            }
        }
    };
    let page = fetch_page(pool, &scope, &q.filters, q.cursor.as_ref(), q.limit).await?;
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(|request| InboxRow {
                overdue: request.is_overdue(q.now),
                request,
            })
            .collect(),
        next_cursor: page.next_cursor,
    })
}

/// How many requests of a sede are in each bucket at `now`: the same
/// conditions as [`list_inbox`]'s buckets, without the list's filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, sqlx::FromRow, ToSchema)]
pub struct InboxCounts {
    pub all: i64,
    pub new: i64,
    pub in_charge: i64,
    pub awaiting_reply: i64,
    pub overdue: i64,
}

/// One statement that reads indexes only (migration 0025): the open buckets
/// from the sede's open requests (`request_summary_inbox_open_counts`
/// carries what they test), "all" from `request_summary_inbox`.
#[tracing::instrument(skip_all, fields(sede = %sede), err)]
pub async fn inbox_counts(
    pool: &PgPool,
    sede: &SedeCode,
    now: Timestamp,
) -> Result<InboxCounts, ProjectionError> {
    let counts = sqlx::query_as(
        "SELECT (SELECT count(*) FROM request_summary WHERE current_sede = $1) AS \"all\", \
                open.* \
         FROM (SELECT \
                 count(*) FILTER (WHERE in_charge_by IS NULL \
                                    AND awaiting_reply_since IS NOT NULL) AS \"new\", \
                 count(in_charge_by) AS in_charge, \
                 count(awaiting_reply_since) AS awaiting_reply, \
                 count(*) FILTER (WHERE awaiting_reply_since < $2) AS overdue \
               FROM request_summary WHERE current_sede = $1 AND closed_at IS NULL) AS open",
    )
    .bind(sede.as_str())
    .bind(now - standard_response_time())
    .fetch_one(pool)
    .await?;
    Ok(counts)
}

/// The conditions that pick a list's requests (after `WHERE`).
type Scope<'s> = dyn Fn(&mut QueryBuilder<'_, Postgres>) + Sync + 's;

/// Rows of a list, newest first, that a text search reads in the list's own
/// order before it turns to the trigram index.
pub const SEARCH_WINDOW: i64 = 1_000;

/// One page of a list.
///
/// Without a text filter: one keyset query on the list's B-tree index. With
/// one, in two steps, because how many requests contain a text decides the
/// fast plan and the planner cannot know it (it guesses from the pattern's
/// length): first the newest [`SEARCH_WINDOW`] rows of the list are read in
/// order and filtered — a common word (a sub-topic, "estratto conto") fills
/// the page there; only if it does not, the rest of the list is searched
/// through the trigram index of `request_search`, which is selective
/// exactly when the word is rare.
async fn fetch_page(
    pool: &PgPool,
    scope: &Scope<'_>,
    filters: &RequestFilters,
    cursor: Option<&Cursor>,
    limit: u32,
) -> Result<Page<RequestRow>, ProjectionError> {
    let limit = clamp_limit(limit);
    let Some(pattern) = contains_pattern(filters.subject.as_deref()) else {
        let mut sql = select(scope, filters, cursor);
        push_order(&mut sql, limit + 1);
        let rows: Vec<RequestRow> = sql.build_query_as().fetch_all(pool).await?;
        return Ok(Page::from_rows(rows, limit, RequestRow::cursor));
    };

    let mut recent = QueryBuilder::<Postgres>::new(format!("SELECT {SUMMARY_COLUMNS} FROM ("));
    push_select(&mut recent, scope, filters, cursor);
    push_order(&mut recent, SEARCH_WINDOW);
    recent.push(") AS recent WHERE ");
    push_row_contains(&mut recent, &pattern);
    push_order(&mut recent, limit + 1);
    // Both steps are planned with their values every time (see below).
    let recent = recent.build_query_as().persistent(false);
    let mut rows: Vec<RequestRow> = recent.fetch_all(pool).await?;
    if rows.len() as i64 <= limit {
        // The window's last row, if the list had that many: the rest is older.
        let mut edge =
            QueryBuilder::<Postgres>::new("SELECT sent_at, request_id FROM request_summary WHERE ");
        scope(&mut edge);
        push_filters(&mut edge, filters, cursor);
        push_order(&mut edge, 1);
        edge.push(" OFFSET ").push_bind(SEARCH_WINDOW - 1);
        let edge: Option<(DateTime<Utc>, Uuid)> =
            edge.build_query_as().fetch_optional(pool).await?;
        if let Some((at, id)) = edge {
            let older = Cursor::new(at, id, 0);
            let mut sql = select(scope, filters, Some(&older));
            sql.push(" AND ");
            let needle = filters.subject.as_deref().unwrap_or_default().trim();
            push_indexed_contains(&mut sql, needle, &pattern);
            push_order(&mut sql, limit + 1 - rows.len() as i64);
            // Planned for its values every time, never as a prepared
            // statement: after five calls PostgreSQL may keep a generic plan,
            // which cannot tell a rare text from a common one and walks the
            // whole list, probing each request's text, where the text's own
            // plan asks the trigram index; the window's generic plan sorted
            // the whole list (decision A35).
            let query = sql.build_query_as::<RequestRow>().persistent(false);
            rows.extend(query.fetch_all(pool).await?);
        }
    }
    Ok(Page::from_rows(rows, limit, RequestRow::cursor))
}

/// `SELECT … FROM request_summary WHERE <scope> <filters but the text> <cursor>`.
fn select<'q>(
    scope: &Scope<'_>,
    filters: &'q RequestFilters,
    cursor: Option<&Cursor>,
) -> QueryBuilder<'q, Postgres> {
    let mut sql = QueryBuilder::new("");
    push_select(&mut sql, scope, filters, cursor);
    sql
}

fn push_select(
    sql: &mut QueryBuilder<'_, Postgres>,
    scope: &Scope<'_>,
    filters: &RequestFilters,
    cursor: Option<&Cursor>,
) {
    sql.push(format!(
        "SELECT {SUMMARY_COLUMNS} FROM request_summary WHERE "
    ));
    scope(sql);
    push_filters(sql, filters, cursor);
}

/// The text searched: the one whose trigrams key `request_search`
/// (`trigrams.rs`).
const SEARCHED_TEXT: &str = "(subject || ' ' || text)";

/// The text test on rows already read (the window).
fn push_row_contains(sql: &mut QueryBuilder<'_, Postgres>, pattern: &str) {
    sql.push(format!("{SEARCHED_TEXT} ILIKE "))
        .push_bind(pattern.to_string());
}

/// The same test through the trigram index: the requests whose keys hold
/// every key of the needle, then the text test on those. A needle without
/// keys (no three letters or digits in a row, no short word shown whole)
/// narrows nothing, and gets the text test alone.
fn push_indexed_contains(sql: &mut QueryBuilder<'_, Postgres>, needle: &str, pattern: &str) {
    let keys = trigrams::of_needle(needle);
    if !keys.is_empty() {
        sql.push("request_id IN (SELECT request_id FROM request_search WHERE trigrams @> ")
            .push_bind(keys)
            .push(") AND ");
    }
    push_row_contains(sql, pattern);
}

/// Newest first; `limit` rows.
fn push_order(sql: &mut QueryBuilder<'_, Postgres>, limit: i64) {
    sql.push(" ORDER BY sent_at DESC, request_id DESC LIMIT ")
        .push_bind(limit);
}

/// The filters but the text, and the cursor.
fn push_filters(sql: &mut QueryBuilder<'_, Postgres>, f: &RequestFilters, cursor: Option<&Cursor>) {
    if let Some(from) = f.sent.from {
        sql.push(" AND sent_at >= ").push_bind(from);
    }
    if let Some(to) = f.sent.to {
        sql.push(" AND sent_at < ").push_bind(to);
    }
    if let Some(protocol) = &f.protocol {
        sql.push(" AND protocol = ")
            .push_bind(protocol.as_str().to_string());
    }
    if let Some(citizen) = &f.citizen {
        sql.push(" AND citizen_pseudonym = ")
            .push_bind(citizen.clone());
    }
    if let Some(status) = f.status {
        sql.push(" AND status = ").push_bind(status.as_str());
    }
    if let Some(c) = cursor {
        sql.push(" AND (sent_at, request_id) < (")
            .push_bind(c.at)
            .push(", ")
            .push_bind(c.id)
            .push(")");
    }
}
