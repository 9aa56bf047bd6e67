//! The entries of the reference files, as read from JSON and as answered by
//! the query functions. Fields that have a domain type use it, so a value is
//! parsed once when the file is read.

use chrono::NaiveDate;
use domain::codice_fiscale::{CodiceFiscale, Sex};
use domain::ids::{Cap, PatronatoId, PracticeRefKind, RegionCode, SedeCode, TopicCode};
use domain::topic::TopicAudience;
use serde::{Deserialize, Serialize};

/// A benefit that topics may concern (`topics.json`, list `subtopics`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubtopicEntry {
    pub code: TopicCode,
    pub label: String,
}

/// A contact reason (`topics.json`, list `topics`); `subtopics` are codes of
/// the file's `subtopics` list, in display order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicEntry {
    pub code: TopicCode,
    pub label: String,
    pub audience: TopicAudience,
    pub requires_practice_ref: bool,
    pub subtopics: Vec<TopicCode>,
}

/// A regional directorate, or one of the three metropolitan coordination
/// directorates, which INPS counts as regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionKind {
    Regione,
    Dcm,
}

impl RegionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RegionKind::Regione => "regione",
            RegionKind::Dcm => "dcm",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "regione" => Some(RegionKind::Regione),
            "dcm" => Some(RegionKind::Dcm),
            _ => None,
        }
    }
}

/// `sedi.json`, list `regions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    pub code: RegionCode,
    pub name: String,
    pub kind: RegionKind,
    /// ISTAT code of the region (`01` Piemonte … `20` Sardegna); `None` for
    /// the DCM, which are not ISTAT regions.
    #[serde(default)]
    pub istat: Option<String>,
}

/// The kind of an INPS structure, as seed 003 names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SedeKind {
    /// Direzione regionale (Valle d'Aosta's also acts as the provincial
    /// directorate of Aosta).
    DirezioneRegionale,
    /// Direzione di coordinamento metropolitano (DCM Milano, Roma, Napoli).
    DirezioneCoordinamentoMetropolitano,
    DirezioneProvinciale,
    /// Filiale metropolitana: the provincial-level structures of a DCM.
    FilialeMetropolitana,
    /// Filiale provinciale (Monza, Fermo, Andria).
    FilialeProvinciale,
    AgenziaComplessa,
    /// Agenzia (territoriale).
    Agenzia,
    /// The regional structure where regional referents' requests go.
    Cric,
    /// A specialised hub ("Polo").
    Polo,
}

impl SedeKind {
    pub const ALL: [SedeKind; 9] = [
        SedeKind::DirezioneRegionale,
        SedeKind::DirezioneCoordinamentoMetropolitano,
        SedeKind::DirezioneProvinciale,
        SedeKind::FilialeMetropolitana,
        SedeKind::FilialeProvinciale,
        SedeKind::AgenziaComplessa,
        SedeKind::Agenzia,
        SedeKind::Cric,
        SedeKind::Polo,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SedeKind::DirezioneRegionale => "direzione_regionale",
            SedeKind::DirezioneCoordinamentoMetropolitano => {
                "direzione_coordinamento_metropolitano"
            }
            SedeKind::DirezioneProvinciale => "direzione_provinciale",
            SedeKind::FilialeMetropolitana => "filiale_metropolitana",
            SedeKind::FilialeProvinciale => "filiale_provinciale",
            SedeKind::AgenziaComplessa => "agenzia_complessa",
            SedeKind::Agenzia => "agenzia",
            SedeKind::Cric => "cric",
            SedeKind::Polo => "polo",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// A provincial-level structure: direzione provinciale or filiale.
    pub fn is_provincial(self) -> bool {
        matches!(
            self,
            SedeKind::DirezioneProvinciale
                | SedeKind::FilialeMetropolitana
                | SedeKind::FilialeProvinciale
        )
    }

    /// A structure that serves a territory (CAP routing may choose it):
    /// provincial-level structures and agenzie.
    pub fn is_territorial(self) -> bool {
        self.is_provincial() || matches!(self, SedeKind::AgenziaComplessa | SedeKind::Agenzia)
    }
}

fn active_by_default() -> bool {
    true
}

/// Slot length when a sede entry does not give one.
pub const DEFAULT_SLOT_MINUTES: u8 = 15;

/// Bounds of a sede's slot length (seed 002).
pub const SLOT_MINUTES: std::ops::RangeInclusive<u8> = 8..=20;

fn default_slot_minutes() -> u8 {
    DEFAULT_SLOT_MINUTES
}

/// An INPS office (`sedi.json`, list `sedi`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sede {
    pub code: SedeCode,
    pub name: String,
    pub kind: SedeKind,
    pub region: RegionCode,
    /// Province sigla, e.g. `RM`.
    pub province: Option<String>,
    pub city: Option<String>,
    pub address: Option<String>,
    /// The structure this one depends on.
    pub parent: Option<SedeCode>,
    #[serde(default = "active_by_default")]
    pub active: bool,
    /// Length of a counter appointment slot, 8 to 20 minutes.
    #[serde(default = "default_slot_minutes")]
    pub slot_minutes: u8,
    /// CAP prefixes this sede serves in a city with several sedi (the
    /// districts of Roma, Milano, Napoli, …): an input of the derived
    /// `cap_routes.json`, not stored in the database.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caps: Vec<String>,
}

