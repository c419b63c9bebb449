//! The audit trail: who changed what on a ticket, when, from what to what.

use serde::{Deserialize, Serialize};

use crate::id::{TicketId, UserId};
use crate::ticket::{Category, Priority, Status};
use crate::time::Timestamp;

/// One recorded change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    /// Assigned by the store; grows with time.
    pub id: i64,
    /// The ticket changed.
    pub ticket_id: TicketId,
    /// Who changed it.
    pub actor_id: UserId,
    /// Their name at the time.
    pub actor_name: String,
    /// What changed, with the values before and after.
    #[serde(flatten)]
    pub change: Change,
    /// When.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
}

/// What an [`AuditEntry`] records. Serialized with a `field` tag:
/// `{"field":"status","before":"open","after":"resolved"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "field", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Change {
    /// The ticket was opened with these values.
    Created {
        /// Its first status.
        status: Status,
        /// Its first priority.
        priority: Priority,
        /// Its category.
        category: Category,
    },
    /// The status changed.
    Status {
        /// Old value.
        before: Status,
        /// New value.
        after: Status,
    },
    /// The priority changed.
    Priority {
        /// Old value.
        before: Priority,
        /// New value.
        after: Priority,
    },
    /// The assignee changed (`None`: unassigned).
    AssignedTo {
        /// Old assignee.
        #[cfg_attr(feature = "openapi", schema(required = true))]
        before: Option<UserId>,
        /// New assignee.
        #[cfg_attr(feature = "openapi", schema(required = true))]
        after: Option<UserId>,
    },
}

/// A change about to be recorded: the store adds the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    /// Who.
    pub actor_id: UserId,
    /// Their name.
    pub actor_name: String,
    /// What.
    pub change: Change,
    /// When.
    pub at: Timestamp,
}

impl NewAuditEntry {
    /// The entry as stored, with the id the store assigned it on `ticket_id`.
    pub fn stored(self, id: i64, ticket_id: TicketId) -> AuditEntry {
        AuditEntry {
            id,
            ticket_id,
            actor_id: self.actor_id,
            actor_name: self.actor_name,
            change: self.change,
            at: self.at,
        }
    }
}
