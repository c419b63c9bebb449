//! The whole contract, checked against the store written from scratch: each case on a fresh
//! file in a temporary directory that lives as long as the store.

#![allow(clippy::unwrap_used)]

use support_core::testing::Guarded;

async fn fresh() -> Guarded<custom_store::KvStore, tempfile::TempDir> {
    let dir = tempfile::tempdir().unwrap();
    let store = custom_store::KvStore::open(dir.path().join("support.redb")).unwrap();
    Guarded::new(store, dir)
}

support_core::conformance_suite!(fresh());

#[test]
fn kv_store_matches_the_model() {
    support_core::testing::model::check(fresh, 16);
}
support_core::session_conformance_suite!(fresh());
support_core::user_conformance_suite!(fresh());
