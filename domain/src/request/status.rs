//! The request's status machine (SPEC §2.5): the one place where events move
//! a request's status. The aggregate (`state.rs`) and the `requests` read
//! model (`projections/src/requests/fold.rs`) both fold it.

use super::events::RequestEvent;
use crate::booking::BookingId;
use serde::{Deserialize, Serialize};

/// The statuses an operator and a sede officer see (SPEC §2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Inoltrata,
    PresaInCarico,
    RispostaRicevuta,
    InAttesaDiRisposta,
    Sollecitata,
    InoltrataAdAltraSede,
    Chiusa,
    AppuntamentoPrenotato,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::Inoltrata,
        Status::PresaInCarico,
        Status::RispostaRicevuta,
        Status::InAttesaDiRisposta,
        Status::Sollecitata,
        Status::InoltrataAdAltraSede,
        Status::Chiusa,
        Status::AppuntamentoPrenotato,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Inoltrata => "inoltrata",
            Status::PresaInCarico => "presa_in_carico",
            Status::RispostaRicevuta => "risposta_ricevuta",
            Status::InAttesaDiRisposta => "in_attesa_di_risposta",
            Status::Sollecitata => "sollecitata",
            Status::InoltrataAdAltraSede => "inoltrata_ad_altra_sede",
            Status::Chiusa => "chiusa",
            Status::AppuntamentoPrenotato => "appuntamento_prenotato",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Inoltrata => "Inoltrata",
            Status::PresaInCarico => "Presa in carico",
            Status::RispostaRicevuta => "Risposta ricevuta",
            Status::InAttesaDiRisposta => "In attesa di risposta",
            Status::Sollecitata => "Sollecitata",
            Status::InoltrataAdAltraSede => "Inoltrata ad altra sede",
            Status::Chiusa => "Chiusa",
            Status::AppuntamentoPrenotato => "Appuntamento prenotato",
        }
    }
}

/// What the status depends on: the status itself, and the appointment that
/// may hide the status it had before.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatusLine {
    /// `None` before the request is sent.
    pub status: Option<Status>,
    /// The status the request had when its appointment was booked: it comes
    /// back when the appointment is cancelled (unless another event changed
    /// the status meanwhile).
    pub before_appointment: Option<Status>,
    /// The appointment booked and not cancelled.
    pub appointment: Option<BookingId>,
}

impl StatusLine {
    /// Moves the status for one event. Total, like `Request::apply`: every
    /// event is a fact.
    pub fn apply(mut self, event: &RequestEvent) -> StatusLine {
        match event {
            RequestEvent::RequestSent(_) => self.status = Some(Status::Inoltrata),
            RequestEvent::TakenInCharge { .. } => self.set(Status::PresaInCarico),
            RequestEvent::ReplyReceived { .. } => self.set(Status::RispostaRicevuta),
            RequestEvent::MessageSent { .. } => self.set(Status::InAttesaDiRisposta),
            RequestEvent::SollecitoSent { .. } => self.set(Status::Sollecitata),
            RequestEvent::ForwardedToSede { .. } => self.set(Status::InoltrataAdAltraSede),
            RequestEvent::ConversationClosed { .. } => self.status = Some(Status::Chiusa),
            RequestEvent::AppointmentBooked { booking_id, .. } => {
                // Shown even on a closed conversation (ground "conversation
                // over"): the appointment is what happens next.
                self.before_appointment = self.status;
                self.status = Some(Status::AppuntamentoPrenotato);
                self.appointment = Some(*booking_id);
            }
            RequestEvent::AppointmentCancelled { booking_id, .. } => {
                if self.appointment == Some(*booking_id) {
                    self.appointment = None;
                    let before = self.before_appointment.take();
                    if self.status == Some(Status::AppuntamentoPrenotato) {
                        self.status = before.or(self.status);
                    }
                }
            }
            RequestEvent::AttachmentAdded { .. }
            | RequestEvent::AttachmentRemoved { .. }
            | RequestEvent::AppointmentEnabled { .. } => {}
        }
        self
    }

    /// A closed request keeps its status whatever happens after (but an
    /// appointment, above).
    fn set(&mut self, status: Status) {
        if self.status != Some(Status::Chiusa) {
            self.status = Some(status);
        }
    }
}
