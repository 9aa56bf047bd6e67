//! Rows of the read models shaped for the screens: sedi named, statuses in
//! words, and in the detail what the aggregate's rules say of each
//! attachment and the appointment booked.

use crate::error::ApiError;
use crate::routes::queries::PageView;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use domain::actor::Actor;
use domain::ids::AttachmentId;
use domain::request::{Request, Status};
use projections::home_panel::ReplyRow;
use projections::page::Page;
use projections::requests::{AttachmentRow, InboxRow, RequestRow};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

/// A request of a list, with the names of the sedi it is at and came from.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestListItem {
    #[serde(flatten)]
    pub request: RequestRow,
    /// The status in Italian, as the manual names it.
    pub status_label: String,
    pub current_sede_name: String,
    pub origin_sede_name: String,
}

/// A request of a sede's inbox, with its sedi named.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboxListItem {
    #[serde(flatten)]
    pub row: InboxRow,
    pub status_label: String,
    pub current_sede_name: String,
    pub origin_sede_name: String,
}

/// The name of a sede, or its code when the reference data no longer has it.
pub fn sede_name(names: &HashMap<String, String>, code: &str) -> String {
    names.get(code).cloned().unwrap_or_else(|| code.to_string())
}

/// A status's Italian label (the code itself if unknown).
pub fn status_label(status: &str) -> String {
    Status::parse(status)
        .map(|s| s.label().to_string())
        .unwrap_or_else(|| status.to_string())
}

/// What a list shows of a request besides its row: the status in words and
/// the sedi by name.
struct Named {
    status_label: String,
    current_sede_name: String,
    origin_sede_name: String,
}

fn named(names: &HashMap<String, String>, request: &RequestRow) -> Named {
    Named {
        status_label: status_label(&request.status),
        current_sede_name: sede_name(names, &request.current_sede),
        origin_sede_name: sede_name(names, &request.origin_sede),
    }
}

pub async fn named_requests(
    app: &AppState,
    page: Page<RequestRow>,
) -> Result<PageView<RequestListItem>, ApiError> {
    let names = app.sede_names.all().await.map_err(ApiError::internal)?;
    let page: PageView<RequestRow> = page.into();
    Ok(PageView {
        items: page
            .items
            .into_iter()
            .map(|request| {
                let n = named(&names, &request);
                RequestListItem {
                    status_label: n.status_label,
                    current_sede_name: n.current_sede_name,
                    origin_sede_name: n.origin_sede_name,
                    request,
                }
            })
            .collect(),
        next_cursor: page.next_cursor,
    })
}

pub async fn named_inbox(
    app: &AppState,
    page: Page<InboxRow>,
) -> Result<PageView<InboxListItem>, ApiError> {
    let names = app.sede_names.all().await.map_err(ApiError::internal)?;
    let page: PageView<InboxRow> = page.into();
    Ok(PageView {
        items: page
            .items
            .into_iter()
            .map(|row| {
                let n = named(&names, &row.request);
                InboxListItem {
                    status_label: n.status_label,
                    current_sede_name: n.current_sede_name,
                    origin_sede_name: n.origin_sede_name,
                    row,
                }
            })
            .collect(),
        next_cursor: page.next_cursor,
    })
}

/// A reply of the home panel, with its sede named.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReplyItem {
    #[serde(flatten)]
    pub reply: ReplyRow,
    pub sede_name: String,
}

pub async fn named_replies(
    app: &AppState,
    rows: Vec<ReplyRow>,
) -> Result<Vec<ReplyItem>, ApiError> {
    let names = app.sede_names.all().await.map_err(ApiError::internal)?;
    Ok(rows
        .into_iter()
        .map(|reply| ReplyItem {
            sede_name: sede_name(&names, &reply.sede),
            reply,
        })
        .collect())
}

/// An attachment of the detail, with whether the caller may still remove it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentView {
    #[serde(flatten)]
    pub attachment: AttachmentRow,
    pub removable: bool,
    /// Why not (Italian), when not removable by the caller.
    pub removable_reason: Option<String>,
}

pub fn attachment_views(
    state: &Request,
    actor: &Actor,
    rows: Vec<AttachmentRow>,
) -> Vec<AttachmentView> {
    rows.into_iter()
        .map(|attachment| {
            let verdict =
                state.check_remove_attachment(actor, AttachmentId(attachment.attachment_id));
            AttachmentView {
                removable: verdict.is_ok(),
                removable_reason: verdict.err().map(|v| v.to_string()),
                attachment,
            }
        })
        .collect()
}

/// The appointment booked on a request and not cancelled.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppointmentView {
    pub booking_id: uuid::Uuid,
    /// The code to show at the counter.
    pub code: String,
    pub sede: String,
    pub sede_name: String,
    pub counter: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// `no_reply_within_standard`, `enabled_by_sede` or `conversation_over`.
    pub ground: String,
    /// Already over at the time of the answer.
    pub past: bool,
}

pub async fn appointment_view(
    app: &AppState,
    state: &Request,
    now: DateTime<Utc>,
) -> Result<Option<AppointmentView>, ApiError> {
    let Some(a) = &state.appointment else {
        return Ok(None);
    };
    let names = app.sede_names.all().await.map_err(ApiError::internal)?;
    Ok(Some(AppointmentView {
        booking_id: a.booking_id.0,
        code: a.code.to_string(),
        sede: a.slot.sede.to_string(),
        sede_name: sede_name(&names, a.slot.sede.as_str()),
        counter: a.slot.counter.to_string(),
        start: a.slot.start,
        end: a.slot.end,
        ground: serde_json::to_value(a.ground)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        past: a.slot.end <= now,
    }))
}
