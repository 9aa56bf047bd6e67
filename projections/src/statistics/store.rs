//! Writes of the `statistics` projection: `stat_requests`, `stat_daily`,
//! `stat_flows`. Unqualified table names (a rebuild redirects them); every
//! value comes from the events (and the sede → region map of `ref_sedi`, read
//! when the event is applied and kept in `stat_requests`); a request's row
//! carries the stream version last applied, so applying an event twice
//! changes nothing.
//!
//! A batch is folded in memory: the rows of the requests it touches are read
//! once, the counters' increments are summed per row, and each table gets one
//! statement for the whole batch.

use super::histogram;
use crate::copy::CopyRows;
use crate::events::{requests_begun_before, RequestFact};
use crate::row_cache::RowCache;
use crate::ProjectionError;
use chrono::{NaiveDate, SubsecRound};
use chrono_tz::Europe::Rome;
use domain::request::{RequestEvent, RequestSent};
use domain::time::{standard_response_time, Timestamp};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::PgConnection;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// The region of a sede missing from `ref_sedi`.
pub const UNKNOWN_REGION: &str = "ND";

/// The Europe/Rome calendar day of an instant.
pub fn rome_day(at: Timestamp) -> NaiveDate {
    at.with_timezone(&Rome).date_naive()
}

/// One `stat_requests` row: what a request is counted under; field names
/// are the column names.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Cohort {
    request_id: Uuid,
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
    reply_seconds: Option<f64>,
    solleciti: i32,
    forwards: i32,
    appointment_enabled: bool,
    closed_at: Option<Timestamp>,
    version: i32,
}

/// Every column of `stat_requests` but the key.
const COHORT_UPDATED_COLUMNS: &[&str] = &[
    "sent_at",
    "sent_day",
    "topic",
    "subtopic",
    "patronato",
    "office",
    "created_by",
    "origin_sede",
    "origin_region",
    "current_sede",
    "current_region",
    "first_reply_at",
    "reply_seconds",
    "solleciti",
    "forwards",
    "appointment_enabled",
    "closed_at",
    "version",
];

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

/// The key of a `stat_daily` row.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct DailyKey {
    dimension: &'static str,
    key: String,
    patronato: String,
    day: NaiveDate,
    topic: String,
    subtopic: String,
}

/// The summed increments of one `stat_daily` row, as the statement reads them.
#[derive(Debug, Serialize)]
struct DailyRow {
    dimension: &'static str,
    key: String,
    patronato: String,
    day: NaiveDate,
    topic: String,
    subtopic: String,
    sent: i64,
    replied: i64,
    replied_within_15d: i64,
    reply_ms_sum: i64,
    reply_hist: BTreeMap<String, i64>,
    solleciti: i64,
    forwarded: i64,
    forwarded_in: i64,
    forwarded_out: i64,
    appointments: i64,
    closed: i64,
}

impl DailyRow {
    fn add(&mut self, d: Delta) {
        self.sent += i64::from(d.sent);
        self.replied += i64::from(d.replied);
        self.replied_within_15d += i64::from(d.replied_within_15d);
        self.reply_ms_sum += d.reply_ms;
        if let Some(bucket) = d.bucket {
            *self.reply_hist.entry(bucket.to_string()).or_default() += 1;
        }
        self.solleciti += i64::from(d.solleciti);
        self.forwarded += i64::from(d.forwarded);
        self.forwarded_in += i64::from(d.forwarded_in);
        self.forwarded_out += i64::from(d.forwarded_out);
        self.appointments += i64::from(d.appointments);
        self.closed += i64::from(d.closed);
    }
}

/// The summed increments of one `stat_flows` row.
#[derive(Debug, Serialize)]
struct FlowRow {
    day: NaiveDate,
    sede: String,
    /// The region the row gets if it is new (an existing row keeps its own).
    region: String,
    requests_in: i64,
    messages_in: i64,
    solleciti_in: i64,
    replies_out: i64,
    forwarded_in: i64,
    forwarded_out: i64,
    forwarded_in_other_region: i64,
    forwarded_out_other_region: i64,
}

