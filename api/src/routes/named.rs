//! Rows of the read models with their sedi named, as the screens show them.

use crate::error::ApiError;
use crate::routes::queries::PageView;
use crate::state::AppState;
use projections::page::Page;
use projections::requests::{InboxRow, RequestRow};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

/// A request of a list, with the names of the sedi it is at and came from.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestListItem {
    #[serde(flatten)]
    pub request: RequestRow,
    pub current_sede_name: String,
    pub origin_sede_name: String,
}

/// A request of a sede's inbox, with its sedi named.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboxListItem {
    #[serde(flatten)]
    pub row: InboxRow,
    pub current_sede_name: String,
    pub origin_sede_name: String,
}

/// The name of a sede, or its code when the reference data no longer has it.
pub fn sede_name(names: &HashMap<String, String>, code: &str) -> String {
    names.get(code).cloned().unwrap_or_else(|| code.to_string())
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
            .map(|request| RequestListItem {
                current_sede_name: sede_name(&names, &request.current_sede),
                origin_sede_name: sede_name(&names, &request.origin_sede),
                request,
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
            .map(|row| InboxListItem {
                current_sede_name: sede_name(&names, &row.request.current_sede),
                origin_sede_name: sede_name(&names, &row.request.origin_sede),
                row,
            })
            .collect(),
        next_cursor: page.next_cursor,
    })
}
