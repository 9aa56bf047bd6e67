//! Who is acting. Built once from a verified token at the edge; the domain
//! decides visibility and permissions from it.

use crate::ids::{OfficeId, PatronatoId, RegionCode, SedeCode, UserId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Operator,
    PatronatoAdmin,
    RegionalReferent,
    SedeOfficer,
    Auditor,
    Analyst,
    Citizen,
    /// Runs the service: the manual clock (H7). Sees no request.
    SystemAdmin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::PatronatoAdmin => "patronato_admin",
            Role::RegionalReferent => "regional_referent",
            Role::SedeOfficer => "sede_officer",
            Role::Auditor => "auditor",
            Role::Analyst => "analyst",
            Role::Citizen => "citizen",
            Role::SystemAdmin => "system_admin",
        }
    }
}

/// A user of a patronato: operator, administrator or regional referent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatronatoUser {
    pub id: UserId,
    pub role: PatronatoRole,
    pub patronato: PatronatoId,
    pub office: OfficeId,
    pub region: Option<RegionCode>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatronatoRole {
    Operator,
    Admin,
    RegionalReferent,
}

/// An INPS employee of one sede.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SedeOfficer {
    pub id: UserId,
    pub sede: SedeCode,
}

/// Everyone who can present a token, with exactly the scope their role needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    Patronato(PatronatoUser),
    Sede(SedeOfficer),
    Auditor { id: UserId },
    Analyst { id: UserId },
    Citizen { id: UserId },
    SystemAdmin { id: UserId },
}

impl Actor {
    pub fn id(&self) -> &UserId {
        match self {
            Actor::Patronato(u) => &u.id,
            Actor::Sede(o) => &o.id,
            Actor::Auditor { id }
            | Actor::Analyst { id }
            | Actor::Citizen { id }
            | Actor::SystemAdmin { id } => id,
        }
    }

    pub fn role(&self) -> Role {
        match self {
            Actor::Patronato(u) => match u.role {
                PatronatoRole::Operator => Role::Operator,
                PatronatoRole::Admin => Role::PatronatoAdmin,
                PatronatoRole::RegionalReferent => Role::RegionalReferent,
            },
            Actor::Sede(_) => Role::SedeOfficer,
            Actor::Auditor { .. } => Role::Auditor,
            Actor::Analyst { .. } => Role::Analyst,
            Actor::Citizen { .. } => Role::Citizen,
            Actor::SystemAdmin { .. } => Role::SystemAdmin,
        }
    }

    pub fn patronato_user(&self) -> Option<&PatronatoUser> {
        match self {
            Actor::Patronato(u) => Some(u),
            _ => None,
        }
    }

    pub fn sede_officer(&self) -> Option<&SedeOfficer> {
        match self {
            Actor::Sede(o) => Some(o),
            _ => None,
        }
    }
}

/// The side of the conversation an event or an attachment belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Patronato,
    Sede,
}
