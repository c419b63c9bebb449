//! The storage trait, and the queries and drafts that cross it.

use std::cmp::Ordering;

use async_trait::async_trait;

use crate::archive::ArchiveBatch;
use crate::attachment::{Upload, UploadDraft};
use crate::audit::{AuditEntry, AuditQuery, AuditRecord, Change, NewAuditRecord};
use crate::canned::{CannedDraft, CannedResponse, TemplateDraft, TicketTemplate};
use crate::error::{Error, Result};
use crate::id::AttachmentId;
use crate::id::{CannedResponseId, MessageId, TicketId, TicketTemplateId, UserId};
use crate::message::Message;
use crate::reaction::{MessageReactions, ReactionChange, ReactionOutcome};
use crate::reads::{ReadAdvance, ReadPosition, TicketSummary};
use crate::report::ReportFacts;
use crate::search::{SearchHit, SearchQuery};
use crate::sla::SlaBreach;
use crate::stats::Stats;
use crate::ticket::{Category, Priority, Status, Ticket};
use crate::time::{self, Timestamp};

pub use crate::draft::{
    Author, MessageDraft, PendingMessage, Reopening, TicketChange, TicketDraft,
};
pub use crate::idempotency::KeyUse;

/// The outcome of a create that may be a retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created<T> {
    /// Stored now.
    New(T),
    /// The idempotency key was used before: this is what the first request stored, and nothing
    /// was written now.
    Existing(T),
}

impl<T> Created<T> {
    /// The value, new or not.
    pub fn into_inner(self) -> T {
        match self {
            Created::New(v) | Created::Existing(v) => v,
        }
    }

    /// True if it was stored by this call.
    pub fn is_new(&self) -> bool {
        matches!(self, Created::New(_))
    }

    /// Maps the value, keeping whether it is new.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Created<U> {
        match self {
            Created::New(v) => Created::New(f(v)),
            Created::Existing(v) => Created::Existing(f(v)),
        }
    }
}

/// The result of a change that found its ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketUpdate {
    /// The row as it was.
    pub before: Ticket,
    /// The row as it is now (equal to `before` when nothing changed).
    pub after: Ticket,
    /// What changed; empty means nothing was written.
    pub changes: Vec<Change>,
}

impl TicketUpdate {
    /// The answer for a change that changes nothing (or a retry of one already applied): the
    /// ticket as it is, before and after.
    pub fn unchanged(ticket: Ticket) -> Self {
        TicketUpdate {
            before: ticket.clone(),
            after: ticket,
            changes: Vec::new(),
        }
    }
}

/// What an append stored: the message and, when it was an employee's reply on a resolved or
/// closed ticket, the ticket's reopening ([`PendingMessage::reopening`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// The message as stored.
    pub message: Message,
    /// The ticket reopened by this message, before and after, written in the append's
    /// transaction; `None` when the status did not change (and always for a replay).
    pub reopened: Option<TicketUpdate>,
}

impl Created<Appended> {
    /// The message, new or not.
    pub fn into_message(self) -> Message {
        self.into_inner().message
    }
}

impl Appended {
    /// A message that changed nothing else.
    pub fn message(message: Message) -> Self {
        Appended {
            message,
            reopened: None,
        }
    }
}

/// Whose tickets match: everything optional, all conditions must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketFilter {
    /// Only this employee's tickets.
    pub employee_id: Option<UserId>,
    /// Only these statuses; empty means any.
    pub statuses: Vec<Status>,
    /// Only this priority.
    pub priority: Option<Priority>,
    /// Only this category.
    pub category: Option<Category>,
    /// Only tickets assigned to this user (`Some(None)`: only unassigned ones).
    pub assigned_to: Option<Option<UserId>>,
    /// Text that must occur in the subject, the description or the ticket number. Matching
    /// ignores ASCII case; other characters match exactly.
    pub text: Option<String>,
    /// Only archived tickets (`Some(true)`), only live ones (`Some(false)`), or both (`None`).
    /// The service's lists ask for live ones unless the caller asks for the archive
    /// ([`crate::archive`]).
    pub archived: Option<bool>,
}

