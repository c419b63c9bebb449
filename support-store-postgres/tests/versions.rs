//! The version check of a ticket change is a compare-and-set in the database: two server
//! processes (two stores, each with its own pool) changing one ticket from the same version
//! at the same moment never both succeed.

mod common;

use common::*;
use support_core::store::{SupportStore, TicketChange};
use support_core::{Change, Error, Priority, Status, TicketPatch, time};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn of_two_nodes_changing_one_version_exactly_one_succeeds() {
    let db = TestDb::create().await;
    let (one, two) = (db.store().await, db.store().await);
    let t = one
        .create_ticket(&simple_ticket(1, "contended"))
        .await
        .unwrap()
        .into_inner()
        .0;
    let change = |by: i64, priority: Priority, version: i64| TicketChange {
        patch: TicketPatch {
            priority: Some(priority),
            ..TicketPatch::default()
        },
        author: author(by),
        idempotency_key: None,
        expected_version: Some(version),
        at: time::now(),
        sla: Default::default(),
    };
    let mut priority = t.priority;
    for (round, version) in (0..8).zip(1_i64..) {
        let (a, b) = if round % 2 == 0 {
            (Priority::High, Priority::Urgent)
        } else {
            (Priority::Low, Priority::Medium)
        };
        let (ca, cb) = (change(11, a, version), change(12, b, version));
        let (ra, rb) = tokio::join!(one.update_ticket(t.id, &ca), two.update_ticket(t.id, &cb));
        let (won, lost, wanted) = match (ra, rb) {
            (Ok(Some(u)), Err(Error::Stale(now))) => (u, now, a),
            (Err(Error::Stale(now)), Ok(Some(u))) => (u, now, b),
            other => panic!("round {round}: exactly one must apply, got {other:?}"),
        };
        assert_eq!(won.after.version, version + 1, "round {round}");
        assert_eq!(won.after.priority, wanted);
        assert_eq!(
            won.changes,
            vec![Change::Priority {
                before: priority,
                after: wanted
            }]
        );
        assert_eq!(
            *lost, won.after,
            "round {round}: the loser is told the ticket now"
        );
        let stored = two.ticket(t.id).await.unwrap().unwrap();
        assert_eq!(stored, won.after);
        priority = wanted;
    }
    let trail = one.audit_trail(t.id).await.unwrap();
    assert_eq!(trail.len(), 1 + 8, "the creation and one entry per round");
    assert_eq!(
        one.ticket(t.id).await.unwrap().unwrap().status,
        Status::Open
    );
}
