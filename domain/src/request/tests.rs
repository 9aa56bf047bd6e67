//! Tests of every rule of the request aggregate (SPEC §2.1–2.4, §2.8), in a
//! given / when / then style:
//!
//! ```text
//! given([sent(day(0))])
//!     .when(operator(), RequestCommand::SendSollecito, day(15))
//!     .then_events(vec![sollecito(1, day(15))]);
//! ```
//!
//! The fixtures below describe one small world: the patronato INCA with the
//! office INCA-RM1 (the operator and a colleague), the office INCA-MI1 (another
//! operator), the regional referent of Lazio and an administrator; the
//! patronato ACLI; the INPS sedi 5100 (the destination), 5200 and 5300, the
//! inactive 5900 and the CRIC of Lazio.
//!
//! Submodules, one per group of rules, are in `tests/`.

use super::*;
use crate::actor::{Actor, PatronatoRole, PatronatoUser, SedeOfficer, Side};
use crate::codice_fiscale::CodiceFiscale;
use crate::ids::{
    AttachmentId, Cap, OfficeId, PatronatoId, PracticeRef, PracticeRefKind, ProtocolNumber,
    RegionCode, RequestId, SedeCode, TopicCode, UserId,
};
use crate::time::Timestamp;
use crate::topic::{Subtopic, Topic, TopicAudience};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use uuid::Uuid;

mod actions;
mod appointments;
mod attachments;
mod conversation;
mod creation;
mod properties;
mod scope;
mod sollecito;
mod status;

// --- time ------------------------------------------------------------------

/// A UTC instant.
fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> Timestamp {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

/// `day(0)` is Monday 5 January 2026, 08:00 UTC (09:00 in Rome); `day(n)` is
/// exactly n × 24 h later.
fn day(n: i64) -> Timestamp {
    utc(2026, 1, 5, 8, 0) + Duration::days(n)
}

fn minutes(n: i64) -> Duration {
    Duration::minutes(n)
}

// --- identifiers -----------------------------------------------------------

fn sede(code: &str) -> SedeCode {
    SedeCode::parse(code).unwrap()
}

/// The destination sede of the fixture request.
fn dest() -> SedeCode {
    sede("5100")
}

/// Another active sede.
fn other_sede() -> SedeCode {
    sede("5200")
}

/// A third active sede.
fn third_sede() -> SedeCode {
    sede("5300")
}

/// The CRIC structure of Lazio, where the referent's requests go.
fn cric() -> SedeCode {
    sede("CRICLAZ")
}

fn uid(s: &str) -> UserId {
    UserId::parse(s).unwrap()
}

fn code(s: &str) -> TopicCode {
    TopicCode::parse(s).unwrap()
}

fn request_id() -> RequestId {
    RequestId(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001))
}

fn protocol() -> ProtocolNumber {
    ProtocolNumber::new(&dest(), 2026, 42)
}

fn practice_ref() -> PracticeRef {
    PracticeRef::parse(PracticeRefKind::Protocollo, "INPS.5100.2025.0012345").unwrap()
}

// --- actors ----------------------------------------------------------------

fn patronato_user(
    id: &str,
    role: PatronatoRole,
    patronato: &str,
    office: &str,
    region: Option<&str>,
) -> Actor {
    Actor::Patronato(PatronatoUser {
        id: uid(id),
        role,
        patronato: PatronatoId::parse(patronato).unwrap(),
        office: OfficeId::parse(office).unwrap(),
        region: region.map(|r| RegionCode::parse(r).unwrap()),
    })
}

/// The operator who sends the fixture request (INCA, office INCA-RM1).
fn operator() -> Actor {
    patronato_user(
        "op-rossi",
        PatronatoRole::Operator,
        "INCA",
        "INCA-RM1",
        None,
    )
}

/// Another operator of the same office.
fn colleague() -> Actor {
    patronato_user(
        "op-bianchi",
        PatronatoRole::Operator,
        "INCA",
        "INCA-RM1",
        None,
    )
}

