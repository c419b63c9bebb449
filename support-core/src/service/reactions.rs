//! Reactions in the service: who may react to which message, and where the new count goes.

use crate::actor::Actor;
use crate::draft::Author;
use crate::error::{Error, Result};
use crate::event::{Event, StaffEvent, TicketEvent};
use crate::id::{MessageId, TicketId};
use crate::message::Message;
use crate::policy::Policy;
use crate::reaction::{
    self, Emoji, MessageReactions, Reaction, ReactionChange, ReactionCount, ReactionOutcome,
};
use crate::time;

use super::{SupportService, WriteContext};

impl SupportService {
    /// Adds (`add`) or removes `actor`'s `emoji` on message `message_id` of ticket
    /// `ticket_id`, and answers the emoji as the actor now sees it on the message.
    ///
    /// Whoever may see the message may react to it: another employee's ticket, an unknown
    /// message, and for an employee an internal note, are all `NotFound`. More than
    /// [`reaction::MAX_PER_USER`] emoji from one user on one message is a validation error on
    /// `emoji`. Adding twice or removing what is not there changes and sends nothing.
    ///
    /// When the count moved, `message.reaction` ([`ReactionCount`]) goes where the message
    /// travels, without the sender's socket: a public message's to the ticket's channel, an
    /// internal note's to the staff channel only.
    pub async fn react(
        &self,
        actor: &Actor,
        ticket_id: TicketId,
        message_id: MessageId,
        emoji: Emoji,
        add: bool,
        ctx: &WriteContext,
    ) -> Result<Reaction> {
        self.visible_owner(actor, ticket_id).await?;
        let message = self
            .visible_message(actor, ticket_id, message_id)
            .await?
            .ok_or(Error::NotFound)?;
        let change = ReactionChange {
            ticket_id,
            message_id,
            by: Author::of(actor),
            emoji: emoji.clone(),
            add,
            at: time::now(),
        };
        let count = match self.inner.store.react(&change).await? {
            None => return Err(Error::NotFound),
            Some(ReactionOutcome::TooMany) => {
                return Err(Error::invalid(
                    "emoji",
                    format!(
                        "A message can carry at most {} reactions from one person.",
                        reaction::MAX_PER_USER
                    ),
                ));
            }
            Some(ReactionOutcome::Unchanged(count)) => count,
            Some(ReactionOutcome::Changed(count)) => {
                let moved = ReactionCount {
                    ticket_id,
                    message_id,
                    emoji: emoji.clone(),
                    count,
                    user_id: actor.id,
                    added: add,
                };
                let event = match message.public() {
                    Some(_) => Event::Ticket(ticket_id, TicketEvent::MessageReaction(moved)),
                    None => Event::Staff(StaffEvent::MessageReaction(moved)),
                };
                self.publish(event, ctx.socket_id.clone()).await;
                count
            }
        };
        Ok(Reaction {
            emoji,
            count,
            mine: add,
        })
    }

    /// The reactions on `messages` of ticket `ticket_id` as `actor` sees them, in one store
    /// query; messages without any are left out. The ticket must be one the actor may see
    /// (else `NotFound`); an internal note among `messages` is ignored for an employee.
    pub async fn reactions(
        &self,
        actor: &Actor,
        ticket_id: TicketId,
        messages: &[Message],
    ) -> Result<Vec<MessageReactions>> {
        self.visible_owner(actor, ticket_id).await?;
        let internal = Policy::can_see_internal(actor);
        let ids: Vec<MessageId> = messages
            .iter()
            .filter(|m| m.ticket_id == ticket_id && (internal || !m.is_internal))
            .map(|m| m.id)
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.inner.store.reactions(ticket_id, &ids, actor.id).await
    }
}
