//! The staff badge counts.

use serde::{Deserialize, Serialize};

use crate::ticket::{Priority, Status, Ticket};

/// Counts shown on the staff sidebar. Stores compute them exactly on every read; nothing is
/// cached.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Stats {
    /// Tickets with status `open`.
    pub open: u64,
    /// Tickets with status `in_progress`.
    pub in_progress: u64,
    /// Urgent tickets that are open or in progress.
    pub urgent: u64,
}

impl Stats {
    /// Counts a set of tickets the way every store must: the reference definition.
    pub fn count<'a>(tickets: impl IntoIterator<Item = &'a Ticket>) -> Stats {
        let mut s = Stats::default();
        for t in tickets {
            s.add(t.status, t.priority);
        }
        s
    }

    /// Adds one ticket with this status and priority.
    pub fn add(&mut self, status: Status, priority: Priority) {
        self.add_count(status, priority, 1);
    }

    /// Adds `n` tickets with this status and priority (a `GROUP BY` row of a store's count).
    pub fn add_count(&mut self, status: Status, priority: Priority, n: u64) {
        match status {
            Status::Open => self.open += n,
            Status::InProgress => self.in_progress += n,
            _ => return,
        }
        if priority == Priority::Urgent {
            self.urgent += n;
        }
    }

    /// What one ticket with this status and priority contributes. A change alters the counts
    /// exactly when the contributions before and after differ.
    pub fn of(status: Status, priority: Priority) -> Stats {
        let mut s = Stats::default();
        s.add(status, priority);
        s
    }
}
