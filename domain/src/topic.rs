//! Topic catalogue types. The catalogue itself (codes, labels, sub-topics, which
//! role may use which topic, which needs a practice reference) is reference data
//! loaded from `reference/topics.json`; the domain only sees the resolved entry.

use crate::ids::TopicCode;
use serde::{Deserialize, Serialize};

/// Who may pick a topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TopicAudience {
    /// Operators and patronato administrators, on behalf of a citizen.
    Operator,
    /// Regional referents, on their own behalf.
    RegionalReferent,
    /// Both.
    Both,
}

/// One entry of the catalogue, as resolved from the reference data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topic {
    pub code: TopicCode,
    pub label: String,
    pub audience: TopicAudience,
    /// "Sollecito domanda già presentata" and "Prestazione in corso o respinta"
    /// need a practice reference.
    pub requires_practice_ref: bool,
    pub subtopics: Vec<Subtopic>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subtopic {
    pub code: TopicCode,
    pub label: String,
}

impl Topic {
    pub fn subtopic(&self, code: &TopicCode) -> Option<&Subtopic> {
        self.subtopics.iter().find(|s| &s.code == code)
    }
}
