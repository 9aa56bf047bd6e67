//! [`SedeDirectory`] on `ref_sedi`, `ref_cap_routes` and `ref_topic_hubs`,
//! and the sede and region look-ups the HTTP layer exposes.

use super::error::decode_err;
use super::model::{Region, RegionKind, Sede, SedeKind};
use async_trait::async_trait;
use commands::ports::{PortResult, SedeDirectory};
use domain::ids::{Cap, IdError, RegionCode, SedeCode, TopicCode};
use domain::request::SedeLookup;
use serde::Serialize;
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};

#[derive(Debug, Clone)]
pub struct PgSedeDirectory {
    pool: PgPool,
}

impl PgSedeDirectory {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

/// Why a destination was suggested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteRule {
    /// The topic or sub-topic belongs to a Polo.
    Hub,
    /// The CAP is a municipality's: its province's sede, or a sede of the
    /// same province that serves the CAP (an agenzia, a district of a city).
    Municipality,
    /// The CAP is not in the municipality list (or the list is not loaded):
    /// the sede of its longest prefix in `cap_routes.json`.
    CapPrefix,
}

/// A routing suggestion and how it was reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteSuggestion {
    /// The suggested destination.
    pub sede: SedeCode,
    pub rule: RouteRule,
    /// The sede the CAP leads to before any hub rule.
    pub territorial_sede: SedeCode,
    /// INPS region of the CAP (a DCM for Milano, Roma, Napoli).
    pub region: RegionCode,
    /// Province sigla of the municipality (or of the prefix's sede).
    pub province: Option<String>,
    /// ISTAT code and name of the municipality the CAP was matched to.
    pub municipality: Option<String>,
    pub municipality_name: Option<String>,
    /// The topic or sub-topic whose hub was chosen.
    pub hub_topic: Option<TopicCode>,
}

impl PgSedeDirectory {
    /// The competent sede for a CAP, a topic and its sub-topic (benefit).
    ///
    /// 1. Territory. If the CAP belongs to municipalities of the loaded
    ///    ISTAT list, the province is theirs (`municipality`, an ISTAT or
    ///    cadastral code, picks among several; otherwise the province with
    ///    the most inhabitants on that CAP wins) and the sede is the one of
    ///    the longest CAP prefix when it is an active sede of that province
    ///    (an agenzia, a district), else the province's competent sede
    ///    (`ref_provinces`). Otherwise the longest CAP prefix decides.
    /// 2. Hubs. The sub-topic's hub, then the topic's: a row for the
    ///    province first, then for the region, then the national one.
    pub async fn suggest(
        &self,
        cap: &Cap,
        municipality: Option<&str>,
        topic: &TopicCode,
        subtopic: Option<&TopicCode>,
    ) -> PortResult<Option<RouteSuggestion>> {
        let row = sqlx::query(
            "WITH m AS (
                 SELECT istat_code, name, sigla, population,
                        coalesce(istat_code = $3 OR cadastral_code = upper($3), false) AS hinted
                 FROM ref_municipalities WHERE caps @> ARRAY[$1::text]
             ), chosen AS (
                 SELECT sigla FROM m GROUP BY sigla
                 ORDER BY bool_or(hinted) DESC, sum(population) DESC, sigla LIMIT 1
             ), town AS (
                 SELECT m.istat_code, m.name FROM m JOIN chosen USING (sigla)
                 ORDER BY m.hinted DESC, m.population DESC, m.istat_code LIMIT 1
             ), by_prefix AS (
                 SELECT s.code, s.province, s.region_code
                 FROM ref_cap_routes r JOIN ref_sedi s ON s.code = r.sede_code AND s.active
                 WHERE r.cap_prefix = ANY($2)
                 ORDER BY length(r.cap_prefix) DESC LIMIT 1
             )
             SELECT c.sigla, t.istat_code, t.name AS town,
                    ps.code AS province_sede, p.region_code AS province_region,
                    b.code AS prefix_sede, b.province AS prefix_province,
                    b.region_code AS prefix_region
             FROM (SELECT 1) AS one
             LEFT JOIN chosen c ON true
             LEFT JOIN town t ON true
             LEFT JOIN ref_provinces p ON p.sigla = c.sigla
             LEFT JOIN ref_sedi ps ON ps.code = p.sede_code AND ps.active
             LEFT JOIN by_prefix b ON true",
        )
        .bind(cap.as_str())
        .bind(prefixes(cap))
        .bind(municipality.map(str::trim))
        .fetch_one(&self.pool)
        .await?;
        let sigla: Option<String> = row.try_get("sigla")?;
        let province_sede: Option<String> = row.try_get("province_sede")?;
        let prefix_sede: Option<String> = row.try_get("prefix_sede")?;
        let prefix_province: Option<String> = row.try_get("prefix_province")?;
        let (territorial, rule, region, province, municipality, municipality_name) =
            match (sigla, province_sede) {
                (Some(sigla), Some(province_sede)) => {
                    let sede = match prefix_sede {
                        Some(s) if prefix_province.as_deref() == Some(sigla.as_str()) => s,
                        _ => province_sede,
                    };
                    (
                        sede,
                        RouteRule::Municipality,
                        row.try_get::<String, _>("province_region")?,
                        Some(sigla),
                        row.try_get("istat_code")?,
                        row.try_get("town")?,
                    )
                }
                _ => match prefix_sede {
                    Some(sede) => (
                        sede,
                        RouteRule::CapPrefix,
                        row.try_get::<String, _>("prefix_region")?,
                        prefix_province,
                        None,
                        None,
                    ),
                    None => return Ok(None),
                },
            };
        let territorial = SedeCode::parse(&territorial).map_err(decode_err)?;
        let region = RegionCode::parse(&region).map_err(decode_err)?;

