//! support-core's conformance suite, model check, session and user store suites against the machine's
//! PostgreSQL, each case in a database of its own that is dropped afterwards, so the cases run
//! in parallel.

mod common;

support_core::conformance_suite!(
    #[cfg_attr(
        no_postgres,
        ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
    )]
    async {
        common::fresh_store().await
    }
);

#[test]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
fn postgres_store_matches_the_model() {
    support_core::testing::model::check(common::fresh_store, 32);
}

#[test]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
fn postgres_store_searches_within_scope() {
    support_core::testing::search::check(common::fresh_store, 12);
}

support_core::session_conformance_suite!(
    #[cfg_attr(
        no_postgres,
        ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
    )]
    async {
        common::fresh_store().await
    }
);

support_core::user_conformance_suite!(
    #[cfg_attr(
        no_postgres,
        ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
    )]
    async {
        common::fresh_store().await
    }
);
