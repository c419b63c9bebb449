//! The audit trail: who did what, when, and from where.
//!
//! Every action is one [`AuditRecord`] in one log: a ticket opened or one of its fields
//! changed ([`Action::Ticket`], whose [`Change`] is also the ticket's *activity*, the event
//! lines a conversation shows), a message or internal note posted, a file attached, a reaction
//! added or removed, a transcript exported, a sign-in (or a failed one), a sign-out, a user or
//! an API token created or changed. Read receipts are not recorded: they are state, not acts.
//!
//! What a ticket's write records is written in that write's transaction, so the log never
//! misses a change that happened nor holds one that did not. The records of an employee's own
//! ticket are never shown to them: they name internal notes. An employee sees the ticket's
//! activity ([`AuditEntry`], field changes only) and nothing else of the log.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::id::{AttachmentId, MessageId, TicketId, UserId};
use crate::reaction::Emoji;
use crate::ticket::{Category, Priority, Status};
use crate::time::Timestamp;

/// One recorded change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    /// Assigned by the store; grows with time.
    pub id: i64,
    /// The ticket changed.
    pub ticket_id: TicketId,
    /// Who changed it.
    pub actor_id: UserId,
    /// Their name at the time.
    pub actor_name: String,
    /// What changed, with the values before and after.
    #[serde(flatten)]
    pub change: Change,
    /// When.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
}

/// What an [`AuditEntry`] records. Serialized with a `field` tag:
/// `{"field":"status","before":"open","after":"resolved"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "field", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Change {
    /// The ticket was opened with these values.
    Created {
        /// Its first status.
        status: Status,
        /// Its first priority.
        priority: Priority,
        /// Its category.
        category: Category,
    },
    /// The status changed.
    Status {
        /// Old value.
        before: Status,
        /// New value.
        after: Status,
    },
    /// The priority changed.
    Priority {
        /// Old value.
        before: Priority,
        /// New value.
        after: Priority,
    },
    /// The assignee changed (`None`: unassigned).
    AssignedTo {
        /// Old assignee.
        #[cfg_attr(feature = "openapi", schema(required = true))]
        before: Option<UserId>,
        /// New assignee.
        #[cfg_attr(feature = "openapi", schema(required = true))]
        after: Option<UserId>,
    },
}

/// A change about to be recorded: the store adds the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    /// Who.
    pub actor_id: UserId,
    /// Their name.
    pub actor_name: String,
    /// What.
    pub change: Change,
    /// Where the request came from, when the transport knew ([`crate::Actor::origin`]).
    pub origin: Option<IpAddr>,
    /// When.
    pub at: Timestamp,
}

impl NewAuditEntry {
    /// The entry as stored, with the id the store assigned it on `ticket_id`.
    pub fn stored(self, id: i64, ticket_id: TicketId) -> AuditEntry {
        AuditEntry {
            id,
            ticket_id,
            actor_id: self.actor_id,
            actor_name: self.actor_name,
            change: self.change,
            at: self.at,
        }
    }

    /// The same change as a record of the whole log, on `ticket_id`.
    pub fn record(&self, ticket_id: TicketId) -> NewAuditRecord {
        NewAuditRecord {
            ticket_id: Some(ticket_id),
            actor_id: Some(self.actor_id),
            actor_name: self.actor_name.clone(),
            action: Action::Ticket(self.change.clone()),
            origin: self.origin,
            at: self.at,
        }
    }
}

/// One entry of the whole audit log: who did what, when, from where.
///
/// Serialized flat, the [`Action`]'s tag and fields beside the rest:
/// `{"id":7,"ticket_id":3,"actor_id":201,"actor_name":"Sam","action":"message.posted",
/// "message_id":12,"internal":true,"origin":"10.0.0.5","at":"…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditRecord {
    /// Assigned by the store; grows with time, across tickets.
    pub id: i64,
    /// The ticket acted on; `null` for an action on no ticket (a sign-in, a user change).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub ticket_id: Option<TicketId>,
    /// Who acted; `null` when nobody proved who they were (a failed sign-in) or the command
    /// line acted.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub actor_id: Option<UserId>,
    /// Their name at the time (`"command line"` for the CLI, the typed login for a failed
    /// sign-in).
    pub actor_name: String,
    /// What they did.
    #[serde(flatten)]
    pub action: Action,
    /// The client's address, when the transport knew it.
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = Option<String>))]
    pub origin: Option<IpAddr>,
    /// When.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
}

