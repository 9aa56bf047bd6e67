//! Reference data: the files in `reference/` (next to this crate's
//! manifest), their loader into the `ref_*` tables, and the PostgreSQL
//! implementations of the command side's [ports](commands::ports), which
//! `api` wires into the services (the command handlers do not depend on
//! this crate).
//!
//! - [`files`]: read and validate the files (no database).
//! - [`load`]: [`load_all`] — validate, then replace changed datasets in one
//!   transaction, versioned by checksum in `ref_dataset`.
//! - [`municipalities`]: the ISTAT-style municipality list (`comuni.json`) and
//!   its look-ups; [`compact`]: the shipped `reference/municipalities.tsv`,
//!   read by default.
//! - [`counters`]: the counters of every sede and their opening hours.
//! - [`sportelli`]: the services of each counter type, the web meeting
//!   pilot, generated sede addresses (`sportelli.json`, compiled in).
//! - [`territory`]: Regione → Provincia → Comune → Sede for the citizens.
//! - [`generate`]: the deterministic synthetic citizens of `citizens.json`.
//! - [`derive`]: `places.json` and `cap_routes.json`, derived from the
//!   municipality list and `sedi.json`.
//! - [`PgCitizenRegistry`], [`PgPracticeRegistry`], [`PgSedeDirectory`],
//!   [`PgTopicCatalogue`], [`PgCounterDirectory`]: the ports; [`PgReference`]
//!   bundles them.
//! - [`CachedSedeDirectory`], [`CachedTopicCatalogue`]: the routing and topic
//!   ports' answers kept in memory while `ref_generation` holds ([`cache`]).
//! - [`search_sedi`], [`get_sede`], [`list_regions`]: look-ups for the HTTP layer.
//!
//! The file formats and the demo data are described in `reference/README.md`,
//! sources, licences and routing rules in `docs/reference-data.md`.

pub mod cache;
mod citizens;
pub mod compact;
mod counter_directory;
pub mod counters;
pub mod demo;
pub mod derive;
mod error;
pub mod files;
pub mod generate;
pub mod load;
pub mod model;
pub mod municipalities;
mod names;
mod position;
mod practices;
mod sede_names;
mod sedi;
pub mod sportelli;
pub mod territory;
mod topics;

pub use cache::{CachedSedeDirectory, CachedTopicCatalogue, ReferenceGeneration};
pub use citizens::{residences, CitizenResidence, PgCitizenRegistry};
pub use counter_directory::PgCounterDirectory;
pub use counters::{counters_of, CounterRow, Opening, PATRONATI_COUNTER};
pub use error::{Location, ReferenceError};
pub use files::{read_reference, read_reference_dir, FileInfo, ReferenceData, ReferenceSource};
pub use generate::{citizens_json, demo_citizens, generate_citizens};
pub use load::{load_all, load_from, DatasetReport, LoadOutcome, LoadReport};
pub use model::{
    CitizenRow, MandateRow, PracticeRow, Province, Region, RegionKind, Sede, SedeKind,
};
pub use municipalities::{
    municipalities_by_cap, municipality_by_cadastral_code, Municipality, MunicipalityRef,
};
pub use practices::PgPracticeRegistry;
pub use sede_names::{SedeNames, RECHECK as SEDE_NAMES_RECHECK};
pub use sedi::{get_sede, list_regions, search_sedi, PgSedeDirectory, RouteRule, RouteSuggestion};
pub use topics::PgTopicCatalogue;

use sqlx::PgPool;

/// Default location of the reference files, relative to the repository root.
pub const DEFAULT_DIR: &str = "reference";

/// Every reference port on one pool.
#[derive(Debug, Clone)]
pub struct PgReference {
    pub citizens: PgCitizenRegistry,
    pub practices: PgPracticeRegistry,
    pub sedi: PgSedeDirectory,
    pub topics: PgTopicCatalogue,
    pub counters: PgCounterDirectory,
}

impl PgReference {
    pub fn new(pool: PgPool) -> Self {
        Self {
            citizens: PgCitizenRegistry::new(pool.clone()),
            practices: PgPracticeRegistry::new(pool.clone()),
            sedi: PgSedeDirectory::new(pool.clone()),
            topics: PgTopicCatalogue::new(pool.clone()),
            counters: PgCounterDirectory::new(pool),
        }
    }
}
