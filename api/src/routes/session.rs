//! Who is signed in (`GET /me`), the regional referent's choice of profile, the
//! development sign-in with the demo users, and signed download links.

use crate::auth::{AuthSession, Claims, ISSUER};
use crate::directory::{role_label, DemoUser};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::links::{self, LinkTarget};
use crate::state::AppState;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use domain::actor::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me", get(get_me))
        .route("/api/v1/me/profile", post(choose_profile))
        .route("/api/v1/links", post(create_download_link))
        .route("/api/v1/dev/users", get(list_demo_users))
        .route("/api/v1/dev/session", post(create_demo_session))
}

/// A code with the name people know it by.
#[derive(Debug, Serialize, ToSchema)]
pub struct Named {
    pub code: String,
    pub name: String,
}

/// A profile the caller may work with ("Scelta del profilo").
#[derive(Debug, Serialize, ToSchema)]
pub struct Profile {
    /// The role this profile acts with (`operator`, `regional_referent`, …).
    pub id: String,
    pub label: String,
}

/// The signed-in caller, named for the screens.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub id: String,
    pub display_name: Option<String>,
    /// `operator`, `patronato_admin`, `regional_referent`, `sede_officer`,
    /// `auditor`, `analyst` or `citizen`.
    pub role: String,
    pub role_label: String,
    pub patronato: Option<Named>,
    pub office: Option<Named>,
    pub region: Option<Named>,
    pub sede: Option<Named>,
    /// A citizen's own codice fiscale.
    pub codice_fiscale: Option<String>,
    /// The profiles the caller may choose from (more than one only for a
    /// regional referent, manual §4.1); `active_profile` is one of them.
    pub profiles: Vec<Profile>,
    pub active_profile: String,
    /// When this session ends.
    pub expires_at: DateTime<Utc>,
}

#[utoipa::path(get, path = "/api/v1/me", operation_id = "getMe", tag = "session",
    security(("bearer" = [])),
    responses((status = 200, body = Me),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_me(
    State(app): State<AppState>,
    session: AuthSession,
) -> Result<Json<Me>, ApiError> {
    let c = &session.claims;
    let named_office = |code: &Option<String>, find: &dyn Fn(&str) -> Option<String>| {
        code.as_ref().map(|code| Named {
            name: find(code).unwrap_or_else(|| code.clone()),
            code: code.clone(),
        })
    };
    let dir = app.directory.clone();
    let patronato = named_office(&c.patronato, &|code| {
        dir.patronato_name(code).map(str::to_string)
    });
    let office = named_office(&c.office, &|code| dir.office_name(code).map(str::to_string));
    let region = match &c.region {
        Some(code) => {
            let regions = reference::list_regions(&app.read_pool)
                .await
                .map_err(ApiError::internal)?;
            let name = regions
                .iter()
                .find(|r| r.code.as_str() == code)
                .map(|r| r.name.clone());
            Some(Named {
                name: name.unwrap_or_else(|| code.clone()),
                code: code.clone(),
            })
        }
        None => None,
    };
    let sede = match &c.sede {
        Some(code) => {
            let found = reference::get_sede(&app.read_pool, code)
                .await
                .map_err(ApiError::internal)?;
            Some(Named {
                name: found.map(|s| s.name).unwrap_or_else(|| code.clone()),
                code: code.clone(),
            })
        }
        None => None,
    };
    let profiles = profiles_of(c, office.as_ref(), region.as_ref());
    Ok(Json(Me {
        id: c.sub.clone(),
        display_name: c.name.clone(),
        role: c.role.as_str().to_string(),
        role_label: role_label(c.role).to_string(),
        codice_fiscale: (c.role == Role::Citizen).then(|| c.sub.clone()),
        active_profile: c.role.as_str().to_string(),
        expires_at: DateTime::from_timestamp(c.exp, 0).unwrap_or_else(Utc::now),
        patronato,
        office,
        region,
        sede,
        profiles,
    }))
}

/// A regional referent works either as referent of the region or as an
/// operator of their office; every other role has one profile.
fn profiles_of(c: &Claims, office: Option<&Named>, region: Option<&Named>) -> Vec<Profile> {
    let referent_region = match (c.role, &c.region) {
        (Role::RegionalReferent, Some(_)) => region,
        _ => None,
    };
    let mut profiles = vec![];
    if let Some(region) = referent_region {
        profiles.push(Profile {
            id: Role::RegionalReferent.as_str().into(),
            label: format!("Referente regionale – {}", region.name),
        });
        if let Some(office) = office {
            profiles.push(Profile {
                id: Role::Operator.as_str().into(),
                label: format!("Operatore – {}", office.name),
            });
        }
    } else {
        profiles.push(Profile {
            id: c.role.as_str().into(),
            label: role_label(c.role).into(),
        });
    }
    profiles
}

/// A new session token for the chosen profile.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileChoice {
    /// One of `profiles[].id` of `GET /me`.
    pub profile: String,
}

