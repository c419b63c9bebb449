//! The contract cases, one `pub async fn` each, named for the behaviour they pin down and
//! grouped by theme in the files of this module. [`crate::conformance_suite!`] runs them all
//! against a store.
//!
//! The table in this file (`__conformance_cases!`) is the one list of cases: it re-exports
//! each case here, as `testing::cases::<case>`, and it is the list of `#[test]`s that
//! `conformance_suite!` expands into. A case missing from the table does not compile: the
//! theme modules are private and `dead_code` is denied, so an unlisted case is an unused
//! function.

#![deny(dead_code)]

use std::sync::Arc;

use super::Fixture;
use crate::store::{SupportStore, TicketFilter};
use crate::*;

mod archive;
mod attachments;
mod audit;
mod canned;
mod confidentiality;
mod events;
mod idempotency;
mod messages;
mod missing;
mod queues;
mod reactions;
mod reads;
mod reopening;
mod reports;
mod search;
mod sla;
mod stats;
mod tickets;
mod updates;
mod versions;

crate::__conformance_cases!(reexport);

type Store = Arc<dyn SupportStore>;

// `ctx_key`, `status` and `is_not_found` also serve the unit tests of the policy and the service.

pub(crate) fn ctx_key(key: &str) -> WriteContext {
    WriteContext {
        idempotency_key: Some(key.parse().unwrap()),
        socket_id: None,
    }
}

pub(crate) fn status(s: Status) -> TicketPatch {
    TicketPatch {
        status: Some(s),
        ..TicketPatch::default()
    }
}

fn ids(tickets: &[Ticket]) -> Vec<TicketId> {
    tickets.iter().map(|t| t.id).collect()
}

pub(crate) fn is_not_found<T: std::fmt::Debug>(r: Result<T>) -> bool {
    matches!(r, Err(Error::NotFound))
}

