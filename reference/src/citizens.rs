//! [`CitizenRegistry`] on `ref_citizens`.

use super::error::decode_err;
use async_trait::async_trait;
use chrono::NaiveDate;
use commands::ports::{CitizenRegistry, PortResult};
use domain::codice_fiscale::CodiceFiscale;
use domain::ids::Cap;
use domain::request::CitizenRecord;
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};
use store::sessions::KeptSessions;

/// Sessions of a registry: each is held for one look-up.
const SESSIONS: usize = 16;

/// On sessions of its own, kept out of the pool (every creation looks its
/// citizen up: [`store::sessions`]).
#[derive(Debug, Clone)]
pub struct PgCitizenRegistry {
    sessions: KeptSessions,
}

impl PgCitizenRegistry {
    pub fn new(pool: PgPool) -> Self {
        Self {
            sessions: KeptSessions::of(&pool, SESSIONS, &[]),
        }
    }
}

const COLUMNS: &str = "codice_fiscale, surname, name, birth_date, birth_place, cap";

fn record(row: &PgRow) -> Result<CitizenRecord, sqlx::Error> {
    Ok(CitizenRecord {
        codice_fiscale: CodiceFiscale::parse(row.try_get("codice_fiscale")?)
            .map_err(decode_err)?
            .into(),
        surname: row.try_get("surname")?,
        name: row.try_get("name")?,
        birth_date: row.try_get::<chrono::NaiveDate, _>("birth_date")?.into(),
        birth_place: row.try_get("birth_place")?,
        cap: Cap::parse(row.try_get("cap")?).map_err(decode_err)?,
    })
}

#[async_trait]
impl CitizenRegistry for PgCitizenRegistry {
    /// The code given first (when registered), then its omocodia siblings in
    /// code order.
    async fn by_codice_fiscale(&self, cf: &CodiceFiscale) -> PortResult<Vec<CitizenRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM ref_citizens WHERE base_code = $1
             ORDER BY codice_fiscale <> $2, codice_fiscale"
        );
        let mut session = self.sessions.session().await?;
        let rows = sqlx::query(&sql)
            .bind(cf.base_code())
            .bind(cf.as_str())
            .fetch_all(&mut *session)
            .await?;
        session.done();
        rows.iter().map(record).collect()
    }

    /// Case-insensitive on surname and name (surrounding spaces ignored);
    /// ordered by codice fiscale.
    async fn by_personal_data(
        &self,
        surname: &str,
        name: &str,
        birth_date: NaiveDate,
    ) -> PortResult<Vec<CitizenRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM ref_citizens
             WHERE upper(surname) = upper($1) AND upper(name) = upper($2) AND birth_date = $3
             ORDER BY codice_fiscale"
        );
        let mut session = self.sessions.session().await?;
        let rows = sqlx::query(&sql)
            .bind(surname.trim())
            .bind(name.trim())
            .bind(birth_date)
            .fetch_all(&mut *session)
            .await?;
        session.done();
        rows.iter().map(record).collect()
    }
}

/// What the registry adds to identify a person among homonyms (manual fig. 7):
/// the province of birth and the residence. Only the screens need it, so it
/// stays out of [`CitizenRecord`] and of the events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitizenResidence {
    pub codice_fiscale: String,
    pub birth_province: Option<String>,
    pub address: Option<String>,
    pub municipality: Option<String>,
    pub province: Option<String>,
}

/// The residence facts of these people (those the registry knows).
pub async fn residences(
    pool: &PgPool,
    codes: &[&CodiceFiscale],
) -> PortResult<Vec<CitizenResidence>> {
    let codes: Vec<&str> = codes.iter().map(|c| c.as_str()).collect();
    let rows = sqlx::query(
        "SELECT codice_fiscale, birth_province, residence_address, residence_municipality,
                residence_province
         FROM ref_citizens WHERE codice_fiscale = ANY($1)",
    )
    .bind(&codes)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(CitizenResidence {
                codice_fiscale: row.try_get("codice_fiscale")?,
                birth_province: row.try_get("birth_province")?,
                address: row.try_get("residence_address")?,
                municipality: row.try_get("residence_municipality")?,
                province: row.try_get("residence_province")?,
            })
        })
        .collect()
}
