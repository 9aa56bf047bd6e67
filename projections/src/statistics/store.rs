//! Writes of the `statistics` projection: `stat_requests`, `stat_daily`,
//! `stat_flows`. Unqualified table names (a rebuild redirects them); every
//! value comes from the events (and the sede → region map of `ref_sedi`, read
//! when the event is applied and kept in `stat_requests`); a request's row
//! carries the stream version last applied, so applying an event twice
//! changes nothing.

use super::histogram;
use crate::events::RequestFact;
use crate::ProjectionError;
use chrono::NaiveDate;
use chrono_tz::Europe::Rome;
use domain::request::{RequestEvent, RequestSent};
use domain::time::{standard_response_time, Timestamp};
use sqlx::PgConnection;
use uuid::Uuid;

/// The region of a sede missing from `ref_sedi`.
pub const UNKNOWN_REGION: &str = "ND";

/// The Europe/Rome calendar day of an instant.
pub fn rome_day(at: Timestamp) -> NaiveDate {
    at.with_timezone(&Rome).date_naive()
}

/// What a request is counted under, as `stat_requests` keeps it.
#[derive(Debug, Clone, sqlx::FromRow)]
struct Cohort {
    sent_at: Timestamp,
    sent_day: NaiveDate,
    topic: String,
    subtopic: String,
    patronato: String,
    office: String,
    created_by: String,
    origin_sede: String,
    origin_region: String,
    current_sede: String,
    current_region: String,
    first_reply_at: Option<Timestamp>,
    appointment_enabled: bool,
    closed_at: Option<Timestamp>,
    version: i32,
}

/// Increments of one `stat_daily` row.
#[derive(Debug, Clone, Copy, Default)]
struct Delta {
    sent: i32,
    replied: i32,
    replied_within_15d: i32,
    reply_ms: i64,
    bucket: Option<u32>,
    solleciti: i32,
    forwarded: i32,
    forwarded_in: i32,
    forwarded_out: i32,
    appointments: i32,
    closed: i32,
}

/// Increments of one `stat_flows` row.
#[derive(Debug, Clone, Copy, Default)]
struct Flow {
    requests_in: i32,
    messages_in: i32,
    solleciti_in: i32,
    replies_out: i32,
    forwarded_in: i32,
    forwarded_out: i32,
    forwarded_in_other_region: i32,
    forwarded_out_other_region: i32,
}

