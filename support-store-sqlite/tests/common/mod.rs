//! Builders shared by the integration tests.

// Each test file uses a different subset; a helper that cannot build its value is a broken
// test, so it panics.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;
use std::time::Duration;

use support_core::store::{Author, MessageDraft, TicketDraft};
use support_core::time::{self, Timestamp};
use support_core::{
    AuthorType, IdempotencyKey, MessageBody, NewMessage, NewTicket, TicketId, UserId,
};

/// Long enough for any single call here, short enough that a hang fails the test quickly.
pub(crate) const BOUND: Duration = Duration::from_secs(10);

pub(crate) fn url(dir: &Path, file: &str) -> String {
    format!("sqlite://{}", dir.join(file).display())
}

pub(crate) fn author(id: i64) -> Author {
    Author {
        id: UserId(id),
        name: format!("user {id}"),
    }
}

pub(crate) fn ticket(
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
    }
}

pub(crate) fn simple_ticket(employee: i64, subject: &str) -> TicketDraft {
    ticket(employee, subject, "it", "medium", time::now())
}

pub(crate) fn message(
    ticket_id: TicketId,
    author_id: i64,
    text: &str,
    at: Timestamp,
) -> MessageDraft {
    MessageDraft {
        ticket_id,
        author: author(author_id),
        author_type: AuthorType::Employee,
        message: NewMessage::public(MessageBody::parse(text).unwrap()),
        idempotency_key: None,
        at,
    }
}

pub(crate) fn key(s: &str) -> Option<IdempotencyKey> {
    Some(s.parse().unwrap())
}

/// A fixed instant plus `secs` seconds: deterministic timestamps with deliberate ties.
pub(crate) fn at(secs: i64) -> Timestamp {
    time::from_micros(1_750_000_000_000_000 + secs * 1_000_000).unwrap()
}
