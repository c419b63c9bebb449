//! The audit log through the service: what the transport and the embedder record that no
//! store write records by itself (sign-ins, exports, account changes), and the log's reads
//! behind the one policy: a ticket's whole history for staff, the whole log for admins.

use crate::actor::Actor;
use crate::audit::{Action, AuditQuery, AuditRecord, NewAuditRecord};
use crate::error::Result;
use crate::id::TicketId;
use crate::policy::Policy;

use super::SupportService;

impl SupportService {
    /// The most records one read of the log answers.
    pub const MAX_AUDIT_PAGE: u32 = 500;

    /// Records `action`, done by `actor` (`None`: nobody proved who they were, or the command
    /// line; then `name` says who it stands for) from `actor`'s origin or `origin`, on
    /// `ticket`, now. For what happens outside the service's own writes: a sign-in, a failed
    /// one, a sign-out, a user or token change. The service's writes record themselves.
    pub async fn record(
        &self,
        actor: Option<&Actor>,
        name: &str,
        origin: Option<std::net::IpAddr>,
        ticket: Option<TicketId>,
        action: Action,
    ) -> Result<AuditRecord> {
        let record = NewAuditRecord::now(actor, name, origin, ticket, action);
        self.inner.store.record_audit(&record).await
    }

    /// A ticket's whole history, oldest first: every record of the log on it, internal notes
    /// posted included (staff only; 404 for a ticket that does not exist).
    pub async fn ticket_history(
        &self,
        actor: &Actor,
        ticket: TicketId,
    ) -> Result<Vec<AuditRecord>> {
        Policy::check_staff(actor)?;
        self.visible_owner(actor, ticket).await?;
        let mut all = Vec::new();
        let mut query = AuditQuery {
            ticket_id: Some(ticket),
            limit: Self::MAX_AUDIT_PAGE,
            ..AuditQuery::default()
        };
        loop {
            let page = self.inner.store.audit_log(&query).await?;
            let full = page.len() == query.limit as usize;
            query.before_id = page.last().map(|r| r.id);
            all.extend(page);
            if !full {
                break;
            }
        }
        all.reverse();
        Ok(all)
    }

    /// A page of the whole log, newest first, filtered (admins only). The limit is capped at
    /// [`Self::MAX_AUDIT_PAGE`].
    pub async fn audit_log(&self, actor: &Actor, query: &AuditQuery) -> Result<Vec<AuditRecord>> {
        Policy::check_admin(actor)?;
        let query = AuditQuery {
            limit: query.limit.clamp(1, Self::MAX_AUDIT_PAGE),
            ..query.clone()
        };
        self.inner.store.audit_log(&query).await
    }
}
