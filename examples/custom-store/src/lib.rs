//! Run with: `cargo test -p custom-store` (the conformance suite against this store).
//!
//! A [`SupportStore`] written from scratch over [redb](https://docs.rs/redb), an embedded
//! key-value store: what an integrator writes to put the helpdesk on their own storage. Its
//! tests are one line, `support_core::conformance_suite!`, and when they pass the service
//! behaves on it as on the shipped stores.
//!
//! It keeps sign-in sessions too ([`SessionStore`], checked by
//! `support_core::session_conformance_suite!`), and users with their API tokens
//! ([`UserStore`](support_core::UserStore), checked by `support_core::user_conformance_suite!`;
//! see `accounts.rs`), in the same file.
//!
//! Reads of ticket lists scan every ticket and apply the core's reference semantics
//! ([`TicketFilter::matches`], [`TicketOrder::compare`](support_core::store::TicketOrder::compare)):
//! right for any size, fast only for small ones. A production adapter would keep indexes.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use support_core::*;
//! let dir = tempfile::tempdir().unwrap();
//! let store = custom_store::KvStore::open(dir.path().join("support.redb")).unwrap();
//! let alice = Actor::new(1, "Alice", Role::Employee);
//! let service = SupportService::new(store, NoBroadcast, StaticDirectory::new([alice.clone()]));
//! let t = service.create_ticket(&alice, NewTicket::parse("Hi", "There", "it", "low")?, &WriteContext::default()).await?;
//! assert_eq!(t.ticket_number.as_str(), "TKT-000001");
//! # Ok::<(), Error>(()) }).unwrap();
//! ```

mod accounts;
mod canned;
mod reactions;
mod reads;
mod search;
mod sla;
mod uploads;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use redb::{Database, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};
use support_core::store::*;
use support_core::time::{from_micros, to_micros};
use support_core::{
    AuditEntry, Error, IdempotencyKey, Liveness, Message, MessageId, NewSession, Result,
    SessionStore, Stats, StoredSession, Ticket, TicketFilter, TicketId, TicketNumber, TokenDigest,
    UserId,
};

/// Next ids: "ticket", "message", "audit", "token", "reaction"; and "user", the highest user id held.
/// Next ids: "ticket", "message", "audit", "token", "upload"; and "user", the highest user id held.
const COUNTERS: TableDefinition<'static, &'static str, i64> = TableDefinition::new("counters");
/// Ticket id → ticket JSON.
const TICKETS: TableDefinition<'static, i64, &'static str> = TableDefinition::new("tickets");
/// (ticket id, message id) → message JSON: one ticket's messages are a contiguous, ordered range.
const MESSAGES: TableDefinition<'static, (i64, i64), &'static str> =
    TableDefinition::new("messages");
/// (ticket id, entry id) → audit entry JSON: each ticket's activity (its field changes).
const AUDIT: TableDefinition<'static, (i64, i64), &'static str> = TableDefinition::new("audit");
/// Record id → audit record JSON: the whole log, the activity's records under the same ids.
const AUDIT_LOG: TableDefinition<'static, i64, &'static str> = TableDefinition::new("audit_log");
/// (user id, idempotency key) → what it was first used for: a [`KeyUse`] as JSON.
const KEYS: TableDefinition<'static, (i64, &'static str), &'static str> =
    TableDefinition::new("idempotency_keys");

/// Session digest (32 bytes) → (user id, created, last seen, expires), times in microseconds
/// since the epoch: the sign-in sessions of [`SessionStore`].
const SESSIONS: TableDefinition<'static, &'static [u8], (i64, i64, i64, i64)> =
    TableDefinition::new("sessions");

/// A store in one redb file.
#[derive(Clone)]
pub struct KvStore {
    db: Arc<Database>,
}

fn backend(e: impl std::fmt::Display) -> Error {
    Error::backend(e.to_string())
}

fn to_json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(backend)
}

fn from_json<T: for<'de> Deserialize<'de>>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(backend)
}

