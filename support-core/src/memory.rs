//! A store in memory: for embedders' own tests and for demos. Nothing survives the process.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;

use crate::attachment::{Upload, UploadDraft};
use crate::audit::{AuditEntry, AuditQuery, AuditRecord, NewAuditEntry, NewAuditRecord};
use crate::error::{Error, Result};
use crate::id::{AttachmentId, IdempotencyKey, MessageId, TicketId, TicketNumber, UserId};
use crate::message::Message;
use crate::reaction::{MessageReactions, ReactionChange, ReactionOutcome};
use crate::reads::{ReadAdvance, ReadPosition, TicketSummary};
use crate::report::ReportFacts;
use crate::session::{Liveness, NewSession, SessionStore, StoredSession, TokenDigest};
use crate::sla::SlaBreach;
use crate::stats::Stats;
use crate::store::*;
use crate::ticket::Ticket;
use crate::time::Timestamp;

mod accounts;
mod canned;
mod reactions;

/// A [`SupportStore`] over plain collections behind one mutex. It passes the conformance suite,
/// so tests written against it hold for the real stores. It keeps sign-in sessions
/// ([`SessionStore`]) and accounts ([`UserStore`](crate::account::UserStore)) too, for as long
/// as the process runs.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    tickets: BTreeMap<TicketId, Ticket>,
    messages: BTreeMap<TicketId, Vec<Message>>,
    audit: Vec<AuditRecord>,
    keys: HashMap<(UserId, IdempotencyKey), KeyUse>,
    reads: BTreeMap<(TicketId, UserId), ReadPosition>,
    reactions: Vec<reactions::Row>,
    sessions: HashMap<TokenDigest, StoredSession>,
    users: BTreeMap<UserId, crate::account::StoredUser>,
    tokens: BTreeMap<crate::id::ApiTokenId, (TokenDigest, crate::account::StoredApiToken)>,
    next_token: i64,
    next_ticket: i64,
    next_message: i64,
    library: canned::Library,
    uploads: BTreeMap<AttachmentId, Upload>,
    next_upload: i64,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock cannot leave a half-written operation: every
        // method checks before it mutates. So a poisoned lock is safe to keep using.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    fn message(&self, ticket: TicketId, id: MessageId) -> Option<&Message> {
        let list = self.messages.get(&ticket)?;
        list.binary_search_by_key(&id, |m| m.id)
            .ok()
            .map(|i| &list[i])
    }

    /// What `user` first used `key` for, if they did.
    fn used(&self, user: UserId, key: Option<&IdempotencyKey>) -> Option<&KeyUse> {
        self.keys.get(&(user, key?.clone()))
    }

    fn remember(&mut self, user: UserId, key: Option<&IdempotencyKey>, used: KeyUse) {
        if let Some(key) = key {
            self.keys.insert((user, key.clone()), used);
        }
    }

    fn audit(&mut self, ticket_id: TicketId, e: NewAuditEntry) {
        self.log(e.record(ticket_id));
    }

    fn log(&mut self, r: NewAuditRecord) -> AuditRecord {
        let stored = r.stored(self.audit.len() as i64 + 1);
        self.audit.push(stored.clone());
        stored
    }

    /// Stores the message with its audit records.
    fn push_message(&mut self, m: PendingMessage) -> Message {
        self.next_message += 1;
        let id = MessageId(self.next_message);
        for r in m.audit_records(id) {
            self.log(r);
        }
        let message = m.stored(id);
        self.messages
            .entry(message.ticket_id)
            .or_default()
            .push(message.clone());
        if let Some(t) = self.tickets.get_mut(&message.ticket_id) {
            t.updated_at = message.created_at;
            if t.first_response_at.is_none()
                && message.author_type == crate::AuthorType::Support
                && !message.is_internal
            {
                t.first_response_at = Some(message.created_at);
            }
        }
        message
    }
}

