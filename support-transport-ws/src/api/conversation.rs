//! What both sides do on one ticket: read it, page its messages, post a chat message or a
//! comment. The employee and the staff router each have their own documented handlers for
//! these (their own operation in the OpenAPI document), which call the functions here; which
//! side a request is on is the router's business (the staff router refuses employees before
//! any handler runs), and what the caller may see or write is the service's policy.

use axum::response::Response;
use serde_json::Value;
use support_core::{Actor, NewMessage, TicketId, WriteContext};

use super::query::MessagesQuery;
use super::{ApiError, ApiState, view};

/// The ticket with its latest messages.
pub(crate) async fn show_ticket(
    s: &ApiState,
    actor: &Actor,
    id: TicketId,
) -> Result<Response, ApiError> {
    let v = s.service.show_ticket(actor, id).await?;
    let version = v.ticket.version;
    Ok(view::ok_tagged(
        version,
        view::TicketThread::new(s, actor, v).await?,
    ))
}

/// A page of the ticket's messages.
pub(crate) async fn messages(
    s: &ApiState,
    actor: &Actor,
    id: TicketId,
    q: &MessagesQuery,
) -> Result<Response, ApiError> {
    let found = s
        .service
        .messages(actor, id, q.position()?, q.limit()?)
        .await?;
    Ok(view::ok(
        super::reactions::views(s, actor, id, found).await?,
    ))
}

/// Posts the message whose text is the body's `text_field` (`message` for chat, `content`
/// for comments).
pub(crate) async fn post(
    s: &ApiState,
    actor: &Actor,
    id: TicketId,
    body: &Value,
    text_field: &str,
    ctx: &WriteContext,
) -> Result<Response, ApiError> {
    let message = NewMessage::from_json(body, text_field)?;
    Ok(view::created(view::MessageView::from(
        s.service.post_message(actor, id, message, ctx).await?,
    )))
}
