//! Statistics (SPEC §2.7): the indicators per user, office, patronato, sede or
//! region, as JSON or CSV, and the per-region table of seed 003. Scoped by
//! role: patronato users see themselves and their office (administrators the
//! whole patronato), sede officers their sede, analysts everything. Meaning of
//! every number: docs/analytics.md.

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::routes::queries::reader;
use crate::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use domain::actor::Actor;
use projections::statistics::{
    self as stats, Dimension, Indicators, PercentileMethod, RegionTotals, StatisticsQuery,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

mod csv;

use csv::*;
pub use csv::{INDICATORS_CSV_HEADER, REGIONS_CSV_HEADER};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/statistics", get(get_statistics))
        .route("/api/v1/statistics/export", get(export_statistics))
        .route("/api/v1/statistics/regions", get(get_regional_totals))
}

/// The CSV field separator (Italian spreadsheets read `;`; decimals use `.`).
pub const CSV_SEPARATOR: char = ';';

#[derive(Debug, Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatisticsParams {
    /// Topic code (e.g. `requisiti_accesso`); all topics when absent.
    pub topic: Option<String>,
    /// Sub-topic (benefit) code, e.g. `naspi`.
    pub subtopic: Option<String>,
    /// First day of SENDING (Europe/Rome), inclusive.
    pub from: Option<NaiveDate>,
    /// Last day of sending (Europe/Rome), inclusive.
    pub to: Option<NaiveDate>,
    /// `user`, `office`, `patronato`, `sede` or `region`. Default: `user` for
    /// operators and referents, `patronato` for administrators, `sede` for sede
    /// officers, `region` for analysts (who may not ask for `user`: people).
    pub dimension: Option<String>,
    /// One key of the dimension (user id, office, patronato, sede or region
    /// code). Default: the caller's own for scoped roles; every key otherwise.
    pub value: Option<String>,
    /// `auto` (default: exact up to 50,000 replied requests), `exact`, `histogram`.
    pub percentiles: Option<String>,
    /// Wait until the statistics include this global position.
    pub min_position: Option<i64>,
}

/// The indicators of the question asked, one row per key.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatisticsView {
    pub dimension: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subtopic: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<NaiveDate>,
    /// The instant `overdue` is measured at (the service's clock).
    pub as_of: DateTime<Utc>,
    pub rows: Vec<Indicators>,
}

/// Which rows a caller may see for the dimension asked.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Scope {
    dimension: Dimension,
    key: Option<String>,
    patronato: Option<String>,
}

/// Parses the dimension asked; the rule of who sees what is the domain's
/// ([`domain::access::statistics_scope`]).
fn scope(actor: &Actor, dimension: Option<&str>, value: Option<&str>) -> Result<Scope, ApiError> {
    use domain::access::StatisticsDimension as D;
    let asked = dimension
        .map(|d| {
            Dimension::parse(d).ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_dimension",
                    format!("Dimensione sconosciuta: {d} (user, office, patronato, sede, region)"),
                )
            })
        })
        .transpose()?
        .map(|d| match d {
            Dimension::User => D::User,
            Dimension::Office => D::Office,
            Dimension::Patronato => D::Patronato,
            Dimension::Sede => D::Sede,
            Dimension::Region => D::Region,
        });
    let seen = domain::access::statistics_scope(actor, asked, value)?;
    Ok(Scope {
        dimension: match seen.dimension {
            D::User => Dimension::User,
            D::Office => Dimension::Office,
            D::Patronato => Dimension::Patronato,
            D::Sede => Dimension::Sede,
            D::Region => Dimension::Region,
        },
        key: seen.key,
        patronato: seen.patronato,
    })
}

fn code_param(raw: Option<&str>, name: &str) -> Result<Option<String>, ApiError> {
    let Some(v) = raw.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let ok = v.len() <= 64
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(Some(v.to_string()))
    } else {
        Err(ApiError::bad_request(
            "invalid_query",
            format!("Codice non valido per {name}: {v}"),
        ))
    }
}

