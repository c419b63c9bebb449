//! What was acknowledged is stored: after the store is dropped, and after the writing process
//! is killed outright.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use support_core::store::{MessagePosition, MessageQuery, SupportStore, TicketChange};
use support_core::{Status, TicketId, TicketPatch};
use support_store_postgres::PgStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn data_survives_dropping_and_reconnecting_the_store() {
    let db = TestDb::create().await;
    let (ticket, note, trail) = {
        let store = db.store().await;
        let (t, _) = store
            .create_ticket(&simple_ticket(3, "keep me"))
            .await
            .unwrap()
            .into_inner();
        let m = store
            .append_message(&message(t.id, 3, "still here?", at(5)))
            .await
            .unwrap()
            .into_inner();
        let change = TicketChange {
            patch: TicketPatch {
                status: Some(Status::InProgress),
                ..TicketPatch::default()
            },
            author: author(9),
            at: at(6),
        };
        let updated = store
            .update_ticket(t.id, &change)
            .await
            .unwrap()
            .unwrap()
            .after;
        let trail = store.audit_trail(t.id).await.unwrap();
        // Dropped without `close`: nothing may depend on a clean shutdown.
        (updated, m, trail)
    };

    let store = db.store().await;
    assert_eq!(store.ticket(ticket.id).await.unwrap(), Some(ticket.clone()));
    let page = MessageQuery {
        ticket_id: ticket.id,
        position: MessagePosition::Latest,
        limit: 10,
        include_internal: true,
    };
    assert_eq!(store.messages(&page).await.unwrap(), vec![note]);
    assert_eq!(store.audit_trail(ticket.id).await.unwrap(), trail);
    assert_eq!(store.stats().await.unwrap().in_progress, 1);
}

const CHILD_ENV: &str = "SUPPORT_STORE_POSTGRES_KILL_CHILD_URL";

/// Not a test on its own: the child process of the kill test, which runs it with `--ignored`.
/// It writes tickets until it is killed, printing each id once `create_ticket` has returned
/// (that is, after the commit). Bounded in count and time, so it also stops by itself should
/// its parent disappear.
#[tokio::test]
#[ignore = "the child process of commits_survive_kill_9_of_the_writing_process, which runs it"]
async fn child_writer_for_kill_test() {
    let Ok(url) = std::env::var(CHILD_ENV) else {
        return;
    };
    let store = PgStore::connect(&url).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    for i in 0..100_000 {
        if Instant::now() > deadline {
            break;
        }
        let (t, _) = store
            .create_ticket(&simple_ticket(1, &format!("write {i}")))
            .await
            .unwrap()
            .into_inner();
        println!("committed {}", t.id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn commits_survive_kill_9_of_the_writing_process() {
    let db = TestDb::create().await;
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_writer_for_kill_test",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &db.url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut acknowledged = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        // libtest may print its "test … ..." prefix on the same line as the first id.
        if let Some((_, id)) = line.split_once("committed ") {
            acknowledged.push(TicketId(id.parse().unwrap()));
            if acknowledged.len() == 50 {
                break;
            }
        }
    }
    // SIGKILL mid-write: no destructor, no close, possibly a statement in flight.
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(acknowledged.len(), 50, "the child stopped writing early");

    let store = db.store().await;
    for id in acknowledged {
        assert!(
            store.ticket(id).await.unwrap().is_some(),
            "acknowledged ticket {id} lost"
        );
    }
}
