//! Archiving ([`support_core::archive`]): one batch is one statement, which locks the closed
//! tickets it picks (skipping any another writer holds), marks them and records each.

use sqlx::Row;
use support_core::archive::ArchiveBatch;
use support_core::{Result, TicketId, UserId};

use crate::error::from_sqlx;
use crate::store::PgStore;

/// Picks the least recently active closed tickets not yet archived and locks them, skipping
/// rows another transaction holds: a ticket being reopened right now, or one a concurrent
/// batch (another node) is archiving. Locking re-reads each row as it is now, so one that was
/// reopened since the statement began no longer matches; the update checks it again.
const ARCHIVE: &str = "WITH picked AS ( \
         SELECT t.id, a.updated_at FROM tickets t JOIN ticket_activity a ON a.ticket_id = t.id \
         WHERE t.status = 'closed' AND t.archived_at IS NULL AND a.updated_at < $2 \
         ORDER BY a.updated_at, t.id LIMIT $3 \
         FOR NO KEY UPDATE OF t SKIP LOCKED \
     ), done AS ( \
         UPDATE tickets t SET archived_at = $1 FROM picked \
         WHERE t.id = picked.id AND t.status = 'closed' AND t.archived_at IS NULL \
         RETURNING t.id, picked.updated_at \
     ), recorded AS ( \
         INSERT INTO audit_entries (ticket_id, actor_id, actor_name, action, change, origin, at) \
         SELECT id, $4, $5, $6, $7, $8, $1 FROM done ORDER BY updated_at, id \
     ) \
     SELECT id FROM done ORDER BY updated_at, id";

impl PgStore {
    pub(crate) async fn archive_batch(&self, batch: &ArchiveBatch) -> Result<Vec<TicketId>> {
        let r = &batch.record;
        let rows = sqlx::query(ARCHIVE)
            .bind(batch.at())
            .bind(batch.closed_before)
            .bind(i64::from(batch.limit))
            .bind(r.actor_id.map(UserId::get))
            .bind(&r.actor_name)
            .bind(r.action.name())
            .bind(r.action.detail())
            .bind(r.origin.map(|o| o.to_string()))
            .fetch_all(self.pool())
            .await
            .map_err(from_sqlx)?;
        rows.iter()
            .map(|row| row.try_get::<i64, _>("id").map(TicketId).map_err(from_sqlx))
            .collect()
    }
}
