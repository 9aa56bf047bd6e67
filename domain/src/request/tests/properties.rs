//! Property tests over random histories.
//!
//! A *valid* history is grown from a `RequestSent` by applying randomly chosen
//! commands, by random actors, at random later instants, keeping only what
//! `decide` accepts. An *arbitrary* sequence is any list of events, in any
//! order, as a corrupted or hand-edited log could hold.

use super::*;
use proptest::prelude::*;

// --- valid histories -----------------------------------------------------------

#[derive(Debug, Clone)]
struct Step {
    /// Below 170: an actor of the side the command belongs to; above: anyone.
    actor: u8,
    command: u8,
    /// Chooses the details of the command (target, text, attachments).
    pick: u8,
    /// Minutes since the previous step.
    advance: i64,
}

#[derive(Debug, Clone)]
struct Scenario {
    by_referent: bool,
    /// Minutes after `day(0)` the request is sent (up to a year: both CET and CEST).
    start: i64,
    initial_attachments: u8,
    steps: Vec<Step>,
}

fn step() -> impl Strategy<Value = Step> {
    let advance = prop_oneof![
        4 => 0i64..240,
        3 => 0i64..(4 * 1440),
        2 => (14 * 1440 - 5i64)..(15 * 1440 + 5),
        1 => (15 * 1440i64)..(40 * 1440),
    ];
    // Replies and follow-ups often, closing rarely, so that histories get long.
    let command = prop_oneof![
        3 => Just(0u8),
        3 => Just(1u8),
        3 => Just(2u8),
        8 => Just(3u8),
        8 => Just(4u8),
        3 => Just(5u8),
        2 => Just(6u8),
        2 => Just(7u8),
        1 => Just(8u8),
    ];
    (any::<u8>(), command, any::<u8>(), advance).prop_map(|(actor, command, pick, advance)| Step {
        actor,
        command,
        pick,
        advance,
    })
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        prop::bool::weighted(0.2),
        0i64..(365 * 1440),
        0u8..=(MAX_ATTACHMENTS as u8),
        prop::collection::vec(step(), 0..50),
    )
        .prop_map(
            |(by_referent, start, initial_attachments, steps)| Scenario {
                by_referent,
                start,
                initial_attachments,
                steps,
            },
        )
}

/// Everyone, including the officer of wherever the request is now.
fn all_actors(state: &Request) -> Vec<Actor> {
    let mut actors = vec![
        operator(),
        colleague(),
        admin(),
        referent(),
        operator_other_office(),
        operator_other_patronato(),
        officer(),
        other_officer(),
        officer_of(&third_sede()),
        officer_of(&cric()),
        auditor(),
        analyst(),
        citizen_actor(),
    ];
    if let Some(s) = &state.current_sede {
        actors.push(officer_of(s));
    }
    actors
}

/// Actors who can never see the fixture requests, wherever they are.
fn always_out_of_scope(state: &Request) -> Vec<Actor> {
    let mut actors = vec![operator_other_patronato(), analyst(), citizen_actor()];
    for s in [dest(), other_sede(), third_sede(), cric()] {
        if state.current_sede.as_ref() != Some(&s) {
            actors.push(officer_of(&s));
        }
    }
    actors
}

fn is_sede_command(command: u8) -> bool {
    matches!(command % 9, 2 | 3 | 6 | 7 | 8)
}

fn pick_actor(state: &Request, by_referent: bool, step: &Step) -> Actor {
    if step.actor >= 170 {
        let actors = all_actors(state);
        return actors[step.actor as usize % actors.len()].clone();
    }
    if is_sede_command(step.command) {
        return officer_of(state.current_sede.as_ref().unwrap());
    }
    let side = if by_referent {
        vec![referent(), admin()]
    } else {
        vec![operator(), colleague(), admin()]
    };
    side[step.actor as usize % side.len()].clone()
}