        let codes: Vec<&str> = subtopic
            .into_iter()
            .chain([topic])
            .map(|c| c.as_str())
            .collect();
        let hub = sqlx::query(
            "SELECT h.sede_code, h.topic_code
             FROM ref_topic_hubs h JOIN ref_sedi s ON s.code = h.sede_code AND s.active
             WHERE h.topic_code = ANY($1)
               AND (h.region_code IS NULL OR h.region_code = $2)
               AND (h.province IS NULL OR h.province = $3)
             ORDER BY array_position($1, h.topic_code), h.province IS NULL,
                      h.region_code IS NULL
             LIMIT 1",
        )
        .bind(&codes)
        .bind(region.as_str())
        .bind(province.as_deref())
        .fetch_optional(&self.pool)
        .await?;
        let (sede, rule, hub_topic) = match hub {
            Some(h) => (
                sede_code(&h, "sede_code")?,
                RouteRule::Hub,
                Some(TopicCode::parse(h.try_get("topic_code")?).map_err(decode_err)?),
            ),
            None => (territorial.clone(), rule, None),
        };
        Ok(Some(RouteSuggestion {
            sede,
            rule,
            territorial_sede: territorial,
            region,
            province,
            municipality,
            municipality_name,
            hub_topic,
        }))
    }

    /// [`SedeDirectory::route`] for a topic and its sub-topic: the sede of
    /// [`suggest`](Self::suggest) without a municipality hint.
    pub async fn route_topic(
        &self,
        cap: &Cap,
        topic: &TopicCode,
        subtopic: Option<&TopicCode>,
    ) -> PortResult<Option<SedeCode>> {
        Ok(self
            .suggest(cap, None, topic, subtopic)
            .await?
            .map(|s| s.sede))
    }
}

/// The prefixes of a CAP, longest first: `00184`, `0018`, `001`, `00`, `0`.
fn prefixes(cap: &Cap) -> Vec<String> {
    let s = cap.as_str();
    (1..=s.len()).rev().map(|n| s[..n].to_string()).collect()
}

fn sede_code(row: &PgRow, column: &str) -> Result<SedeCode, sqlx::Error> {
    SedeCode::parse(row.try_get(column)?).map_err(decode_err)
}

#[async_trait]
impl SedeDirectory for PgSedeDirectory {
    /// A code that does not parse as a sede code is `Unknown`.
    async fn lookup(&self, code: &str) -> PortResult<SedeLookup> {
        let Ok(code) = SedeCode::parse(code) else {
            return Ok(SedeLookup::Unknown);
        };
        let active: Option<bool> =
            sqlx::query_scalar("SELECT active FROM ref_sedi WHERE code = $1")
                .bind(code.as_str())
                .fetch_optional(&self.pool)
                .await?;
        Ok(match active {
            Some(true) => SedeLookup::Active(code),
            Some(false) => SedeLookup::Inactive(code),
            None => SedeLookup::Unknown,
        })
    }

