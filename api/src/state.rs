//! What every handler shares.

use crate::auth::JwtKeys;
use crate::directory::Directory;
use crate::metrics::Metrics;
use commands::ports::CounterDirectory;
use commands::privacy::crypto::MasterKey;
use commands::privacy::keys::SubjectKeys;
use commands::privacy::seal::{register_master_key, Sealer};
use commands::requests::RequestService;
use projections::wait::CheckpointWatch;
use reference::{
    CachedSedeDirectory, CachedTopicCatalogue, PgCitizenRegistry, PgCounterDirectory,
    PgPracticeRegistry, PgSedeDirectory, PgTopicCatalogue, ReferenceGeneration, SedeNames,
};
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use store::clock::{Clock, ManualClock, SystemClock};
use store::{CommitNotifier, GroupCommitter};

/// A working day: the session of a sign-in lasts this long unless configured.
pub const DEFAULT_SESSION_HOURS: i64 = 8;

/// Runtime settings the handlers need (the command line that fills them: `cli/`).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Upper bound of one attachment.
    pub max_attachment_bytes: usize,
    /// How long a query waits for the read models to reach `min_position`.
    pub read_wait: Duration,
    /// How long a query waits for a read replica before asking the primary.
    pub replica_wait: Duration,
    /// Requests served at once; more are answered 503 `overloaded` at once
    /// instead of queueing without bound.
    pub max_in_flight: usize,
    /// Group-commit connections (see `store::group`).
    pub committers: usize,
    /// Holds without a token one client (IP address) may place per hour, and
    /// that one counter-day may receive per hour (H5).
    pub anonymous_holds_per_client: u32,
    pub anonymous_holds_per_counter_day: u32,
    /// Calls of the citizens' public look-ups ("Ricerca sede") one client
    /// may make per hour, and reads or cancellations of one booking by id
    /// and code without a token (each guess of a code costs one).
    pub public_reads_per_client: u32,
    pub booking_lookups_per_client: u32,
    /// Uploads whose content is read at once (each up to
    /// `max_attachment_bytes` in memory); more wait up to `read_wait`, then 503.
    pub max_concurrent_uploads: usize,
    /// `/metrics` wants `Authorization: Bearer <token>` when set (H11).
    pub metrics_token: Option<MetricsToken>,
    /// `/metrics` is served on its own listener ([`crate::metrics_app`]), not
    /// next to the API (`COMBIPAT_METRICS_ADDR`).
    pub metrics_separate: bool,
}

/// The token of `/metrics`; never printed.
#[derive(Clone)]
pub struct MetricsToken(pub String);

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(***)")
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_attachment_bytes: commands::attachments::DEFAULT_MAX_BYTES,
            read_wait: Duration::from_secs(5),
            replica_wait: Duration::from_millis(500),
            max_in_flight: 512,
            committers: store::group::DEFAULT_COMMITTERS,
            anonymous_holds_per_client: 30,
            anonymous_holds_per_counter_day: 60,
            public_reads_per_client: 1200,
            booking_lookups_per_client: 120,
            max_concurrent_uploads: 8,
            metrics_token: None,
            metrics_separate: false,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    /// The primary: commands, the event store, projection workers.
    pub pool: PgPool,
    /// Where queries read the read models: a streaming replica when configured,
    /// else the primary.
    pub read_pool: PgPool,
    pub requests: RequestService,
    /// The sedi's counters, for the booking commands and queries.
    pub counters: Arc<dyn CounterDirectory>,
    /// Wakes the projection workers after a command's commit (one per process).
    pub notifier: CommitNotifier,
    /// Batches concurrent commands' appends into shared transactions (one per process).
    pub committer: GroupCommitter,
    pub clock: Arc<dyn Clock>,
    /// Present only when the service runs with `--clock manual`.
    pub manual_clock: Option<Arc<ManualClock>>,
    pub jwt: JwtKeys,
    pub metrics: Metrics,
    pub limits: Limits,
    /// Sede names by code, for lists.
    pub sede_names: SedeNames,
    /// Names of patronati and offices, and the demo users (crate::directory).
    pub directory: Arc<Directory>,
    /// The development sign-in (`/api/v1/dev/…`): only with `--dev-login`.
    pub dev_login: bool,
    /// How long a session token issued by this service lasts.
    pub session_ttl: chrono::Duration,
    /// The identity provider's tokens, when configured (crate::oidc).
    pub oidc: Option<Arc<crate::oidc::OidcVerifier>>,
    /// The web app's sign-in with the provider (`GET /api/v1/config`).
    pub browser_sign_in: Option<crate::oidc::BrowserSignIn>,
    /// The built web app served at `/` (crate::web), if any.
    pub web_dir: Option<std::path::PathBuf>,
    /// The primary's projection checkpoints, read by one task for every
    /// read-your-writes waiter; `read_checkpoints` the read pool's.
    pub checkpoints: CheckpointWatch,
    pub read_checkpoints: CheckpointWatch,
    /// Rate limits of holds without a token.
    pub anonymous: Arc<crate::routes::bookings::anonymous::AnonymousLimits>,
    /// Permits of [`Limits::max_concurrent_uploads`].
    pub uploads: Arc<tokio::sync::Semaphore>,
    /// Who read what (crate::access).
    pub reads: commands::privacy::ReadLog,
    /// Keyed pseudonyms of data subjects.
    pub pseudonyms: commands::privacy::Pseudonyms,
    /// Seals personal fields of the commands' events (crypto-shredding).
    pub sealer: Sealer,
}

