//! What each event counts, given/when/then, without PostgreSQL.

use super::*;
use crate::fixtures::*;
use domain::booking::BookingId;
use uuid::Uuid;

/// One request's row and the sums of every batch so far.
struct Given {
    id: Uuid,
    events: Vec<RequestEvent>,
    cohorts: HashMap<Uuid, Cohort>,
    regions: Regions,
    totals: Totals,
}

fn given(events: impl IntoIterator<Item = RequestEvent>) -> Given {
    let regions = [
        ("ROMA01", "LAZIO"),
        ("ROMA02", "LAZIO"),
        ("MILA01", "LOMBARDIA"),
    ]
    .into_iter()
    .map(|(s, r)| (s.to_string(), r.to_string()))
    .collect();
    let g = Given {
        id: Uuid::now_v7(),
        events: Vec::new(),
        cohorts: HashMap::new(),
        regions,
        totals: Totals::default(),
    };
    g.when(events)
}

impl Given {
    fn when(mut self, events: impl IntoIterator<Item = RequestEvent>) -> Given {
        let first = self.events.len();
        self.events.extend(events);
        for f in &facts(self.id, 1, &self.events)[first..] {
            apply(&mut self.cohorts, &self.regions, &mut self.totals, f);
        }
        self
    }

    fn row(&self) -> &Cohort {
        &self.cohorts[&self.id]
    }

    /// The `stat_daily` row of `dimension` and `key` (one topic, one day here).
    fn daily(&self, dimension: &str, key: &str) -> &DailyRow {
        let mut rows = self
            .totals
            .daily
            .values()
            .filter(|r| r.dimension == dimension && r.key == key);
        let row = rows.next().expect("a daily row");
        assert!(rows.next().is_none());
        row
    }

    fn flow(&self, day: NaiveDate, sede: &str) -> &FlowRow {
        &self.totals.flows[&(day, sede.to_string())]
    }
}

#[test]
fn a_sent_request_counts_once_under_its_five_rows_and_its_sedes_flow() {
    let g = given([sent(day(0))]);
    for (dimension, key) in [
        ("user", "op1"),
        ("office", "ROMA1"),
        ("patronato", "INCA"),
        ("sede", "ROMA01"),
        ("region", "LAZIO"),
    ] {
        let row = g.daily(dimension, key);
        assert_eq!((row.sent, row.day), (1, rome_day(day(0))), "{dimension}");
        assert_eq!(
            (row.topic.as_str(), row.subtopic.as_str()),
            ("prestazione_in_corso", "naspi")
        );
    }
    assert_eq!(g.daily("sede", "ROMA01").patronato, "");
    assert_eq!(g.daily("user", "op1").patronato, "INCA");
    assert_eq!(g.totals.daily.len(), 5);
    assert_eq!(g.flow(rome_day(day(0)), "ROMA01").requests_in, 1);
    assert_eq!(g.row().origin_region, "LAZIO");
}

#[test]
fn the_first_reply_counts_with_its_time_and_later_ones_only_as_flows() {
    let g = given([
        sent(day(0)),
        reply("ROMA01", day(2)),
        reply("ROMA01", day(20)),
    ]);
    let row = g.daily("sede", "ROMA01");
    assert_eq!((row.replied, row.replied_within_15d), (1, 1));
    assert_eq!(row.reply_ms_sum, 2 * 86_400_000);
    let bucket = histogram::bucket(2.0 * 86_400.0).to_string();
    assert_eq!(row.reply_hist, BTreeMap::from([(bucket, 1)]));
    assert_eq!(g.row().first_reply_at, Some(day(2)));
    assert_eq!(g.row().reply_seconds, Some(2.0 * 86_400.0));
    assert_eq!(g.flow(rome_day(day(2)), "ROMA01").replies_out, 1);
    assert_eq!(g.flow(rome_day(day(20)), "ROMA01").replies_out, 1);
}

#[test]
fn a_first_reply_after_15_days_is_not_within_the_standard() {
    let g = given([sent(day(0)), reply("ROMA01", day(16))]);
    let row = g.daily("region", "LAZIO");
    assert_eq!((row.replied, row.replied_within_15d), (1, 0));
}

#[test]
fn a_forward_to_another_region_moves_the_request_and_counts_both_ends() {
    let g = given([sent(day(0)), forwarded("ROMA01", "MILA01", day(3))]);
    assert_eq!(
        (
            g.row().current_sede.as_str(),
            g.row().current_region.as_str()
        ),
        ("MILA01", "LOMBARDIA")
    );
    assert_eq!(g.row().forwards, 1);
    let out = g.flow(rome_day(day(3)), "ROMA01");
    assert_eq!((out.forwarded_out, out.forwarded_out_other_region), (1, 1));
    let into = g.flow(rome_day(day(3)), "MILA01");
    assert_eq!((into.forwarded_in, into.forwarded_in_other_region), (1, 1));
    assert_eq!(into.region, "LOMBARDIA");
    // Counted on the request's sending day, under the sedi and regions it moved between.
    assert_eq!(g.daily("sede", "MILA01").forwarded_in, 1);
    assert_eq!(g.daily("region", "LOMBARDIA").forwarded_in, 1);
    let origin = g.daily("sede", "ROMA01");
    assert_eq!((origin.forwarded, origin.forwarded_out), (1, 1));
    assert_eq!(g.daily("user", "op1").forwarded, 1);
    // What follows goes to the sede the request is at now.
    let g = g.when([message(1, day(4)), sollecito(1, day(20))]);
    let now = g.flow(rome_day(day(4)), "MILA01");
    assert_eq!(now.messages_in, 1);
    assert_eq!(g.flow(rome_day(day(20)), "MILA01").solleciti_in, 1);
    assert_eq!(g.daily("sede", "ROMA01").solleciti, 1);
}

