//! The ticket list: [`TicketQuery`] to SQL, built with sea-query.
//!
//! Each clause mirrors the reference semantics in `support_core::store`: the filter
//! [`TicketFilter::matches`](support_core::TicketFilter::matches), the order
//! [`TicketOrder::compare`](support_core::store::TicketOrder::compare) and the keyset
//! [`TicketKey::precedes`](support_core::store::TicketKey::precedes). The shapes are chosen so
//! the planner can read each of the service's lists from an index in order, without sorting
//! (the `explain` test checks the plans).

use sea_query::{Cond, Expr, Iden, Order, PostgresQueryBuilder, Query, SimpleExpr};
use sea_query_binder::{SqlxBinder, SqlxValues};
use support_core::store::{TicketKey, TicketOrder, TicketQuery};
use support_core::{Choice, Status};

/// The `ticket_rows` view (tickets with their latest activity) and its columns.
#[derive(Iden, Clone, Copy)]
pub(crate) enum TicketRows {
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

const ALL_COLUMNS: [TicketRows; 12] = [
    TicketRows::Id,
    TicketRows::TicketNumber,
    TicketRows::EmployeeId,
    TicketRows::Subject,
    TicketRows::Description,
    TicketRows::Category,
    TicketRows::Priority,
    TicketRows::Status,
    TicketRows::AssignedTo,
    TicketRows::ResolvedAt,
    TicketRows::CreatedAt,
    TicketRows::UpdatedAt,
];

/// `status IN (…)` with the names written into the SQL rather than bound, in declaration order.
///
/// The planner may use the partial queue index only if it can prove the query's condition
/// implies the index's, and it cannot prove anything about a bound parameter. The names come
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

/// Text that must occur in the subject, description or number, ignoring ASCII case.
///
/// `strpos` rather than `LIKE`/`ILIKE`: there are no wildcards to escape. `lower` under the
/// "C" collation folds ASCII letters only, exactly like `to_ascii_lowercase` in
/// `TicketFilter::matches`, whatever the database's locale (under a Unicode locale `lower`
/// would also fold `Ü` to `ü`, which the reference does not).
fn contains_text(text: &str) -> SimpleExpr {
    if text.contains('\0') {
        // Postgres text cannot hold NUL, so no stored field contains one; binding it would
        // be an encoding error rather than the "no match" the reference gives.
        return Expr::cust("FALSE");
    }
    let lowered = text.to_ascii_lowercase();
    let mut any = Cond::any();
    for column in ["subject", "description", "ticket_number"] {
        any = any.add(Expr::cust_with_values(
            format!("strpos(lower(\"{column}\" COLLATE \"C\"), $1) > 0"),
            [lowered.clone()],
        ));
    }
    any.into()
}

/// Rows strictly after `k` in `order`.
fn after(order: TicketOrder, k: &TicketKey) -> Cond {
    let id = k.id.get();
    match order {
        TicketOrder::Newest => Cond::all().add(Expr::col(TicketRows::Id).lt(id)),
        TicketOrder::Activity => {
            // A row comparison orders lexicographically, like (updated_at, id) in the order,
            // and the planner turns it into a range on ticket_activity's (employee_id,
            // updated_at, ticket_id) index.
            Cond::all().add(
                Expr::tuple([
                    Expr::col(TicketRows::UpdatedAt).into(),
                    Expr::col(TicketRows::Id).into(),
                ])
                .lt(Expr::tuple([
                    Expr::val(k.updated_at).into(),
                    Expr::val(id).into(),
                ])),
            )
        }
        TicketOrder::Queue => {
            // Mixed directions rule out one row comparison. The leading `priority <= rank` is
            // implied by the disjunction; it is there so the index scan starts at the key's
            // priority.
            let rank = k.priority.rank();
            Cond::all()
                .add(Expr::col(TicketRows::Priority).lte(rank))
                .add(
                    Cond::any()
                        .add(Expr::col(TicketRows::Priority).lt(rank))
                        .add(
                            Cond::all()
                                .add(Expr::col(TicketRows::Priority).eq(rank))
                                .add(
                                    Cond::any()
                                        .add(Expr::col(TicketRows::CreatedAt).gt(k.created_at))
                                        .add(
                                            Cond::all()
                                                .add(
                                                    Expr::col(TicketRows::CreatedAt)
                                                        .eq(k.created_at),
                                                )
                                                .add(Expr::col(TicketRows::Id).gt(id)),
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
    select.columns(ALL_COLUMNS).from(TicketRows::Table);

    if let Some(e) = f.employee_id {
        select.and_where(Expr::col(TicketRows::EmployeeId).eq(e.get()));
    }
    if !f.statuses.is_empty() {
        select.and_where(status_in(f.statuses.iter().copied()));
    }
    if let Some(p) = f.priority {
        select.and_where(Expr::col(TicketRows::Priority).eq(p.rank()));
    }
    if let Some(c) = f.category {
        select.and_where(Expr::col(TicketRows::Category).eq(c.as_str()));
    }
    match f.assigned_to {
        None => {}
        Some(None) => {
            select.and_where(Expr::col(TicketRows::AssignedTo).is_null());
        }
        Some(Some(user)) => {
            select.and_where(Expr::col(TicketRows::AssignedTo).eq(user.get()));
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
            select.order_by(TicketRows::Id, Order::Desc);
        }
        TicketOrder::Activity => {
            select
                .order_by(TicketRows::UpdatedAt, Order::Desc)
                .order_by(TicketRows::Id, Order::Desc);
        }
        TicketOrder::Queue => {
            select
                .order_by(TicketRows::Priority, Order::Desc)
                .order_by(TicketRows::CreatedAt, Order::Asc)
                .order_by(TicketRows::Id, Order::Asc);
        }
    }
    select.limit(u64::from(q.limit));
    select.build_sqlx(PostgresQueryBuilder)
}

#[cfg(test)]
mod tests {
    use super::*;
    use support_core::TicketFilter;

    fn query(filter: TicketFilter, order: TicketOrder) -> TicketQuery {
        TicketQuery {
            filter,
            order,
            after: None,
            limit: 25,
        }
    }

    #[test]
    fn statuses_are_written_inline_in_declaration_order() {
        let q = query(
            TicketFilter {
                statuses: vec![Status::Pending, Status::Open],
                ..Default::default()
            },
            TicketOrder::Queue,
        );
        let (sql, _) = tickets(&q);
        assert!(sql.contains(r#""status" IN ('open', 'pending')"#), "{sql}");
    }

    #[test]
    fn text_is_bound_once_per_column_and_numbered_in_order() {
        let q = query(
            TicketFilter {
                employee_id: Some(support_core::UserId(7)),
                text: Some("VPN".into()),
                ..Default::default()
            },
            TicketOrder::Activity,
        );
        let (sql, values) = tickets(&q);
        assert!(
            sql.contains(r#"strpos(lower("subject" COLLATE "C"), $2) > 0"#),
            "{sql}"
        );
        assert!(
            sql.contains(r#"strpos(lower("ticket_number" COLLATE "C"), $4) > 0"#),
            "{sql}"
        );
        assert_eq!(values.0.0.len(), 5, "{sql}");
    }

    #[test]
    fn nul_in_the_search_text_matches_nothing_without_binding_it() {
        let q = query(
            TicketFilter {
                text: Some("a\0b".into()),
                ..Default::default()
            },
            TicketOrder::Newest,
        );
        let (sql, values) = tickets(&q);
        assert!(sql.contains("FALSE"), "{sql}");
        assert_eq!(values.0.0.len(), 1, "only the limit is bound: {sql}");
    }
}