impl AuditRecord {
    /// The ticket activity this record is, if it is a ticket field change.
    pub fn activity(&self) -> Option<AuditEntry> {
        match (&self.action, self.ticket_id, self.actor_id) {
            (Action::Ticket(change), Some(ticket_id), Some(actor_id)) => Some(AuditEntry {
                id: self.id,
                ticket_id,
                actor_id,
                actor_name: self.actor_name.clone(),
                change: change.clone(),
                at: self.at,
            }),
            _ => None,
        }
    }
}

/// A record about to be written: the store adds the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditRecord {
    /// The ticket acted on, if any.
    pub ticket_id: Option<TicketId>,
    /// Who acted, if known.
    pub actor_id: Option<UserId>,
    /// Their name, or what stands for them.
    pub actor_name: String,
    /// What.
    pub action: Action,
    /// From where.
    pub origin: Option<IpAddr>,
    /// When.
    pub at: Timestamp,
}

impl NewAuditRecord {
    /// A record of `action` on `ticket`, now: done by `actor` from their origin, or (`None`)
    /// by whoever `name` stands for (the typed login of a failed sign-in, `"command line"`)
    /// from `origin`. Names lose their control characters, as an author's do.
    pub fn now(
        actor: Option<&crate::Actor>,
        name: &str,
        origin: Option<IpAddr>,
        ticket: Option<TicketId>,
        action: Action,
    ) -> Self {
        let name = actor.map_or(name, |a| a.name.as_str());
        NewAuditRecord {
            ticket_id: ticket,
            actor_id: actor.map(|a| a.id),
            actor_name: crate::validate::strip_control_characters(name),
            action,
            origin: actor.and_then(|a| a.origin).or(origin),
            at: crate::time::now(),
        }
    }

    /// The record as stored under `id`.
    pub fn stored(self, id: i64) -> AuditRecord {
        AuditRecord {
            id,
            ticket_id: self.ticket_id,
            actor_id: self.actor_id,
            actor_name: self.actor_name,
            action: self.action,
            origin: self.origin,
            at: self.at,
        }
    }
}

/// What was done. Serialized with an `action` tag (its [`Action::name`]) beside its fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action")]
#[non_exhaustive]
pub enum Action {
    /// A ticket was opened, or one of its fields changed: `{"action":"ticket","field":…}`.
    #[serde(rename = "ticket")]
    Ticket(Change),
    /// A message (or, with `internal`, a staff note) was posted on the ticket.
    #[serde(rename = "message.posted")]
    MessagePosted {
        /// The message.
        message_id: MessageId,
        /// True for an internal note.
        internal: bool,
    },
    /// A file was attached to a message.
    #[serde(rename = "attachment.added")]
    AttachmentAdded {
        /// The message it is attached to.
        message_id: MessageId,
        /// The file.
        attachment_id: AttachmentId,
        /// Its name.
        filename: String,
    },
    /// A reaction was added to a message.
    #[serde(rename = "reaction.added")]
    ReactionAdded {
        /// The message.
        message_id: MessageId,
        /// The emoji.
        emoji: Emoji,
    },
    /// A reaction was taken back.
    #[serde(rename = "reaction.removed")]
    ReactionRemoved {
        /// The message.
        message_id: MessageId,
        /// The emoji.
        emoji: Emoji,
    },
    /// The ticket was archived ([`crate::archive`]): closed and untouched for the configured
    /// time.
    #[serde(rename = "ticket.archived")]
    TicketArchived,
    /// A transcript of the ticket was downloaded.
    #[serde(rename = "transcript.exported")]
    TranscriptExported {
        /// `txt`, `json` or `html`.
        format: String,
        /// True when it held internal notes (a staff export).
        internal: bool,
    },
    /// A user signed in.
    #[serde(rename = "auth.signed_in")]
    SignedIn {
        /// How: `password`, `jwt`, `sso`, `demo`.
        method: String,
    },
    /// A sign-in was refused.
    #[serde(rename = "auth.sign_in_failed")]
    SignInFailed {
        /// How it was tried.
        method: String,
        /// Why it failed, in a word (`bad_credentials`, `disabled`, `throttled`, …).
        reason: String,
    },
    /// A user signed out.
    #[serde(rename = "auth.signed_out")]
    SignedOut,
    /// A user account was created.
    #[serde(rename = "user.created")]
    UserCreated {
        /// The new user.
        user_id: UserId,
        /// Their role.
        role: crate::Role,
    },
    /// A user account changed: the names of the fields that changed (`name`, `email`,
    /// `role`, `disabled`, `password`), never their secret values.
    #[serde(rename = "user.updated")]
    UserUpdated {
        /// The user changed.
        user_id: UserId,
        /// What changed.
        fields: Vec<String>,
    },
    /// An API token was created for a user.
    #[serde(rename = "token.created")]
    TokenCreated {
        /// Whose token.
        user_id: UserId,
        /// The token's id.
        token_id: i64,
        /// Its name.
        name: String,
    },
    /// An API token was revoked.
    #[serde(rename = "token.revoked")]
    TokenRevoked {
        /// The token's id.
        token_id: i64,
    },
}

