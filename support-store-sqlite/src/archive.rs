//! Archiving ([`support_core::archive`]): one batch is one write transaction, which picks the
//! closed tickets from the partial index `tickets_to_archive`, marks them and records each.

use sqlx::Row;
use support_core::archive::ArchiveBatch;
use support_core::time::to_micros;
use support_core::{Result, TicketId};

use crate::audit::insert_record;
use crate::error::from_sqlx;
use crate::store::SqliteStore;

impl SqliteStore {
    pub(crate) async fn archive_batch(&self, batch: &ArchiveBatch) -> Result<Vec<TicketId>> {
        let mut tx = self.begin_write().await?;
        // The one writer: nothing changes these rows between the pick and the update.
        let rows = sqlx::query(
            "UPDATE tickets SET archived_at = ?1 WHERE id IN ( \
                 SELECT id FROM tickets WHERE status = 'closed' AND archived_at IS NULL \
                 AND updated_at < ?2 ORDER BY updated_at, id LIMIT ?3) \
             RETURNING id, updated_at",
        )
        .bind(to_micros(batch.at()))
        .bind(to_micros(batch.closed_before))
        .bind(i64::from(batch.limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        let mut picked = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: i64 = r.try_get("id").map_err(from_sqlx)?;
            let updated_at: i64 = r.try_get("updated_at").map_err(from_sqlx)?;
            picked.push((updated_at, TicketId(id)));
        }
        // RETURNING promises no order: the contract's is the pick's.
        picked.sort_unstable();
        let ids: Vec<TicketId> = picked.into_iter().map(|(_, id)| id).collect();
        for id in &ids {
            insert_record(&mut tx, &batch.record_for(*id)).await?;
        }
        if !ids.is_empty() {
            tx.commit().await.map_err(from_sqlx)?;
        }
        Ok(ids)
    }
}
