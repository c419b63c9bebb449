//! Reactions: each change in a transaction that first locks its message's row, so concurrent
//! changes on one message take turns and each answers the count after it.

use sqlx::Row;
use support_core::reaction::{self, Emoji, MessageReactions, ReactionChange, ReactionOutcome};
use support_core::{MessageId, Result, TicketId, UserId};

use crate::error::{bad_data, from_sqlx};
use crate::store::PgStore;

impl PgStore {
    pub(crate) async fn apply_reaction(
        &self,
        c: &ReactionChange,
    ) -> Result<Option<ReactionOutcome>> {
        let mut tx = self.pool().begin().await.map_err(from_sqlx)?;
        // NO KEY UPDATE: the reactions' own foreign keys (KEY SHARE) do not wait on it, and
        // nothing else locks a message row.
        let message: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM messages WHERE id = $1 AND ticket_id = $2 FOR NO KEY UPDATE",
        )
        .bind(c.message_id.get())
        .bind(c.ticket_id.get())
        .fetch_optional(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        if message.is_none() {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT COUNT(*) FILTER (WHERE emoji = $3) AS on_emoji, \
                    COUNT(*) FILTER (WHERE user_id = $2) AS by_user, \
                    COUNT(*) FILTER (WHERE emoji = $3 AND user_id = $2) AS mine \
             FROM reactions WHERE message_id = $1",
        )
        .bind(c.message_id.get())
        .bind(c.by.id.get())
        .bind(c.emoji.as_str())
        .fetch_one(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        let get = |name: &str| row.try_get::<i64, _>(name).map_err(from_sqlx);
        let on_emoji = get("on_emoji")?;
        let on_emoji = u32::try_from(on_emoji).map_err(|_| bad_data("count", on_emoji))?;
        let (by_user, mine) = (get("by_user")?, get("mine")? > 0);
        if c.add == mine {
            return Ok(Some(ReactionOutcome::Unchanged(on_emoji)));
        }
        let now = if c.add {
            if by_user >= i64::from(reaction::MAX_PER_USER) {
                return Ok(Some(ReactionOutcome::TooMany));
            }
            sqlx::query(
                "INSERT INTO reactions (ticket_id, message_id, user_id, emoji, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(c.ticket_id.get())
            .bind(c.message_id.get())
            .bind(c.by.id.get())
            .bind(c.emoji.as_str())
            .bind(c.at)
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
            on_emoji + 1
        } else {
            sqlx::query(
                "DELETE FROM reactions WHERE message_id = $1 AND user_id = $2 AND emoji = $3",
            )
            .bind(c.message_id.get())
            .bind(c.by.id.get())
            .bind(c.emoji.as_str())
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
            on_emoji - 1
        };
        crate::audit::insert_record(&mut *tx, &c.audit_record()).await?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok(Some(ReactionOutcome::Changed(now)))
    }

    pub(crate) async fn message_reactions(
        &self,
        ticket_id: TicketId,
        messages: &[MessageId],
        viewer: UserId,
    ) -> Result<Vec<MessageReactions>> {
        if messages.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = messages.iter().map(|m| m.get()).collect();
        let rows = sqlx::query(
            "SELECT message_id, emoji, user_id FROM reactions \
             WHERE ticket_id = $1 AND message_id = ANY($2) ORDER BY message_id, id",
        )
        .bind(ticket_id.get())
        .bind(ids)
        .fetch_all(self.pool())
        .await
        .map_err(from_sqlx)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let emoji: String = row.try_get("emoji").map_err(from_sqlx)?;
            out.push((
                MessageId(row.try_get("message_id").map_err(from_sqlx)?),
                Emoji::parse(&emoji).map_err(|_| bad_data("emoji", emoji))?,
                UserId(row.try_get("user_id").map_err(from_sqlx)?),
            ));
        }
        Ok(reaction::summarize(out, viewer))
    }
}
