//! Notifications (issue 27, docs/notifications.md): a user's own list,
//! unread count and reading, e-mail preferences; the dead-letter list and
//! its retry for a sede's officers (their sede) and the system
//! administrator (all). Only patronato users and sede officers receive
//! notifications in the app.

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::actor::Actor;
use notify::outbox::{self, DeadLetter, UserNotification};
use notify::plan::Kind;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/notifications", get(list_notifications))
        .route("/api/v1/notifications/unread", get(get_unread_count))
        .route("/api/v1/notifications/read", post(mark_notifications_read))
        .route(
            "/api/v1/notifications/preferences",
            get(get_notification_preferences).put(set_notification_preferences),
        )
        .route("/api/v1/notifications/dead-letters", get(list_dead_letters))
        .route(
            "/api/v1/notifications/dead-letters/{id}/retry",
            post(retry_dead_letter),
        )
}

/// How many of a user's notifications one list shows.
const LIST_LIMIT: i64 = 100;

/// The caller, if their role receives notifications in the app.
fn recipient(actor: &Actor) -> Result<&str, ApiError> {
    match actor {
        Actor::Patronato(u) => Ok(u.id.as_str()),
        Actor::Sede(o) => Ok(o.id.as_str()),
        _ => Err(ApiError::Forbidden),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationList {
    pub items: Vec<UserNotification>,
    pub unread: i64,
}

#[utoipa::path(get, path = "/api/v1/notifications", operation_id = "listNotifications",
    tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = NotificationList),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem, description = "only patronato users and sede officers")))]
pub async fn list_notifications(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
) -> Result<Json<NotificationList>, ApiError> {
    let user = recipient(&actor)?;
    let now = app.clock.now();
    let items = outbox::list_for_user(&app.pool, user, now, LIST_LIMIT).await?;
    let unread = outbox::unread_count(&app.pool, user, now).await?;
    Ok(Json(NotificationList { items, unread }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadCount {
    pub unread: i64,
}

#[utoipa::path(get, path = "/api/v1/notifications/unread", operation_id = "getUnreadNotifications",
    tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = UnreadCount),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem)))]
pub async fn get_unread_count(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
) -> Result<Json<UnreadCount>, ApiError> {
    let user = recipient(&actor)?;
    let unread = outbox::unread_count(&app.pool, user, app.clock.now()).await?;
    Ok(Json(UnreadCount { unread }))
}

/// Which notifications to mark read: these ids, or all when absent.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkRead {
    pub ids: Option<Vec<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Marked {
    pub marked: u64,
    pub unread: i64,
}

#[utoipa::path(post, path = "/api/v1/notifications/read", operation_id = "markNotificationsRead",
    tag = "notifications", security(("bearer" = [])), request_body = MarkRead,
    responses((status = 200, body = Marked),
        (status = 400, body = crate::error::Problem, description = "invalid_json, too_many_ids"),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem, description = "invalid_body")))]
pub async fn mark_notifications_read(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiJson(body): ApiJson<MarkRead>,
) -> Result<Json<Marked>, ApiError> {
    let user = recipient(&actor)?;
    if body.ids.as_ref().is_some_and(|ids| ids.len() > 500) {
        return Err(ApiError::bad_request(
            "too_many_ids",
            "Si possono segnare come lette al massimo 500 notifiche per volta",
        ));
    }
    let marked = outbox::mark_read(&app.pool, user, body.ids.as_deref()).await?;
    let unread = outbox::unread_count(&app.pool, user, app.clock.now()).await?;
    Ok(Json(Marked { marked, unread }))
}

/// One kind of e-mail and whether the user receives it.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct KindPreference {
    /// `appointment_booked`, `appointment_cancelled`, `reply_received`,
    /// `request_forwarded`, `conversation_closed`, `overdue_digest`.
    pub kind: String,
    /// Italian name of the kind.
    pub label: String,
    pub email: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Preferences {
    pub kinds: Vec<KindPreference>,
}

