//! support-core's conformance suite and model check, and its session and user store suites, against a
//! fresh SQLite file per case and against `sqlite::memory:`.

// Setup helpers outside #[test] functions panic on failure like the tests themselves.
#![allow(clippy::unwrap_used)]

use support_core::testing::Guarded;
use support_store_sqlite::SqliteStore;

/// A store on a file in its own temporary directory, which is removed after the case. The
/// directory must outlive the store: readers open their connections lazily, by path.
async fn fresh_file() -> Guarded<SqliteStore, tempfile::TempDir> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("conformance.db").display());
    Guarded::new(SqliteStore::open(&url).await.unwrap(), dir)
}

support_core::conformance_suite!(file: fresh_file());
support_core::conformance_suite!(in_memory: async { SqliteStore::open("sqlite::memory:").await.unwrap() });

#[test]
fn file_store_matches_the_model() {
    support_core::testing::model::check(fresh_file, 32);
}

#[test]
fn memory_store_matches_the_model() {
    support_core::testing::model::check(
        || async { SqliteStore::open("sqlite::memory:").await.unwrap() },
        32,
    );
}

#[test]
fn file_store_searches_within_scope() {
    support_core::testing::search::check(fresh_file, 24);
}

support_core::session_conformance_suite!(file_sessions: fresh_file());
support_core::session_conformance_suite!(in_memory_sessions: async { SqliteStore::open("sqlite::memory:").await.unwrap() });

support_core::user_conformance_suite!(file_users: fresh_file());
support_core::user_conformance_suite!(in_memory_users: async { SqliteStore::open("sqlite::memory:").await.unwrap() });
