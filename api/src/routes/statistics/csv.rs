//! The statistics as CSV for Italian spreadsheets: `;`-separated, quoted and
//! defused fields (a cell never starts a formula).

use super::*;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;

pub(super) fn csv_response(body: String, filename: &str) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        crate::headers::attachment(filename),
    );
    res
}

/// One CSV field: quoted when it holds the separator, a quote or a line
/// break; a text starting like a spreadsheet formula gets a leading `'`.
pub(super) fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([CSV_SEPARATOR, '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

pub(super) fn number(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

pub(super) fn line(out: &mut String, cells: &[String]) {
    let sep = CSV_SEPARATOR.to_string();
    out.push_str(&cells.join(&sep));
    out.push_str("\r\n");
}

pub const INDICATORS_CSV_HEADER: [&str; 25] = [
    "dal",
    "al",
    "argomento",
    "sottoargomento",
    "dimensione",
    "valore",
    "descrizione",
    "inviate",
    "con_risposta",
    "in_attesa",
    "scadute",
    "solleciti",
    "inoltri",
    "inoltri_ricevuti",
    "inoltri_inviati",
    "appuntamenti_abilitati",
    "appuntamenti_prenotati",
    "chiuse",
    "di_almeno_15_giorni",
    "risposte_entro_15_giorni",
    "quota_entro_15_giorni",
    "mediana_ore_prima_risposta",
    "p90_ore_prima_risposta",
    "media_ore_prima_risposta",
    "metodo_percentili",
];

pub(super) fn indicators_csv(v: &StatisticsView) -> String {
    let mut out = String::new();
    line(&mut out, &INDICATORS_CSV_HEADER.map(str::to_string));
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    for r in &v.rows {
        line(
            &mut out,
            &[
                date(v.from),
                date(v.to),
                field(v.topic.as_deref().unwrap_or("")),
                field(v.subtopic.as_deref().unwrap_or("")),
                v.dimension.clone(),
                field(&r.key),
                field(r.label.as_deref().unwrap_or("")),
                r.sent.to_string(),
                r.replied.to_string(),
                r.pending.to_string(),
                r.overdue.to_string(),
                r.solleciti.to_string(),
                r.forwarded.to_string(),
                r.forwarded_in.to_string(),
                r.forwarded_out.to_string(),
                r.appointments_enabled.to_string(),
                r.appointments_booked.to_string(),
                r.closed.to_string(),
                r.aged_15_days.to_string(),
                r.aged_replied_within_15_days.to_string(),
                number(r.share_replied_within_15_days),
                number(r.median_hours_to_first_reply),
                number(r.p90_hours_to_first_reply),
                number(r.mean_hours_to_first_reply),
                r.percentiles.clone(),
            ],
        );
    }
    out
}

pub const REGIONS_CSV_HEADER: [&str; 10] = [
    "Regione",
    "Codice",
    "Totale richieste",
    "In entrata",
    "In uscita",
    "Messaggi",
    "Solleciti",
    "Risposte",
    "Inoltri da altre regioni",
    "Inoltri verso altre regioni",
];

pub(super) fn regions_csv(v: &RegionalTotalsView) -> String {
    let mut out = String::new();
    line(&mut out, &REGIONS_CSV_HEADER.map(str::to_string));
    for r in v.rows.iter().chain(std::iter::once(&v.total)) {
        line(
            &mut out,
            &[
                field(&r.region_name),
                field(&r.region_code),
                r.requests.to_string(),
                r.incoming.to_string(),
                r.outgoing.to_string(),
                r.follow_up_messages.to_string(),
                r.solleciti.to_string(),
                r.replies.to_string(),
                r.forwarded_in_from_other_regions.to_string(),
                r.forwarded_out_to_other_regions.to_string(),
            ],
        );
    }
    out
}
