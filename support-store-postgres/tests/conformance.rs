//! support-core's conformance suite and model check against the machine's PostgreSQL, each
//! case in a database of its own that is dropped afterwards, so the cases run in parallel.

mod common;

// Every case's store. When Postgres is unreachable (and `CI` is unset), `require_postgres`
// has printed the skip notice and the `return` ends the case early: the macro evaluates this
// block inside the case's async body.
support_core::conformance_suite!({
    let Some(store) = common::fresh_store().await else {
        return;
    };
    std::future::ready(store)
});

#[test]
fn postgres_store_matches_the_model() {
    if common::require_postgres().is_none() {
        return;
    }
    support_core::testing::model::check(
        || async { common::fresh_store().await.expect("checked above") },
        32,
    );
}
