//! Reference look-ups for the front end: citizen identification (with
//! homonyms and omocodia), topic catalogue, sede search and routing suggestion.

use crate::access::{self, Purpose, Subject};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use domain::codice_fiscale::CodiceFiscale;
use domain::ids::{Cap, TopicCode};
use domain::personal::Personal;
use domain::request::CitizenRecord;
use domain::topic::{Topic, TopicAudience};
use reference::{search_sedi, CitizenResidence, PgSedeDirectory, RouteRule, Sede};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/citizens", get(search_citizens))
        .route("/api/v1/topics", get(list_topics))
        .route("/api/v1/sedi", get(list_sedi))
        .route("/api/v1/routing", get(suggest_destination))
}

/// Identify a citizen by codice fiscale, or by surname + name + birth date.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CitizenSearch {
    pub codice_fiscale: Option<String>,
    pub surname: Option<String>,
    pub name: Option<String>,
    pub birth_date: Option<NaiveDate>,
}

/// A person of the registry, as the screens show them ("Nato il … a …
/// (prov.), residente in …", manual fig. 7).
#[derive(Debug, Serialize, ToSchema)]
pub struct CitizenView {
    pub codice_fiscale: String,
    pub surname: String,
    pub name: String,
    pub birth_date: NaiveDate,
    pub birth_place: Option<String>,
    /// Province (sigla) of the place of birth; `EE` when born abroad.
    pub birth_province: Option<String>,
    pub cap: String,
    pub residence: Option<ResidenceView>,
}

/// Where a person lives.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResidenceView {
    pub address: Option<String>,
    pub municipality: Option<String>,
    pub province: Option<String>,
    pub cap: String,
}

impl CitizenView {
    /// A registry record (never erased: the registry is not the log).
    pub(crate) fn new(c: CitizenRecord, residences: &[CitizenResidence]) -> Option<Self> {
        let (Personal::Known(cf), Personal::Known(birth_date)) = (&c.codice_fiscale, c.birth_date)
        else {
            return None;
        };
        let found = residences.iter().find(|r| r.codice_fiscale == cf.as_str());
        let cap = c.cap.to_string();
        Some(Self {
            codice_fiscale: cf.to_string(),
            surname: c.surname,
            name: c.name,
            birth_date,
            birth_place: c.birth_place,
            birth_province: found.and_then(|r| r.birth_province.clone()),
            residence: found.map(|r| ResidenceView {
                address: r.address.clone(),
                municipality: r.municipality.clone(),
                province: r.province.clone(),
                cap: cap.clone(),
            }),
            cap,
        })
    }
}

/// The people found: one, or the candidates of a homonymy/omocodia to choose from.
#[derive(Debug, Serialize, ToSchema)]
pub struct CitizenMatches {
    /// `unique`, `choose` (homonyms or omocodia: pick one) or `none`.
    pub outcome: String,
    pub candidates: Vec<CitizenView>,
}

#[utoipa::path(get, path = "/api/v1/citizens", operation_id = "searchCitizens", tag = "reference",
    security(("bearer" = [])),
    params(CitizenSearch),
    responses((status = 200, body = CitizenMatches),
        (status = 400, body = crate::error::Problem, description = "cf_* or search_incomplete"),
        (status = 403, body = crate::error::Problem)))]
