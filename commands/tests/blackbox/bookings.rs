//! Booking commands against a real PostgreSQL: 50 racers for one slot, 50
//! confirmations of one hold, and a randomised concurrent run of thousands
//! of holds, confirmations and cancellations with the clock moving, checked
//! afterwards against the event log alone.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use commands::bookings::{
    BookingContext, BookingService, Caller, CommandError, ConfirmInput, CITIZEN_STREAM_TYPE,
    SLOT_STREAM_TYPE,
};
use domain::booking::{
    rome_instant, BookingId, BookingMode, BookingViolation, CitizenEvent, CounterCode, HoldId,
    SlotEvent, SlotRef, MAX_ACTIVE_BOOKINGS,
};
use domain::codice_fiscale::CodiceFiscale;
use domain::ids::SedeCode;
use futures::future::join_all;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reference::PgCounterDirectory;
use sqlx::PgPool;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use store::RecordedEvent;
use uuid::Uuid;

/// Roma Monteverde Gianicolense: an agenzia complessa, 12-minute slots.
const SEDE: &str = "3231";

fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../reference")
}

async fn setup(pool: &PgPool) -> Vec<CodiceFiscale> {
    reference::load_all(pool, &reference_dir())
        .await
        .expect("reference data loads");
    let codes: Vec<String> = sqlx::query_scalar(
        "SELECT codice_fiscale FROM ref_citizens ORDER BY codice_fiscale LIMIT 60",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    codes
        .iter()
        .map(|c| CodiceFiscale::parse(c).unwrap())
        .collect()
}

/// Monday 7 January 2030, 09:00 in Rome: "now" at the start of every test.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 7, 8, 0, 0).unwrap()
}

/// Tuesday 15 January 2030 at `h:m` in Rome.
fn on_tuesday(h: u32, m: u32) -> DateTime<Utc> {
    rome_instant(
        NaiveDate::from_ymd_opt(2030, 1, 15).unwrap(),
        chrono::NaiveTime::from_hms_opt(h, m, 0).unwrap(),
    )
}

fn ctx(cf: &CodiceFiscale, now: DateTime<Utc>) -> BookingContext {
    BookingContext {
        caller: Caller::Anonymous {
            codice_fiscale: cf.clone(),
        },
        now,
        correlation_id: Uuid::now_v7(),
        idempotency: None,
    }
}

fn sede() -> SedeCode {
    SedeCode::parse(SEDE).unwrap()
}

fn counter(c: &str) -> CounterCode {
    CounterCode::parse(c).unwrap()
}

fn input() -> ConfirmInput {
    ConfirmInput {
        mode: BookingMode::InPresenza,
        reason: Some("Estratto conto".into()),
        mobile: Some("3331234567".into()),
        email: None,
        service: None,
    }
}

