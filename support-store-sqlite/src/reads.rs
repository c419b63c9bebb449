//! Read state: read positions and the ticket summaries computed from them.

use sqlx::sqlite::SqliteRow;
use support_core::reads::{self, LastMessage, ReadAdvance, ReadPosition, TicketSummary};
use support_core::time::to_micros;
use support_core::{AuthorType, MessageId, Result, TicketId, UserId};

use crate::error::{bad_data, from_sqlx};
use crate::row::{choice, get, optional_timestamp, timestamp};
use crate::store::SqliteStore;

/// Per asked ticket (`?3`, a JSON array of ids), for reader `?1` (`?2`: whether internal notes
/// count): the reader's position, the last visible message and the last public staff reply,
/// then what depends on them. Every subquery is a range of `messages_by_ticket` or
/// `messages_public_by_side`: one statement for the whole page, no query per ticket.
const SUMMARIES: &str = "
WITH base AS (
    SELECT t.id, t.created_at,
        COALESCE((SELECT r.message_id FROM read_positions r
                  WHERE r.ticket_id = t.id AND r.user_id = ?1), 0) AS read_to,
        (SELECT MAX(x.id) FROM messages x
         WHERE x.ticket_id = t.id AND (?2 OR x.is_internal = 0)) AS last_id,
        (SELECT MAX(s.id) FROM messages s
         WHERE s.ticket_id = t.id AND s.is_internal = 0 AND s.author_type = 'support') AS last_staff
    FROM tickets t
    WHERE t.id IN (SELECT value FROM json_each(?3))
)
SELECT b.id, b.created_at, b.last_staff,
    (SELECT COUNT(*) FROM messages m
     WHERE m.ticket_id = b.id AND m.id > b.read_to AND (?2 OR m.is_internal = 0)
       AND m.author_id <> ?1) AS unread,
    (SELECT e.created_at FROM messages e
     WHERE e.ticket_id = b.id AND e.is_internal = 0 AND e.author_type = 'employee'
       AND e.id > COALESCE(b.last_staff, 0)
     ORDER BY e.id LIMIT 1) AS first_after,
    l.id AS last_message_id, l.author_type AS last_author_type,
    substr(l.content, 1, 200) AS last_content, l.created_at AS last_created_at
FROM base b LEFT JOIN messages l ON l.id = b.last_id";

fn summary(row: &SqliteRow) -> Result<TicketSummary> {
    let last_message = match get::<Option<i64>>(row, "last_message_id")? {
        None => None,
        Some(id) => Some(LastMessage {
            id: MessageId(id),
            author_type: choice::<AuthorType>(row, "last_author_type")?,
            // SQLite's substr counts characters already; `preview` keeps the contract exact
            // whatever the build's limit.
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

fn position(row: &SqliteRow) -> Result<ReadPosition> {
    Ok(ReadPosition {
        ticket_id: TicketId(get(row, "ticket_id")?),
        user_id: UserId(get(row, "user_id")?),
        message_id: MessageId(get(row, "message_id")?),
        read_at: timestamp(row, "read_at")?,
    })
}

impl SqliteStore {
    pub(crate) async fn advance_read(&self, p: &ReadPosition) -> Result<Option<ReadAdvance>> {
        let mut tx = self.begin_write().await?;
        let before: Option<i64> = sqlx::query_scalar(
            "SELECT message_id FROM read_positions WHERE ticket_id = ? AND user_id = ?",
        )
        .bind(p.ticket_id.get())
        .bind(p.user_id.get())
        .fetch_optional(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        if before.is_some_and(|b| b >= p.message_id.get()) {
            return Ok(None);
        }
        // The foreign key refuses a missing ticket: `NotFound`.
        sqlx::query(
            "INSERT INTO read_positions (ticket_id, user_id, message_id, read_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (ticket_id, user_id) DO UPDATE SET message_id = excluded.message_id, \
             read_at = excluded.read_at",
        )
        .bind(p.ticket_id.get())
        .bind(p.user_id.get())
        .bind(p.message_id.get())
        .bind(to_micros(p.read_at))
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok(Some(ReadAdvance {
            before: before.map(MessageId),
            position: p.clone(),
        }))
    }

    /// The plan SQLite picks for [`SupportStore::ticket_summaries`](support_core::SupportStore::ticket_summaries),
    /// one line per step of `EXPLAIN QUERY PLAN`: for checking that every message it reads
    /// comes from an index range of its ticket, never a scan of the table.
    pub async fn explain_ticket_summaries(
        &self,
        tickets: &[TicketId],
        reader: UserId,
        include_internal: bool,
    ) -> Result<Vec<String>> {
        let ids: Vec<i64> = tickets.iter().map(|t| t.get()).collect();
        let ids = serde_json::to_string(&ids).map_err(support_core::Error::backend)?;
        let plan = sqlx::query(&format!("EXPLAIN QUERY PLAN {SUMMARIES}"))
            .bind(reader.get())
            .bind(include_internal)
            .bind(ids)
            .fetch_all(self.reader())
            .await
            .map_err(from_sqlx)?;
        plan.iter()
            .map(|row| sqlx::Row::try_get::<String, _>(row, "detail").map_err(from_sqlx))
            .collect()
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
        let ids = serde_json::to_string(&ids).map_err(support_core::Error::backend)?;
        let found = sqlx::query(SUMMARIES)
            .bind(reader.get())
            .bind(include_internal)
            .bind(ids)
            .fetch_all(self.reader())
            .await
            .map_err(from_sqlx)?;
        found.iter().map(summary).collect()
    }

    pub(crate) async fn positions(&self, ticket: TicketId) -> Result<Vec<ReadPosition>> {
        let found = sqlx::query(
            "SELECT ticket_id, user_id, message_id, read_at FROM read_positions \
             WHERE ticket_id = ? ORDER BY user_id",
        )
        .bind(ticket.get())
        .fetch_all(self.reader())
        .await
        .map_err(from_sqlx)?;
        found.iter().map(position).collect()
    }
}
