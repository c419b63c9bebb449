//! Full-text search: `GET /api/admin/support/search` (staff: every ticket and message,
//! internal notes included) and `GET /api/employee/portal/support/search` (the caller's own
//! tickets and their public messages). Both answer a page of hits, best first:
//! `{data: [{ticket, message_id, snippet, highlights}], next_cursor}`, where `snippet` is
//! plain text and `highlights` the matched words as `[start, end)` UTF-16 offsets into it
//! (see [`support_core::search`]).
//!
//! The literal segment `search` sits beside `{ticket}`: the router matches a literal segment
//! before a parameter, so `/api/admin/support/search` is never read as a ticket.

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use support_core::PageRequest;
use support_core::search::SearchFilter;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::document::{EMPLOYEE_TAG, STAFF_TAG};
use super::extract::{ApiQuery, Caller, Staff};
use super::{ApiError, ApiState, view};

/// The staff route of this module, for the staff router (which guards it).
pub(crate) fn staff_routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(staff_search))
}

/// The employee route of this module.
pub(crate) fn employee_routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(employee_search))
}

/// `?q=&cursor=&limit=`: a page of hits.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SearchQuery {
    /// The words to find, 1 to 200 characters after trimming (422 otherwise). Every word must
    /// occur in one document (a ticket's subject and description, or one message), the last
    /// one also as the start of a word; punctuation only separates words.
    #[param(min_length = 1, max_length = 200)]
    q: Option<String>,
    /// `true`: search the archived tickets only (closed ones archived after a while); absent
    /// or `false`: the others.
    #[param(value_type = Option<bool>)]
    archived: Option<String>,
    /// The `next_cursor` of the previous page; absent for the first page.
    cursor: Option<String>,
    /// Page size: 20 if absent, at most 50 (larger values are read as 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295_u32)]
    limit: Option<String>,
}

impl SearchQuery {
    fn page(&self) -> support_core::Result<PageRequest> {
        let limit = self
            .limit
            .as_deref()
            .map(|l| {
                l.trim().parse::<u32>().map_err(|_| {
                    support_core::Error::invalid("limit", "The limit field must be an integer.")
                })
            })
            .transpose()?;
        Ok(PageRequest {
            cursor: self.cursor.clone(),
            limit,
        })
    }

    fn filter(&self) -> support_core::Result<SearchFilter> {
        let archived = super::query::archived(self.archived.as_deref())?;
        Ok(SearchFilter::default().with_archived(Some(archived)))
    }

    fn text(&self) -> &str {
        self.q.as_deref().unwrap_or_default()
    }
}

/// Search every ticket and message
///
/// Subjects, descriptions and message content, internal notes included; best first.
#[utoipa::path(
    get,
    path = "/search",
    tag = STAFF_TAG,
    operation_id = "staff_search",
    params(SearchQuery),
    responses(
        (status = 200, description = "A page of hits, best first.", body = support_core::Page<support_core::SearchHit>),
        Staff,
        ApiQuery<SearchQuery>,
    ),
)]
async fn staff_search(
    State(s): State<ApiState>,
    Staff(actor): Staff,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<Response, ApiError> {
    let (page, filter) = (q.page()?, q.filter()?);
    Ok(view::page(
        s.service.search(&actor, q.text(), &filter, &page).await?,
    ))
}

/// Search the caller's own tickets
///
/// Their subjects, descriptions and public messages (never an internal note); best first.
#[utoipa::path(
    get,
    path = "/search",
    tag = EMPLOYEE_TAG,
    operation_id = "employee_search",
    params(SearchQuery),
    responses(
        (status = 200, description = "A page of hits in the caller's tickets, best first.", body = support_core::Page<support_core::SearchHit>),
        Caller,
        ApiQuery<SearchQuery>,
    ),
)]
async fn employee_search(
    State(s): State<ApiState>,
    Caller(actor): Caller,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<Response, ApiError> {
    let (page, filter) = (q.page()?, q.filter()?);
    Ok(view::page(
        s.service
            .search_mine(&actor, q.text(), &filter, &page)
            .await?,
    ))
}
