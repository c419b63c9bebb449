//! Canned responses and ticket templates: `/api/admin/support/canned-responses…` and
//! `…/{ticket}/canned-responses/{id}/render` (staff: personal ones for everyone, shared ones
//! managed by admins), `/api/admin/support/templates…` (admins manage them) and
//! `GET /api/employee/portal/support/templates` (any signed-in user). Who may do what is the
//! service's [`Policy`](support_core::Policy); bodies are checked by
//! [`support_core::canned`]'s validators.
//!
//! The writes here broadcast nothing and are not replayed by key: they take neither
//! `Idempotency-Key` nor `X-Socket-ID`. A repeated create of a canned response is refused by
//! its shortcut (422); a repeated delete is 404.
//!
//! The literal segments `canned-responses` and `templates` sit beside `{ticket}`: the router
//! matches a literal segment before a parameter, so `/api/admin/support/templates` is never
//! read as a ticket.

use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use support_core::canned::CannedFields;
use support_core::{CannedResponse, CannedResponseId, TicketTemplate, TicketTemplateId};
use utoipa::{IntoResponses, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::document::{EMPLOYEE_TAG, STAFF_TAG, errors};
use super::extract::{Caller, JsonBody, Staff, TicketPath, path_id};
use super::view::{self, Data};
use super::{ApiError, ApiState};

/// The staff routes of this module, for the staff router (which guards them).
pub(crate) fn staff_routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_canned, create_canned))
        .routes(routes!(update_canned, delete_canned))
        .routes(routes!(render_canned))
        .routes(routes!(staff_templates, create_template))
        .routes(routes!(update_template, delete_template))
}

/// The employee routes of this module.
pub(crate) fn employee_routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(employee_templates))
}

/// The `{id}` of the path (and, on the render route, `{ticket}` beside it). Anything that is
/// not a positive integer names nothing: 404.
#[derive(Debug)]
struct IdPath(i64);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        path_id(parts, state, "id").await.map(IdPath)
    }
}

impl IntoResponses for IdPath {
    fn responses()
    -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        errors(&[StatusCode::NOT_FOUND])
    }
}

/// A rendered canned response: `{body}`, the text to insert.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Rendered {
    /// The body with its variables filled in, as plain text.
    body: String,
}

/// The request bodies, as the document describes them; the handlers read a JSON value and
/// hand it to the core's validators.
#[expect(
    dead_code,
    reason = "never built or read: they describe the bodies the core's validators read"
)]
mod bodies {
    use support_core::{Category, Priority};
    use utoipa::ToSchema;

    /// A new canned response.
    #[derive(ToSchema)]
    pub(crate) struct NewCannedBody {
        /// 1 to 32 of `a-z`, `0-9`, `_`, `-`; unique among shared ones, and among the caller's
        /// personal ones (422 on `shortcut` when taken).
        #[schema(
            min_length = 1,
            max_length = 32,
            pattern = "^[a-z0-9_-]{1,32}$",
            example = "reset-password"
        )]
        shortcut: String,
        /// 1 to 100 characters.
        #[schema(min_length = 1, max_length = 100, example = "Reset your password")]
        title: String,
        /// 1 to 2000 characters; may use `{{employee.name}}`, `{{ticket.number}}` and
        /// `{{agent.name}}` (any other `{{…}}` is 422 on `body`).
        #[schema(min_length = 1, max_length = 2000, example = "Hi {{employee.name}}, …")]
        body: String,
        /// Every staff member sees it (admins only; 403 otherwise). Defaults to false.
        shared: Option<bool>,
    }

    /// A change of a canned response: any of the fields.
    #[derive(ToSchema)]
    pub(crate) struct CannedPatchBody {
        /// As when created.
        #[schema(min_length = 1, max_length = 32, pattern = "^[a-z0-9_-]{1,32}$")]
        shortcut: Option<String>,
        /// As when created.
        #[schema(min_length = 1, max_length = 100)]
        title: Option<String>,
        /// As when created.
        #[schema(min_length = 1, max_length = 2000)]
        body: Option<String>,
        /// Making one shared, or changing a shared one, is for admins.
        shared: Option<bool>,
    }

    /// A new ticket template.
    #[derive(ToSchema)]
    pub(crate) struct NewTemplateBody {
        /// 1 to 100 characters.
        #[schema(min_length = 1, max_length = 100, example = "VPN problem")]
        name: String,
        /// The ticket's category.
        category: Category,
        /// The ticket's priority.
        priority: Priority,
        /// The subject to start from: 1 to 255 characters.
        #[schema(min_length = 1, max_length = 255, example = "VPN: ")]
        subject: String,
        /// The description to start from: 1 to 10,000 characters.
        #[schema(
            min_length = 1,
            max_length = 10000,
            example = "Since when? Which office?"
        )]
        description: String,
    }

    /// A change of a ticket template: any of the fields.
    #[derive(ToSchema)]
    pub(crate) struct TemplatePatchBody {
        /// 1 to 100 characters.
        #[schema(min_length = 1, max_length = 100)]
        name: Option<String>,
        /// The ticket's category.
        category: Option<Category>,
        /// The ticket's priority.
        priority: Option<Priority>,
        /// 1 to 255 characters.
        #[schema(min_length = 1, max_length = 255)]
        subject: Option<String>,
        /// 1 to 10,000 characters.
        #[schema(min_length = 1, max_length = 10000)]
        description: Option<String>,
    }

    /// No body is needed.
    #[derive(ToSchema)]
    pub(crate) struct NoBody {}
}

