//! Random runs of holds, confirmations, releases and cancellations by a few
//! citizens on a few slots, with the clock moving: whatever happens, a slot
//! has at most one holder or booking, the limits hold, and the slot streams
//! and the citizens' streams tell the same story.

use super::*;
use proptest::prelude::*;
use std::collections::HashMap;

#[derive(Debug, Clone)]
enum Op {
    Hold { who: usize, slot: usize },
    Confirm { who: usize, pick: usize },
    Cancel { who: usize, pick: usize },
    Advance { seconds: i64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..4usize, 0..6usize).prop_map(|(who, slot)| Op::Hold { who, slot }),
        3 => (0..4usize, any::<usize>()).prop_map(|(who, pick)| Op::Confirm { who, pick }),
        1 => (0..4usize, any::<usize>()).prop_map(|(who, pick)| Op::Cancel { who, pick }),
        2 => (1..400i64).prop_map(|seconds| Op::Advance { seconds }),
    ]
}

fn slots() -> Vec<SlotRef> {
    let counters = [
        "servizi_veloci",
        "reception",
        "rilascio_pin",
        "invalidita_civile",
    ];
    (0..6)
        .map(|i| {
            slot_at(
                counters[i % 4],
                at(monday(), 9, 0) + Duration::minutes(15 * i as i64),
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn no_double_booking_and_limits_hold(ops in prop::collection::vec(op(), 1..120)) {
        let people = [MARIO, ANNA, FRANCESCA, "DNGNCL90B28G273B"];
        let all = slots();
        let mut slot_state: Vec<Slot> = vec![Slot::default(); all.len()];
        let mut slot_log: Vec<Vec<SlotEvent>> = vec![vec![]; all.len()];
        let mut citizens: Vec<CitizenBookings> = vec![CitizenBookings::default(); people.len()];
        let mut now = now0();
        let mut n = 0u128;
        for op in ops {
            n += 1;
            match op {
                Op::Advance { seconds } => now += Duration::seconds(seconds),
                Op::Hold { who, slot } => {
                    let s = &all[slot];
                    let Ok(plan) = citizens[who].place_hold(hold_id(n), s, now + hold_duration(), now) else { continue };
                    let Ok(e) = slot_state[slot].hold(s, hold_id(n), &cf(people[who]), false, now) else { continue };
                    // The same transaction: the released slot, the new slot, the citizen.
                    if let Some((old, old_slot)) = &plan.replaces {
                        let i = all.iter().position(|x| x == old_slot).unwrap();
                        if let Some(r) = slot_state[i].release(*old, now) {
                            slot_state[i] = slot_state[i].clone().apply(&r);
                            slot_log[i].push(r);
                        }
                    }
                    slot_state[slot] = slot_state[slot].clone().apply(&e);
                    slot_log[slot].push(e);
                    citizens[who] = plan.events.iter().fold(citizens[who].clone(), CitizenBookings::apply);
                }
                Op::Confirm { who, pick } => {
                    let holds: Vec<HoldId> = citizens[who].holds.iter().map(|h| h.hold_id).collect();
                    if holds.is_empty() { continue }
                    let h = holds[pick % holds.len()];
                    let s = citizens[who].hold(h).unwrap().slot.clone();
                    let i = all.iter().position(|x| *x == s).unwrap();
                    let Ok(ce) = citizens[who].confirm(h, booking_id(n), code(n as u64), now) else { continue };
                    let Ok(se) = slot_state[i].confirm(h, &cf(people[who]), false, details(), None, booking_id(n), code(n as u64), now) else { continue };
                    slot_state[i] = slot_state[i].clone().apply(&se);
                    slot_log[i].push(se);
                    citizens[who] = citizens[who].clone().apply(&ce);
                }
                Op::Cancel { who, pick } => {
                    let ids: Vec<BookingId> = citizens[who].bookings.iter().map(|b| b.booking_id).collect();
                    if ids.is_empty() { continue }
                    let b = ids[pick % ids.len()];
                    let s = citizens[who].booking(b).unwrap().slot.clone();
                    let i = all.iter().position(|x| *x == s).unwrap();
                    let Ok(ce) = citizens[who].cancel(b, now) else { continue };
                    let se = slot_state[i].cancel(b, Canceller::Citizen, None, now).unwrap();
                    slot_state[i] = slot_state[i].clone().apply(&se);
                    slot_log[i].push(se);
                    citizens[who] = citizens[who].clone().apply(&ce);
                }
            }
            // Invariants at every step.
            for c in &citizens {
                let active: Vec<_> = c.active_bookings(now).collect();
                prop_assert!(active.len() + c.live_holds(now).count() <= MAX_ACTIVE_BOOKINGS);
                let mut types: Vec<&str> = active.iter().map(|b| b.slot.counter.as_str()).collect();
                let k = types.len();
                types.sort_unstable();
                types.dedup();
                prop_assert_eq!(types.len(), k, "one active booking per counter type");
            }
        }
        // Replaying each slot's log: never two live occupants at once.
        for log in &slot_log {
            let mut occupant: Option<(Option<HoldId>, Option<BookingId>, Timestamp)> = None;
            for e in log {
                match e {
                    SlotEvent::SlotHeld { hold_id, at, expires_at, .. } => {
                        if let Some((_, b, until)) = occupant {
                            prop_assert!(b.is_none() && *at >= until, "held while occupied: {:?}", log);
                        }
                        occupant = Some((Some(*hold_id), None, *expires_at));
                    }
                    SlotEvent::SlotBooked { hold_id, booking_id, at, .. } => {
                        let (h, b, until) = occupant.expect("booked without a hold");
                        prop_assert!(b.is_none() && h == *hold_id && *at < until);
                        occupant = Some((None, Some(*booking_id), Timestamp::MAX_UTC));
                    }
                    SlotEvent::SlotHoldReleased { .. } | SlotEvent::SlotBookingCancelled { .. } => occupant = None,
                }
            }
        }
        // Slots and citizens agree on every confirmed booking.
        let mut by_slot: HashMap<BookingId, SlotRef> = HashMap::new();
        for (i, log) in slot_log.iter().enumerate() {
            for e in log {
                if let SlotEvent::SlotBooked { booking_id, .. } = e {
                    by_slot.insert(*booking_id, all[i].clone());
                }
            }
        }
        let by_citizen: HashMap<BookingId, SlotRef> = citizens
            .iter()
            .flat_map(|c| c.bookings.iter().map(|b| (b.booking_id, b.slot.clone())))
            .collect();
        prop_assert_eq!(by_slot, by_citizen);
    }
}
