//! Durability checks a store's own tests run: what was acknowledged is there after the store
//! is dropped and opened again, and after the writing process is killed with SIGKILL.
//!
//! The kill test needs a child process that writes. It is the test binary itself, running one
//! ignored test ([`child_writer`]) chosen by [`kill_9_after_commits`]:
//!
//! ```ignore
//! const CHILD_ENV: &str = "MY_STORE_KILL_CHILD_URL";
//!
//! #[tokio::test]
//! #[ignore = "the child process of commits_survive_kill_9, which runs it"]
//! async fn child_writer_for_kill_test() {
//!     if let Ok(url) = std::env::var(CHILD_ENV) {
//!         durability::child_writer(MyStore::open(&url).await.unwrap()).await;
//!     }
//! }
//!
//! #[tokio::test]
//! async fn commits_survive_kill_9() {
//!     let url = fresh_database_url();
//!     let acknowledged = durability::kill_9_after_commits("child_writer_for_kill_test", CHILD_ENV, &url);
//!     durability::assert_stored(&MyStore::open(&url).await.unwrap(), &acknowledged).await;
//! }
//! ```

use std::future::Future;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::drafts::{at, author, message, simple_ticket};
use crate::store::{MessagePosition, MessageQuery, SupportStore, TicketChange};
use crate::{Status, Ticket, TicketId, TicketPatch};

/// How many acknowledged writes the kill test waits for before it kills the child.
pub const ACKNOWLEDGED: usize = 50;

/// Writes a ticket, a message and a change through a store from `open`, drops the store
/// without closing it, opens another and checks that all of it is there, with the stats.
/// Returns the new store and the ticket as last written, for checks of the store's own.
pub async fn survives_reopening<S, F, Fut>(open: F) -> (S, Ticket)
where
    S: SupportStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    let (ticket, note, trail) = {
        let store = open().await;
        let (t, _) = store
            .create_ticket(&simple_ticket(3, "keep me"))
            .await
            .unwrap()
            .into_inner();
        let m = store
            .append_message(&message(t.id, 3, "still here?", at(5)))
            .await
            .unwrap()
            .into_message();
        let change = TicketChange {
            patch: TicketPatch {
                status: Some(Status::InProgress),
                ..TicketPatch::default()
            },
            author: author(9),
            idempotency_key: None,
            expected_version: None,
            at: at(6),
            sla: Default::default(),
        };
        let updated = store
            .update_ticket(t.id, &change)
            .await
            .unwrap()
            .unwrap()
            .after;
        let trail = store.audit_trail(t.id).await.unwrap();
        // Dropped without closing: nothing may depend on a clean shutdown.
        (updated, m, trail)
    };

    let store = open().await;
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
    (store, ticket)
}

/// The child of [`kill_9_after_commits`]: writes tickets until it is killed, printing
/// `committed {id}` once each `create_ticket` has returned (that is, after the commit).
/// Bounded in count and time, so it also stops by itself should its parent disappear.
pub async fn child_writer(store: impl SupportStore) {
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

/// Runs the ignored test `child_test` of this test binary with `env` set to `url`, reads the
/// ids it acknowledges, and kills it with SIGKILL after [`ACKNOWLEDGED`] of them: no
/// destructor, no close, possibly a write in flight. Returns the acknowledged ids.
pub fn kill_9_after_commits(child_test: &str, env: &str, url: &str) -> Vec<TicketId> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            child_test,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(env, url)
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
            if acknowledged.len() == ACKNOWLEDGED {
                break;
            }
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        acknowledged.len(),
        ACKNOWLEDGED,
        "the child stopped writing early"
    );
    acknowledged
}

/// Every acknowledged ticket is in the store.
pub async fn assert_stored(store: &impl SupportStore, acknowledged: &[TicketId]) {
    for id in acknowledged {
        assert!(
            store.ticket(*id).await.unwrap().is_some(),
            "acknowledged ticket {id} lost"
        );
    }
}