/// Applies a batch of request events (in log order) to the three tables.
pub(crate) async fn apply_batch(
    conn: &mut PgConnection,
    facts: &[RequestFact],
) -> Result<(), ProjectionError> {
    let mut batch = Batch::new();
    batch.apply_batch(conn, facts).await?;
    batch.finish(conn).await
}

/// The batch in memory.
///
/// The live worker writes everything at the end of each batch (`cached` 0).
/// A rebuild keeps up to `cached` request rows (least recently touched
/// written out first) and as many summed `stat_daily` increments in memory
/// across batches: the increments are additive, so writing them later, in
/// fewer and larger upserts, gives the same totals.
pub(crate) struct Batch {
    cached: usize,
    /// The tables started empty and only this batch writes them (a rebuild's
    /// shadow tables): request rows it has not written yet go in with COPY.
    bulk: bool,
    cohorts: RowCache<Cohort>,
    regions: HashMap<String, String>,
    daily: HashMap<DailyKey, DailyRow>,
    flows: HashMap<(NaiveDate, String), FlowRow>,
    /// A replay's tables have no `stat_daily` or `stat_flows` row of this day
    /// or later (see [`Batch::write_days_through`]).
    unwritten_from: NaiveDate,
    /// COPY buffers of a replay, kept from batch to batch.
    copy: CopyRows,
    copy_daily: CopyRows,
    copy_flows: CopyRows,
}

impl Batch {
    /// The live worker's batch: idempotent statements, nothing kept.
    pub(crate) fn new() -> Batch {
        Batch::with(0, false)
    }

    /// A rebuild's replay into empty shadow tables, keeping up to `cached`
    /// request rows and daily totals in memory.
    pub(crate) fn replay(cached: usize) -> Batch {
        Batch::with(cached, true)
    }

    fn with(cached: usize, bulk: bool) -> Batch {
        Batch {
            cached,
            bulk,
            cohorts: RowCache::new(),
            regions: HashMap::new(),
            daily: HashMap::new(),
            flows: HashMap::new(),
            unwritten_from: NaiveDate::MIN,
            copy: CopyRows::new("stat_requests"),
            copy_daily: CopyRows::new("stat_daily"),
            copy_flows: CopyRows::new("stat_flows"),
        }
    }

    /// Applies consecutive events; writes what no longer fits in memory.
    pub(crate) async fn apply_batch(
        &mut self,
        conn: &mut PgConnection,
        facts: &[RequestFact],
    ) -> Result<(), ProjectionError> {
        if facts.is_empty() {
            return Ok(());
        }
        self.cohorts.next_batch();
        self.load(conn, facts).await?;
        self.load_regions(conn, facts).await?;
        for fact in facts {
            self.apply(conn, fact).await?;
        }
        if self.bulk {
            if self.daily.len() + self.flows.len() > self.cached {
                self.write_oldest_days(conn).await?;
            }
        } else if self.daily.len() > self.cached {
            self.write_totals(conn).await?;
        }
        self.evict(conn, self.cached).await
    }

    /// Writes everything still held.
    pub(crate) async fn finish(&mut self, conn: &mut PgConnection) -> Result<(), ProjectionError> {
        if self.bulk {
            self.write_days_through(conn, NaiveDate::MAX).await?;
        } else {
            self.write_totals(conn).await?;
        }
        self.evict(conn, 0).await
    }

    /// A replay's totals past its bound: the oldest days' rows, until about
    /// half of the bound is left. The log is in time order and a day's rows
    /// stop changing soon after it (a request's events come within weeks of
    /// its sending), so each is written about once, most of them with COPY.
    async fn write_oldest_days(&mut self, conn: &mut PgConnection) -> Result<(), ProjectionError> {
        let mut rows_per_day: BTreeMap<NaiveDate, usize> = BTreeMap::new();
        for key in self.daily.keys() {
            *rows_per_day.entry(key.day).or_default() += 1;
        }
        for (day, _) in self.flows.keys() {
            *rows_per_day.entry(*day).or_default() += 1;
        }
        let keep = self.cached / 2;
        let mut held = self.daily.len() + self.flows.len();
        let mut through = None;
        for (day, rows) in rows_per_day {
            if held <= keep {
                break;
            }
            held -= rows;
            through = Some(day);
        }
        match through {
            Some(day) => self.write_days_through(conn, day).await,
            None => Ok(()),
        }
    }

