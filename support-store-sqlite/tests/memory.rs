//! `sqlite::memory:`: one database per store, seen by every read and write of that store.

mod common;

use std::sync::Arc;

use common::*;
use support_core::store::{MessagePosition, MessageQuery, SupportStore, TicketOrder, TicketQuery};
use support_core::{Status, TicketFilter};
use support_store_sqlite::SqliteStore;
use tokio::time::timeout;

fn all_open() -> TicketQuery {
    TicketQuery {
        filter: TicketFilter {
            statuses: vec![Status::Open],
            ..TicketFilter::default()
        },
        order: TicketOrder::Newest,
        after: None,
        limit: 1000,
    }
}

#[tokio::test]
async fn a_memory_store_reads_back_what_it_wrote() {
    let store = SqliteStore::open("sqlite::memory:").await.unwrap();
    let (t, _) = store
        .create_ticket(&simple_ticket(7, "in memory"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(store.ticket(t.id).await.unwrap(), Some(t.clone()));
    assert_eq!(store.tickets(&all_open()).await.unwrap(), vec![t]);
    assert_eq!(store.stats().await.unwrap().open, 1);

    // Each memory URL opens its own database.
    let other = SqliteStore::open("sqlite::memory:").await.unwrap();
    assert_eq!(other.stats().await.unwrap().open, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_tasks_share_one_memory_database() {
    let store = Arc::new(SqliteStore::open("sqlite::memory:").await.unwrap());
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let (t, _) = store
                    .create_ticket(&simple_ticket(i, &format!("task {i}")))
                    .await
                    .unwrap()
                    .into_inner();
                store
                    .append_message(&message(t.id, i, "hello", support_core::time::now()))
                    .await
                    .unwrap();
                // Read back at once, from whichever connection serves reads.
                assert_eq!(
                    store.ticket(t.id).await.unwrap().unwrap().subject,
                    format!("task {i}")
                );
                let page = MessageQuery {
                    ticket_id: t.id,
                    position: MessagePosition::Latest,
                    limit: 5,
                    include_internal: false,
                };
                assert_eq!(store.messages(&page).await.unwrap().len(), 1);
            })
        })
        .collect();
    for task in tasks {
        timeout(BOUND, task).await.expect("task hung").unwrap();
    }
    assert_eq!(store.stats().await.unwrap().open, 32);
    assert_eq!(store.tickets(&all_open()).await.unwrap().len(), 32);
}
