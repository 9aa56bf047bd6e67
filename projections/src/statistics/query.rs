//! Queries of the `statistics` projection: the indicators of SPEC §2.7 per key
//! of a dimension (the per-region table of seed 003: `regional.rs`).
//!
//! - Counters are sums of `stat_daily` rows (one per sending day, key, topic).
//! - `pending` = sent − replied; `overdue` = pending requests sent more than
//!   15 × 24 h before `now` (the backlog index of `stat_requests`).
//! - Percentiles of first-reply times: exact (`percentile_cont` over
//!   `stat_requests`) while the cohort has at most [`EXACT_LIMIT`] replied
//!   requests, else from the summed histograms (relative error < 5 %).

use super::histogram::Histogram;
use super::rows::rome_day;
use crate::ProjectionError;
use chrono::NaiveDate;
use domain::time::{standard_response_time, Timestamp};
use serde::Serialize;
use sqlx::PgPool;
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

/// Replied requests up to which `Auto` computes percentiles exactly.
pub const EXACT_LIMIT: i64 = 50_000;

/// What the indicators are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    /// The user who created the request.
    User,
    /// The patronato office it was sent from.
    Office,
    Patronato,
    /// The sede it was sent to (destination at sending).
    Sede,
    /// The region (or DCM) of that sede.
    Region,
}

impl Dimension {
    pub const ALL: [Dimension; 5] = [
        Dimension::User,
        Dimension::Office,
        Dimension::Patronato,
        Dimension::Sede,
        Dimension::Region,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::User => "user",
            Dimension::Office => "office",
            Dimension::Patronato => "patronato",
            Dimension::Sede => "sede",
            Dimension::Region => "region",
        }
    }

    pub fn parse(s: &str) -> Option<Dimension> {
        Dimension::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// The `stat_requests` column of the key.
    fn request_column(self) -> &'static str {
        match self {
            Dimension::User => "created_by",
            Dimension::Office => "office",
            Dimension::Patronato => "patronato",
            Dimension::Sede => "origin_sede",
            Dimension::Region => "origin_region",
        }
    }
}

/// How percentiles are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PercentileMethod {
    /// Exact up to [`EXACT_LIMIT`] replied requests, histogram above.
    #[default]
    Auto,
    Exact,
    Histogram,
}

impl PercentileMethod {
    pub fn parse(s: &str) -> Option<PercentileMethod> {
        match s {
            "auto" => Some(PercentileMethod::Auto),
            "exact" => Some(PercentileMethod::Exact),
            "histogram" => Some(PercentileMethod::Histogram),
            _ => None,
        }
    }
}

/// One statistics question. Days are Europe/Rome calendar days of SENDING,
/// both included; `None` leaves that end open.
#[derive(Debug, Clone)]
pub struct StatisticsQuery {
    pub dimension: Dimension,
    /// One key of the dimension, or every key.
    pub key: Option<String>,
    /// Only rows of this patronato (an administrator's scope).
    pub patronato: Option<String>,
    pub topic: Option<String>,
    pub subtopic: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// The instant "overdue" is measured at.
    pub now: Timestamp,
    pub method: PercentileMethod,
}

/// The indicators of one key.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Indicators {
    /// The key: user id, office code, patronato code, sede code or region code.
    pub key: String,
    /// Name of the sede or region, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Requests sent in the period.
    pub sent: i64,
    /// Of those, requests with at least one reply.
    pub replied: i64,
    /// sent − replied (requests closed without a reply included).
    pub pending: i64,
    /// Pending requests sent more than 15 × 24 h before `as_of`.
    pub overdue: i64,
    /// Solleciti sent on the period's requests.
    pub solleciti: i64,
    /// Forwards of the period's requests to another sede.
    pub forwarded: i64,
    /// Sede/region only: forwards into the key (requests of the period).
    pub forwarded_in: i64,
    /// Sede/region only: forwards out of the key (requests of the period).
    pub forwarded_out: i64,
    /// Requests on which the sede enabled appointment booking.
    pub appointments_enabled: i64,
    /// Appointments booked on the period's requests and not cancelled.
    pub appointments_booked: i64,
    /// Requests whose conversation the sede closed.
    pub closed: i64,
    /// Requests sent at least 15 × 24 h before `as_of`: the ones whose
    /// 15-day outcome is known.
    pub aged_15_days: i64,
    /// Of `aged_15_days`, those whose first reply came within 15 × 24 h.
    pub aged_replied_within_15_days: i64,
    /// aged_replied_within_15_days / aged_15_days (null when no request is
    /// 15 days old yet): an unanswered request counts against.
    pub share_replied_within_15_days: Option<f64>,
    /// Median time from sending to the first reply, hours.
    pub median_hours_to_first_reply: Option<f64>,
    /// 90th percentile of the time to the first reply, hours.
    pub p90_hours_to_first_reply: Option<f64>,
    /// Mean time to the first reply, hours (millisecond precision).
    pub mean_hours_to_first_reply: Option<f64>,
    /// `exact` or `histogram` (see docs/analytics.md).
    pub percentiles: String,
}