    /// Writes a replay's `stat_daily` and `stat_flows` rows of days up to
    /// `through` and forgets them. The tables have no row of a day at or
    /// after `unwritten_from`: those rows go in with COPY; rows of earlier
    /// days (an event long after its request's day) are added to what the
    /// table holds.
    async fn write_days_through(
        &mut self,
        conn: &mut PgConnection,
        through: NaiveDate,
    ) -> Result<(), ProjectionError> {
        let first_unwritten = self.unwritten_from;
        let mut daily: Vec<DailyRow> = take_days_through(&mut self.daily, through, |k| k.day);
        sort_daily(&mut daily);
        let (new_daily, late_daily): (Vec<DailyRow>, Vec<DailyRow>) =
            daily.into_iter().partition(|r| r.day >= first_unwritten);
        let flows: Vec<FlowRow> = take_days_through(&mut self.flows, through, |(day, _)| *day);
        let (new_flows, late_flows): (Vec<FlowRow>, Vec<FlowRow>) =
            flows.into_iter().partition(|r| r.day >= first_unwritten);

        let copy = &mut self.copy_daily;
        for row in &new_daily {
            copy.push(row);
        }
        copy.send(conn).await?;
        let copy = &mut self.copy_flows;
        for row in &new_flows {
            copy.push(row);
        }
        copy.send(conn).await?;
        upsert_daily(conn, &late_daily.iter().collect::<Vec<_>>()).await?;
        upsert_flows(conn, &late_flows.iter().collect::<Vec<_>>()).await?;
        let next = through.succ_opt().unwrap_or(NaiveDate::MAX);
        self.unwritten_from = self.unwritten_from.max(next);
        Ok(())
    }

    /// Reads the rows of the batch's requests that are not in memory.
    async fn load(
        &mut self,
        conn: &mut PgConnection,
        facts: &[RequestFact],
    ) -> Result<(), ProjectionError> {
        let ids = if self.bulk {
            self.cohorts.missing(requests_begun_before(facts))
        } else {
            self.cohorts.missing(facts.iter().map(|f| f.request_id))
        };
        if ids.is_empty() {
            return Ok(());
        }
        let rows: Vec<Json<Cohort>> = sqlx::query_scalar(
            "SELECT to_jsonb(s) FROM stat_requests s WHERE request_id = ANY($1)",
        )
        .bind(&ids)
        .fetch_all(&mut *conn)
        .await?;
        for Json(cohort) in rows {
            self.cohorts.loaded(cohort.request_id, cohort);
        }
        Ok(())
    }

