//! A booking as an iCalendar event (`GET …/ics` and the confirmation e-mail
//! attach the same file).

use super::BookingRow;
use domain::booking::ics;

impl BookingRow {
    /// The name of the `.ics` file: `prenotazione-<code>.ics`.
    pub fn ics_file_name(&self) -> String {
        format!("prenotazione-{}.ics", self.code)
    }

    /// The `text/calendar` body: one VEVENT, cancelled if the booking is.
    pub fn ics(&self) -> String {
        let counter = self
            .counter_name
            .clone()
            .unwrap_or(self.counter_type.clone());
        let sede = self.sede_name.clone().unwrap_or(self.sede_code.clone());
        let summary = format!("INPS {sede} – {counter}");
        let location = match (&self.mode.as_deref(), &self.sede_address) {
            (Some("ricontatto_telefonico"), _) => "Ricontatto telefonico".to_string(),
            (Some("web_meeting"), _) => "Web meeting".to_string(),
            (_, Some(address)) => format!("{sede}, {address}"),
            _ => sede.clone(),
        };
        let mut description = format!("Codice di prenotazione: {}", self.code);
        if let Some(mode) = self.mode.as_deref() {
            description.push_str(&format!("\nModalità: {}", mode.replace('_', " ")));
        }
        if let Some(p) = &self.protocol {
            description.push_str(&format!("\nRichiesta: {p}"));
        }
        if let Some(r) = &self.reason {
            description.push_str(&format!("\nMotivo: {r}"));
        }
        let uid = format!("{}@combipat.inps.it", self.booking_id);
        ics::render(&ics::IcsEvent {
            uid: &uid,
            start: self.slot_start,
            end: self.slot_end,
            stamp: self.cancelled_at.unwrap_or(self.confirmed_at),
            summary: &summary,
            location: Some(&location),
            description: &description,
            cancelled: self.status == "cancelled",
        })
    }
}