/// An operator of another office of the same patronato.
fn operator_other_office() -> Actor {
    patronato_user(
        "op-verdi",
        PatronatoRole::Operator,
        "INCA",
        "INCA-MI1",
        None,
    )
}

/// The administrator of the patronato (office: the head office).
fn admin() -> Actor {
    patronato_user("adm-neri", PatronatoRole::Admin, "INCA", "INCA-HQ", None)
}

/// An operator of another patronato, with the same office code as ours.
fn operator_other_patronato() -> Actor {
    patronato_user(
        "op-gialli",
        PatronatoRole::Operator,
        "ACLI",
        "INCA-RM1",
        None,
    )
}

/// The regional referent of Lazio.
fn referent() -> Actor {
    patronato_user(
        "ref-blu",
        PatronatoRole::RegionalReferent,
        "INCA",
        "INCA-LAZ",
        Some("LAZIO"),
    )
}

fn officer_of(code: &SedeCode) -> Actor {
    Actor::Sede(SedeOfficer {
        id: uid(&format!("inps-{}", code.as_str().to_ascii_lowercase())),
        sede: code.clone(),
    })
}

/// An officer of the destination sede.
fn officer() -> Actor {
    officer_of(&dest())
}

/// An officer of another sede.
fn other_officer() -> Actor {
    officer_of(&other_sede())
}

fn auditor() -> Actor {
    Actor::Auditor { id: uid("aud-1") }
}

fn analyst() -> Actor {
    Actor::Analyst { id: uid("ana-1") }
}

fn citizen_actor() -> Actor {
    Actor::Citizen {
        id: uid("RSSMRA85T10A562S"),
    }
}

// --- topic catalogue -------------------------------------------------------

fn subtopic(c: &str, label: &str) -> Subtopic {
    Subtopic {
        code: code(c),
        label: label.to_string(),
    }
}

/// "Sollecito domanda già presentata": operators only, practice ref required.
fn topic_sollecito_domanda() -> Topic {
    Topic {
        code: code("sollecito_domanda"),
        label: "Sollecito domanda già presentata".to_string(),
        audience: TopicAudience::Operator,
        requires_practice_ref: true,
        subtopics: vec![subtopic("naspi", "NASpI"), subtopic("auu", "Assegno Unico")],
    }
}

/// "Requisiti e modalità di accesso ai servizi": both roles, no practice ref.
fn topic_requisiti() -> Topic {
    Topic {
        code: code("requisiti_accesso"),
        label: "Requisiti e modalità di accesso ai servizi".to_string(),
        audience: TopicAudience::Both,
        requires_practice_ref: false,
        subtopics: vec![subtopic("adi", "Assegno di inclusione")],
    }
}

/// "Chiarimento normativo": regional referents only.
fn topic_chiarimento() -> Topic {
    Topic {
        code: code("chiarimento_normativo"),
        label: "Chiarimento normativo".to_string(),
        audience: TopicAudience::RegionalReferent,
        requires_practice_ref: false,
        subtopics: vec![],
    }
}

// --- attachments -----------------------------------------------------------

fn att_id(n: u128) -> AttachmentId {
    AttachmentId(Uuid::from_u128(n))
}

fn att(n: u128) -> AttachmentRef {
    AttachmentRef {
        id: att_id(n),
        sha256: format!("{n:064x}"),
        filename: format!("documento-{n}.pdf"),
        media_type: "application/pdf".to_string(),
        size: 1000 + n as u64,
    }
}

fn atts(ns: impl IntoIterator<Item = u128>) -> Vec<AttachmentRef> {
    ns.into_iter().map(att).collect()
}

// --- creation inputs -------------------------------------------------------

fn citizen() -> CitizenRecord {
    CitizenRecord {
        codice_fiscale: CodiceFiscale::parse("RSSMRA85T10A562S").unwrap().into(),
        surname: "Rossi".to_string(),
        name: "Mario".to_string(),
        birth_date: NaiveDate::from_ymd_opt(1985, 12, 10).unwrap().into(),
        birth_place: Some("Agrigento".to_string()),
        cap: Cap::parse("00184").unwrap(),
    }
}

