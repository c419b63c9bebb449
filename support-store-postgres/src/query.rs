//! The ticket list: [`TicketQuery`] to SQL, through the shared builder in
//! [`support_core::sql`], with what is PostgreSQL's own: the `ticket_rows` view (tickets with
//! their latest activity), `timestamptz` values, and `strpos` under the "C" collation for the
//! text search. The `explain` test checks that each list is read from an index in order.

use sea_query::{Expr, PostgresQueryBuilder, SimpleExpr, Value};
use sea_query_binder::{SqlxBinder, SqlxValues};
use support_core::Timestamp;
use support_core::sql::{self, Dialect};
use support_core::store::TicketQuery;

/// PostgreSQL's side of the shared ticket list.
pub(crate) struct Postgres;

impl Dialect for Postgres {
    const TABLE: &'static str = "ticket_rows";

    fn timestamp(t: Timestamp) -> Value {
        t.into()
    }

    /// `strpos` rather than `LIKE`/`ILIKE`: there are no wildcards to escape. `lower` under the
    /// "C" collation folds ASCII letters only, exactly like `to_ascii_lowercase` in
    /// `TicketFilter::matches`, whatever the database's locale (under a Unicode locale `lower`
    /// would also fold `Ü` to `ü`, which the reference does not).
    fn contains(column: &'static str, lowered: &str) -> SimpleExpr {
        Expr::cust_with_values(
            format!("strpos(lower(\"{column}\" COLLATE \"C\"), $1) > 0"),
            [lowered.to_owned()],
        )
    }
}

/// The SQL and its bound values for one page of tickets.
pub(crate) fn tickets(q: &TicketQuery) -> (String, SqlxValues) {
    sql::ticket_list::<Postgres>(q).build_sqlx(PostgresQueryBuilder)
}

#[cfg(test)]
mod tests {
    use super::*;
    use support_core::store::TicketOrder;
    use support_core::{Status, TicketFilter};

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
