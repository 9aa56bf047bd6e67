//! The read side's scope rules, given an actor, when they ask, then what they see.

use super::*;
use crate::actor::PatronatoUser;
use crate::ids::{PatronatoId, SedeCode};
use uuid::Uuid;
use StatisticsDimension as D;

fn uid(s: &str) -> UserId {
    UserId::parse(s).unwrap()
}

fn sede(code: &str) -> SedeCode {
    SedeCode::parse(code).unwrap()
}

fn patronato_user(id: &str, role: PatronatoRole, office: &str) -> Actor {
    Actor::Patronato(PatronatoUser {
        id: uid(id),
        role,
        patronato: PatronatoId::parse("INCA").unwrap(),
        office: OfficeId::parse(office).unwrap(),
        region: None,
    })
}

fn operator() -> Actor {
    patronato_user("op-rossi", PatronatoRole::Operator, "INCA-RM1")
}

fn admin() -> Actor {
    patronato_user("adm-neri", PatronatoRole::Admin, "INCA-HQ")
}

fn officer(code: &str) -> Actor {
    Actor::Sede(SedeOfficer {
        id: uid("inps-officer"),
        sede: sede(code),
    })
}

fn analyst() -> Actor {
    Actor::Analyst { id: uid("analyst") }
}

fn citizen(cf: &str) -> Actor {
    Actor::Citizen { id: uid(cf) }
}

#[test]
fn an_officer_acts_for_their_sede_only() {
    assert!(officer_of(&officer("5100"), &sede("5100")).is_ok());
    assert_eq!(
        officer_of(&officer("5200"), &sede("5100")).unwrap_err(),
        Refusal::OutOfScope
    );
    assert_eq!(
        officer_of(&operator(), &sede("5100")).unwrap_err(),
        Refusal::Forbidden
    );
}

#[test]
fn the_history_is_the_office_s_the_patronato_s_for_an_administrator_or_ones_own() {
    assert!(matches!(
        history_scope(&operator(), HistoryAsked::Office),
        Ok(HistoryScope::Office { office, .. }) if office.as_str() == "INCA-RM1"
    ));
    assert!(matches!(
        history_scope(&admin(), HistoryAsked::Office),
        Ok(HistoryScope::Patronato { patronato }) if patronato.as_str() == "INCA"
    ));
    assert!(matches!(
        history_scope(&operator(), HistoryAsked::Mine),
        Ok(HistoryScope::Mine { user, .. }) if user.as_str() == "op-rossi"
    ));
    assert_eq!(
        history_scope(&officer("5100"), HistoryAsked::Office),
        Err(Refusal::Forbidden)
    );
}

#[test]
fn an_operator_sees_their_own_statistics_and_their_office_s_never_a_colleague_s() {
    let mine = statistics_scope(&operator(), None, None).unwrap();
    assert_eq!(mine.dimension, D::User);
    assert_eq!(mine.key.as_deref(), Some("op-rossi"));
    assert_eq!(mine.patronato.as_deref(), Some("INCA"));
    let office = statistics_scope(&operator(), Some(D::Office), None).unwrap();
    assert_eq!(office.key.as_deref(), Some("INCA-RM1"));
    assert_eq!(
        statistics_scope(&operator(), Some(D::User), Some("op-bianchi")),
        Err(Refusal::OutOfScope)
    );
    assert_eq!(
        statistics_scope(&operator(), Some(D::Sede), None),
        Err(Refusal::Forbidden)
    );
}

#[test]
fn an_administrator_sees_every_user_and_office_of_their_patronato() {
    let all = statistics_scope(&admin(), None, None).unwrap();
    assert_eq!(
        (all.dimension, all.key.as_deref()),
        (D::Patronato, Some("INCA"))
    );
    let users = statistics_scope(&admin(), Some(D::User), None).unwrap();
    assert_eq!(
        (users.key, users.patronato.as_deref()),
        (None, Some("INCA"))
    );
    assert_eq!(
        statistics_scope(&admin(), Some(D::Patronato), Some("ACLI")),
        Err(Refusal::OutOfScope)
    );
}

#[test]
fn an_officer_sees_their_sede_and_an_analyst_everything_but_people() {
    let own = statistics_scope(&officer("5100"), None, None).unwrap();
    assert_eq!((own.dimension, own.key.as_deref()), (D::Sede, Some("5100")));
    assert_eq!(
        statistics_scope(&officer("5100"), None, Some("5200")),
        Err(Refusal::OutOfScope)
    );
    let regions = statistics_scope(&analyst(), None, None).unwrap();
    assert_eq!((regions.dimension, regions.key), (D::Region, None));
    assert_eq!(
        statistics_scope(&analyst(), Some(D::User), None),
        Err(Refusal::Forbidden)
    );
    assert_eq!(
        statistics_scope(&citizen("RSSMRA80A01H501U"), None, None),
        Err(Refusal::Forbidden)
    );
}

#[test]
fn a_booking_is_seen_by_its_citizen_its_sede_and_through_its_request() {
    let request = RequestId(Uuid::nil());
    let counter = BookingHolders {
        codice_fiscale: Some("RSSMRA80A01H501U"),
        sede: "5100",
        request_id: None,
    };
    let on_request = BookingHolders {
        codice_fiscale: None,
        sede: "5100",
        request_id: Some(request),
    };
    assert_eq!(
        booking_sight(&citizen("RSSMRA80A01H501U"), counter),
        BookingSight::Visible
    );
    assert_eq!(
        booking_sight(&citizen("VRDLGU80A01H501X"), counter),
        BookingSight::Hidden
    );
    assert_eq!(
        booking_sight(&officer("5100"), counter),
        BookingSight::Visible
    );
    assert_eq!(
        booking_sight(&officer("5200"), counter),
        BookingSight::Hidden
    );
    assert_eq!(booking_sight(&operator(), counter), BookingSight::Hidden);
    assert_eq!(
        booking_sight(&operator(), on_request),
        BookingSight::AsRequest(request)
    );
    assert_eq!(booking_sight(&analyst(), counter), BookingSight::Hidden);
}