#[async_trait]
impl SupportStore for MemoryStore {
    async fn create_ticket(&self, d: &TicketDraft) -> Result<Created<(Ticket, Option<Message>)>> {
        let mut s = self.lock();
        if let Some(used) = s.used(d.employee.id, d.idempotency_key.as_ref()) {
            let (t, m) = used.replay_create()?;
            let ticket = s.tickets.get(&t).cloned().ok_or(Error::NotFound)?;
            let message = m.and_then(|m| s.message(t, m).cloned());
            return Ok(Created::Existing((ticket, message)));
        }
        s.next_ticket += 1;
        let id = TicketId(s.next_ticket);
        let ticket = d.ticket(id, TicketNumber::for_id(id));
        s.tickets.insert(id, ticket.clone());
        s.audit(id, d.audit_entry());
        let message = d.pending_first_message(id).map(|m| s.push_message(m));
        let used = KeyUse::Ticket {
            ticket: id,
            message: message.as_ref().map(|m| m.id),
        };
        s.remember(d.employee.id, d.idempotency_key.as_ref(), used);
        Ok(Created::New((ticket, message)))
    }

    async fn ticket(&self, id: TicketId) -> Result<Option<Ticket>> {
        Ok(self.lock().tickets.get(&id).cloned())
    }

    async fn tickets(&self, q: &TicketQuery) -> Result<Vec<Ticket>> {
        let s = self.lock();
        let mut rows: Vec<&Ticket> = s
            .tickets
            .values()
            .filter(|t| q.filter.matches(t) && q.after.is_none_or(|k| k.precedes(q.order, t)))
            .collect();
        rows.sort_by(|a, b| q.order.compare(a, b));
        Ok(rows.into_iter().take(q.limit as usize).cloned().collect())
    }

    async fn update_ticket(
        &self,
        id: TicketId,
        change: &TicketChange,
    ) -> Result<Option<TicketUpdate>> {
        let mut s = self.lock();
        let Some(before) = s.tickets.get(&id).cloned() else {
            return Ok(None);
        };
        if let Some(used) = s.used(change.author.id, change.idempotency_key.as_ref()) {
            used.replay_update(id, &change.patch)?;
            return Ok(Some(TicketUpdate::unchanged(before)));
        }
        change.check_version(&before)?;
        let (after, changes) = change.apply(&before);
        if !changes.is_empty() {
            s.tickets.insert(id, after.clone());
            for e in change.audit_entries(&changes) {
                s.audit(id, e);
            }
        }
        let used = KeyUse::update(id, &change.patch);
        s.remember(change.author.id, change.idempotency_key.as_ref(), used);
        Ok(Some(TicketUpdate {
            before,
            after,
            changes,
        }))
    }

    async fn append_message(&self, d: &MessageDraft) -> Result<Created<Appended>> {
        let mut s = self.lock();
        if let Some(used) = s.used(d.author.id, d.idempotency_key.as_ref()) {
            let (t, m) = used.replay_append()?;
            let message = s.message(t, m).cloned().ok_or(Error::NotFound)?;
            return Ok(Created::Existing(Appended::message(message)));
        }
        let Some(before) = s.tickets.get(&d.ticket_id) else {
            return Err(Error::NotFound);
        };
        let pending = d.pending();
        let reopening = pending.reopening(before);
        for (i, a) in d.attachments.iter().enumerate() {
            if s.uploads.get(&a.id).is_none_or(|u| u.message_id.is_some()) {
                return Err(crate::attachment::not_attachable(i));
            }
        }
        let message = s.push_message(pending);
        for a in &d.attachments {
            if let Some(u) = s.uploads.get_mut(&a.id) {
                u.message_id = Some(message.id);
                u.is_internal = message.is_internal;
            }
        }
        let reopened = reopening.map(|r| {
            s.tickets.insert(d.ticket_id, r.update.after.clone());
            for e in r.audit {
                s.audit(d.ticket_id, e);
            }
            r.update
        });
        let used = KeyUse::Message {
            ticket: d.ticket_id,
            message: message.id,
        };
        s.remember(d.author.id, d.idempotency_key.as_ref(), used);
        Ok(Created::New(Appended { message, reopened }))
    }

