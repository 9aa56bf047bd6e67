//! The outside systems a request or a booking needs, as traits (ports). The
//! service uses the PostgreSQL-backed implementations of the
//! `combipat-reference` crate, loaded from the reference files shipped in
//! the repository; `api` wires them in.

use async_trait::async_trait;
use chrono::NaiveDate;
use domain::booking::{CounterOffer, WeeklyHours};
use domain::codice_fiscale::CodiceFiscale;
use domain::ids::{Cap, PatronatoId, PracticeRef, RegionCode, SedeCode, TopicCode};
use domain::request::{CitizenRecord, PracticeCheck, SedeLookup};
use domain::topic::Topic;
use std::future::Future;
use std::pin::Pin;

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

/// The counters of the INPS sedi, as the booking rules need them.
#[async_trait]
pub trait CounterDirectory: Send + Sync {
    /// What a sede's counters share; `None` for an unknown sede.
    async fn sede(&self, sede: &SedeCode) -> PortResult<Option<SedeCounters>>;
    /// The counters of a sede, by counter type, with their weekly hours
    /// (empty for an unknown sede).
    async fn counters(&self, sede: &SedeCode) -> PortResult<Vec<CounterHours>>;
    /// What a counter of a sede in `province` offers the citizen confirming
    /// a booking.
    fn counter_offer(&self, counter_type: &str, province: Option<&str>) -> CounterOffer;
}

/// What the counters of one sede share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SedeCounters {
    pub active: bool,
    pub slot_minutes: u32,
    pub city: Option<String>,
    /// Province sigla, e.g. `RM`.
    pub province: Option<String>,
}

/// One counter of a sede and its opening hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterHours {
    pub counter_type: String,
    pub name: String,
    /// False when the counter or its sede is inactive.
    pub active: bool,
    pub hours: Vec<WeeklyHours>,
}

/// The look-ups of one command (its topic, its route, …), run so that the
/// implementation may answer them from reads shared with other commands'
/// look-ups, never from one older than the command (the reference crate's
/// cache: one generation read for a command rather than one per look-up).
pub trait LookupScope: Send + Sync {
    fn scope<'a>(&self, lookups: LookupsFuture<'a>) -> LookupsFuture<'a>;
}

pub type LookupsFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Each look-up on its own (for a service without a shared cache).
#[derive(Debug, Clone, Copy, Default)]
pub struct EachLookupAlone;

impl LookupScope for EachLookupAlone {
    fn scope<'a>(&self, lookups: LookupsFuture<'a>) -> LookupsFuture<'a> {
        lookups
    }
}

/// Runs `lookups` within `scope`, with their answer.
pub async fn in_scope<T: Send>(
    scope: &dyn LookupScope,
    lookups: impl Future<Output = T> + Send,
) -> T {
    let mut answer = None;
    scope
        .scope(Box::pin(async { answer = Some(lookups.await) }))
        .await;
    answer.expect("a scope runs the look-ups it is given")
}