impl Action {
    /// Every action's name, as the `action` tag and the log's filter spell it.
    pub const NAMES: [&'static str; 14] = [
        "ticket",
        "message.posted",
        "attachment.added",
        "reaction.added",
        "reaction.removed",
        "ticket.archived",
        "transcript.exported",
        "auth.signed_in",
        "auth.sign_in_failed",
        "auth.signed_out",
        "user.created",
        "user.updated",
        "token.created",
        "token.revoked",
    ];

    /// The `action` tag.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Ticket(_) => "ticket",
            Action::MessagePosted { .. } => "message.posted",
            Action::AttachmentAdded { .. } => "attachment.added",
            Action::ReactionAdded { .. } => "reaction.added",
            Action::ReactionRemoved { .. } => "reaction.removed",
            Action::TicketArchived => "ticket.archived",
            Action::TranscriptExported { .. } => "transcript.exported",
            Action::SignedIn { .. } => "auth.signed_in",
            Action::SignInFailed { .. } => "auth.sign_in_failed",
            Action::SignedOut => "auth.signed_out",
            Action::UserCreated { .. } => "user.created",
            Action::UserUpdated { .. } => "user.updated",
            Action::TokenCreated { .. } => "token.created",
            Action::TokenRevoked { .. } => "token.revoked",
        }
    }

    /// The action's fields without its tag, as stores keep them beside the name: a JSON object.
    pub fn detail(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.remove("action");
        }
        v
    }

    /// The inverse of [`name`](Self::name) and [`detail`](Self::detail), for a store reading
    /// its rows. An `Err` is data no version of this crate wrote.
    pub fn from_parts(name: &str, detail: serde_json::Value) -> Result<Self, serde_json::Error> {
        let mut detail = match detail {
            serde_json::Value::Object(o) => o,
            serde_json::Value::Null => serde_json::Map::new(),
            other => return serde_json::from_value(other),
        };
        detail.insert("action".into(), serde_json::Value::String(name.into()));
        serde_json::from_value(serde_json::Value::Object(detail))
    }
}

/// Which records [`SupportStore::audit_log`](crate::SupportStore::audit_log) answers, newest
/// first. Every filter given must match.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditQuery {
    /// Only this ticket's.
    pub ticket_id: Option<TicketId>,
    /// Only this user's acts.
    pub actor_id: Option<UserId>,
    /// Only these actions (by [`Action::name`]); empty: all.
    pub actions: Vec<String>,
    /// At or after.
    pub from: Option<Timestamp>,
    /// Before.
    pub to: Option<Timestamp>,
    /// Only records with a smaller id (the cursor: the last id of the previous page).
    pub before_id: Option<i64>,
    /// At most this many.
    pub limit: u32,
}

impl AuditQuery {
    /// True when `r` passes every filter but the limit.
    pub fn matches(&self, r: &AuditRecord) -> bool {
        self.ticket_id.is_none_or(|t| r.ticket_id == Some(t))
            && self.actor_id.is_none_or(|a| r.actor_id == Some(a))
            && (self.actions.is_empty() || self.actions.iter().any(|a| a == r.action.name()))
            && self.from.is_none_or(|f| r.at >= f)
            && self.to.is_none_or(|t| r.at < t)
            && self.before_id.is_none_or(|b| r.id < b)
    }
}
