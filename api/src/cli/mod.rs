//! The `combipat` command. Every flag is also an environment variable.

use crate::secret::Redacted;
use clap::{Args, Parser, Subcommand, ValueEnum};
use domain::actor::Role;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use std::path::PathBuf;
use std::time::Duration;

mod run;

pub use run::run;

#[derive(Parser, Debug)]
#[command(
    name = "combipat",
    version,
    about = "Canale scritto patronati–INPS: servizio event-sourced"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct Db {
    /// PostgreSQL connection URL.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Redacted,
    /// Connections in the pool.
    #[arg(long, env = "COMBIPAT_DB_POOL", default_value_t = 32)]
    pub pool_size: u32,
}

#[derive(Args, Debug, Clone)]
pub struct Secret {
    /// HS256 signing key of the bearer tokens.
    #[arg(long, env = "COMBIPAT_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Redacted,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum ClockMode {
    System,
    Manual,
}

// Parsed once at start: the size of `serve`'s settings costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the HTTP API (and the projection workers, unless --no-workers).
    Serve {
        #[command(flatten)]
        db: Db,
        #[command(flatten)]
        secret: Secret,
        #[command(flatten)]
        pseudonym_key: crate::pseudonym_key::PseudonymKeyArgs,
        #[arg(long, env = "COMBIPAT_ADDR", default_value = "127.0.0.1:8080")]
        addr: String,
        /// `manual` lets POST /api/v1/admin/clock move time; refused unless
        /// COMBIPAT_ALLOW_MANUAL_CLOCK=1.
        #[arg(long, env = "COMBIPAT_CLOCK", value_enum, default_value = "system")]
        clock: ClockMode,
        #[arg(long, env = "COMBIPAT_ALLOW_MANUAL_CLOCK", default_value = "0")]
        allow_manual_clock: String,
        #[arg(long, env = "COMBIPAT_MAX_ATTACHMENT_BYTES", default_value_t = commands::attachments::DEFAULT_MAX_BYTES)]
        max_attachment_bytes: usize,
        /// Do not run projection workers in this process.
        #[arg(long, env = "COMBIPAT_NO_WORKERS", default_value_t = false)]
        no_workers: bool,
        /// Requests served at once; more are answered 503 `overloaded`.
        #[arg(long, env = "COMBIPAT_MAX_IN_FLIGHT", default_value_t = 512)]
        max_in_flight: usize,
        /// Group-commit connections: concurrent commands' appends share their
        /// transactions (and WAL flushes).
        #[arg(long, env = "COMBIPAT_COMMITTERS", default_value_t = store::group::DEFAULT_COMMITTERS)]
        committers: usize,
        /// A streaming replica of the database for queries (read-your-writes
        /// still holds: a query waits for the replica, then falls back to the primary).
        #[arg(long, env = "COMBIPAT_READ_DATABASE_URL")]
        read_database_url: Option<Redacted>,
        /// The built web app (web/dist) to serve at `/`; none: API only.
        #[arg(long, env = "COMBIPAT_WEB_DIR")]
        web_dir: Option<PathBuf>,
        /// `1` opens the development sign-in with the demo users of
        /// `<reference-dir>/demo.json` (never in production).
        #[arg(long, env = "COMBIPAT_DEV_LOGIN", default_value = "0")]
        dev_login: String,
        /// Where `demo.json` names patronati, offices and demo users.
        #[arg(long, env = "COMBIPAT_REFERENCE_DIR", default_value = "reference")]
        reference_dir: PathBuf,
        /// How long a session token issued by this service lasts, in minutes.
        #[arg(long, env = "COMBIPAT_SESSION_MINUTES", default_value_t = crate::state::DEFAULT_SESSION_HOURS * 60)]
        session_minutes: i64,
        #[command(flatten)]
        oidc: crate::oidc::OidcArgs,
        #[command(flatten)]
        notify: crate::notifications::NotifyArgs,
        /// Serve /metrics only on this address (e.g. a private interface).
        #[arg(long, env = "COMBIPAT_METRICS_ADDR")]
        metrics_addr: Option<String>,
        #[command(flatten)]
        master_key: crate::master_key::MasterKeyArgs,
        /// Require `Authorization: Bearer <token>` on /metrics.
        #[arg(long, env = "COMBIPAT_METRICS_TOKEN", hide_env_values = true)]
        metrics_token: Option<Redacted>,
    },
    /// Apply the database migrations.
    Migrate {
        #[command(flatten)]
        db: Db,
    },
    /// Load the reference data and, with --demo, demo requests (sealed as
    /// `serve` seals: the same master and pseudonym keys, or the JWT secret's).
    Seed {
        #[command(flatten)]
        db: Db,
        #[arg(long)]
        demo: bool,
        #[arg(long, env = "COMBIPAT_REFERENCE_DIR", default_value = "reference")]
        reference_dir: PathBuf,
        #[command(flatten)]
        secret: crate::master_key::DerivingSecret,
        #[command(flatten)]
        pseudonym_key: crate::pseudonym_key::PseudonymKeyArgs,
        /// The master key of crypto-shredding, as for `serve`.
        #[command(flatten)]
        master_key: crate::master_key::MasterKeyArgs,
    },
    /// Reference data.
    Reference {
        #[command(subcommand)]
        command: ReferenceCommand,
    },
    /// Print a bearer token the running service accepts.
    Token {
        #[command(flatten)]
        secret: Secret,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[arg(long)]
        sub: String,
        #[arg(long)]
        patronato: Option<String>,
        #[arg(long)]
        office: Option<String>,
        #[arg(long)]
        region: Option<String>,
        #[arg(long)]
        sede: Option<String>,
        /// Validity in hours.
        #[arg(long, default_value_t = 12)]
        ttl_hours: i64,
    },
    /// Run the projection workers only (with the master key of `serve`:
    /// they open the sealed personal fields).
    Project {
        #[command(flatten)]
        db: Db,
        #[command(flatten)]
        secret: crate::master_key::DerivingSecret,
        #[command(flatten)]
        master_key: crate::master_key::MasterKeyArgs,
    },
    /// Rebuild a projection from the log (or `all`) while the service keeps
    /// answering (with the master key of `serve`, as `project`).
    Rebuild {
        #[command(flatten)]
        db: Db,
        #[command(flatten)]
        secret: crate::master_key::DerivingSecret,
        #[command(flatten)]
        master_key: crate::master_key::MasterKeyArgs,
        name: String,
    },
    /// Retention (docs/privacy.md): lists what is past its period (dry run,
    /// the default) or erases it with --apply; prints a JSON report.
    Retention(crate::retention_cli::RetentionArgs),
    /// Print the OpenAPI document.
    Openapi,
    /// Codice fiscale tools.
    Cf {
        #[command(subcommand)]
        command: CfCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum ReferenceCommand {
    /// Load (idempotently) the reference files into the database.
    Load {
        #[command(flatten)]
        db: Db,
        #[arg(long, env = "COMBIPAT_REFERENCE_DIR", default_value = "reference")]
        dir: PathBuf,
        /// Municipality file, `.tsv` as shipped or ISTAT-style `.json` (default:
        /// COMBIPAT_COMUNI_FILE, else reference/municipalities.tsv; skipped with a
        /// warning when missing).
        #[arg(long)]
        comuni_file: Option<PathBuf>,
    },
    /// Print the synthetic citizens file (reference/citizens.json) for a seed.
    Generate {
        #[arg(long, default_value_t = reference::generate::SHIPPED_SEED)]
        seed: u64,
        #[arg(long, default_value_t = reference::generate::SHIPPED_COUNT)]
        count: usize,
    },
}

#[derive(Subcommand, Debug)]
pub enum CfCommand {
    /// Read one code per line on stdin; print `code<TAB>valid|invalid<TAB>error-code`.
    Check,
}

fn parse_role(s: &str) -> Result<Role, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| format!("ruolo sconosciuto: {s} (operator, patronato_admin, regional_referent, sede_officer, auditor, analyst, citizen, system_admin)"))
}

pub async fn connect(db: &Db) -> anyhow_like::Result<PgPool> {
    Ok(pool_options(db.pool_size)
        .connect(db.database_url.expose())
        .await?)
}

/// The service's pool ([`store::pool_options`]) with its wait bound.
pub fn pool_options(size: u32) -> PgPoolOptions {
    store::pool_options(size).acquire_timeout(Duration::from_secs(10))
}

pub async fn migrate(pool: &PgPool) -> anyhow_like::Result<()> {
    sqlx::migrate!("../migrations").run(pool).await?;
    Ok(())
}

/// A boxed error for the command line: printed, never matched on.
pub mod anyhow_like {
    pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;
}
