//! What was committed is still there after the store goes away: dropped, or killed outright.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use support_core::store::{MessagePosition, MessageQuery, SupportStore, TicketChange};
use support_core::{Status, TicketId, TicketPatch};
use support_store_sqlite::SqliteStore;

#[tokio::test]
async fn data_survives_dropping_and_reopening_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let url = url(dir.path(), "durable.db");
    let (ticket, note, trail) = {
        let store = SqliteStore::open(&url).await.unwrap();
        let (t, _) = store
            .create_ticket(&simple_ticket(3, "keep me"))
            .await
            .unwrap()
            .into_inner();
        let m = store
            .append_message(&message(t.id, 3, "still here?", common::at(5)))
            .await
            .unwrap()
            .into_inner();
        let patch = TicketPatch {
            status: Some(Status::InProgress),
            ..TicketPatch::default()
        };
        let change = TicketChange {
            patch,
            author: author(9),
            idempotency_key: None,
            at: common::at(6),
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

    let store = SqliteStore::open(&url).await.unwrap();
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
    // Ids continue after the stored ones.
    let (next, _) = store
        .create_ticket(&simple_ticket(3, "next"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(next.id, TicketId(ticket.id.get() + 1));
}

const CHILD_ENV: &str = "SUPPORT_STORE_SQLITE_KILL_CHILD_URL";

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
    let store = SqliteStore::open(&url).await.unwrap();
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

#[tokio::test]
async fn commits_survive_kill_9_of_the_writing_process() {
    let dir = tempfile::tempdir().unwrap();
    let url = url(dir.path(), "killed.db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_writer_for_kill_test",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &url)
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
    // SIGKILL: no destructor, no checkpoint, no close; the WAL is left as it was.
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(acknowledged.len(), 50, "the child stopped writing early");

    let store = SqliteStore::open(&url).await.unwrap();
    for id in acknowledged {
        assert!(
            store.ticket(id).await.unwrap().is_some(),
            "acknowledged ticket {id} lost"
        );
    }
}