pub async fn search_citizens(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiQuery(q): ApiQuery<CitizenSearch>,
    purpose: Purpose,
) -> Result<Json<CitizenMatches>, ApiError> {
    actor.patronato_user().ok_or(ApiError::Forbidden)?;
    let citizens = app.requests.citizens();
    let found = match (&q.codice_fiscale, &q.surname, &q.name, q.birth_date) {
        (Some(cf), None, None, None) => {
            let cf = CodiceFiscale::parse(cf)
                .map_err(|e| ApiError::bad_request(e.code(), e.to_string()))?;
            citizens.by_codice_fiscale(&cf).await?
        }
        (None, Some(surname), Some(name), Some(birth))
            if !surname.trim().is_empty() && !name.trim().is_empty() =>
        {
            citizens.by_personal_data(surname, name, birth).await?
        }
        _ => {
            return Err(ApiError::bad_request(
                "search_incomplete",
                "Indicare il codice fiscale, oppure cognome, nome e data di nascita",
            ))
        }
    };
    let outcome = match found.len() {
        0 => "none",
        1 => "unique",
        _ => "choose",
    };
    let subjects: Vec<Subject> = found
        .iter()
        .filter_map(|c| c.codice_fiscale.known())
        .map(|cf| Subject::Citizen(app.pseudonyms.citizen(cf)))
        .collect();
    access::record(&app, &actor, &subjects, "searchCitizens", None, &purpose).await?;
    let codes: Vec<_> = found
        .iter()
        .filter_map(|c| c.codice_fiscale.known())
        .collect();
    let residences = reference::residences(&app.pool, &codes).await?;
    Ok(Json(CitizenMatches {
        outcome: outcome.to_string(),
        candidates: found
            .into_iter()
            .filter_map(|c| CitizenView::new(c, &residences))
            .collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TopicView {
    pub code: String,
    pub label: String,
    /// `operator`, `regional_referent` or `both`.
    pub audience: String,
    pub requires_practice_ref: bool,
    pub subtopics: Vec<SubtopicView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubtopicView {
    pub code: String,
    pub label: String,
}

impl From<Topic> for TopicView {
    fn from(t: Topic) -> Self {
        Self {
            code: t.code.to_string(),
            label: t.label,
            audience: match t.audience {
                TopicAudience::Operator => "operator",
                TopicAudience::RegionalReferent => "regional_referent",
                TopicAudience::Both => "both",
            }
            .to_string(),
            requires_practice_ref: t.requires_practice_ref,
            subtopics: t
                .subtopics
                .into_iter()
                .map(|s| SubtopicView {
                    code: s.code.to_string(),
                    label: s.label,
                })
                .collect(),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/topics", operation_id = "listTopics", tag = "reference",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<TopicView>)))]
pub async fn list_topics(
    State(app): State<AppState>,
    _user: AuthUser,
) -> Result<Json<Vec<TopicView>>, ApiError> {
    let topics = app.requests.topics().all().await?;
    Ok(Json(topics.into_iter().map(TopicView::from).collect()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SedeSearch {
    /// Text in the name or the city.
    pub name: Option<String>,
    /// Region code (e.g. `LAZ`, `DCM-RM`).
    pub region: Option<String>,
    /// Province sigla (e.g. `RM`).
    pub province: Option<String>,
    /// At most this many: 1–1000, default 50.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SedeView {
    pub code: String,
    pub name: String,
    /// `direzione_regionale`, `direzione_coordinamento_metropolitano`,
    /// `direzione_provinciale`, `filiale_metropolitana`, `filiale_provinciale`,
    /// `agenzia_complessa`, `agenzia`, `cric`, `polo`.
    pub kind: String,
    pub region: String,
    pub province: Option<String>,
    pub city: Option<String>,
    pub address: Option<String>,
    /// The structure this one depends on.
    pub parent: Option<String>,
    pub active: bool,
    /// Length of a counter appointment slot (8 to 20 minutes).
    pub slot_minutes: u8,
}

impl From<Sede> for SedeView {
    fn from(s: Sede) -> Self {
        Self {
            code: s.code.to_string(),
            name: s.name,
            kind: s.kind.as_str().to_string(),
            region: s.region.to_string(),
            province: s.province,
            city: s.city,
            address: s.address,
            parent: s.parent.map(|p| p.to_string()),
            active: s.active,
            slot_minutes: s.slot_minutes,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/sedi", operation_id = "searchSedi", tag = "reference",
    security(("bearer" = [])),
    params(SedeSearch),
    responses((status = 200, body = Vec<SedeView>)))]
pub async fn list_sedi(
    State(app): State<AppState>,
    _user: AuthUser,
    ApiQuery(q): ApiQuery<SedeSearch>,
) -> Result<Json<Vec<SedeView>>, ApiError> {
    let sedi = search_sedi(
        &app.pool,
        q.name.as_deref(),
        q.region.as_deref(),
        q.province.as_deref(),
        i64::from(crate::paging::limit(q.limit.as_deref(), 50, 1000)?),
    )
    .await?;
    Ok(Json(sedi.into_iter().map(SedeView::from).collect()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RoutingQuery {
    /// The citizen's postcode.
    pub cap: String,
    pub topic: String,
    pub subtopic: Option<String>,
    /// ISTAT (`058091`) or cadastral (`H501`) code of the citizen's
    /// municipality, to choose among the municipalities sharing a CAP.
    pub municipality: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoutingSuggestion {
    /// The suggested sede; the operator may choose another active one.
    pub sede: Option<SedeView>,
    /// How it was chosen: `hub` (the topic belongs to a Polo),
    /// `municipality` (the CAP's municipality and province), `cap_prefix`
    /// (the CAP is not in the municipality list: the CAP-prefix table).
    pub rule: Option<String>,
    /// The sede the CAP leads to before any hub rule.
    pub territorial_sede: Option<String>,
    /// INPS region (a DCM for Milano, Roma, Napoli) and province sigla.
    pub region: Option<String>,
    pub province: Option<String>,
    /// ISTAT code and name of the municipality the CAP was matched to.
    pub municipality: Option<String>,
    pub municipality_name: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/routing", operation_id = "suggestDestination", tag = "reference",
    security(("bearer" = [])),
    params(RoutingQuery),
    responses((status = 200, body = RoutingSuggestion),
        (status = 400, body = crate::error::Problem, description = "invalid_cap, invalid_topic")))]
pub async fn suggest_destination(
    State(app): State<AppState>,
    _user: AuthUser,
    ApiQuery(q): ApiQuery<RoutingQuery>,
) -> Result<Json<RoutingSuggestion>, ApiError> {
    let cap =
        Cap::parse(&q.cap).map_err(|e| ApiError::bad_request("invalid_cap", e.to_string()))?;
    let code = |raw: &str| {
        TopicCode::parse(raw).map_err(|e| ApiError::bad_request("invalid_topic", e.to_string()))
    };
    let topic = code(&q.topic)?;
    let subtopic = q.subtopic.as_deref().map(code).transpose()?;
    let suggested = PgSedeDirectory::new(app.pool.clone())
        .suggest(&cap, q.municipality.as_deref(), &topic, subtopic.as_ref())
        .await?;
    let Some(s) = suggested else {
        return Ok(Json(RoutingSuggestion {
            sede: None,
            rule: None,
            territorial_sede: None,
            region: None,
            province: None,
            municipality: None,
            municipality_name: None,
        }));
    };
    let sede = reference::get_sede(&app.pool, s.sede.as_str())
        .await?
        .map(SedeView::from);
    Ok(Json(RoutingSuggestion {
        sede,
        rule: Some(
            match s.rule {
                RouteRule::Hub => "hub",
                RouteRule::Municipality => "municipality",
                RouteRule::CapPrefix => "cap_prefix",
            }
            .to_string(),
        ),
        territorial_sede: Some(s.territorial_sede.to_string()),
        region: Some(s.region.to_string()),
        province: s.province,
        municipality: s.municipality,
        municipality_name: s.municipality_name,
    }))
}
