//! The queue of a counter today: issue, call the longest waiting, serve or skip.

use super::*;

#[test]
fn tickets_are_called_in_order_and_the_status_is_computed() {
    let t = now0();
    let mut q = Queue::default();
    for i in 0..4 {
        let e = q.issue(None, t + Duration::minutes(i));
        q = q.apply(&e);
    }
    assert_eq!(q.status().waiting, 4);
    assert_eq!(q.status().now_serving, None);
    assert_eq!(q.status().average_service_seconds, None);
    let e = q
        .call_next(Some("1"), officer(), t + Duration::minutes(10))
        .unwrap();
    assert!(matches!(e, QueueEvent::TicketCalled { number: 1, .. }));
    q = q.apply(&e);
    let e = q
        .call_next(Some("2"), officer(), t + Duration::minutes(11))
        .unwrap();
    assert!(matches!(e, QueueEvent::TicketCalled { number: 2, .. }));
    q = q.apply(&e);
    let e = q.serve(1, officer(), t + Duration::minutes(16)).unwrap();
    q = q.apply(&e);
    let e = q.skip(2, officer(), t + Duration::minutes(12)).unwrap();
    q = q.apply(&e);
    let s = q.status();
    assert_eq!(
        (s.issued, s.called, s.served, s.skipped, s.waiting),
        (4, 2, 1, 1, 2)
    );
    assert_eq!(s.now_serving, Some(2));
    assert!(s.in_service.is_empty());
    assert_eq!(s.average_service_seconds, Some(360.0));
    // Waits: ticket 1 issued at +0 called at +10; ticket 2 issued at +1 called at +11.
    assert_eq!(s.average_wait_seconds, Some(600.0));
    // 2 waiting × 6 minutes ÷ 2 desks.
    assert_eq!(s.estimated_wait_seconds, Some(360.0));
}

#[test]
fn serving_needs_a_called_open_ticket() {
    let t = now0();
    let q = Queue::default();
    assert_eq!(
        q.call_next(None, officer(), t),
        Err(BookingViolation::QueueEmpty)
    );
    let e = q.issue(Some(code(5)), t);
    let q = q.apply(&e);
    assert_eq!(
        q.serve(1, officer(), t),
        Err(BookingViolation::TicketNotCalled)
    );
    assert_eq!(
        q.serve(2, officer(), t),
        Err(BookingViolation::TicketNotFound)
    );
    let e = q.call_next(None, officer(), t).unwrap();
    let q = q.apply(&e);
    assert_eq!(q.status().in_service.len(), 1);
    let e = q.serve(1, officer(), t).unwrap();
    let q = q.apply(&e);
    assert_eq!(
        q.serve(1, officer(), t),
        Err(BookingViolation::TicketClosed)
    );
    assert_eq!(q.skip(1, officer(), t), Err(BookingViolation::TicketClosed));
    assert_eq!(
        q.call_next(Some(&"x".repeat(21)), officer(), t),
        Err(BookingViolation::TextTooLong { max: 20 })
    );
    assert_eq!(q.ticket(1).unwrap().booking_code, Some(code(5)));
}