impl TicketFilter {
    /// The reference semantics every store must reproduce.
    pub fn matches(&self, t: &Ticket) -> bool {
        self.employee_id.is_none_or(|e| e == t.employee_id)
            && (self.statuses.is_empty() || self.statuses.contains(&t.status))
            && self.priority.is_none_or(|p| p == t.priority)
            && self.category.is_none_or(|c| c == t.category)
            && self.assigned_to.is_none_or(|a| a == t.assigned_to)
            && self.archived.is_none_or(|a| a == t.archived_at.is_some())
            && self.text.as_deref().is_none_or(|q| {
                let q = q.to_ascii_lowercase();
                [
                    t.subject.as_str(),
                    t.description.as_str(),
                    t.ticket_number.as_str(),
                ]
                .iter()
                .any(|field| field.to_ascii_lowercase().contains(&q))
            })
    }
}

/// The order of a ticket list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TicketOrder {
    /// Newest first: `id` descending.
    #[default]
    Newest,
    /// Latest activity first: `updated_at` descending, then `id` descending.
    Activity,
    /// The support queue: priority descending (urgent first), then longest waiting first
    /// (`created_at` ascending), then `id` ascending.
    Queue,
}

impl TicketOrder {
    /// The reference ordering every store must reproduce.
    pub fn compare(self, a: &Ticket, b: &Ticket) -> Ordering {
        self.compare_keys(&TicketKey::of(a), &TicketKey::of(b))
    }

    /// [`TicketOrder::compare`] on sort keys.
    pub fn compare_keys(self, a: &TicketKey, b: &TicketKey) -> Ordering {
        match self {
            TicketOrder::Newest => b.id.cmp(&a.id),
            TicketOrder::Activity => b.updated_at.cmp(&a.updated_at).then(b.id.cmp(&a.id)),
            TicketOrder::Queue => b
                .priority
                .cmp(&a.priority)
                .then(a.created_at.cmp(&b.created_at))
                .then(a.id.cmp(&b.id)),
        }
    }
}

/// A position in a ticket list: the sort fields of the last ticket of the previous page.
/// Keyset pagination: rows inserted or changed elsewhere never shift the pages that follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketKey {
    /// The ticket's id.
    pub id: TicketId,
    /// Its priority.
    pub priority: Priority,
    /// Its creation time.
    pub created_at: Timestamp,
    /// Its latest activity.
    pub updated_at: Timestamp,
}

impl TicketKey {
    /// The key of a ticket.
    pub fn of(t: &Ticket) -> Self {
        TicketKey {
            id: t.id,
            priority: t.priority,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }

    /// True if `t` comes strictly after this key in `order`.
    pub fn precedes(&self, order: TicketOrder, t: &Ticket) -> bool {
        order.compare_keys(self, &TicketKey::of(t)) == Ordering::Less
    }

    /// The opaque text form used as a page cursor.
    pub fn encode(&self) -> String {
        format!(
            "{}.{}.{}.{}",
            self.id,
            self.priority.rank(),
            time::to_micros(self.created_at),
            time::to_micros(self.updated_at)
        )
    }

    /// Parses [`TicketKey::encode`]'s output; anything else is a validation error on `cursor`.
    pub fn decode(s: &str) -> Result<Self> {
        let bad = || Error::invalid("cursor", "The cursor is invalid.");
        let mut parts = s.split('.');
        let mut next = || {
            parts
                .next()
                .and_then(|p| p.parse::<i64>().ok())
                .ok_or_else(bad)
        };
        let id = TicketId(next()?);
        let priority = Priority::from_rank(next()?).ok_or_else(bad)?;
        let created_at = time::from_micros(next()?).ok_or_else(bad)?;
        let updated_at = time::from_micros(next()?).ok_or_else(bad)?;
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(TicketKey {
            id,
            priority,
            created_at,
            updated_at,
        })
    }
}

/// A page of tickets to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketQuery {
    /// Which tickets.
    pub filter: TicketFilter,
    /// In what order.
    pub order: TicketOrder,
    /// Start strictly after this ticket.
    pub after: Option<TicketKey>,
    /// At most this many.
    pub limit: u32,
}

/// Where a page of messages starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MessagePosition {
    /// The newest messages.
    #[default]
    Latest,
    /// Messages with ids strictly greater than this one: catching up.
    After(MessageId),
    /// Messages with ids strictly smaller than this one: loading older history.
    Before(MessageId),
}

/// A page of one ticket's messages to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageQuery {
    /// Whose messages.
    pub ticket_id: TicketId,
    /// From where.
    pub position: MessagePosition,
    /// At most this many.
    pub limit: u32,
    /// Whether internal notes are included.
    pub include_internal: bool,
}