pub(crate) async fn apply(conn: &mut PgConnection, f: &RequestFact) -> Result<(), ProjectionError> {
    if let RequestEvent::RequestSent(sent) = &f.event {
        return request_sent(conn, f, sent).await;
    }
    // Events that change no counter are skipped without a write.
    if matches!(
        f.event,
        RequestEvent::AttachmentAdded { .. }
            | RequestEvent::AttachmentRemoved { .. }
            | RequestEvent::TakenInCharge { .. }
    ) {
        return Ok(());
    }
    let Some(c) = lock_cohort(conn, f.request_id).await? else {
        // A stream without its RequestSent cannot be counted anywhere.
        return Ok(());
    };
    if c.version >= f.version {
        return Ok(());
    }
    match &f.event {
        RequestEvent::ReplyReceived { sede, at, .. } => {
            let flow = Flow {
                replies_out: 1,
                ..Flow::default()
            };
            let region = region_of(conn, sede, &c).await?;
            bump_flow(conn, rome_day(*at), sede.as_str(), &region, flow).await?;
            if c.first_reply_at.is_none() {
                let micros = (*at - c.sent_at).num_microseconds().unwrap_or(i64::MAX);
                let seconds = micros as f64 / 1e6;
                let within = *at - c.sent_at <= standard_response_time();
                sqlx::query(
                    "UPDATE stat_requests SET first_reply_at = $2, reply_seconds = $3, version = $4 \
                     WHERE request_id = $1",
                )
                .bind(f.request_id)
                .bind(at)
                .bind(seconds)
                .bind(f.version)
                .execute(&mut *conn)
                .await?;
                let delta = Delta {
                    replied: 1,
                    replied_within_15d: i32::from(within),
                    reply_ms: micros / 1000,
                    bucket: Some(histogram::bucket(seconds)),
                    ..Delta::default()
                };
                bump_cohort(conn, &c, delta).await?;
                return Ok(());
            }
        }
        RequestEvent::MessageSent { at, .. } => {
            let flow = Flow {
                messages_in: 1,
                ..Flow::default()
            };
            bump_flow(
                conn,
                rome_day(*at),
                &c.current_sede,
                &c.current_region,
                flow,
            )
            .await?;
        }
        RequestEvent::SollecitoSent { at, .. } => {
            sqlx::query(
                "UPDATE stat_requests SET solleciti = solleciti + 1, version = $2 \
                 WHERE request_id = $1",
            )
            .bind(f.request_id)
            .bind(f.version)
            .execute(&mut *conn)
            .await?;
            let flow = Flow {
                solleciti_in: 1,
                ..Flow::default()
            };
            bump_flow(
                conn,
                rome_day(*at),
                &c.current_sede,
                &c.current_region,
                flow,
            )
            .await?;
            let delta = Delta {
                solleciti: 1,
                ..Delta::default()
            };
            bump_cohort(conn, &c, delta).await?;
            return Ok(());
        }
        RequestEvent::ForwardedToSede { from, to, at, .. } => {
            let from_region = region_of(conn, from, &c).await?;
            let to_region = region_of(conn, to, &c).await?;
            sqlx::query(
                "UPDATE stat_requests SET current_sede = $2, current_region = $3, \
                   forwards = forwards + 1, version = $4 WHERE request_id = $1",
            )
            .bind(f.request_id)
            .bind(to.as_str())
            .bind(&to_region)
            .bind(f.version)
            .execute(&mut *conn)
            .await?;
            let other_region = i32::from(from_region != to_region);
            let day = rome_day(*at);
            let out = Flow {
                forwarded_out: 1,
                forwarded_out_other_region: other_region,
                ..Flow::default()
            };
            bump_flow(conn, day, from.as_str(), &from_region, out).await?;
            let into = Flow {
                forwarded_in: 1,
                forwarded_in_other_region: other_region,
                ..Flow::default()
            };
            bump_flow(conn, day, to.as_str(), &to_region, into).await?;
            // The request's own rows: one more forward of it.
            let forwarded = Delta {
                forwarded: 1,
                ..Delta::default()
            };
            bump_cohort(conn, &c, forwarded).await?;
            // Movement between sedi (and regions), on the request's sending day.
            let out = Delta {
                forwarded_out: 1,
                ..Delta::default()
            };
            let into = Delta {
                forwarded_in: 1,
                ..Delta::default()
            };
            bump_daily(conn, "sede", from.as_str(), "", &c, out).await?;
            bump_daily(conn, "sede", to.as_str(), "", &c, into).await?;
            bump_daily(conn, "region", &from_region, "", &c, out).await?;
            bump_daily(conn, "region", &to_region, "", &c, into).await?;
            return Ok(());
        }
        RequestEvent::AppointmentEnabled { .. } if !c.appointment_enabled => {
            sqlx::query(
                "UPDATE stat_requests SET appointment_enabled = true, version = $2 \
                 WHERE request_id = $1",
            )
            .bind(f.request_id)
            .bind(f.version)
            .execute(&mut *conn)
            .await?;
            let delta = Delta {
                appointments: 1,
                ..Delta::default()
            };
            bump_cohort(conn, &c, delta).await?;
            return Ok(());
        }
        RequestEvent::ConversationClosed { at, .. } if c.closed_at.is_none() => {
            sqlx::query(
                "UPDATE stat_requests SET closed_at = $2, version = $3 WHERE request_id = $1",
            )
            .bind(f.request_id)
            .bind(at)
            .bind(f.version)
            .execute(&mut *conn)
            .await?;
            let delta = Delta {
                closed: 1,
                ..Delta::default()
            };
            bump_cohort(conn, &c, delta).await?;
            return Ok(());
        }
        _ => {}
    }
    set_version(conn, f.request_id, f.version).await
}