/// The kinds the user does not want by e-mail (they stay in the app).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesChange {
    pub muted: Vec<String>,
}

async fn preferences_of(app: &AppState, user: &str) -> Result<Preferences, ApiError> {
    let muted = outbox::muted_kinds(&app.pool, user).await?;
    Ok(Preferences {
        kinds: Kind::FOR_USERS
            .into_iter()
            .map(|k| KindPreference {
                kind: k.as_str().into(),
                label: k.label().into(),
                email: !muted.iter().any(|m| m == k.as_str()),
            })
            .collect(),
    })
}

#[utoipa::path(get, path = "/api/v1/notifications/preferences", operation_id = "getNotificationPreferences",
    tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = Preferences),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem)))]
pub async fn get_notification_preferences(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
) -> Result<Json<Preferences>, ApiError> {
    let user = recipient(&actor)?;
    Ok(Json(preferences_of(&app, user).await?))
}

#[utoipa::path(put, path = "/api/v1/notifications/preferences", operation_id = "setNotificationPreferences",
    tag = "notifications", security(("bearer" = [])), request_body = PreferencesChange,
    responses((status = 200, body = Preferences),
        (status = 400, body = crate::error::Problem, description = "invalid_json, unknown_notification_kind"),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem, description = "invalid_body")))]
pub async fn set_notification_preferences(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiJson(change): ApiJson<PreferencesChange>,
) -> Result<Json<Preferences>, ApiError> {
    let user = recipient(&actor)?;
    let mut muted = Vec::new();
    for raw in &change.muted {
        match Kind::parse(raw).filter(|k| Kind::FOR_USERS.contains(k)) {
            Some(k) if !muted.contains(&k.as_str().to_string()) => muted.push(k.as_str().into()),
            Some(_) => {}
            None => {
                return Err(ApiError::bad_request(
                    "unknown_notification_kind",
                    "Tipo di notifica sconosciuto nelle preferenze",
                ))
            }
        }
    }
    outbox::set_muted_kinds(&app.pool, user, &muted).await?;
    Ok(Json(preferences_of(&app, user).await?))
}

/// Whose dead letters the caller may see: a sede officer their sede's, the
/// system administrator everyone's (`None`).
fn dead_letter_scope(actor: &Actor) -> Result<Option<String>, ApiError> {
    match actor {
        Actor::Sede(o) => Ok(Some(o.sede.to_string())),
        Actor::SystemAdmin { .. } => Ok(None),
        _ => Err(ApiError::Forbidden),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeadLetterList {
    pub items: Vec<DeadLetter>,
}

#[utoipa::path(get, path = "/api/v1/notifications/dead-letters", operation_id = "listDeadLetters",
    tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = DeadLetterList),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem, description = "only sede officers (their sede) and system_admin")))]
pub async fn list_dead_letters(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
) -> Result<Json<DeadLetterList>, ApiError> {
    let scope = dead_letter_scope(&actor)?;
    let items = outbox::dead_letters(&app.pool, scope.as_deref(), 500).await?;
    Ok(Json(DeadLetterList { items }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Retried {
    pub id: String,
    pub status: String,
}

#[utoipa::path(post, path = "/api/v1/notifications/dead-letters/{id}/retry", operation_id = "retryDeadLetter",
    tag = "notifications", security(("bearer" = [])),
    params(("id" = String, Path, description = "The notification's id")),
    responses((status = 200, body = Retried),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem, description = "no dead letter with this id in the caller's scope")))]
pub async fn retry_dead_letter(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Retried>, ApiError> {
    let scope = dead_letter_scope(&actor)?;
    if id.len() > 300 || !outbox::retry_dead(&app.pool, &id, scope.as_deref()).await? {
        return Err(ApiError::NotFound);
    }
    Ok(Json(Retried {
        id,
        status: "pending".into(),
    }))
}
