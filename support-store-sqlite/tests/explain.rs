//! The service's hot lists are read from an index in order: no full table scan, no sort.

// Setup helpers outside #[test] functions panic on failure like the tests themselves.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use support_core::store::{SupportStore, TicketKey, TicketOrder, TicketQuery};
use support_core::{Status, TicketFilter, UserId};
use support_store_sqlite::SqliteStore;

async fn populated() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&url(dir.path(), "plans.db"))
        .await
        .unwrap();
    let priorities = ["low", "medium", "high", "urgent"];
    for i in 0..200 {
        let d = ticket(
            i % 10,
            &format!("ticket {i}"),
            "it",
            priorities[(i % 4) as usize],
            at(i),
        );
        store.create_ticket(&d).await.unwrap();
    }
    (dir, store)
}

/// Asserts that the plan reads `tickets` only through `index` and never sorts.
fn assert_reads_in_order(plan: &[String], index: &str) {
    let text = plan.join("\n");
    assert!(!text.contains("TEMP B-TREE"), "sorts:\n{text}");
    let table_steps: Vec<&String> = plan
        .iter()
        .filter(|l| l.starts_with("SCAN tickets") || l.starts_with("SEARCH tickets"))
        .collect();
    assert!(!table_steps.is_empty(), "no step reads tickets:\n{text}");
    for step in table_steps {
        assert!(
            step.contains(&format!("INDEX {index}")),
            "not through {index}:\n{text}"
        );
    }
}

#[tokio::test]
async fn the_dashboard_reads_the_queue_index_in_order() {
    let (_dir, store) = populated().await;
    let mut q = TicketQuery {
        filter: TicketFilter {
            statuses: Status::ACTIVE.to_vec(),
            ..TicketFilter::default()
        },
        order: TicketOrder::Queue,
        after: None,
        limit: 25,
    };
    let first = store.explain_tickets(&q).await.unwrap();
    println!("dashboard, first page: {first:?}");
    assert_reads_in_order(&first, "tickets_queue");

    let page = store.tickets(&q).await.unwrap();
    q.after = page.last().map(TicketKey::of);
    let next = store.explain_tickets(&q).await.unwrap();
    println!("dashboard, next page: {next:?}");
    assert_reads_in_order(&next, "tickets_queue");
    // The keyset seeks into the index rather than scanning it from the start.
    assert!(
        next.iter().any(|l| l.starts_with("SEARCH tickets")),
        "{next:?}"
    );

    // A subset of the active statuses still qualifies for the partial index.
    q.filter.statuses = vec![Status::Open];
    q.after = None;
    assert_reads_in_order(&store.explain_tickets(&q).await.unwrap(), "tickets_queue");
}

#[tokio::test]
async fn an_employees_list_reads_the_activity_index_in_order() {
    let (_dir, store) = populated().await;
    let mut q = TicketQuery {
        filter: TicketFilter {
            employee_id: Some(UserId(3)),
            ..TicketFilter::default()
        },
        order: TicketOrder::Activity,
        after: None,
        limit: 25,
    };
    let first = store.explain_tickets(&q).await.unwrap();
    println!("employee list, first page: {first:?}");
    assert_reads_in_order(&first, "tickets_by_employee_activity");

    let page = store.tickets(&q).await.unwrap();
    assert!(!page.is_empty());
    q.after = page.get(page.len() / 2).map(TicketKey::of);
    let next = store.explain_tickets(&q).await.unwrap();
    println!("employee list, next page: {next:?}");
    assert_reads_in_order(&next, "tickets_by_employee_activity");
}

#[tokio::test]
async fn the_newest_list_needs_no_sort() {
    let (_dir, store) = populated().await;
    let q = TicketQuery {
        filter: TicketFilter::default(),
        order: TicketOrder::Newest,
        after: None,
        limit: 25,
    };
    let plan = store.explain_tickets(&q).await.unwrap();
    println!("newest: {plan:?}");
    assert!(!plan.join("\n").contains("TEMP B-TREE"), "{plan:?}");
}

#[tokio::test]
async fn filtered_staff_lists_need_no_sort() {
    let (_dir, store) = populated().await;
    let filters = [
        TicketFilter {
            statuses: vec![Status::Pending],
            ..TicketFilter::default()
        },
        TicketFilter {
            category: Some(support_core::Category::It),
            ..TicketFilter::default()
        },
        TicketFilter {
            assigned_to: Some(None),
            ..TicketFilter::default()
        },
        TicketFilter {
            priority: Some(support_core::Priority::High),
            ..TicketFilter::default()
        },
        TicketFilter {
            statuses: vec![Status::Pending],
            category: Some(support_core::Category::It),
            assigned_to: Some(Some(UserId(2))),
            ..TicketFilter::default()
        },
    ];
    for filter in filters {
        let q = TicketQuery {
            filter: filter.clone(),
            order: TicketOrder::Newest,
            after: None,
            limit: 26,
        };
        let plan = store.explain_tickets(&q).await.unwrap();
        println!("{filter:?}: {plan:?}");
        let text = plan.join("\n");
        assert!(!text.contains("TEMP B-TREE"), "{filter:?} sorts:\n{text}");
        assert!(
            text.contains("USING") && text.contains("INDEX"),
            "{filter:?} scans the table:\n{text}"
        );
    }
}

#[tokio::test]
async fn ticket_summaries_read_messages_through_their_tickets_indexes() {
    let (_dir, store) = populated().await;
    let ids: Vec<support_core::TicketId> = (1..=25).map(support_core::TicketId).collect();
    for include_internal in [false, true] {
        let plan = store
            .explain_ticket_summaries(&ids, UserId(201), include_internal)
            .await
            .unwrap();
        let text = plan.join("\n");
        // Only the list of asked ids is scanned; every table is searched by key or index.
        for step in plan.iter().filter(|l| l.starts_with("SCAN")) {
            assert!(step.starts_with("SCAN json_each"), "a scan:\n{text}");
        }
        for index in [
            "messages_public_by_side (ticket_id=? AND author_type=?",
            "messages_by_ticket (ticket_id=? AND id>?)",
            "t USING INTEGER PRIMARY KEY",
        ] {
            assert!(text.contains(index), "not through {index}:\n{text}");
        }
    }
}
