//! Plain appends that arrive together are written by one statement: each caller still gets its
//! own message back, and a message for a missing ticket fails alone.

mod common;

use std::sync::Arc;

use common::*;
use support_core::testing::group_commit;
use support_store_sqlite::SqliteStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_each_get_their_own_message_and_a_bad_one_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        SqliteStore::open(&url(dir.path(), "batch.db"))
            .await
            .unwrap(),
    );
    group_commit::concurrent_appends_each_get_their_own_message(store).await;
}
