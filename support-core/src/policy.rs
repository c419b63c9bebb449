//! The one authorization policy. HTTP handlers, the service and channel authorization all ask
//! it; no rule is written twice.

use crate::actor::{Actor, Role};
use crate::channel::Channel;
use crate::error::{Error, Result};
use crate::id::UserId;
use crate::message::{AuthorType, Visibility};

/// Who may see, write, change and listen to what.
///
/// - An employee sees and writes only their own tickets, and never an internal note.
/// - Staff (support, admin, hr) see every ticket and every note.
/// - Only staff change status, priority or assignment, and only staff can be assigned.
/// - Canned responses are staff-only: a personal one is its owner's alone (anyone else,
///   admins included, gets not found); shared ones are read by all staff and managed by admins.
///   Ticket templates are read by anyone signed in and managed by admins.
/// - `private-support.ticket.{id}`: the ticket's employee and staff may join;
///   `private-support.admin`: staff only; `presence-support.ticket.{id}.staff` (who has the
///   ticket open): staff only, the ticket's own employee included among those refused.
///
/// A ticket the actor may not see is reported as [`Error::NotFound`], so that its existence
/// does not leak.
///
/// Every rule about a ticket depends only on its owner (`Ticket::employee_id`), which is why
/// the rules take the owner rather than the ticket: the owner never changes, so the service
/// may remember it and decide without reading the ticket again.
#[derive(Debug, Clone, Copy, Default)]
pub struct Policy;

impl Policy {
    /// May `actor` see the ticket of `owner` at all?
    pub fn can_view(actor: &Actor, owner: UserId) -> bool {
        actor.is_staff() || owner == actor.id
    }

    /// May `actor` read internal notes?
    pub fn can_see_internal(actor: &Actor) -> bool {
        actor.is_staff()
    }

    /// `Ok` if `actor` may see the ticket of `owner`, else `NotFound`.
    pub fn check_view(actor: &Actor, owner: UserId) -> Result<()> {
        if Self::can_view(actor, owner) {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }

    /// `Ok` if `actor` may post a message of this visibility on the ticket of `owner`.
    pub fn check_post(actor: &Actor, owner: UserId, visibility: Visibility) -> Result<()> {
        Self::check_view(actor, owner)?;
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

    /// `Ok` if `actor` is an admin: ticket templates, and shared canned responses.
    pub fn check_admin(actor: &Actor) -> Result<()> {
        if actor.role == Role::Admin {
            Ok(())
        } else {
            Err(Error::Forbidden("admins only"))
        }
    }

    /// `Ok` if `actor` may create, change or delete a canned response that is (or becomes)
    /// `shared`: staff manage their personal ones, only admins the shared ones. Whether a
    /// personal one is the actor's own is visibility ([`Policy::can_see_canned`]).
    pub fn check_manage_canned(actor: &Actor, shared: bool) -> Result<()> {
        Self::check_staff(actor)?;
        if shared {
            Self::check_admin(actor)
        } else {
            Ok(())
        }
    }

    /// May `actor` see a canned response? Staff see the shared ones and their own personal
    /// ones; another user's personal one is reported as not found.
    pub fn can_see_canned(actor: &Actor, shared: bool, owner: UserId) -> bool {
        actor.is_staff() && (shared || owner == actor.id)
    }

    /// May this user be assigned a ticket?
    pub fn can_be_assigned(user: &Actor) -> bool {
        user.is_staff()
    }

    /// Which side a message by `actor` on the ticket of `owner` is from: the owner writes as
    /// the employee, anyone else as support.
    pub fn author_type(actor: &Actor, owner: UserId) -> AuthorType {
        if owner == actor.id {
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
            Channel::Ticket(_) => ticket_owner.is_some_and(|owner| Self::can_view(actor, owner)),
            Channel::TicketStaff(_) => actor.is_staff() && ticket_owner.is_some(),
        }
    }
}

#[cfg(test)]
mod tests;