    /// See [`PgSedeDirectory::suggest`]: the hub of the sub-topic or topic
    /// for the CAP's province or region, else the national one, else the
    /// CAP's territorial sede.
    async fn route(
        &self,
        cap: &Cap,
        topic: &TopicCode,
        subtopic: Option<&TopicCode>,
    ) -> PortResult<Option<SedeCode>> {
        self.route_topic(cap, topic, subtopic).await
    }

    /// The region's active CRIC (the lowest code, should there be several).
    async fn cric_of(&self, region: &RegionCode) -> PortResult<Option<SedeCode>> {
        let row = sqlx::query(
            "SELECT code FROM ref_sedi
             WHERE region_code = $1 AND kind = 'cric' AND active
             ORDER BY code LIMIT 1",
        )
        .bind(region.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| sede_code(&r, "code")).transpose()
    }
}

const SEDE_COLUMNS: &str =
    "code, name, kind, region_code, province, city, address, parent_code, active, slot_minutes";

fn sede(row: &PgRow) -> Result<Sede, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    let parent: Option<String> = row.try_get("parent_code")?;
    Ok(Sede {
        code: sede_code(row, "code")?,
        name: row.try_get("name")?,
        kind: SedeKind::parse(&kind).ok_or_else(|| decode_err(IdError::Code(kind)))?,
        region: RegionCode::parse(row.try_get("region_code")?).map_err(decode_err)?,
        province: row.try_get("province")?,
        city: row.try_get("city")?,
        address: row.try_get("address")?,
        parent: parent
            .map(|p| SedeCode::parse(&p))
            .transpose()
            .map_err(decode_err)?,
        active: row.try_get("active")?,
        slot_minutes: u8::try_from(row.try_get::<i32, _>("slot_minutes")?).map_err(decode_err)?,
        caps: Vec::new(),
    })
}

/// `%` and `_` are literal in a search text.
fn like_pattern(text: &str) -> String {
    let escaped = text
        .trim()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Sedi whose name or city contains `name_contains` (case-insensitive), in
/// `region` and `province` (sigla) when given; active ones first, then by
/// name. At most `limit` (capped at 1,000).
pub async fn search_sedi(
    pool: &PgPool,
    name_contains: Option<&str>,
    region: Option<&str>,
    province: Option<&str>,
    limit: i64,
) -> Result<Vec<Sede>, sqlx::Error> {
    let sql = format!(
        "SELECT {SEDE_COLUMNS} FROM ref_sedi
         WHERE ($1::text IS NULL OR name ILIKE $1 OR city ILIKE $1)
           AND ($2::text IS NULL OR region_code = $2)
           AND ($3::text IS NULL OR province = upper($3))
         ORDER BY active DESC, name, code
         LIMIT $4"
    );
    sqlx::query(&sql)
        .bind(
            name_contains
                .filter(|t| !t.trim().is_empty())
                .map(like_pattern),
        )
        .bind(region.map(str::trim))
        .bind(province.map(str::trim))
        .bind(limit.clamp(0, 1000))
        .fetch_all(pool)
        .await?
        .iter()
        .map(sede)
        .collect()
}

/// One sede by code (`None` when unknown or not a sede code).
pub async fn get_sede(pool: &PgPool, code: &str) -> Result<Option<Sede>, sqlx::Error> {
    let Ok(code) = SedeCode::parse(code) else {
        return Ok(None);
    };
    let sql = format!("SELECT {SEDE_COLUMNS} FROM ref_sedi WHERE code = $1");
    sqlx::query(&sql)
        .bind(code.as_str())
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(sede)
        .transpose()
}

/// Every region: the regional directorates by name, then the DCM by name.
pub async fn list_regions(pool: &PgPool) -> Result<Vec<Region>, sqlx::Error> {
    sqlx::query("SELECT code, name, kind, istat_code FROM ref_regions ORDER BY kind = 'dcm', name")
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| {
            let kind: String = row.try_get("kind")?;
            Ok(Region {
                code: RegionCode::parse(row.try_get("code")?).map_err(decode_err)?,
                name: row.try_get("name")?,
                kind: RegionKind::parse(&kind).ok_or_else(|| decode_err(IdError::Code(kind)))?,
                istat: row.try_get("istat_code")?,
            })
        })
        .collect()
}