impl KvStore {
    /// Opens (or creates) the file.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let db = Database::create(path).map_err(|e| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => Error::Unavailable(e.to_string()),
            other => backend(other),
        })?;
        let tx = db.begin_write().map_err(backend)?;
        // Create every table up front, so that readers never meet a missing one.
        tx.open_table(TICKETS).map_err(backend)?;
        tx.open_table(COUNTERS).map_err(backend)?;
        tx.open_table(MESSAGES).map_err(backend)?;
        tx.open_table(AUDIT).map_err(backend)?;
        tx.open_table(KEYS).map_err(backend)?;
        // A file written before sessions existed gets the table here: redb's migration.
        tx.open_table(SESSIONS).map_err(backend)?;
        // And the account tables, since accounts came.
        accounts::create_tables(&tx)?;
        // And read positions, since read state came.
        tx.open_table(reads::READS).map_err(backend)?;
        // And reactions, since reactions came.
        tx.open_table(reactions::REACTIONS).map_err(backend)?;
        // And canned responses and templates, since they came.
        canned::create_tables(&tx)?;
        // And uploads, since attachments came.
        tx.open_table(uploads::UPLOADS).map_err(backend)?;
        // And the whole audit log, since it came: a file from before gets its activity copied.
        copy_activity_to_log(&tx)?;
        tx.commit().map_err(backend)?;
        Ok(KvStore { db: Arc::new(db) })
    }

    /// Runs blocking redb work off the async executor.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Database) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || f(&db))
            .await
            .map_err(backend)?
    }
}

fn next_id(tx: &redb::WriteTransaction, name: &str) -> Result<i64> {
    let mut counters = tx.open_table(COUNTERS).map_err(backend)?;
    let next = counters
        .get(name)
        .map_err(backend)?
        .map_or(1, |v| v.value() + 1);
    counters.insert(name, next).map_err(backend)?;
    Ok(next)
}

/// Writes a record of the audit log; answers its id.
fn log(tx: &redb::WriteTransaction, r: support_core::NewAuditRecord) -> Result<i64> {
    let id = next_id(tx, "audit")?;
    tx.open_table(AUDIT_LOG)
        .map_err(backend)?
        .insert(id, to_json(&r.stored(id))?.as_str())
        .map_err(backend)?;
    Ok(id)
}

/// Writes a ticket's field change: to the log, and to the ticket's activity.
fn audit(
    tx: &redb::WriteTransaction,
    ticket: TicketId,
    e: support_core::NewAuditEntry,
) -> Result<()> {
    let id = log(tx, e.record(ticket))?;
    let entry = e.stored(id, ticket);
    tx.open_table(AUDIT)
        .map_err(backend)?
        .insert((ticket.0, id), to_json(&entry)?.as_str())
        .map_err(backend)?;
    Ok(())
}

/// Fills an empty log from the activity a file written before the log held.
fn copy_activity_to_log(tx: &redb::WriteTransaction) -> Result<()> {
    let mut log = tx.open_table(AUDIT_LOG).map_err(backend)?;
    if !log.is_empty().map_err(backend)? {
        return Ok(());
    }
    let activity = tx.open_table(AUDIT).map_err(backend)?;
    for row in activity.iter().map_err(backend)? {
        let (_, v) = row.map_err(backend)?;
        let e: AuditEntry = from_json(v.value())?;
        let record = support_core::AuditRecord {
            id: e.id,
            ticket_id: Some(e.ticket_id),
            actor_id: Some(e.actor_id),
            actor_name: e.actor_name,
            action: support_core::Action::Ticket(e.change),
            origin: None,
            at: e.at,
        };
        log.insert(e.id, to_json(&record)?.as_str())
            .map_err(backend)?;
    }
    Ok(())
}

fn put_ticket(tx: &redb::WriteTransaction, t: &Ticket) -> Result<()> {
    tx.open_table(TICKETS)
        .map_err(backend)?
        .insert(t.id.0, to_json(t)?.as_str())
        .map_err(backend)?;
    Ok(())
}

fn get_ticket(
    table: &impl ReadableTable<i64, &'static str>,
    id: TicketId,
) -> Result<Option<Ticket>> {
    table
        .get(id.0)
        .map_err(backend)?
        .map(|v| from_json(v.value()))
        .transpose()
}

fn get_message(
    table: &impl ReadableTable<(i64, i64), &'static str>,
    ticket: i64,
    id: i64,
) -> Result<Option<Message>> {
    table
        .get((ticket, id))
        .map_err(backend)?
        .map(|v| from_json(v.value()))
        .transpose()
}