fn rule(e: &CommandError) -> Option<&BookingViolation> {
    match e {
        CommandError::BookingRejected(v) => Some(v),
        _ => None,
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn fifty_racers_for_one_slot_exactly_one_holds_it(pool: PgPool) {
    let people = setup(&pool).await;
    let svc = BookingService::new(
        pool.clone(),
        Arc::new(PgCounterDirectory::new(pool.clone())),
    );
    let start = on_tuesday(8, 30);
    let sv = counter("servizi_veloci");
    let results = join_all(people.iter().take(50).map(|cf| {
        let (svc, sv) = (svc.clone(), sv.clone());
        async move { svc.hold(&ctx(cf, t0()), &sede(), &sv, start).await }
    }))
    .await;
    let won: Vec<_> = results.iter().filter(|r| r.is_ok()).collect();
    assert_eq!(won.len(), 1, "{results:?}");
    for r in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(rule(r), Some(&BookingViolation::SlotUnavailable), "{r:?}");
    }
    let held: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE stream_type = 'slot' AND event_type = 'SlotHeld'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(held, 1);

    // Five minutes later the slot is free again: 50 new racers, one winner.
    let later = t0() + Duration::minutes(5);
    let results = join_all(people.iter().skip(10).take(50).map(|cf| {
        let (svc, sv) = (svc.clone(), sv.clone());
        async move { svc.hold(&ctx(cf, later), &sede(), &sv, start).await }
    }))
    .await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn fifty_confirmations_of_one_hold_book_it_once(pool: PgPool) {
    let people = setup(&pool).await;
    let svc = BookingService::new(
        pool.clone(),
        Arc::new(PgCounterDirectory::new(pool.clone())),
    );
    let cf = &people[0];
    let hold = svc
        .hold(
            &ctx(cf, t0()),
            &sede(),
            &counter("reception"),
            on_tuesday(8, 54),
        )
        .await
        .unwrap();
    let results = join_all((0..50).map(|i| {
        let svc = svc.clone();
        let now = t0() + Duration::seconds(i);
        async move { svc.confirm(&ctx(cf, now), hold.hold_id, input()).await }
    }))
    .await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    for r in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(rule(r), Some(&BookingViolation::AlreadyConfirmed), "{r:?}");
    }
    // Others cannot confirm a hold that is not theirs.
    let other = svc
        .confirm(&ctx(&people[1], t0()), hold.hold_id, input())
        .await;
    assert_eq!(
        rule(&other.unwrap_err()),
        Some(&BookingViolation::HoldNotFound)
    );
    let booked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE event_type IN ('SlotBooked', 'CitizenBookingConfirmed')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        booked, 2,
        "one event in the slot, one in the citizen's stream"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn one_citizen_racing_on_many_slots_stays_within_the_limits(pool: PgPool) {
    let people = setup(&pool).await;
    let svc = BookingService::new(
        pool.clone(),
        Arc::new(PgCounterDirectory::new(pool.clone())),
    );
    let cf = &people[0];
    let counters = [
        "reception",
        "servizi_veloci",
        "conto_assicurativo_pensioni",
        "indennita_ammortizzatori",
    ];
    // 40 concurrent holds by one citizen on 4 counter types × 10 slots.
    let results = join_all((0..40).map(|i| {
        let svc = svc.clone();
        let c = counter(counters[i % 4]);
        let start = on_tuesday(8, 30) + Duration::minutes(12 * (i / 4) as i64);
        async move { svc.hold(&ctx(cf, t0()), &sede(), &c, start).await }
    }))
    .await;
    assert!(results.iter().any(|r| r.is_ok()));
    for r in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(
            matches!(rule(r), Some(BookingViolation::LimitTotal { .. })),
            "{r:?}"
        );
    }
    // Whatever the interleaving: at most one live hold per counter type, three in all.
    let events = log(&pool, CITIZEN_STREAM_TYPE).await;
    let holds = citizen_live_holds(&events, t0());
    assert!(holds.len() <= MAX_ACTIVE_BOOKINGS, "{holds:?}");
    let types: HashSet<&str> = holds.iter().map(|s| s.counter.as_str()).collect();
    assert_eq!(types.len(), holds.len());
    check_slot_log(&log(&pool, SLOT_STREAM_TYPE).await);
}

/// The live holds of the citizen streams at `now`, from the events alone.
fn citizen_live_holds(events: &[RecordedEvent], now: DateTime<Utc>) -> Vec<SlotRef> {
    let mut holds: HashMap<HoldId, (SlotRef, DateTime<Utc>, bool)> = HashMap::new();
    for e in events {
        match e.decode::<CitizenEvent>().unwrap() {
            CitizenEvent::CitizenHoldPlaced {
                hold_id,
                slot,
                expires_at,
                ..
            } => {
                holds.insert(hold_id, (slot, expires_at, true));
            }
            CitizenEvent::CitizenHoldReleased { hold_id, .. } => {
                holds.get_mut(&hold_id).unwrap().2 = false;
            }
            CitizenEvent::CitizenBookingConfirmed { hold_id, .. } => {
                holds.get_mut(&hold_id).unwrap().2 = false;
            }
            CitizenEvent::CitizenBookingCancelled { .. } => {}
        }
    }
    holds
        .into_values()
        .filter(|(_, exp, live)| *live && now < *exp)
        .map(|(s, _, _)| s)
        .collect()
}

async fn log(pool: &PgPool, stream_type: &str) -> Vec<RecordedEvent> {
    let rows: Vec<(String, i32)> = sqlx::query_as(
        "SELECT stream_id, version FROM events WHERE stream_type = $1 ORDER BY stream_id, version",
    )
    .bind(stream_type)
    .fetch_all(pool)
    .await
    .unwrap();
    let mut out = Vec::new();
    let streams: Vec<String> = {
        let mut s: Vec<String> = rows.into_iter().map(|(id, _)| id).collect();
        s.dedup();
        s
    };
    for id in streams {
        let loaded = store::load_stream(pool, &id, stream_type, None)
            .await
            .unwrap();
        // Versions are contiguous from 1: nothing lost, nothing duplicated.
        for (i, e) in loaded.events.iter().enumerate() {
            assert_eq!(e.version as usize, i + 1, "{id}");
        }
        out.extend(loaded.events);
    }
    out
}

/// Replays every slot stream with rules of its own (not the aggregate's):
/// a hold or a booking only on a slot nobody else has at that instant; a
/// confirmation only of the live hold it names. Returns the bookings
/// (booking id → slot stream) never cancelled and the cancelled ones.
fn check_slot_log(events: &[RecordedEvent]) -> (HashMap<BookingId, String>, HashSet<BookingId>) {
    #[derive(Default)]
    struct Occupant {
        hold: Option<(HoldId, DateTime<Utc>)>,
        booking: Option<BookingId>,
    }
    let mut slots: HashMap<&str, Occupant> = HashMap::new();
    let mut booked = HashMap::new();
    let mut cancelled = HashSet::new();
    for e in events {
        let o = slots.entry(e.stream_id.as_str()).or_default();
        match e.decode::<SlotEvent>().unwrap() {
            SlotEvent::SlotHeld {
                hold_id,
                at,
                expires_at,
                slot,
                ..
            } => {
                assert_eq!(slot.stream_id(), e.stream_id);
                assert!(o.booking.is_none(), "{}: held while booked", e.stream_id);
                if let Some((_, until)) = o.hold {
                    assert!(
                        at >= until,
                        "{}: held while held until {until}",
                        e.stream_id
                    );
                }
                assert_eq!(expires_at - at, Duration::minutes(5));
                o.hold = Some((hold_id, expires_at));
            }
            SlotEvent::SlotBooked {
                booking_id,
                hold_id,
                at,
                ..
            } => {
                assert!(o.booking.is_none(), "{}: double booking", e.stream_id);
                match hold_id {
                    Some(h) => {
                        let (held, until) = o.hold.expect("a confirmation needs a hold");
                        assert_eq!(held, h, "{}: confirmed someone else's hold", e.stream_id);
                        assert!(at < until, "{}: confirmed an expired hold", e.stream_id);
                    }
                    None => {
                        if let Some((_, until)) = o.hold {
                            assert!(at >= until);
                        }
                    }
                }
                o.hold = None;
                o.booking = Some(booking_id);
                booked.insert(booking_id, e.stream_id.clone());
            }
            SlotEvent::SlotHoldReleased { hold_id, .. } => {
                assert_eq!(o.hold.map(|h| h.0), Some(hold_id));
                o.hold = None;
            }
            SlotEvent::SlotBookingCancelled { booking_id, .. } => {
                assert_eq!(o.booking, Some(booking_id), "{}", e.stream_id);
                o.booking = None;
                cancelled.insert(booking_id);
            }
        }
    }
    (booked, cancelled)
}

/// Replays every citizen stream: limits at every step, and the same
/// bookings as the slots.
fn check_citizen_log(
    events: &[RecordedEvent],
    slot_bookings: &HashMap<BookingId, String>,
    slot_cancelled: &HashSet<BookingId>,
) {
    let mut by_stream: HashMap<&str, Vec<CitizenEvent>> = HashMap::new();
    for e in events {
        by_stream
            .entry(e.stream_id.as_str())
            .or_default()
            .push(e.decode().unwrap());
    }
    let mut confirmed: HashMap<BookingId, String> = HashMap::new();
    let mut cancelled: HashSet<BookingId> = HashSet::new();
    for (stream, events) in by_stream {
        // hold id -> (slot, expires, live)
        let mut holds: HashMap<HoldId, (SlotRef, DateTime<Utc>, bool)> = HashMap::new();
        // booking id -> (slot, active)
        let mut bookings: HashMap<BookingId, (SlotRef, bool)> = HashMap::new();
        for e in events {
            let at = match &e {
                CitizenEvent::CitizenHoldPlaced { at, .. }
                | CitizenEvent::CitizenHoldReleased { at, .. }
                | CitizenEvent::CitizenBookingConfirmed { at, .. }
                | CitizenEvent::CitizenBookingCancelled { at, .. } => *at,
            };
            match e {
                CitizenEvent::CitizenHoldPlaced {
                    hold_id,
                    slot,
                    expires_at,
                    ..
                } => {
                    holds.insert(hold_id, (slot, expires_at, true));
                }
                CitizenEvent::CitizenHoldReleased { hold_id, .. } => {
                    holds.get_mut(&hold_id).unwrap().2 = false;
                }
                CitizenEvent::CitizenBookingConfirmed {
                    booking_id,
                    hold_id,
                    slot,
                    ..
                } => {
                    let h = holds
                        .get_mut(&hold_id)
                        .expect("confirmed a hold of one's own");
                    assert!(h.2 && at < h.1, "{stream}: confirmed a dead hold");
                    assert_eq!(h.0, slot);
                    h.2 = false;
                    bookings.insert(booking_id, (slot.clone(), true));
                    confirmed.insert(booking_id, slot.stream_id());
                }
                CitizenEvent::CitizenBookingCancelled { booking_id, .. } => {
                    bookings.get_mut(&booking_id).unwrap().1 = false;
                    cancelled.insert(booking_id);
                }
            }
            // The limits, at this event's instant.
            let active: Vec<&SlotRef> = bookings
                .values()
                .filter(|(s, a)| *a && at < s.end)
                .map(|(s, _)| s)
                .chain(
                    holds
                        .values()
                        .filter(|(_, x, l)| *l && at < *x)
                        .map(|(s, _, _)| s),
                )
                .collect();
            assert!(
                active.len() <= MAX_ACTIVE_BOOKINGS,
                "{stream}: {} active",
                active.len()
            );
            let types: HashSet<&str> = active.iter().map(|s| s.counter.as_str()).collect();
            assert_eq!(
                types.len(),
                active.len(),
                "{stream}: two of one counter type"
            );
        }
    }
    assert_eq!(
        &confirmed, slot_bookings,
        "slots and citizens tell the same bookings"
    );
    assert_eq!(&cancelled, slot_cancelled);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_randomised_concurrent_run_never_double_books(pool: PgPool) {
    let people: Vec<CodiceFiscale> = setup(&pool).await.into_iter().take(10).collect();
    let svc = BookingService::new(
        pool.clone(),
        Arc::new(PgCounterDirectory::new(pool.clone())),
    );
    let counters = [
        "reception",
        "servizi_veloci",
        "conto_assicurativo_pensioni",
        "indennita_ammortizzatori",
    ];
    // 4 counter types × 3 slots on Tuesday morning.
    let slots: Vec<(CounterCode, DateTime<Utc>)> = (0..12)
        .map(|i| {
            (
                counter(counters[i % 4]),
                on_tuesday(8, 30) + Duration::minutes(12 * (i / 4) as i64),
            )
        })
        .collect();
    let clock = Arc::new(AtomicI64::new(0));
    const WORKERS: u64 = 8;
    const OPS_PER_WORKER: u64 = 275;
    let outcomes = join_all((0..WORKERS).map(|w| {
        let (svc, people, slots, clock) =
            (svc.clone(), people.clone(), slots.clone(), clock.clone());
        tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(0xB00C + w);
            let mut mine: Vec<(CodiceFiscale, HoldId)> = Vec::new();
            let mut booked: Vec<(CodiceFiscale, BookingId, domain::booking::BookingCode)> =
                Vec::new();
            let mut counts: HashMap<&'static str, u32> = HashMap::new();
            for _ in 0..OPS_PER_WORKER {
                let now = t0() + Duration::seconds(clock.load(Ordering::SeqCst));
                let mut roll = rng.gen_range(0..100);
                if (50..80).contains(&roll) && mine.is_empty()
                    || (80..92).contains(&roll) && booked.is_empty()
                {
                    roll = 0;
                }
                let label = if roll < 50 {
                    let cf = &people[rng.gen_range(0..people.len())];
                    let (c, start) = &slots[rng.gen_range(0..slots.len())];
                    match svc.hold(&ctx(cf, now), &sede(), c, *start).await {
                        Ok(h) => {
                            mine.push((cf.clone(), h.hold_id));
                            "hold"
                        }
                        Err(e) => outcome(&e),
                    }
                } else if roll < 80 {
                    let (cf, h) = mine.swap_remove(rng.gen_range(0..mine.len()));
                    match svc.confirm(&ctx(&cf, now), h, input()).await {
                        Ok(b) => {
                            booked.push((cf, b.booking_id, b.code));
                            "confirm"
                        }
                        Err(e) => outcome(&e),
                    }
                } else if roll < 92 {
                    let (cf, b, code) = booked.swap_remove(rng.gen_range(0..booked.len()));
                    match svc.cancel_own(&ctx(&cf, now), b, Some(code), None).await {
                        Ok(_) => "cancel",
                        Err(e) => outcome(&e),
                    }
                } else {
                    clock.fetch_add(rng.gen_range(10..120), Ordering::SeqCst);
                    "advance"
                };
                *counts.entry(label).or_default() += 1;
            }
            counts
        })
    }))
    .await;
    let mut totals: HashMap<&str, u32> = HashMap::new();
    for o in outcomes {
        for (k, v) in o.unwrap() {
            *totals.entry(k).or_default() += v;
        }
    }
    eprintln!("outcomes: {totals:?}");
    assert!(totals.get("hold").copied().unwrap_or(0) > 20, "{totals:?}");
    assert!(
        totals.get("confirm").copied().unwrap_or(0) > 10,
        "{totals:?}"
    );
    assert!(totals.get("cancel").copied().unwrap_or(0) > 5, "{totals:?}");
    assert!(
        totals.get("slot_unavailable").copied().unwrap_or(0) > 10,
        "{totals:?}"
    );
    assert!(!totals.contains_key("other"), "{totals:?}");

    // The event log alone says: no slot ever double-booked or double-held,
    // the limits held at every instant, slots and citizens agree.
    let (booked, cancelled) = check_slot_log(&log(&pool, SLOT_STREAM_TYPE).await);
    check_citizen_log(&log(&pool, CITIZEN_STREAM_TYPE).await, &booked, &cancelled);
}

/// A refusal the run may meet; anything else is "other" and fails the test.
fn outcome(e: &CommandError) -> &'static str {
    match rule(e) {
        Some(BookingViolation::SlotUnavailable) => "slot_unavailable",
        Some(
            BookingViolation::HoldExpired
            | BookingViolation::AlreadyConfirmed
            | BookingViolation::LimitPerCounterType { .. }
            | BookingViolation::LimitTotal { .. }
            | BookingViolation::AlreadyCancelled,
        ) => "refused",
        _ if matches!(e, CommandError::Conflict(_)) => "conflict",
        _ => {
            eprintln!("unexpected: {e:?}");
            "other"
        }
    }
}