const TEXT: &str = "Si chiede lo stato della domanda NASpI presentata a novembre.";
const REFERENT_TEXT: &str = "Chiarimento sulla circolare 45/2025.";

/// The operator's request that becomes `sent(..)` once accepted.
fn new_request() -> NewRequest {
    NewRequest {
        id: request_id(),
        requester: RequesterInput::Citizen(citizen()),
        mandate_declared: true,
        topic: Some(topic_sollecito_domanda()),
        subtopic: Some(code("naspi")),
        practice_ref: Some(practice_ref()),
        practice_check: Some(PracticeCheck::Associated),
        text: TEXT.to_string(),
        notes: None,
        attachments: vec![],
        suggested_destination: Some(dest()),
        chosen_destination: None,
        copied_from: None,
    }
}

/// The referent's request on their own behalf, routed to the CRIC.
fn referent_request() -> NewRequest {
    NewRequest {
        requester: RequesterInput::OwnBehalf,
        mandate_declared: false,
        topic: Some(topic_chiarimento()),
        subtopic: None,
        practice_ref: None,
        practice_check: None,
        text: REFERENT_TEXT.to_string(),
        suggested_destination: Some(cric()),
        ..new_request()
    }
}

/// The creation DSL: `when_creating(actor, new).then_err(..)` / `.then_sent(..)`.
struct Creation(Result<AcceptedRequest, RuleViolation>);

fn when_creating(actor: Actor, new: NewRequest) -> Creation {
    Creation(accept_new_request(&actor, new))
}

impl Creation {
    #[track_caller]
    fn then_err(self, expected: RuleViolation) {
        match self.0 {
            Ok(accepted) => panic!("expected {expected:?}, accepted {accepted:?}"),
            Err(v) => assert_eq!(v, expected, "code {}", v.code()),
        }
    }

    #[track_caller]
    fn accepted(self) -> AcceptedRequest {
        match self.0 {
            Ok(a) => a,
            Err(v) => panic!("expected acceptance, refused with {} ({v})", v.code()),
        }
    }

    /// The `RequestSent` the accepted request becomes, with `protocol()` at `day(0)`.
    #[track_caller]
    fn then_sent(self) -> RequestSent {
        match self.accepted().into_event(protocol(), day(0)) {
            RequestEvent::RequestSent(sent) => *sent,
            other => panic!("expected RequestSent, got {other:?}"),
        }
    }
}

// --- events ----------------------------------------------------------------

/// The fact of the operator's request, exactly as `accept_new_request` makes it.
fn sent_event(at: Timestamp) -> RequestSent {
    RequestSent {
        request_id: request_id(),
        protocol: protocol(),
        requester: Requester::Citizen(citizen()),
        mandate_declared: true,
        topic: code("sollecito_domanda"),
        topic_label: "Sollecito domanda già presentata".to_string(),
        subtopic: Some(code("naspi")),
        subtopic_label: Some("NASpI".to_string()),
        practice_ref: Some(practice_ref()),
        text: TEXT.to_string(),
        notes: None,
        attachments: vec![],
        by: uid("op-rossi"),
        by_role: PatronatoRole::Operator,
        patronato: PatronatoId::parse("INCA").unwrap(),
        office: OfficeId::parse("INCA-RM1").unwrap(),
        destination: dest(),
        routing: Routing::Suggested,
        copied_from: None,
        at,
    }
}

/// The operator sent the request to sede 5100 at `at`.
fn sent(at: Timestamp) -> RequestEvent {
    RequestEvent::RequestSent(Box::new(sent_event(at)))
}

/// As `sent`, with attachments at creation.
fn sent_with_attachments(at: Timestamp, ns: impl IntoIterator<Item = u128>) -> RequestEvent {
    RequestEvent::RequestSent(Box::new(RequestSent {
        attachments: atts(ns),
        ..sent_event(at)
    }))
}

