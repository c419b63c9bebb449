//! What the API answers on success: the `{"data": …}` envelope (with `next_cursor` on pages)
//! and the shapes of messages, tickets with their thread, and users.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};
use support_core::{Actor, Message, Page, Role, TicketView, UserId};

/// A message as the API shows it: the stored fields plus `author {id, full_name}`.
#[derive(Debug, Serialize)]
pub struct MessageView {
    #[serde(flatten)]
    message: Message,
    author: AuthorView,
}

#[derive(Debug, Serialize)]
struct AuthorView {
    id: UserId,
    full_name: String,
}

impl From<Message> for MessageView {
    fn from(m: Message) -> Self {
        let author = AuthorView {
            id: m.author_id,
            full_name: m.author_name.clone(),
        };
        MessageView { message: m, author }
    }
}

pub(crate) fn messages(messages: Vec<Message>) -> Vec<MessageView> {
    messages.into_iter().map(MessageView::from).collect()
}

/// A user as staff screens list them: `{id, full_name, role, staff}`.
#[derive(Debug, Serialize)]
pub(crate) struct UserView {
    id: UserId,
    full_name: String,
    role: Role,
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

/// A ticket with its latest messages: `{ticket, messages, has_older}`.
pub(crate) fn ticket(v: TicketView) -> Value {
    json!({ "ticket": v.ticket, "messages": messages(v.messages), "has_older": v.has_older })
}

/// 201 with `{"data": value}`.
pub(crate) fn created<T: Serialize>(value: T) -> Response {
    (StatusCode::CREATED, Json(json!({ "data": value }))).into_response()
}

/// 200 with `{"data": value}`.
pub(crate) fn ok<T: Serialize>(value: T) -> Response {
    Json(json!({ "data": value })).into_response()
}

/// 200 with `{"data": [...], "next_cursor": …}`.
pub(crate) fn page<T: Serialize>(p: Page<T>) -> Response {
    Json(json!({ "data": p.data, "next_cursor": p.next_cursor })).into_response()
}
