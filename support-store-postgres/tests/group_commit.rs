//! Plain appends that arrive together are written by one call and committed together: each
//! caller still gets its own message back, as stored, a message for a missing ticket fails
//! alone, and every ticket records the time of its latest message.

mod common;

use std::sync::Arc;

use common::*;
use sqlx::Row;
use support_core::store::{MessagePosition, MessageQuery, SupportStore, TicketChange};
use support_core::testing::group_commit;
use support_core::{Error, Status, TicketId, TicketPatch, time};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn concurrent_appends_are_committed_together_and_a_bad_one_fails_alone() {
    let db = TestDb::create().await;
    let store = db.store().await;
    let tickets =
        group_commit::concurrent_appends_each_get_their_own_message(Arc::new(store.clone())).await;
    for (k, (t, all)) in tickets.iter().enumerate() {
        let latest = all.last().unwrap();
        let ticket = store.ticket(*t).await.unwrap().unwrap();
        assert_eq!(
            ticket.updated_at, latest.created_at,
            "ticket {k}'s activity"
        );
    }

    // Messages committed together share their transaction id: batches did form.
    let mut raw = db.raw().await;
    let row =
        sqlx::query("SELECT count(*) AS n, count(DISTINCT xmin::text) AS commits FROM messages")
            .fetch_one(&mut raw)
            .await
            .unwrap();
    let (n, commits): (i64, i64) = (row.get("n"), row.get("commits"));
    println!("{n} messages in {commits} commits");
    let expected = group_commit::ROUNDS * (group_commit::PER_ROUND - 1);
    assert_eq!(n, i64::try_from(expected).unwrap());
    assert!(commits < n, "no two appends were committed together");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn a_message_the_database_refuses_fails_alone_in_its_batch() {
    let db = TestDb::create().await;
    let store = db.store().await;
    let (t, _) = store
        .create_ticket(&simple_ticket(1, "batch"))
        .await
        .unwrap()
        .into_inner();
    // 6000 BC: chrono holds it, Postgres' timestamps start at 4713 BC.
    let too_early = time::from_micros(-250_000_000_000_000_000).unwrap();
    for round in 0..5 {
        let mut tasks = Vec::new();
        for i in 0..32 {
            let store = store.clone();
            let at = if i == 7 { too_early } else { time::now() };
            tasks.push(tokio::spawn(async move {
                let text = format!("round {round} message {i}");
                (i, store.append_message(&message(t.id, 1, &text, at)).await)
            }));
        }
        for task in tasks {
            match task.await.unwrap() {
                (7, result) => assert!(matches!(result, Err(Error::Backend(_))), "{result:?}"),
                (i, result) => assert!(result.is_ok(), "message {i}: {result:?}"),
            }
        }
    }
    let q = MessageQuery {
        ticket_id: t.id,
        position: MessagePosition::Latest,
        limit: 1000,
        include_internal: true,
    };
    assert_eq!(store.messages(&q).await.unwrap().len(), 5 * 31);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn coalesced_lookups_each_get_their_ticket_and_see_earlier_writes() {
    let db = TestDb::create().await;
    let store = db.store().await;
    let mut tickets = Vec::new();
    for i in 0..10 {
        let (t, _) = store
            .create_ticket(&simple_ticket(i, &format!("ticket {i}")))
            .await
            .unwrap()
            .into_inner();
        tickets.push(t);
    }
    let mut tasks = Vec::new();
    for i in 0..300usize {
        let (store, tickets) = (store.clone(), tickets.clone());
        tasks.push(tokio::spawn(async move {
            if i % 7 == 0 {
                assert_eq!(store.ticket(TicketId(999_999)).await.unwrap(), None);
                return;
            }
            let t = &tickets[i % tickets.len()];
            let read = store.ticket(t.id).await.unwrap().unwrap();
            assert_eq!(read.subject, t.subject);
            if i % 5 == 0 {
                // A write, then a read by the same caller: the read is answered by a query
                // that started after the write committed, whatever batch it joined.
                let (mine, _) = store
                    .create_ticket(&simple_ticket(7, &format!("mine {i}")))
                    .await
                    .unwrap()
                    .into_inner();
                assert_eq!(store.ticket(mine.id).await.unwrap(), Some(mine.clone()));
                let change = TicketChange {
                    patch: TicketPatch {
                        status: Some(Status::Pending),
                        ..TicketPatch::default()
                    },
                    author: author(9),
                    idempotency_key: None,
                    expected_version: None,
                    at: time::now(),
                    sla: Default::default(),
                };
                store.update_ticket(mine.id, &change).await.unwrap();
                let after = store.ticket(mine.id).await.unwrap().unwrap();
                assert_eq!(after.status, Status::Pending, "a stale read");
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
}
