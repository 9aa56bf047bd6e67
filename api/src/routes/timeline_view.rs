//! The Cronologia as the screens show it: each entry with its sedi named
//! ("Direzione provinciale di Torino (1106)") and who acted in words
//! ("Operatore del patronato INCA CGIL", "Sede INPS – …", "Sistema"), so that
//! no screen guesses names from codes.

use crate::directory::Directory;
use domain::actor::Role;
use projections::requests::TimelineEntry;
use serde::{Deserialize as _, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

/// A timeline entry with its names.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineItem {
    #[serde(flatten)]
    pub entry: TimelineEntry,
    /// Who acted, in Italian: the role and the patronato or sede.
    pub actor_label: String,
    /// The entry's sede as "name (code)", when it has one.
    pub sede_label: Option<String>,
    /// For `forwarded`: the sede it went to, as "name (code)".
    pub forwarded_to_label: Option<String>,
}

/// A sede as the Cronologia names it: "name (code)", or the code alone when
/// the reference data no longer has it.
pub fn sede_label(names: &HashMap<String, String>, code: &str) -> String {
    match names.get(code) {
        Some(name) => format!("{name} ({code})"),
        None => format!("Sede {code}"),
    }
}

/// "Patronato INCA CGIL" → "patronato INCA CGIL", to follow a role's words.
fn patronato_words(name: &str) -> String {
    match name.strip_prefix("Patronato ") {
        Some(rest) => format!("patronato {rest}"),
        None => format!("patronato {name}"),
    }
}

/// Who acted, in words. `patronato` is the request's patronato code; the
/// role comes from the event's metadata, or (rows written before it was
/// kept) is unknown and only the side is named.
pub fn actor_label(
    entry: &TimelineEntry,
    patronato: Option<&str>,
    directory: &Directory,
    sedi: &HashMap<String, String>,
) -> String {
    let patronato = patronato
        .map(|code| patronato_words(directory.patronato_name(code).unwrap_or(code)))
        .unwrap_or_else(|| "patronato".to_string());
    let sede = || match entry.sede.as_deref() {
        Some(code) => format!("Sede INPS – {}", sede_label(sedi, code)),
        None => "Sede INPS".to_string(),
    };
    let role = entry
        .actor_role
        .as_deref()
        .and_then(|r| Role::deserialize(serde_json::Value::from(r)).ok());
    match role {
        Some(Role::Operator) => format!("Operatore del {patronato}"),
        Some(Role::PatronatoAdmin) => format!("Amministratore del {patronato}"),
        Some(Role::RegionalReferent) => format!("Referente regionale del {patronato}"),
        Some(Role::SedeOfficer) => sede(),
        Some(Role::Citizen) => "Cittadino".to_string(),
        Some(Role::Auditor | Role::Analyst | Role::SystemAdmin) => "Sistema".to_string(),
        None if entry.side == "sede" => sede(),
        None if entry.side == "patronato" => {
            let mut words = patronato;
            words[..1].make_ascii_uppercase();
            words
        }
        None => "Sistema".to_string(),
    }
}

pub fn timeline_items(
    entries: Vec<TimelineEntry>,
    patronato: Option<&str>,
    directory: &Directory,
    sedi: &HashMap<String, String>,
) -> Vec<TimelineItem> {
    entries
        .into_iter()
        .map(|entry| {
            let forwarded_to_label = (entry.kind == "forwarded")
                .then(|| entry.details.get("to").and_then(|to| to.as_str()))
                .flatten()
                .map(|to| sede_label(sedi, to));
            TimelineItem {
                actor_label: actor_label(&entry, patronato, directory, sedi),
                sede_label: entry.sede.as_deref().map(|code| sede_label(sedi, code)),
                forwarded_to_label,
                entry,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use uuid::Uuid;

    fn entry(kind: &str, side: &str, role: Option<&str>, sede: Option<&str>) -> TimelineEntry {
        TimelineEntry {
            request_id: Uuid::nil(),
            version: 1,
            at: Utc::now(),
            kind: kind.into(),
            actor_id: "someone".into(),
            actor_role: role.map(str::to_string),
            side: side.into(),
            sede: sede.map(str::to_string),
            text: None,
            attachments: sqlx::types::Json(Vec::new()),
            details: serde_json::json!({"from": "3201", "to": "1106"}),
            position: 1,
        }
    }

    fn names() -> HashMap<String, String> {
        HashMap::from([("3201".to_string(), "INPS Roma Centro".to_string())])
    }

    fn directory() -> Directory {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../reference");
        Directory::load(&dir).expect("reference/demo.json loads")
    }

    #[test]
    fn who_acted_is_said_in_words_with_the_patronato_and_the_sede_named() {
        let (dir, sedi) = (directory(), names());
        let label = |e: TimelineEntry| actor_label(&e, Some("INCA"), &dir, &sedi);
        assert_eq!(
            label(entry("sent", "patronato", Some("operator"), Some("3201"))),
            "Operatore del patronato INCA CGIL"
        );
        assert_eq!(
            label(entry(
                "sollecito",
                "patronato",
                Some("patronato_admin"),
                None
            )),
            "Amministratore del patronato INCA CGIL"
        );
        assert_eq!(
            label(entry("reply", "sede", Some("sede_officer"), Some("3201"))),
            "Sede INPS – INPS Roma Centro (3201)"
        );
        assert_eq!(
            label(entry("reply", "sede", Some("sede_officer"), Some("9999"))),
            "Sede INPS – Sede 9999"
        );
        assert_eq!(
            label(entry("closed", "sede", Some("system_admin"), None)),
            "Sistema"
        );
        // Rows from before the role was kept: the side alone.
        assert_eq!(
            label(entry("message", "patronato", None, None)),
            "Patronato INCA CGIL"
        );
        assert_eq!(
            label(entry("reply", "sede", None, Some("3201"))),
            "Sede INPS – INPS Roma Centro (3201)"
        );
    }

    #[test]
    fn a_forward_names_both_sedi() {
        let (dir, sedi) = (directory(), names());
        let items = timeline_items(
            vec![entry(
                "forwarded",
                "sede",
                Some("sede_officer"),
                Some("3201"),
            )],
            Some("INCA"),
            &dir,
            &sedi,
        );
        assert_eq!(
            items[0].sede_label.as_deref(),
            Some("INPS Roma Centro (3201)")
        );
        assert_eq!(items[0].forwarded_to_label.as_deref(), Some("Sede 1106"));
    }
}
