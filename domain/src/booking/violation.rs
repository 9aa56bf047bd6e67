//! Every refusal of a booking rule (counter calendar, holds and bookings,
//! limits per codice fiscale, closures and notices, the queue), with a
//! stable machine-readable code and an Italian message for the citizen or
//! the officer.

use chrono::NaiveDate;

/// What kind of refusal a violation is, so the HTTP layer can pick a status
/// without knowing every rule: only `api/` maps kinds to status codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViolationKind {
    /// The thing named does not exist (or is out of the caller's scope).
    NotFound,
    /// The caller's role may not do this.
    Forbidden,
    /// Someone else got there first: the slot is taken, the hold confirmed.
    Conflict,
    /// The input or the state does not allow it.
    Unprocessable,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookingViolation {
    #[error("La sede indicata non esiste")]
    SedeUnknown,
    #[error("Lo sportello indicato non esiste in questa sede")]
    CounterUnknown,
    #[error("Lo sportello indicato non è attivo")]
    CounterInactive,
    #[error("L'orario scelto non corrisponde a una fascia prenotabile dello sportello")]
    SlotNotOffered,
    #[error("Il giorno {} la sede non garantisce il servizio: {reason}", date.format("%d/%m/%Y"))]
    DayClosed { date: NaiveDate, reason: String },
    #[error("L'orario scelto è già passato")]
    SlotInPast,
    #[error("Si può prenotare al massimo {days} giorni in anticipo")]
    BeyondHorizon { days: i64 },
    #[error("L'orario scelto non è disponibile: è già prenotato o in attesa di conferma da parte di un altro utente")]
    SlotUnavailable,
    #[error("La prenotazione in attesa di conferma indicata non esiste")]
    HoldNotFound,
    #[error("Sono trascorsi più di 5 minuti: l'orario non è più riservato, sceglierne un altro")]
    HoldExpired,
    #[error("La prenotazione è già stata confermata")]
    AlreadyConfirmed,
    #[error("È già presente una prenotazione attiva per lo sportello {counter}: se ne può avere una sola per tipo di sportello")]
    LimitPerCounterType { counter: String },
    #[error("È stato raggiunto il numero massimo di {max} prenotazioni attive")]
    LimitTotal { max: usize },
    #[error("La modalità web meeting è riservata agli utenti autenticati")]
    WebMeetingRequiresAuthentication,
    #[error("La modalità web meeting non è offerta da questa sede: scegliere accesso in sede o ricontatto telefonico")]
    WebMeetingNotOffered,
    #[error("Il servizio scelto non è offerto da questo sportello: sceglierne uno dall'elenco")]
    ServiceUnknown,
    #[error("Indicare almeno un recapito: numero di cellulare o indirizzo e-mail")]
    ContactRequired,
    #[error("Il numero di cellulare non è valido (atteso un cellulare italiano, es. 3331234567)")]
    MobileInvalid,
    #[error("L'indirizzo e-mail non è valido")]
    EmailInvalid,
    #[error("Per il ricontatto telefonico è necessario indicare il numero di cellulare")]
    MobileRequiredForCallback,
    #[error("Per il web meeting è necessario indicare l'indirizzo e-mail a cui inviare l'invito")]
    EmailRequiredForWebMeeting,
    #[error("Il motivo della prenotazione supera i {max} caratteri")]
    ReasonTooLong { max: usize },
    #[error("La prenotazione indicata non esiste")]
    BookingNotFound,
    #[error("La prenotazione è già stata cancellata")]
    AlreadyCancelled,
    #[error("L'appuntamento è già iniziato o passato e non può più essere cancellato")]
    NotCancellable,
    #[error("Per prenotare senza autenticazione è necessario indicare il codice fiscale")]
    CodiceFiscaleRequired,
    #[error("Il codice fiscale indicato non è quello dell'utente autenticato")]
    CodiceFiscaleMismatch,
    #[error("Questa operazione non è consentita al proprio profilo")]
    NotAllowedForRole,
    #[error("Non si può dichiarare una chiusura o pubblicare un avviso per un giorno passato")]
    DateInPast,
    #[error("È già dichiarata una chiusura per quel giorno")]
    ClosureAlreadyDeclared,
    #[error("La chiusura indicata non esiste")]
    ClosureNotFound,
    #[error("Il motivo della chiusura è obbligatorio")]
    ClosureReasonRequired,
    #[error("L'avviso indicato non esiste")]
    NoticeNotFound,
    #[error("Il testo dell'avviso è obbligatorio")]
    NoticeTextRequired,
    #[error("Il testo supera la lunghezza massima di {max} caratteri")]
    TextTooLong { max: usize },
    #[error(
        "Il periodo indicato non è valido: la data finale precede quella iniziale o supera un anno"
    )]
    PeriodInvalid,
    #[error("Nessun biglietto in attesa")]
    QueueEmpty,
    #[error("Il biglietto indicato non esiste")]
    TicketNotFound,
    #[error("Il biglietto indicato non è stato chiamato")]
    TicketNotCalled,
    #[error("Il biglietto indicato è già stato servito o saltato")]
    TicketClosed,
}

