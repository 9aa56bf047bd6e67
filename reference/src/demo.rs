//! `reference/demo.json`: the demo patronati, their offices and the demo users
//! of every role, for `make run` and the README. Patronati and offices exist
//! only as codes in tokens; this file names them and is checked against the
//! other reference files when present (it is never written to the database).

use super::error::ReferenceError;
use domain::actor::Role;
use domain::codice_fiscale::CodiceFiscale;
use domain::ids::{OfficeId, PatronatoId, RegionCode, SedeCode, UserId};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

pub const DEMO_FILE: &str = "demo.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoData {
    pub version: String,
    #[serde(default)]
    pub description: Option<String>,
    pub patronati: Vec<DemoPatronato>,
    pub users: Vec<DemoUser>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoPatronato {
    pub code: PatronatoId,
    pub name: String,
    pub offices: Vec<DemoOffice>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoOffice {
    pub code: OfficeId,
    pub name: String,
    pub city: String,
    pub region: RegionCode,
}

/// A demo user: the claims a token for them carries. Which optional fields
/// are required depends on the role (checked by the loader).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoUser {
    pub id: UserId,
    pub display_name: String,
    pub role: Role,
    #[serde(default)]
    pub patronato: Option<PatronatoId>,
    #[serde(default)]
    pub office: Option<OfficeId>,
    #[serde(default)]
    pub region: Option<RegionCode>,
    #[serde(default)]
    pub sede: Option<SedeCode>,
    #[serde(default)]
    pub codice_fiscale: Option<CodiceFiscale>,
    /// Where the user's notifications are e-mailed (docs/notifications.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// What the demo file is checked against.
pub(crate) struct DemoRefs<'a> {
    pub regions: &'a HashSet<&'a str>,
    pub active_sedi: &'a HashSet<&'a str>,
    pub citizens: &'a HashSet<&'a str>,
}

/// Checks the demo file's internal consistency and its references to the
/// other files.
pub(crate) fn validate_demo(demo: &DemoData, refs: &DemoRefs<'_>) -> Result<(), ReferenceError> {
    let bad = |list, i, reason: String| Err(ReferenceError::entry(DEMO_FILE, list, i, reason));
    let mut patronati = HashSet::new();
    let mut offices: HashSet<(&str, &str)> = HashSet::new();
    let mut office_codes = HashSet::new();
    for (i, p) in demo.patronati.iter().enumerate() {
        if !patronati.insert(p.code.as_str()) {
            return bad("patronati", i, format!("duplicate patronato {}", p.code));
        }
        for o in &p.offices {
            if !office_codes.insert(o.code.as_str()) {
                return bad("patronati", i, format!("duplicate office {}", o.code));
            }
            if !refs.regions.contains(o.region.as_str()) {
                return bad(
                    "patronati",
                    i,
                    format!("office {}: unknown region {}", o.code, o.region),
                );
            }
            offices.insert((p.code.as_str(), o.code.as_str()));
        }
    }
    let mut ids = HashSet::new();
    for (i, u) in demo.users.iter().enumerate() {
        if !ids.insert(u.id.as_str()) {
            return bad("users", i, format!("duplicate user {}", u.id));
        }
        match u.role {
            Role::Operator | Role::PatronatoAdmin | Role::RegionalReferent => {
                let (Some(p), Some(o)) = (&u.patronato, &u.office) else {
                    return bad(
                        "users",
                        i,
                        "a patronato user needs patronato and office".into(),
                    );
                };
                if !offices.contains(&(p.as_str(), o.as_str())) {
                    return bad(
                        "users",
                        i,
                        format!("office {o} is not an office of patronato {p}"),
                    );
                }
                if u.role == Role::RegionalReferent {
                    match &u.region {
                        Some(r) if refs.regions.contains(r.as_str()) => {}
                        Some(r) => return bad("users", i, format!("unknown region {r}")),
                        None => {
                            return bad("users", i, "a regional referent needs a region".into())
                        }
                    }
                }
            }
            Role::SedeOfficer => match &u.sede {
                Some(s) if refs.active_sedi.contains(s.as_str()) => {}
                Some(s) => return bad("users", i, format!("sede {s} is unknown or inactive")),
                None => return bad("users", i, "a sede officer needs a sede".into()),
            },
            Role::Citizen => match &u.codice_fiscale {
                Some(cf) if refs.citizens.contains(cf.as_str()) => {}
                Some(cf) => {
                    return bad(
                        "users",
                        i,
                        format!("codice fiscale {cf} is not in citizens.json"),
                    )
                }
                None => return bad("users", i, "a citizen needs a codice fiscale".into()),
            },
            Role::Auditor | Role::Analyst | Role::SystemAdmin => {}
        }
    }
    Ok(())
}
