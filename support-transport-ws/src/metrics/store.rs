//! [`MeteredStore`]: a store that times every call and counts its errors.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use support_core::canned::{CannedDraft, CannedResponse, TemplateDraft, TicketTemplate};
use support_core::reaction::{MessageReactions, ReactionChange, ReactionOutcome};
use support_core::reads::{ReadAdvance, ReadPosition, TicketSummary};
use support_core::store::{
    Appended, Created, MessageDraft, MessageQuery, SupportStore, TicketChange, TicketDraft,
    TicketQuery, TicketUpdate,
};
use support_core::{
    AttachmentId, AuditEntry, CannedResponseId, Error, Message, MessageId, Result, Stats, Ticket,
    TicketId, TicketTemplateId, Timestamp, Upload, UploadDraft, UserId,
};

use super::handles::Handles;

pub(crate) const DURATION: &str = "support_store_operation_duration_seconds";
pub(crate) const ERRORS: &str = "support_store_errors_total";

/// A [`SupportStore`] that forwards every method to `inner`, recording each call's latency
/// (`support_store_operation_duration_seconds`, by `operation`, the method's name) and its
/// failures (`support_store_errors_total`, by `operation` and error `kind`).
///
/// [`SupportChat`](crate::SupportChat) wraps the store it is given in one, so every store is
/// measured alike (at no cost beyond two clock reads and a look-up of the operation's handle
/// a call when no recorder is installed). Each operation's handles are registered with the
/// recorder at its first call.
/// Measuring here rather than in the service: the store is where the time goes and where
/// backends fail, one wrapper covers every operation of every store (the embedder's own
/// too) without touching the service, and its operation labels are the trait's method names,
/// a fixed set.
#[derive(Debug, Clone)]
pub struct MeteredStore<S> {
    inner: S,
    /// The duration histogram of each operation, registered at its first call.
    durations: Arc<Handles<&'static str, ::metrics::Histogram>>,
}

impl<S: SupportStore> MeteredStore<S> {
    /// Measures `inner`.
    pub fn new(inner: S) -> Self {
        MeteredStore {
            inner,
            durations: Arc::default(),
        }
    }

    /// The store it measures.
    pub fn inner(&self) -> &S {
        &self.inner
    }
}

/// The error's kind, as the `kind` label says it.
fn kind(e: &Error) -> &'static str {
    match e {
        Error::NotFound => "not_found",
        Error::Forbidden(_) => "forbidden",
        Error::Invalid(_) => "invalid",
        Error::Conflict(_) => "conflict",
        Error::Stale(_) => "stale",
        Error::Unavailable(_) => "unavailable",
        Error::Backend(_) => "backend",
        _ => "other",
    }
}

impl<S> MeteredStore<S> {
    /// Runs one call, timing it and counting its error.
    async fn measured<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let started = Instant::now();
        let result = call.await;
        let elapsed = started.elapsed().as_secs_f64();
        self.durations
            .get(operation, || {
                let histogram = ::metrics::histogram!(DURATION, "operation" => operation);
                (operation, histogram)
            })
            .record(elapsed);
        if let Err(e) = &result {
            // Rare: registered when it happens.
            ::metrics::counter!(ERRORS, "operation" => operation, "kind" => kind(e)).increment(1);
        }
        result
    }
}