async fn request_sent(
    conn: &mut PgConnection,
    f: &RequestFact,
    sent: &RequestSent,
) -> Result<(), ProjectionError> {
    let region = lookup_region(conn, sent.destination.as_str()).await?;
    let day = rome_day(sent.at);
    let c = Cohort {
        sent_at: sent.at,
        sent_day: day,
        topic: sent.topic.as_str().to_string(),
        subtopic: sent
            .subtopic
            .as_ref()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        patronato: sent.patronato.as_str().to_string(),
        office: sent.office.as_str().to_string(),
        created_by: sent.by.as_str().to_string(),
        origin_sede: sent.destination.as_str().to_string(),
        origin_region: region.clone(),
        current_sede: sent.destination.as_str().to_string(),
        current_region: region.clone(),
        first_reply_at: None,
        appointment_enabled: false,
        closed_at: None,
        version: f.version,
    };
    let inserted = sqlx::query(
        "INSERT INTO stat_requests (request_id, sent_at, sent_day, topic, subtopic, patronato, \
           office, created_by, origin_sede, origin_region, current_sede, current_region, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $9, $10, $11) \
         ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(f.request_id)
    .bind(c.sent_at)
    .bind(c.sent_day)
    .bind(&c.topic)
    .bind(&c.subtopic)
    .bind(&c.patronato)
    .bind(&c.office)
    .bind(&c.created_by)
    .bind(&c.origin_sede)
    .bind(&c.origin_region)
    .bind(f.version)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(());
    }
    let flow = Flow {
        requests_in: 1,
        ..Flow::default()
    };
    bump_flow(conn, day, &c.origin_sede, &region, flow).await?;
    let delta = Delta {
        sent: 1,
        ..Delta::default()
    };
    bump_cohort(conn, &c, delta).await
}

async fn lock_cohort(
    conn: &mut PgConnection,
    request_id: Uuid,
) -> Result<Option<Cohort>, ProjectionError> {
    Ok(sqlx::query_as(
        "SELECT sent_at, sent_day, topic, subtopic, patronato, office, created_by, origin_sede, \
           origin_region, current_sede, current_region, first_reply_at, appointment_enabled, \
           closed_at, version \
         FROM stat_requests WHERE request_id = $1 FOR UPDATE",
    )
    .bind(request_id)
    .fetch_optional(&mut *conn)
    .await?)
}

async fn set_version(
    conn: &mut PgConnection,
    request_id: Uuid,
    version: i32,
) -> Result<(), ProjectionError> {
    sqlx::query("UPDATE stat_requests SET version = $2 WHERE request_id = $1 AND version < $2")
        .bind(request_id)
        .bind(version)
        .execute(conn)
        .await?;
    Ok(())
}

/// The region of `sede`, from what the request's row already knows when it can.
async fn region_of(
    conn: &mut PgConnection,
    sede: &domain::ids::SedeCode,
    c: &Cohort,
) -> Result<String, ProjectionError> {
    if sede.as_str() == c.current_sede {
        Ok(c.current_region.clone())
    } else if sede.as_str() == c.origin_sede {
        Ok(c.origin_region.clone())
    } else {
        lookup_region(conn, sede.as_str()).await
    }
}

async fn lookup_region(conn: &mut PgConnection, sede: &str) -> Result<String, ProjectionError> {
    let region: Option<String> =
        sqlx::query_scalar("SELECT region_code FROM ref_sedi WHERE code = $1")
            .bind(sede)
            .fetch_optional(conn)
            .await?;
    Ok(region.unwrap_or_else(|| UNKNOWN_REGION.to_string()))
}

/// The request's five rows: its creator, office, patronato, destination sede
/// and that sede's region, on its sending day, topic and sub-topic.
async fn bump_cohort(
    conn: &mut PgConnection,
    c: &Cohort,
    delta: Delta,
) -> Result<(), ProjectionError> {
    bump_daily(conn, "user", &c.created_by, &c.patronato, c, delta).await?;
    bump_daily(conn, "office", &c.office, &c.patronato, c, delta).await?;
    bump_daily(conn, "patronato", &c.patronato, &c.patronato, c, delta).await?;
    bump_daily(conn, "sede", &c.origin_sede, "", c, delta).await?;
    bump_daily(conn, "region", &c.origin_region, "", c, delta).await
}

