//! The ticket list: [`TicketQuery`] to SQL, through the shared builder in
//! [`support_core::sql`], with what is SQLite's own: the `tickets` table, timestamps as
//! microseconds, `instr` for the text search, the queue index's condition restated, and
//! `INDEXED BY` where SQLite would otherwise guess. The `explain` test checks the plans.

use sea_query::{Expr, SimpleExpr, SqliteQueryBuilder, Value};
use sea_query_binder::{SqlxBinder, SqlxValues};
use support_core::Timestamp;
use support_core::sql::{self, Dialect};
use support_core::store::{TicketOrder, TicketQuery};
use support_core::time::to_micros;

/// SQLite's side of the shared ticket list.
pub(crate) struct Sqlite;

impl Dialect for Sqlite {
    const TABLE: &'static str = "tickets";

    /// SQLite uses a partial index only when the query's WHERE clause contains the index's own
    /// condition term for term.
    const RESTATE_QUEUE_CONDITION: bool = true;

    fn timestamp(t: Timestamp) -> Value {
        to_micros(t).into()
    }

    /// `instr(lower(x), ?)` rather than `LIKE`: SQLite's built-in `lower` folds ASCII only,
    /// exactly like `to_ascii_lowercase` in `TicketFilter::matches`, there are no wildcards to
    /// escape, and no `LIKE` pattern length limit (a long search is "no match", not an error).
    fn contains(column: &'static str, lowered: &str) -> SimpleExpr {
        Expr::cust_with_values(
            format!("instr(lower(\"{column}\"), ?) > 0"),
            [lowered.to_owned()],
        )
    }
}

/// The SQL and its bound values for one page of tickets.
pub(crate) fn tickets(q: &TicketQuery) -> (String, SqlxValues) {
    let (sql, values) = sql::ticket_list::<Sqlite>(q).build_sqlx(SqliteQueryBuilder);
    match index_for(q) {
        Some(index) => (with_index(&sql, index), values),
        None => (sql, values),
    }
}

/// The index that reads this list in its order, when there is one that always suits it.
///
/// Without `ANALYZE` statistics SQLite guesses that an equality on `status` finds a handful of
/// rows, and for the dashboard it picks the `(status, priority)` index and then sorts every
/// active ticket to return 25. Naming the index removes the guess. It is never the worse plan:
/// the queue index holds only active tickets, already in queue order, so a page reads at most
/// the active set and usually just the page; an employee's tickets are one contiguous range of
/// their index, in activity order.
fn index_for(q: &TicketQuery) -> Option<&'static str> {
    let f = &q.filter;
    match q.order {
        TicketOrder::Queue
            if !f.statuses.is_empty() && f.statuses.iter().all(|s| s.is_active()) =>
        {
            Some("tickets_queue")
        }
        TicketOrder::Activity if f.employee_id.is_some() => Some("tickets_by_employee_activity"),
        _ => None,
    }
}

/// sea-query has no SQLite `INDEXED BY`; the clause goes right after the table name, which is
/// the first `FROM "tickets"` of the statement (only column names precede it).
fn with_index(sql: &str, index: &str) -> String {
    sql.replacen(
        r#"FROM "tickets""#,
        &format!(r#"FROM "tickets" INDEXED BY "{index}""#),
        1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use support_core::{Status, TicketFilter};

    #[test]
    fn the_dashboard_query_repeats_the_partial_index_condition() {
        let q = TicketQuery {
            filter: TicketFilter {
                statuses: vec![Status::Pending, Status::Open],
                ..Default::default()
            },
            order: TicketOrder::Queue,
            after: None,
            limit: 25,
        };
        let (sql, _) = tickets(&q);
        assert!(sql.contains(r#""status" IN ('open', 'pending')"#), "{sql}");
        assert!(
            sql.contains(r#""status" IN ('open', 'in_progress', 'pending')"#),
            "{sql}"
        );
        assert!(
            sql.contains(r#"FROM "tickets" INDEXED BY "tickets_queue" WHERE"#),
            "{sql}"
        );
    }

    #[test]
    fn inactive_statuses_do_not_claim_the_queue_index() {
        let q = TicketQuery {
            filter: TicketFilter {
                statuses: vec![Status::Closed],
                ..Default::default()
            },
            order: TicketOrder::Newest,
            after: None,
            limit: 25,
        };
        let (sql, _) = tickets(&q);
        assert!(!sql.contains("in_progress"), "{sql}");
        assert!(!sql.contains("INDEXED BY"), "{sql}");
    }
}