#[async_trait]
impl<S: SupportStore> SupportStore for MeteredStore<S> {
    async fn create_ticket(
        &self,
        draft: &TicketDraft,
    ) -> Result<Created<(Ticket, Option<Message>)>> {
        self.measured("create_ticket", self.inner.create_ticket(draft))
            .await
    }
    async fn ticket(&self, id: TicketId) -> Result<Option<Ticket>> {
        self.measured("ticket", self.inner.ticket(id)).await
    }
    async fn tickets(&self, query: &TicketQuery) -> Result<Vec<Ticket>> {
        self.measured("tickets", self.inner.tickets(query)).await
    }
    async fn update_ticket(
        &self,
        id: TicketId,
        change: &TicketChange,
    ) -> Result<Option<TicketUpdate>> {
        self.measured("update_ticket", self.inner.update_ticket(id, change))
            .await
    }
    async fn append_message(&self, draft: &MessageDraft) -> Result<Created<Appended>> {
        self.measured("append_message", self.inner.append_message(draft))
            .await
    }
    async fn messages(&self, query: &MessageQuery) -> Result<Vec<Message>> {
        self.measured("messages", self.inner.messages(query)).await
    }
    async fn stats(&self) -> Result<Stats> {
        self.measured("stats", self.inner.stats()).await
    }
    async fn audit_trail(&self, ticket_id: TicketId) -> Result<Vec<AuditEntry>> {
        self.measured("audit_trail", self.inner.audit_trail(ticket_id))
            .await
    }
    async fn mark_read(&self, position: &ReadPosition) -> Result<Option<ReadAdvance>> {
        self.measured("mark_read", self.inner.mark_read(position))
            .await
    }
    async fn ticket_summaries(
        &self,
        tickets: &[TicketId],
        reader: UserId,
        include_internal: bool,
    ) -> Result<Vec<TicketSummary>> {
        let call = self
            .inner
            .ticket_summaries(tickets, reader, include_internal);
        self.measured("ticket_summaries", call).await
    }
    async fn read_positions(&self, ticket_id: TicketId) -> Result<Vec<ReadPosition>> {
        self.measured("read_positions", self.inner.read_positions(ticket_id))
            .await
    }
    async fn react(&self, change: &ReactionChange) -> Result<Option<ReactionOutcome>> {
        self.measured("react", self.inner.react(change)).await
    }
    async fn reactions(
        &self,
        ticket_id: TicketId,
        messages: &[MessageId],
        viewer: UserId,
    ) -> Result<Vec<MessageReactions>> {
        let call = self.inner.reactions(ticket_id, messages, viewer);
        self.measured("reactions", call).await
    }
    async fn canned_responses(&self, viewer: UserId) -> Result<Vec<CannedResponse>> {
        self.measured("canned_responses", self.inner.canned_responses(viewer))
            .await
    }
    async fn save_canned_response(
        &self,
        id: Option<CannedResponseId>,
        draft: &CannedDraft,
    ) -> Result<Option<CannedResponse>> {
        let call = self.inner.save_canned_response(id, draft);
        self.measured("save_canned_response", call).await
    }
    async fn delete_canned_response(&self, id: CannedResponseId) -> Result<bool> {
        self.measured(
            "delete_canned_response",
            self.inner.delete_canned_response(id),
        )
        .await
    }
    async fn ticket_templates(&self) -> Result<Vec<TicketTemplate>> {
        self.measured("ticket_templates", self.inner.ticket_templates())
            .await
    }
    async fn save_ticket_template(
        &self,
        id: Option<TicketTemplateId>,
        draft: &TemplateDraft,
    ) -> Result<Option<TicketTemplate>> {
        let call = self.inner.save_ticket_template(id, draft);
        self.measured("save_ticket_template", call).await
    }
    async fn delete_ticket_template(&self, id: TicketTemplateId) -> Result<bool> {
        self.measured(
            "delete_ticket_template",
            self.inner.delete_ticket_template(id),
        )
        .await
    }
    async fn create_upload(&self, draft: &UploadDraft) -> Result<Upload> {
        self.measured("create_upload", self.inner.create_upload(draft))
            .await
    }
    async fn upload(&self, id: AttachmentId) -> Result<Option<Upload>> {
        self.measured("upload", self.inner.upload(id)).await
    }
    async fn unattached_uploads(&self, before: Timestamp, limit: u32) -> Result<Vec<Upload>> {
        let call = self.inner.unattached_uploads(before, limit);
        self.measured("unattached_uploads", call).await
    }
    async fn delete_upload(&self, id: AttachmentId) -> Result<bool> {
        self.measured("delete_upload", self.inner.delete_upload(id))
            .await
    }
    async fn blob_in_use(&self, sha256: &str) -> Result<bool> {
        self.measured("blob_in_use", self.inner.blob_in_use(sha256))
            .await
    }
    async fn record_audit(
        &self,
        r: &support_core::NewAuditRecord,
    ) -> Result<support_core::AuditRecord> {
        self.measured("record_audit", self.inner.record_audit(r))
            .await
    }
    async fn audit_log(
        &self,
        q: &support_core::AuditQuery,
    ) -> Result<Vec<support_core::AuditRecord>> {
        self.measured("audit_log", self.inner.audit_log(q)).await
    }
    async fn mark_sla_breaches(
        &self,
        now: support_core::Timestamp,
        limit: u32,
    ) -> Result<Vec<support_core::sla::SlaBreach>> {
        self.measured(
            "mark_sla_breaches",
            self.inner.mark_sla_breaches(now, limit),
        )
        .await
    }
    async fn report_facts(
        &self,
        from: support_core::Timestamp,
        to: support_core::Timestamp,
    ) -> Result<Vec<support_core::report::ReportFacts>> {
        self.measured("report_facts", self.inner.report_facts(from, to))
            .await
    }
    async fn archive_closed(
        &self,
        batch: &support_core::archive::ArchiveBatch,
    ) -> Result<Vec<support_core::TicketId>> {
        self.measured("archive_closed", self.inner.archive_closed(batch))
            .await
    }
    async fn search(
        &self,
        q: &support_core::search::SearchQuery,
    ) -> Result<Vec<support_core::SearchHit>> {
        self.measured("search", self.inner.search(q)).await
    }
    // --- metrics --- (new methods of other features go above this line, each measured)
    async fn ping(&self) -> Result<()> {
        self.measured("ping", self.inner.ping()).await
    }
}