impl Indicators {
    fn zero(key: String) -> Indicators {
        Indicators {
            key,
            label: None,
            sent: 0,
            replied: 0,
            pending: 0,
            overdue: 0,
            solleciti: 0,
            forwarded: 0,
            forwarded_in: 0,
            forwarded_out: 0,
            appointments_enabled: 0,
            appointments_booked: 0,
            closed: 0,
            aged_15_days: 0,
            aged_replied_within_15_days: 0,
            share_replied_within_15_days: None,
            median_hours_to_first_reply: None,
            p90_hours_to_first_reply: None,
            mean_hours_to_first_reply: None,
            percentiles: "exact".to_string(),
        }
    }
}

#[derive(sqlx::FromRow)]
struct CounterRow {
    key: String,
    sent: i64,
    replied: i64,
    /// Sent on a day wholly before the 15-day cutoff's day.
    aged_sent: i64,
    aged_within: i64,
    reply_ms_sum: f64,
    solleciti: i64,
    forwarded: i64,
    forwarded_in: i64,
    forwarded_out: i64,
    appointments_enabled: i64,
    appointments_booked: i64,
    closed: i64,
}

/// The filters shared by every statement, as `$1…$7`: dimension, key,
/// patronato, from, to, topic, subtopic (the dimension's column is in the text).
fn daily_filter() -> &'static str {
    "dimension = $1 AND ($2::text IS NULL OR key = $2) \
     AND ($3::text IS NULL OR patronato = $3) \
     AND ($4::date IS NULL OR day >= $4) AND ($5::date IS NULL OR day <= $5) \
     AND ($6::text IS NULL OR topic = $6) AND ($7::text IS NULL OR subtopic = $7)"
}

fn request_filter(column: &str) -> String {
    format!(
        "($2::text IS NULL OR {column} = $2) AND ($3::text IS NULL OR patronato = $3) \
         AND ($4::date IS NULL OR sent_day >= $4) AND ($5::date IS NULL OR sent_day <= $5) \
         AND ($6::text IS NULL OR topic = $6) AND ($7::text IS NULL OR subtopic = $7)"
    )
}

macro_rules! bind_filters {
    ($query:expr, $q:expr) => {
        $query
            .bind($q.dimension.as_str())
            .bind($q.key.as_deref())
            .bind($q.patronato.as_deref())
            .bind($q.from)
            .bind($q.to)
            .bind($q.topic.as_deref())
            .bind($q.subtopic.as_deref())
    };
}