/// Where tickets, messages and the audit trail are kept.
///
/// # Contract
///
/// - **Atomic, durable writes.** Each write method commits everything it writes (rows,
///   audit entries, idempotency record) in one transaction, and returns only after the commit.
///   On error nothing of it is visible.
/// - **Ids.** The store assigns ids. A ticket's number is [`crate::TicketNumber::for_id`].
///   Within one ticket, message ids grow in commit order: once a reader has seen message N,
///   no message with a smaller id can appear later. (A global sequence alone does not give
///   this when transactions commit out of order; lock the ticket row while appending.)
/// - **Idempotency.** A write carrying an idempotency key records what it was used for (a
///   [`KeyUse`]) in its transaction. A create or append whose key the same user already used
///   returns [`Created::Existing`] with what the first call stored ([`KeyUse::replay_create`],
///   [`KeyUse::replay_append`]), and writes nothing. A change whose key was used for the same
///   change of the same ticket ([`KeyUse::replay_update`]) answers
///   [`TicketUpdate::unchanged`] with the ticket as it is, and writes nothing (no audit
///   entry). A key the same user used for anything else is `Conflict`. The key is recorded
///   even by a change that changes nothing. Keys of different users never collide.
/// - **Reads** reproduce the reference semantics of [`TicketFilter::matches`],
///   [`TicketOrder::compare`] and [`TicketKey::precedes`]; message pages are in id order,
///   oldest first, and leave out internal notes unless asked. [`SupportStore::stats`] is
///   exact at the moment of the read: [`Stats::count`] over all tickets.
/// - **Errors** are [`Error`] kinds: a missing ticket on a write is `NotFound`; a unique
///   violation `Conflict`; a busy, locked or unreachable backend `Unavailable`; anything
///   permanent `Backend`. No method panics on any input.
/// - **Read state.** [`SupportStore::mark_read`] keeps one position per (ticket, user) and
///   only ever moves it forward: an id lower than or equal to the stored one writes nothing.
///   It does not check that the message exists (the service does); a missing ticket is
///   `NotFound`. [`SupportStore::ticket_summaries`] reproduces [`TicketSummary::compute`] for
///   a whole page of tickets in one query (never one query per ticket).
/// - **Canned responses and templates.** [`SupportStore::canned_responses`] for a user lists
///   the shared ones and that user's personal ones, in id order. A shortcut is unique within
///   its [`CannedDraft::scope`] (among shared ones, and among each owner's personal ones; two
///   owners may use the same one): a clash is `Conflict` and writes nothing. Saving with an id
///   that does not exist answers `Ok(None)`; deleting answers whether a row went.
/// - **Uploads** ([`Upload`]). [`SupportStore::create_upload`] records one on no message.
///   An append whose draft carries attachments ([`MessageDraft::attachments`]) links each
///   of those uploads to the new message (its `message_id`, and `is_internal` from the message)
///   in the append's own transaction; when one of them is missing or already on a message the
///   append writes nothing and fails with a validation error on `attachments.{index}`. So an
///   upload is linked at most once. A replay links nothing. [`SupportStore::delete_upload`]
///   deletes only an upload on no message; [`SupportStore::blob_in_use`] tells whether any
///   upload row still has that content (the blob is deleted only when none does).
/// - **SLA clocks** ([`crate::sla`]). A new ticket's [`Ticket::sla`] is
///   [`TicketDraft::ticket`]'s; a change writes the clocks [`TicketChange::apply`] computed.
///   An append of a public staff message ([`AuthorType::Support`](crate::AuthorType::Support),
///   not internal) on a ticket whose [`Ticket::first_response_at`] is unset sets it to the
///   message's time, in the append's transaction; nothing else sets it.
///   [`SupportStore::mark_sla_breaches`] records, in one transaction, the breaches
///   [`SlaBreach::pick`] chooses at `now` and answers them; with concurrent callers on one
///   database (two nodes), each clock's breach is answered by exactly one call, ever.
/// - **Reports.** [`SupportStore::report_facts`] answers [`ReportFacts::of`] for exactly the
///   tickets [`ReportFacts::in_range`] selects, so every store feeds the one arithmetic in
///   [`crate::report`] the same facts.
///
/// - **The audit log** ([`crate::audit`]). Each write records what it did in its own
///   transaction: a created ticket its [`Change::Created`] (and, for a quick chat, its first
///   message's [`PendingMessage::audit_records`]); a change one record per changed field; an
///   append [`PendingMessage::audit_records`] (and a reopening's status change); a reaction
///   that changed something [`ReactionChange::audit_record`]. A replay, an unchanged change
///   and an unchanged reaction record nothing. Record ids grow with commit order (the
///   records of one write in no promised order).
///   [`SupportStore::audit_trail`] is the ticket-field part of a
///   ticket's records as [`AuditEntry`]s, with the same ids.
/// - **Search** ([`SupportStore::search`]) reproduces [`crate::search`]'s semantics: every
///   term as a word (the last also as a word's start) in one document (a ticket's subject and
///   description, or one message), only the tickets of [`SearchQuery::scope`] and never an
///   internal note for an employee's scope, best first with ties in
///   [`search::compare`](crate::search::compare)'s order, `offset` then `limit`. The index
///   it reads is written in the same transaction as the ticket or message, so a search right
///   after a write finds it. Query text reaches the index only as quoted terms: no input
///   makes it an index syntax error.
/// - **Archiving** ([`crate::archive`]). [`SupportStore::archive_closed`] archives, in one
///   transaction, up to `limit` of the tickets [`ArchiveBatch::selects`] (judged on the rows as
///   they are inside that transaction, so a ticket reopened before it commits is left alone),
///   the least recently active first ([`ArchiveBatch::order`]): each gets `archived_at` =
///   [`ArchiveBatch::at`] and the audit record [`ArchiveBatch::record_for`]; nothing else of
///   the ticket changes (not `updated_at`, not `version`). It answers their ids in that order.
///   With concurrent callers on one database, a ticket is archived (and recorded) by exactly
///   one call. A ticket change that moves a ticket out of `closed` writes the `archived_at`
///   [`TicketChange::apply`] computed (cleared), as a reopening reply does.
///
/// - **Wrappers** (a store that delegates to another, to count, log or trace calls) forward
///   every method, the provided ones included ([`SupportStore::ping`]). A provided method left
///   out runs its default on the wrapper instead of the inner store's own version: `ping`
///   would then read the stats rather than run the inner store's health check.
///
/// `support_core::conformance_suite!` (feature `testing`) checks all of this against a store.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
///
/// use async_trait::async_trait;
/// use support_core::store::*;
/// use support_core::reads::{ReadAdvance, ReadPosition, TicketSummary};
/// use support_core::reaction::{MessageReactions, ReactionChange, ReactionOutcome};
/// use support_core::{AuditEntry, Message, MessageId, Result, Stats, Ticket, TicketId, UserId};
/// use support_core::audit::{AuditQuery, AuditRecord, NewAuditRecord};
/// use support_core::canned::{CannedDraft, CannedResponse, TemplateDraft, TicketTemplate};
/// use support_core::{CannedResponseId, TicketTemplateId};
/// use support_core::{AttachmentId, Timestamp, Upload, UploadDraft};
/// use support_core::{SlaBreach, report::ReportFacts};
/// use support_core::search::{SearchHit, SearchQuery};
/// use support_core::archive::ArchiveBatch;
///
/// /// A store that delegates to another and counts the writes.
/// struct Counting<S> {
///     inner: S,
///     writes: AtomicU64,
/// }
///
/// impl<S> Counting<S> {
///     fn write(&self) {
///         self.writes.fetch_add(1, Ordering::Relaxed);
///     }
/// }
///
/// #[async_trait]
/// impl<S: SupportStore> SupportStore for Counting<S> {
///     async fn create_ticket(&self, d: &TicketDraft) -> Result<Created<(Ticket, Option<Message>)>> {
///         self.write();
///         self.inner.create_ticket(d).await
///     }
///     async fn ticket(&self, id: TicketId) -> Result<Option<Ticket>> { self.inner.ticket(id).await }
///     async fn tickets(&self, q: &TicketQuery) -> Result<Vec<Ticket>> { self.inner.tickets(q).await }
///     async fn update_ticket(&self, id: TicketId, c: &TicketChange) -> Result<Option<TicketUpdate>> {
///         self.write();
///         self.inner.update_ticket(id, c).await
///     }
///     async fn append_message(&self, d: &MessageDraft) -> Result<Created<Appended>> {
///         self.write();
///         self.inner.append_message(d).await
///     }
///     async fn messages(&self, q: &MessageQuery) -> Result<Vec<Message>> { self.inner.messages(q).await }
///     async fn stats(&self) -> Result<Stats> { self.inner.stats().await }
///     async fn audit_trail(&self, id: TicketId) -> Result<Vec<AuditEntry>> { self.inner.audit_trail(id).await }
///     async fn record_audit(&self, r: &NewAuditRecord) -> Result<AuditRecord> {
///         self.write();
///         self.inner.record_audit(r).await
///     }
///     async fn audit_log(&self, q: &AuditQuery) -> Result<Vec<AuditRecord>> { self.inner.audit_log(q).await }
///     async fn mark_read(&self, p: &ReadPosition) -> Result<Option<ReadAdvance>> {
///         self.write();
///         self.inner.mark_read(p).await
///     }
///     async fn ticket_summaries(&self, t: &[TicketId], reader: UserId, internal: bool) -> Result<Vec<TicketSummary>> {
///         self.inner.ticket_summaries(t, reader, internal).await
///     }
///     async fn read_positions(&self, id: TicketId) -> Result<Vec<ReadPosition>> { self.inner.read_positions(id).await }
///     async fn react(&self, c: &ReactionChange) -> Result<Option<ReactionOutcome>> {
///         self.write();
///         self.inner.react(c).await
///     }
///     async fn reactions(&self, t: TicketId, m: &[MessageId], viewer: UserId) -> Result<Vec<MessageReactions>> {
///         self.inner.reactions(t, m, viewer).await
///     }
///     async fn canned_responses(&self, viewer: UserId) -> Result<Vec<CannedResponse>> { self.inner.canned_responses(viewer).await }
///     async fn save_canned_response(&self, id: Option<CannedResponseId>, d: &CannedDraft) -> Result<Option<CannedResponse>> {
///         self.write();
///         self.inner.save_canned_response(id, d).await
///     }
///     async fn delete_canned_response(&self, id: CannedResponseId) -> Result<bool> { self.inner.delete_canned_response(id).await }
///     async fn ticket_templates(&self) -> Result<Vec<TicketTemplate>> { self.inner.ticket_templates().await }
///     async fn save_ticket_template(&self, id: Option<TicketTemplateId>, d: &TemplateDraft) -> Result<Option<TicketTemplate>> {
///         self.inner.save_ticket_template(id, d).await
///     }
///     async fn delete_ticket_template(&self, id: TicketTemplateId) -> Result<bool> { self.inner.delete_ticket_template(id).await }
///     async fn create_upload(&self, d: &UploadDraft) -> Result<Upload> {
///         self.write();
///         self.inner.create_upload(d).await
///     }
///     async fn upload(&self, id: AttachmentId) -> Result<Option<Upload>> { self.inner.upload(id).await }
///     async fn unattached_uploads(&self, before: Timestamp, limit: u32) -> Result<Vec<Upload>> {
///         self.inner.unattached_uploads(before, limit).await
///     }
///     async fn delete_upload(&self, id: AttachmentId) -> Result<bool> {
///         self.write();
///         self.inner.delete_upload(id).await
///     }
///     async fn blob_in_use(&self, sha256: &str) -> Result<bool> { self.inner.blob_in_use(sha256).await }
///     // --- sla ---
///     async fn mark_sla_breaches(&self, now: Timestamp, limit: u32) -> Result<Vec<SlaBreach>> {
///         self.write();
///         self.inner.mark_sla_breaches(now, limit).await
///     }
///     async fn report_facts(&self, from: Timestamp, to: Timestamp) -> Result<Vec<ReportFacts>> {
///         self.inner.report_facts(from, to).await
///     }
///     async fn archive_closed(&self, b: &ArchiveBatch) -> Result<Vec<TicketId>> {
///         self.write(); self.inner.archive_closed(b).await
///     }
///     async fn search(&self, q: &SearchQuery) -> Result<Vec<SearchHit>> { self.inner.search(q).await }
///     // Provided, and forwarded all the same: the inner store may have its own.
///     async fn ping(&self) -> Result<()> { self.inner.ping().await }
/// }
///
/// let store = Counting { inner: support_core::MemoryStore::new(), writes: AtomicU64::new(0) };
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// store.ping().await?;
/// # Ok::<(), support_core::Error>(()) }).unwrap();
/// ```
#[async_trait]
pub trait SupportStore: Send + Sync + 'static {
    /// Creates a ticket (status open, unassigned) with its `Created` audit entry and, for a quick
    /// chat, its first message, all in one transaction.
    async fn create_ticket(
        &self,
        draft: &TicketDraft,
    ) -> Result<Created<(Ticket, Option<Message>)>>;

    /// One ticket, if it exists.
    async fn ticket(&self, id: TicketId) -> Result<Option<Ticket>>;

    /// Up to `query.limit` tickets matching the filter, in order, strictly after `query.after`.
    async fn tickets(&self, query: &TicketQuery) -> Result<Vec<Ticket>>;

    /// Applies a change with [`TicketPatch::apply`](crate::TicketPatch::apply) to the row as
    /// it is inside the transaction, writes the new row and one audit entry per change
    /// (nothing when there is no change) and the idempotency key if there is one, and returns
    /// before and after. A retry with the same key answers [`TicketUpdate::unchanged`] (see
    /// the contract). `Ok(None)` if the ticket does not exist.
    ///
    /// A change with [`TicketChange::expected_version`] is compared with the row's
    /// [`Ticket::version`] inside the same transaction ([`TicketChange::check_version`], after
    /// a retry's key is looked up): when they differ it writes nothing (no audit entry, no
    /// key) and fails with [`Error::Stale`] holding the row as it is. A change that changes
    /// something bumps the version by one ([`TicketPatch::apply`](crate::TicketPatch::apply));
    /// a message does not.
    async fn update_ticket(
        &self,
        id: TicketId,
        change: &TicketChange,
    ) -> Result<Option<TicketUpdate>>;

    /// Appends a message and sets the ticket's `updated_at` to its time (and, for the first
    /// public staff message, its `first_response_at`: see the contract). `NotFound` if the
    /// ticket does not exist.
    ///
    /// In the same transaction, a message that reopens its ticket
    /// ([`PendingMessage::reopening`] of the row as it is in that transaction: an employee's
    /// public reply on a resolved or closed ticket) sets it back to open and records the
    /// status change in the audit trail, and the answer says so ([`Appended::reopened`]). A
    /// ticket resolved just before the append is therefore reopened all the same. A replay
    /// ([`Created::Existing`]) reopens nothing.
    async fn append_message(&self, draft: &MessageDraft) -> Result<Created<Appended>>;

    /// A page of one ticket's messages, oldest first. For `Latest` and `Before`, the page is
    /// the newest `limit` messages of the range, still returned oldest first.
    async fn messages(&self, query: &MessageQuery) -> Result<Vec<Message>>;

    /// The badge counts, exact now.
    async fn stats(&self) -> Result<Stats>;

    /// A ticket's activity, oldest first: the audit records of its own fields
    /// ([`Action::Ticket`](crate::audit::Action::Ticket)) and nothing else of the log.
    async fn audit_trail(&self, ticket_id: TicketId) -> Result<Vec<AuditEntry>>;

    /// Writes one audit record on its own (a sign-in, an export, an account change: what no
    /// other write records) and answers it with its id.
    async fn record_audit(&self, record: &NewAuditRecord) -> Result<AuditRecord>;

    /// The audit records [`AuditQuery::matches`], newest first (by id), at most
    /// `query.limit`.
    async fn audit_log(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>>;

    /// Moves `position.user_id`'s read position on `position.ticket_id` forward to
    /// `position.message_id`, at `position.read_at`, in one transaction. `Ok(None)` when the
    /// stored position is already there or further (nothing is written); otherwise the
    /// position before and after. `NotFound` if the ticket does not exist.
    async fn mark_read(&self, position: &ReadPosition) -> Result<Option<ReadAdvance>>;

    /// The summaries of `tickets` for `reader` ([`TicketSummary::compute`]: unread count,
    /// last message, waiting since), internal notes counted and shown only if
    /// `include_internal`. One summary per ticket that exists, in any order; unknown ids are
    /// left out. One query, whatever the number of tickets.
    async fn ticket_summaries(
        &self,
        tickets: &[TicketId],
        reader: UserId,
        include_internal: bool,
    ) -> Result<Vec<TicketSummary>>;

    /// Every reader's position on a ticket, by user id; empty for an unknown ticket.
    async fn read_positions(&self, ticket_id: TicketId) -> Result<Vec<ReadPosition>>;

    /// Adds or removes `change.user_id`'s `change.emoji` on message `change.message_id` of
    /// ticket `change.ticket_id`, in one transaction, and answers the emoji's count on the
    /// message after it ([`ReactionOutcome`]). `Ok(None)` if the ticket has no such message.
    /// Adding one that is there, or removing one that is not, writes nothing
    /// (`Unchanged`); adding one that would give the user more than
    /// [`reaction::MAX_PER_USER`](crate::reaction::MAX_PER_USER) emoji on the message writes
    /// nothing (`TooMany`). It does not check who may see the message (the service does).
    async fn react(&self, change: &ReactionChange) -> Result<Option<ReactionOutcome>>;

    /// The reactions on those of `messages` that belong to ticket `ticket_id` and have any,
    /// for `viewer` ([`crate::reaction::summarize`]: each emoji in the order it was first put
    /// on the message, with its count and whether `viewer` is among them), in one query.
    async fn reactions(
        &self,
        ticket_id: TicketId,
        messages: &[MessageId],
        viewer: UserId,
    ) -> Result<Vec<MessageReactions>>;
    /// The canned responses `viewer` may see: the shared ones and `viewer`'s personal ones,
    /// in id order.
    async fn canned_responses(&self, viewer: UserId) -> Result<Vec<CannedResponse>>;

    /// Inserts a canned response (`id` `None`) or replaces every field of one but its id and
    /// `created_at`. `Conflict` when the shortcut is taken in the draft's scope; `Ok(None)`
    /// for an id that does not exist.
    async fn save_canned_response(
        &self,
        id: Option<CannedResponseId>,
        draft: &CannedDraft,
    ) -> Result<Option<CannedResponse>>;

    /// Deletes a canned response; whether it existed.
    async fn delete_canned_response(&self, id: CannedResponseId) -> Result<bool>;

    /// Every ticket template, in id order.
    async fn ticket_templates(&self) -> Result<Vec<TicketTemplate>>;

    /// Inserts a template (`id` `None`) or replaces every field of one but its id; `Ok(None)`
    /// for an id that does not exist.
    async fn save_ticket_template(
        &self,
        id: Option<TicketTemplateId>,
        draft: &TemplateDraft,
    ) -> Result<Option<TicketTemplate>>;

    /// Deletes a template; whether it existed.
    async fn delete_ticket_template(&self, id: TicketTemplateId) -> Result<bool>;
    /// Records an upload (on no message yet) and returns it with its new id.
    async fn create_upload(&self, draft: &UploadDraft) -> Result<Upload>;

    /// One upload, if it exists.
    async fn upload(&self, id: AttachmentId) -> Result<Option<Upload>>;

    /// Up to `limit` uploads on no message made strictly before `before`, oldest first.
    async fn unattached_uploads(&self, before: Timestamp, limit: u32) -> Result<Vec<Upload>>;

    /// Deletes the upload if it is on no message; `true` if it did. One on a message is kept.
    async fn delete_upload(&self, id: AttachmentId) -> Result<bool>;

    /// `true` if any upload, on a message or not, has content with this SHA-256.
    async fn blob_in_use(&self, sha256: &str) -> Result<bool>;

    // --- sla ---

    /// Records as breached the clocks [`SlaBreach::pick`] chooses at `now` (at most `limit`:
    /// first-response clocks first, each clock's earliest due first), in one transaction, and
    /// answers them in its order. A clock answered once is never answered again, by this call
    /// or a concurrent one on the same database.
    async fn mark_sla_breaches(&self, now: Timestamp, limit: u32) -> Result<Vec<SlaBreach>>;

    /// [`ReportFacts::of`] every ticket opened or resolved in `[from, to)`
    /// ([`ReportFacts::in_range`]), in any order.
    async fn report_facts(&self, from: Timestamp, to: Timestamp) -> Result<Vec<ReportFacts>>;
    // --- archive ---

    /// Archives the closed tickets `batch` selects, at most `batch.limit`, in one transaction
    /// (see the contract and [`crate::archive`]); answers their ids, least recently active
    /// first.
    async fn archive_closed(&self, batch: &ArchiveBatch) -> Result<Vec<TicketId>>;

    // --- search ---

    /// Up to `query.limit` hits for `query.terms` in `query.scope`, best first, after skipping
    /// `query.offset` (see the contract and [`crate::search`]). A query without terms answers
    /// no hit.
    async fn search(&self, query: &SearchQuery) -> Result<Vec<SearchHit>>;

    /// `Ok` when the backend answers: for health checks. The default reads the stats; a store
    /// with a cheaper check overrides it, and a wrapper forwards it (see the contract).
    async fn ping(&self) -> Result<()> {
        self.stats().await.map(|_| ())
    }
}

