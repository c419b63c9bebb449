//! The audit log ([`support_core::audit`]): its rows, the records a write adds inside its
//! transaction, and its reads. A message's records are the `messages_audit` trigger's (see the
//! migration): one statement per insert, so the append stays one round trip.

use sea_query::PostgresQueryBuilder;
use sea_query_binder::SqlxBinder;
use sqlx::PgExecutor;
use sqlx::postgres::PgRow;
use support_core::audit::{AuditQuery, AuditRecord, NewAuditRecord};
use support_core::sql;
use support_core::{AuditEntry, Result, TicketId, Timestamp, UserId};

use crate::error::from_sqlx;
use crate::row::{self, get};
use crate::store::PgStore;

/// Writes `r` with the caller's executor (inside its transaction); answers its id.
pub(crate) async fn insert_record(ex: impl PgExecutor<'_>, r: &NewAuditRecord) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO audit_entries (ticket_id, actor_id, actor_name, action, change, origin, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(r.ticket_id.map(TicketId::get))
    .bind(r.actor_id.map(UserId::get))
    .bind(&r.actor_name)
    .bind(r.action.name())
    .bind(r.action.detail())
    .bind(r.origin.map(|o| o.to_string()))
    .bind(r.at)
    .fetch_one(ex)
    .await
    .map_err(from_sqlx)
}

/// An `audit_entries` row as a record of the log.
fn record(row: &PgRow) -> Result<AuditRecord> {
    sql::AuditRow {
        id: get(row, "id")?,
        ticket_id: get(row, "ticket_id")?,
        actor_id: get(row, "actor_id")?,
        actor_name: get(row, "actor_name")?,
        action: get(row, "action")?,
        detail: get(row, "change")?,
        origin: get(row, "origin")?,
        at: get::<Timestamp>(row, "at")?,
    }
    .record()
}

impl PgStore {
    /// A ticket's field changes, from the partial index of them.
    pub(crate) async fn select_activity(&self, ticket: TicketId) -> Result<Vec<AuditEntry>> {
        let found = sqlx::query(&format!(
            "SELECT {} FROM audit_entries WHERE ticket_id = $1 AND action = 'ticket' ORDER BY id",
            row::AUDIT_COLUMNS
        ))
        .bind(ticket.get())
        .fetch_all(self.pool())
        .await
        .map_err(from_sqlx)?;
        row::all(&found, row::audit_entry)
    }

    /// One record on its own, committed on return.
    pub(crate) async fn write_record(&self, r: &NewAuditRecord) -> Result<AuditRecord> {
        let id = insert_record(self.pool(), r).await?;
        Ok(r.clone().stored(id))
    }

    /// A page of the log.
    pub(crate) async fn select_log(&self, q: &AuditQuery) -> Result<Vec<AuditRecord>> {
        let (statement, values) = sql::audit_log(q, |t| t.into()).build_sqlx(PostgresQueryBuilder);
        let found = sqlx::query_with(&statement, values)
            .fetch_all(self.pool())
            .await
            .map_err(from_sqlx)?;
        row::all(&found, record)
    }
}
