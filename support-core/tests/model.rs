//! Random operation sequences against the service over the memory store and against a plain
//! model: what each role sees, and the stats, agree after every step.

#[test]
fn memory_store_matches_the_model() {
    support_core::testing::model::check(|| async { support_core::MemoryStore::new() }, 256);
}

#[test]
fn memory_store_searches_within_scope() {
    support_core::testing::search::check(|| async { support_core::MemoryStore::new() }, 64);
}