/// Stores a new message and touches its ticket; the ticket must exist.
/// Stores a message, touches its ticket and, for an employee's reply on a resolved or closed
/// ticket, reopens it with its audit entry ([`PendingMessage::reopening`]), all in `tx`.
fn put_message(tx: &redb::WriteTransaction, pending: PendingMessage) -> Result<Appended> {
    let mut ticket = get_ticket(&tx.open_table(TICKETS).map_err(backend)?, pending.ticket_id)?
        .ok_or(Error::NotFound)?;
    let reopening = pending.reopening(&ticket);
    let id = MessageId(next_id(tx, "message")?);
    uploads::link(tx, &pending, id)?;
    for r in pending.audit_records(id) {
        log(tx, r)?;
    }
    let m = pending.stored(id);
    tx.open_table(MESSAGES)
        .map_err(backend)?
        .insert((m.ticket_id.0, m.id.0), to_json(&m)?.as_str())
        .map_err(backend)?;
    ticket.updated_at = m.created_at;
    if ticket.first_response_at.is_none()
        && m.author_type == support_core::AuthorType::Support
        && !m.is_internal
    {
        ticket.first_response_at = Some(m.created_at);
    }
    let reopened = match reopening {
        Some(r) => {
            ticket = r.update.after.clone();
            for e in r.audit {
                audit(tx, ticket.id, e)?;
            }
            Some(r.update)
        }
        None => None,
    };
    put_ticket(tx, &ticket)?;
    Ok(Appended {
        message: m,
        reopened,
    })
}

/// What `user` first used `key` for, if they did.
fn remembered(
    tx: &redb::WriteTransaction,
    user: UserId,
    key: Option<&IdempotencyKey>,
) -> Result<Option<KeyUse>> {
    let Some(key) = key else { return Ok(None) };
    let keys = tx.open_table(KEYS).map_err(backend)?;
    keys.get((user.get(), key.as_str()))
        .map_err(backend)?
        .map(|v| from_json(v.value()))
        .transpose()
}

/// Records what `key` was used for, when there is a key.
fn remember(
    tx: &redb::WriteTransaction,
    user: UserId,
    key: Option<&IdempotencyKey>,
    used: &KeyUse,
) -> Result<()> {
    let Some(key) = key else { return Ok(()) };
    tx.open_table(KEYS)
        .map_err(backend)?
        .insert((user.get(), key.as_str()), to_json(used)?.as_str())
        .map_err(backend)?;
    Ok(())
}

#[async_trait]
impl SupportStore for KvStore {
    async fn create_ticket(&self, d: &TicketDraft) -> Result<Created<(Ticket, Option<Message>)>> {
        let d = d.clone();
        self.run(move |db| {
            let tx = db.begin_write().map_err(backend)?;
            let key = d.idempotency_key.as_ref();
            if let Some(used) = remembered(&tx, d.employee.id, key)? {
                let (t, m) = used.replay_create()?;
                let ticket = get_ticket(&tx.open_table(TICKETS).map_err(backend)?, t)?
                    .ok_or(Error::NotFound)?;
                let message = match m {
                    Some(m) => get_message(&tx.open_table(MESSAGES).map_err(backend)?, t.0, m.0)?,
                    None => None,
                };
                return Ok(Created::Existing((ticket, message)));
            }
            let id = TicketId(next_id(&tx, "ticket")?);
            let ticket = d.ticket(id, TicketNumber::for_id(id));
            put_ticket(&tx, &ticket)?;
            audit(&tx, id, d.audit_entry())?;
            let message = d
                .pending_first_message(id)
                .map(|first| put_message(&tx, first).map(|a| a.message))
                .transpose()?;
            let used = KeyUse::Ticket {
                ticket: id,
                message: message.as_ref().map(|m| m.id),
            };
            remember(&tx, d.employee.id, key, &used)?;
            tx.commit().map_err(backend)?;
            Ok(Created::New((ticket, message)))
        })
        .await
    }

