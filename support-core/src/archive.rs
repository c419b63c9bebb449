//! Archiving: closed tickets nobody has touched for a while leave the everyday views.
//!
//! # What archived means
//!
//! A ticket is archived when its [`Ticket::archived_at`] is set. Archived tickets:
//!
//! - leave the lists (the staff list, an employee's own list), the dashboard and search,
//!   unless the caller asks for the archive (`archived=true`: then only archived ones,
//!   [`TicketFilter::archived`](crate::TicketFilter::archived),
//!   [`SearchFilter::archived`](crate::search::SearchFilter::archived));
//! - stay readable by id, with their messages, attachments and transcript, for whoever could
//!   read them before;
//! - still count in reports, which describe what happened, whatever was archived since;
//! - are never open: only a ticket in `closed` is archived, and a ticket that leaves `closed`
//!   (an employee's reply reopens it, staff change its status) is no longer archived, in the
//!   same write ([`TicketPatch::apply`](crate::ticket::TicketPatch::apply)).
//!
//! # A run
//!
//! [`SupportService::archive_closed`](crate::SupportService::archive_closed) archives every
//! closed ticket whose latest activity (`updated_at`) is older than the cutoff, in batches of
//! [`ARCHIVE_BATCH`], each one [`SupportStore::archive_closed`](crate::SupportStore::archive_closed)
//! call and one transaction. So a run is
//!
//! - **idempotent**: an archived ticket is never picked again, and a second run archives
//!   nothing new;
//! - **safe to interrupt**: what a killed run committed stays archived, the rest is picked by
//!   the next run, and no ticket is left half done (its `archived_at` and its audit record
//!   `ticket.archived` commit together);
//! - **safe beside the day's work and other nodes**: the store checks a ticket's status inside
//!   the batch's transaction, so a ticket reopened a moment before is left alone, and two nodes
//!   running at once never archive (or record) a ticket twice.

use std::time::Duration;

use crate::audit::NewAuditRecord;
use crate::id::TicketId;
use crate::ticket::{Status, Ticket};
use crate::time::Timestamp;

/// How many tickets one store call archives at most: one transaction's worth.
pub const ARCHIVE_BATCH: u32 = 200;

/// One batch of an archiving run, as a store receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveBatch {
    /// Closed tickets whose latest activity is strictly before this are archived.
    pub closed_before: Timestamp,
    /// At most this many, the least recently active first (`updated_at`, then `id`).
    pub limit: u32,
    /// The audit record each archived ticket gets (its `ticket_id` set to that ticket's, see
    /// [`ArchiveBatch::record_for`]); its `at` is the tickets' `archived_at`.
    pub record: NewAuditRecord,
}

impl ArchiveBatch {
    /// The reference semantics: true if this batch may archive `t`.
    pub fn selects(&self, t: &Ticket) -> bool {
        t.status == Status::Closed && t.archived_at.is_none() && t.updated_at < self.closed_before
    }

    /// The order tickets are picked in: least recently active first.
    pub fn order(t: &Ticket) -> (Timestamp, TicketId) {
        (t.updated_at, t.id)
    }

    /// The time archived tickets get.
    pub fn at(&self) -> Timestamp {
        self.record.at
    }

    /// The audit record of archiving `ticket`.
    pub fn record_for(&self, ticket: TicketId) -> NewAuditRecord {
        NewAuditRecord {
            ticket_id: Some(ticket),
            ..self.record.clone()
        }
    }
}

/// What an archiving run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ArchiveReport {
    /// Tickets archived by this run.
    pub archived: u64,
    /// The cutoff: closed tickets last active before it were archived.
    pub closed_before: Timestamp,
}

/// The cutoff for "closed more than `older_than` ago", from `now`; `None` when it would fall
/// before the start of time (a number of days too large to mean anything).
pub fn cutoff(now: Timestamp, older_than: Duration) -> Option<Timestamp> {
    now.checked_sub_signed(chrono::TimeDelta::from_std(older_than).ok()?)
}
