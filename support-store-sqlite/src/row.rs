//! Rows back into domain values. Everything read is checked: a value the domain types cannot
//! hold becomes [`Error::Backend`](support_core::Error::Backend), never a panic.

use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use support_core::time::{self, Timestamp};
use support_core::{
    AuditEntry, AuthorType, Category, Change, Choice, Message, MessageId, Priority, Result, Status,
    StoredSession, Ticket, TicketId, TicketNumber, TokenDigest, UserId,
};

use crate::error::{bad_data, from_sqlx};

/// The ticket columns in the order [`ticket`] reads them, for hand-written queries.
pub(crate) const TICKET_COLUMNS: &str = "id, ticket_number, employee_id, subject, description, category, priority, \
     status, assigned_to, resolved_at, created_at, updated_at";

/// The message columns [`message`] reads.
pub(crate) const MESSAGE_COLUMNS: &str = "id, ticket_id, author_id, author_name, author_type, content, is_internal, attachments, created_at";

/// The session columns [`session`] reads.
pub(crate) const SESSION_COLUMNS: &str = "digest, user_id, created_at, last_seen_at, expires_at";

/// The audit columns [`audit_entry`] reads.
pub(crate) const AUDIT_COLUMNS: &str = "id, ticket_id, actor_id, actor_name, change, at";

fn get<'r, T>(row: &'r SqliteRow, column: &str) -> Result<T>
where
    T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
{
    row.try_get(column).map_err(from_sqlx)
}

fn timestamp(row: &SqliteRow, column: &str) -> Result<Timestamp> {
    let micros: i64 = get(row, column)?;
    time::from_micros(micros).ok_or_else(|| bad_data(column, micros))
}

fn choice<T: Choice>(row: &SqliteRow, column: &str) -> Result<T> {
    let name: String = get(row, column)?;
    T::from_name(&name).ok_or_else(|| bad_data(column, format!("{name:?}")))
}

/// A `tickets` row.
pub(crate) fn ticket(row: &SqliteRow) -> Result<Ticket> {
    let rank: i64 = get(row, "priority")?;
    let number: Option<String> = get(row, "ticket_number")?;
    Ok(Ticket {
        id: TicketId(get(row, "id")?),
        ticket_number: TicketNumber::from_stored(
            number.ok_or_else(|| bad_data("ticket_number", "NULL"))?,
        ),
        employee_id: UserId(get(row, "employee_id")?),
        subject: get(row, "subject")?,
        description: get(row, "description")?,
        category: choice::<Category>(row, "category")?,
        priority: Priority::from_rank(rank).ok_or_else(|| bad_data("priority", rank))?,
        status: choice::<Status>(row, "status")?,
        assigned_to: get::<Option<i64>>(row, "assigned_to")?.map(UserId),
        resolved_at: match get::<Option<i64>>(row, "resolved_at")? {
            Some(micros) => {
                Some(time::from_micros(micros).ok_or_else(|| bad_data("resolved_at", micros))?)
            }
            None => None,
        },
        created_at: timestamp(row, "created_at")?,
        updated_at: timestamp(row, "updated_at")?,
    })
}

/// A `messages` row.
pub(crate) fn message(row: &SqliteRow) -> Result<Message> {
    let attachments: String = get(row, "attachments")?;
    Ok(Message {
        id: MessageId(get(row, "id")?),
        ticket_id: TicketId(get(row, "ticket_id")?),
        author_id: UserId(get(row, "author_id")?),
        author_name: get(row, "author_name")?,
        author_type: choice::<AuthorType>(row, "author_type")?,
        content: get(row, "content")?,
        is_internal: get(row, "is_internal")?,
        attachments: serde_json::from_str(&attachments).map_err(|e| bad_data("attachments", e))?,
        created_at: timestamp(row, "created_at")?,
    })
}

/// An `audit_entries` row.
pub(crate) fn audit_entry(row: &SqliteRow) -> Result<AuditEntry> {
    let change: String = get(row, "change")?;
    Ok(AuditEntry {
        id: get(row, "id")?,
        ticket_id: TicketId(get(row, "ticket_id")?),
        actor_id: UserId(get(row, "actor_id")?),
        actor_name: get(row, "actor_name")?,
        change: serde_json::from_str::<Change>(&change).map_err(|e| bad_data("change", e))?,
        at: timestamp(row, "at")?,
    })
}

/// A `sessions` row.
pub(crate) fn session(row: &SqliteRow) -> Result<StoredSession> {
    let digest: Vec<u8> = get(row, "digest")?;
    Ok(StoredSession {
        digest: TokenDigest::from_slice(&digest)
            .ok_or_else(|| bad_data("session digest", format!("{} bytes", digest.len())))?,
        user: UserId(get(row, "user_id")?),
        created_at: timestamp(row, "created_at")?,
        last_seen_at: timestamp(row, "last_seen_at")?,
        expires_at: timestamp(row, "expires_at")?,
    })
}
