//! What both sides do on one ticket, one handler each: read it, page its messages, post a
//! chat message or a comment. The employee and the staff router both mount these; which side
//! a request is on is the router's business (the staff router refuses employees before any
//! of these run), and what the caller may see or write is the service's policy.

use axum::extract::State;
use axum::response::Response;
use support_core::{Actor, NewMessage, TicketId, WriteContext};

use super::extract::{ApiQuery, Caller, JsonBody, TicketPath, WriteHeaders};
use super::query::MessagesQuery;
use super::{ApiError, ApiState, view};

/// `GET …/{ticket}`: the ticket with its latest messages.
pub(crate) async fn show_ticket(
    State(s): State<ApiState>,
    Caller(actor): Caller,
    TicketPath(id): TicketPath,
) -> Result<Response, ApiError> {
    Ok(view::ok(view::ticket(
        s.service.show_ticket(&actor, id).await?,
    )))
}

/// `GET …/{ticket}/messages?after=&before=&limit=`.
pub(crate) async fn messages(
    State(s): State<ApiState>,
    Caller(actor): Caller,
    TicketPath(id): TicketPath,
    ApiQuery(q): ApiQuery<MessagesQuery>,
) -> Result<Response, ApiError> {
    let found = s
        .service
        .messages(&actor, id, q.position()?, q.limit()?)
        .await?;
    Ok(view::ok(view::messages(found)))
}

/// `POST …/{ticket}/chat` with `{message}`.
pub(crate) async fn chat(
    State(s): State<ApiState>,
    Caller(actor): Caller,
    TicketPath(id): TicketPath,
    WriteHeaders(ctx): WriteHeaders,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let message = NewMessage::from_json(&body, "message")?;
    post(&s, &actor, id, message, &ctx).await
}

/// `POST …/{ticket}/comment` with `{content, is_internal?, attachments?}`.
pub(crate) async fn comment(
    State(s): State<ApiState>,
    Caller(actor): Caller,
    TicketPath(id): TicketPath,
    WriteHeaders(ctx): WriteHeaders,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let message = NewMessage::from_json(&body, "content")?;
    post(&s, &actor, id, message, &ctx).await
}

async fn post(
    s: &ApiState,
    actor: &Actor,
    id: TicketId,
    message: NewMessage,
    ctx: &WriteContext,
) -> Result<Response, ApiError> {
    Ok(view::created(view::MessageView::from(
        s.service.post_message(actor, id, message, ctx).await?,
    )))
}
