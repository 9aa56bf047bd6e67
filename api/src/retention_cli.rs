//! `combipat retention` (docs/privacy.md, P11, P20): lists what is past its
//! period (dry run, the default) or erases it with `--apply`; prints a JSON
//! report.

use crate::cli::{anyhow_like, connect, migrate, Db};
use crate::pseudonym_key::PseudonymKeyArgs;
use crate::secret::Redacted;
use clap::Args;
use commands::privacy::retention::{self, RetentionPolicy};

#[derive(Args, Debug)]
pub struct RetentionArgs {
    #[command(flatten)]
    pub db: Db,
    /// Erase for real (without it: only list).
    #[arg(long)]
    pub apply: bool,
    /// Days after a request's closure that its attachments' contents are kept.
    #[arg(long, env = "COMBIPAT_RETENTION_ATTACHMENT_DAYS",
          default_value_t = retention::DEFAULT_ATTACHMENT_DAYS)]
    pub attachment_days: i64,
    /// Days after an appointment that the booking's contacts are kept.
    #[arg(long, env = "COMBIPAT_RETENTION_BOOKING_CONTACT_DAYS",
          default_value_t = retention::DEFAULT_BOOKING_CONTACT_DAYS)]
    pub booking_contact_days: i64,
    /// Names the bookings' contact keys: the server's pseudonym key.
    #[command(flatten)]
    pub pseudonym_key: PseudonymKeyArgs,
    /// Without a pseudonym key: the server's JWT secret, from which it derives one.
    #[arg(long, env = "COMBIPAT_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<Redacted>,
}

pub async fn run(args: RetentionArgs) -> anyhow_like::Result<()> {
    let secret = args.jwt_secret.as_ref().filter(|s| !s.is_empty());
    let pseudonyms = args
        .pseudonym_key
        .resolve_logged(secret.map(|s| s.expose().as_bytes()))?;
    let pool = connect(&args.db).await?;
    migrate(&pool).await?;
    let policy = RetentionPolicy {
        attachments_after_closure: chrono::Duration::days(args.attachment_days.max(0)),
        booking_contacts_after_appointment: chrono::Duration::days(
            args.booking_contact_days.max(0),
        ),
    };
    let report =
        retention::run(&pool, &policy, &pseudonyms, chrono::Utc::now(), !args.apply).await?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
