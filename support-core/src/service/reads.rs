//! Read state in the service: marking a ticket read (and telling both channels), and what
//! lists and views show a caller because of it.

use crate::actor::Actor;
use crate::error::{Error, Result};
use crate::event::{Event, MessageRead, StaffEvent, TicketEvent};
use crate::id::{MessageId, TicketId};
use crate::policy::Policy;
use crate::reads::{ReadPosition, ReadReceipts, Receipt, TicketSummary};
use crate::store::{MessagePosition, MessageQuery};
use crate::ticket::Ticket;
use crate::time;

use super::{SupportService, WriteContext};

impl SupportService {
    /// Records that `actor` has read ticket `ticket_id` up to `message_id`. The ticket must be
    /// one the actor may see (else `NotFound`), and the message one of its messages the actor
    /// may see (else a validation error on `message_id`). Monotonic: an id not above the
    /// actor's position changes and sends nothing. Answers whether the position moved.
    ///
    /// When it moved, `message.read` goes to staff (`private-support.admin`) with the full
    /// position, and to the ticket's channel with the id clamped to the last public message
    /// up to the position, only if that clamped id moved too: staff reading internal notes
    /// send nothing the employee hears. The sender's socket is left out of both.
    pub async fn mark_read(
        &self,
        actor: &Actor,
        ticket_id: TicketId,
        message_id: MessageId,
        ctx: &WriteContext,
    ) -> Result<bool> {
        let owner = self.visible_owner(actor, ticket_id).await?;
        let include_internal = Policy::can_see_internal(actor);
        if self
            .visible_message(actor, ticket_id, message_id)
            .await?
            .is_none()
        {
            return Err(Error::invalid(
                "message_id",
                "The selected message id is invalid.",
            ));
        }
        let position = ReadPosition {
            ticket_id,
            user_id: actor.id,
            message_id,
            read_at: time::now(),
        };
        let Some(advance) = self.inner.store.mark_read(&position).await? else {
            return Ok(false);
        };
        let read = MessageRead {
            ticket_id,
            reader_id: actor.id,
            reader_type: Policy::author_type(actor, owner),
            message_id,
        };
        let except = ctx.socket_id.clone();
        // What the employee may know of the old and new positions: the last public message
        // up to each (for an employee reader, the positions themselves are public ids).
        let (public_before, public_now) = if include_internal {
            let before = match advance.before {
                Some(b) => self.last_public_up_to(ticket_id, b).await?,
                None => None,
            };
            (before, self.last_public_up_to(ticket_id, message_id).await?)
        } else {
            (advance.before, Some(message_id))
        };
        if let Some(public) = public_now.filter(|p| Some(*p) > public_before) {
            let clamped = MessageRead {
                message_id: public,
                ..read
            };
            self.publish(
                Event::Ticket(ticket_id, TicketEvent::MessageRead(clamped)),
                except.clone(),
            )
            .await;
        }
        self.publish(Event::Staff(StaffEvent::MessageRead(read)), except)
            .await;
        Ok(true)
    }

    /// What a list shows `actor` about each of `tickets` (unread count, last message, waiting
    /// since), in the same order, read in one store query. Every ticket must be one the actor
    /// may see (else `NotFound`); internal notes count only for staff.
    pub async fn ticket_summaries(
        &self,
        actor: &Actor,
        tickets: &[Ticket],
    ) -> Result<Vec<TicketSummary>> {
        for t in tickets {
            Policy::check_view(actor, t.employee_id)?;
        }
        let ids: Vec<TicketId> = tickets.iter().map(|t| t.id).collect();
        let mut found = self
            .inner
            .store
            .ticket_summaries(&ids, actor.id, Policy::can_see_internal(actor))
            .await?;
        Ok(tickets
            .iter()
            .map(|t| match found.iter().position(|s| s.ticket_id == t.id) {
                Some(i) => found.swap_remove(i),
                // Listed a moment ago and gone now: nothing to count.
                None => TicketSummary::compute(t, &[], actor.id, None, false),
            })
            .collect())
    }

    /// The "Seen" marks of `ticket` for `actor` ([`ReadReceipts`]): the employee's position,
    /// and the furthest staff position, clamped to public messages for an employee caller.
    pub async fn read_receipts(&self, actor: &Actor, ticket: &Ticket) -> Result<ReadReceipts> {
        Policy::check_view(actor, ticket.employee_id)?;
        let positions = self.inner.store.read_positions(ticket.id).await?;
        let receipt = |p: &ReadPosition| Receipt {
            message_id: p.message_id,
            read_at: p.read_at,
        };
        let employee = positions
            .iter()
            .find(|p| p.user_id == ticket.employee_id)
            .map(receipt);
        let furthest = positions
            .iter()
            .filter(|p| p.user_id != ticket.employee_id)
            .max_by_key(|p| p.message_id);
        let staff = match furthest {
            None => None,
            Some(p) if Policy::can_see_internal(actor) => Some(receipt(p)),
            Some(p) => self
                .last_public_up_to(ticket.id, p.message_id)
                .await?
                .map(|message_id| Receipt {
                    message_id,
                    read_at: p.read_at,
                }),
        };
        Ok(ReadReceipts { employee, staff })
    }

    /// The id of the last public message of the ticket with an id up to `id`.
    async fn last_public_up_to(
        &self,
        ticket_id: TicketId,
        id: MessageId,
    ) -> Result<Option<MessageId>> {
        let found = self
            .inner
            .store
            .messages(&MessageQuery {
                ticket_id,
                position: MessagePosition::Before(MessageId(id.get().saturating_add(1))),
                limit: 1,
                include_internal: false,
            })
            .await?;
        Ok(found.last().and_then(|m| m.clone().public()).map(|m| m.id))
    }
}
