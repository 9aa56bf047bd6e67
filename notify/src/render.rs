//! Messages in Italian, text and HTML, from the templates in `templates/`
//! (minijinja: HTML escaped automatically in `.html` templates, none of it
//! built by string concatenation).

use crate::plan::Kind;
use chrono::Datelike;
use chrono_tz::Europe::Rome;
use domain::time::Timestamp;
use minijinja::{context, AutoEscape, Environment};
use projections::bookings::BookingRow;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// A message ready for a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// `(file name, text/calendar body)`.
    pub calendar: Option<(String, String)>,
}

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        env.set_keep_trailing_newline(true);
        for (name, source) in [
            ("base.html", include_str!("templates/base.html")),
            ("booking.html", include_str!("templates/booking.html")),
            ("booking.txt", include_str!("templates/booking.txt")),
            ("notice.html", include_str!("templates/notice.html")),
            ("notice.txt", include_str!("templates/notice.txt")),
        ] {
            env.add_template(name, source).expect("templates parse");
        }
        env
    })
}

fn render_pair(stem: &str, ctx: minijinja::Value) -> Result<(String, String), minijinja::Error> {
    let env = env();
    let text = env.get_template(&format!("{stem}.txt"))?.render(&ctx)?;
    let html = env.get_template(&format!("{stem}.html"))?.render(&ctx)?;
    Ok((text, html))
}

const WEEKDAYS: [&str; 7] = [
    "lunedì",
    "martedì",
    "mercoledì",
    "giovedì",
    "venerdì",
    "sabato",
    "domenica",
];
const MONTHS: [&str; 12] = [
    "gennaio",
    "febbraio",
    "marzo",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "agosto",
    "settembre",
    "ottobre",
    "novembre",
    "dicembre",
];

/// "lunedì 14 dicembre 2026", the Rome day of `at`.
pub fn italian_day(at: Timestamp) -> String {
    let local = at.with_timezone(&Rome);
    let weekday = WEEKDAYS[local.weekday().num_days_from_monday() as usize];
    format!(
        "{weekday} {} {} {}",
        local.day(),
        MONTHS[local.month0() as usize],
        local.year()
    )
}

/// "09:30", Rome time.
pub fn rome_time(at: Timestamp) -> String {
    at.with_timezone(&Rome).format("%H:%M").to_string()
}

fn mode_label(mode: Option<&str>) -> &'static str {
    match mode {
        Some("ricontatto_telefonico") => "Ricontatto telefonico",
        Some("web_meeting") => "Web meeting",
        _ => "Accesso in sede",
    }
}

/// A message about a booking (the citizen's, or a request's appointment).
pub fn booking(
    kind: Kind,
    row: &BookingRow,
    reason: Option<&str>,
) -> Result<Rendered, minijinja::Error> {
    let day = italian_day(row.slot_start);
    let (subject, intro, outro) = match kind {
        Kind::BookingConfirmed | Kind::AppointmentBooked => (
            format!("Prenotazione confermata per {day}"),
            "La prenotazione è confermata. In allegato l'appuntamento da aggiungere al calendario.",
            Some("Per annullare, usa il codice di prenotazione con il tuo codice fiscale."),
        ),
        Kind::BookingReminder => (
            format!("Promemoria: appuntamento domani, {day}"),
            "Ti ricordiamo l'appuntamento di domani.",
            Some("Se non puoi venire, annulla la prenotazione per liberare il posto."),
        ),
        _ => (
            format!("Prenotazione annullata per {day}"),
            match row.cancelled_side.as_deref() {
                Some("citizen") => "La prenotazione è stata annullata come richiesto.",
                _ => "La sede ha dovuto annullare la prenotazione. Ci scusiamo per il disagio: puoi prenotare un nuovo appuntamento.",
            },
            None,
        ),
    };
    let sede = row.sede_name.clone().unwrap_or(row.sede_code.clone());
    let counter = row.counter_name.clone().unwrap_or(row.counter_type.clone());
    let ctx = context! {
        subject => &subject,
        intro => intro,
        outro => outro,
        day => &day,
        start => rome_time(row.slot_start),
        end => rome_time(row.slot_end),
        mode => mode_label(row.mode.as_deref()),
        sede => sede,
        address => row.sede_address.as_deref().filter(|_| row.mode.as_deref() != Some("ricontatto_telefonico")),
        counter => counter,
        code => &row.code,
        protocol => row.protocol.as_deref(),
        reason => reason,
    };
    let (text, html) = render_pair("booking", ctx)?;
    let calendar = matches!(
        kind,
        Kind::BookingConfirmed | Kind::AppointmentBooked | Kind::BookingCancelled
    )
    .then(|| (row.ics_file_name(), row.ics()));
    Ok(Rendered {
        subject,
        text,
        html,
        calendar,
    })
}

/// An overdue request in a sede's digest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DigestItem {
    pub protocol: String,
    pub subject: String,
    /// Rome day, dd/mm/yyyy.
    pub since: String,
}

/// A notice to an operator about a request, or a sede's digest.
pub fn notice(
    kind: Kind,
    protocol: Option<&str>,
    details: &serde_json::Value,
    items: &[DigestItem],
    link: Option<&str>,
) -> Result<Rendered, minijinja::Error> {
    let text_of = |key: &str| {
        details
            .get(key)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let p = protocol.unwrap_or("");
    let (subject, intro, lines): (String, String, Vec<String>) = match kind {
        Kind::ReplyReceived => (
            format!("Risposta ricevuta – richiesta {p}"),
            "La sede ha risposto alla tua richiesta.".into(),
            vec![],
        ),
        Kind::RequestForwarded => (
            format!("Richiesta {p} inoltrata ad altra sede"),
            format!(
                "La richiesta è stata inoltrata dalla sede {} alla sede {}.",
                text_of("from").unwrap_or_default(),
                text_of("to").unwrap_or_default()
            ),
            text_of("reason")
                .map(|r| vec![format!("Motivo: {r}")])
                .unwrap_or_default(),
        ),
        Kind::ConversationClosed => (
            format!("Conversazione chiusa – richiesta {p}"),
            "La sede ha chiuso la conversazione.".into(),
            text_of("note")
                .map(|n| vec![format!("Nota: {n}")])
                .unwrap_or_default(),
        ),
        Kind::AppointmentCancelled => (
            format!("Appuntamento annullato – richiesta {p}"),
            "L'appuntamento prenotato per la richiesta è stato annullato.".into(),
            text_of("reason")
                .map(|r| vec![format!("Motivo: {r}")])
                .unwrap_or_default(),
        ),
        _ => {
            // The complete count: a digest lists only the first ones.
            let count = details
                .get("count")
                .and_then(|c| c.as_u64())
                .unwrap_or(items.len() as u64);
            (
                format!("Richieste scadute: {count}"),
                format!(
                    "Alla sede risultano {count} richieste in attesa di risposta da oltre 15 giorni."
                ),
                vec![],
            )
        }
    };
    let ctx = context! {
        subject => &subject,
        intro => intro,
        protocol => protocol,
        lines => lines,
        items => items,
        link => link,
    };
    let (text, html) = render_pair("notice", ctx)?;
    Ok(Rendered {
        subject,
        text,
        html,
        calendar: None,
    })
}