use bodies::{CannedPatchBody, NewCannedBody, NewTemplateBody, NoBody, TemplatePatchBody};

/// The caller's canned responses
///
/// The shared ones and the caller's personal ones, in id order.
#[utoipa::path(
    get,
    path = "/canned-responses",
    tag = STAFF_TAG,
    operation_id = "staff_list_canned_responses",
    responses(
        (status = 200, description = "The canned responses.", body = Data<Vec<CannedResponse>>),
        Staff,
    ),
)]
async fn list_canned(State(s): State<ApiState>, Staff(actor): Staff) -> Result<Response, ApiError> {
    Ok(view::ok(s.service.canned_responses(&actor).await?))
}

/// Create a canned response
///
/// Personal (the caller's), or with `shared` one every staff member sees (admins only).
#[utoipa::path(
    post,
    path = "/canned-responses",
    tag = STAFF_TAG,
    operation_id = "staff_create_canned_response",
    request_body = NewCannedBody,
    responses(
        (status = 201, description = "The canned response, as stored.", body = Data<CannedResponse>),
        Staff,
        JsonBody,
    ),
)]
async fn create_canned(
    State(s): State<ApiState>,
    Staff(actor): Staff,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let fields = CannedFields::new_from_json(&body)?;
    Ok(view::created(
        s.service.create_canned_response(&actor, fields).await?,
    ))
}

/// Change a canned response
///
/// The caller's personal one, or (admins) a shared one; another user's personal one is 404,
/// a shared one 403 for anyone but an admin.
#[utoipa::path(
    patch,
    path = "/canned-responses/{id}",
    tag = STAFF_TAG,
    operation_id = "staff_update_canned_response",
    params(
        ("id" = i64, Path, minimum = 1, description = "The canned response's id."),
    ),
    request_body(content = Option<CannedPatchBody>, description = "Any of the fields."),
    responses(
        (status = 200, description = "The canned response after the change.", body = Data<CannedResponse>),
        Staff,
        IdPath,
        JsonBody,
    ),
)]
async fn update_canned(
    State(s): State<ApiState>,
    Staff(actor): Staff,
    IdPath(id): IdPath,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let fields = CannedFields::patch_from_json(&body)?;
    let id = CannedResponseId(id);
    Ok(view::ok(
        s.service.update_canned_response(&actor, id, fields).await?,
    ))
}

/// Delete a canned response
///
/// As for a change: the caller's personal one, or (admins) a shared one.
#[utoipa::path(
    delete,
    path = "/canned-responses/{id}",
    tag = STAFF_TAG,
    operation_id = "staff_delete_canned_response",
    params(
        ("id" = i64, Path, minimum = 1, description = "The canned response's id."),
    ),
    request_body(content = Option<NoBody>, description = "None needed."),
    responses(
        (status = 204, description = "Deleted."),
        Staff,
        IdPath,
        JsonBody,
    ),
)]
async fn delete_canned(
    State(s): State<ApiState>,
    Staff(actor): Staff,
    IdPath(id): IdPath,
    JsonBody(_): JsonBody,
) -> Result<Response, ApiError> {
    s.service
        .delete_canned_response(&actor, CannedResponseId(id))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A canned response filled in for a ticket
///
/// `{{employee.name}}` is the ticket's employee, `{{ticket.number}}` its number
/// (`TKT-000001`), `{{agent.name}}` the caller. Writes nothing.
#[utoipa::path(
    post,
    path = "/{ticket}/canned-responses/{id}/render",
    tag = STAFF_TAG,
    operation_id = "staff_render_canned_response",
    params(
        TicketPath,
        ("id" = i64, Path, minimum = 1, description = "The canned response's id."),
    ),
    request_body(content = Option<NoBody>, description = "None needed."),
    responses(
        (status = 200, description = "The text to insert.", body = Data<Rendered>),
        Staff,
        TicketPath,
        IdPath,
        JsonBody,
    ),
)]
async fn render_canned(
    State(s): State<ApiState>,
    Staff(actor): Staff,
    parts: RenderPath,
    JsonBody(_): JsonBody,
) -> Result<Response, ApiError> {
    let body = s
        .service
        .render_canned_response(&actor, parts.ticket, CannedResponseId(parts.id))
        .await?;
    Ok(view::ok(Rendered { body }))
}