/// The indicators per key, ordered by key. With a `key`, exactly one row
/// (zeros when nothing matched).
pub async fn indicators(
    pool: &PgPool,
    q: &StatisticsQuery,
) -> Result<Vec<Indicators>, ProjectionError> {
    let sql = format!(
        "SELECT key, sum(sent)::bigint AS sent, sum(replied)::bigint AS replied, \
           coalesce(sum(sent) FILTER (WHERE day < $8), 0)::bigint AS aged_sent, \
           coalesce(sum(replied_within_15d) FILTER (WHERE day < $8), 0)::bigint AS aged_within, \
           sum(reply_ms_sum)::float8 AS reply_ms_sum, sum(solleciti)::bigint AS solleciti, \
           sum(forwarded)::bigint AS forwarded, sum(forwarded_in)::bigint AS forwarded_in, \
           sum(forwarded_out)::bigint AS forwarded_out, \
           sum(appointments_enabled)::bigint AS appointments_enabled, \
           sum(appointments_booked)::bigint AS appointments_booked, \
           sum(closed)::bigint AS closed \
         FROM stat_daily WHERE {} GROUP BY key ORDER BY key",
        daily_filter()
    );
    let cutoff = q.now - standard_response_time();
    let cutoff_day = rome_day(cutoff);
    let counters: Vec<CounterRow> = bind_filters!(sqlx::query_as(&sql), q)
        .bind(cutoff_day)
        .fetch_all(pool)
        .await?;
    let mut out: BTreeMap<String, Indicators> = BTreeMap::new();
    for c in counters {
        let mut i = Indicators::zero(c.key.clone());
        i.sent = c.sent;
        i.replied = c.replied;
        i.pending = c.sent - c.replied;
        i.solleciti = c.solleciti;
        i.forwarded = c.forwarded;
        i.forwarded_in = c.forwarded_in;
        i.forwarded_out = c.forwarded_out;
        i.appointments_enabled = c.appointments_enabled;
        i.appointments_booked = c.appointments_booked;
        i.closed = c.closed;
        i.aged_15_days = c.aged_sent;
        i.aged_replied_within_15_days = c.aged_within;
        if c.replied > 0 {
            i.mean_hours_to_first_reply = Some(c.reply_ms_sum / c.replied as f64 / 3_600_000.0);
        }
        out.insert(c.key, i);
    }
    if let Some(key) = &q.key {
        out.entry(key.clone())
            .or_insert_with(|| Indicators::zero(key.clone()));
    }

    let column = q.dimension.request_column();
    let overdue_sql = format!(
        "SELECT {column} AS key, count(*)::bigint FROM stat_requests \
         WHERE first_reply_at IS NULL AND sent_at < $8 AND $1::text IS NOT NULL AND {} \
         GROUP BY {column}",
        request_filter(column)
    );
    let overdue: Vec<(String, i64)> = bind_filters!(sqlx::query_as(&overdue_sql), q)
        .bind(cutoff)
        .fetch_all(pool)
        .await?;
    for (key, n) in overdue {
        if let Some(i) = out.get_mut(&key) {
            i.overdue = n;
        }
    }
    aged_on_the_cutoff_day(pool, q, cutoff, &mut out).await?;

    let replied: i64 = out.values().map(|i| i.replied).sum();
    let exact = match q.method {
        PercentileMethod::Exact => true,
        PercentileMethod::Histogram => false,
        PercentileMethod::Auto => replied <= EXACT_LIMIT,
    };
    if replied > 0 {
        if exact {
            exact_percentiles(pool, q, &mut out).await?;
        } else {
            histogram_percentiles(pool, q, &mut out).await?;
        }
    }
    for i in out.values_mut() {
        i.percentiles = if exact { "exact" } else { "histogram" }.to_string();
    }
    label(pool, q.dimension, &mut out).await?;
    Ok(out.into_values().collect())
}

/// The 15-day denominator moves with `now`: the days wholly before the
/// cutoff's Europe/Rome day come from `stat_daily` (above); this adds the
/// requests of the cutoff's own day sent at or before it, from
/// `stat_requests` (one day of requests, index on `sent_day`), and sets the share.
async fn aged_on_the_cutoff_day(
    pool: &PgPool,
    q: &StatisticsQuery,
    cutoff: Timestamp,
    out: &mut BTreeMap<String, Indicators>,
) -> Result<(), ProjectionError> {
    let column = q.dimension.request_column();
    let sql = format!(
        "SELECT {column} AS key, count(*)::bigint, \
           count(*) FILTER (WHERE first_reply_at <= sent_at + $10 * interval '1 second')::bigint \
         FROM stat_requests \
         WHERE sent_day = $8 AND sent_at <= $9 AND $1::text IS NOT NULL AND {} \
         GROUP BY {column}",
        request_filter(column)
    );
    let standard = standard_response_time().num_seconds() as f64;
    let rows: Vec<(String, i64, i64)> = bind_filters!(sqlx::query_as(&sql), q)
        .bind(rome_day(cutoff))
        .bind(cutoff)
        .bind(standard)
        .fetch_all(pool)
        .await?;
    for (key, aged, within) in rows {
        if let Some(i) = out.get_mut(&key) {
            i.aged_15_days += aged;
            i.aged_replied_within_15_days += within;
        }
    }
    for i in out.values_mut() {
        if i.aged_15_days > 0 {
            i.share_replied_within_15_days =
                Some(i.aged_replied_within_15_days as f64 / i.aged_15_days as f64);
        }
    }
    Ok(())
}