/// The referent sent a request on their own behalf to the CRIC of Lazio.
fn sent_by_referent(at: Timestamp) -> RequestEvent {
    RequestEvent::RequestSent(Box::new(RequestSent {
        requester: Requester::OwnBehalf {
            region: RegionCode::parse("LAZIO").unwrap(),
        },
        mandate_declared: false,
        topic: code("chiarimento_normativo"),
        topic_label: "Chiarimento normativo".to_string(),
        subtopic: None,
        subtopic_label: None,
        practice_ref: None,
        text: REFERENT_TEXT.to_string(),
        by: uid("ref-blu"),
        by_role: PatronatoRole::RegionalReferent,
        office: OfficeId::parse("INCA-LAZ").unwrap(),
        destination: cric(),
        protocol: ProtocolNumber::new(&cric(), 2026, 7),
        ..sent_event(at)
    }))
}

fn officer_id(code: &SedeCode) -> UserId {
    officer_of(code).id().clone()
}

fn taken(at: Timestamp) -> RequestEvent {
    taken_by(&dest(), at)
}

fn taken_by(s: &SedeCode, at: Timestamp) -> RequestEvent {
    RequestEvent::TakenInCharge {
        by: officer_id(s),
        sede: s.clone(),
        at,
    }
}

const REPLY: &str = "La domanda è in istruttoria.";
const MESSAGE: &str = "Si trasmette la documentazione richiesta.";

fn replied(at: Timestamp) -> RequestEvent {
    replied_with(at, vec![])
}

fn replied_with(at: Timestamp, attachments: Vec<AttachmentRef>) -> RequestEvent {
    replied_by(&dest(), at, attachments)
}

fn replied_by(s: &SedeCode, at: Timestamp, attachments: Vec<AttachmentRef>) -> RequestEvent {
    RequestEvent::ReplyReceived {
        by: officer_id(s),
        sede: s.clone(),
        text: REPLY.to_string(),
        attachments,
        at,
    }
}

fn message(interaction: u8, at: Timestamp) -> RequestEvent {
    message_with(interaction, at, vec![])
}

fn message_with(interaction: u8, at: Timestamp, attachments: Vec<AttachmentRef>) -> RequestEvent {
    RequestEvent::MessageSent {
        by: uid("op-rossi"),
        text: MESSAGE.to_string(),
        attachments,
        interaction,
        at,
    }
}

fn sollecito(number: u32, at: Timestamp) -> RequestEvent {
    RequestEvent::SollecitoSent {
        by: uid("op-rossi"),
        number,
        at,
    }
}

const REASON: &str = "Competenza territoriale della sede di Milano.";

fn forwarded(from: &SedeCode, to: &SedeCode, at: Timestamp) -> RequestEvent {
    RequestEvent::ForwardedToSede {
        by: officer_id(from),
        from: from.clone(),
        to: to.clone(),
        reason: REASON.to_string(),
        at,
    }
}

fn enabled(at: Timestamp) -> RequestEvent {
    RequestEvent::AppointmentEnabled {
        by: officer_id(&dest()),
        sede: dest(),
        at,
    }
}

fn closed(at: Timestamp) -> RequestEvent {
    RequestEvent::ConversationClosed {
        by: officer_id(&dest()),
        sede: dest(),
        note: None,
        at,
    }
}

/// The operator added attachment `n`.
fn added(n: u128, at: Timestamp) -> RequestEvent {
    RequestEvent::AttachmentAdded {
        attachment: att(n),
        by: uid("op-rossi"),
        side: Side::Patronato,
        at,
    }
}

/// The operator removed attachment `n`.
fn removed(n: u128, at: Timestamp) -> RequestEvent {
    RequestEvent::AttachmentRemoved {
        attachment_id: att_id(n),
        by: uid("op-rossi"),
        at,
    }
}

// --- commands --------------------------------------------------------------

fn reply_cmd() -> RequestCommand {
    RequestCommand::Reply {
        text: REPLY.to_string(),
        attachments: vec![],
    }
}