/// A shared store is a store: one `Arc` can serve the service and, say, a
/// [`SessionStore`](crate::SessionStore) on the same database. Every method forwards, `ping`
/// included.
#[async_trait]
impl<S: SupportStore + ?Sized> SupportStore for std::sync::Arc<S> {
    async fn create_ticket(
        &self,
        draft: &TicketDraft,
    ) -> Result<Created<(Ticket, Option<Message>)>> {
        (**self).create_ticket(draft).await
    }
    async fn ticket(&self, id: TicketId) -> Result<Option<Ticket>> {
        (**self).ticket(id).await
    }
    async fn tickets(&self, query: &TicketQuery) -> Result<Vec<Ticket>> {
        (**self).tickets(query).await
    }
    async fn update_ticket(
        &self,
        id: TicketId,
        change: &TicketChange,
    ) -> Result<Option<TicketUpdate>> {
        (**self).update_ticket(id, change).await
    }
    async fn append_message(&self, draft: &MessageDraft) -> Result<Created<Appended>> {
        (**self).append_message(draft).await
    }
    async fn messages(&self, query: &MessageQuery) -> Result<Vec<Message>> {
        (**self).messages(query).await
    }
    async fn stats(&self) -> Result<Stats> {
        (**self).stats().await
    }
    async fn audit_trail(&self, ticket_id: TicketId) -> Result<Vec<AuditEntry>> {
        (**self).audit_trail(ticket_id).await
    }
    async fn record_audit(&self, record: &NewAuditRecord) -> Result<AuditRecord> {
        (**self).record_audit(record).await
    }
    async fn audit_log(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>> {
        (**self).audit_log(query).await
    }
    async fn mark_read(&self, position: &ReadPosition) -> Result<Option<ReadAdvance>> {
        (**self).mark_read(position).await
    }
    async fn ticket_summaries(
        &self,
        tickets: &[TicketId],
        reader: UserId,
        include_internal: bool,
    ) -> Result<Vec<TicketSummary>> {
        (**self)
            .ticket_summaries(tickets, reader, include_internal)
            .await
    }
    async fn read_positions(&self, ticket_id: TicketId) -> Result<Vec<ReadPosition>> {
        (**self).read_positions(ticket_id).await
    }
    async fn react(&self, change: &ReactionChange) -> Result<Option<ReactionOutcome>> {
        (**self).react(change).await
    }
    async fn reactions(
        &self,
        ticket_id: TicketId,
        messages: &[MessageId],
        viewer: UserId,
    ) -> Result<Vec<MessageReactions>> {
        (**self).reactions(ticket_id, messages, viewer).await
    }

    async fn canned_responses(&self, viewer: UserId) -> Result<Vec<CannedResponse>> {
        (**self).canned_responses(viewer).await
    }
    async fn save_canned_response(
        &self,
        id: Option<CannedResponseId>,
        draft: &CannedDraft,
    ) -> Result<Option<CannedResponse>> {
        (**self).save_canned_response(id, draft).await
    }
    async fn delete_canned_response(&self, id: CannedResponseId) -> Result<bool> {
        (**self).delete_canned_response(id).await
    }
    async fn ticket_templates(&self) -> Result<Vec<TicketTemplate>> {
        (**self).ticket_templates().await
    }
    async fn save_ticket_template(
        &self,
        id: Option<TicketTemplateId>,
        draft: &TemplateDraft,
    ) -> Result<Option<TicketTemplate>> {
        (**self).save_ticket_template(id, draft).await
    }
    async fn delete_ticket_template(&self, id: TicketTemplateId) -> Result<bool> {
        (**self).delete_ticket_template(id).await
    }

    async fn create_upload(&self, draft: &UploadDraft) -> Result<Upload> {
        (**self).create_upload(draft).await
    }
    async fn upload(&self, id: AttachmentId) -> Result<Option<Upload>> {
        (**self).upload(id).await
    }
    async fn unattached_uploads(&self, before: Timestamp, limit: u32) -> Result<Vec<Upload>> {
        (**self).unattached_uploads(before, limit).await
    }
    async fn delete_upload(&self, id: AttachmentId) -> Result<bool> {
        (**self).delete_upload(id).await
    }
    async fn blob_in_use(&self, sha256: &str) -> Result<bool> {
        (**self).blob_in_use(sha256).await
    }
    // --- sla ---
    async fn mark_sla_breaches(&self, now: Timestamp, limit: u32) -> Result<Vec<SlaBreach>> {
        (**self).mark_sla_breaches(now, limit).await
    }
    async fn report_facts(&self, from: Timestamp, to: Timestamp) -> Result<Vec<ReportFacts>> {
        (**self).report_facts(from, to).await
    }
    // --- archive ---
    async fn archive_closed(&self, batch: &ArchiveBatch) -> Result<Vec<TicketId>> {
        (**self).archive_closed(batch).await
    }
    // --- search ---
    async fn search(&self, query: &SearchQuery) -> Result<Vec<SearchHit>> {
        (**self).search(query).await
    }
    async fn ping(&self) -> Result<()> {
        (**self).ping().await
    }
}