    async fn messages(&self, q: &MessageQuery) -> Result<Vec<Message>> {
        let s = self.lock();
        let all = s
            .messages
            .get(&q.ticket_id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let visible = all.iter().filter(|m| q.include_internal || !m.is_internal);
        let limit = q.limit as usize;
        let page: Vec<Message> = match q.position {
            MessagePosition::After(after) => visible
                .filter(|m| m.id > after)
                .take(limit)
                .cloned()
                .collect(),
            MessagePosition::Before(before) => {
                let older: Vec<&Message> = visible.filter(|m| m.id < before).collect();
                older[older.len().saturating_sub(limit)..]
                    .iter()
                    .map(|m| (*m).clone())
                    .collect()
            }
            MessagePosition::Latest => {
                let all: Vec<&Message> = visible.collect();
                all[all.len().saturating_sub(limit)..]
                    .iter()
                    .map(|m| (*m).clone())
                    .collect()
            }
        };
        Ok(page)
    }

    async fn stats(&self) -> Result<Stats> {
        Ok(Stats::count(self.lock().tickets.values()))
    }

    async fn audit_trail(&self, ticket_id: TicketId) -> Result<Vec<AuditEntry>> {
        Ok(self
            .lock()
            .audit
            .iter()
            .filter(|r| r.ticket_id == Some(ticket_id))
            .filter_map(AuditRecord::activity)
            .collect())
    }

    async fn record_audit(&self, record: &NewAuditRecord) -> Result<AuditRecord> {
        Ok(self.lock().log(record.clone()))
    }

    async fn audit_log(&self, q: &AuditQuery) -> Result<Vec<AuditRecord>> {
        Ok(self
            .lock()
            .audit
            .iter()
            .rev()
            .filter(|r| q.matches(r))
            .take(q.limit as usize)
            .cloned()
            .collect())
    }

    async fn mark_read(&self, p: &ReadPosition) -> Result<Option<ReadAdvance>> {
        let mut s = self.lock();
        if !s.tickets.contains_key(&p.ticket_id) {
            return Err(Error::NotFound);
        }
        let before = s.reads.get(&(p.ticket_id, p.user_id)).map(|r| r.message_id);
        if before.is_some_and(|b| b >= p.message_id) {
            return Ok(None);
        }
        s.reads.insert((p.ticket_id, p.user_id), p.clone());
        Ok(Some(ReadAdvance {
            before,
            position: p.clone(),
        }))
    }

    async fn ticket_summaries(
        &self,
        tickets: &[TicketId],
        reader: UserId,
        include_internal: bool,
    ) -> Result<Vec<TicketSummary>> {
        let s = self.lock();
        let mut out = Vec::new();
        for id in tickets {
            let Some(ticket) = s.tickets.get(id) else {
                continue;
            };
            let messages = s.messages.get(id).map(Vec::as_slice).unwrap_or_default();
            let position = s.reads.get(&(*id, reader)).map(|r| r.message_id);
            out.push(TicketSummary::compute(
                ticket,
                messages,
                reader,
                position,
                include_internal,
            ));
        }
        Ok(out)
    }

    async fn read_positions(&self, ticket_id: TicketId) -> Result<Vec<ReadPosition>> {
        let s = self.lock();
        Ok(s.reads
            .range((ticket_id, UserId(i64::MIN))..=(ticket_id, UserId(i64::MAX)))
            .map(|(_, r)| r.clone())
            .collect())
    }

    async fn react(&self, c: &ReactionChange) -> Result<Option<ReactionOutcome>> {
        Ok(self.lock().react(c))
    }

    async fn reactions(
        &self,
        ticket_id: TicketId,
        messages: &[MessageId],
        viewer: UserId,
    ) -> Result<Vec<MessageReactions>> {
        Ok(self.lock().reactions_of(ticket_id, messages, viewer))
    }

    async fn canned_responses(&self, viewer: UserId) -> Result<Vec<crate::CannedResponse>> {
        Ok(self.canned_for(viewer))
    }

    async fn save_canned_response(
        &self,
        id: Option<crate::CannedResponseId>,
        d: &crate::canned::CannedDraft,
    ) -> Result<Option<crate::CannedResponse>> {
        self.save_canned(id, d)
    }

    async fn delete_canned_response(&self, id: crate::CannedResponseId) -> Result<bool> {
        Ok(self.delete_canned(id))
    }

    async fn ticket_templates(&self) -> Result<Vec<crate::TicketTemplate>> {
        Ok(self.templates())
    }

    async fn save_ticket_template(
        &self,
        id: Option<crate::TicketTemplateId>,
        d: &crate::canned::TemplateDraft,
    ) -> Result<Option<crate::TicketTemplate>> {
        Ok(self.save_template(id, d))
    }

    async fn delete_ticket_template(&self, id: crate::TicketTemplateId) -> Result<bool> {
        Ok(self.delete_template(id))
    }

    async fn create_upload(&self, d: &UploadDraft) -> Result<Upload> {
        let mut s = self.lock();
        s.next_upload += 1;
        let id = AttachmentId(s.next_upload);
        let upload = d.clone().stored(id);
        s.uploads.insert(id, upload.clone());
        Ok(upload)
    }

    async fn upload(&self, id: AttachmentId) -> Result<Option<Upload>> {
        Ok(self.lock().uploads.get(&id).cloned())
    }

    async fn unattached_uploads(&self, before: Timestamp, limit: u32) -> Result<Vec<Upload>> {
        let s = self.lock();
        let mut found: Vec<Upload> = s
            .uploads
            .values()
            .filter(|u| u.message_id.is_none() && u.created_at < before)
            .cloned()
            .collect();
        found.sort_by_key(|u| (u.created_at, u.id));
        found.truncate(limit as usize);
        Ok(found)
    }

    async fn delete_upload(&self, id: AttachmentId) -> Result<bool> {
        let mut s = self.lock();
        let unattached = s.uploads.get(&id).is_some_and(|u| u.message_id.is_none());
        if unattached {
            s.uploads.remove(&id);
        }
        Ok(unattached)
    }

    async fn blob_in_use(&self, sha256: &str) -> Result<bool> {
        Ok(self.lock().uploads.values().any(|u| u.sha256 == sha256))
    }

    // --- sla ---

    async fn mark_sla_breaches(&self, now: Timestamp, limit: u32) -> Result<Vec<SlaBreach>> {
        let mut s = self.lock();
        let due = SlaBreach::pick(s.tickets.values(), now, limit);
        for b in &due {
            if let Some(t) = s.tickets.get_mut(&b.ticket_id) {
                t.sla.mark(b.clock);
            }
        }
        Ok(due)
    }

    async fn report_facts(&self, from: Timestamp, to: Timestamp) -> Result<Vec<ReportFacts>> {
        Ok(self
            .lock()
            .tickets
            .values()
            .filter(|t| ReportFacts::in_range(t, from, to))
            .map(ReportFacts::of)
            .collect())
    }

    // --- search ---
    async fn archive_closed(&self, batch: &crate::archive::ArchiveBatch) -> Result<Vec<TicketId>> {
        let mut s = self.lock();
        let mut picked: Vec<&Ticket> = s.tickets.values().filter(|t| batch.selects(t)).collect();
        picked.sort_by_key(|t| crate::archive::ArchiveBatch::order(t));
        let ids: Vec<TicketId> = picked
            .into_iter()
            .take(batch.limit as usize)
            .map(|t| t.id)
            .collect();
        for id in &ids {
            if let Some(t) = s.tickets.get_mut(id) {
                t.archived_at = Some(batch.at());
            }
            s.log(batch.record_for(*id));
        }
        Ok(ids)
    }

    async fn search(&self, q: &crate::search::SearchQuery) -> Result<Vec<crate::SearchHit>> {
        let s = self.lock();
        let tickets = s.tickets.values().map(|t| {
            let messages = s.messages.get(&t.id).map(Vec::as_slice).unwrap_or_default();
            (t, messages)
        });
        Ok(crate::search::reference(q, tickets))
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn create_session(&self, new: &NewSession) -> Result<()> {
        let mut state = self.lock();
        if state.sessions.contains_key(&new.digest) {
            return Err(Error::Conflict("a session with this digest exists".into()));
        }
        state.sessions.insert(new.digest, new.stored());
        Ok(())
    }

    async fn session(&self, digest: &TokenDigest, at: &Liveness) -> Result<Option<StoredSession>> {
        Ok(self
            .lock()
            .sessions
            .get(digest)
            .filter(|s| at.admits(s))
            .cloned())
    }

    async fn touch_session(&self, digest: &TokenDigest, at: &Liveness) -> Result<bool> {
        let mut state = self.lock();
        match state.sessions.get_mut(digest) {
            Some(s) if at.admits(s) => {
                s.last_seen_at = s.last_seen_at.max(at.now);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn end_session(&self, digest: &TokenDigest) -> Result<bool> {
        Ok(self.lock().sessions.remove(digest).is_some())
    }

    async fn end_user_sessions(&self, user: UserId) -> Result<u64> {
        let mut state = self.lock();
        let before = state.sessions.len();
        state.sessions.retain(|_, s| s.user != user);
        Ok((before - state.sessions.len()) as u64)
    }

    async fn purge_sessions(&self, at: &Liveness) -> Result<u64> {
        let mut state = self.lock();
        let before = state.sessions.len();
        state.sessions.retain(|_, s| at.admits(s));
        Ok((before - state.sessions.len()) as u64)
    }
}