impl AppState {
    pub fn new(pool: PgPool, jwt: JwtKeys, manual_clock: bool, limits: Limits) -> Self {
        let notifier = CommitNotifier::spawn(pool.clone());
        let committer = GroupCommitter::spawn(pool.clone(), limits.committers, notifier.clone());
        // Routing and topics are answered from memory while the reference
        // data is unchanged (reference::cache).
        let generation = ReferenceGeneration::new(pool.clone());
        let sede_names = SedeNames::new(pool.clone(), generation.clone());
        let requests = RequestService::new(
            pool.clone(),
            Arc::new(PgCitizenRegistry::new(pool.clone())),
            Arc::new(PgPracticeRegistry::new(pool.clone())),
            Arc::new(CachedSedeDirectory::new(
                PgSedeDirectory::new(pool.clone()),
                generation.clone(),
            )),
            Arc::new(CachedTopicCatalogue::new(
                PgTopicCatalogue::new(pool.clone()),
                generation.clone(),
            )),
            Arc::new(generation),
        )
        .with_committer(committer.clone());
        let counters = Arc::new(PgCounterDirectory::new(pool.clone()));
        let manual = manual_clock.then(|| Arc::new(ManualClock::new()));
        let clock: Arc<dyn Clock> = match &manual {
            Some(m) => m.clone(),
            None => Arc::new(SystemClock),
        };
        let checkpoints = CheckpointWatch::spawn(pool.clone());
        let anonymous = Arc::new(crate::routes::bookings::anonymous::AnonymousLimits::new(
            &limits,
        ));
        let uploads = Arc::new(tokio::sync::Semaphore::new(
            limits.max_concurrent_uploads.max(1),
        ));
        let pseudonyms = jwt.derived_pseudonyms();
        let master: Arc<dyn MasterKey> = Arc::new(jwt.derived_master_key());
        register_master_key(master.clone());
        let sealer = Sealer::new(SubjectKeys::new(pool.clone(), master), pseudonyms.clone());
        let requests = requests.with_sealer(sealer.clone());
        Self {
            reads: commands::privacy::ReadLog::spawn(pool.clone()),
            pseudonyms,
            sealer,
            anonymous,
            uploads,
            read_pool: pool.clone(),
            read_checkpoints: checkpoints.clone(),
            checkpoints,
            pool,
            requests,
            counters,
            notifier,
            committer,
            clock,
            manual_clock: manual,
            jwt,
            metrics: Metrics::new(),
            limits,
            sede_names,
            directory: Arc::new(Directory::default()),
            dev_login: false,
            session_ttl: chrono::Duration::hours(DEFAULT_SESSION_HOURS),
            web_dir: None,
            oidc: None,
            browser_sign_in: None,
        }
    }
}

impl AppState {
    /// Seals with `master` (a key file, an HSM): configured in production;
    /// [`AppState::new`] starts with one derived from the JWT secret.
    pub fn with_master_key(mut self, master: Arc<dyn MasterKey>) -> Self {
        register_master_key(master.clone());
        self.sealer = Sealer::new(
            SubjectKeys::new(self.pool.clone(), master),
            self.pseudonyms.clone(),
        );
        self.requests = self.requests.with_sealer(self.sealer.clone());
        self
    }

    /// Requests stored with their personal fields in clear: the benchmark's
    /// baseline of what sealing costs, side by side in one run. Not reachable
    /// from the service's configuration.
    pub fn unsealed_requests_for_benchmark(mut self) -> Self {
        self.requests = self.requests.without_sealer();
        self
    }

    /// Pseudonyms under the deployment's own key (crate::pseudonym_key)
    /// rather than the one derived from the JWT secret; the sealer names
    /// subjects with them too.
    pub fn with_pseudonyms(mut self, pseudonyms: commands::privacy::Pseudonyms) -> Self {
        self.pseudonyms = pseudonyms;
        self.sealer = Sealer::new(self.sealer.keys().clone(), self.pseudonyms.clone());
        self.requests = self.requests.with_sealer(self.sealer.clone());
        self
    }

    /// Queries read from `replica` (which must stream from the same primary).
    pub fn with_read_replica(mut self, replica: PgPool) -> Self {
        self.read_checkpoints = CheckpointWatch::spawn(replica.clone());
        self.read_pool = replica;
        self
    }

    /// Names patronati and offices from `directory`; `dev_login` opens the
    /// development sign-in with its demo users.
    pub fn with_directory(mut self, directory: Directory, dev_login: bool) -> Self {
        self.directory = Arc::new(directory);
        self.dev_login = dev_login;
        self
    }

    pub fn with_oidc(mut self, config: Option<crate::oidc::OidcConfig>) -> Self {
        self.oidc = config.map(|c| Arc::new(crate::oidc::OidcVerifier::new(c)));
        self
    }

    pub fn with_browser_sign_in(mut self, sign_in: Option<crate::oidc::BrowserSignIn>) -> Self {
        self.browser_sign_in = sign_in;
        self
    }

    pub fn with_web_dir(mut self, dir: Option<std::path::PathBuf>) -> Self {
        self.web_dir = dir;
        self
    }

    pub fn has_read_replica(&self) -> bool {
        !std::ptr::eq(
            self.read_pool.connect_options().as_ref(),
            self.pool.connect_options().as_ref(),
        )
    }
}

impl axum::extract::FromRef<AppState> for Metrics {
    fn from_ref(state: &AppState) -> Metrics {
        state.metrics.clone()
    }
}
