//! SLA clocks and reports: the sweep's marks and the facts a report reads.

use sqlx::sqlite::SqliteRow;
use support_core::report::ReportFacts;
use support_core::sql;
use support_core::time::{Timestamp, to_micros};
use support_core::{Result, SlaBreach, SlaClock};

use crate::error::from_sqlx;
use crate::row::{get, optional_timestamp, timestamp};
use crate::store::SqliteStore;

/// The clocks not yet marked whose due time passed before they stopped
/// ([`SlaBreach::due`]), due first: one `UPDATE … RETURNING` per clock in one write
/// transaction. SQLite has one writer, so no other call can mark the same rows.
const MARK_FIRST_RESPONSE: &str = "UPDATE tickets SET first_response_breached = 1 WHERE id IN ( \
     SELECT id FROM tickets WHERE first_response_breached = 0 AND first_response_due IS NOT NULL \
     AND first_response_due < ?1 AND first_response_due < COALESCE(first_response_at, resolved_at, ?1) \
     ORDER BY first_response_due, id LIMIT ?2) \
     RETURNING id, ticket_number, priority, first_response_due AS due_at";

const MARK_RESOLUTION: &str = "UPDATE tickets SET resolution_breached = 1 WHERE id IN ( \
     SELECT id FROM tickets WHERE resolution_breached = 0 AND resolution_due IS NOT NULL \
     AND resolution_due < ?1 AND resolution_due < COALESCE(sla_paused_at, ?1) \
     ORDER BY resolution_due, id LIMIT ?2) \
     RETURNING id, ticket_number, priority, resolution_due AS due_at";

fn breach(row: &SqliteRow, clock: SlaClock) -> Result<SlaBreach> {
    sql::BreachRow {
        id: get(row, "id")?,
        ticket_number: get(row, "ticket_number")?,
        priority: get(row, "priority")?,
        due_at: timestamp(row, "due_at")?,
    }
    .breach(clock)
}

pub(crate) async fn mark_breaches(
    store: &SqliteStore,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<SlaBreach>> {
    let mut tx = store.begin_write().await?;
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
            .bind(to_micros(now))
            .bind(left)
            .fetch_all(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        for row in &rows {
            found.push(breach(row, clock)?);
        }
    }
    if !found.is_empty() {
        tx.commit().await.map_err(from_sqlx)?;
    }
    found.sort_by_key(|b| (b.due_at, b.ticket_id));
    Ok(found)
}

pub(crate) async fn report_facts(
    store: &SqliteStore,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<ReportFacts>> {
    let rows = sqlx::query(&format!(
        "SELECT {} FROM tickets \
         WHERE (created_at >= ?1 AND created_at < ?2) OR (resolved_at >= ?1 AND resolved_at < ?2)",
        sql::REPORT_FACTS_COLUMNS
    ))
    .bind(to_micros(from))
    .bind(to_micros(to))
    .fetch_all(store.reader())
    .await
    .map_err(from_sqlx)?;
    rows.iter()
        .map(|row| {
            sql::FactsRow {
                id: get(row, "id")?,
                category: get(row, "category")?,
                priority: get(row, "priority")?,
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
