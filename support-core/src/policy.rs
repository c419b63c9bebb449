//! The one authorization policy. HTTP handlers, the service and channel authorization all ask
//! it; no rule is written twice.

use crate::actor::Actor;
use crate::channel::Channel;
use crate::error::{Error, Result};
use crate::id::UserId;
use crate::message::{AuthorType, Visibility};
use crate::ticket::Ticket;

/// Who may see, write, change and listen to what.
///
/// - An employee sees and writes only their own tickets, and never an internal note.
/// - Staff (support, admin, hr) see every ticket and every note.
/// - Only staff change status, priority or assignment, and only staff can be assigned.
/// - `private-support.ticket.{id}`: the ticket's employee and staff may join;
///   `private-support.admin`: staff only.
///
/// A ticket the actor may not see is reported as [`Error::NotFound`], so that its existence
/// does not leak.
#[derive(Debug, Clone, Copy, Default)]
pub struct Policy;

impl Policy {
    /// May `actor` see this ticket at all?
    pub fn can_view(actor: &Actor, ticket: &Ticket) -> bool {
        actor.is_staff() || ticket.employee_id == actor.id
    }

    /// May `actor` read internal notes?
    pub fn can_see_internal(actor: &Actor) -> bool {
        actor.is_staff()
    }

    /// `Ok` if `actor` may see the ticket, else `NotFound`.
    pub fn check_view(actor: &Actor, ticket: &Ticket) -> Result<()> {
        if Self::can_view(actor, ticket) {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }

    /// `Ok` if `actor` may post a message of this visibility on the ticket.
    pub fn check_post(actor: &Actor, ticket: &Ticket, visibility: Visibility) -> Result<()> {
        Self::check_view(actor, ticket)?;
        if visibility == Visibility::Internal && !Self::can_see_internal(actor) {
            return Err(Error::Forbidden("only staff can write internal notes"));
        }
        Ok(())
    }

    /// `Ok` if `actor` is staff: the dashboard, the full list, stats, the audit trail, and
    /// changes of status, priority and assignment.
    pub fn check_staff(actor: &Actor) -> Result<()> {
        if actor.is_staff() {
            Ok(())
        } else {
            Err(Error::Forbidden("staff only"))
        }
    }

    /// May this user be assigned a ticket?
    pub fn can_be_assigned(user: &Actor) -> bool {
        user.is_staff()
    }

    /// Which side a message by `actor` on `ticket` is from: the ticket's owner writes as the
    /// employee, anyone else as support.
    pub fn author_type(actor: &Actor, ticket: &Ticket) -> AuthorType {
        if ticket.employee_id == actor.id {
            AuthorType::Employee
        } else {
            AuthorType::Support
        }
    }

    /// May `actor` join `channel`? `ticket_owner` is the employee of the channel's ticket, or
    /// `None` when there is no such ticket (then only staff could, and nobody needs to).
    pub fn can_join(actor: &Actor, channel: &Channel, ticket_owner: Option<UserId>) -> bool {
        match channel {
            Channel::Admin => actor.is_staff(),
            Channel::Ticket(_) => match ticket_owner {
                Some(owner) => actor.is_staff() || owner == actor.id,
                None => false,
            },
        }
    }
}
