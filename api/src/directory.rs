//! Who the patronati, their offices and the demo users are, read once from
//! `reference/demo.json`.
//!
//! Patronati and their offices exist in tokens only as codes; their names come
//! from the identity provider's claims in production (`auth::Claims`) and from
//! this file where a claim has none, so that `GET /me` can always name them.
//! The demo users are what the development sign-in (`routes::session`) offers.

use domain::actor::Role;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;

#[derive(Debug, Clone, Deserialize)]
struct File {
    patronati: Vec<PatronatoEntry>,
    users: Vec<DemoUser>,
}

#[derive(Debug, Clone, Deserialize)]
struct PatronatoEntry {
    code: String,
    name: String,
    offices: Vec<OfficeEntry>,
}

#[derive(Debug, Clone, Deserialize)]
struct OfficeEntry {
    code: String,
    name: String,
}

/// A user of the demo data set, with the claims a token for them carries.
#[derive(Debug, Clone, Deserialize)]
pub struct DemoUser {
    pub id: String,
    pub display_name: String,
    pub role: Role,
    pub patronato: Option<String>,
    pub office: Option<String>,
    pub region: Option<String>,
    pub sede: Option<String>,
    pub codice_fiscale: Option<String>,
    /// Where the user's notifications are e-mailed (docs/notifications.md).
    #[serde(default)]
    pub email: Option<String>,
}

/// Names of patronati and offices by code, and the demo users in file order.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    patronati: HashMap<String, String>,
    offices: HashMap<String, String>,
    users: Vec<DemoUser>,
}

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a valid demo file: {source}")]
    Parse {
        path: String,
        source: serde_json::Error,
    },
}

impl Directory {
    /// Reads `demo.json` from the reference directory.
    pub fn load(reference_dir: &Path) -> Result<Self, DirectoryError> {
        let path = reference_dir.join("demo.json");
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|source| DirectoryError::Read {
            path: shown.clone(),
            source,
        })?;
        let file: File = serde_json::from_str(&text).map_err(|source| DirectoryError::Parse {
            path: shown,
            source,
        })?;
        Ok(Self::from_file(file))
    }

    fn from_file(file: File) -> Self {
        let mut patronati = HashMap::new();
        let mut offices = HashMap::new();
        for p in file.patronati {
            for o in p.offices {
                offices.insert(o.code, o.name);
            }
            patronati.insert(p.code, p.name);
        }
        Self {
            patronati,
            offices,
            users: file.users,
        }
    }

    pub fn patronato_name(&self, code: &str) -> Option<&str> {
        self.patronati.get(code).map(String::as_str)
    }

    pub fn office_name(&self, code: &str) -> Option<&str> {
        self.offices.get(code).map(String::as_str)
    }

    pub fn users(&self) -> &[DemoUser] {
        &self.users
    }

    pub fn user(&self, id: &str) -> Option<&DemoUser> {
        self.users.iter().find(|u| u.id == id)
    }
}

/// Users' addresses for the notifications: the directory is where they
/// live (in production the identity provider's directory would fill it).
impl notify::AddressBook for Directory {
    fn email_of(&self, user_id: &str) -> Option<String> {
        self.user(user_id).and_then(|u| u.email.clone())
    }

    fn officers_of(&self, sede: &str) -> Vec<String> {
        self.users
            .iter()
            .filter(|u| u.role == Role::SedeOfficer && u.sede.as_deref() == Some(sede))
            .map(|u| u.id.clone())
            .collect()
    }
}

/// The Italian name of a role, as the manual and the screens say it.
pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::Operator => "Operatore di patronato",
        Role::PatronatoAdmin => "Amministratore di patronato",
        Role::RegionalReferent => "Referente regionale",
        Role::SedeOfficer => "Funzionario di sede INPS",
        Role::Auditor => "Revisore",
        Role::Analyst => "Analista",
        Role::Citizen => "Cittadino",
        Role::SystemAdmin => "Amministratore del servizio",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_demo_file_names_every_patronato_and_office_its_users_belong_to() {
        let dir = Directory::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../reference"))
            .expect("reference/demo.json loads");
        assert!(!dir.users().is_empty());
        for user in dir.users() {
            if let Some(p) = &user.patronato {
                assert!(dir.patronato_name(p).is_some(), "patronato {p} unnamed");
            }
            if let Some(o) = &user.office {
                assert!(dir.office_name(o).is_some(), "office {o} unnamed");
            }
        }
        assert_eq!(dir.office_name("INCA-RM01"), Some("INCA Roma Esquilino"));
        assert_eq!(dir.user("op.rossi").map(|u| u.role), Some(Role::Operator));
        assert!(dir.user("nobody").is_none());
    }
}
