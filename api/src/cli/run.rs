//! What each command does.

use super::*;
use crate::auth::{Claims, JwtKeys, ISSUER};
use crate::state::{AppState, Limits};
use commands::privacy::crypto::MasterKey;

pub async fn run(cli: Cli) -> anyhow_like::Result<()> {
    match cli.command {
        Command::Serve {
            db,
            secret,
            pseudonym_key,
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
            master_key,
        } => {
            let manual = clock == ClockMode::Manual;
            if manual && allow_manual_clock != "1" {
                return Err(
                    "--clock manual is refused unless COMBIPAT_ALLOW_MANUAL_CLOCK=1".into(),
                );
            }
            let pseudonyms =
                pseudonym_key.resolve_logged(Some(secret.jwt_secret.expose().as_bytes()))?;
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
            )
            .with_pseudonyms(pseudonyms);
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
            match master_key.configured()? {
                Some(master) => {
                    tracing::info!(id = master.id(), "master key of personal data");
                    state = state.with_master_key(std::sync::Arc::new(master));
                }
                None => tracing::warn!(
                    "no master key configured: one derived from the JWT secret seals personal data"
                ),
            }
            let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
            let smtp = notify.smtp()?;
            let workers = if no_workers {
                vec![]
            } else {
                let metrics = projections::registered_metrics(&state.metrics.registry);
                let mut workers = projections::spawn_all_sharing(
                    pool.clone(),
                    metrics.clone(),
                    stop_rx.clone(),
                    projections::WorkerConfig::default(),
                );
                workers.extend(crate::notifications::spawn(
                    pool.clone(),
                    &state,
                    metrics,
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
            secret,
            pseudonym_key,
            master_key,
        } => {
            let pool = connect(&db).await?;
            migrate(&pool).await?;
            let report = reference::load_all(&pool, &reference_dir).await?;
            print_report(&report);
            if demo {
                // The demo's personal fields are sealed with the keys the
                // server will open them with (P26).
                let pseudonyms = pseudonym_key.resolve_logged(secret.bytes())?;
                let master = master_key.resolve_registered(secret.bytes())?;
                let sealer = commands::privacy::seal::Sealer::new(
                    commands::privacy::keys::SubjectKeys::new(pool.clone(), master),
                    pseudonyms,
                );
                let n = crate::demo::seed(&pool, sealer).await?;
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
                Some(file) => reference::ReferenceSource::new(&dir, Some(file)),
                None => reference::ReferenceSource::from_env(&dir),
            };
            let report = reference::load_from(&pool, &source).await?;
            print_report(&report);
            Ok(())
        }
        Command::Reference {
            command: ReferenceCommand::Generate { seed, count },
        } => {
            print!("{}", reference::citizens_json(seed, count));
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
        Command::Project {
            db,
            secret,
            master_key,
        } => {
            master_key.resolve_registered(secret.bytes())?;
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
        Command::Retention(args) => crate::retention_cli::run(args).await,
        Command::Rebuild {
            db,
            secret,
            master_key,
            name,
        } => {
            master_key.resolve_registered(secret.bytes())?;
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

fn print_report(report: &reference::LoadReport) {
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