/// A session token and when it ends.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

#[utoipa::path(post, path = "/api/v1/me/profile", operation_id = "chooseProfile", tag = "session",
    security(("bearer" = [])),
    request_body = ProfileChoice,
    responses((status = 200, body = SessionToken),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json",
            description = "profile_not_available")))]
pub async fn choose_profile(
    State(app): State<AppState>,
    session: AuthSession,
    ApiJson(choice): ApiJson<ProfileChoice>,
) -> Result<Json<SessionToken>, ApiError> {
    let mut claims = session.claims;
    // The region stays in the claims: it is what lets the operator profile
    // come back to the referent one.
    let allowed = match (claims.role, choice.profile.as_str(), &claims.region) {
        (role, chosen, _) if role.as_str() == chosen => true,
        (Role::RegionalReferent | Role::Operator, "operator" | "regional_referent", Some(_)) => {
            true
        }
        _ => false,
    };
    if !allowed {
        return Err(ApiError::Unprocessable {
            code: "profile_not_available",
            detail: "Il profilo scelto non è disponibile per l'utente".into(),
        });
    }
    claims.role = match choice.profile.as_str() {
        "operator" => Role::Operator,
        "regional_referent" => Role::RegionalReferent,
        _ => claims.role,
    };
    claims.actor().map_err(|_| ApiError::Unprocessable {
        code: "profile_not_available",
        detail: "Il profilo scelto non è disponibile per l'utente".into(),
    })?;
    Ok(Json(issue_session(&app, claims)))
}

/// Sessions end by the wall clock (as token validation reads it), whatever
/// the service's manual clock says.
fn issue_session(app: &AppState, mut claims: Claims) -> SessionToken {
    let now = Utc::now();
    claims.iss = ISSUER.into();
    claims.iat = now.timestamp();
    claims.nbf = None;
    claims.exp = (now + app.session_ttl).timestamp();
    SessionToken {
        token: app.jwt.issue(&claims),
        expires_at: DateTime::from_timestamp(claims.exp, 0).unwrap_or_else(Utc::now),
    }
}

/// What a download link opens.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    /// An API path with its query: `/api/v1/requests/{id}/summary`,
    /// `/api/v1/requests/{id}/attachments/{attachment_id}`,
    /// `/api/v1/bookings/{booking_id}/ics`, `/api/v1/statistics/export?…`,
    /// `/api/v1/audit/export?…`.
    pub path: String,
}

