//! Reactions: added and removed on the single writer, read for a page of messages at once.

use sqlx::Row;
use support_core::reaction::{self, Emoji, MessageReactions, ReactionChange, ReactionOutcome};
use support_core::time::to_micros;
use support_core::{MessageId, Result, TicketId, UserId};

use crate::error::{bad_data, from_sqlx};
use crate::store::SqliteStore;

/// A count read back from SQLite, as the contract's `u32`.
fn count(n: i64) -> Result<u32> {
    u32::try_from(n).map_err(|_| bad_data("count", n))
}

impl SqliteStore {
    pub(crate) async fn apply_reaction(
        &self,
        c: &ReactionChange,
    ) -> Result<Option<ReactionOutcome>> {
        let mut tx = self.begin_write().await?;
        let message: Option<i64> =
            sqlx::query_scalar("SELECT id FROM messages WHERE id = ? AND ticket_id = ?")
                .bind(c.message_id.get())
                .bind(c.ticket_id.get())
                .fetch_optional(&mut *tx)
                .await
                .map_err(from_sqlx)?;
        if message.is_none() {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT COUNT(*) FILTER (WHERE emoji = ?3) AS on_emoji, \
                    COUNT(*) FILTER (WHERE user_id = ?2) AS by_user, \
                    COUNT(*) FILTER (WHERE emoji = ?3 AND user_id = ?2) AS mine \
             FROM reactions WHERE message_id = ?1",
        )
        .bind(c.message_id.get())
        .bind(c.by.id.get())
        .bind(c.emoji.as_str())
        .fetch_one(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        let get = |name: &str| row.try_get::<i64, _>(name).map_err(from_sqlx);
        let (on_emoji, by_user, mine) =
            (count(get("on_emoji")?)?, get("by_user")?, get("mine")? > 0);
        if c.add == mine {
            return Ok(Some(ReactionOutcome::Unchanged(on_emoji)));
        }
        let now = if c.add {
            if by_user >= i64::from(reaction::MAX_PER_USER) {
                return Ok(Some(ReactionOutcome::TooMany));
            }
            sqlx::query(
                "INSERT INTO reactions (ticket_id, message_id, user_id, emoji, created_at) \
                 VALUES (?, ?, ?, ?, ?)",
            )
            .bind(c.ticket_id.get())
            .bind(c.message_id.get())
            .bind(c.by.id.get())
            .bind(c.emoji.as_str())
            .bind(to_micros(c.at))
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
            on_emoji + 1
        } else {
            sqlx::query("DELETE FROM reactions WHERE message_id = ? AND user_id = ? AND emoji = ?")
                .bind(c.message_id.get())
                .bind(c.by.id.get())
                .bind(c.emoji.as_str())
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
            on_emoji - 1
        };
        crate::audit::insert_record(&mut tx, &c.audit_record()).await?;
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
        let ids = serde_json::to_string(&ids).map_err(support_core::Error::backend)?;
        let rows = sqlx::query(
            "SELECT message_id, emoji, user_id FROM reactions \
             WHERE ticket_id = ? AND message_id IN (SELECT value FROM json_each(?)) \
             ORDER BY message_id, id",
        )
        .bind(ticket_id.get())
        .bind(ids)
        .fetch_all(self.reader())
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
