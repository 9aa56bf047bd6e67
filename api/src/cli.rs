//! The `combipat` command. Every flag is also an environment variable.

use crate::auth::{Claims, JwtKeys, ISSUER};
use crate::secret::Redacted;
use crate::state::{AppState, Limits};
use clap::{Args, Parser, Subcommand, ValueEnum};
use commands::privacy::crypto::MasterKey;
use domain::actor::Role;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use std::path::PathBuf;
use std::time::Duration;

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
        #[arg(long, env = "COMBIPAT_COMMITTERS", default_value_t = commands::store::group::DEFAULT_COMMITTERS)]
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
        /// The master key of crypto-shredding: a file of 64 hex digits
        /// (`make run` writes `.local/master.key`). Without it (nor
        /// COMBIPAT_MASTER_KEY) a key derived from the JWT secret is used.
        #[arg(long, env = "COMBIPAT_MASTER_KEY_FILE")]
        master_key_file: Option<PathBuf>,
        /// The master key as 64 hex digits (instead of a file).
        #[arg(long, env = "COMBIPAT_MASTER_KEY", hide_env_values = true)]
        master_key: Option<Redacted>,
        /// Require `Authorization: Bearer <token>` on /metrics.
        #[arg(long, env = "COMBIPAT_METRICS_TOKEN", hide_env_values = true)]
        metrics_token: Option<Redacted>,
    },
    /// Apply the database migrations.
    Migrate {
        #[command(flatten)]
        db: Db,
    },
    /// Load the reference data and, with --demo, demo requests.
    Seed {
        #[command(flatten)]
        db: Db,
        #[arg(long)]
        demo: bool,
        #[arg(long, env = "COMBIPAT_REFERENCE_DIR", default_value = "reference")]
        reference_dir: PathBuf,
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
    /// Run the projection workers only.
    Project {
        #[command(flatten)]
        db: Db,
    },
    /// Rebuild a projection from the log (or `all`) while the service keeps answering.
    Rebuild {
        #[command(flatten)]
        db: Db,
        name: String,
    },
    /// Retention (docs/privacy.md): lists what is past its period (dry run,
    /// the default) or erases it with --apply; prints a JSON report.
    Retention {
        #[command(flatten)]
        db: Db,
        /// Erase for real (without it: only list).
        #[arg(long)]
        apply: bool,
        /// Days after a request's closure that its attachments' contents are kept.
        #[arg(long, env = "COMBIPAT_RETENTION_ATTACHMENT_DAYS",
              default_value_t = commands::privacy::retention::DEFAULT_ATTACHMENT_DAYS)]
        attachment_days: i64,
    },
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
        #[arg(long, default_value_t = commands::reference::generate::SHIPPED_SEED)]
        seed: u64,
        #[arg(long, default_value_t = commands::reference::generate::SHIPPED_COUNT)]
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

/// The service's pool ([`commands::store::pool_options`]) with its wait bound.
pub fn pool_options(size: u32) -> PgPoolOptions {
    commands::store::pool_options(size).acquire_timeout(Duration::from_secs(10))
}

pub async fn migrate(pool: &PgPool) -> anyhow_like::Result<()> {
    sqlx::migrate!("../migrations").run(pool).await?;
    Ok(())
}

/// A boxed error for the command line: printed, never matched on.
pub mod anyhow_like {
    pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;
}

