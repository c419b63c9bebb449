//! Plain appends that arrive together are written by one statement: each caller still gets its
//! own message back, and a message for a missing ticket fails alone.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::*;
use support_core::store::{MessagePosition, MessageQuery, SupportStore};
use support_core::{Error, TicketId, time};
use support_store_sqlite::SqliteStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_each_get_their_own_message_and_a_bad_one_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        SqliteStore::open(&url(dir.path(), "batch.db"))
            .await
            .unwrap(),
    );
    let mut tickets = Vec::new();
    for i in 0..4 {
        tickets.push(
            store
                .create_ticket(&simple_ticket(i, "batch"))
                .await
                .unwrap()
                .into_inner()
                .0
                .id,
        );
    }
    let missing = TicketId(999);
    for round in 0..20 {
        let mut tasks = Vec::new();
        for i in 0..48usize {
            let store = store.clone();
            let ticket = if i == 17 {
                missing
            } else {
                tickets[i % tickets.len()]
            };
            let text = format!("round {round} message {i} x{}", "é".repeat(i));
            tasks.push(tokio::spawn(async move {
                let r = store
                    .append_message(&message(ticket, 1, &text, time::now()))
                    .await;
                (ticket, text, r)
            }));
        }
        for task in tasks {
            let (ticket, text, result) = task.await.unwrap();
            match result {
                Ok(created) => {
                    let m = created.into_inner();
                    assert_eq!((m.ticket_id, m.content.as_str()), (ticket, text.as_str()));
                    let q = MessageQuery {
                        ticket_id: ticket,
                        position: MessagePosition::After(support_core::MessageId(m.id.0 - 1)),
                        limit: 1,
                        include_internal: true,
                    };
                    assert_eq!(
                        store.messages(&q).await.unwrap(),
                        vec![m],
                        "stored as answered"
                    );
                }
                Err(Error::NotFound) => assert_eq!(ticket, missing),
                Err(e) => panic!("{e:?}"),
            }
        }
    }
    // 48 messages a round over 4 tickets, 12 each, less the one sent to the missing ticket
    // in place of ticket 1's.
    for (k, t) in tickets.iter().enumerate() {
        let q = MessageQuery {
            ticket_id: *t,
            position: MessagePosition::After(support_core::MessageId(0)),
            limit: 1000,
            include_internal: true,
        };
        let expected = 20 * if k == 17 % 4 { 11 } else { 12 };
        assert_eq!(
            store.messages(&q).await.unwrap().len(),
            expected,
            "ticket {k}"
        );
    }
}
