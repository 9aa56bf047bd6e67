//! The outside systems a request needs, as traits (ports). The service uses
//! the PostgreSQL-backed implementations in `reference/`, loaded from the
//! reference files shipped in the repository.

use async_trait::async_trait;
use chrono::NaiveDate;
use domain::codice_fiscale::CodiceFiscale;
use domain::ids::{Cap, PatronatoId, PracticeRef, RegionCode, SedeCode, TopicCode};
use domain::request::{CitizenRecord, PracticeCheck, SedeLookup};
use domain::topic::Topic;

pub type PortResult<T> = Result<T, sqlx::Error>;

/// INPS's registry of people (an external system; here a PostgreSQL copy).
#[async_trait]
pub trait CitizenRegistry: Send + Sync {
    /// Everyone whose code is this one or an omocodia variant of the same base
    /// code: one person, or the candidates to choose from.
    async fn by_codice_fiscale(&self, cf: &CodiceFiscale) -> PortResult<Vec<CitizenRecord>>;
    /// Everyone with this surname, name and birth date (homonyms included).
    async fn by_personal_data(
        &self,
        surname: &str,
        name: &str,
        birth_date: NaiveDate,
    ) -> PortResult<Vec<CitizenRecord>>;
}

/// Which practices belong to whom, and on which pensions a patronato holds a mandate.
#[async_trait]
pub trait PracticeRegistry: Send + Sync {
    async fn check(
        &self,
        cf: &CodiceFiscale,
        practice: &PracticeRef,
        patronato: &PatronatoId,
    ) -> PortResult<PracticeCheck>;
}

/// INPS offices and the routing of requests to them.
#[async_trait]
pub trait SedeDirectory: Send + Sync {
    /// Whether a code names an active sede, an inactive one, or none.
    async fn lookup(&self, code: &str) -> PortResult<SedeLookup>;
    /// The competent sede for a citizen's CAP, a topic and its sub-topic (a hub
    /// "Polo" where the topic or the benefit belongs to one).
    async fn route(
        &self,
        cap: &Cap,
        topic: &TopicCode,
        subtopic: Option<&TopicCode>,
    ) -> PortResult<Option<SedeCode>>;
    /// The regional CRIC structure, where regional referents' requests go.
    async fn cric_of(&self, region: &RegionCode) -> PortResult<Option<SedeCode>>;
}

/// The topic catalogue (reference data, not code).
#[async_trait]
pub trait TopicCatalogue: Send + Sync {
    async fn topic(&self, code: &TopicCode) -> PortResult<Option<Topic>>;
    async fn all(&self) -> PortResult<Vec<Topic>>;
}
