//! The conformance suite for [`SupportStore`](crate::SupportStore) adapters, and the fixtures
//! it uses.
//!
//! An adapter crate adds `support-core = { version = "…", features = ["testing"] }` to its
//! dev-dependencies and, in a test file:
//!
//! ```ignore
//! support_core::conformance_suite!(async { my_store::MyStore::connect_fresh().await.unwrap() });
//! ```
//!
//! The macro expands into a module `conformance` with one `#[test]` per case in [`cases`],
//! each building a fresh store from the expression (it is evaluated once per case, so give
//! every case its own database), so `cargo test conformance` runs exactly the suite and a
//! failure names the case. Several suites in one file take a name each:
//! `conformance_suite!(in_memory: async { … })` expands into `in_memory::conformance`.
//! Attributes before either form apply to every generated test, for instance to ignore the
//! suite where its database is missing:
//! `conformance_suite!(#[cfg_attr(no_mydb, ignore = "needs MyDb")] async { … })`, with `no_mydb`
//! set by a build script that finds no database.
//!
//! The cases drive the store through [`crate::SupportService`], so they check what users rely
//! on (ordering, idempotency, confidentiality, exact stats) rather than one call at a time.
//! [`model`] adds a property test that runs random operation sequences against a store and a
//! plain model and compares what each role sees.
//!
//! The suite needs no async runtime from the caller: each case runs on a fresh multi-threaded
//! tokio runtime (four workers, so concurrency cases really interleave).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

pub mod cases;
mod fixture;
pub mod model;

pub use fixture::Fixture;

use std::future::Future;

/// Runs a future to completion on a fresh multi-threaded runtime.
pub fn run<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(f)
}

/// Expands into the conformance suite for a store: see the [module docs](crate::testing).
#[macro_export]
macro_rules! conformance_suite {
    (@attrs [$($attrs:tt)*] #[$attr:meta] $($rest:tt)+) => {
        $crate::conformance_suite!(@attrs [$($attrs)* #[$attr]] $($rest)+);
    };
    ($(#[$attr:meta])* $name:ident : $make:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            $crate::conformance_suite!(@attrs [$(#[$attr])*] $make);
        }
    };
    (@attrs $attrs:tt $make:expr) => {
        $crate::__conformance_cases!($attrs $make;
            create_ticket_stores_fields_opens_and_numbers_it,
            ticket_numbers_are_unique_under_concurrent_creation,
            create_ticket_is_idempotent_by_key,
            idempotency_key_reused_for_a_different_request_conflicts,
            idempotency_keys_are_scoped_per_user,
            concurrent_retries_with_one_key_store_once,
            quick_chat_creates_ticket_with_its_first_message,
            quick_chat_is_idempotent_by_key,
            append_is_idempotent_by_key,
            message_ids_grow_in_posting_order,
            messages_after_returns_strictly_newer_in_order,
            messages_before_returns_older_history_in_order,
            ticket_view_holds_the_newest_page_and_says_if_older_exist,
            poller_sees_every_message_exactly_once_while_8_writers_append,
            multibyte_content_of_2000_characters_round_trips_unchanged,
            attachments_round_trip,
            internal_notes_are_absent_from_every_employee_read,
            staff_see_internal_notes_marked_internal,
            employee_cannot_write_internal_notes,
            employee_lists_only_own_tickets,
            another_employees_ticket_is_not_found_by_any_route,
            remembered_owners_decide_as_the_ticket_would,
            staff_operations_are_forbidden_to_employees,
            dashboard_puts_urgent_first_then_longest_waiting,
            dashboard_leaves_out_resolved_and_closed,
            list_filters_by_status_priority_and_category,
            list_filters_by_assignee_and_unassigned,
            list_text_query_matches_subject_description_and_number,
            pagination_is_stable_while_tickets_are_inserted,
            queue_pagination_visits_every_active_ticket_once,
            own_list_orders_by_latest_activity,
            resolving_sets_resolved_at_and_reopening_clears_it,
            assignment_only_to_existing_staff,
            updates_record_audit_entries_with_before_and_after,
            an_update_that_changes_nothing_records_and_sends_nothing,
            concurrent_updates_lose_no_change,
            writes_to_a_missing_ticket_are_not_found,
            reads_of_unknown_ids_are_empty,
            stats_equal_a_recount_after_mixed_operations,
            stats_count_urgent_only_while_open_or_in_progress,
            events_follow_the_commit_and_carry_stored_ids,
            chat_events_leave_out_the_sender_socket,
            internal_notes_are_broadcast_only_to_staff,
            creation_and_status_changes_broadcast_stats,
            channel_joins_follow_the_policy,
            bad_cursors_and_limits_are_rejected,
        );
    };
    ($($rest:tt)+) => {
        $crate::conformance_suite!(@attrs [] $($rest)+);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_cases {
    (@case [$(#[$attr:meta])*] $case:ident $make:expr) => {
        $(#[$attr])*
        #[test]
        fn $case() {
            $crate::testing::run(async {
                let store = $make.await;
                $crate::testing::cases::$case(::std::sync::Arc::new(store)).await;
            });
        }
    };
    ($attrs:tt $make:expr; $($case:ident),+ $(,)?) => {
        mod conformance {
            #[allow(unused_imports)]
            use super::*;
            $(
                $crate::__conformance_cases!(@case $attrs $case $make);
            )+
        }
    };
}

/// A store kept together with something that must outlive it, such as the temporary directory
/// holding its database file. It delegates every method to the store.
///
/// ```ignore
/// support_core::conformance_suite!(async {
///     let dir = tempfile::tempdir().unwrap();
///     let store = MyStore::open(dir.path().join("db")).await.unwrap();
///     support_core::testing::Guarded::new(store, dir)
/// });
/// ```
pub struct Guarded<S, G> {
    store: S,
    _guard: G,
}

impl<S, G> Guarded<S, G> {
    /// Keeps `guard` alive as long as `store`.
    pub fn new(store: S, guard: G) -> Self {
        Guarded {
            store,
            _guard: guard,
        }
    }
}

#[async_trait::async_trait]
impl<S: crate::SupportStore, G: Send + Sync + 'static> crate::SupportStore for Guarded<S, G> {
    async fn create_ticket(
        &self,
        d: &crate::store::TicketDraft,
    ) -> crate::Result<crate::store::Created<(crate::Ticket, Option<crate::Message>)>> {
        self.store.create_ticket(d).await
    }
    async fn ticket(&self, id: crate::TicketId) -> crate::Result<Option<crate::Ticket>> {
        self.store.ticket(id).await
    }
    async fn tickets(&self, q: &crate::store::TicketQuery) -> crate::Result<Vec<crate::Ticket>> {
        self.store.tickets(q).await
    }
    async fn update_ticket(
        &self,
        id: crate::TicketId,
        c: &crate::store::TicketChange,
    ) -> crate::Result<Option<crate::store::TicketUpdate>> {
        self.store.update_ticket(id, c).await
    }
    async fn append_message(
        &self,
        d: &crate::store::MessageDraft,
    ) -> crate::Result<crate::store::Created<crate::Message>> {
        self.store.append_message(d).await
    }
    async fn messages(&self, q: &crate::store::MessageQuery) -> crate::Result<Vec<crate::Message>> {
        self.store.messages(q).await
    }
    async fn stats(&self) -> crate::Result<crate::Stats> {
        self.store.stats().await
    }
    async fn audit_trail(&self, id: crate::TicketId) -> crate::Result<Vec<crate::AuditEntry>> {
        self.store.audit_trail(id).await
    }
    async fn ping(&self) -> crate::Result<()> {
        self.store.ping().await
    }
}