    async fn ticket(&self, id: TicketId) -> Result<Option<Ticket>> {
        self.run(move |db| {
            let tx = db.begin_read().map_err(backend)?;
            get_ticket(&tx.open_table(TICKETS).map_err(backend)?, id)
        })
        .await
    }

    async fn tickets(&self, q: &TicketQuery) -> Result<Vec<Ticket>> {
        let q = q.clone();
        self.run(move |db| {
            let tx = db.begin_read().map_err(backend)?;
            let table = tx.open_table(TICKETS).map_err(backend)?;
            let mut rows = Vec::new();
            for row in table.iter().map_err(backend)? {
                let (_, v) = row.map_err(backend)?;
                let t: Ticket = from_json(v.value())?;
                if q.filter.matches(&t) && q.after.is_none_or(|k| k.precedes(q.order, &t)) {
                    rows.push(t);
                }
            }
            rows.sort_by(|a, b| q.order.compare(a, b));
            rows.truncate(q.limit as usize);
            Ok(rows)
        })
        .await
    }

    async fn update_ticket(
        &self,
        id: TicketId,
        change: &TicketChange,
    ) -> Result<Option<TicketUpdate>> {
        let change = change.clone();
        self.run(move |db| {
            let tx = db.begin_write().map_err(backend)?;
            let Some(before) = get_ticket(&tx.open_table(TICKETS).map_err(backend)?, id)? else {
                return Ok(None);
            };
            let key = change.idempotency_key.as_ref();
            if let Some(used) = remembered(&tx, change.author.id, key)? {
                used.replay_update(id, &change.patch)?;
                return Ok(Some(TicketUpdate::unchanged(before)));
            }
            change.check_version(&before)?;
            let (after, changes) = change.apply(&before);
            if !changes.is_empty() {
                put_ticket(&tx, &after)?;
                for e in change.audit_entries(&changes) {
                    audit(&tx, id, e)?;
                }
            }
            remember(
                &tx,
                change.author.id,
                key,
                &KeyUse::update(id, &change.patch),
            )?;
            if !changes.is_empty() || key.is_some() {
                tx.commit().map_err(backend)?;
            }
            Ok(Some(TicketUpdate {
                before,
                after,
                changes,
            }))
        })
        .await
    }

    async fn append_message(&self, d: &MessageDraft) -> Result<Created<Appended>> {
        let d = d.clone();
        self.run(move |db| {
            let tx = db.begin_write().map_err(backend)?;
            let key = d.idempotency_key.as_ref();
            if let Some(used) = remembered(&tx, d.author.id, key)? {
                let (t, m) = used.replay_append()?;
                let message = get_message(&tx.open_table(MESSAGES).map_err(backend)?, t.0, m.0)?;
                return message
                    .map(|m| Created::Existing(Appended::message(m)))
                    .ok_or(Error::NotFound);
            }
            let m = put_message(&tx, d.pending())?;
            let used = KeyUse::Message {
                ticket: d.ticket_id,
                message: m.message.id,
            };
            remember(&tx, d.author.id, key, &used)?;
            tx.commit().map_err(backend)?;
            Ok(Created::New(m))
        })
        .await
    }

    async fn messages(&self, q: &MessageQuery) -> Result<Vec<Message>> {
        let q = *q;
        self.run(move |db| {
            let tx = db.begin_read().map_err(backend)?;
            let table = tx.open_table(MESSAGES).map_err(backend)?;
            let t = q.ticket_id.0;
            let (range, newest_first) = match q.position {
                MessagePosition::After(a) => (
                    table.range((t, a.0.saturating_add(1))..=(t, i64::MAX)),
                    false,
                ),
                MessagePosition::Before(b) => (table.range((t, i64::MIN)..(t, b.0)), true),
                MessagePosition::Latest => (table.range((t, i64::MIN)..=(t, i64::MAX)), true),
            };
            let range = range.map_err(backend)?;
            let visible = |row: std::result::Result<
                (
                    redb::AccessGuard<'_, (i64, i64)>,
                    redb::AccessGuard<'_, &str>,
                ),
                redb::StorageError,
            >|
             -> Option<Result<Message>> {
                match row {
                    Err(e) => Some(Err(backend(e))),
                    Ok((_, v)) => match from_json::<Message>(v.value()) {
                        Ok(m) if q.include_internal || !m.is_internal => Some(Ok(m)),
                        Ok(_) => None,
                        Err(e) => Some(Err(e)),
                    },
                }
            };
            let limit = q.limit as usize;
            let mut page: Vec<Message> = if newest_first {
                range
                    .rev()
                    .filter_map(visible)
                    .take(limit)
                    .collect::<Result<_>>()?
            } else {
                range
                    .filter_map(visible)
                    .take(limit)
                    .collect::<Result<_>>()?
            };
            if newest_first {
                page.reverse();
            }
            Ok(page)
        })
        .await
    }

