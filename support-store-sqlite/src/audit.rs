//! The audit log ([`support_core::audit`]): its rows, the records a write adds inside its
//! transaction, and its reads. A message's records are the `messages_audit` trigger's (see the
//! migration), so the append's hot path stays one statement.

use sea_query::SqliteQueryBuilder;
use sea_query_binder::SqlxBinder;
use sqlx::SqliteConnection;
use sqlx::sqlite::SqliteRow;
use support_core::audit::{AuditQuery, AuditRecord, NewAuditEntry, NewAuditRecord};
use support_core::sql;
use support_core::time::to_micros;
use support_core::{AuditEntry, Result, TicketId, UserId};

use crate::error::{bad_data, from_sqlx};
use crate::row::{self, get, timestamp};
use crate::store::SqliteStore;

const INSERT: &str = "INSERT INTO audit_entries (ticket_id, actor_id, actor_name, action, change, origin, at) \
     VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id";

/// Writes `record` inside the caller's transaction; answers its id.
pub(crate) async fn insert_record(conn: &mut SqliteConnection, r: &NewAuditRecord) -> Result<i64> {
    sqlx::query_scalar(INSERT)
        .bind(r.ticket_id.map(TicketId::get))
        .bind(r.actor_id.map(UserId::get))
        .bind(&r.actor_name)
        .bind(r.action.name())
        .bind(r.action.detail().to_string())
        .bind(r.origin.map(|o| o.to_string()))
        .bind(to_micros(r.at))
        .fetch_one(&mut *conn)
        .await
        .map_err(from_sqlx)
}

/// Writes a ticket's field change inside the caller's transaction.
pub(crate) async fn insert_audit(
    conn: &mut SqliteConnection,
    ticket: TicketId,
    e: &NewAuditEntry,
) -> Result<()> {
    insert_record(conn, &e.record(ticket)).await.map(drop)
}

/// An `audit_entries` row as a record of the log.
fn record(row: &SqliteRow) -> Result<AuditRecord> {
    let change: String = get(row, "change")?;
    sql::AuditRow {
        id: get(row, "id")?,
        ticket_id: get(row, "ticket_id")?,
        actor_id: get(row, "actor_id")?,
        actor_name: get(row, "actor_name")?,
        action: get(row, "action")?,
        detail: serde_json::from_str(&change).map_err(|e| bad_data("change", e))?,
        origin: get(row, "origin")?,
        at: timestamp(row, "at")?,
    }
    .record()
}

impl SqliteStore {
    /// A ticket's field changes, from the partial index of them.
    pub(crate) async fn select_activity(&self, ticket: TicketId) -> Result<Vec<AuditEntry>> {
        let found = sqlx::query(&format!(
            "SELECT {} FROM audit_entries WHERE ticket_id = ? AND action = 'ticket' ORDER BY id",
            row::AUDIT_COLUMNS
        ))
        .bind(ticket.get())
        .fetch_all(self.reader())
        .await
        .map_err(from_sqlx)?;
        found.iter().map(row::audit_entry).collect()
    }

    /// One record on its own, in a write transaction of its own.
    pub(crate) async fn write_record(&self, r: &NewAuditRecord) -> Result<AuditRecord> {
        let mut tx = self.begin_write().await?;
        let id = insert_record(&mut tx, r).await?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok(r.clone().stored(id))
    }

    /// A page of the log.
    pub(crate) async fn select_log(&self, q: &AuditQuery) -> Result<Vec<AuditRecord>> {
        let (statement, values) =
            sql::audit_log(q, |t| to_micros(t).into()).build_sqlx(SqliteQueryBuilder);
        let found = sqlx::query_with(&statement, values)
            .fetch_all(self.reader())
            .await
            .map_err(from_sqlx)?;
        found.iter().map(record).collect()
    }
}