async fn bump_daily(
    conn: &mut PgConnection,
    dimension: &str,
    key: &str,
    patronato: &str,
    c: &Cohort,
    d: Delta,
) -> Result<(), ProjectionError> {
    let bucket = d.bucket.map(|b| b.to_string());
    sqlx::query(
        "INSERT INTO stat_daily AS s (dimension, key, patronato, day, topic, subtopic, sent, \
           replied, replied_within_15d, reply_ms_sum, reply_hist, solleciti, forwarded, \
           forwarded_in, forwarded_out, appointments, closed) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
           CASE WHEN $11::text IS NULL THEN '{}'::jsonb ELSE jsonb_build_object($11::text, 1) END, \
           $12, $13, $14, $15, $16, $17) \
         ON CONFLICT (dimension, key, day, topic, subtopic, patronato) DO UPDATE SET \
           sent = s.sent + EXCLUDED.sent, \
           replied = s.replied + EXCLUDED.replied, \
           replied_within_15d = s.replied_within_15d + EXCLUDED.replied_within_15d, \
           reply_ms_sum = s.reply_ms_sum + EXCLUDED.reply_ms_sum, \
           reply_hist = CASE WHEN $11::text IS NULL THEN s.reply_hist \
             ELSE jsonb_set(s.reply_hist, ARRAY[$11::text], \
                            to_jsonb(coalesce((s.reply_hist ->> $11::text)::bigint, 0) + 1)) END, \
           solleciti = s.solleciti + EXCLUDED.solleciti, \
           forwarded = s.forwarded + EXCLUDED.forwarded, \
           forwarded_in = s.forwarded_in + EXCLUDED.forwarded_in, \
           forwarded_out = s.forwarded_out + EXCLUDED.forwarded_out, \
           appointments = s.appointments + EXCLUDED.appointments, \
           closed = s.closed + EXCLUDED.closed",
    )
    .bind(dimension)
    .bind(key)
    .bind(patronato)
    .bind(c.sent_day)
    .bind(&c.topic)
    .bind(&c.subtopic)
    .bind(d.sent)
    .bind(d.replied)
    .bind(d.replied_within_15d)
    .bind(d.reply_ms)
    .bind(bucket)
    .bind(d.solleciti)
    .bind(d.forwarded)
    .bind(d.forwarded_in)
    .bind(d.forwarded_out)
    .bind(d.appointments)
    .bind(d.closed)
    .execute(conn)
    .await?;
    Ok(())
}

async fn bump_flow(
    conn: &mut PgConnection,
    day: NaiveDate,
    sede: &str,
    region: &str,
    f: Flow,
) -> Result<(), ProjectionError> {
    sqlx::query(
        "INSERT INTO stat_flows AS s (day, sede, region, requests_in, messages_in, solleciti_in, \
           replies_out, forwarded_in, forwarded_out, forwarded_in_other_region, \
           forwarded_out_other_region) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (day, sede) DO UPDATE SET \
           requests_in = s.requests_in + EXCLUDED.requests_in, \
           messages_in = s.messages_in + EXCLUDED.messages_in, \
           solleciti_in = s.solleciti_in + EXCLUDED.solleciti_in, \
           replies_out = s.replies_out + EXCLUDED.replies_out, \
           forwarded_in = s.forwarded_in + EXCLUDED.forwarded_in, \
           forwarded_out = s.forwarded_out + EXCLUDED.forwarded_out, \
           forwarded_in_other_region = s.forwarded_in_other_region + EXCLUDED.forwarded_in_other_region, \
           forwarded_out_other_region = s.forwarded_out_other_region + EXCLUDED.forwarded_out_other_region",
    )
    .bind(day)
    .bind(sede)
    .bind(region)
    .bind(f.requests_in)
    .bind(f.messages_in)
    .bind(f.solleciti_in)
    .bind(f.replies_out)
    .bind(f.forwarded_in)
    .bind(f.forwarded_out)
    .bind(f.forwarded_in_other_region)
    .bind(f.forwarded_out_other_region)
    .execute(conn)
    .await?;
    Ok(())
}
