//! What the service hands a store to write, and the one place where a draft becomes the row a
//! store returns: every store builds its [`Ticket`] with [`TicketDraft::ticket`] and its
//! [`Message`] with [`PendingMessage::stored`], so no store can fill a field differently.

use crate::actor::Actor;
use crate::audit::{Action, Change, NewAuditEntry, NewAuditRecord};
use crate::id::{IdempotencyKey, MessageId, TicketId, TicketNumber, UserId};
use crate::message::{Attachment, AuthorType, Message, Visibility};
use crate::sla::{Sla, SlaTargets};
use crate::store::TicketUpdate;
use crate::ticket::{Status, Ticket, TicketPatch};
use crate::time::Timestamp;
use crate::validate::{self, MessageBody, NewMessage, NewTicket};

/// Who wrote something, as recorded with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    /// The user's id.
    pub id: UserId,
    /// Their name at the time.
    pub name: String,
    /// Where they acted from ([`Actor::origin`]), for the audit trail.
    pub origin: Option<std::net::IpAddr>,
}

impl Author {
    /// The author record of an actor. The name comes from the embedder's directory, not from
    /// a client, so rather than refusing the request its control characters are dropped
    /// ([`validate::strip_control_characters`]): every store can hold what is left.
    pub fn of(actor: &Actor) -> Self {
        Author {
            id: actor.id,
            name: validate::strip_control_characters(&actor.name),
            origin: actor.origin,
        }
    }
}

/// A ticket to create, optionally with its first message (a quick chat).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketDraft {
    /// The employee opening it; also the author of the first message and of the audit entry.
    pub employee: Author,
    /// Its validated fields.
    pub ticket: NewTicket,
    /// A first public message from the employee.
    pub first_message: Option<MessageBody>,
    /// Makes the create safe to retry; scoped to `employee.id`.
    pub idempotency_key: Option<IdempotencyKey>,
    /// The creation time, used for `created_at`, `updated_at`, the message and the audit entry.
    pub at: Timestamp,
    /// The SLA targets the ticket's due times come from ([`Sla::start`]).
    pub sla: SlaTargets,
}

impl TicketDraft {
    /// The ticket as stored under the id (and number) the store assigned: open, unassigned,
    /// created and last active at the draft's time.
    pub fn ticket(&self, id: TicketId, ticket_number: TicketNumber) -> Ticket {
        Ticket {
            id,
            ticket_number,
            employee_id: self.employee.id,
            subject: self.ticket.subject.as_str().to_owned(),
            description: self.ticket.description.as_str().to_owned(),
            category: self.ticket.category,
            priority: self.ticket.priority,
            status: Status::Open,
            assigned_to: None,
            resolved_at: None,
            created_at: self.at,
            updated_at: self.at,
            version: crate::ticket::FIRST_VERSION,
            first_response_at: None,
            archived_at: None,
            sla: self.clocks(),
        }
    }

    /// The new ticket's SLA clocks: started at the draft's time with its priority's targets.
    pub fn clocks(&self) -> Sla {
        Sla::start(self.at, self.ticket.priority, &self.sla)
    }

    /// The first message of a quick chat, to store on the new ticket `ticket_id`: public, by
    /// the employee, at the draft's time.
    pub fn pending_first_message(&self, ticket_id: TicketId) -> Option<PendingMessage> {
        self.first_message.as_ref().map(|body| PendingMessage {
            ticket_id,
            author: self.employee.clone(),
            author_type: AuthorType::Employee,
            content: body.as_str().to_owned(),
            is_internal: false,
            attachments: Vec::new(),
            at: self.at,
        })
    }

    /// The audit entry every store records with the new ticket.
    pub fn audit_entry(&self) -> NewAuditEntry {
        NewAuditEntry {
            actor_id: self.employee.id,
            actor_name: self.employee.name.clone(),
            change: Change::Created {
                status: Status::Open,
                priority: self.ticket.priority,
                category: self.ticket.category,
            },
            origin: self.employee.origin,
            at: self.at,
        }
    }
}

/// A message to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageDraft {
    /// The ticket it goes on.
    pub ticket_id: TicketId,
    /// Who writes it.
    pub author: Author,
    /// Which side they write for.
    pub author_type: AuthorType,
    /// The validated message.
    pub message: NewMessage,
    /// The uploads `message.attachments` names, resolved by the service: the store links each
    /// ([`Attachment::id`]) to the message in the append's transaction, and stores this
    /// metadata with it.
    pub attachments: Vec<Attachment>,
    /// Makes the append safe to retry; scoped to `author.id`.
    pub idempotency_key: Option<IdempotencyKey>,
    /// Its `created_at`; also the ticket's new `updated_at`.
    pub at: Timestamp,
}

impl MessageDraft {
    /// The message's stored fields, waiting for the id the store assigns.
    pub fn pending(&self) -> PendingMessage {
        PendingMessage {
            ticket_id: self.ticket_id,
            author: self.author.clone(),
            author_type: self.author_type,
            content: self.message.body.as_str().to_owned(),
            is_internal: self.message.visibility == Visibility::Internal,
            attachments: self.attachments.clone(),
            at: self.at,
        }
    }
}

/// A message about to be stored: every field of [`Message`] but the id. Stores write these
/// columns and turn the row into a [`Message`] with [`PendingMessage::stored`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingMessage {
    /// The ticket it goes on.
    pub ticket_id: TicketId,
    /// Who writes it.
    pub author: Author,
    /// Which side they write for.
    pub author_type: AuthorType,
    /// The validated text.
    pub content: String,
    /// A staff-only note.
    pub is_internal: bool,
    /// Attached files' metadata.
    pub attachments: Vec<Attachment>,
    /// Its `created_at`; also the ticket's new `updated_at`.
    pub at: Timestamp,
}

