//! Read state in the API: `POST …/{ticket}/read` on both sides, and the read fields every
//! ticket object of a list or view carries for its caller (`unread_count`, `last_message`,
//! `waiting_since`), read for a whole page in one store query.

#![expect(
    dead_code,
    reason = "ReadBody is never built or read: it describes the body the handler reads"
)]

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use support_core::reads::{self, LastMessage, TicketSummary};
use support_core::{Actor, Page, Ticket, TicketId, Timestamp, WriteContext};
use utoipa::ToSchema;

use super::{ApiError, ApiState};

/// A read mark (`POST …/{ticket}/read`).
#[derive(ToSchema)]
pub(crate) struct ReadBody {
    /// The last message the caller has read: one of the ticket's messages they may see. A
    /// lower id than the one already recorded changes nothing.
    #[schema(minimum = 1, example = 42)]
    message_id: i64,
}

/// A ticket as lists and views show it: the stored fields, plus what the caller has not read
/// yet.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TicketItem {
    #[serde(flatten)]
    ticket: Ticket,
    /// Messages the caller may see, not written by them, after their read position.
    #[schema(minimum = 0)]
    unread_count: u64,
    /// The latest message the caller may see (its first 200 characters); `null` if none.
    #[schema(required = true)]
    last_message: Option<LastMessage>,
    /// Since when the employee has been waiting for a public answer: their oldest message
    /// after the last public staff message, or the ticket's creation while staff never
    /// answered publicly; `null` when the latest public message is staff's.
    #[schema(required = true, value_type = Option<String>, format = DateTime)]
    waiting_since: Option<Timestamp>,
}

impl TicketItem {
    fn new(ticket: Ticket, s: TicketSummary) -> Self {
        TicketItem {
            ticket,
            unread_count: s.unread_count,
            last_message: s.last_message,
            waiting_since: s.waiting_since,
        }
    }

    /// The ticket's id.
    pub(crate) fn id(&self) -> TicketId {
        self.ticket.id
    }
}

/// The tickets with the caller's read state.
pub(crate) async fn items(
    s: &ApiState,
    actor: &Actor,
    tickets: Vec<Ticket>,
) -> Result<Vec<TicketItem>, ApiError> {
    let summaries = s.service.ticket_summaries(actor, &tickets).await?;
    Ok(tickets
        .into_iter()
        .zip(summaries)
        .map(|(t, s)| TicketItem::new(t, s))
        .collect())
}

/// One ticket with the caller's read state.
pub(crate) async fn item(
    s: &ApiState,
    actor: &Actor,
    ticket: Ticket,
) -> Result<TicketItem, ApiError> {
    let mut found = items(s, actor, vec![ticket]).await?;
    found
        .pop()
        .ok_or_else(|| ApiError::from(support_core::Error::NotFound))
}

/// A page of tickets with the caller's read state.
pub(crate) async fn page(
    s: &ApiState,
    actor: &Actor,
    page: Page<Ticket>,
) -> Result<Page<TicketItem>, ApiError> {
    Ok(Page {
        data: items(s, actor, page.data).await?,
        next_cursor: page.next_cursor,
    })
}

/// Records the caller's read position: 204.
pub(crate) async fn mark_read(
    s: &ApiState,
    actor: &Actor,
    id: TicketId,
    body: &Value,
    ctx: &WriteContext,
) -> Result<Response, ApiError> {
    let message_id = reads::message_id_from_json(body)?;
    s.service.mark_read(actor, id, message_id, ctx).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
