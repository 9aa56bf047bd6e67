//! Every refusal of a request rule, with a stable machine-readable code and an
//! Italian message for the operator or the officer.

use crate::time::{format_rome_short, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleViolation {
    #[error("Per inviare la richiesta per conto del cittadino occorre dichiarare di essere in possesso della delega")]
    MandateNotDeclared,
    #[error("La tematica indicata non esiste nel catalogo")]
    TopicUnknown,
    #[error("La tematica indicata non è disponibile per il proprio profilo")]
    TopicNotAllowedForRole,
    #[error("La sotto-tematica indicata non appartiene alla tematica scelta")]
    SubtopicUnknown,
    #[error("Per questa tematica è obbligatorio indicare il riferimento della pratica")]
    PracticeRefRequired,
    #[error("Il riferimento della pratica inserito non risulta associato al codice fiscale del cittadino")]
    PracticeRefNotAssociated,
    #[error(
        "Il patronato non è abilitato a richiedere informazioni sulla pratica di pensione indicata"
    )]
    PracticeNotEnabled,
    #[error("Il testo della richiesta è obbligatorio")]
    TextRequired,
    #[error("Il testo supera la lunghezza massima di {max} caratteri")]
    TextTooLong { max: usize },
    #[error("Le note superano la lunghezza massima di {max} caratteri")]
    NotesTooLong { max: usize },
    #[error("Il motivo è obbligatorio")]
    ReasonRequired,
    #[error("Il motivo supera la lunghezza massima di {max} caratteri")]
    ReasonTooLong { max: usize },
    #[error("La richiesta deve essere inviata per conto di un cittadino identificato")]
    CitizenRequired,
    #[error("Il referente regionale invia richieste solo per proprio conto, senza cittadino")]
    OwnBehalfOnly,
    #[error("La sede di destinazione indicata non esiste")]
    DestinationUnknown,
    #[error("La sede di destinazione indicata non è attiva")]
    DestinationInactive,
    #[error("Non è stato possibile determinare la sede competente: indicarla espressamente")]
    DestinationMissing,
    #[error("La richiesta è già assegnata a questa sede")]
    ForwardToSameSede,
    #[error("Questa operazione non è consentita al proprio profilo")]
    NotAllowedForRole,
    #[error("La richiesta esiste già")]
    AlreadyExists,
    #[error("La richiesta non esiste")]
    NotFound,
    #[error("La conversazione è chiusa")]
    Closed,
    #[error("La richiesta è già stata presa in carico")]
    AlreadyInCharge,
    #[error("Non ci sono comunicazioni del patronato in attesa di risposta")]
    NothingToReply,
    #[error("Un nuovo messaggio può essere inviato solo dopo la risposta della sede alla comunicazione precedente")]
    AwaitingSedeReply,
    #[error("Un nuovo messaggio può essere inviato solo dopo la prima risposta della sede")]
    NoReplyYet,
    #[error("Sono già state utilizzate le {max} interazioni successive alla prima risposta")]
    InteractionsExhausted { max: u8 },
    #[error("Il sollecito non è possibile: la sede ha già risposto all'ultima comunicazione")]
    SollecitoAfterReply,
    #[error("Sollecito possibile dal {}", format_rome_short(*available_from))]
    SollecitoTooEarly { available_from: Timestamp },
    #[error("La prenotazione dell'appuntamento è già abilitata")]
    AppointmentAlreadyEnabled,
    #[error("L'allegato indicato non esiste")]
    AttachmentNotFound,
    #[error("L'allegato non può più essere rimosso: la sede ha già operato sulla richiesta dopo il suo inserimento")]
    AttachmentNotRemovable,
    #[error("È stato raggiunto il numero massimo di {max} allegati per la richiesta")]
    TooManyAttachments { max: usize },
    #[error("{}", not_eligible_message(*available_from))]
    AppointmentNotEligible { available_from: Option<Timestamp> },
    #[error("Per la richiesta è già prenotato un appuntamento")]
    AppointmentAlreadyBooked,
    #[error("L'appuntamento va prenotato allo sportello «Servizi per i patronati» della sede che ha la richiesta")]
    AppointmentWrongCounter,
    #[error("L'orario scelto per l'appuntamento è già passato")]
    AppointmentSlotInPast,
    #[error("Per la richiesta non è prenotato alcun appuntamento")]
    NoAppointment,
    #[error("L'appuntamento è già iniziato o passato e non può più essere cancellato")]
    AppointmentNotCancellable,
}

/// "Appuntamento prenotabile dal …", or why waiting will not help.
fn not_eligible_message(available_from: Option<Timestamp>) -> String {
    match available_from {
        Some(at) => format!("Appuntamento prenotabile dal {}", format_rome_short(at)),
        None => "Appuntamento prenotabile solo se abilitato dalla sede o a conversazione conclusa"
            .to_string(),
    }
}

impl RuleViolation {
    /// The stable code clients switch on.
    pub fn code(&self) -> &'static str {
        use RuleViolation::*;
        match self {
            MandateNotDeclared => "mandate_not_declared",
            TopicUnknown => "topic_unknown",
            TopicNotAllowedForRole => "topic_not_allowed_for_role",
            SubtopicUnknown => "subtopic_unknown",
            PracticeRefRequired => "practice_ref_required",
            PracticeRefNotAssociated => "practice_ref_not_associated",
            PracticeNotEnabled => "practice_not_enabled",
            TextRequired => "text_required",
            TextTooLong { .. } => "text_too_long",
            NotesTooLong { .. } => "notes_too_long",
            ReasonRequired => "reason_required",
            ReasonTooLong { .. } => "reason_too_long",
            CitizenRequired => "citizen_required",
            OwnBehalfOnly => "own_behalf_only",
            DestinationUnknown => "destination_unknown",
            DestinationInactive => "destination_inactive",
            DestinationMissing => "destination_missing",
            ForwardToSameSede => "forward_to_same_sede",
            NotAllowedForRole => "not_allowed_for_role",
            AlreadyExists => "request_already_exists",
            NotFound => "request_not_found",
            Closed => "conversation_closed",
            AlreadyInCharge => "already_in_charge",
            NothingToReply => "nothing_to_reply",
            AwaitingSedeReply => "awaiting_sede_reply",
            NoReplyYet => "no_reply_yet",
            InteractionsExhausted { .. } => "interactions_exhausted",
            SollecitoAfterReply => "sollecito_after_reply",
            SollecitoTooEarly { .. } => "sollecito_too_early",
            AppointmentAlreadyEnabled => "appointment_already_enabled",
            AttachmentNotFound => "attachment_not_found",
            AttachmentNotRemovable => "attachment_not_removable",
            TooManyAttachments { .. } => "too_many_attachments",
            AppointmentNotEligible { .. } => "appointment_not_eligible",
            AppointmentAlreadyBooked => "appointment_already_booked",
            AppointmentWrongCounter => "appointment_wrong_counter",
            AppointmentSlotInPast => "appointment_slot_in_past",
            NoAppointment => "no_appointment",
            AppointmentNotCancellable => "appointment_not_cancellable",
        }
    }

    /// When waiting would make the refused action possible.
    pub fn available_from(&self) -> Option<Timestamp> {
        match self {
            RuleViolation::SollecitoTooEarly { available_from } => Some(*available_from),
            RuleViolation::AppointmentNotEligible { available_from } => *available_from,
            _ => None,
        }
    }

    /// Refusals that are about who is asking rather than the request's state.
    pub fn is_forbidden(&self) -> bool {
        matches!(self, RuleViolation::NotAllowedForRole)
    }
}
