//! The printable summary as HTML: escaping, the sections, the style.

use chrono::{DateTime, Utc};
use domain::personal::Personal;
use domain::request::{AttachmentRef, Request, RequestEvent, RequestSent, Requester, Routing};
use domain::time::format_rome_long;
use std::collections::HashMap;
use std::fmt::Write;
use uuid::Uuid;

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escaped text with its line breaks kept.
pub(super) fn paragraph(s: &str) -> String {
    escape(s).replace('\n', "<br>")
}

pub(super) fn when(at: DateTime<Utc>) -> String {
    escape(&format_rome_long(at))
}

pub(super) fn sede(code: &str, names: &HashMap<String, String>) -> String {
    match names.get(code) {
        Some(name) => format!("{} – {}", escape(code), escape(name)),
        None => escape(code),
    }
}

pub(super) fn size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else if bytes >= 1024 {
        format!("{:.1} kB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

pub(super) const STYLE: &str = "
body { font-family: 'Titillium Web', Arial, Helvetica, sans-serif; color: #1a1a1a; margin: 2rem; font-size: 11pt; }
h1 { font-size: 18pt; margin: 0 0 .2rem; color: #0b3d91; }
h2 { font-size: 13pt; margin: 1.4rem 0 .4rem; border-bottom: 2px solid #0b3d91; padding-bottom: .15rem; }
.sub { color: #555; margin: 0 0 1rem; }
dl { display: grid; grid-template-columns: 14rem 1fr; gap: .25rem 1rem; margin: 0; }
dt { font-weight: bold; } dd { margin: 0; }
table { width: 100%; border-collapse: collapse; margin-top: .3rem; }
th, td { border: 1px solid #bbb; padding: .3rem .45rem; text-align: left; vertical-align: top; }
th { background: #eef2f8; }
.text { white-space: normal; }
.removed { color: #777; text-decoration: line-through; }
footer { margin-top: 2rem; font-size: 9pt; color: #555; border-top: 1px solid #bbb; padding-top: .4rem; }
@page { size: A4; margin: 18mm 15mm; }
@media print {
  body { margin: 0; font-size: 10pt; }
  h2 { break-after: avoid; }
  tr, dl { break-inside: avoid; }
  th { background: #eee !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
";

/// The whole page.
pub fn render(
    state: &Request,
    events: &[RequestEvent],
    names: &HashMap<String, String>,
    printed_at: DateTime<Utc>,
) -> String {
    let mut h = String::with_capacity(8 * 1024);
    let Some(sent) = state.sent.as_deref() else {
        return h;
    };
    let _ = writeln!(
        h,
        "<!DOCTYPE html>\n<html lang=\"it\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Riepilogo richiesta {protocol}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <header>\n<h1>Riepilogo richiesta</h1>\n\
         <p class=\"sub\">CRM Patronati – Scrivi alla sede · Protocollo <strong>{protocol}</strong></p>\n\
         </header>",
        protocol = escape(sent.protocol.as_str()),
    );
    header_section(&mut h, state, sent, names);
    citizen_section(&mut h, sent);
    text_section(&mut h, sent);
    attachments_section(&mut h, state);
    timeline_section(&mut h, events, names);
    let _ = writeln!(
        h,
        "<footer>Documento generato il {} · versione {} della richiesta {}</footer>\n</body>\n</html>",
        when(printed_at),
        state.version,
        escape(&sent.request_id.to_string()),
    );
    h
}

pub(super) fn header_section(
    h: &mut String,
    state: &Request,
    sent: &RequestSent,
    names: &HashMap<String, String>,
) {
    let subject = match sent.subtopic_label.as_deref() {
        Some(sub) if !sub.is_empty() => format!("{} – {}", sent.topic_label, sub),
        _ => sent.topic_label.clone(),
    };
    let _ = writeln!(
        h,
        "<section>\n<h2>Dati della richiesta</h2>\n<dl>\n\
         <dt>Numero di protocollo</dt><dd>{}</dd>\n\
         <dt>Data di apertura</dt><dd>{}</dd>\n\
         <dt>Stato</dt><dd>{}</dd>\n\
         <dt>Argomento</dt><dd>{}</dd>",
        escape(sent.protocol.as_str()),
        when(sent.at),
        escape(state.status.map(|s| s.label()).unwrap_or("")),
        escape(&subject),
    );
    if let Some(p) = &sent.practice_ref {
        let _ = writeln!(
            h,
            "<dt>{}</dt><dd>{}</dd>",
            escape(p.kind.label()),
            escape(&p.value)
        );
    }
    let _ = writeln!(
        h,
        "<dt>Patronato</dt><dd>{}</dd>\n<dt>Ufficio del patronato</dt><dd>{}</dd>\n\
         <dt>Inviata da</dt><dd>{}</dd>\n<dt>Sede di destinazione</dt><dd>{}</dd>",
        escape(sent.patronato.as_str()),
        escape(sent.office.as_str()),
        escape(sent.by.as_str()),
        sede(sent.destination.as_str(), names),
    );
    if let Routing::Override { suggested: Some(s) } = &sent.routing {
        let _ = writeln!(
            h,
            "<dt>Sede proposta</dt><dd>{}</dd>",
            sede(s.as_str(), names)
        );
    }
    if let Some(current) = &state.current_sede {
        if current != &sent.destination {
            let _ = writeln!(
                h,
                "<dt>Sede attuale</dt><dd>{}</dd>",
                sede(current.as_str(), names)
            );
        }
    }
    if let Some(at) = state.last_sollecito_at {
        let _ = writeln!(
            h,
            "<dt>Ultimo sollecito</dt><dd>{} (solleciti: {})</dd>",
            when(at),
            state.solleciti
        );
    }
    if let Some(at) = state.closed_at {
        let _ = writeln!(h, "<dt>Chiusa il</dt><dd>{}</dd>", when(at));
    }
    h.push_str("</dl>\n</section>\n");
}

pub(super) fn citizen_section(h: &mut String, sent: &RequestSent) {
    h.push_str("<section>\n<h2>Cittadino</h2>\n<dl>\n");
    match &sent.requester {
        Requester::Citizen(c) => {
            let _ = writeln!(
                h,
                "<dt>Cognome e nome</dt><dd>{} {}</dd>\n<dt>Codice fiscale</dt><dd>{}</dd>\n\
                 <dt>Data di nascita</dt><dd>{}</dd>\n<dt>Luogo di nascita</dt><dd>{}</dd>\n\
                 <dt>CAP di residenza</dt><dd>{}</dd>\n<dt>Delega</dt><dd>{}</dd>",
                escape(&c.surname),
                escape(&c.name),
                escape(&c.codice_fiscale.to_string()),
                escape(&match &c.birth_date {
                    Personal::Known(d) => d.format("%d/%m/%Y").to_string(),
                    Personal::Erased => domain::personal::ERASED.to_string(),
                }),
                escape(c.birth_place.as_deref().unwrap_or("–")),
                escape(&c.cap.to_string()),
                if sent.mandate_declared {
                    "dichiarata dall'operatore"
                } else {
                    "non dichiarata"
                },
            );
        }
        Requester::OwnBehalf { region } => {
            let _ = writeln!(
                h,
                "<dt>Richiedente</dt><dd>Referente regionale per conto proprio (regione {})</dd>",
                escape(region.as_str())
            );
        }
    }
    h.push_str("</dl>\n</section>\n");
}

pub(super) fn text_section(h: &mut String, sent: &RequestSent) {
    let _ = writeln!(
        h,
        "<section>\n<h2>Testo della richiesta</h2>\n<p class=\"text\">{}</p>",
        paragraph(&sent.text)
    );
    if let Some(notes) = sent.notes.as_deref().filter(|n| !n.is_empty()) {
        let _ = writeln!(h, "<p><strong>Note:</strong> {}</p>", paragraph(notes));
    }
    h.push_str("</section>\n");
}

pub(super) fn attachments_section(h: &mut String, state: &Request) {
    h.push_str("<section>\n<h2>Allegati</h2>\n");
    if state.attachments.is_empty() {
        h.push_str("<p>Nessun allegato.</p>\n</section>\n");
        return;
    }
    h.push_str(
        "<table>\n<thead><tr><th>File</th><th>Tipo</th><th>Dimensione</th><th>Aggiunto da</th>\
         <th>Data</th><th>SHA-256</th></tr></thead>\n<tbody>\n",
    );
    for a in &state.attachments {
        let class = if a.removed { " class=\"removed\"" } else { "" };
        let side = match a.side {
            domain::actor::Side::Patronato => "patronato",
            domain::actor::Side::Sede => "sede",
        };
        let _ = writeln!(
            h,
            "<tr{class}><td>{}{}</td><td>{}</td><td>{}</td><td>{} ({})</td><td>{}</td>\
             <td><code>{}</code></td></tr>",
            escape(&a.attachment.filename),
            if a.removed { " (rimosso)" } else { "" },
            escape(&a.attachment.media_type),
            escape(&size(a.attachment.size)),
            escape(a.added_by.as_str()),
            side,
            when(a.added_at),
            escape(&a.attachment.sha256),
        );
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

pub(super) fn attachment_list(list: &[AttachmentRef]) -> String {
    if list.is_empty() {
        return String::new();
    }
    let names: Vec<String> = list.iter().map(|a| escape(&a.filename)).collect();
    format!("<br><em>Allegati:</em> {}", names.join(", "))
}

pub(super) fn timeline_section(
    h: &mut String,
    events: &[RequestEvent],
    names: &HashMap<String, String>,
) {
    h.push_str(
        "<section>\n<h2>Cronologia</h2>\n<table>\n<thead><tr><th>#</th><th>Data e ora</th>\
         <th>Evento</th><th>Autore</th><th>Dettagli</th></tr></thead>\n<tbody>\n",
    );
    // Attachment names by id, for removals.
    let mut filenames: HashMap<Uuid, String> = HashMap::new();
    for (i, e) in events.iter().enumerate() {
        let (what, by, details) = match e {
            RequestEvent::RequestSent(s) => {
                for a in &s.attachments {
                    filenames.insert(a.id.0, a.filename.clone());
                }
                (
                    "Richiesta inoltrata".to_string(),
                    s.by.as_str().to_string(),
                    format!(
                        "Alla sede {}<br>{}{}",
                        sede(s.destination.as_str(), names),
                        paragraph(&s.text),
                        attachment_list(&s.attachments)
                    ),
                )
            }
            RequestEvent::AttachmentAdded { attachment, by, .. } => {
                filenames.insert(attachment.id.0, attachment.filename.clone());
                (
                    "Allegato aggiunto".to_string(),
                    by.as_str().to_string(),
                    escape(&attachment.filename),
                )
            }
            RequestEvent::AttachmentRemoved {
                attachment_id, by, ..
            } => (
                "Allegato rimosso".to_string(),
                by.as_str().to_string(),
                escape(
                    filenames
                        .get(&attachment_id.0)
                        .map(String::as_str)
                        .unwrap_or(""),
                ),
            ),
            RequestEvent::TakenInCharge { by, sede: s, .. } => (
                "Presa in carico".to_string(),
                by.as_str().to_string(),
                format!("Sede {}", sede(s.as_str(), names)),
            ),
            RequestEvent::ReplyReceived {
                by,
                sede: s,
                text,
                attachments,
                ..
            } => {
                for a in attachments {
                    filenames.insert(a.id.0, a.filename.clone());
                }
                (
                    "Risposta della sede".to_string(),
                    by.as_str().to_string(),
                    format!(
                        "Sede {}<br>{}{}",
                        sede(s.as_str(), names),
                        paragraph(text),
                        attachment_list(attachments)
                    ),
                )
            }
            RequestEvent::MessageSent {
                by,
                text,
                attachments,
                interaction,
                ..
            } => {
                for a in attachments {
                    filenames.insert(a.id.0, a.filename.clone());
                }
                (
                    format!("Nuovo messaggio (interazione {interaction} di 2)"),
                    by.as_str().to_string(),
                    format!("{}{}", paragraph(text), attachment_list(attachments)),
                )
            }
            RequestEvent::SollecitoSent { by, number, .. } => (
                format!("Sollecito n. {number}"),
                by.as_str().to_string(),
                String::new(),
            ),
            RequestEvent::ForwardedToSede {
                by,
                from,
                to,
                reason,
                ..
            } => (
                "Inoltrata ad altra sede".to_string(),
                by.as_str().to_string(),
                format!(
                    "Da {} a {}<br>Motivo: {}",
                    sede(from.as_str(), names),
                    sede(to.as_str(), names),
                    paragraph(reason)
                ),
            ),
            RequestEvent::AppointmentEnabled { by, sede: s, .. } => (
                "Prenotazione appuntamento abilitata".to_string(),
                by.as_str().to_string(),
                format!("Sede {}", sede(s.as_str(), names)),
            ),
            RequestEvent::ConversationClosed { by, note, .. } => (
                "Conversazione chiusa".to_string(),
                by.as_str().to_string(),
                note.as_deref().map(paragraph).unwrap_or_default(),
            ),
            RequestEvent::AppointmentBooked { by, slot, code, .. } => (
                "Appuntamento prenotato".to_string(),
                by.as_str().to_string(),
                format!(
                    "Sede {}, sportello Servizi per i patronati, {}<br>Codice {}",
                    sede(slot.sede.as_str(), names),
                    when(slot.start),
                    escape(code.as_str())
                ),
            ),
            RequestEvent::AppointmentCancelled { by, reason, .. } => (
                "Appuntamento cancellato".to_string(),
                by.as_str().to_string(),
                reason.as_deref().map(paragraph).unwrap_or_default(),
            ),
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"text\">{}</td></tr>",
            i + 1,
            when(e.at()),
            escape(&what),
            escape(&by),
            details,
        );
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}
