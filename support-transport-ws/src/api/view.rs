//! What the API answers on success, as typed shapes the OpenAPI document describes: the
//! `{"data": …}` envelope ([`Data`]), pages (`support_core::Page`, `{data, next_cursor}`), and
//! the shapes of messages, tickets with their thread, the dashboard, the live chat and users.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use support_core::reaction::Reaction;
use support_core::reads::ReadReceipts;
use support_core::{
    Actor, AuditEntry, Channel, Message, Page, Role, Stats, Ticket, TicketView, UserId,
};
use utoipa::ToSchema;

use super::reads::{self, TicketItem};
use super::{ApiError, ApiState};

/// `{"data": …}`: the envelope of every success but pages, the dashboard and the stats.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Data<T> {
    /// The answer.
    data: T,
}

/// A message as the API shows it: the stored fields plus `author {id, full_name}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    #[serde(flatten)]
    message: Message,
    /// Who wrote it, as the screens name them.
    author: UserRef,
    /// Its reactions as the caller sees them, each emoji in the order it was first used:
    /// `{emoji, count, mine}`. Empty on a new message.
    reactions: Vec<Reaction>,
}

impl MessageView {
    /// The message with its reactions for the caller.
    pub(crate) fn with_reactions(m: Message, reactions: Vec<Reaction>) -> Self {
        let mut v = MessageView::from(m);
        v.reactions = reactions;
        v
    }
}

/// A user by id and name: a message's author, a ticket's employee.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UserRef {
    /// The user's id.
    id: UserId,
    /// The name shown beside their messages.
    full_name: String,
}

impl From<Message> for MessageView {
    fn from(m: Message) -> Self {
        let author = UserRef {
            id: m.author_id,
            full_name: m.author_name.clone(),
        };
        MessageView {
            message: m,
            author,
            reactions: Vec::new(),
        }
    }
}

/// A user as staff screens list them: `{id, full_name, role, staff}`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UserView {
    /// The user's id.
    id: UserId,
    /// Their name.
    full_name: String,
    /// Their role.
    role: Role,
    /// True for support, admin and hr: the users a ticket can be assigned to.
    staff: bool,
}

impl From<Actor> for UserView {
    fn from(a: Actor) -> Self {
        UserView {
            id: a.id,
            full_name: a.name,
            role: a.role,
            staff: a.role.is_staff(),
        }
    }
}

/// A ticket with its latest messages: `{ticket, messages, has_older, read_receipts, activity}`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TicketThread {
    /// The ticket, with the caller's read state.
    ticket: TicketItem,
    /// The newest messages the caller may see (at most 50), oldest first.
    messages: Vec<MessageView>,
    /// True if older messages exist: page back with `messages?before=<first id>`.
    has_older: bool,
    /// How far the ticket's employee and staff have read ("Seen" marks).
    read_receipts: ReadReceipts,
    /// What happened to the ticket, oldest first (its audit entries the caller may see):
    /// the thread's event lines, such as "Sam Support took this ticket" or a reopening.
    activity: Vec<AuditEntry>,
}

impl TicketThread {
    /// The thread of `v` for `actor`, with their read state and the ticket's receipts.
    pub(crate) async fn new(s: &ApiState, actor: &Actor, v: TicketView) -> Result<Self, ApiError> {
        let read_receipts = s.service.read_receipts(actor, &v.ticket).await?;
        Ok(TicketThread {
            messages: super::reactions::views(s, actor, v.ticket.id, v.messages).await?,
            ticket: reads::item(s, actor, v.ticket).await?,
            has_older: v.has_older,
            read_receipts,
            activity: v.activity,
        })
    }
}

/// The staff live chat of one ticket: its thread, its employee and the channel to join.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LiveChat {
    #[serde(flatten)]
    thread: TicketThread,
    /// The ticket's employee; `null` if the directory no longer knows them.
    #[schema(required = true)]
    employee: Option<UserRef>,
    /// The private channel of the ticket's events (`private-support.ticket.{id}`).
    #[schema(example = "private-support.ticket.1")]
    channel: String,
}

impl LiveChat {
    pub(crate) fn new(thread: TicketThread, employee: Option<Actor>) -> Self {
        let channel = Channel::Ticket(thread.ticket.id()).to_string();
        LiveChat {
            thread,
            employee: employee.map(|e| UserRef {
                id: e.id,
                full_name: e.name,
            }),
            channel,
        }
    }
}

/// A ticket opened by its first message: `{ticket, message}`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct QuickChatView {
    /// The ticket.
    ticket: Ticket,
    /// Its first message.
    message: MessageView,
}

impl QuickChatView {
    pub(crate) fn new(ticket: Ticket, message: Message) -> Self {
        QuickChatView {
            ticket,
            message: message.into(),
        }
    }
}

/// The live dashboard: a page of active tickets, urgent first, with the badge counts.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DashboardView {
    /// Active tickets (open, in progress, pending), urgent first, longest waiting first, with
    /// the caller's read state.
    data: Vec<TicketItem>,
    /// Pass this as `cursor` for the next page; `null` on the last page.
    #[schema(required = true)]
    next_cursor: Option<String>,
    /// The badge counts.
    stats: Stats,
}

impl DashboardView {
    pub(crate) async fn new(
        s: &ApiState,
        actor: &Actor,
        d: support_core::Dashboard,
    ) -> Result<Self, ApiError> {
        Ok(DashboardView {
            data: reads::items(s, actor, d.tickets.data).await?,
            next_cursor: d.tickets.next_cursor,
            stats: d.stats,
        })
    }
}

/// 201 with `{"data": value}`.
pub(crate) fn created<T: Serialize>(value: T) -> Response {
    (StatusCode::CREATED, Json(Data { data: value })).into_response()
}

/// 200 with `{"data": value}`.
pub(crate) fn ok<T: Serialize>(value: T) -> Response {
    Json(Data { data: value }).into_response()
}

/// The `ETag` of a ticket at `version`: `"N"`, the form `If-Match` sends back.
pub(crate) fn etag(version: i64) -> (axum::http::HeaderName, String) {
    (axum::http::header::ETAG, format!("\"{version}\""))
}

/// 200 with `{"data": …}` and the `ETag` of the ticket at `version`.
pub(crate) fn ok_tagged<T: Serialize>(version: i64, value: T) -> Response {
    ([etag(version)], Json(Data { data: value })).into_response()
}

/// The answer to a change made from a stale version: `{"message", "data": the ticket now}`
/// with its `ETag`, so the client can show what changed and retry from it.
pub(crate) fn stale(ticket: Ticket) -> Response {
    let tag = etag(ticket.version);
    let body = StaleTicket {
        message: "This ticket was changed by someone else.",
        data: ticket,
    };
    ([tag], Json(body)).into_response()
}

/// The 409 of a change made from a stale version of the ticket.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct StaleTicket {
    /// `This ticket was changed by someone else.`
    message: &'static str,
    /// The ticket as it is now (absent when the 409 is a reused `Idempotency-Key`).
    #[schema(required = false)]
    data: Ticket,
}

/// 200 with `{"data": [...], "next_cursor": …}`.
pub(crate) fn page<T: Serialize>(p: Page<T>) -> Response {
    Json(p).into_response()
}
