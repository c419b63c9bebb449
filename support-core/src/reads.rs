//! Read state: how far each user has read each ticket, and what a ticket list shows a reader
//! because of it (unread counts, the last message, how long the employee has been waiting).
//!
//! The store keeps one [`ReadPosition`] per (ticket, user) and answers
//! [`SupportStore::ticket_summaries`](crate::SupportStore::ticket_summaries) for a whole page
//! of tickets at once. [`TicketSummary::compute`] is the reference semantics every store must
//! reproduce.

use serde::Serialize;

use crate::id::{MessageId, TicketId, UserId};
use crate::message::{AuthorType, Message};
use crate::ticket::Ticket;
use crate::time::Timestamp;

/// How many characters of a message a [`LastMessage`] preview keeps.
pub const PREVIEW_CHARS: usize = 200;

/// How far one user has read one ticket: every message with an id up to `message_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReadPosition {
    /// The ticket.
    pub ticket_id: TicketId,
    /// The reader.
    pub user_id: UserId,
    /// The last message read.
    pub message_id: MessageId,
    /// When the position last moved.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub read_at: Timestamp,
}

/// A position that moved: what [`SupportStore::mark_read`](crate::SupportStore::mark_read)
/// answers when it wrote something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadAdvance {
    /// The reader's previous position on the ticket, if they had one.
    pub before: Option<MessageId>,
    /// The position as it is now.
    pub position: ReadPosition,
}

/// The latest message a reader may see, shortened for a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LastMessage {
    /// The message's id.
    pub id: MessageId,
    /// Who wrote it.
    pub author_type: AuthorType,
    /// Its first [`PREVIEW_CHARS`] characters (characters, not bytes).
    pub content: String,
    /// When it was stored.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

impl LastMessage {
    /// The preview of a message.
    pub fn of(m: &Message) -> Self {
        LastMessage {
            id: m.id,
            author_type: m.author_type,
            content: preview(&m.content),
            created_at: m.created_at,
        }
    }
}

/// The first [`PREVIEW_CHARS`] characters of `content`.
pub fn preview(content: &str) -> String {
    content.chars().take(PREVIEW_CHARS).collect()
}

/// What a ticket list shows one reader about one ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketSummary {
    /// The ticket.
    pub ticket_id: TicketId,
    /// Messages the reader may see, not written by them, with an id above their position
    /// (every such message when they have none).
    pub unread_count: u64,
    /// The latest message the reader may see, if any.
    pub last_message: Option<LastMessage>,
    /// Since when the employee has been waiting for a public staff answer; see
    /// [`waiting_since`].
    pub waiting_since: Option<Timestamp>,
}

/// Since when the employee has been waiting for an answer, from the ticket's public messages
/// (internal notes answer nobody, whoever reads):
///
/// - after the last public staff message, the `created_at` of the employee's oldest public
///   message that follows it; `None` if none follows (the latest public word is staff's);
/// - if staff never replied publicly, the ticket's `created_at`: its description is the
///   employee's question, so a ticket with no messages yet is unanswered since it was opened.
///
/// The ticket's status plays no part: a resolved ticket whose last word is the employee's is
/// still waiting.
///
/// `last_staff_reply` is the id of the last public staff message; `first_after` the
/// `created_at` of the oldest public employee message with a greater id (any, when there is no
/// staff reply).
pub fn waiting_since(
    created_at: Timestamp,
    last_staff_reply: Option<MessageId>,
    first_after: Option<Timestamp>,
) -> Option<Timestamp> {
    match last_staff_reply {
        None => Some(created_at),
        Some(_) => first_after,
    }
}

impl TicketSummary {
    /// The reference semantics: the summary of `ticket` for `reader`, from all its messages in
    /// id order and the reader's position on it.
    pub fn compute(
        ticket: &Ticket,
        messages: &[Message],
        reader: UserId,
        position: Option<MessageId>,
        include_internal: bool,
    ) -> Self {
        let visible = || {
            messages
                .iter()
                .filter(move |m| include_internal || !m.is_internal)
        };
        let read = position.unwrap_or(MessageId(0));
        let unread_count = visible()
            .filter(|m| m.author_id != reader && m.id > read)
            .count() as u64;
        let last_message = visible().max_by_key(|m| m.id).map(LastMessage::of);
        let public = || messages.iter().filter(|m| !m.is_internal);
        let last_staff_reply = public()
            .filter(|m| m.author_type == AuthorType::Support)
            .map(|m| m.id)
            .max();
        let after = last_staff_reply.unwrap_or(MessageId(0));
        let first_after = public()
            .filter(|m| m.author_type == AuthorType::Employee && m.id > after)
            .min_by_key(|m| m.id)
            .map(|m| m.created_at);
        TicketSummary {
            ticket_id: ticket.id,
            unread_count,
            last_message,
            waiting_since: waiting_since(ticket.created_at, last_staff_reply, first_after),
        }
    }
}

/// One side's read mark on a ticket, as a view shows it: how far, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Receipt {
    /// The last message read.
    pub message_id: MessageId,
    /// When the position last moved.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub read_at: Timestamp,
}

/// The "Seen" marks of a ticket, for one caller: how far the ticket's employee has read, and
/// how far staff have (the furthest of any staff member, never saying which). For an employee
/// caller the staff mark is clamped to the last public message up to it, so it never names an
/// internal note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReadReceipts {
    /// The ticket's employee; `null` until they read a message.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub employee: Option<Receipt>,
    /// Staff; `null` until one of them read a message (the caller may see).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub staff: Option<Receipt>,
}

/// The `message_id` of a read request's body: a positive integer (or a string of digits, as
/// Laravel's `integer` rule takes it). Anything else is a validation error on `message_id`.
pub fn message_id_from_json(body: &serde_json::Value) -> crate::Result<MessageId> {
    use serde_json::Value;
    let invalid = |m: &str| crate::Error::invalid("message_id", m);
    let id = match body.get("message_id") {
        None | Some(Value::Null) => return Err(invalid("The message id field is required.")),
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()
        }
        Some(_) => None,
    };
    match id {
        Some(id) if id > 0 => Ok(MessageId(id)),
        Some(_) => Err(invalid("The selected message id is invalid.")),
        None => Err(invalid("The message id field must be an integer.")),
    }
}