fn date_range(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<(), ApiError> {
    match (from, to) {
        (Some(f), Some(t)) if f > t => Err(ApiError::bad_request(
            "invalid_date_range",
            "La data iniziale è successiva alla data finale",
        )),
        _ => Ok(()),
    }
}

async fn compute(
    app: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    p: &StatisticsParams,
) -> Result<StatisticsView, ApiError> {
    let scope = scope(actor, p.dimension.as_deref(), p.value.as_deref())?;
    date_range(p.from, p.to)?;
    let method = match p.percentiles.as_deref() {
        None => PercentileMethod::Auto,
        Some(m) => PercentileMethod::parse(m).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_query",
                format!("Metodo dei percentili sconosciuto: {m} (auto, exact, histogram)"),
            )
        })?,
    };
    let topic = code_param(p.topic.as_deref(), "topic")?;
    let subtopic = code_param(p.subtopic.as_deref(), "subtopic")?;
    let db = reader(app, headers, p.min_position, &[stats::NAME]).await?;
    let now = app.clock.now();
    let q = StatisticsQuery {
        dimension: scope.dimension,
        key: scope.key.clone(),
        patronato: scope.patronato,
        topic: topic.clone(),
        subtopic: subtopic.clone(),
        from: p.from,
        to: p.to,
        now,
        method,
    };
    let mut rows = stats::indicators(db, &q)
        .await
        .map_err(ApiError::internal)?;
    // Patronati and offices are named in the directory, not in the database.
    for r in rows.iter_mut().filter(|r| r.label.is_none()) {
        r.label = match scope.dimension {
            Dimension::Patronato => app.directory.patronato_name(&r.key),
            Dimension::Office => app.directory.office_name(&r.key),
            _ => None,
        }
        .map(str::to_string);
    }
    Ok(StatisticsView {
        dimension: scope.dimension.as_str().to_string(),
        value: scope.key,
        topic,
        subtopic,
        from: p.from,
        to: p.to,
        as_of: now,
        rows,
    })
}

#[utoipa::path(get, path = "/api/v1/statistics", operation_id = "getStatistics", tag = "statistics",
    security(("bearer" = [])),
    params(StatisticsParams),
    responses((status = 200, body = StatisticsView),
        (status = 400, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem, description = "dimension not allowed for the role"),
        (status = 404, body = crate::error::Problem, description = "value outside the caller's scope"),
        (status = 503, body = crate::error::Problem, description = "read_model_lagging")))]
pub async fn get_statistics(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<StatisticsParams>,
) -> Result<Json<StatisticsView>, ApiError> {
    Ok(Json(compute(&app, &actor, &headers, &params).await?))
}

#[utoipa::path(get, path = "/api/v1/statistics/export", operation_id = "exportStatistics", tag = "statistics",
    security(("bearer" = [])),
    params(StatisticsParams),
    responses((status = 200, description = "CSV, `;`-separated, UTF-8, one row per key", content_type = "text/csv"),
        (status = 400, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)))]
pub async fn export_statistics(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<StatisticsParams>,
) -> Result<Response, ApiError> {
    let view = compute(&app, &actor, &headers, &params).await?;
    Ok(csv_response(indicators_csv(&view), "statistiche.csv"))
}

#[derive(Debug, Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RegionalParams {
    /// First day (Europe/Rome) of the events counted, inclusive.
    pub from: Option<NaiveDate>,
    /// Last day, inclusive.
    pub to: Option<NaiveDate>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
    pub min_position: Option<i64>,
}

/// Seed 003's table: requests per region, in/out, and the national total.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegionalTotalsView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<NaiveDate>,
    /// The 20 regioni (by name), then DCM Milano, Napoli, Roma.
    pub rows: Vec<RegionTotals>,
    /// "Italia".
    pub total: RegionTotals,
}

