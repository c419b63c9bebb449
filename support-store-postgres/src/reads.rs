//! Read state: read positions and the ticket summaries computed from them.

use sqlx::postgres::PgRow;
use support_core::reads::{self, LastMessage, ReadAdvance, ReadPosition, TicketSummary};
use support_core::{AuthorType, MessageId, Result, TicketId, UserId};

use crate::error::{bad_data, from_sqlx};
use crate::row::{choice, get, optional_timestamp, timestamp};
use crate::store::PgStore;

/// Per asked ticket (`$3`), for reader `$1` (`$2`: whether internal notes count): the reader's
/// position, the last visible message and the last public staff reply, then what depends on
/// them. Every subquery is a range of `messages_by_ticket` or `messages_public_by_side`: one
/// statement for the whole page, no query per ticket.
const SUMMARIES: &str = "
WITH base AS (
    SELECT t.id, t.created_at,
        COALESCE((SELECT r.message_id FROM read_positions r
                  WHERE r.ticket_id = t.id AND r.user_id = $1), 0) AS read_to,
        (SELECT MAX(x.id) FROM messages x
         WHERE x.ticket_id = t.id AND ($2 OR NOT x.is_internal)) AS last_id,
        (SELECT MAX(s.id) FROM messages s
         WHERE s.ticket_id = t.id AND NOT s.is_internal AND s.author_type = 'support') AS last_staff
    FROM tickets t
    WHERE t.id = ANY($3)
)
SELECT b.id, b.created_at, b.last_staff,
    (SELECT COUNT(*) FROM messages m
     WHERE m.ticket_id = b.id AND m.id > b.read_to AND ($2 OR NOT m.is_internal)
       AND m.author_id <> $1) AS unread,
    (SELECT e.created_at FROM messages e
     WHERE e.ticket_id = b.id AND NOT e.is_internal AND e.author_type = 'employee'
       AND e.id > COALESCE(b.last_staff, 0)
     ORDER BY e.id LIMIT 1) AS first_after,
    l.id AS last_message_id, l.author_type AS last_author_type,
    left(l.content, 200) AS last_content, l.created_at AS last_created_at
FROM base b LEFT JOIN messages l ON l.id = b.last_id";

fn summary(row: &PgRow) -> Result<TicketSummary> {
    let last_message = match get::<Option<i64>>(row, "last_message_id")? {
        None => None,
        Some(id) => Some(LastMessage {
            id: MessageId(id),
            author_type: choice::<AuthorType>(row, "last_author_type")?,
            // `left` counts characters already; `preview` keeps the contract exact whatever
            // the build's limit.
            content: reads::preview(&get::<String>(row, "last_content")?),
            created_at: timestamp(row, "last_created_at")?,
        }),
    };
    let unread: i64 = get(row, "unread")?;
    Ok(TicketSummary {
        ticket_id: TicketId(get(row, "id")?),
        unread_count: u64::try_from(unread).map_err(|_| bad_data("unread", unread))?,
        last_message,
        waiting_since: reads::waiting_since(
            timestamp(row, "created_at")?,
            get::<Option<i64>>(row, "last_staff")?.map(MessageId),
            optional_timestamp(row, "first_after")?,
        ),
    })
}

fn position(row: &PgRow) -> Result<ReadPosition> {
    Ok(ReadPosition {
        ticket_id: TicketId(get(row, "ticket_id")?),
        user_id: UserId(get(row, "user_id")?),
        message_id: MessageId(get(row, "message_id")?),
        read_at: timestamp(row, "read_at")?,
    })
}

impl PgStore {
    /// One transaction: the row is made if missing (position 0, which no message has), then
    /// locked, so concurrent readers of one (ticket, user) queue and each sees the position
    /// the one before it left.
    pub(crate) async fn advance_read(&self, p: &ReadPosition) -> Result<Option<ReadAdvance>> {
        let mut tx = self.pool().begin().await.map_err(from_sqlx)?;
        // The foreign key refuses a missing ticket: `NotFound`.
        sqlx::query(
            "INSERT INTO read_positions (ticket_id, user_id, message_id, read_at) \
             VALUES ($1, $2, 0, $3) ON CONFLICT (ticket_id, user_id) DO NOTHING",
        )
        .bind(p.ticket_id.get())
        .bind(p.user_id.get())
        .bind(p.read_at)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        let before: i64 = sqlx::query_scalar(
            "SELECT message_id FROM read_positions WHERE ticket_id = $1 AND user_id = $2 FOR UPDATE",
        )
        .bind(p.ticket_id.get())
        .bind(p.user_id.get())
        .fetch_one(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        if before >= p.message_id.get() {
            // Rolls back (dropped): nothing was written.
            return Ok(None);
        }
        sqlx::query(
            "UPDATE read_positions SET message_id = $3, read_at = $4 \
             WHERE ticket_id = $1 AND user_id = $2",
        )
        .bind(p.ticket_id.get())
        .bind(p.user_id.get())
        .bind(p.message_id.get())
        .bind(p.read_at)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok(Some(ReadAdvance {
            before: (before > 0).then_some(MessageId(before)),
            position: p.clone(),
        }))
    }

    pub(crate) async fn summaries(
        &self,
        tickets: &[TicketId],
        reader: UserId,
        include_internal: bool,
    ) -> Result<Vec<TicketSummary>> {
        if tickets.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = tickets.iter().map(|t| t.get()).collect();
        let found = sqlx::query(SUMMARIES)
            .bind(reader.get())
            .bind(include_internal)
            .bind(ids)
            .fetch_all(self.pool())
            .await
            .map_err(from_sqlx)?;
        found.iter().map(summary).collect()
    }

    pub(crate) async fn positions(&self, ticket: TicketId) -> Result<Vec<ReadPosition>> {
        let found = sqlx::query(
            "SELECT ticket_id, user_id, message_id, read_at FROM read_positions \
             WHERE ticket_id = $1 AND message_id > 0 ORDER BY user_id",
        )
        .bind(ticket.get())
        .fetch_all(self.pool())
        .await
        .map_err(from_sqlx)?;
        found.iter().map(position).collect()
    }
}