/// `{ticket}` and `{id}` of the render route; either not a positive integer is 404.
struct RenderPath {
    ticket: support_core::TicketId,
    id: i64,
}

impl<S: Send + Sync> FromRequestParts<S> for RenderPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Ok(RenderPath {
            ticket: support_core::TicketId(path_id(parts, state, "ticket").await?),
            id: path_id(parts, state, "id").await?,
        })
    }
}

/// Ticket templates
///
/// Every template, in id order: what the create form starts from.
#[utoipa::path(
    get,
    path = "/templates",
    tag = EMPLOYEE_TAG,
    operation_id = "employee_list_templates",
    responses(
        (status = 200, description = "The templates.", body = Data<Vec<TicketTemplate>>),
        Caller,
    ),
)]
async fn employee_templates(
    State(s): State<ApiState>,
    Caller(actor): Caller,
) -> Result<Response, ApiError> {
    Ok(view::ok(s.service.ticket_templates(&actor).await?))
}

/// Ticket templates
///
/// Every template, in id order.
#[utoipa::path(
    get,
    path = "/templates",
    tag = STAFF_TAG,
    operation_id = "staff_list_templates",
    responses(
        (status = 200, description = "The templates.", body = Data<Vec<TicketTemplate>>),
        Staff,
    ),
)]
async fn staff_templates(
    State(s): State<ApiState>,
    Staff(actor): Staff,
) -> Result<Response, ApiError> {
    Ok(view::ok(s.service.ticket_templates(&actor).await?))
}

/// Create a ticket template
///
/// Admins only (403 for other staff).
#[utoipa::path(
    post,
    path = "/templates",
    tag = STAFF_TAG,
    operation_id = "staff_create_template",
    request_body = NewTemplateBody,
    responses(
        (status = 201, description = "The template, as stored.", body = Data<TicketTemplate>),
        Staff,
        JsonBody,
    ),
)]
async fn create_template(
    State(s): State<ApiState>,
    Staff(actor): Staff,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    Ok(view::created(
        s.service.create_ticket_template(&actor, &body).await?,
    ))
}

/// Change a ticket template
///
/// Admins only; the fields given change, the others stay.
#[utoipa::path(
    patch,
    path = "/templates/{id}",
    tag = STAFF_TAG,
    operation_id = "staff_update_template",
    params(
        ("id" = i64, Path, minimum = 1, description = "The template's id."),
    ),
    request_body(content = Option<TemplatePatchBody>, description = "Any of the fields."),
    responses(
        (status = 200, description = "The template after the change.", body = Data<TicketTemplate>),
        Staff,
        IdPath,
        JsonBody,
    ),
)]
async fn update_template(
    State(s): State<ApiState>,
    Staff(actor): Staff,
    IdPath(id): IdPath,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let id = TicketTemplateId(id);
    Ok(view::ok(
        s.service.update_ticket_template(&actor, id, &body).await?,
    ))
}

/// Delete a ticket template
///
/// Admins only.
#[utoipa::path(
    delete,
    path = "/templates/{id}",
    tag = STAFF_TAG,
    operation_id = "staff_delete_template",
    params(
        ("id" = i64, Path, minimum = 1, description = "The template's id."),
    ),
    request_body(content = Option<NoBody>, description = "None needed."),
    responses(
        (status = 204, description = "Deleted."),
        Staff,
        IdPath,
        JsonBody,
    ),
)]
async fn delete_template(
    State(s): State<ApiState>,
    Staff(actor): Staff,
    IdPath(id): IdPath,
    JsonBody(_): JsonBody,
) -> Result<Response, ApiError> {
    s.service
        .delete_ticket_template(&actor, TicketTemplateId(id))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
