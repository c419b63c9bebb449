//! The memory store's reactions: one list in the order they were made.

use crate::id::{MessageId, TicketId, UserId};
use crate::reaction::{self, Emoji, MessageReactions, ReactionChange, ReactionOutcome};

use super::State;

/// One reaction as the memory store keeps it.
#[derive(Debug, Clone)]
pub(super) struct Row {
    ticket_id: TicketId,
    message_id: MessageId,
    emoji: Emoji,
    user_id: UserId,
}

impl State {
    pub(super) fn react(&mut self, c: &ReactionChange) -> Option<ReactionOutcome> {
        self.message(c.ticket_id, c.message_id)?;
        let on = |r: &Row| r.message_id == c.message_id && r.emoji == c.emoji;
        let mine = |r: &Row| on(r) && r.user_id == c.by.id;
        let count = |rows: &[Row]| rows.iter().filter(|r| on(r)).count() as u32;
        let exists = self.reactions.iter().any(mine);
        if c.add == exists {
            return Some(ReactionOutcome::Unchanged(count(&self.reactions)));
        }
        if c.add {
            let used = self
                .reactions
                .iter()
                .filter(|r| r.message_id == c.message_id && r.user_id == c.by.id)
                .count() as u32;
            if used >= reaction::MAX_PER_USER {
                return Some(ReactionOutcome::TooMany);
            }
            self.reactions.push(Row {
                ticket_id: c.ticket_id,
                message_id: c.message_id,
                emoji: c.emoji.clone(),
                user_id: c.by.id,
            });
        } else {
            self.reactions.retain(|r| !mine(r));
        }
        self.log(c.audit_record());
        Some(ReactionOutcome::Changed(count(&self.reactions)))
    }

    pub(super) fn reactions_of(
        &self,
        ticket_id: TicketId,
        messages: &[MessageId],
        viewer: UserId,
    ) -> Vec<MessageReactions> {
        let rows = self
            .reactions
            .iter()
            .filter(|r| r.ticket_id == ticket_id && messages.contains(&r.message_id))
            .map(|r| (r.message_id, r.emoji.clone(), r.user_id));
        reaction::summarize(rows, viewer)
    }
}
