//! Writes of the `statistics` projection: `stat_requests`, `stat_daily`,
//! `stat_flows`. Unqualified table names (a rebuild redirects them). What
//! each event counts is `fold.rs`; this file fetches the rows the fold needs
//! (the requests' rows, the regions of the sedi from `ref_sedi`), runs it,
//! and writes the sums.
//!
//! The rows of a batch's requests are read once, the counters' increments
//! are summed per row, and each table gets one statement for the whole batch.

use super::fold::{self, Regions, Totals};
use super::rows::{Cohort, DailyRow, FlowRow, UNKNOWN_REGION};
use crate::batch::{CachedTable, CopyRows, Mode};
use crate::events::{requests_begun_before, RequestFact};
use crate::ProjectionError;
use chrono::NaiveDate;
use sqlx::types::Json;
use sqlx::PgConnection;
use std::collections::{BTreeMap, HashMap};

/// Applies a batch of request events (in log order) to the three tables.
pub(crate) async fn apply_batch(
    conn: &mut PgConnection,
    facts: &[RequestFact],
) -> Result<(), ProjectionError> {
    let mut batch = Batch::new(&Mode::Live);
    batch.apply_batch(conn, facts).await?;
    batch.finish(conn).await
}

/// The batch in memory.
///
/// The live worker writes everything at the end of each batch. A rebuild's
/// replay keeps up to `cached` request rows and as many summed `stat_daily`
/// and `stat_flows` increments in memory across batches: the increments are
/// additive, so writing them later, in fewer and larger writes, gives the
/// same totals.
pub(crate) struct Batch {
    /// Increments held before the oldest days are written (0: live).
    cached: usize,
    /// The tables started empty and only this batch writes them (a rebuild's
    /// shadow tables).
    bulk: bool,
    cohorts: CachedTable<Cohort>,
    /// Regions of the sedi looked up so far (a replay keeps them all).
    regions: Regions,
    totals: Totals,
    /// A replay's tables have no `stat_daily` or `stat_flows` row of this day
    /// or later (see [`Batch::write_days_through`]).
    unwritten_from: NaiveDate,
    /// COPY buffers of a replay, kept from batch to batch.
    copy_daily: CopyRows,
    copy_flows: CopyRows,
}

impl Batch {
    pub(crate) fn new(mode: &Mode) -> Batch {
        Batch {
            cached: match mode {
                Mode::Live => 0,
                Mode::Replay { cached, .. } => *cached,
            },
            bulk: mode.is_bulk(),
            cohorts: CachedTable::new(mode),
            regions: Regions::new(),
            totals: Totals::default(),
            unwritten_from: NaiveDate::MIN,
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
        if self.bulk {
            self.cohorts
                .load(conn, requests_begun_before(facts))
                .await?;
        } else {
            self.cohorts
                .load(conn, facts.iter().map(|f| f.request_id))
                .await?;
        }
        self.load_regions(conn, facts).await?;
        for f in facts {
            fold::apply(self.cohorts.rows(), &self.regions, &mut self.totals, f);
        }
        if self.bulk {
            if self.totals.daily.len() + self.totals.flows.len() > self.cached {
                self.write_oldest_days(conn).await?;
            }
        } else if self.totals.daily.len() > self.cached {
            self.write_totals(conn).await?;
        }
        self.cohorts.evict(conn).await
    }

    /// Writes everything still held.
    pub(crate) async fn finish(&mut self, conn: &mut PgConnection) -> Result<(), ProjectionError> {
        if self.bulk {
            self.write_days_through(conn, NaiveDate::MAX).await?;
        } else {
            self.write_totals(conn).await?;
        }
        self.cohorts.finish(conn).await
    }

    /// A replay's totals past its bound: the oldest days' rows, until about
    /// half of the bound is left. The log is in time order and a day's rows
    /// stop changing soon after it (a request's events come within weeks of
    /// its sending), so each is written about once, most of them with COPY.
    async fn write_oldest_days(&mut self, conn: &mut PgConnection) -> Result<(), ProjectionError> {
        let mut rows_per_day: BTreeMap<NaiveDate, usize> = BTreeMap::new();
        for key in self.totals.daily.keys() {
            *rows_per_day.entry(key.day).or_default() += 1;
        }
        for (day, _) in self.totals.flows.keys() {
            *rows_per_day.entry(*day).or_default() += 1;
        }
        let keep = self.cached / 2;
        let mut held = self.totals.daily.len() + self.totals.flows.len();
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
        let mut daily: Vec<DailyRow> =
            take_days_through(&mut self.totals.daily, through, |k| k.day);
        sort_daily(&mut daily);
        let (new_daily, late_daily): (Vec<DailyRow>, Vec<DailyRow>) =
            daily.into_iter().partition(|r| r.day >= first_unwritten);
        let flows: Vec<FlowRow> =
            take_days_through(&mut self.totals.flows, through, |(day, _)| *day);
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

    /// The regions of the sedi the batch names that the fold may ask for,
    /// with one statement (a sede missing from `ref_sedi` is in region
    /// [`UNKNOWN_REGION`]).
    async fn load_regions(
        &mut self,
        conn: &mut PgConnection,
        facts: &[RequestFact],
    ) -> Result<(), ProjectionError> {
        let wanted: Vec<&str> = fold::sedi_named(self.cohorts.get(), facts)
            .into_iter()
            .filter(|sede| !self.regions.contains_key(*sede))
            .collect();
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

    /// The summed increments of `stat_daily` and `stat_flows`: one upsert per
    /// table.
    async fn write_totals(&mut self, conn: &mut PgConnection) -> Result<(), ProjectionError> {
        let mut daily: Vec<&DailyRow> = self.totals.daily.values().collect();
        sort_daily(&mut daily);
        upsert_daily(conn, &daily).await?;
        let flows: Vec<&FlowRow> = self.totals.flows.values().collect();
        upsert_flows(conn, &flows).await?;
        self.totals.daily.clear();
        self.totals.flows.clear();
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
                   forwarded_in, forwarded_out, appointments_enabled, appointments_booked, closed) \
                 SELECT dimension, key, patronato, day, topic, subtopic, sent, replied, \
                   replied_within_15d, reply_ms_sum, reply_hist, solleciti, forwarded, \
                   forwarded_in, forwarded_out, appointments_enabled, appointments_booked, closed \
                 FROM jsonb_to_recordset($1) AS d(dimension text, key text, patronato text, \
                   day date, topic text, subtopic text, sent integer, replied integer, \
                   replied_within_15d integer, reply_ms_sum bigint, reply_hist jsonb, \
                   solleciti integer, forwarded integer, forwarded_in integer, \
                   forwarded_out integer, appointments_enabled integer, appointments_booked integer, \
                   closed integer) \
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
                   appointments_enabled = s.appointments_enabled + EXCLUDED.appointments_enabled, \
                   appointments_booked = s.appointments_booked + EXCLUDED.appointments_booked, \
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