/// A province (or metropolitan city) and its competent sede (`sedi.json`,
/// list `provinces`). `region` is INPS's: `DCM-MI` for Milano, not `LOM`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Province {
    pub sigla: String,
    pub name: String,
    pub region: RegionCode,
    pub sede: SedeCode,
}

/// A topic (or sub-topic) handled by a hub (`sedi.json`, list `hubs`).
/// `region: None` is the national hub; a regional row wins for CAPs routed
/// to that region, a row with a `province` (of that region) wins for CAPs
/// of that province.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicHub {
    pub topic: TopicCode,
    pub region: Option<RegionCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    pub sede: SedeCode,
}

/// `cap_routes.json`, list `routes`: CAPs starting with `prefix` (1 to 5
/// digits) go to `sede`, unless a longer prefix matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapRoute {
    pub prefix: String,
    pub sede: SedeCode,
}

/// A person of the citizen registry (`citizens.json`, list `citizens`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CitizenRow {
    pub codice_fiscale: CodiceFiscale,
    pub surname: String,
    pub name: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    /// Name of the place of birth (municipality or foreign state).
    pub birth_place: Option<String>,
    /// Province (sigla) of the place of birth; `EE` for a foreign state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_province: Option<String>,
    /// Street and number of residence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Municipality and province (sigla) of residence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub municipality: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    /// Postcode of residence.
    pub cap: Cap,
}

/// A practice and whose it is (`practices.json`, list `practices`). `value`
/// is normalised as `domain::ids::PracticeRef::parse` does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PracticeRow {
    pub kind: PracticeRefKind,
    pub value: String,
    pub codice_fiscale: CodiceFiscale,
}

/// A patronato's mandate on a pension (`mandates.json`, list `mandates`):
/// `pension` is the value of a practice of kind `pensione`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MandateRow {
    pub pension: String,
    pub patronato: PatronatoId,
}

/// The serde name of a practice kind, as stored in `ref_practices.kind`.
pub fn practice_kind_str(kind: PracticeRefKind) -> &'static str {
    match kind {
        PracticeRefKind::Protocollo => "protocollo",
        PracticeRefKind::Domus => "domus",
        PracticeRefKind::Pensione => "pensione",
        PracticeRefKind::DomandaRdc => "domanda_rdc",
        PracticeRefKind::DomandaRem => "domanda_rem",
    }
}

pub(crate) fn sex_str(sex: Sex) -> &'static str {
    match sex {
        Sex::Male => "male",
        Sex::Female => "female",
    }
}

pub(crate) fn audience_str(a: TopicAudience) -> &'static str {
    match a {
        TopicAudience::Operator => "operator",
        TopicAudience::RegionalReferent => "regional_referent",
        TopicAudience::Both => "both",
    }
}

pub(crate) fn parse_audience(s: &str) -> Option<TopicAudience> {
    match s {
        "operator" => Some(TopicAudience::Operator),
        "regional_referent" => Some(TopicAudience::RegionalReferent),
        "both" => Some(TopicAudience::Both),
        _ => None,
    }
}