fn pick_command(state: &Request, step: &Step, next_attachment: &mut u128) -> RequestCommand {
    let mut fresh = |n: u8| -> Vec<AttachmentRef> {
        (0..n)
            .map(|_| {
                *next_attachment += 1;
                att(*next_attachment)
            })
            .collect()
    };
    let p = step.pick;
    let text = |t: &str| {
        if p.is_multiple_of(11) {
            " ".to_string()
        } else {
            t.to_string()
        }
    };
    match step.command % 9 {
        0 => RequestCommand::AddAttachment {
            attachment: fresh(1).remove(0),
        },
        1 => {
            let ids: Vec<AttachmentId> =
                state.attachments.iter().map(|a| a.attachment.id).collect();
            let i = p as usize % (ids.len() + 1);
            RequestCommand::RemoveAttachment {
                attachment_id: ids.get(i).copied().unwrap_or(att_id(UNKNOWN_ATTACHMENT)),
            }
        }
        2 => RequestCommand::TakeInCharge,
        3 => RequestCommand::Reply {
            text: text(REPLY),
            attachments: fresh(p % 3),
        },
        4 => RequestCommand::SendMessage {
            text: text(MESSAGE),
            attachments: fresh(p % 2),
        },
        5 => RequestCommand::SendSollecito,
        6 => RequestCommand::Forward {
            to: match p % 6 {
                0 => SedeLookup::Active(dest()),
                1 => SedeLookup::Active(other_sede()),
                2 => SedeLookup::Active(third_sede()),
                3 => SedeLookup::Active(cric()),
                4 => SedeLookup::Inactive(sede("5900")),
                _ => SedeLookup::Unknown,
            },
            reason: if p.is_multiple_of(13) {
                String::new()
            } else {
                REASON.to_string()
            },
        },
        7 => RequestCommand::EnableAppointment,
        _ => RequestCommand::Close {
            note: p.is_multiple_of(2).then(|| "Pratica definita.".to_string()),
        },
    }
}

struct History {
    events: Vec<RequestEvent>,
    state: Request,
    now: Timestamp,
}

/// Grows a valid history; `check` sees the state and the clock before the
/// first step and after every step.
fn grow(s: &Scenario, mut check: impl FnMut(&Request, Timestamp)) -> History {
    let start = day(0) + minutes(s.start);
    let first = if s.by_referent {
        sent_by_referent(start)
    } else {
        sent_with_attachments(start, 1..=u128::from(s.initial_attachments))
    };
    let mut events = vec![first];
    let mut state = Request::from_events(&events);
    let mut now = start;
    let mut next_attachment = 1000;
    check(&state, now);
    for step in &s.steps {
        now += minutes(step.advance);
        let actor = pick_actor(&state, s.by_referent, step);
        let command = pick_command(&state, step, &mut next_attachment);
        if let Ok(new) = state.decide(&actor, command, now) {
            assert_eq!(new.len(), 1, "one event per command");
            assert_eq!(new[0].at(), now, "events are stamped with the clock");
            for e in new {
                state = state.apply(&e);
                events.push(e);
            }
        }
        check(&state, now);
    }
    History { events, state, now }
}