/// A URL that opens `path` as the caller, without a bearer header, for a minute.
#[derive(Debug, Serialize, ToSchema)]
pub struct DownloadLink {
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

#[utoipa::path(post, path = "/api/v1/links", operation_id = "createDownloadLink", tag = "session",
    security(("bearer" = [])),
    request_body = LinkRequest,
    responses((status = 200, body = DownloadLink),
        (status = 400, body = crate::error::Problem, content_type = "application/problem+json",
            description = "invalid_link_path"),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_download_link(
    State(app): State<AppState>,
    session: AuthSession,
    ApiJson(body): ApiJson<LinkRequest>,
) -> Result<Json<DownloadLink>, ApiError> {
    let target = LinkTarget::parse(&body.path)?;
    // Links expire by the wall clock, like the tokens they are signed as.
    let (url, expires_at) = links::sign(&app.jwt, &session.claims, &target, Utc::now());
    Ok(Json(DownloadLink { url, expires_at }))
}

/// A demo user the development sign-in offers.
#[derive(Debug, Serialize, ToSchema)]
pub struct DemoUserView {
    pub id: String,
    pub display_name: String,
    pub role: String,
    pub role_label: String,
    /// Where the user works: patronato and office, sede, or the citizen's code.
    pub scope_label: String,
}

#[utoipa::path(get, path = "/api/v1/dev/users", operation_id = "listDemoUsers", tag = "session",
    description = "Only when the service runs with `--dev-login` (`COMBIPAT_DEV_LOGIN=1`); else 404.",
    responses((status = 200, body = [DemoUserView]),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_demo_users(
    State(app): State<AppState>,
) -> Result<Json<Vec<DemoUserView>>, ApiError> {
    if !app.dev_login {
        return Err(ApiError::NotFound);
    }
    let mut views = Vec::new();
    for user in app.directory.users() {
        views.push(DemoUserView {
            id: user.id.clone(),
            display_name: user.display_name.clone(),
            role: user.role.as_str().into(),
            role_label: role_label(user.role).into(),
            scope_label: scope_label(&app, user).await?,
        });
    }
    Ok(Json(views))
}

async fn scope_label(app: &AppState, user: &DemoUser) -> Result<String, ApiError> {
    let dir = &app.directory;
    let office = user
        .office
        .as_deref()
        .map(|o| dir.office_name(o).unwrap_or(o).to_string());
    let patronato = user
        .patronato
        .as_deref()
        .map(|p| dir.patronato_name(p).unwrap_or(p).to_string());
    Ok(
        match (patronato, office, &user.sede, &user.codice_fiscale) {
            (Some(p), Some(o), _, _) => format!("{p} – {o}"),
            (_, _, Some(sede), _) => {
                let found = reference::get_sede(&app.read_pool, sede)
                    .await
                    .map_err(ApiError::internal)?;
                format!(
                    "Sede INPS {}",
                    found.map(|s| s.name).unwrap_or(sede.clone())
                )
            }
            (_, _, _, Some(cf)) => format!("Codice fiscale {cf}"),
            _ => "INPS".into(),
        },
    )
}

/// Which demo user to sign in as.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DemoSignIn {
    pub user_id: String,
}

#[utoipa::path(post, path = "/api/v1/dev/session", operation_id = "createDemoSession", tag = "session",
    description = "Only when the service runs with `--dev-login`; else 404. A session token for a demo user.",
    request_body = DemoSignIn,
    responses((status = 200, body = SessionToken),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json",
            description = "demo_user_unknown")))]
pub async fn create_demo_session(
    State(app): State<AppState>,
    ApiJson(body): ApiJson<DemoSignIn>,
) -> Result<Json<SessionToken>, ApiError> {
    if !app.dev_login {
        return Err(ApiError::NotFound);
    }
    let user = app
        .directory
        .user(&body.user_id)
        .ok_or(ApiError::Unprocessable {
            code: "demo_user_unknown",
            detail: "Utente dimostrativo sconosciuto".into(),
        })?;
    let claims = Claims {
        sub: user
            .codice_fiscale
            .clone()
            .unwrap_or_else(|| user.id.clone()),
        role: user.role,
        patronato: user.patronato.clone(),
        office: user.office.clone(),
        region: user.region.clone(),
        sede: user.sede.clone(),
        name: Some(user.display_name.clone()),
        iss: ISSUER.into(),
        iat: 0,
        exp: 0,
        nbf: None,
    };
    claims.actor().map_err(ApiError::internal)?;
    Ok(Json(issue_session(&app, claims)))
}