async fn exact_percentiles(
    pool: &PgPool,
    q: &StatisticsQuery,
    out: &mut BTreeMap<String, Indicators>,
) -> Result<(), ProjectionError> {
    let column = q.dimension.request_column();
    let sql = format!(
        "SELECT {column} AS key, \
           percentile_cont(0.5) WITHIN GROUP (ORDER BY reply_seconds) AS p50, \
           percentile_cont(0.9) WITHIN GROUP (ORDER BY reply_seconds) AS p90 \
         FROM stat_requests WHERE reply_seconds IS NOT NULL AND $1::text IS NOT NULL AND {} \
         GROUP BY {column}",
        request_filter(column)
    );
    let rows: Vec<(String, Option<f64>, Option<f64>)> = bind_filters!(sqlx::query_as(&sql), q)
        .fetch_all(pool)
        .await?;
    for (key, p50, p90) in rows {
        if let Some(i) = out.get_mut(&key) {
            i.median_hours_to_first_reply = p50.map(|s| s / 3600.0);
            i.p90_hours_to_first_reply = p90.map(|s| s / 3600.0);
        }
    }
    Ok(())
}

async fn histogram_percentiles(
    pool: &PgPool,
    q: &StatisticsQuery,
    out: &mut BTreeMap<String, Indicators>,
) -> Result<(), ProjectionError> {
    let sql = format!(
        "SELECT key, b.bucket::int4, sum(b.n::bigint)::bigint \
         FROM stat_daily CROSS JOIN LATERAL jsonb_each_text(reply_hist) AS b(bucket, n) \
         WHERE {} GROUP BY 1, 2",
        daily_filter()
    );
    let rows: Vec<(String, i32, i64)> = bind_filters!(sqlx::query_as(&sql), q)
        .fetch_all(pool)
        .await?;
    let mut hists: HashMap<String, Histogram> = HashMap::new();
    for (key, bucket, n) in rows {
        hists.entry(key).or_default().add(
            u32::try_from(bucket).unwrap_or(0),
            u64::try_from(n).unwrap_or(0),
        );
    }
    for (key, h) in hists {
        if let Some(i) = out.get_mut(&key) {
            i.median_hours_to_first_reply = h.quantile(0.5).map(|s| s / 3600.0);
            i.p90_hours_to_first_reply = h.quantile(0.9).map(|s| s / 3600.0);
        }
    }
    Ok(())
}

/// Names of sedi and regions.
async fn label(
    pool: &PgPool,
    dimension: Dimension,
    out: &mut BTreeMap<String, Indicators>,
) -> Result<(), ProjectionError> {
    let keys: Vec<String> = out.keys().cloned().collect();
    let names = match dimension {
        Dimension::Sede => sede_names(pool, &keys).await?,
        Dimension::Region => {
            let rows: Vec<(String, String)> =
                sqlx::query_as("SELECT code, name FROM ref_regions WHERE code = ANY($1)")
                    .bind(&keys)
                    .fetch_all(pool)
                    .await?;
            rows.into_iter().collect()
        }
        _ => return Ok(()),
    };
    for (key, i) in out.iter_mut() {
        i.label = names.get(key).cloned();
    }
    Ok(())
}

/// The names of the given sedi (those `ref_sedi` knows).
pub async fn sede_names(
    pool: &PgPool,
    codes: &[String],
) -> Result<HashMap<String, String>, ProjectionError> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT code, name FROM ref_sedi WHERE code = ANY($1)")
            .bind(codes)
            .fetch_all(pool)
            .await?;
    Ok(rows.into_iter().collect())
}
