//! What was committed is still there after the store goes away: dropped, or killed outright.

mod common;

use common::*;
use support_core::TicketId;
use support_core::store::SupportStore;
use support_core::testing::durability;
use support_store_sqlite::SqliteStore;

#[tokio::test]
async fn data_survives_dropping_and_reopening_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let url = url(dir.path(), "durable.db");
    let (store, ticket) =
        durability::survives_reopening(|| async { SqliteStore::open(&url).await.unwrap() }).await;
    // Ids continue after the stored ones.
    let (next, _) = store
        .create_ticket(&simple_ticket(3, "next"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(next.id, TicketId(ticket.id.get() + 1));
}

const CHILD_ENV: &str = "SUPPORT_STORE_SQLITE_KILL_CHILD_URL";

/// Not a test on its own: the child process of the kill test, which runs it with `--ignored`
/// (see `support_core::testing::durability`).
#[tokio::test]
#[ignore = "the child process of commits_survive_kill_9_of_the_writing_process, which runs it"]
async fn child_writer_for_kill_test() {
    let Ok(url) = std::env::var(CHILD_ENV) else {
        return;
    };
    durability::child_writer(SqliteStore::open(&url).await.unwrap()).await;
}

#[tokio::test]
async fn commits_survive_kill_9_of_the_writing_process() {
    let dir = tempfile::tempdir().unwrap();
    let url = url(dir.path(), "killed.db");
    // SIGKILL: no destructor, no checkpoint, no close; the WAL is left as it was.
    let acknowledged =
        durability::kill_9_after_commits("child_writer_for_kill_test", CHILD_ENV, &url);
    let store = SqliteStore::open(&url).await.unwrap();
    durability::assert_stored(&store, &acknowledged).await;
}