fn message_cmd() -> RequestCommand {
    RequestCommand::SendMessage {
        text: MESSAGE.to_string(),
        attachments: vec![],
    }
}

fn forward_cmd(to: SedeLookup) -> RequestCommand {
    RequestCommand::Forward {
        to,
        reason: REASON.to_string(),
    }
}

fn forward_to_other() -> RequestCommand {
    forward_cmd(SedeLookup::Active(other_sede()))
}

fn close_cmd() -> RequestCommand {
    RequestCommand::Close { note: None }
}

fn add_cmd(n: u128) -> RequestCommand {
    RequestCommand::AddAttachment { attachment: att(n) }
}

fn remove_cmd(n: u128) -> RequestCommand {
    RequestCommand::RemoveAttachment {
        attachment_id: att_id(n),
    }
}

/// One command of each kind, valid in shape (the state decides).
fn every_command() -> Vec<RequestCommand> {
    vec![
        add_cmd(900),
        remove_cmd(1),
        RequestCommand::TakeInCharge,
        reply_cmd(),
        message_cmd(),
        RequestCommand::SendSollecito,
        forward_to_other(),
        RequestCommand::EnableAppointment,
        close_cmd(),
    ]
}

fn patronato_commands() -> Vec<RequestCommand> {
    vec![
        add_cmd(900),
        remove_cmd(1),
        message_cmd(),
        RequestCommand::SendSollecito,
    ]
}

fn sede_commands() -> Vec<RequestCommand> {
    vec![
        RequestCommand::TakeInCharge,
        reply_cmd(),
        forward_to_other(),
        RequestCommand::EnableAppointment,
        close_cmd(),
    ]
}

// --- appointments ----------------------------------------------------------

fn booking_id() -> crate::booking::BookingId {
    crate::booking::BookingId(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_00B1))
}

fn booking_code() -> crate::booking::BookingCode {
    crate::booking::BookingCode::parse("K7M2Q9XA").unwrap()
}

/// The 15-minute slot of the destination sede's patronati counter at `start`.
fn patronati_slot(start: Timestamp) -> crate::booking::SlotRef {
    crate::booking::SlotRef {
        sede: dest(),
        counter: crate::booking::CounterCode::parse(crate::booking::PATRONATI_COUNTER).unwrap(),
        start,
        end: start + minutes(15),
    }
}

fn book_cmd(start: Timestamp) -> RequestCommand {
    RequestCommand::BookAppointment {
        booking_id: booking_id(),
        code: booking_code(),
        slot: patronati_slot(start),
    }
}

/// The operator booked, at `at`, the slot starting at `start` (on the 15-day ground).
fn booked(at: Timestamp, start: Timestamp) -> RequestEvent {
    booked_on(AppointmentGround::NoReplyWithinStandard, at, start)
}

fn booked_on(ground: AppointmentGround, at: Timestamp, start: Timestamp) -> RequestEvent {
    RequestEvent::AppointmentBooked {
        booking_id: booking_id(),
        code: booking_code(),
        slot: patronati_slot(start),
        ground,
        by: uid("op-rossi"),
        at,
    }
}

fn appointment_cancelled(at: Timestamp) -> RequestEvent {
    RequestEvent::AppointmentCancelled {
        booking_id: booking_id(),
        by: uid("op-rossi"),
        side: Side::Patronato,
        reason: None,
        at,
    }
}

// --- the given / when / then DSL -------------------------------------------

/// A request rebuilt from its past events.
struct Given {
    state: Request,
}

fn given(events: impl IntoIterator<Item = RequestEvent>) -> Given {
    let events: Vec<RequestEvent> = events.into_iter().collect();
    Given {
        state: Request::from_events(&events),
    }
}

impl Given {
    fn state(&self) -> &Request {
        &self.state
    }

    fn into_state(self) -> Request {
        self.state
    }

    fn when(&self, actor: Actor, command: RequestCommand, now: Timestamp) -> Then {
        Then {
            state: self.state.clone(),
            result: self.state.decide(&actor, command.clone(), now),
            what: format!("{} by {:?} at {now}", command.name(), actor.role()),
        }
    }
}