/// The table of cases, theme by theme, and what is generated from it. Internal to
/// `conformance_suite!` and to this module.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_cases {
    // `conformance_suite!`: a module `conformance` with one `#[test]` per case, each carrying
    // the caller's attributes and building a fresh store from the caller's expression.
    (@emit [tests $attrs:tt $make:expr] $($theme:ident: [$($case:ident),+ $(,)?])+) => {
        mod conformance {
            #[allow(unused_imports)]
            use super::*;
            $($(
                $crate::__conformance_cases!(@test $attrs $make; $case);
            )+)+
        }
    };
    (@test [$($attr:tt)*] $make:expr; $case:ident) => {
        $($attr)*
        #[test]
        fn $case() {
            $crate::testing::run(async {
                let store = $make.await;
                $crate::testing::cases::$case(::std::sync::Arc::new(store)).await;
            });
        }
    };
    // `testing::cases`: every case re-exported from its theme's module, and the names.
    (@emit [reexport] $($theme:ident: [$($case:ident),+ $(,)?])+) => {
        $(pub use self::$theme::{$($case),+};)+

        /// Every case, as `(theme, case)`, in the table's order.
        pub const ALL: &[(&str, &str)] = &[$($((stringify!($theme), stringify!($case)),)+)+];
    };
    // The table. A new case goes under its theme here and in the theme's file.
    ($($mode:tt)*) => {
        $crate::__conformance_cases!(@emit [$($mode)*]
            tickets: [
                create_ticket_stores_fields_opens_and_numbers_it,
                ticket_numbers_are_unique_under_concurrent_creation,
                quick_chat_creates_ticket_with_its_first_message,
            ]
            idempotency: [
                create_ticket_is_idempotent_by_key,
                idempotency_key_reused_for_a_different_request_conflicts,
                idempotency_keys_are_scoped_per_user,
                concurrent_retries_with_one_key_store_once,
                quick_chat_is_idempotent_by_key,
                append_is_idempotent_by_key,
                update_is_idempotent_by_key,
                update_key_reused_for_a_different_request_conflicts,
                concurrent_update_retries_with_one_key_apply_once,
            ]
            messages: [
                message_ids_grow_in_posting_order,
                messages_after_returns_strictly_newer_in_order,
                messages_before_returns_older_history_in_order,
                ticket_view_holds_the_newest_page_and_says_if_older_exist,
                poller_sees_every_message_exactly_once_while_8_writers_append,
                multibyte_content_of_2000_characters_round_trips_unchanged,
                message_positions_at_the_ends_of_the_id_range_are_ordinary,
                control_characters_are_refused_on_the_field_sent_and_line_breaks_kept,
            ]
            confidentiality: [
                internal_notes_are_absent_from_every_employee_read,
                staff_see_internal_notes_marked_internal,
                employee_lists_only_own_tickets,
            ]
            queues: [
                dashboard_puts_urgent_first_then_longest_waiting,
                dashboard_leaves_out_resolved_and_closed,
                list_filters_by_status_priority_and_category,
                list_filters_by_assignee_and_unassigned,
                list_text_query_matches_subject_description_and_number,
                pagination_is_stable_while_tickets_are_inserted,
                queue_pagination_visits_every_active_ticket_once,
                own_list_orders_by_latest_activity,
            ]
            updates: [
                resolving_sets_resolved_at_and_reopening_clears_it,
                assignment_only_to_existing_staff,
                updates_record_audit_entries_with_before_and_after,
                an_update_that_changes_nothing_records_and_sends_nothing,
                concurrent_updates_lose_no_change,
            ]
            reopening: [
                an_employee_reply_reopens_a_resolved_or_closed_ticket,
                only_an_employee_reply_on_a_finished_ticket_reopens_it,
                a_replayed_reply_reopens_nothing_twice,
                replies_racing_resolves_always_leave_a_consistent_trail,
            ]
            versions: [
                a_stale_version_is_refused_and_writes_nothing,
                versions_count_changes_of_the_ticket_not_its_messages,
            ]
            missing: [
                writes_to_a_missing_ticket_are_not_found,
                reads_of_unknown_ids_are_empty,
            ]
            sla: [
                due_times_start_from_the_priority_and_move_with_it,
                pending_pauses_the_resolution_clock_to_the_microsecond,
                first_response_is_the_first_public_staff_message,
                breaches_are_marked_once_due_first,
            ]
            reports: [
                report_figures_are_exact_for_every_grouping,
            ]
            stats: [
                stats_equal_a_recount_after_mixed_operations,
                stats_count_urgent_only_while_open_or_in_progress,
            ]
            reads: [
                read_positions_only_move_forward,
                read_positions_are_kept_per_user_and_per_ticket,
                unread_counts_and_previews_leave_internal_notes_out_for_employees,
                own_messages_are_never_unread,
                previews_keep_the_first_200_characters,
                waiting_since_is_the_oldest_unanswered_employee_message,
                summaries_cover_every_ticket_asked_for_and_no_other,
                read_state_of_an_unknown_ticket,
                reading_tells_the_ticket_channel_only_public_positions,
            ]
            reactions: [
                reactions_toggle_per_user_and_are_counted_per_emoji,
                reactions_belong_to_their_message_and_ticket,
                one_user_may_put_only_so_many_emoji_on_a_message,
                concurrent_reactions_lose_no_count,
                reactions_on_notes_stay_with_staff,
            ]
            canned: [
                personal_canned_responses_are_visible_to_their_owner_only,
                a_shortcut_is_unique_per_owner_and_among_shared_ones,
                updating_a_canned_response_replaces_its_fields_and_keeps_id_and_creation,
                a_deleted_canned_response_is_gone,
                ticket_templates_are_created_listed_updated_and_deleted,
            ]
            attachments: [
                uploads_are_linked_to_their_message_in_its_append,
                an_upload_is_linked_at_most_once,
                a_retried_message_with_attachments_answers_the_first,
                only_the_uploaders_fresh_upload_of_the_same_ticket_can_be_attached,
                downloads_follow_the_message_and_unattached_ones_only_their_uploader,
                unattached_uploads_are_listed_and_deleted_attached_ones_kept,
                content_is_kept_while_any_upload_uses_it,
            ]
            audit: [
                every_ticket_action_is_recorded_with_who_and_where,
                a_quick_chat_records_its_ticket_and_first_message,
                the_audit_log_filters_and_pages_newest_first,
                only_staff_read_a_tickets_history_and_only_admins_the_log,
            ]
            archive: [
                archiving_takes_only_closed_tickets_idle_before_the_cutoff,
                concurrent_archiving_runs_archive_each_ticket_once,
                archived_tickets_leave_lists_and_search_but_stay_readable_by_id,
                leaving_closed_takes_a_ticket_out_of_the_archive,
                only_admins_or_the_server_archive,
            ]
            search: [
                search_finds_subjects_descriptions_and_messages_but_employees_only_their_public_text,
                search_ranks_the_better_match_first,
                search_pages_neither_repeat_nor_skip,
                hostile_search_text_answers_hits_or_none,
                search_hits_say_which_messages_are_internal_notes,
                search_ranks_only_the_newest_matches_of_each_kind,
            ]
            events: [
                events_follow_the_commit_and_carry_stored_ids,
                internal_notes_are_broadcast_only_to_staff,
                creation_and_status_changes_broadcast_stats,
            ]
        );
    };
}

#[cfg(test)]
mod tests {
    /// Every file in `cases/` is a theme of the table: a theme file without its `mod` line
    /// would hold cases that never compile, let alone run.
    #[test]
    fn every_case_file_is_a_theme_of_the_table() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/testing/cases");
        let themes: std::collections::BTreeSet<_> = super::ALL.iter().map(|(t, _)| *t).collect();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
            if path.extension().is_some_and(|e| e == "rs") && stem != "mod" {
                assert!(
                    themes.contains(stem.as_str()),
                    "{} is not a theme of the table in cases/mod.rs",
                    path.display()
                );
            }
        }
    }
}
