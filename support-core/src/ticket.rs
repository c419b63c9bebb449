//! Tickets: their fields, their enumerations, and how a staff change applies to one.

use serde::{Deserialize, Serialize};

use crate::audit::Change;
use crate::id::{TicketId, TicketNumber, UserId};
use crate::sla::{Sla, SlaTargets};
use crate::time::Timestamp;

/// The behaviour shared by the string-valued enumerations: their wire names, and parsing that
/// names the field when a value is unknown.
pub trait Choice: Sized + Copy + 'static {
    /// Every value, in declaration order.
    const ALL: &'static [Self];
    /// The wire name (`"in_progress"`).
    fn as_str(self) -> &'static str;
    /// Parses a wire name; `None` for anything else (case-sensitive, as Laravel's `in:` rule).
    fn from_name(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == s)
    }
}

macro_rules! choice {
    ($(#[$doc:meta])* $name:ident ($field:literal) { $($(#[$vdoc:meta])* $variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::IntoStaticStr)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        #[strum(serialize_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl Choice for $name {
            const ALL: &'static [Self] = &[$($name::$variant),+];
            fn as_str(self) -> &'static str {
                self.into()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = crate::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                crate::validate::parse_choice($field, s)
            }
        }
    };
}
pub(crate) use choice;

choice!(
    /// What a ticket is about.
    Category("category") {
        /// Computers, accounts, software.
        It = "it",
        /// Human resources.
        Hr = "hr",
        /// Salary and pay slips.
        Payroll = "payroll",
        /// Insurance, leave, perks.
        Benefits = "benefits",
        /// Buildings and equipment.
        Facilities = "facilities",
        /// Anything else.
        Other = "other",
    }
);

choice!(
    /// How urgent a ticket is. Ordered: `Low < Medium < High < Urgent`.
    Priority("priority") {
        /// Can wait.
        Low = "low",
        /// The default.
        Medium = "medium",
        /// Blocks someone's work.
        High = "high",
        /// Needs attention now; counted in the urgent badge while active.
        Urgent = "urgent",
    }
);

choice!(
    /// Where a ticket is in its life.
    Status("status") {
        /// New, nobody working on it yet.
        Open = "open",
        /// Staff are working on it.
        InProgress = "in_progress",
        /// Waiting on someone else.
        Pending = "pending",
        /// Solved; `resolved_at` is set.
        Resolved = "resolved",
        /// Finished for good.
        Closed = "closed",
    }
);

impl Priority {
    /// 0 for low up to 3 for urgent: the queue order, and the value stores index.
    pub fn rank(self) -> i16 {
        match self {
            Priority::Low => 0,
            Priority::Medium => 1,
            Priority::High => 2,
            Priority::Urgent => 3,
        }
    }

    /// The inverse of [`Priority::rank`].
    pub fn from_rank(rank: i64) -> Option<Self> {
        Some(match rank {
            0 => Priority::Low,
            1 => Priority::Medium,
            2 => Priority::High,
            3 => Priority::Urgent,
            _ => return None,
        })
    }
}

impl PartialOrd for Priority {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Priority {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}

impl Status {
    /// The statuses on the live dashboard: someone still has to act.
    pub const ACTIVE: &'static [Status] = &[Status::Open, Status::InProgress, Status::Pending];

    /// True for open, in progress and pending.
    pub fn is_active(self) -> bool {
        Self::ACTIVE.contains(&self)
    }

    /// The statuses an employee's reply takes back to [`Status::Open`]: the ticket was
    /// finished, and its employee writes again. The SQL stores spell the same list as
    /// `status IN ('resolved', 'closed')` in the statements that append a message.
    pub const REOPENED_BY_REPLY: &'static [Status] = &[Status::Resolved, Status::Closed];

    /// True for resolved and closed: see [`Status::REOPENED_BY_REPLY`].
    pub fn is_reopened_by_reply(self) -> bool {
        Self::REOPENED_BY_REPLY.contains(&self)
    }
}

/// A support ticket as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ticket {
    /// Assigned by the store.
    pub id: TicketId,
    /// Human-readable and unique, derived from the id.
    pub ticket_number: TicketNumber,
    /// The employee who opened it, and the only non-staff user who may see it.
    pub employee_id: UserId,
    /// One line.
    pub subject: String,
    /// The problem in the employee's words.
    pub description: String,
    /// What it is about.
    pub category: Category,
    /// How urgent it is.
    pub priority: Priority,
    /// Where it is in its life.
    pub status: Status,
    /// The staff member working on it.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub assigned_to: Option<UserId>,
    /// Set when it becomes resolved (or closed without having been resolved); cleared when it
    /// is reopened.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub resolved_at: Option<Timestamp>,
    /// When it was opened.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// The latest activity: a change or a message.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
    /// Grows by one with every change of the ticket's own fields (status, priority,
    /// assignment, a reopening reply); a new ticket is at 1. A new message does not change
    /// it, so a staff change made from a page that is current except for newer messages
    /// still applies. A change may name the version it was made from
    /// ([`TicketChange::expected_version`](crate::store::TicketChange::expected_version)),
    /// and is refused when the ticket has moved on.
    #[serde(default = "first_version")]
    pub version: i64,
    /// The first public message from staff: what stops the first-response clock. Set by the
    /// store in the append's transaction; internal notes and the employee's messages never
    /// set it.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    #[serde(default)]
    pub first_response_at: Option<Timestamp>,
    /// The SLA clocks ([`crate::sla`]).
    #[serde(default)]
    pub sla: Sla,
    /// When it was archived ([`crate::archive`]): a closed ticket left alone long enough is
    /// taken out of lists, the dashboard and default search, and stays readable by id. Set
    /// only by [`SupportStore::archive_closed`](crate::SupportStore::archive_closed); cleared
    /// when the ticket leaves `closed` (a reopening reply, a staff change).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    #[serde(default)]
    pub archived_at: Option<Timestamp>,
}

