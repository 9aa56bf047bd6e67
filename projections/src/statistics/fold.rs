//! What each request event means for the statistics: a pure, synchronous
//! fold (no SQL, no cache). Given the `stat_requests` rows of the batch's
//! requests and the regions of the sedi it names, each event moves its
//! request's row and adds increments to the `stat_daily` and `stat_flows`
//! rows it counts under. `store.rs` fetches the rows first and writes the
//! sums; the increments are additive, so when and how often they are written
//! does not change the totals.
//!
//! Counted under the request as it was sent (creator, office, patronato,
//! topic, destination sede and its region, day of sending: docs/analytics.md),
//! except the flows, which go under the day of the event and the sede it
//! concerns. A request's row carries the stream version last applied, so
//! applying an event twice counts nothing.

use super::histogram;
use super::rows::{rome_day, Cohort, DailyKey, DailyRow, Delta, Flow, FlowRow, UNKNOWN_REGION};
use crate::batch::RowSet;
use crate::events::RequestFact;
use chrono::{NaiveDate, SubsecRound};
use domain::ids::SedeCode;
use domain::request::{RequestEvent, RequestSent};
use domain::time::standard_response_time;
use std::collections::{BTreeMap, HashMap};

/// The region of each sede the batch names (`ref_sedi`), fetched before the
/// fold runs.
pub(super) type Regions = HashMap<String, String>;

/// The summed increments not written yet.
#[derive(Debug, Default)]
pub(super) struct Totals {
    pub(super) daily: HashMap<DailyKey, DailyRow>,
    pub(super) flows: HashMap<(NaiveDate, String), FlowRow>,
}

/// Applies one event.
pub(super) fn apply(
    cohorts: &mut impl RowSet<Cohort>,
    regions: &Regions,
    totals: &mut Totals,
    f: &RequestFact,
) {
    Fold {
        cohorts,
        regions,
        totals,
    }
    .apply(f)
}

/// The sedi whose region a fold of `facts` may ask for beyond what the rows of
/// their requests know: destinations, both ends of a forward, and a reply's
/// sede when it is neither end of its request's row.
pub(super) fn sedi_named<'f>(
    cohorts: &impl RowSet<Cohort>,
    facts: &'f [RequestFact],
) -> Vec<&'f str> {
    let known = |f: &RequestFact, sede: &SedeCode| {
        cohorts
            .get(&f.request_id)
            .is_some_and(|c| c.current_sede == sede.as_str() || c.origin_sede == sede.as_str())
    };
    let mut sedi = Vec::new();
    for f in facts {
        match &f.event {
            RequestEvent::RequestSent(sent) => sedi.push(sent.destination.as_str()),
            RequestEvent::ForwardedToSede { from, to, .. } => {
                if !known(f, from) {
                    sedi.push(from.as_str());
                }
                sedi.push(to.as_str());
            }
            RequestEvent::ReplyReceived { sede, .. } if !known(f, sede) => sedi.push(sede.as_str()),
            _ => {}
        }
    }
    sedi.sort_unstable();
    sedi.dedup();
    sedi
}

struct Fold<'a, C> {
    cohorts: &'a mut C,
    regions: &'a Regions,
    totals: &'a mut Totals,
}

impl<C: RowSet<Cohort>> Fold<'_, C> {
    fn region(&self, sede: &str) -> &str {
        self.regions
            .get(sede)
            .map(String::as_str)
            .unwrap_or(UNKNOWN_REGION)
    }

    /// The region of `sede`, from what the request's row already knows when it can.
    fn region_of(&self, sede: &SedeCode, c: &Cohort) -> String {
        if sede.as_str() == c.current_sede {
            c.current_region.clone()
        } else if sede.as_str() == c.origin_sede {
            c.origin_region.clone()
        } else {
            self.region(sede.as_str()).to_string()
        }
    }

    fn apply(&mut self, f: &RequestFact) {
        if let RequestEvent::RequestSent(sent) = &f.event {
            return self.request_sent(f, sent);
        }
        // Events that change no counter are skipped without a write.
        if matches!(
            f.event,
            RequestEvent::AttachmentAdded { .. }
                | RequestEvent::AttachmentRemoved { .. }
                | RequestEvent::TakenInCharge { .. }
        ) {
            return;
        }
        // A copy: the counters below go under the request as it was before
        // this event; its row changes after.
        let Some(c) = self.cohorts.get(&f.request_id).cloned() else {
            // A stream without its RequestSent cannot be counted anywhere.
            return;
        };
        if c.version >= f.version {
            return;
        }
        match &f.event {
            RequestEvent::ReplyReceived { sede, at, .. } => {
                let flow = Flow {
                    replies_out: 1,
                    ..Flow::default()
                };
                let region = self.region_of(sede, &c);
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
                    return;
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
                return;
            }
            RequestEvent::ForwardedToSede { from, to, at, .. } => {
                let from_region = self.region_of(from, &c);
                let to_region = self.region_of(to, &c);
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
                return;
            }
            RequestEvent::AppointmentEnabled { .. } if !c.appointment_enabled => {
                self.update(f, |row| row.appointment_enabled = true);
                let delta = Delta {
                    appointments_enabled: 1,
                    ..Delta::default()
                };
                self.bump_cohort(&c, delta);
                return;
            }
            // A booking counts while it stands: its cancellation takes it back,
            // so a request booked, cancelled and booked again counts once.
            RequestEvent::AppointmentBooked { .. } | RequestEvent::AppointmentCancelled { .. } => {
                self.update(f, |_| {});
                let booked = if matches!(f.event, RequestEvent::AppointmentBooked { .. }) {
                    1
                } else {
                    -1
                };
                let delta = Delta {
                    appointments_booked: booked,
                    ..Delta::default()
                };
                self.bump_cohort(&c, delta);
                return;
            }
            RequestEvent::ConversationClosed { at, .. } if c.closed_at.is_none() => {
                self.update(f, |row| row.closed_at = Some(at.trunc_subsecs(6)));
                let delta = Delta {
                    closed: 1,
                    ..Delta::default()
                };
                self.bump_cohort(&c, delta);
                return;
            }
            _ => {}
        }
        self.update(f, |_| {});
    }

    /// Changes the request's row and moves it to the event's version.
    fn update(&mut self, f: &RequestFact, change: impl FnOnce(&mut Cohort)) {
        let newer = |row: &Cohort| row.version < f.version;
        if self.cohorts.get(&f.request_id).is_some_and(newer) {
            if let Some(row) = self.cohorts.change(&f.request_id) {
                change(row);
                row.version = f.version;
            }
        }
    }

    fn request_sent(&mut self, f: &RequestFact, sent: &RequestSent) {
        if self.cohorts.get(&f.request_id).is_some() {
            return;
        }
        let region = self.region(sent.destination.as_str()).to_string();
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
        self.totals
            .daily
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
                appointments_enabled: 0,
                appointments_booked: 0,
                closed: 0,
            })
            .add(d);
    }

    fn bump_flow(&mut self, day: NaiveDate, sede: &str, region: &str, f: Flow) {
        let row = self
            .totals
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
}

#[cfg(test)]
#[path = "fold_tests.rs"]
mod tests;
