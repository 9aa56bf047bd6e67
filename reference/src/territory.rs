//! The citizens' "Ricerca sede" (seed 002): Regione → Provincia → Comune →
//! Sede, on `ref_regions`, `ref_municipalities` and `ref_sedi`. Every list
//! is bounded by its parent (a region's provinces, a province's
//! municipalities and sedi), so no call returns the whole registry.
//!
//! Regions are the 20 geographic ones (the DCM are INPS's, not the
//! citizen's): a municipality's ISTAT region name ("Friuli-Venezia Giulia",
//! "Valle d'Aosta/Vallée d'Aoste") is matched to `ref_regions.name` on its
//! first official name, dashes read as spaces.

use serde::Serialize;
use sqlx::{PgPool, Row};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlaceRegion {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlaceProvince {
    pub sigla: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlaceMunicipality {
    pub istat_code: String,
    pub name: String,
}

/// A sede where citizens may book: it has at least one active counter other
/// than the patronati's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CitizenSede {
    pub code: String,
    pub name: String,
    pub city: Option<String>,
    pub province: Option<String>,
    pub address: Option<String>,
    /// In the municipality asked for (otherwise another sede of the province).
    pub in_municipality: bool,
    /// The province's competent sede.
    pub competent: bool,
}

const SAME_REGION: &str = "replace(split_part(m.region, '/', 1), '-', ' ') \
                           = replace(r.name, '-', ' ')";

pub async fn list_regions(pool: &PgPool) -> Result<Vec<PlaceRegion>, sqlx::Error> {
    let rows =
        sqlx::query("SELECT code, name FROM ref_regions WHERE kind = 'regione' ORDER BY name")
            .fetch_all(pool)
            .await?;
    rows.iter()
        .map(|r| {
            Ok(PlaceRegion {
                code: r.try_get("code")?,
                name: r.try_get("name")?,
            })
        })
        .collect()
}

/// The provinces of a region (`None` when the region is not one of the 20).
pub async fn list_provinces(
    pool: &PgPool,
    region: &str,
) -> Result<Option<Vec<PlaceProvince>>, sqlx::Error> {
    let known: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM ref_regions WHERE code = $1 AND kind = 'regione')",
    )
    .bind(region)
    .fetch_one(pool)
    .await?;
    if !known {
        return Ok(None);
    }
    let sql = format!(
        "SELECT DISTINCT m.sigla, m.province_name FROM ref_municipalities m \
         JOIN ref_regions r ON {SAME_REGION} WHERE r.code = $1 \
         ORDER BY m.province_name"
    );
    let rows = sqlx::query(&sql).bind(region).fetch_all(pool).await?;
    let provinces = rows
        .iter()
        .map(|r| {
            Ok(PlaceProvince {
                sigla: r.try_get("sigla")?,
                name: r.try_get("province_name")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Some(provinces))
}

/// The municipalities of a province, by name (empty when it has none).
pub async fn list_municipalities(
    pool: &PgPool,
    sigla: &str,
) -> Result<Vec<PlaceMunicipality>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT istat_code, name FROM ref_municipalities WHERE sigla = $1 \
         ORDER BY name COLLATE \"C\", istat_code",
    )
    .bind(sigla)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PlaceMunicipality {
                istat_code: r.try_get("istat_code")?,
                name: r.try_get("name")?,
            })
        })
        .collect()
}

/// The sedi of a province where citizens may book: those of the
/// municipality first (when one is given), then the competent one, then
/// the others by name.
pub async fn citizen_sedi(
    pool: &PgPool,
    sigla: &str,
    municipality: Option<&str>,
) -> Result<Vec<CitizenSede>, sqlx::Error> {
    let rows = sqlx::query(
        "WITH town AS (SELECT name FROM ref_municipalities WHERE istat_code = $2 AND sigla = $1)
         SELECT s.code, s.name, s.city, s.province, s.address,
                coalesce(lower(s.city) = lower((SELECT name FROM town)), false) AS in_town,
                coalesce(p.sede_code = s.code, false) AS competent
         FROM ref_sedi s
         LEFT JOIN ref_provinces p ON p.sigla = s.province
         WHERE s.province = $1 AND s.active
           AND EXISTS (SELECT 1 FROM ref_counters c WHERE c.sede_code = s.code AND c.active
                       AND c.counter_type <> 'servizi_patronati')
         ORDER BY in_town DESC, competent DESC, s.name, s.code
         LIMIT 200",
    )
    .bind(sigla)
    .bind(municipality)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CitizenSede {
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                city: r.try_get("city")?,
                province: r.try_get("province")?,
                address: r.try_get("address")?,
                in_municipality: r.try_get("in_town")?,
                competent: r.try_get("competent")?,
            })
        })
        .collect()
}

/// Is this a province sigla of the list?
pub async fn province_exists(pool: &PgPool, sigla: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM ref_provinces WHERE sigla = $1)")
        .bind(sigla)
        .fetch_one(pool)
        .await
}
