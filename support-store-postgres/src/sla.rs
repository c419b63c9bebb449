//! SLA clocks and reports: the sweep's marks and the facts a report reads.

use sqlx::postgres::PgRow;
use support_core::report::ReportFacts;
use support_core::sql;
use support_core::time::Timestamp;
use support_core::{Result, SlaBreach, SlaClock};

use crate::error::from_sqlx;
use crate::row::{get, optional_timestamp, timestamp};
use crate::store::PgStore;

/// Marks the first-response clocks breached at `$1` ([`SlaBreach::due`]), at most `$2`, due
/// first. `due` locks the rows it picks and skips those another transaction holds (another
/// node's sweep, an append, a change): a skipped row is marked by a later sweep, and a row is
/// only ever updated by the one transaction whose lock found it unmarked, so each breach is
/// answered once, whatever the number of nodes.
const MARK_FIRST_RESPONSE: &str = "WITH due AS ( \
         SELECT id FROM tickets \
         WHERE NOT first_response_breached AND first_response_due IS NOT NULL \
             AND first_response_due < $1 \
             AND first_response_due < COALESCE(first_response_at, resolved_at, $1) \
         ORDER BY first_response_due, id LIMIT $2 \
         FOR NO KEY UPDATE SKIP LOCKED \
     ) \
     UPDATE tickets t SET first_response_breached = true FROM due \
     WHERE t.id = due.id AND NOT t.first_response_breached \
     RETURNING t.id, t.ticket_number, t.priority, t.first_response_due AS due_at";

/// The same for the resolution clock: due before `$1` and before it was paused, if it is.
const MARK_RESOLUTION: &str = "WITH due AS ( \
         SELECT id FROM tickets \
         WHERE NOT resolution_breached AND resolution_due IS NOT NULL \
             AND resolution_due < $1 AND resolution_due < COALESCE(sla_paused_at, $1) \
         ORDER BY resolution_due, id LIMIT $2 \
         FOR NO KEY UPDATE SKIP LOCKED \
     ) \
     UPDATE tickets t SET resolution_breached = true FROM due \
     WHERE t.id = due.id AND NOT t.resolution_breached \
     RETURNING t.id, t.ticket_number, t.priority, t.resolution_due AS due_at";

fn breach(row: &PgRow, clock: SlaClock) -> Result<SlaBreach> {
    sql::BreachRow {
        id: get(row, "id")?,
        ticket_number: get(row, "ticket_number")?,
        priority: get::<i16>(row, "priority")?.into(),
        due_at: timestamp(row, "due_at")?,
    }
    .breach(clock)
}

impl PgStore {
    pub(crate) async fn mark_breaches(&self, now: Timestamp, limit: u32) -> Result<Vec<SlaBreach>> {
        let mut tx = self.pool().begin().await.map_err(from_sqlx)?;
        let mut found = Vec::new();
        for (sql, clock) in [
            (MARK_FIRST_RESPONSE, SlaClock::FirstResponse),
            (MARK_RESOLUTION, SlaClock::Resolution),
        ] {
            let left = i64::from(limit) - found.len() as i64;
            if left <= 0 {
                break;
            }
            let rows = sqlx::query(sql)
                .bind(now)
                .bind(left)
                .fetch_all(&mut *tx)
                .await
                .map_err(from_sqlx)?;
            for row in &rows {
                found.push(breach(row, clock)?);
            }
        }
        tx.commit().await.map_err(from_sqlx)?;
        found.sort_by_key(|b| (b.due_at, b.ticket_id));
        Ok(found)
    }

    pub(crate) async fn facts(&self, from: Timestamp, to: Timestamp) -> Result<Vec<ReportFacts>> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM tickets \
             WHERE (created_at >= $1 AND created_at < $2) \
                OR (resolved_at >= $1 AND resolved_at < $2)",
            sql::REPORT_FACTS_COLUMNS
        ))
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await
        .map_err(from_sqlx)?;
        rows.iter()
            .map(|row| {
                sql::FactsRow {
                    id: get(row, "id")?,
                    category: get(row, "category")?,
                    priority: get::<i16>(row, "priority")?.into(),
                    assigned_to: get(row, "assigned_to")?,
                    created_at: timestamp(row, "created_at")?,
                    first_response_at: optional_timestamp(row, "first_response_at")?,
                    resolved_at: optional_timestamp(row, "resolved_at")?,
                    first_response_breached: get(row, "first_response_breached")?,
                    resolution_breached: get(row, "resolution_breached")?,
                }
                .facts()
            })
            .collect()
    }
}