impl BookingViolation {
    /// The stable code clients switch on.
    pub fn code(&self) -> &'static str {
        use BookingViolation::*;
        match self {
            SedeUnknown => "sede_not_found",
            CounterUnknown => "counter_not_found",
            CounterInactive => "counter_inactive",
            SlotNotOffered => "slot_not_offered",
            DayClosed { .. } => "day_closed",
            SlotInPast => "slot_in_past",
            BeyondHorizon { .. } => "slot_beyond_horizon",
            SlotUnavailable => "slot_unavailable",
            HoldNotFound => "hold_not_found",
            HoldExpired => "hold_expired",
            AlreadyConfirmed => "hold_already_confirmed",
            LimitPerCounterType { .. } => "booking_limit_counter_type",
            LimitTotal { .. } => "booking_limit_total",
            WebMeetingRequiresAuthentication => "web_meeting_requires_authentication",
            WebMeetingNotOffered => "web_meeting_not_offered",
            ServiceUnknown => "service_unknown",
            ContactRequired => "contact_required",
            MobileInvalid => "mobile_invalid",
            EmailInvalid => "email_invalid",
            MobileRequiredForCallback => "mobile_required_for_callback",
            EmailRequiredForWebMeeting => "email_required_for_web_meeting",
            ReasonTooLong { .. } => "booking_reason_too_long",
            BookingNotFound => "booking_not_found",
            AlreadyCancelled => "booking_already_cancelled",
            NotCancellable => "booking_not_cancellable",
            CodiceFiscaleRequired => "codice_fiscale_required",
            CodiceFiscaleMismatch => "codice_fiscale_mismatch",
            NotAllowedForRole => "not_allowed_for_role",
            DateInPast => "date_in_past",
            ClosureAlreadyDeclared => "closure_already_declared",
            ClosureNotFound => "closure_not_found",
            ClosureReasonRequired => "closure_reason_required",
            NoticeNotFound => "notice_not_found",
            NoticeTextRequired => "notice_text_required",
            TextTooLong { .. } => "text_too_long",
            PeriodInvalid => "period_invalid",
            QueueEmpty => "queue_empty",
            TicketNotFound => "ticket_not_found",
            TicketNotCalled => "ticket_not_called",
            TicketClosed => "ticket_closed",
        }
    }

    pub fn kind(&self) -> ViolationKind {
        use BookingViolation::*;
        match self {
            SedeUnknown | CounterUnknown | HoldNotFound | BookingNotFound | ClosureNotFound
            | NoticeNotFound | TicketNotFound => ViolationKind::NotFound,
            NotAllowedForRole => ViolationKind::Forbidden,
            SlotUnavailable | AlreadyConfirmed => ViolationKind::Conflict,
            _ => ViolationKind::Unprocessable,
        }
    }
}
