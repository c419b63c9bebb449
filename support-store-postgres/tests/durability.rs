//! What was acknowledged is stored: after the store is dropped, and after the writing process
//! is killed outright.

mod common;

use common::*;
use support_core::testing::durability;
use support_store_postgres::PgStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn data_survives_dropping_and_reconnecting_the_store() {
    let db = TestDb::create().await;
    durability::survives_reopening(|| db.store()).await;
}

const CHILD_ENV: &str = "SUPPORT_STORE_POSTGRES_KILL_CHILD_URL";

/// Not a test on its own: the child process of the kill test, which runs it with `--ignored`
/// (see `support_core::testing::durability`).
#[tokio::test]
#[ignore = "the child process of commits_survive_kill_9_of_the_writing_process, which runs it"]
async fn child_writer_for_kill_test() {
    let Ok(url) = std::env::var(CHILD_ENV) else {
        return;
    };
    durability::child_writer(PgStore::connect(&url).await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn commits_survive_kill_9_of_the_writing_process() {
    let db = TestDb::create().await;
    // SIGKILL mid-write: no destructor, no close, possibly a statement in flight.
    let acknowledged =
        durability::kill_9_after_commits("child_writer_for_kill_test", CHILD_ENV, &db.url);
    durability::assert_stored(&db.store().await, &acknowledged).await;
}
