//! The ticket list: [`TicketQuery`] to SQL, built with sea-query.
//!
//! Each clause mirrors the reference semantics in `support_core::store`: the filter
//! [`TicketFilter::matches`](support_core::TicketFilter::matches), the order
//! [`TicketOrder::compare`] and the keyset [`TicketKey::precedes`](support_core::store::TicketKey::precedes).
//! The shapes are chosen so SQLite can read each of the service's lists from an index in order,
//! without sorting (the `explain` test checks the plans).

use sea_query::{Cond, Expr, Iden, Order, Query, SimpleExpr, SqliteQueryBuilder};
use sea_query_binder::{SqlxBinder, SqlxValues};
use support_core::store::{TicketKey, TicketOrder, TicketQuery};
use support_core::time::to_micros;
use support_core::{Choice, Status};

/// The `tickets` table and its columns.
#[derive(Iden, Clone, Copy)]
pub(crate) enum Tickets {
    Table,
    Id,
    TicketNumber,
    EmployeeId,
    Subject,
    Description,
    Category,
    Priority,
    Status,
    AssignedTo,
    ResolvedAt,
    CreatedAt,
    UpdatedAt,
}

const ALL_COLUMNS: [Tickets; 12] = [
    Tickets::Id,
    Tickets::TicketNumber,
    Tickets::EmployeeId,
    Tickets::Subject,
    Tickets::Description,
    Tickets::Category,
    Tickets::Priority,
    Tickets::Status,
    Tickets::AssignedTo,
    Tickets::ResolvedAt,
    Tickets::CreatedAt,
    Tickets::UpdatedAt,
];

/// `status IN (…)` with the names written into the SQL rather than bound, in declaration order.
///
/// SQLite uses a partial index only when the query's WHERE clause contains the index's own
/// condition term for term, and a bound parameter never equals a literal there. The names come
/// from a closed enumeration, so writing them inline is safe.
fn status_in(statuses: impl IntoIterator<Item = Status>) -> SimpleExpr {
    let wanted: Vec<Status> = statuses.into_iter().collect();
    let names: Vec<String> = Status::ALL
        .iter()
        .filter(|s| wanted.contains(s))
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    Expr::cust(format!("\"status\" IN ({})", names.join(", ")))
}

/// The condition of the `tickets_queue` partial index, exactly as the migration writes it.
fn in_queue_index() -> SimpleExpr {
    status_in(Status::ACTIVE.iter().copied())
}

/// Text that must occur in the subject, description or number, ignoring ASCII case.
///
/// `instr(lower(x), lower(?))` rather than `LIKE`: SQLite's built-in `lower` folds ASCII only,
/// exactly like `to_ascii_lowercase` in `TicketFilter::matches`, there are no wildcards to
/// escape, no `LIKE` pattern length limit (a long search is "no match", not an error), and text
/// with NUL characters compares in full instead of stopping at the first NUL.
fn contains_text(text: &str) -> SimpleExpr {
    let lowered = text.to_ascii_lowercase();
    let mut any = Cond::any();
    for column in ["subject", "description", "ticket_number"] {
        any = any.add(Expr::cust_with_values(
            format!("instr(lower(\"{column}\"), ?) > 0"),
            [lowered.clone()],
        ));
    }
    any.into()
}

/// Rows strictly after `k` in `order`.
fn after(order: TicketOrder, k: &TicketKey) -> Cond {
    let id = k.id.get();
    match order {
        TicketOrder::Newest => Cond::all().add(Expr::col(Tickets::Id).lt(id)),
        TicketOrder::Activity => {
            // A row value compares lexicographically, like (updated_at, id) in the order, and
            // SQLite turns it into a range on the (employee_id, updated_at, id) index.
            let updated = to_micros(k.updated_at);
            Cond::all().add(
                Expr::tuple([
                    Expr::col(Tickets::UpdatedAt).into(),
                    Expr::col(Tickets::Id).into(),
                ])
                .lt(Expr::tuple([
                    Expr::val(updated).into(),
                    Expr::val(id).into(),
                ])),
            )
        }
        TicketOrder::Queue => {
            // Mixed directions rule out one row value. The leading `priority <= rank` is implied
            // by the disjunction; it is there so the scan starts at the key's priority.
            let rank = i64::from(k.priority.rank());
            let created = to_micros(k.created_at);
            Cond::all().add(Expr::col(Tickets::Priority).lte(rank)).add(
                Cond::any().add(Expr::col(Tickets::Priority).lt(rank)).add(
                    Cond::all().add(Expr::col(Tickets::Priority).eq(rank)).add(
                        Cond::any()
                            .add(Expr::col(Tickets::CreatedAt).gt(created))
                            .add(
                                Cond::all()
                                    .add(Expr::col(Tickets::CreatedAt).eq(created))
                                    .add(Expr::col(Tickets::Id).gt(id)),
                            ),
                    ),
                ),
            )
        }
    }
}

/// The SQL and its bound values for one page of tickets.
pub(crate) fn tickets(q: &TicketQuery) -> (String, SqlxValues) {
    let f = &q.filter;
    let mut select = Query::select();
    select.columns(ALL_COLUMNS).from(Tickets::Table);

    if let Some(e) = f.employee_id {
        select.and_where(Expr::col(Tickets::EmployeeId).eq(e.get()));
    }
    if !f.statuses.is_empty() {
        select.and_where(status_in(f.statuses.iter().copied()));
        // Only active statuses asked for: repeating the partial index's condition changes no
        // result (it is implied) but lets the queue be read from that index.
        if f.statuses.iter().all(|s| s.is_active()) {
            select.and_where(in_queue_index());
        }
    }
    if let Some(p) = f.priority {
        select.and_where(Expr::col(Tickets::Priority).eq(i64::from(p.rank())));
    }
    if let Some(c) = f.category {
        select.and_where(Expr::col(Tickets::Category).eq(c.as_str()));
    }
    match f.assigned_to {
        None => {}
        Some(None) => {
            select.and_where(Expr::col(Tickets::AssignedTo).is_null());
        }
        Some(Some(user)) => {
            select.and_where(Expr::col(Tickets::AssignedTo).eq(user.get()));
        }
    }
    if let Some(text) = &f.text {
        select.and_where(contains_text(text));
    }
    if let Some(k) = &q.after {
        select.cond_where(after(q.order, k));
    }

    match q.order {
        TicketOrder::Newest => {
            select.order_by(Tickets::Id, Order::Desc);
        }
        TicketOrder::Activity => {
            select
                .order_by(Tickets::UpdatedAt, Order::Desc)
                .order_by(Tickets::Id, Order::Desc);
        }
        TicketOrder::Queue => {
            select
                .order_by(Tickets::Priority, Order::Desc)
                .order_by(Tickets::CreatedAt, Order::Asc)
                .order_by(Tickets::Id, Order::Asc);
        }
    }
    select.limit(u64::from(q.limit));
    let (sql, values) = select.build_sqlx(SqliteQueryBuilder);
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
    use support_core::TicketFilter;

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
