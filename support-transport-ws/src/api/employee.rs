//! The employee portal's routes (`/api/employee/portal/support…`): any signed-in user, each
//! seeing only what the policy lets them (an employee their own tickets, staff every ticket).

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::json;
use support_core::{NewTicket, QuickChat};

use super::extract::{ApiQuery, Caller, JsonBody, WriteHeaders};
use super::query::PageQuery;
use super::{ApiError, ApiState, conversation, view};

/// The employee routes, relative to where [`super::router`] nests them.
pub(crate) fn routes() -> Router<ApiState> {
    Router::new()
        .route("/", get(my_tickets).post(create_ticket))
        .route("/quick-chat", post(quick_chat))
        .route("/{ticket}", get(conversation::show_ticket))
        .route("/{ticket}/comment", post(conversation::comment))
        .route("/{ticket}/chat", post(conversation::chat))
        .route("/{ticket}/messages", get(conversation::messages))
}

/// `GET /`: the caller's own tickets, newest first.
async fn my_tickets(
    State(s): State<ApiState>,
    Caller(actor): Caller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Response, ApiError> {
    Ok(view::page(s.service.my_tickets(&actor, &q.page()?).await?))
}

/// `POST /` with `{subject, description, category, priority}`.
async fn create_ticket(
    State(s): State<ApiState>,
    Caller(actor): Caller,
    WriteHeaders(ctx): WriteHeaders,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let new = NewTicket::from_json(&body)?;
    Ok(view::created(
        s.service.create_ticket(&actor, new, &ctx).await?,
    ))
}

/// `POST /quick-chat` with `{message, category?, priority?}`: a ticket opened by its first
/// message.
async fn quick_chat(
    State(s): State<ApiState>,
    Caller(actor): Caller,
    WriteHeaders(ctx): WriteHeaders,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let chat = QuickChat::from_json(&body)?;
    let (ticket, message) = s.service.quick_chat(&actor, chat, &ctx).await?;
    Ok(view::created(
        json!({ "ticket": ticket, "message": view::MessageView::from(message) }),
    ))
}