    async fn stats(&self) -> Result<Stats> {
        let all = self
            .tickets(&TicketQuery {
                filter: TicketFilter::default(),
                order: TicketOrder::Newest,
                after: None,
                limit: u32::MAX,
            })
            .await?;
        Ok(Stats::count(&all))
    }

    async fn record_audit(
        &self,
        record: &support_core::NewAuditRecord,
    ) -> Result<support_core::AuditRecord> {
        let record = record.clone();
        self.run(move |db| {
            let tx = db.begin_write().map_err(backend)?;
            let id = log(&tx, record.clone())?;
            tx.commit().map_err(backend)?;
            Ok(record.stored(id))
        })
        .await
    }

    async fn audit_log(
        &self,
        query: &support_core::AuditQuery,
    ) -> Result<Vec<support_core::AuditRecord>> {
        let query = query.clone();
        self.run(move |db| {
            let tx = db.begin_read().map_err(backend)?;
            let table = tx.open_table(AUDIT_LOG).map_err(backend)?;
            let mut out = Vec::new();
            for row in table.iter().map_err(backend)?.rev() {
                if out.len() >= query.limit as usize {
                    break;
                }
                let (_, v) = row.map_err(backend)?;
                let r: support_core::AuditRecord = from_json(v.value())?;
                if query.matches(&r) {
                    out.push(r);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn audit_trail(&self, ticket_id: TicketId) -> Result<Vec<AuditEntry>> {
        self.run(move |db| {
            let tx = db.begin_read().map_err(backend)?;
            let table = tx.open_table(AUDIT).map_err(backend)?;
            let range = table
                .range((ticket_id.0, i64::MIN)..=(ticket_id.0, i64::MAX))
                .map_err(backend)?;
            range
                .map(|row| row.map_err(backend).and_then(|(_, v)| from_json(v.value())))
                .collect()
        })
        .await
    }

    async fn mark_read(
        &self,
        position: &support_core::ReadPosition,
    ) -> Result<Option<support_core::reads::ReadAdvance>> {
        let position = position.clone();
        self.run(move |db| reads::mark_read(db, &position)).await
    }

    async fn ticket_summaries(
        &self,
        tickets: &[TicketId],
        reader: UserId,
        include_internal: bool,
    ) -> Result<Vec<support_core::TicketSummary>> {
        let tickets = tickets.to_vec();
        self.run(move |db| reads::summaries(db, &tickets, reader, include_internal))
            .await
    }

    async fn read_positions(&self, ticket_id: TicketId) -> Result<Vec<support_core::ReadPosition>> {
        self.run(move |db| reads::positions(db, ticket_id)).await
    }

    async fn react(
        &self,
        change: &support_core::reaction::ReactionChange,
    ) -> Result<Option<support_core::reaction::ReactionOutcome>> {
        let change = change.clone();
        self.run(move |db| reactions::react(db, &change)).await
    }

    async fn reactions(
        &self,
        ticket_id: TicketId,
        messages: &[MessageId],
        viewer: UserId,
    ) -> Result<Vec<support_core::reaction::MessageReactions>> {
        let messages = messages.to_vec();
        self.run(move |db| reactions::reactions(db, ticket_id, &messages, viewer))
            .await
    }

    async fn canned_responses(&self, viewer: UserId) -> Result<Vec<support_core::CannedResponse>> {
        self.run(move |db| canned::canned_for(db, viewer)).await
    }

    async fn save_canned_response(
        &self,
        id: Option<support_core::CannedResponseId>,
        d: &support_core::canned::CannedDraft,
    ) -> Result<Option<support_core::CannedResponse>> {
        let d = d.clone();
        self.run(move |db| canned::save_canned(db, id, &d)).await
    }

    async fn delete_canned_response(&self, id: support_core::CannedResponseId) -> Result<bool> {
        self.run(move |db| canned::delete_canned(db, id)).await
    }

    async fn ticket_templates(&self) -> Result<Vec<support_core::TicketTemplate>> {
        self.run(canned::templates).await
    }

    async fn save_ticket_template(
        &self,
        id: Option<support_core::TicketTemplateId>,
        d: &support_core::canned::TemplateDraft,
    ) -> Result<Option<support_core::TicketTemplate>> {
        let d = d.clone();
        self.run(move |db| canned::save_template(db, id, &d)).await
    }

    async fn delete_ticket_template(&self, id: support_core::TicketTemplateId) -> Result<bool> {
        self.run(move |db| canned::delete_template(db, id)).await
    }

    async fn create_upload(&self, d: &support_core::UploadDraft) -> Result<support_core::Upload> {
        let d = d.clone();
        self.run(move |db| uploads::create(db, &d)).await
    }

    async fn upload(&self, id: support_core::AttachmentId) -> Result<Option<support_core::Upload>> {
        self.run(move |db| uploads::get(db, id)).await
    }

    async fn unattached_uploads(
        &self,
        before: support_core::Timestamp,
        limit: u32,
    ) -> Result<Vec<support_core::Upload>> {
        self.run(move |db| uploads::unattached(db, before, limit))
            .await
    }

    async fn delete_upload(&self, id: support_core::AttachmentId) -> Result<bool> {
        self.run(move |db| uploads::delete(db, id)).await
    }

    async fn blob_in_use(&self, sha256: &str) -> Result<bool> {
        let sha256 = sha256.to_owned();
        self.run(move |db| uploads::in_use(db, &sha256)).await
    }

    // --- sla ---
    async fn mark_sla_breaches(
        &self,
        now: support_core::Timestamp,
        limit: u32,
    ) -> Result<Vec<support_core::SlaBreach>> {
        self.run(move |db| sla::mark(db, now, limit)).await
    }

    async fn report_facts(
        &self,
        from: support_core::Timestamp,
        to: support_core::Timestamp,
    ) -> Result<Vec<support_core::report::ReportFacts>> {
        self.run(move |db| sla::facts(db, from, to)).await
    }

    // --- archive ---
    async fn archive_closed(
        &self,
        batch: &support_core::archive::ArchiveBatch,
    ) -> Result<Vec<TicketId>> {
        let batch = batch.clone();
        self.run(move |db| {
            // redb has one writer: the pick and the marks are one write transaction.
            let tx = db.begin_write().map_err(backend)?;
            let mut picked = Vec::new();
            {
                let table = tx.open_table(TICKETS).map_err(backend)?;
                for row in table.iter().map_err(backend)? {
                    let (_, v) = row.map_err(backend)?;
                    let t: Ticket = from_json(v.value())?;
                    if batch.selects(&t) {
                        picked.push(t);
                    }
                }
            }
            picked.sort_by_key(support_core::archive::ArchiveBatch::order);
            picked.truncate(batch.limit as usize);
            for t in &mut picked {
                t.archived_at = Some(batch.at());
                put_ticket(&tx, t)?;
                log(&tx, batch.record_for(t.id))?;
            }
            tx.commit().map_err(backend)?;
            Ok(picked.into_iter().map(|t| t.id).collect())
        })
        .await
    }

    // --- search ---
    async fn search(
        &self,
        q: &support_core::search::SearchQuery,
    ) -> Result<Vec<support_core::SearchHit>> {
        let q = q.clone();
        self.run(move |db| search::search(db, &q)).await
    }
}

/// A `SESSIONS` row back into a session.
fn session_row(
    digest: &[u8],
    (user, created, seen, expires): (i64, i64, i64, i64),
) -> Result<StoredSession> {
    let time = |micros| from_micros(micros).ok_or_else(|| backend(format!("stored time {micros}")));
    Ok(StoredSession {
        digest: TokenDigest::from_slice(digest).ok_or_else(|| backend("stored digest"))?,
        user: UserId(user),
        created_at: time(created)?,
        last_seen_at: time(seen)?,
        expires_at: time(expires)?,
    })
}

/// The keys of the sessions that `remove` picks.
fn sessions_where(
    table: &impl ReadableTable<&'static [u8], (i64, i64, i64, i64)>,
    remove: impl Fn(&StoredSession) -> bool,
) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    for entry in table.iter().map_err(backend)? {
        let (k, v) = entry.map_err(backend)?;
        if remove(&session_row(k.value(), v.value())?) {
            out.push(k.value().to_vec());
        }
    }
    Ok(out)
}

/// Sign-in sessions in the same file. "Sign out everywhere" and the purge scan every session:
/// right for any number, fast only for small ones, like the ticket lists.
#[async_trait]
impl SessionStore for KvStore {
    async fn create_session(&self, new: &NewSession) -> Result<()> {
        let new = new.clone();
        self.run(move |db| {
            let tx = db.begin_write().map_err(backend)?;
            {
                let mut table = tx.open_table(SESSIONS).map_err(backend)?;
                let key = new.digest.as_bytes().as_slice();
                if table.get(key).map_err(backend)?.is_some() {
                    return Err(Error::Conflict("a session with this digest exists".into()));
                }
                let created = to_micros(new.created_at);
                table
                    .insert(
                        key,
                        (new.user.0, created, created, to_micros(new.expires_at)),
                    )
                    .map_err(backend)?;
            }
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn session(&self, digest: &TokenDigest, at: &Liveness) -> Result<Option<StoredSession>> {
        let (digest, at) = (*digest, *at);
        self.run(move |db| {
            let tx = db.begin_read().map_err(backend)?;
            let table = tx.open_table(SESSIONS).map_err(backend)?;
            let Some(row) = table.get(digest.as_bytes().as_slice()).map_err(backend)? else {
                return Ok(None);
            };
            let session = session_row(digest.as_bytes(), row.value())?;
            Ok(at.admits(&session).then_some(session))
        })
        .await
    }

    async fn touch_session(&self, digest: &TokenDigest, at: &Liveness) -> Result<bool> {
        let (digest, at) = (*digest, *at);
        self.run(move |db| {
            let tx = db.begin_write().map_err(backend)?;
            let touched = {
                let mut table = tx.open_table(SESSIONS).map_err(backend)?;
                let key = digest.as_bytes().as_slice();
                let row = table.get(key).map_err(backend)?.map(|r| r.value());
                match row {
                    Some(row) if at.admits(&session_row(key, row)?) => {
                        let (user, created, seen, expires) = row;
                        let seen = seen.max(to_micros(at.now));
                        table
                            .insert(key, (user, created, seen, expires))
                            .map_err(backend)?;
                        true
                    }
                    _ => false,
                }
            };
            tx.commit().map_err(backend)?;
            Ok(touched)
        })
        .await
    }

    async fn end_session(&self, digest: &TokenDigest) -> Result<bool> {
        let digest = *digest;
        self.run(move |db| {
            let tx = db.begin_write().map_err(backend)?;
            let ended = tx
                .open_table(SESSIONS)
                .map_err(backend)?
                .remove(digest.as_bytes().as_slice())
                .map_err(backend)?
                .is_some();
            tx.commit().map_err(backend)?;
            Ok(ended)
        })
        .await
    }

    async fn end_user_sessions(&self, user: UserId) -> Result<u64> {
        self.run(move |db| remove_sessions(db, move |s| s.user == user))
            .await
    }

    async fn purge_sessions(&self, at: &Liveness) -> Result<u64> {
        let at = *at;
        self.run(move |db| remove_sessions(db, move |s| !at.admits(s)))
            .await
    }
}

/// Removes the sessions `remove` picks, in one transaction: how many.
fn remove_sessions(db: &Database, remove: impl Fn(&StoredSession) -> bool) -> Result<u64> {
    let tx = db.begin_write().map_err(backend)?;
    let count = {
        let mut table = tx.open_table(SESSIONS).map_err(backend)?;
        let doomed = sessions_where(&table, remove)?;
        for key in &doomed {
            table.remove(key.as_slice()).map_err(backend)?;
        }
        doomed.len() as u64
    };
    tx.commit().map_err(backend)?;
    Ok(count)
}