pub async fn run(cli: Cli) -> anyhow_like::Result<()> {
    match cli.command {
        Command::Serve {
            db,
            secret,
            addr,
            clock,
            allow_manual_clock,
            max_attachment_bytes,
            no_workers,
            max_in_flight,
            committers,
            read_database_url,
            web_dir,
            dev_login,
            reference_dir,
            session_minutes,
            oidc,
            notify,
            metrics_addr,
            metrics_token,
            master_key_file,
            master_key,
        } => {
            let manual = clock == ClockMode::Manual;
            if manual && allow_manual_clock != "1" {
                return Err(
                    "--clock manual is refused unless COMBIPAT_ALLOW_MANUAL_CLOCK=1".into(),
                );
            }
            let pool = connect(&db).await?;
            migrate(&pool).await?;
            let limits = Limits {
                max_attachment_bytes,
                max_in_flight: max_in_flight.max(1),
                committers: committers.max(1),
                metrics_token: metrics_token
                    .filter(|t| !t.is_empty())
                    .map(|t| crate::MetricsToken(t.expose().to_string())),
                metrics_separate: metrics_addr.as_deref().is_some_and(|a| !a.is_empty()),
                ..Limits::default()
            };
            let mut state = AppState::new(
                pool.clone(),
                JwtKeys::from_secret(secret.jwt_secret.expose().as_bytes()),
                manual,
                limits,
            );
            if let Some(url) = read_database_url.filter(|u| !u.is_empty()) {
                let replica = connect(&Db {
                    database_url: url,
                    pool_size: db.pool_size,
                })
                .await?;
                state = state.with_read_replica(replica);
            }
            let dev_login = dev_login == "1";
            if dev_login {
                tracing::warn!(
                    "development sign-in open: anyone reaching this port can act as a demo user"
                );
            }
            // The names of patronati and offices come from the provider's
            // claims in production; the demo file is needed for the dev sign-in.
            let directory = match crate::directory::Directory::load(&reference_dir) {
                Ok(directory) => directory,
                Err(e) if !dev_login => {
                    tracing::warn!(error = %e, "no demo directory: patronati and offices shown by code");
                    crate::directory::Directory::default()
                }
                Err(e) => return Err(e.into()),
            };
            state = state
                .with_directory(directory, dev_login)
                .with_web_dir(web_dir.filter(|d| !d.as_os_str().is_empty()));
            state.session_ttl = chrono::Duration::minutes(session_minutes.clamp(1, 24 * 60));
            let browser_sign_in = oidc.browser()?;
            let oidc = oidc.config()?;
            if let Some(c) = &oidc {
                tracing::info!(issuer = %c.issuer, "OpenID Connect tokens accepted");
            }
            state = state.with_oidc(oidc).with_browser_sign_in(browser_sign_in);
            let master = crate::state::configured_master_key(
                master_key.as_ref().map(|k| k.expose()),
                master_key_file.as_deref(),
            )?;
            if let Some(master) = master {
                tracing::info!(id = master.id(), "master key of personal data");
                state = state.with_master_key(std::sync::Arc::new(master));
            }
            let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
            let smtp = notify.smtp()?;
            let workers = if no_workers {
                vec![]
            } else {
                let mut workers =
                    projections::spawn_all(pool.clone(), &state.metrics.registry, stop_rx.clone());
                workers.extend(crate::notifications::spawn(
                    pool.clone(),
                    &state,
                    smtp,
                    notify.sender_config(),
                    stop_rx.clone(),
                )?);
                workers
            };
            if let Some(metrics_addr) = metrics_addr.filter(|a| !a.is_empty()) {
                let listener = tokio::net::TcpListener::bind(&metrics_addr).await?;
                tracing::info!(local = %listener.local_addr()?, "metrics listening");
                let app = crate::metrics_app(state.clone());
                tokio::spawn(async move {
                    if let Err(e) = axum::serve(listener, app).await {
                        tracing::error!(error = %e, "metrics listener");
                    }
                });
            }
            let listener = tokio::net::TcpListener::bind(&addr).await?;
            let local = listener.local_addr()?;
            tracing::info!(%local, manual_clock = manual, "combipat listening");
            println!(
                "combipat in ascolto su http://{local} (OpenAPI: http://{local}/api/openapi.json)"
            );
            axum::serve(
                listener,
                crate::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown_signal())
            .await?;
            let _ = stop_tx.send(true);
            for w in workers {
                let _ = w.await;
            }
            Ok(())
        }
        Command::Migrate { db } => {
            let pool = connect(&db).await?;
            migrate(&pool).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Seed {
            db,
            demo,
            reference_dir,
        } => {
            let pool = connect(&db).await?;
            migrate(&pool).await?;
            let report = commands::reference::load_all(&pool, &reference_dir).await?;
            print_report(&report);
            if demo {
                let n = crate::demo::seed(&pool).await?;
                println!("demo requests: {n}");
            }
            Ok(())
        }
        Command::Reference {
            command:
                ReferenceCommand::Load {
                    db,
                    dir,
                    comuni_file,
                },
        } => {
            let pool = connect(&db).await?;
            migrate(&pool).await?;
            let source = match comuni_file {
                Some(file) => commands::reference::ReferenceSource::new(&dir, Some(file)),
                None => commands::reference::ReferenceSource::from_env(&dir),
            };
            let report = commands::reference::load_from(&pool, &source).await?;
            print_report(&report);
            Ok(())
        }
        Command::Reference {
            command: ReferenceCommand::Generate { seed, count },
        } => {
            print!("{}", commands::reference::citizens_json(seed, count));
            Ok(())
        }
        Command::Token {
            secret,
            role,
            sub,
            patronato,
            office,
            region,
            sede,
            ttl_hours,
        } => {
            if !(1..=api_max_hours()).contains(&ttl_hours) {
                return Err(format!(
                    "--ttl-hours deve essere tra 1 e {} (durata massima di un token)",
                    api_max_hours()
                )
                .into());
            }
            let now = chrono::Utc::now().timestamp();
            let claims = Claims {
                sub,
                role,
                patronato,
                office,
                region,
                sede,
                name: None,
                iss: ISSUER.to_string(),
                iat: now,
                exp: now + ttl_hours * 3600,
                nbf: None,
            };
            claims
                .actor()
                .map_err(|e| format!("token non valido: {e}"))?;
            println!(
                "{}",
                JwtKeys::from_secret(secret.jwt_secret.expose().as_bytes()).issue(&claims)
            );
            Ok(())
        }
        Command::Project { db } => {
            let pool = connect(&db).await?;
            migrate(&pool).await?;
            let registry = prometheus::Registry::new();
            let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
            let workers = projections::spawn_all(pool, &registry, stop_rx);
            shutdown_signal().await;
            let _ = stop_tx.send(true);
            for w in workers {
                let _ = w.await;
            }
            Ok(())
        }
        Command::Retention {
            db,
            apply,
            attachment_days,
        } => {
            let pool = connect(&db).await?;
            migrate(&pool).await?;
            let policy = commands::privacy::retention::RetentionPolicy {
                attachments_after_closure: chrono::Duration::days(attachment_days.max(0)),
            };
            let report =
                commands::privacy::retention::run(&pool, &policy, chrono::Utc::now(), !apply)
                    .await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        Command::Rebuild { db, name } => {
            let pool = connect(&db).await?;
            migrate(&pool).await?;
            let names: Vec<String> = if name == "all" {
                projections::all(&pool)
                    .iter()
                    .map(|p| p.name().to_string())
                    .collect()
            } else {
                vec![name]
            };
            for name in names {
                let projection = projections::by_name(&pool, &name)
                    .ok_or_else(|| format!("proiezione sconosciuta: {name}"))?;
                let started = std::time::Instant::now();
                let report = projections::rebuild::rebuild(&pool, projection.as_ref()).await?;
                println!("rebuilt {name} in {:.1?}: {report:?}", started.elapsed());
            }
            Ok(())
        }
        Command::Openapi => {
            println!(
                "{}",
                serde_json::to_string_pretty(&crate::openapi::document())?
            );
            Ok(())
        }
        Command::Cf {
            command: CfCommand::Check,
        } => {
            crate::routes::codice_fiscale::cf_check_stream(
                std::io::stdin().lock(),
                std::io::BufWriter::new(std::io::stdout().lock()),
            )?;
            Ok(())
        }
    }
}

fn print_report(report: &commands::reference::LoadReport) {
    for d in &report.datasets {
        println!(
            "reference {:<12} {:<40} {:>7} rows  {:?}",
            d.dataset, d.version, d.rows, d.outcome
        );
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// The longest `--ttl-hours` the server accepts.
fn api_max_hours() -> i64 {
    crate::auth::MAX_TOKEN_LIFETIME_SECS / 3600
}
