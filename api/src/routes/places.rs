//! "Ricerca sede" of the citizens' booking app (seed 002, issue 25):
//! Regione → Provincia → Comune → Sede, public (no token). Each list is
//! bounded by its parent and every call counts against the client's hourly
//! quota (`admit_public_read`), so an anonymous caller cannot page the
//! registry at speed. The SQL is `reference::territory`.

use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::routes::bookings::anonymous::{admit_public_read, ClientIp};
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use reference::sportelli::web_meeting_offered;
use reference::territory;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/places/regions", get(list_regions))
        .route(
            "/api/v1/places/regions/{region}/provinces",
            get(list_provinces),
        )
        .route(
            "/api/v1/places/provinces/{province}/municipalities",
            get(list_municipalities),
        )
        .route(
            "/api/v1/places/provinces/{province}/sedi",
            get(list_citizen_sedi),
        )
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegionItem {
    /// INPS code of the region (`LAZ`).
    pub code: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProvinceItem {
    /// `RM`
    pub sigla: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MunicipalityItem {
    /// ISTAT code (`058091`).
    pub istat_code: String,
    pub name: String,
}

/// A sede where citizens may book a counter.
#[derive(Debug, Serialize, ToSchema)]
pub struct CitizenSedeItem {
    pub code: String,
    pub name: String,
    pub city: Option<String>,
    pub province: Option<String>,
    pub address: Option<String>,
    /// In the municipality asked for; otherwise another sede of the province.
    pub in_municipality: bool,
    /// The province's competent sede.
    pub competent: bool,
    /// The sede pilots the web meeting (seed 002: Napoli, Rovigo, Veneto).
    pub web_meeting: bool,
}

fn region_code(raw: &str) -> Result<String, ApiError> {
    let code = raw.trim().to_ascii_uppercase();
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(code)
    } else {
        Err(ApiError::bad_request(
            "invalid_region",
            "Il codice della regione non è valido (tre lettere, es. LAZ)",
        ))
    }
}

fn province_sigla(raw: &str) -> Result<String, ApiError> {
    let sigla = raw.trim().to_ascii_uppercase();
    if sigla.len() == 2 && sigla.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(sigla)
    } else {
        Err(ApiError::bad_request(
            "invalid_province",
            "La sigla della provincia non è valida (due lettere, es. RM)",
        ))
    }
}

async fn known_province(app: &AppState, sigla: &str) -> Result<(), ApiError> {
    if territory::province_exists(&app.pool, sigla).await? {
        Ok(())
    } else {
        Err(ApiError::Missing {
            code: "province_not_found",
            detail: "La provincia indicata non esiste".into(),
        })
    }
}

#[utoipa::path(get, path = "/api/v1/places/regions", operation_id = "listPlaceRegions", tag = "places",
    responses((status = 200, body = Vec<RegionItem>),
        (status = 429, body = crate::error::Problem, description = "too_many_public_reads")))]
pub async fn list_regions(
    State(app): State<AppState>,
    ClientIp(client): ClientIp,
) -> Result<Json<Vec<RegionItem>>, ApiError> {
    admit_public_read(&app, client)?;
    let regions = territory::list_regions(&app.pool).await?;
    Ok(Json(
        regions
            .into_iter()
            .map(|r| RegionItem {
                code: r.code,
                name: r.name,
            })
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/places/regions/{region}/provinces", operation_id = "listPlaceProvinces", tag = "places",
    params(("region" = String, Path, description = "INPS code of the region, e.g. LAZ")),
    responses((status = 200, body = Vec<ProvinceItem>),
        (status = 400, body = crate::error::Problem, description = "invalid_region"),
        (status = 404, body = crate::error::Problem, description = "region_not_found"),
        (status = 429, body = crate::error::Problem, description = "too_many_public_reads")))]
pub async fn list_provinces(
    State(app): State<AppState>,
    ClientIp(client): ClientIp,
    ApiPath(region): ApiPath<String>,
) -> Result<Json<Vec<ProvinceItem>>, ApiError> {
    let region = region_code(&region)?;
    admit_public_read(&app, client)?;
    let provinces = territory::list_provinces(&app.pool, &region)
        .await?
        .ok_or_else(|| ApiError::Missing {
            code: "region_not_found",
            detail: "La regione indicata non esiste".into(),
        })?;
    Ok(Json(
        provinces
            .into_iter()
            .map(|p| ProvinceItem {
                sigla: p.sigla,
                name: p.name,
            })
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/places/provinces/{province}/municipalities", operation_id = "listPlaceMunicipalities", tag = "places",
    params(("province" = String, Path, description = "Province sigla, e.g. RM")),
    responses((status = 200, body = Vec<MunicipalityItem>),
        (status = 400, body = crate::error::Problem, description = "invalid_province"),
        (status = 404, body = crate::error::Problem, description = "province_not_found"),
        (status = 429, body = crate::error::Problem, description = "too_many_public_reads")))]
pub async fn list_municipalities(
    State(app): State<AppState>,
    ClientIp(client): ClientIp,
    ApiPath(province): ApiPath<String>,
) -> Result<Json<Vec<MunicipalityItem>>, ApiError> {
    let sigla = province_sigla(&province)?;
    admit_public_read(&app, client)?;
    known_province(&app, &sigla).await?;
    let towns = territory::list_municipalities(&app.pool, &sigla).await?;
    Ok(Json(
        towns
            .into_iter()
            .map(|m| MunicipalityItem {
                istat_code: m.istat_code,
                name: m.name,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CitizenSediParams {
    /// ISTAT code of the municipality (six digits): its sedi come first.
    pub municipality: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/places/provinces/{province}/sedi", operation_id = "listCitizenSedi", tag = "places",
    params(("province" = String, Path, description = "Province sigla, e.g. RM"), CitizenSediParams),
    responses((status = 200, body = Vec<CitizenSedeItem>),
        (status = 400, body = crate::error::Problem, description = "invalid_province, invalid_municipality"),
        (status = 404, body = crate::error::Problem, description = "province_not_found"),
        (status = 429, body = crate::error::Problem, description = "too_many_public_reads")))]
pub async fn list_citizen_sedi(
    State(app): State<AppState>,
    ClientIp(client): ClientIp,
    ApiPath(province): ApiPath<String>,
    ApiQuery(q): ApiQuery<CitizenSediParams>,
) -> Result<Json<Vec<CitizenSedeItem>>, ApiError> {
    let sigla = province_sigla(&province)?;
    let municipality = q
        .municipality
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(|m| {
            if m.len() == 6 && m.bytes().all(|b| b.is_ascii_digit()) {
                Ok(m.to_string())
            } else {
                Err(ApiError::bad_request(
                    "invalid_municipality",
                    "Il codice ISTAT del comune non è valido (sei cifre, es. 058091)",
                ))
            }
        })
        .transpose()?;
    admit_public_read(&app, client)?;
    known_province(&app, &sigla).await?;
    let sedi = territory::citizen_sedi(&app.pool, &sigla, municipality.as_deref()).await?;
    Ok(Json(
        sedi.into_iter()
            .map(|s| CitizenSedeItem {
                web_meeting: web_meeting_offered(s.province.as_deref()),
                code: s.code,
                name: s.name,
                city: s.city,
                province: s.province,
                address: s.address,
                in_municipality: s.in_municipality,
                competent: s.competent,
            })
            .collect(),
    ))
}
