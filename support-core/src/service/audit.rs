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

    /// The most records one read of several pages answers
    /// ([`Self::audit_records`], [`Self::ticket_history`]).
    pub const MAX_AUDIT_READ: u32 = 10_000;

    /// A ticket's history, oldest first: every record of the log on it, internal notes
    /// posted included, up to its last [`Self::MAX_AUDIT_READ`] (staff only; 404 for a
    /// ticket that does not exist).
    pub async fn ticket_history(
        &self,
        actor: &Actor,
        ticket: TicketId,
    ) -> Result<Vec<AuditRecord>> {
        Policy::check_staff(actor)?;
        self.visible_owner(actor, ticket).await?;
        let query = AuditQuery {
            ticket_id: Some(ticket),
            ..AuditQuery::default()
        };
        let mut all = self.read_audit(query, Self::MAX_AUDIT_READ).await?;
        all.reverse();
        Ok(all)
    }

    /// Up to `max` records of `query` (at most [`Self::MAX_AUDIT_READ`]), newest first,
    /// from `query.before_id` on, whatever `query.limit` (admins only): the log read page
    /// after page, for an export.
    pub async fn audit_records(
        &self,
        actor: &Actor,
        query: &AuditQuery,
        max: u32,
    ) -> Result<Vec<AuditRecord>> {
        Policy::check_admin(actor)?;
        self.read_audit(query.clone(), max).await
    }

    /// The one loop over the log's pages: pages of [`Self::MAX_AUDIT_PAGE`] by `before_id`
    /// until a short one, or `max` records (at most [`Self::MAX_AUDIT_READ`]).
    async fn read_audit(&self, mut query: AuditQuery, max: u32) -> Result<Vec<AuditRecord>> {
        let max = max.min(Self::MAX_AUDIT_READ) as usize;
        let mut all = Vec::new();
        while all.len() < max {
            query.limit =
                Self::MAX_AUDIT_PAGE.min(u32::try_from(max - all.len()).unwrap_or(u32::MAX));
            let page = self.inner.store.audit_log(&query).await?;
            let full = page.len() == query.limit as usize;
            query.before_id = page.last().map(|r| r.id);
            all.extend(page);
            if !full {
                break;
            }
        }
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