/// The outcome of a command on a given request.
struct Then {
    state: Request,
    result: Result<Vec<RequestEvent>, RuleViolation>,
    what: String,
}

impl Then {
    /// The command was accepted with exactly these events; returns the new state.
    #[track_caller]
    fn then_events(self, expected: Vec<RequestEvent>) -> Request {
        match self.result {
            Ok(events) => {
                assert_eq!(events, expected, "{}", self.what);
                events.iter().fold(self.state, Request::apply)
            }
            Err(v) => panic!(
                "{}: expected {expected:?}, refused with {} ({v})",
                self.what,
                v.code()
            ),
        }
    }

    /// The command was accepted; returns the new state.
    #[track_caller]
    fn then_ok(self) -> Request {
        match self.result {
            Ok(events) => {
                assert_eq!(events.len(), 1, "{}: one event per command", self.what);
                events.iter().fold(self.state, Request::apply)
            }
            Err(v) => panic!("{}: refused with {} ({v})", self.what, v.code()),
        }
    }

    /// The command was refused with exactly this violation.
    #[track_caller]
    fn then_err(self, expected: RuleViolation) {
        match self.result {
            Ok(events) => panic!("{}: expected {expected:?}, accepted {events:?}", self.what),
            Err(v) => assert_eq!(v, expected, "{}: code {}", self.what, v.code()),
        }
    }
}

// --- available actions against decide ----------------------------------------

/// An attachment id no request of these tests holds.
const UNKNOWN_ATTACHMENT: u128 = 0xDEAD_BEEF;

/// The commands that exercise the rule behind `action`; `None` for booking,
/// which is a command of the appointment aggregate (see `appointment_ground`).
fn representatives(state: &Request, action: Action) -> Option<Vec<RequestCommand>> {
    let current = state.current_sede.clone();
    Some(match action {
        Action::AddAttachment => vec![add_cmd(UNKNOWN_ATTACHMENT + 1)],
        // Removal is allowed when some held attachment may be removed: try them
        // all (held first, so the first refusal is the one about a held one).
        Action::RemoveAttachment => {
            let mut ids: Vec<AttachmentId> = state
                .attachments
                .iter()
                .filter(|a| !a.removed)
                .chain(state.attachments.iter().filter(|a| a.removed))
                .map(|a| a.attachment.id)
                .collect();
            ids.push(att_id(UNKNOWN_ATTACHMENT));
            ids.into_iter()
                .map(|attachment_id| RequestCommand::RemoveAttachment { attachment_id })
                .collect()
        }
        Action::SendMessage => vec![message_cmd()],
        Action::SendSollecito => vec![RequestCommand::SendSollecito],
        Action::BookAppointment => return None,
        Action::TakeInCharge => vec![RequestCommand::TakeInCharge],
        Action::Reply => vec![reply_cmd()],
        Action::Forward => {
            let to = [dest(), other_sede(), third_sede()]
                .into_iter()
                .find(|s| Some(s) != current.as_ref())
                .unwrap();
            vec![forward_cmd(SedeLookup::Active(to))]
        }
        Action::EnableAppointment => vec![RequestCommand::EnableAppointment],
        Action::Close => vec![close_cmd()],
    })
}