/// The rules, read back from a valid history's events.
fn assert_history_obeys_the_rules(events: &[RequestEvent]) {
    let RequestEvent::RequestSent(first) = &events[0] else {
        panic!("a stream starts with RequestSent")
    };
    let sent_at = first.at;
    let mut current = first.destination.clone();
    let mut in_charge = false;
    let mut replies = 0u32;
    let mut awaiting = true;
    // The patronato's last communication still awaiting an answer.
    let mut awaiting_since = sent_at;
    let mut interactions = 0u8;
    let mut last_sollecito: Option<Timestamp> = None;
    let mut solleciti = 0u32;
    let mut enabled_already = false;
    let mut last_at = sent_at;
    for (i, e) in events.iter().enumerate().skip(1) {
        assert!(e.at() >= last_at, "event {i} goes back in time");
        last_at = e.at();
        assert!(
            !matches!(events[i - 1], RequestEvent::ConversationClosed { .. }),
            "nothing follows a close: {e:?}"
        );
        match e {
            RequestEvent::RequestSent(_) => panic!("a second RequestSent"),
            RequestEvent::TakenInCharge { sede, .. } => {
                assert_eq!(sede, &current);
                assert!(!in_charge, "taken in charge twice at the same sede");
                in_charge = true;
            }
            RequestEvent::ReplyReceived { sede, text, .. } => {
                assert_eq!(sede, &current);
                assert!(awaiting, "reply with nothing pending");
                assert!(!text.trim().is_empty());
                awaiting = false;
                replies += 1;
            }
            RequestEvent::MessageSent {
                interaction, text, ..
            } => {
                assert!(replies > 0, "follow-up before the first reply");
                assert!(!awaiting, "follow-up before the sede answered");
                assert!(!text.trim().is_empty());
                interactions += 1;
                assert_eq!(*interaction, interactions);
                assert!(*interaction <= MAX_FURTHER_INTERACTIONS);
                awaiting = true;
                awaiting_since = e.at();
            }
            RequestEvent::SollecitoSent { number, at, .. } => {
                assert!(awaiting, "sollecito with nothing awaiting an answer");
                assert!(*at >= awaiting_since + Duration::days(15));
                if let Some(prev) = last_sollecito {
                    assert!(*at >= prev + Duration::days(15));
                }
                solleciti += 1;
                assert_eq!(*number, solleciti);
                last_sollecito = Some(*at);
            }
            RequestEvent::ForwardedToSede {
                from, to, reason, ..
            } => {
                assert_eq!(from, &current);
                assert_ne!(from, to);
                assert!(!reason.trim().is_empty());
                current = to.clone();
                in_charge = false;
            }
            RequestEvent::AppointmentEnabled { sede, .. } => {
                assert_eq!(sede, &current);
                assert!(!enabled_already, "enabled twice");
                enabled_already = true;
            }
            RequestEvent::ConversationClosed { sede, .. } => assert_eq!(sede, &current),
            RequestEvent::AttachmentAdded { side, .. } => assert_eq!(*side, Side::Patronato),
            RequestEvent::AttachmentRemoved { .. } => {}
            // Not produced by these generators (see tests/appointments.rs).
            RequestEvent::AppointmentBooked { .. } | RequestEvent::AppointmentCancelled { .. } => {}
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Every offered action is allowed exactly when `decide` accepts the
    /// corresponding command, for every actor, at every point of the history
    /// and later.
    #[test]
    fn available_actions_agree_with_decide(s in scenario()) {
        let history = grow(&s, |state, now| {
            for actor in all_actors(state) {
                assert_actions_agree_with_decide(state, &actor, now);
            }
        });
        for later in [minutes(1), Duration::days(15), Duration::days(31)] {
            for actor in all_actors(&history.state) {
                assert_actions_agree_with_decide(&history.state, &actor, history.now + later);
            }
        }
    }

    /// Whatever happened, callers out of scope only ever hear `NotFound`.
    #[test]
    fn out_of_scope_callers_always_get_not_found(s in scenario()) {
        grow(&s, |state, now| {
            for actor in always_out_of_scope(state) {
                for command in every_command() {
                    assert_eq!(
                        state.decide(&actor, command.clone(), now),
                        Err(RuleViolation::NotFound),
                        "{} by {:?}", command.name(), actor
                    );
                }
                assert!(state.available_actions(&actor, now).is_empty());
            }
        });
    }

    /// Histories built through `decide` obey every rule of SPEC §2.4.
    #[test]
    fn valid_histories_obey_the_rules(s in scenario()) {
        let history = grow(&s, |state, _| {
            assert_invariants(state);
        });
        assert_history_obeys_the_rules(&history.events);
    }

    /// Folding is deterministic, incremental folding equals replay, and the
    /// version is the number of events; a JSON round trip changes nothing.
    #[test]
    fn folding_valid_histories_is_deterministic(s in scenario()) {
        let history = grow(&s, |_, _| {});
        let replayed = Request::from_events(&history.events);
        prop_assert_eq!(&replayed, &history.state);
        prop_assert_eq!(&Request::from_events(&history.events), &replayed);
        prop_assert_eq!(replayed.version, history.events.len() as u64);
        let json = serde_json::to_string(&history.events).unwrap();
        let back: Vec<RequestEvent> = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &history.events);
        prop_assert_eq!(Request::from_events(&back), replayed);
    }
}

/// Invariants of every state reached through `decide`.
fn assert_invariants(state: &Request) {
    assert!(state.exists());
    assert!(state.interactions_used <= MAX_FURTHER_INTERACTIONS);
    assert!(state.held_attachments().count() <= MAX_ATTACHMENTS);
    assert_eq!(state.status == Some(Status::Chiusa), state.is_closed());
    assert!(state.current_sede.is_some());
    assert!(u32::from(state.interactions_used) <= state.replies);
    assert!(state.replies == 0 || state.first_reply_at.is_some());
    assert_eq!(
        state.interactions_left() + state.interactions_used,
        MAX_FURTHER_INTERACTIONS
    );
    if state.replies > 0 {
        assert!(state.first_reply_at <= state.last_reply_at);
    }
}

// --- arbitrary sequences ------------------------------------------------------------

fn arbitrary_event() -> impl Strategy<Value = RequestEvent> {
    (
        0u8..10,
        any::<u8>(),
        any::<u32>(),
        -(400 * 1440i64)..(400 * 1440),
    )
        .prop_map(|(kind, a, b, offset)| {
            let at = day(0) + minutes(offset);
            let sedi = [dest(), other_sede(), third_sede(), cric()];
            let s = &sedi[b as usize % 4];
            let t = &sedi[(b as usize / 4) % 4];
            match kind {
                0 if a % 3 == 0 => sent_by_referent(at),
                0 => sent_with_attachments(at, 0..u128::from(a % 14)),
                1 => RequestEvent::AttachmentAdded {
                    attachment: att(u128::from(a % 6)),
                    by: uid("op-rossi"),
                    side: if b % 2 == 0 {
                        Side::Patronato
                    } else {
                        Side::Sede
                    },
                    at,
                },
                2 => removed(u128::from(a % 8), at),
                3 => taken_by(s, at),
                4 => replied_by(s, at, atts(0..u128::from(a % 3))),
                5 => message(a, at),
                6 => sollecito(b, at),
                7 => forwarded(s, t, at),
                8 => enabled(at),
                _ => closed(at),
            }
        })
}

/// Gives every attachment of the sequence its own id, as the command handlers
/// do (`AttachmentId::new()` per attachment); removals keep pointing at the
/// first few ids.
fn with_distinct_attachment_ids(mut events: Vec<RequestEvent>) -> Vec<RequestEvent> {
    let mut next = 0u128;
    let mut renumber = |a: &mut AttachmentRef| {
        next += 1;
        a.id = att_id(next);
    };
    for e in &mut events {
        match e {
            RequestEvent::RequestSent(sent) => sent.attachments.iter_mut().for_each(&mut renumber),
            RequestEvent::AttachmentAdded { attachment, .. } => renumber(attachment),
            RequestEvent::ReplyReceived { attachments, .. }
            | RequestEvent::MessageSent { attachments, .. } => {
                attachments.iter_mut().for_each(&mut renumber)
            }
            _ => {}
        }
    }
    events
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// `apply` is total: any sequence folds without panicking, one version per
    /// event, deterministically, and folding in two halves equals folding all.
    /// Deciding and listing actions on whatever state results never panics either.
    #[test]
    fn apply_never_panics_on_any_sequence(
        events in prop::collection::vec(arbitrary_event(), 0..40),
        split in any::<prop::sample::Index>(),
        now_offset in -(400 * 1440i64)..(800 * 1440),
    ) {
        let state = Request::from_events(&events);
        prop_assert_eq!(state.version, events.len() as u64);
        prop_assert_eq!(&Request::from_events(&events), &state);
        let cut = split.index(events.len() + 1);
        let halves = events[cut..]
            .iter()
            .fold(Request::from_events(&events[..cut]), Request::apply);
        prop_assert_eq!(&halves, &state);
        // Chiusa sticks (unless a second RequestSent, which no stream holds, restarts it).
        let restarted = events
            .iter()
            .skip_while(|e| !matches!(e, RequestEvent::ConversationClosed { .. }))
            .any(|e| matches!(e, RequestEvent::RequestSent(_)));
        if state.is_closed() && !restarted {
            prop_assert_eq!(state.status, Some(Status::Chiusa));
        }

        let now = day(0) + minutes(now_offset);
        for actor in all_actors(&state) {
            let _ = state.available_actions(&actor, now);
            for command in every_command() {
                let _ = state.decide(&actor, command, now);
            }
        }
        let _ = state.appointment_ground(now);
        let _ = state.sollecito_available_from();
        let _ = state.interactions_left();
    }

    /// Even on states no command would produce (events in any order, stored
    /// by hand or by an older version), the offered actions agree with
    /// `decide`, as long as attachment ids are distinct and the request holds
    /// no more than the maximum (over it, `decide` refuses even a reply without
    /// attachments while the Reply action is offered).
    #[test]
    fn available_actions_agree_with_decide_on_any_logged_state(
        events in prop::collection::vec(arbitrary_event(), 1..40)
            .prop_map(with_distinct_attachment_ids),
        now_offset in -(400 * 1440i64)..(800 * 1440),
    ) {
        let state = Request::from_events(&events);
        prop_assume!(state.held_attachments().count() <= MAX_ATTACHMENTS);
        let now = day(0) + minutes(now_offset);
        for actor in all_actors(&state) {
            assert_actions_agree_with_decide(&state, &actor, now);
        }
    }
}
