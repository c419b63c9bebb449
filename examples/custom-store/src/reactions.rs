//! Reactions for [`KvStore`](crate::KvStore): one row per reaction under its ticket and
//! message, keyed by a sequence number so each message's rows read back in the order they
//! were made.

use redb::{ReadableTable, TableDefinition};
use support_core::reaction::{self, Emoji, MessageReactions, ReactionChange, ReactionOutcome};
use support_core::{MessageId, Result, TicketId, UserId};

use crate::{MESSAGES, backend, get_message, next_id};

/// (ticket id, message id, sequence) → (user id, emoji).
pub(crate) const REACTIONS: TableDefinition<'static, (i64, i64, i64), (i64, &'static str)> =
    TableDefinition::new("reactions");

/// The rows of one message: (sequence, user, emoji).
fn rows_of(
    table: &impl ReadableTable<(i64, i64, i64), (i64, &'static str)>,
    ticket: i64,
    message: i64,
) -> Result<Vec<(i64, i64, String)>> {
    table
        .range((ticket, message, i64::MIN)..=(ticket, message, i64::MAX))
        .map_err(backend)?
        .map(|row| {
            let (k, v) = row.map_err(backend)?;
            let (user, emoji) = v.value();
            Ok((k.value().2, user, emoji.to_owned()))
        })
        .collect()
}

pub(crate) fn react(db: &redb::Database, c: &ReactionChange) -> Result<Option<ReactionOutcome>> {
    let tx = db.begin_write().map_err(backend)?;
    let (t, m) = (c.ticket_id.get(), c.message_id.get());
    if get_message(&tx.open_table(MESSAGES).map_err(backend)?, t, m)?.is_none() {
        return Ok(None);
    }
    let outcome = {
        let mut table = tx.open_table(REACTIONS).map_err(backend)?;
        let rows = rows_of(&table, t, m)?;
        let emoji = c.emoji.as_str();
        let on_emoji = rows.iter().filter(|r| r.2 == emoji).count() as u32;
        let mine = rows
            .iter()
            .find(|r| r.1 == c.by.id.get() && r.2 == emoji)
            .map(|r| r.0);
        match (c.add, mine) {
            (true, Some(_)) | (false, None) => ReactionOutcome::Unchanged(on_emoji),
            (true, None) => {
                let used = rows.iter().filter(|r| r.1 == c.by.id.get()).count() as u32;
                if used >= reaction::MAX_PER_USER {
                    ReactionOutcome::TooMany
                } else {
                    drop(table);
                    let seq = next_id(&tx, "reaction")?;
                    tx.open_table(REACTIONS)
                        .map_err(backend)?
                        .insert((t, m, seq), (c.by.id.get(), emoji))
                        .map_err(backend)?;
                    ReactionOutcome::Changed(on_emoji + 1)
                }
            }
            (false, Some(seq)) => {
                table.remove((t, m, seq)).map_err(backend)?;
                ReactionOutcome::Changed(on_emoji - 1)
            }
        }
    };
    if matches!(outcome, ReactionOutcome::Changed(_)) {
        crate::log(&tx, c.audit_record())?;
        tx.commit().map_err(backend)?;
    }
    Ok(Some(outcome))
}

pub(crate) fn reactions(
    db: &redb::Database,
    ticket_id: TicketId,
    messages: &[MessageId],
    viewer: UserId,
) -> Result<Vec<MessageReactions>> {
    let tx = db.begin_read().map_err(backend)?;
    let table = tx.open_table(REACTIONS).map_err(backend)?;
    let mut sorted: Vec<MessageId> = messages.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = Vec::new();
    for m in sorted {
        for (_, user, emoji) in rows_of(&table, ticket_id.get(), m.get())? {
            let emoji =
                Emoji::parse(&emoji).map_err(|_| backend(format!("stored emoji {emoji:?}")))?;
            out.push((m, emoji, UserId(user)));
        }
    }
    Ok(reaction::summarize(out, viewer))
}
