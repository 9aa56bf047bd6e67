//! The rows of the `statistics` projection's tables and the increments that
//! the fold sums into them; field names are the column names.

use chrono::NaiveDate;
use chrono_tz::Europe::Rome;
use domain::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
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
pub(super) struct Cohort {
    pub(super) request_id: Uuid,
    pub(super) sent_at: Timestamp,
    pub(super) sent_day: NaiveDate,
    pub(super) topic: String,
    pub(super) subtopic: String,
    pub(super) patronato: String,
    pub(super) office: String,
    pub(super) created_by: String,
    pub(super) origin_sede: String,
    pub(super) origin_region: String,
    pub(super) current_sede: String,
    pub(super) current_region: String,
    pub(super) first_reply_at: Option<Timestamp>,
    pub(super) reply_seconds: Option<f64>,
    pub(super) solleciti: i32,
    pub(super) forwards: i32,
    pub(super) appointment_enabled: bool,
    pub(super) closed_at: Option<Timestamp>,
    pub(super) version: i32,
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

impl crate::batch::CachedRow for Cohort {
    const TABLE: &'static str = "stat_requests";
    const UPDATED_COLUMNS: &'static [&'static str] = COHORT_UPDATED_COLUMNS;
    fn key(&self) -> Uuid {
        self.request_id
    }
}

/// Increments of one `stat_daily` row.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Delta {
    pub(super) sent: i32,
    pub(super) replied: i32,
    pub(super) replied_within_15d: i32,
    pub(super) reply_ms: i64,
    pub(super) bucket: Option<u32>,
    pub(super) solleciti: i32,
    pub(super) forwarded: i32,
    pub(super) forwarded_in: i32,
    pub(super) forwarded_out: i32,
    pub(super) appointments_enabled: i32,
    /// +1 a booking, −1 its cancellation: the bookings standing.
    pub(super) appointments_booked: i32,
    pub(super) closed: i32,
}

/// Increments of one `stat_flows` row.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Flow {
    pub(super) requests_in: i32,
    pub(super) messages_in: i32,
    pub(super) solleciti_in: i32,
    pub(super) replies_out: i32,
    pub(super) forwarded_in: i32,
    pub(super) forwarded_out: i32,
    pub(super) forwarded_in_other_region: i32,
    pub(super) forwarded_out_other_region: i32,
}

/// The key of a `stat_daily` row.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct DailyKey {
    pub(super) dimension: &'static str,
    pub(super) key: String,
    pub(super) patronato: String,
    pub(super) day: NaiveDate,
    pub(super) topic: String,
    pub(super) subtopic: String,
}

/// The summed increments of one `stat_daily` row, as the statement reads them.
#[derive(Debug, Serialize)]
pub(super) struct DailyRow {
    pub(super) dimension: &'static str,
    pub(super) key: String,
    pub(super) patronato: String,
    pub(super) day: NaiveDate,
    pub(super) topic: String,
    pub(super) subtopic: String,
    pub(super) sent: i64,
    pub(super) replied: i64,
    pub(super) replied_within_15d: i64,
    pub(super) reply_ms_sum: i64,
    pub(super) reply_hist: BTreeMap<String, i64>,
    pub(super) solleciti: i64,
    pub(super) forwarded: i64,
    pub(super) forwarded_in: i64,
    pub(super) forwarded_out: i64,
    pub(super) appointments_enabled: i64,
    pub(super) appointments_booked: i64,
    pub(super) closed: i64,
}

impl DailyRow {
    pub(super) fn add(&mut self, d: Delta) {
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
        self.appointments_enabled += i64::from(d.appointments_enabled);
        self.appointments_booked += i64::from(d.appointments_booked);
        self.closed += i64::from(d.closed);
    }
}

/// The summed increments of one `stat_flows` row.
#[derive(Debug, Serialize)]
pub(super) struct FlowRow {
    pub(super) day: NaiveDate,
    pub(super) sede: String,
    /// The region the row gets if it is new (an existing row keeps its own).
    pub(super) region: String,
    pub(super) requests_in: i64,
    pub(super) messages_in: i64,
    pub(super) solleciti_in: i64,
    pub(super) replies_out: i64,
    pub(super) forwarded_in: i64,
    pub(super) forwarded_out: i64,
    pub(super) forwarded_in_other_region: i64,
    pub(super) forwarded_out_other_region: i64,
}
