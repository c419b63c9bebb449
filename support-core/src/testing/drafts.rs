//! Draft builders for store-level tests, which call a [`SupportStore`](crate::SupportStore)
//! directly rather than through the service. A helper that cannot build its value is a broken
//! test, so it panics.

use std::time::Duration;

use crate::store::{Author, MessageDraft, TicketDraft};
use crate::time::{self, Timestamp};
use crate::{AuthorType, IdempotencyKey, MessageBody, NewMessage, NewTicket, TicketId, UserId};

/// Long enough for any single store call in a test, short enough that a hang fails it quickly.
pub const BOUND: Duration = Duration::from_secs(10);

/// User `id`, named `user {id}`.
pub fn author(id: i64) -> Author {
    Author {
        id: UserId(id),
        name: format!("user {id}"),
        origin: None,
    }
}

/// A ticket by employee `employee`, described as `"{subject}, described"`.
pub fn ticket(
    employee: i64,
    subject: &str,
    category: &str,
    priority: &str,
    at: Timestamp,
) -> TicketDraft {
    TicketDraft {
        employee: author(employee),
        ticket: NewTicket::parse(
            subject,
            &format!("{subject}, described"),
            category,
            priority,
        )
        .unwrap(),
        first_message: None,
        idempotency_key: None,
        at,
        sla: Default::default(),
    }
}

/// An `it`, `medium` ticket created now.
pub fn simple_ticket(employee: i64, subject: &str) -> TicketDraft {
    ticket(employee, subject, "it", "medium", time::now())
}

/// A public message by user `author_id`, written as an employee.
pub fn message(ticket_id: TicketId, author_id: i64, text: &str, at: Timestamp) -> MessageDraft {
    MessageDraft {
        ticket_id,
        author: author(author_id),
        author_type: AuthorType::Employee,
        message: NewMessage::public(MessageBody::parse(text).unwrap()),
        attachments: Vec::new(),
        idempotency_key: None,
        at,
    }
}

/// An idempotency key, as the drafts' field takes it.
pub fn key(s: &str) -> Option<IdempotencyKey> {
    Some(s.parse().unwrap())
}

/// A fixed instant plus `secs` seconds: deterministic timestamps with deliberate ties.
pub fn at(secs: i64) -> Timestamp {
    time::from_micros(1_750_000_000_000_000 + secs * 1_000_000).unwrap()
}
