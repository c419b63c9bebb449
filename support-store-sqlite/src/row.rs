//! Rows back into domain values. Everything read is checked: a value the domain types cannot
//! hold becomes [`Error::Backend`](support_core::Error::Backend), never a panic.

use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use support_core::account::{Email, PasswordHash, StoredApiToken, StoredUser};
use support_core::time::{self, Timestamp};
use support_core::{
    ApiTokenId, AuditEntry, AuthorType, Category, Change, Choice, Message, MessageId, Priority,
    Result, Role, Sla, Status, StoredSession, Ticket, TicketId, TicketNumber, TokenDigest, UserId,
};

use crate::error::{bad_data, from_sqlx};

/// The ticket columns in the order [`ticket`] reads them, for hand-written queries.
pub(crate) const TICKET_COLUMNS: &str = "id, ticket_number, employee_id, subject, description, category, priority, \
     status, assigned_to, resolved_at, created_at, updated_at, version, first_response_at, \
     first_response_due, resolution_due, first_response_breached, resolution_breached, \
     sla_paused_at, sla_paused_us, archived_at";

/// The message columns [`message`] reads.
pub(crate) const MESSAGE_COLUMNS: &str = "id, ticket_id, author_id, author_name, author_type, content, is_internal, attachments, created_at";

/// The session columns [`session`] reads.
pub(crate) const SESSION_COLUMNS: &str = "digest, user_id, created_at, last_seen_at, expires_at";

/// The user columns [`user`] reads.
pub(crate) const USER_COLUMNS: &str =
    "id, name, email, role, disabled, password_hash, external_id, created_at, last_seen_at";

/// The API token columns [`api_token`] reads.
pub(crate) const API_TOKEN_COLUMNS: &str = "id, user_id, name, created_at, last_used_at";

/// A token and its user in one row, for [`token_and_user`]: the user's columns as [`user`]
/// reads them, the token's under names of their own (`t` and `u` are the tables' aliases).
pub(crate) const TOKEN_AND_USER_COLUMNS: &str = "u.id, u.name, u.email, u.role, u.disabled, \
     u.password_hash, u.external_id, u.created_at, u.last_seen_at, t.id AS token_id, \
     t.user_id AS token_user_id, t.name AS token_name, t.created_at AS token_created_at, t.last_used_at AS token_last_used_at";

/// The audit columns [`audit_entry`] reads.
pub(crate) const AUDIT_COLUMNS: &str = "id, ticket_id, actor_id, actor_name, change, at";

pub(crate) fn get<'r, T>(row: &'r SqliteRow, column: &str) -> Result<T>
where
    T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
{
    row.try_get(column).map_err(from_sqlx)
}

pub(crate) fn timestamp(row: &SqliteRow, column: &str) -> Result<Timestamp> {
    let micros: i64 = get(row, column)?;
    time::from_micros(micros).ok_or_else(|| bad_data(column, micros))
}

pub(crate) fn optional_timestamp(row: &SqliteRow, column: &str) -> Result<Option<Timestamp>> {
    get::<Option<i64>>(row, column)?
        .map(|micros| time::from_micros(micros).ok_or_else(|| bad_data(column, micros)))
        .transpose()
}

pub(crate) fn choice<T: Choice>(row: &SqliteRow, column: &str) -> Result<T> {
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
        resolved_at: optional_timestamp(row, "resolved_at")?,
        created_at: timestamp(row, "created_at")?,
        updated_at: timestamp(row, "updated_at")?,
        version: get(row, "version")?,
        first_response_at: optional_timestamp(row, "first_response_at")?,
        sla: Sla::from_stored(
            optional_timestamp(row, "first_response_due")?,
            optional_timestamp(row, "resolution_due")?,
            get(row, "first_response_breached")?,
            get(row, "resolution_breached")?,
            optional_timestamp(row, "sla_paused_at")?,
            get(row, "sla_paused_us")?,
        ),
        archived_at: optional_timestamp(row, "archived_at")?,
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

/// A `users` row.
pub(crate) fn user(row: &SqliteRow) -> Result<StoredUser> {
    Ok(StoredUser {
        id: UserId(get(row, "id")?),
        name: get(row, "name")?,
        email: get::<Option<String>>(row, "email")?.map(Email::from_stored),
        role: choice::<Role>(row, "role")?,
        disabled: get(row, "disabled")?,
        password: get::<Option<String>>(row, "password_hash")?.map(PasswordHash::new),
        external_id: get(row, "external_id")?,
        created_at: timestamp(row, "created_at")?,
        last_seen_at: optional_timestamp(row, "last_seen_at")?,
    })
}

/// The token of an `api_tokens` row whose columns are named `id`, `name`, … with `prefix`.
fn api_token_named(row: &SqliteRow, prefix: &str) -> Result<StoredApiToken> {
    Ok(StoredApiToken {
        id: ApiTokenId(get(row, &format!("{prefix}id"))?),
        user: UserId(get(row, &format!("{prefix}user_id"))?),
        name: get(row, &format!("{prefix}name"))?,
        created_at: timestamp(row, &format!("{prefix}created_at"))?,
        last_used_at: optional_timestamp(row, &format!("{prefix}last_used_at"))?,
    })
}

/// An `api_tokens` row ([`API_TOKEN_COLUMNS`]).
pub(crate) fn api_token(row: &SqliteRow) -> Result<StoredApiToken> {
    api_token_named(row, "")
}

/// A token and its user ([`TOKEN_AND_USER_COLUMNS`]).
pub(crate) fn token_and_user(row: &SqliteRow) -> Result<(StoredApiToken, StoredUser)> {
    let user = user(row)?;
    let token = api_token_named(row, "token_")?;
    Ok((token, user))
}