/// Each action the caller is offered is allowed exactly when `decide` accepts
/// the corresponding command, and refused with the same code, message and
/// `available_from`.
#[track_caller]
fn assert_actions_agree_with_decide(state: &Request, actor: &Actor, now: Timestamp) {
    let actions = state.available_actions(actor, now);
    let expected: &[Action] = match actor {
        _ if !state.visible_to(actor) => &[],
        Actor::Patronato(_) => &[
            Action::AddAttachment,
            Action::RemoveAttachment,
            Action::SendMessage,
            Action::SendSollecito,
            Action::BookAppointment,
        ],
        Actor::Sede(_) => &[
            Action::TakeInCharge,
            Action::Reply,
            Action::Forward,
            Action::EnableAppointment,
            Action::Close,
        ],
        _ => &[],
    };
    let listed: Vec<Action> = actions.iter().map(|a| a.action).collect();
    assert_eq!(listed, expected, "{:?} at {now}", actor.role());
    for a in &actions {
        let Some(commands) = representatives(state, a.action) else {
            let ground = state.appointment_ground(now);
            let check = state.check_book_appointment(now);
            if state.appointment.is_none() {
                assert_eq!(a.allowed, ground.is_ok(), "{:?}", a.action);
                assert_eq!(a.available_from, ground.err().flatten(), "{:?}", a.action);
            }
            assert_eq!(a.allowed, check.is_ok(), "{:?}", a.action);
            if let Err(v) = check {
                assert_eq!(a.code, Some(v.code()), "{:?}", a.action);
                assert_eq!(a.message.as_deref(), Some(v.to_string().as_str()));
                assert_eq!(a.available_from, v.available_from(), "{:?}", a.action);
            }
            continue;
        };
        let results: Vec<_> = commands
            .into_iter()
            .map(|c| state.decide(actor, c, now))
            .collect();
        let accepted = results.iter().any(Result::is_ok);
        assert_eq!(
            a.allowed,
            accepted,
            "{:?} by {:?} at {now}: offered {a:?}, decide {results:?}",
            a.action,
            actor.role()
        );
        if let (false, Some(Err(v))) = (a.allowed, results.first()) {
            assert_eq!(a.code, Some(v.code()), "{:?}", a.action);
            assert_eq!(a.message.as_deref(), Some(v.to_string().as_str()));
            assert_eq!(a.available_from, v.available_from(), "{:?}", a.action);
        }
    }
}

// --- smoke test of the fixtures --------------------------------------------

#[test]
fn fixture_request_is_what_accept_new_request_makes() {
    let event = accept_new_request(&operator(), new_request())
        .unwrap()
        .into_event(protocol(), day(0));
    assert_eq!(event, sent(day(0)));
    let referent_event = accept_new_request(&referent(), referent_request())
        .unwrap()
        .into_event(ProtocolNumber::new(&cric(), 2026, 7), day(0));
    assert_eq!(referent_event, sent_by_referent(day(0)));
}

#[test]
fn day_is_24_hours_apart_from_a_monday_morning() {
    assert_eq!(day(0), utc(2026, 1, 5, 8, 0));
    assert_eq!(day(15) - day(0), Duration::hours(15 * 24));
    assert_eq!(day(1) - minutes(1), utc(2026, 1, 6, 7, 59));
    assert!(given([sent(day(0))]).state().exists());
}

#[test]
fn every_event_variant_is_listed_in_types_and_round_trips() {
    let t = day(1);
    let all = [
        sent(t),
        added(1, t),
        removed(1, t),
        taken(t),
        replied(t),
        message(1, t),
        sollecito(1, t),
        forwarded(&dest(), &sede("3202"), t),
        enabled(t),
        closed(t),
        booked(t, day(20)),
        appointment_cancelled(t),
    ];
    let mut names: Vec<&str> = all.iter().map(RequestEvent::event_type).collect();
    names.sort_unstable();
    let mut listed = RequestEvent::TYPES.to_vec();
    listed.sort_unstable();
    assert_eq!(names, listed);
    for e in &all {
        let json = serde_json::to_value(e).unwrap();
        assert_eq!(json["type"], e.event_type());
        assert_eq!(
            &RequestEvent::from_stored(e.event_type(), &json).unwrap(),
            e,
            "decoded by its event type"
        );
        assert_eq!(&serde_json::from_value::<RequestEvent>(json).unwrap(), e);
    }
}

#[test]
fn a_stored_payload_that_is_not_its_event_type_does_not_decode() {
    let json = serde_json::to_value(taken(day(1))).unwrap();
    assert!(RequestEvent::from_stored("ReplyReceived", &json).is_err());
    assert!(RequestEvent::from_stored("NoSuchEvent", &json).is_err());
}