#[utoipa::path(get, path = "/api/v1/statistics/regions", operation_id = "getRegionalTotals", tag = "statistics",
    security(("bearer" = [])),
    params(RegionalParams),
    responses((status = 200, body = RegionalTotalsView,
            description = "JSON, or with format=csv a `;`-separated CSV (text/csv)"),
        (status = 400, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem, description = "analysts only")))]
pub async fn get_regional_totals(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<RegionalParams>,
) -> Result<Response, ApiError> {
    if !matches!(actor, Actor::Analyst { .. }) {
        return Err(ApiError::Forbidden);
    }
    date_range(params.from, params.to)?;
    let csv = match params.format.as_deref().unwrap_or("json") {
        "json" => false,
        "csv" => true,
        other => {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("Formato sconosciuto: {other} (json, csv)"),
            ))
        }
    };
    let db = reader(&app, &headers, params.min_position, &[stats::NAME]).await?;
    let rows = stats::regional_totals(db, params.from, params.to)
        .await
        .map_err(ApiError::internal)?;
    let total = stats::national_total(&rows);
    let view = RegionalTotalsView {
        from: params.from,
        to: params.to,
        rows,
        total,
    };
    if csv {
        Ok(csv_response(
            regions_csv(&view),
            "richieste_per_regione.csv",
        ))
    } else {
        Ok(Json(view).into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::actor::PatronatoRole;
    use domain::ids::{OfficeId, PatronatoId, SedeCode, UserId};

    fn operator(role: PatronatoRole) -> Actor {
        Actor::Patronato(domain::actor::PatronatoUser {
            id: UserId::parse("op.rossi").unwrap(),
            role,
            patronato: PatronatoId::parse("INCA").unwrap(),
            office: OfficeId::parse("INCA-RM01").unwrap(),
            region: None,
        })
    }

    #[test]
    fn each_role_sees_its_own_scope() {
        let op = operator(PatronatoRole::Operator);
        assert_eq!(
            scope(&op, None, None).unwrap().key.as_deref(),
            Some("op.rossi")
        );
        assert_eq!(
            scope(&op, Some("office"), None).unwrap().key.as_deref(),
            Some("INCA-RM01")
        );
        assert!(matches!(
            scope(&op, Some("user"), Some("op.ferri")),
            Err(ApiError::NotFound)
        ));
        assert!(matches!(
            scope(&op, Some("sede"), None),
            Err(ApiError::Forbidden)
        ));
        assert!(matches!(
            scope(&op, Some("patronato"), None),
            Err(ApiError::Forbidden)
        ));
        let admin = operator(PatronatoRole::Admin);
        let s = scope(&admin, Some("office"), None).unwrap();
        assert_eq!((s.key, s.patronato.as_deref()), (None, Some("INCA")));
        let officer = Actor::Sede(domain::actor::SedeOfficer {
            id: UserId::parse("uff.bianchi").unwrap(),
            sede: SedeCode::parse("3201").unwrap(),
        });
        assert_eq!(
            scope(&officer, None, None).unwrap().key.as_deref(),
            Some("3201")
        );
        assert!(matches!(
            scope(&officer, None, Some("3202")),
            Err(ApiError::NotFound)
        ));
        let auditor = Actor::Auditor {
            id: UserId::parse("aud").unwrap(),
        };
        assert!(matches!(
            scope(&auditor, None, None),
            Err(ApiError::Forbidden)
        ));
        let analyst = Actor::Analyst {
            id: UserId::parse("ana").unwrap(),
        };
        assert_eq!(
            scope(&analyst, None, None).unwrap().dimension,
            Dimension::Region
        );
        assert!(matches!(
            scope(&analyst, Some("user"), None),
            Err(ApiError::Forbidden)
        ));
    }

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(field("a;b"), "\"a;b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(field("Valle d’Aosta"), "Valle d’Aosta");
    }
}
