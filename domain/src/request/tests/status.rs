//! Statuses (SPEC §2.5) after each event; *Chiusa* sticks.

use super::*;

#[test]
fn status_after_each_event() {
    let steps: Vec<(RequestEvent, Status)> = vec![
        (sent_with_attachments(day(0), [1]), Status::Inoltrata),
        (added(2, day(1)), Status::Inoltrata),
        (removed(2, day(1)), Status::Inoltrata),
        (taken(day(2)), Status::PresaInCarico),
        (sollecito(1, day(15)), Status::Sollecitata),
        (
            forwarded(&dest(), &other_sede(), day(16)),
            Status::InoltrataAdAltraSede,
        ),
        (taken_by(&other_sede(), day(17)), Status::PresaInCarico),
        (
            replied_by(&other_sede(), day(18), vec![]),
            Status::RispostaRicevuta,
        ),
        (message(1, day(19)), Status::InAttesaDiRisposta),
        (
            replied_by(&other_sede(), day(20), vec![]),
            Status::RispostaRicevuta,
        ),
        // Enabling an appointment is not a status of its own.
        (enabled(day(21)), Status::RispostaRicevuta),
        (message(2, day(22)), Status::InAttesaDiRisposta),
        (closed(day(23)), Status::Chiusa),
    ];
    let mut state = Request::default();
    assert_eq!(state.status, None);
    for (i, (event, status)) in steps.into_iter().enumerate() {
        let what = event.event_type();
        state = state.apply(&event);
        assert_eq!(state.status, Some(status), "after {what}");
        assert_eq!(state.version, i as u64 + 1);
    }
}

#[test]
fn chiusa_sticks_whatever_is_applied_after() {
    let after_close = [
        added(2, day(3)),
        removed(2, day(3)),
        taken(day(3)),
        replied(day(4)),
        message(1, day(5)),
        sollecito(1, day(20)),
        forwarded(&dest(), &other_sede(), day(21)),
        enabled(day(22)),
        closed(day(23)),
    ];
    let mut state = given([sent(day(0)), closed(day(2))]).into_state();
    for event in after_close {
        let what = event.event_type();
        state = state.apply(&event);
        assert_eq!(state.status, Some(Status::Chiusa), "after {what}");
        assert!(state.is_closed());
    }
}

#[test]
fn sollecito_after_forward_is_sollecitata() {
    let state = given([
        sent(day(0)),
        forwarded(&dest(), &other_sede(), day(1)),
        sollecito(1, day(15)),
    ])
    .into_state();
    assert_eq!(state.status, Some(Status::Sollecitata));
}

#[test]
fn status_codes_and_labels_round_trip() {
    for status in Status::ALL {
        assert_eq!(Status::parse(status.as_str()), Some(status));
        assert!(!status.label().is_empty());
    }
    assert_eq!(Status::parse("sconosciuto"), None);
    assert_eq!(Status::InAttesaDiRisposta.label(), "In attesa di risposta");
}

#[test]
fn reply_clears_the_wait_and_a_follow_up_starts_it_again() {
    let state = given([sent(day(0)), replied(day(2))]).into_state();
    assert_eq!(state.awaiting_reply_since, None);
    assert_eq!(state.first_reply_at, Some(day(2)));
    let state = state.apply(&message(1, day(3)));
    assert_eq!(state.awaiting_reply_since, Some(day(3)));
    let state = state.apply(&replied(day(5)));
    assert_eq!(state.first_reply_at, Some(day(2)));
    assert_eq!(state.last_reply_at, Some(day(5)));
    assert_eq!(state.replies, 2);
}