/// The version of a new ticket (and of a row stored before tickets had versions).
pub const FIRST_VERSION: i64 = 1;

fn first_version() -> i64 {
    FIRST_VERSION
}

/// A staff change to a ticket's workflow fields. `None` leaves a field as it is;
/// `assigned_to: Some(None)` unassigns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketPatch {
    /// New status.
    pub status: Option<Status>,
    /// New priority.
    pub priority: Option<Priority>,
    /// New assignee; `Some(None)` unassigns.
    pub assigned_to: Option<Option<UserId>>,
}

impl TicketPatch {
    /// True when the patch names no field at all.
    pub fn is_empty(&self) -> bool {
        self.status.is_none() && self.priority.is_none() && self.assigned_to.is_none()
    }

    /// The ticket after the patch, and one [`Change`] per field whose value really changed.
    ///
    /// Stores call this inside their write transaction, on the row as it is then, so that
    /// concurrent patches never lose an update and the audit trail records true before/after
    /// values. An empty change list means nothing is to be written.
    ///
    /// The SLA clocks move with the change ([`crate::sla`]): a status change pauses or resumes
    /// the resolution clock, a priority change moves both due times to `targets` of the new
    /// priority.
    pub fn apply(
        &self,
        before: &Ticket,
        at: Timestamp,
        targets: &SlaTargets,
    ) -> (Ticket, Vec<Change>) {
        let mut after = before.clone();
        let mut changes = Vec::new();
        if let Some(status) = self.status.filter(|s| *s != before.status) {
            after.status = status;
            changes.push(Change::Status {
                before: before.status,
                after: status,
            });
            match status {
                Status::Resolved => after.resolved_at = Some(at),
                Status::Closed => after.resolved_at = before.resolved_at.or(Some(at)),
                _ => after.resolved_at = None,
            }
            after.sla.on_status(before.status, status, at);
            if status != Status::Closed {
                after.archived_at = None;
            }
        }
        if let Some(priority) = self.priority.filter(|p| *p != before.priority) {
            after.priority = priority;
            after.sla.on_priority(before.created_at, priority, targets);
            changes.push(Change::Priority {
                before: before.priority,
                after: priority,
            });
        }
        if let Some(assignee) = self.assigned_to.filter(|a| *a != before.assigned_to) {
            after.assigned_to = assignee;
            changes.push(Change::AssignedTo {
                before: before.assigned_to,
                after: assignee,
            });
        }
        if !changes.is_empty() {
            after.updated_at = at;
            after.version = before.version + 1;
        }
        (after, changes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::now;

    fn ticket(status: Status) -> Ticket {
        let at = now();
        Ticket {
            id: TicketId(1),
            ticket_number: TicketNumber::for_id(TicketId(1)),
            employee_id: UserId(7),
            subject: "s".into(),
            description: "d".into(),
            category: Category::It,
            priority: Priority::Low,
            status,
            assigned_to: None,
            resolved_at: None,
            created_at: at,
            updated_at: at,
            version: FIRST_VERSION,
            first_response_at: None,
            archived_at: None,
            sla: Sla::start(at, Priority::Low, &SlaTargets::default()),
        }
    }

    #[test]
    fn resolving_sets_resolved_at_and_reopening_clears_it() {
        let at = now();
        let patch = TicketPatch {
            status: Some(Status::Resolved),
            ..Default::default()
        };
        let (resolved, changes) = patch.apply(&ticket(Status::Open), at, &SlaTargets::default());
        assert_eq!(resolved.resolved_at, Some(at));
        assert_eq!(
            changes,
            vec![Change::Status {
                before: Status::Open,
                after: Status::Resolved
            }]
        );

        let reopen = TicketPatch {
            status: Some(Status::InProgress),
            ..Default::default()
        };
        let (reopened, _) = reopen.apply(&resolved, now(), &SlaTargets::default());
        assert_eq!(reopened.resolved_at, None);
    }

    #[test]
    fn closing_keeps_an_earlier_resolution_time() {
        let first = now();
        let mut t = ticket(Status::Resolved);
        t.resolved_at = Some(first);
        let close = TicketPatch {
            status: Some(Status::Closed),
            ..Default::default()
        };
        let (closed, _) = close.apply(&t, now(), &SlaTargets::default());
        assert_eq!(closed.resolved_at, Some(first));
    }

    #[test]
    fn a_patch_to_the_same_values_changes_nothing() {
        let t = ticket(Status::Open);
        let patch = TicketPatch {
            status: Some(Status::Open),
            priority: Some(Priority::Low),
            assigned_to: Some(None),
        };
        let (after, changes) = patch.apply(&t, now(), &SlaTargets::default());
        assert!(changes.is_empty());
        assert_eq!(after, t);
    }

    #[test]
    fn priorities_order_by_urgency() {
        assert!(Priority::Urgent > Priority::High);
        assert!(Priority::High > Priority::Medium);
        assert!(Priority::Medium > Priority::Low);
        for p in Priority::ALL {
            assert_eq!(Priority::from_rank(p.rank().into()), Some(*p));
        }
    }

    #[test]
    fn wire_names_are_snake_case() {
        assert_eq!(Status::InProgress.as_str(), "in_progress");
        assert_eq!(
            serde_json::to_string(&Status::InProgress).unwrap(),
            "\"in_progress\""
        );
        assert_eq!(
            "facilities".parse::<Category>().unwrap(),
            Category::Facilities
        );
    }
}
