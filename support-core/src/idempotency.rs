//! What an idempotency key was first used for, and what a retry with it answers: the one
//! decision every store makes the same way (see [`SupportStore`](crate::SupportStore)'s
//! contract, **Idempotency**).
//!
//! A store keeps one [`KeyUse`] per user and key, written in the transaction of the write it
//! belongs to. When a write arrives with a key the same user already used, the store asks the
//! recorded use what to answer: [`KeyUse::replay_create`], [`KeyUse::replay_append`] or
//! [`KeyUse::replay_update`]. Each either names what the first request stored, to be read
//! back and answered with nothing written, or is a [`Error::Conflict`]: the key was used for
//! a different request.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::id::{MessageId, TicketId, UserId};
use crate::ticket::{Choice, TicketPatch};

/// What an idempotency key was first used for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KeyUse {
    /// A ticket was created, with its first message for a quick chat.
    Ticket {
        /// The ticket created.
        ticket: TicketId,
        /// Its first message, if it had one.
        message: Option<MessageId>,
    },
    /// A message was appended.
    Message {
        /// The ticket it went on.
        ticket: TicketId,
        /// The message.
        message: MessageId,
    },
    /// A ticket was changed.
    Update {
        /// The ticket changed.
        ticket: TicketId,
        /// The change asked for, as [`KeyUse::update`] writes it: a retry must ask the same.
        request: String,
    },
}

impl KeyUse {
    /// The use of a key on a change of `ticket` by `patch`.
    pub fn update(ticket: TicketId, patch: &TicketPatch) -> Self {
        KeyUse::Update {
            ticket,
            request: fingerprint(patch),
        }
    }

    /// `"ticket"`, `"message"` or `"update"`: the `kind` column of the SQL stores.
    pub fn kind(&self) -> &'static str {
        match self {
            KeyUse::Ticket { .. } => "ticket",
            KeyUse::Message { .. } => "message",
            KeyUse::Update { .. } => "update",
        }
    }

    /// The ticket it wrote.
    pub fn ticket_id(&self) -> TicketId {
        match self {
            KeyUse::Ticket { ticket, .. }
            | KeyUse::Message { ticket, .. }
            | KeyUse::Update { ticket, .. } => *ticket,
        }
    }

    /// The message it wrote, if any.
    pub fn message_id(&self) -> Option<MessageId> {
        match self {
            KeyUse::Ticket { message, .. } => *message,
            KeyUse::Message { message, .. } => Some(*message),
            KeyUse::Update { .. } => None,
        }
    }

    /// The change it asked for, for an update.
    pub fn request(&self) -> Option<&str> {
        match self {
            KeyUse::Update { request, .. } => Some(request),
            _ => None,
        }
    }

    /// From the columns a SQL store keeps (`kind`, `ticket_id`, `message_id`, `request`);
    /// `None` if they do not describe a use (a damaged row).
    pub fn from_columns(
        kind: &str,
        ticket_id: i64,
        message_id: Option<i64>,
        request: Option<String>,
    ) -> Option<Self> {
        let ticket = TicketId(ticket_id);
        match (kind, message_id, request) {
            ("ticket", message, None) => Some(KeyUse::Ticket {
                ticket,
                message: message.map(MessageId),
            }),
            ("message", Some(message), None) => Some(KeyUse::Message {
                ticket,
                message: MessageId(message),
            }),
            ("update", None, Some(request)) => Some(KeyUse::Update { ticket, request }),
            _ => None,
        }
    }

    /// A create retried with this key: the ticket and first message to read back and answer
    /// as [`Created::Existing`](crate::store::Created::Existing). `Conflict` if the key was
    /// used for something else. (Whether the retry asks for the same ticket is the service's
    /// check, on the ticket read back.)
    pub fn replay_create(&self) -> Result<(TicketId, Option<MessageId>)> {
        match self {
            KeyUse::Ticket { ticket, message } => Ok((*ticket, *message)),
            other => Err(used_for(other)),
        }
    }

    /// An append retried with this key: the ticket and message to read back and answer as
    /// [`Created::Existing`](crate::store::Created::Existing). `Conflict` if the key was used
    /// for something else.
    pub fn replay_append(&self) -> Result<(TicketId, MessageId)> {
        match self {
            KeyUse::Message { ticket, message } => Ok((*ticket, *message)),
            other => Err(used_for(other)),
        }
    }

    /// A change retried with this key: `Ok` when it asks for the same change of the same
    /// ticket, and the store answers the ticket as it is, writing nothing; `Conflict`
    /// otherwise.
    pub fn replay_update(&self, ticket: TicketId, patch: &TicketPatch) -> Result<()> {
        if *self == KeyUse::update(ticket, patch) {
            Ok(())
        } else {
            Err(used_for(self))
        }
    }
}

fn used_for(first: &KeyUse) -> Error {
    let what = match first {
        KeyUse::Ticket { .. } => "creating a ticket",
        KeyUse::Message { .. } => "posting a message",
        KeyUse::Update { .. } => "a different ticket change",
    };
    Error::Conflict(format!("the Idempotency-Key was already used for {what}"))
}

/// A patch as text, one field after another: `status=resolved priority=- assigned_to=null`
/// (`-` for a field left as it is, `null` for unassigning). Stable across versions: it is
/// stored with the key.
fn fingerprint(patch: &TicketPatch) -> String {
    let status = patch.status.map_or("-", |s| s.as_str());
    let priority = patch.priority.map_or("-", |p| p.as_str());
    let assigned_to = match patch.assigned_to {
        None => "-".to_owned(),
        Some(None) => "null".to_owned(),
        Some(Some(UserId(id))) => id.to_string(),
    };
    format!("status={status} priority={priority} assigned_to={assigned_to}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ticket::{Priority, Status};

    #[test]
    fn a_change_replays_only_the_same_change_of_the_same_ticket() {
        let patch = TicketPatch {
            status: Some(Status::Resolved),
            ..TicketPatch::default()
        };
        let used = KeyUse::update(TicketId(1), &patch);
        assert_eq!(
            used.request(),
            Some("status=resolved priority=- assigned_to=-")
        );
        assert!(used.replay_update(TicketId(1), &patch).is_ok());
        assert!(used.replay_update(TicketId(2), &patch).is_err());
        let other = TicketPatch {
            priority: Some(Priority::High),
            ..patch.clone()
        };
        assert!(matches!(
            used.replay_update(TicketId(1), &other),
            Err(Error::Conflict(_))
        ));
        assert!(used.replay_create().is_err());
        assert!(used.replay_append().is_err());
    }

    #[test]
    fn columns_round_trip() {
        for used in [
            KeyUse::Ticket {
                ticket: TicketId(1),
                message: None,
            },
            KeyUse::Ticket {
                ticket: TicketId(1),
                message: Some(MessageId(2)),
            },
            KeyUse::Message {
                ticket: TicketId(1),
                message: MessageId(3),
            },
            KeyUse::update(
                TicketId(4),
                &TicketPatch {
                    assigned_to: Some(None),
                    ..TicketPatch::default()
                },
            ),
        ] {
            let back = KeyUse::from_columns(
                used.kind(),
                used.ticket_id().get(),
                used.message_id().map(MessageId::get),
                used.request().map(str::to_owned),
            );
            assert_eq!(back, Some(used));
        }
        assert_eq!(KeyUse::from_columns("message", 1, None, None), None);
        assert_eq!(KeyUse::from_columns("other", 1, None, None), None);
    }
}