#[test]
fn a_forward_within_the_region_is_not_counted_as_leaving_it() {
    let g = given([sent(day(0)), forwarded("ROMA01", "ROMA02", day(3))]);
    let out = g.flow(rome_day(day(3)), "ROMA01");
    assert_eq!((out.forwarded_out, out.forwarded_out_other_region), (1, 0));
}

#[test]
fn a_sede_missing_from_the_reference_is_in_the_unknown_region() {
    let g = given([sent_to("NAPO01", day(0), Vec::new())]);
    assert_eq!(g.row().origin_region, UNKNOWN_REGION);
    assert_eq!(g.daily("region", UNKNOWN_REGION).sent, 1);
}

#[test]
fn enabling_appointments_and_closing_count_once_each() {
    let g = given([
        sent(day(0)),
        enabled("ROMA01", day(1)),
        enabled("ROMA01", day(2)),
        closed("ROMA01", day(3)),
        closed("ROMA01", day(4)),
    ]);
    let row = g.daily("patronato", "INCA");
    assert_eq!((row.appointments_enabled, row.closed), (1, 1));
    assert_eq!(row.appointments_booked, 0, "enabled is not booked");
    assert_eq!(g.row().closed_at, Some(day(3)));
}

#[test]
fn appointments_booked_count_the_bookings_standing() {
    let (first, second) = (BookingId::new(), BookingId::new());
    let g = given([
        sent(day(0)),
        enabled("ROMA01", day(1)),
        booked(first, day(5), day(2)),
    ]);
    assert_eq!(g.daily("sede", "ROMA01").appointments_booked, 1);
    // Cancelled, then booked again: one appointment, on the sending day's row.
    let g = g.when([cancelled(first, day(3)), booked(second, day(6), day(4))]);
    for (dimension, key) in [("user", "op1"), ("patronato", "INCA"), ("region", "LAZIO")] {
        let row = g.daily(dimension, key);
        assert_eq!(
            (row.appointments_enabled, row.appointments_booked),
            (1, 1),
            "{dimension}"
        );
    }
    let g = g.when([cancelled(second, day(5))]);
    assert_eq!(g.daily("sede", "ROMA01").appointments_booked, 0);
}

#[test]
fn attachments_and_taking_in_charge_count_nothing() {
    let a = attachment("isee.pdf");
    let g = given([sent(day(0))]);
    let before = (g.totals.daily.len(), g.totals.flows.len(), g.row().version);
    let g = g.when([
        added(&a, day(1)),
        removed(&a, day(1)),
        taken("ROMA01", day(1)),
    ]);
    assert_eq!(
        (g.totals.daily.len(), g.totals.flows.len(), g.row().version),
        before
    );
}

#[test]
fn an_event_applied_twice_counts_nothing() {
    let mut g = given([sent(day(0)), reply("ROMA01", day(2)), sollecito(1, day(20))]);
    let sums = format!("{:?}", sort(&g.totals));
    for f in facts(g.id, 1, &g.events) {
        apply(&mut g.cohorts, &g.regions, &mut g.totals, &f);
    }
    assert_eq!(format!("{:?}", sort(&g.totals)), sums);
}

#[test]
fn the_regions_asked_for_are_those_the_rows_do_not_know() {
    let g = given([sent(day(0))]);
    let later = facts(
        g.id,
        2,
        &[
            reply("ROMA01", day(1)),
            reply("ROMA02", day(1)),
            forwarded("ROMA01", "MILA01", day(2)),
        ],
    );
    assert_eq!(sedi_named(&g.cohorts, &later[..1]), Vec::<&str>::new());
    assert_eq!(sedi_named(&g.cohorts, &later), ["MILA01", "ROMA02"]);
    let first = facts(Uuid::now_v7(), 1, &[sent_to("NAPO01", day(0), Vec::new())]);
    assert_eq!(sedi_named(&g.cohorts, &first), ["NAPO01"]);
}

fn sort(t: &Totals) -> Vec<String> {
    let mut rows: Vec<String> = t
        .daily
        .values()
        .map(|r| format!("{r:?}"))
        .chain(t.flows.values().map(|r| format!("{r:?}")))
        .collect();
    rows.sort();
    rows
}