impl PendingMessage {
    /// True if this message reopens a resolved or closed ticket: an employee's public reply.
    /// Staff replies and internal notes never do.
    pub fn can_reopen(&self) -> bool {
        self.author_type == AuthorType::Employee && !self.is_internal
    }

    /// True if this message stops its ticket's first-response clock when it is the first such:
    /// a public message from staff. Internal notes and the employee's messages never do.
    pub fn is_staff_response(&self) -> bool {
        self.author_type == AuthorType::Support && !self.is_internal
    }

    /// What appending this message does to its ticket `before` (the row as it is inside the
    /// append's transaction), besides touching `updated_at`: `Some` when it reopens it, with
    /// the ticket after and the audit entry to record in the same transaction.
    ///
    /// The one rule of reopening, for every store: an employee's public message on a ticket in
    /// [`Status::REOPENED_BY_REPLY`] sets it to [`Status::Open`] exactly as a staff change to
    /// open does ([`TicketPatch::apply`]: `resolved_at` cleared, `version` bumped,
    /// `updated_at` the message's time), recorded as `Change::Status` with the employee as the
    /// actor.
    pub fn reopening(&self, before: &Ticket) -> Option<Reopening> {
        if !self.can_reopen() || !before.status.is_reopened_by_reply() {
            return None;
        }
        let patch = TicketPatch {
            status: Some(Status::Open),
            ..TicketPatch::default()
        };
        // A reopening changes no priority: the targets are not consulted.
        let (after, changes) = patch.apply(before, self.at, &SlaTargets::default());
        let audit = changes
            .iter()
            .map(|c| NewAuditEntry {
                actor_id: self.author.id,
                actor_name: self.author.name.clone(),
                change: c.clone(),
                origin: self.author.origin,
                at: self.at,
            })
            .collect();
        Some(Reopening {
            update: TicketUpdate {
                before: before.clone(),
                after,
                changes,
            },
            audit,
        })
    }

    /// What the store records in the audit log with this message, once it has the id, in the
    /// append's transaction: the message posted, then each attached file.
    pub fn audit_records(&self, id: MessageId) -> Vec<NewAuditRecord> {
        let record = |action| NewAuditRecord {
            ticket_id: Some(self.ticket_id),
            actor_id: Some(self.author.id),
            actor_name: self.author.name.clone(),
            action,
            origin: self.author.origin,
            at: self.at,
        };
        let mut out = vec![record(Action::MessagePosted {
            message_id: id,
            internal: self.is_internal,
        })];
        out.extend(self.attachments.iter().map(|a| {
            record(Action::AttachmentAdded {
                message_id: id,
                attachment_id: a.id,
                filename: a.name.clone(),
            })
        }));
        out
    }

    /// The message as stored under the id the store assigned.
    pub fn stored(self, id: MessageId) -> Message {
        Message {
            id,
            ticket_id: self.ticket_id,
            author_id: self.author.id,
            author_name: self.author.name,
            author_type: self.author_type,
            content: self.content,
            is_internal: self.is_internal,
            attachments: self.attachments,
            created_at: self.at,
        }
    }
}

/// A ticket reopened by an employee's reply ([`PendingMessage::reopening`]): what the store
/// writes with the message, in the same transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reopening {
    /// The ticket before and after; `changes` holds the one status change.
    pub update: TicketUpdate,
    /// The audit entries to record (one: the status change, by the employee).
    pub audit: Vec<NewAuditEntry>,
}

/// A staff change to apply with [`TicketPatch::apply`] inside the store's transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketChange {
    /// What to change.
    pub patch: TicketPatch,
    /// Who changes it.
    pub author: Author,
    /// Makes the change safe to retry; scoped to `author.id` (see
    /// [`KeyUse::replay_update`](crate::idempotency::KeyUse::replay_update)).
    pub idempotency_key: Option<IdempotencyKey>,
    /// The [`Ticket::version`] the change was made from: compared and set in the store's
    /// transaction, so a change made from a stale view is refused with
    /// [`Error::Stale`](crate::Error::Stale) and writes nothing. `None` applies it to
    /// whatever the ticket is now.
    pub expected_version: Option<i64>,
    /// When.
    pub at: Timestamp,
    /// The SLA targets a priority change moves the due times to.
    pub sla: SlaTargets,
}

impl TicketChange {
    /// [`TicketPatch::apply`] of this change to `before`, at its time, with its targets.
    pub fn apply(&self, before: &Ticket) -> (Ticket, Vec<Change>) {
        self.patch.apply(before, self.at, &self.sla)
    }

    /// `Err(Stale)` with the ticket as it is when the change names a version `before` is no
    /// longer at. Stores call it on the row read inside their write transaction, after a
    /// retry's key was looked up (a retry answers as the first call did).
    pub fn check_version(&self, before: &Ticket) -> crate::Result<()> {
        match self.expected_version {
            Some(v) if v != before.version => Err(crate::Error::Stale(Box::new(before.clone()))),
            _ => Ok(()),
        }
    }
}

impl TicketChange {
    /// The audit entries for a list of changes.
    pub fn audit_entries(&self, changes: &[Change]) -> Vec<NewAuditEntry> {
        changes
            .iter()
            .map(|c| NewAuditEntry {
                actor_id: self.author.id,
                actor_name: self.author.name.clone(),
                change: c.clone(),
                origin: self.author.origin,
                at: self.at,
            })
            .collect()
    }
}