    /// Keeps at most `keep` request rows in memory (none with `keep` 0),
    /// writing the changed ones among those it forgets.
    async fn evict(&mut self, conn: &mut PgConnection, keep: usize) -> Result<(), ProjectionError> {
        let evicted = self.cohorts.evict(keep);
        let victims = if self.bulk && !evicted.new.is_empty() {
            let rows = &mut self.copy;
            for cohort in &evicted.new {
                rows.push(cohort);
            }
            rows.send(conn).await?;
            evicted.stored
        } else {
            evicted.all()
        };
        if victims.is_empty() {
            return Ok(());
        }
        let set: Vec<String> = COHORT_UPDATED_COLUMNS
            .iter()
            .map(|c| format!("{c} = EXCLUDED.{c}"))
            .collect();
        sqlx::query(&format!(
            "INSERT INTO stat_requests \
             SELECT * FROM jsonb_populate_recordset(NULL::stat_requests, $1) \
             ON CONFLICT (request_id) DO UPDATE SET {} \
             WHERE stat_requests.version < EXCLUDED.version",
            set.join(", ")
        ))
        .bind(Json(&victims))
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// The regions of the sedi the batch's requests are sent to, with one
    /// statement: looked up one by one, they were a round trip for every
    /// third creation under load.
    async fn load_regions(
        &mut self,
        conn: &mut PgConnection,
        facts: &[RequestFact],
    ) -> Result<(), ProjectionError> {
        let mut wanted: Vec<&str> = facts
            .iter()
            .filter_map(|f| match &f.event {
                RequestEvent::RequestSent(sent) => Some(sent.destination.as_str()),
                _ => None,
            })
            .filter(|sede| !self.regions.contains_key(*sede))
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        if wanted.is_empty() {
            return Ok(());
        }
        let found: Vec<(String, String)> =
            sqlx::query_as("SELECT code, region_code FROM ref_sedi WHERE code = ANY($1)")
                .bind(&wanted)
                .fetch_all(&mut *conn)
                .await?;
        self.regions.extend(found);
        for sede in wanted {
            if !self.regions.contains_key(sede) {
                self.regions
                    .insert(sede.to_string(), UNKNOWN_REGION.to_string());
            }
        }
        Ok(())
    }

    async fn lookup_region(
        &mut self,
        conn: &mut PgConnection,
        sede: &str,
    ) -> Result<String, ProjectionError> {
        if let Some(region) = self.regions.get(sede) {
            return Ok(region.clone());
        }
        let region: Option<String> =
            sqlx::query_scalar("SELECT region_code FROM ref_sedi WHERE code = $1")
                .bind(sede)
                .fetch_optional(&mut *conn)
                .await?;
        let region = region.unwrap_or_else(|| UNKNOWN_REGION.to_string());
        self.regions.insert(sede.to_string(), region.clone());
        Ok(region)
    }

    /// The region of `sede`, from what the request's row already knows when it can.
    async fn region_of(
        &mut self,
        conn: &mut PgConnection,
        sede: &domain::ids::SedeCode,
        c: &Cohort,
    ) -> Result<String, ProjectionError> {
        if sede.as_str() == c.current_sede {
            Ok(c.current_region.clone())
        } else if sede.as_str() == c.origin_sede {
            Ok(c.origin_region.clone())
        } else {
            self.lookup_region(conn, sede.as_str()).await
        }
    }

    async fn apply(
        &mut self,
        conn: &mut PgConnection,
        f: &RequestFact,
    ) -> Result<(), ProjectionError> {
        if let RequestEvent::RequestSent(sent) = &f.event {
            return self.request_sent(conn, f, sent).await;
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
        // A copy: the counters below go under the request as it was before
        // this event; its row changes after.
        let Some(c) = self.cohorts.get(&f.request_id).cloned() else {
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
                let region = self.region_of(conn, sede, &c).await?;
                self.bump_flow(rome_day(*at), sede.as_str(), &region, flow);
                if c.first_reply_at.is_none() {
                    let micros = (*at - c.sent_at).num_microseconds().unwrap_or(i64::MAX);
                    let seconds = micros as f64 / 1e6;
                    let within = *at - c.sent_at <= standard_response_time();
                    self.update(f, |row| {
                        row.first_reply_at = Some(at.trunc_subsecs(6));
                        row.reply_seconds = Some(seconds);
                    });
                    let delta = Delta {
                        replied: 1,
                        replied_within_15d: i32::from(within),
                        reply_ms: micros / 1000,
                        bucket: Some(histogram::bucket(seconds)),
                        ..Delta::default()
                    };
                    self.bump_cohort(&c, delta);
                    return Ok(());
                }
            }
            RequestEvent::MessageSent { at, .. } => {
                let flow = Flow {
                    messages_in: 1,
                    ..Flow::default()
                };
                self.bump_flow(rome_day(*at), &c.current_sede, &c.current_region, flow);
            }
            RequestEvent::SollecitoSent { at, .. } => {
                self.update(f, |row| row.solleciti += 1);
                let flow = Flow {
                    solleciti_in: 1,
                    ..Flow::default()
                };
                self.bump_flow(rome_day(*at), &c.current_sede, &c.current_region, flow);
                let delta = Delta {
                    solleciti: 1,
                    ..Delta::default()
                };
                self.bump_cohort(&c, delta);
                return Ok(());
            }
            RequestEvent::ForwardedToSede { from, to, at, .. } => {
                let from_region = self.region_of(conn, from, &c).await?;
                let to_region = self.region_of(conn, to, &c).await?;
                self.update(f, |row| {
                    row.current_sede = to.as_str().to_string();
                    row.current_region = to_region.clone();
                    row.forwards += 1;
                });
                let other_region = i32::from(from_region != to_region);
                let day = rome_day(*at);
                let out = Flow {
                    forwarded_out: 1,
                    forwarded_out_other_region: other_region,
                    ..Flow::default()
                };
                self.bump_flow(day, from.as_str(), &from_region, out);
                let into = Flow {
                    forwarded_in: 1,
                    forwarded_in_other_region: other_region,
                    ..Flow::default()
                };
                self.bump_flow(day, to.as_str(), &to_region, into);
                // The request's own rows: one more forward of it.
                let forwarded = Delta {
                    forwarded: 1,
                    ..Delta::default()
                };
                self.bump_cohort(&c, forwarded);
                // Movement between sedi (and regions), on the request's sending day.
                let out = Delta {
                    forwarded_out: 1,
                    ..Delta::default()
                };
                let into = Delta {
                    forwarded_in: 1,
                    ..Delta::default()
                };
                self.bump_daily("sede", from.as_str(), "", &c, out);
                self.bump_daily("sede", to.as_str(), "", &c, into);
                self.bump_daily("region", &from_region, "", &c, out);
                self.bump_daily("region", &to_region, "", &c, into);
                return Ok(());
            }
            RequestEvent::AppointmentEnabled { .. } if !c.appointment_enabled => {
                self.update(f, |row| row.appointment_enabled = true);
                let delta = Delta {
                    appointments: 1,
                    ..Delta::default()
                };
                self.bump_cohort(&c, delta);
                return Ok(());
            }
            RequestEvent::ConversationClosed { at, .. } if c.closed_at.is_none() => {
                self.update(f, |row| row.closed_at = Some(at.trunc_subsecs(6)));
                let delta = Delta {
                    closed: 1,
                    ..Delta::default()
                };
                self.bump_cohort(&c, delta);
                return Ok(());
            }
            _ => {}
        }
        self.update(f, |_| {});
        Ok(())
    }

    /// Changes the request's row and moves it to the event's version.
    fn update(&mut self, f: &RequestFact, change: impl FnOnce(&mut Cohort)) {
        if let Some(row) = self.cohorts.get_mut(&f.request_id) {
            if row.version < f.version {
                change(row);
                row.version = f.version;
                self.cohorts.changed(f.request_id);
            }
        }
    }

    async fn request_sent(
        &mut self,
        conn: &mut PgConnection,
        f: &RequestFact,
        sent: &RequestSent,
    ) -> Result<(), ProjectionError> {
        if self.cohorts.contains(&f.request_id) {
            return Ok(());
        }
        let region = self.lookup_region(conn, sent.destination.as_str()).await?;
        let day = rome_day(sent.at);
        let c = Cohort {
            request_id: f.request_id,
            // As stored, so that a reply in this batch measures what a reply
            // in a later one would.
            sent_at: sent.at.trunc_subsecs(6),
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
            reply_seconds: None,
            solleciti: 0,
            forwards: 0,
            appointment_enabled: false,
            closed_at: None,
            version: f.version,
        };
        let flow = Flow {
            requests_in: 1,
            ..Flow::default()
        };
        self.bump_flow(day, &c.origin_sede, &region, flow);
        let delta = Delta {
            sent: 1,
            ..Delta::default()
        };
        self.bump_cohort(&c, delta);
        self.cohorts.insert_new(f.request_id, c);
        Ok(())
    }

    /// The request's five rows: its creator, office, patronato, destination sede
    /// and that sede's region, on its sending day, topic and sub-topic.
    fn bump_cohort(&mut self, c: &Cohort, delta: Delta) {
        self.bump_daily("user", &c.created_by, &c.patronato, c, delta);
        self.bump_daily("office", &c.office, &c.patronato, c, delta);
        self.bump_daily("patronato", &c.patronato, &c.patronato, c, delta);
        self.bump_daily("sede", &c.origin_sede, "", c, delta);
        self.bump_daily("region", &c.origin_region, "", c, delta);
    }

    fn bump_daily(
        &mut self,
        dimension: &'static str,
        key: &str,
        patronato: &str,
        c: &Cohort,
        d: Delta,
    ) {
        let id = DailyKey {
            dimension,
            key: key.to_string(),
            patronato: patronato.to_string(),
            day: c.sent_day,
            topic: c.topic.clone(),
            subtopic: c.subtopic.clone(),
        };
        self.daily
            .entry(id)
            .or_insert_with_key(|id| DailyRow {
                dimension: id.dimension,
                key: id.key.clone(),
                patronato: id.patronato.clone(),
                day: id.day,
                topic: id.topic.clone(),
                subtopic: id.subtopic.clone(),
                sent: 0,
                replied: 0,
                replied_within_15d: 0,
                reply_ms_sum: 0,
                reply_hist: BTreeMap::new(),
                solleciti: 0,
                forwarded: 0,
                forwarded_in: 0,
                forwarded_out: 0,
                appointments: 0,
                closed: 0,
            })
            .add(d);
    }

    fn bump_flow(&mut self, day: NaiveDate, sede: &str, region: &str, f: Flow) {
        let row = self
            .flows
            .entry((day, sede.to_string()))
            .or_insert_with(|| FlowRow {
                day,
                sede: sede.to_string(),
                region: region.to_string(),
                requests_in: 0,
                messages_in: 0,
                solleciti_in: 0,
                replies_out: 0,
                forwarded_in: 0,
                forwarded_out: 0,
                forwarded_in_other_region: 0,
                forwarded_out_other_region: 0,
            });
        row.requests_in += i64::from(f.requests_in);
        row.messages_in += i64::from(f.messages_in);
        row.solleciti_in += i64::from(f.solleciti_in);
        row.replies_out += i64::from(f.replies_out);
        row.forwarded_in += i64::from(f.forwarded_in);
        row.forwarded_out += i64::from(f.forwarded_out);
        row.forwarded_in_other_region += i64::from(f.forwarded_in_other_region);
        row.forwarded_out_other_region += i64::from(f.forwarded_out_other_region);
    }

    /// The summed increments of `stat_daily` and `stat_flows`: one upsert per
    /// table.
    async fn write_totals(&mut self, conn: &mut PgConnection) -> Result<(), ProjectionError> {
        let mut daily: Vec<&DailyRow> = self.daily.values().collect();
        sort_daily(&mut daily);
        upsert_daily(conn, &daily).await?;
        let flows: Vec<&FlowRow> = self.flows.values().collect();
        upsert_flows(conn, &flows).await?;
        self.daily.clear();
        self.flows.clear();
        Ok(())
    }
}

/// Removes from `rows` those of days up to `through`.
fn take_days_through<K, V>(
    rows: &mut HashMap<K, V>,
    through: NaiveDate,
    day: impl Fn(&K) -> NaiveDate,
) -> Vec<V> {
    rows.extract_if(|key, _| day(key) <= through)
        .map(|(_, row)| row)
        .collect()
}

/// In key order: a rebuild writes many days at once, and a key's rows side by
/// side make "one sede over a year" read few pages.
fn sort_daily<R: std::borrow::Borrow<DailyRow>>(rows: &mut [R]) {
    rows.sort_unstable_by(|a, b| {
        let (a, b) = (a.borrow(), b.borrow());
        (
            a.dimension,
            &a.key,
            a.day,
            &a.topic,
            &a.subtopic,
            &a.patronato,
        )
            .cmp(&(
                b.dimension,
                &b.key,
                b.day,
                &b.topic,
                &b.subtopic,
                &b.patronato,
            ))
    });
}

/// Adds summed increments to `stat_daily` (new rows are inserted).
async fn upsert_daily(conn: &mut PgConnection, rows: &[&DailyRow]) -> Result<(), ProjectionError> {
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO stat_daily AS s (dimension, key, patronato, day, topic, subtopic, sent, \
                   replied, replied_within_15d, reply_ms_sum, reply_hist, solleciti, forwarded, \
                   forwarded_in, forwarded_out, appointments, closed) \
                 SELECT dimension, key, patronato, day, topic, subtopic, sent, replied, \
                   replied_within_15d, reply_ms_sum, reply_hist, solleciti, forwarded, \
                   forwarded_in, forwarded_out, appointments, closed \
                 FROM jsonb_to_recordset($1) AS d(dimension text, key text, patronato text, \
                   day date, topic text, subtopic text, sent integer, replied integer, \
                   replied_within_15d integer, reply_ms_sum bigint, reply_hist jsonb, \
                   solleciti integer, forwarded integer, forwarded_in integer, \
                   forwarded_out integer, appointments integer, closed integer) \
                 ON CONFLICT (dimension, key, day, topic, subtopic, patronato) DO UPDATE SET \
                   sent = s.sent + EXCLUDED.sent, \
                   replied = s.replied + EXCLUDED.replied, \
                   replied_within_15d = s.replied_within_15d + EXCLUDED.replied_within_15d, \
                   reply_ms_sum = s.reply_ms_sum + EXCLUDED.reply_ms_sum, \
                   reply_hist = CASE WHEN EXCLUDED.reply_hist = '{}'::jsonb THEN s.reply_hist \
                     ELSE (SELECT jsonb_object_agg(k, \
                             coalesce((s.reply_hist ->> k)::bigint, 0) \
                             + coalesce((EXCLUDED.reply_hist ->> k)::bigint, 0)) \
                           FROM (SELECT jsonb_object_keys(s.reply_hist) \
                                 UNION SELECT jsonb_object_keys(EXCLUDED.reply_hist)) AS keys(k)) \
                     END, \
                   solleciti = s.solleciti + EXCLUDED.solleciti, \
                   forwarded = s.forwarded + EXCLUDED.forwarded, \
                   forwarded_in = s.forwarded_in + EXCLUDED.forwarded_in, \
                   forwarded_out = s.forwarded_out + EXCLUDED.forwarded_out, \
                   appointments = s.appointments + EXCLUDED.appointments, \
                   closed = s.closed + EXCLUDED.closed",
    )
    .bind(Json(rows))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Adds summed increments to `stat_flows` (new rows are inserted).
async fn upsert_flows(conn: &mut PgConnection, rows: &[&FlowRow]) -> Result<(), ProjectionError> {
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query(
                "INSERT INTO stat_flows AS s (day, sede, region, requests_in, messages_in, \
                   solleciti_in, replies_out, forwarded_in, forwarded_out, \
                   forwarded_in_other_region, forwarded_out_other_region) \
                 SELECT day, sede, region, requests_in, messages_in, solleciti_in, replies_out, \
                   forwarded_in, forwarded_out, forwarded_in_other_region, \
                   forwarded_out_other_region \
                 FROM jsonb_to_recordset($1) AS f(day date, sede text, region text, \
                   requests_in integer, messages_in integer, solleciti_in integer, \
                   replies_out integer, forwarded_in integer, forwarded_out integer, \
                   forwarded_in_other_region integer, forwarded_out_other_region integer) \
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
    .bind(Json(rows))
    .execute(&mut *conn)
    .await?;
    Ok(())
}
