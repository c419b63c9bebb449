//! The service's hot lists are read from an index in order: no sort, no scan of the table.
//! The database is filled the way a helpdesk ends up (most tickets resolved or closed) and
//! analyzed, so the planner chooses as it would in production.

// Setup helpers outside #[test] functions panic on failure like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestDb;
use sqlx::Executor;
use support_core::store::{SupportStore, TicketKey, TicketOrder, TicketQuery};
use support_core::{Category, Priority, Status, TicketFilter, UserId};
use support_store_postgres::PgStore;

/// 20,000 tickets from 1,000 employees, one of whom (3) opened a tenth of them; 30% active; a
/// fifth assigned to one of five staff.
async fn populated(db: &TestDb) -> PgStore {
    let store = db.store().await;
    let mut raw = db.raw().await;
    raw.execute(
        "INSERT INTO tickets (employee_id, subject, description, category, priority, status, \
             assigned_to, created_at) \
         SELECT CASE WHEN i % 10 = 0 THEN 3 ELSE i % 1000 END, 'ticket ' || i, 'described', \
             (ARRAY['it','hr','payroll','benefits','facilities','other'])[i % 6 + 1], \
             i % 4, \
             CASE WHEN i % 10 < 3 THEN (ARRAY['open','in_progress','pending'])[i % 3 + 1] \
                  ELSE (ARRAY['resolved','closed'])[i % 2 + 1] END, \
             CASE WHEN i % 5 = 0 THEN 200 + i % 5 END, \
             now() - make_interval(mins => 20000 - i) \
         FROM generate_series(1, 20000) AS i",
    )
    .await
    .unwrap();
    raw.execute(
        "INSERT INTO ticket_activity (ticket_id, employee_id, updated_at) \
         SELECT id, employee_id, created_at + make_interval(secs => id % 600) FROM tickets",
    )
    .await
    .unwrap();
    raw.execute("ANALYZE").await.unwrap();
    store
}

/// Asserts that the plan reads through `index` (if given) and never sorts or scans the table.
fn assert_reads_in_order(plan: &[String], index: Option<&str>) {
    let text = plan.join("\n");
    assert!(!text.contains("Sort"), "sorts:\n{text}");
    assert!(!text.contains("Seq Scan"), "scans the table:\n{text}");
    assert!(
        !text.contains("Bitmap"),
        "collects rows before ordering them:\n{text}"
    );
    if let Some(index) = index {
        assert!(
            text.contains(&format!("using {index} on ")),
            "not through {index}:\n{text}"
        );
    }
}

fn query(filter: TicketFilter, order: TicketOrder) -> TicketQuery {
    TicketQuery {
        filter,
        order,
        after: None,
        limit: 26,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn the_dashboard_reads_the_queue_index_in_order() {
    let db = TestDb::create().await;
    let store = populated(&db).await;
    let mut q = query(
        TicketFilter {
            statuses: Status::ACTIVE.to_vec(),
            ..TicketFilter::default()
        },
        TicketOrder::Queue,
    );
    let first = store.explain_tickets(&q).await.unwrap();
    println!("dashboard, first page:\n{}", first.join("\n"));
    assert_reads_in_order(&first, Some("tickets_queue"));

    let page = store.tickets(&q).await.unwrap();
    q.after = page.last().map(TicketKey::of);
    let next = store.explain_tickets(&q).await.unwrap();
    println!("dashboard, next page:\n{}", next.join("\n"));
    assert_reads_in_order(&next, Some("tickets_queue"));
    // The keyset seeks into the index rather than reading it from the start.
    assert!(next.join("\n").contains("Index Cond"), "{next:?}");

    // A subset of the active statuses still qualifies for the partial index.
    q.filter.statuses = vec![Status::Open, Status::Pending];
    q.after = None;
    assert_reads_in_order(
        &store.explain_tickets(&q).await.unwrap(),
        Some("tickets_queue"),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn an_employees_list_reads_the_activity_index_in_order() {
    let db = TestDb::create().await;
    let store = populated(&db).await;
    let mut q = query(
        TicketFilter {
            employee_id: Some(UserId(3)),
            ..TicketFilter::default()
        },
        TicketOrder::Activity,
    );
    let first = store.explain_tickets(&q).await.unwrap();
    println!("employee list:\n{}", first.join("\n"));
    assert_reads_in_order(&first, Some("ticket_activity_by_employee"));

    let page = store.tickets(&q).await.unwrap();
    assert_eq!(page.len(), 26);
    q.after = page.get(page.len() / 2).map(TicketKey::of);
    let next = store.explain_tickets(&q).await.unwrap();
    println!("employee list, next page:\n{}", next.join("\n"));
    assert_reads_in_order(&next, Some("ticket_activity_by_employee"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn staff_lists_newest_first_need_no_sort() {
    let db = TestDb::create().await;
    let store = populated(&db).await;
    let filters = [
        TicketFilter::default(),
        TicketFilter {
            statuses: vec![Status::Pending],
            ..TicketFilter::default()
        },
        TicketFilter {
            category: Some(Category::Payroll),
            ..TicketFilter::default()
        },
        TicketFilter {
            assigned_to: Some(None),
            ..TicketFilter::default()
        },
        TicketFilter {
            assigned_to: Some(Some(UserId(201))),
            ..TicketFilter::default()
        },
        TicketFilter {
            priority: Some(Priority::High),
            ..TicketFilter::default()
        },
        TicketFilter {
            statuses: vec![Status::Pending],
            category: Some(Category::It),
            priority: Some(Priority::Urgent),
            ..TicketFilter::default()
        },
    ];
    for filter in filters {
        let plan = store
            .explain_tickets(&query(filter.clone(), TicketOrder::Newest))
            .await
            .unwrap();
        println!("{filter:?}:\n{}", plan.join("\n"));
        assert_reads_in_order(&plan, None);
    }
}
