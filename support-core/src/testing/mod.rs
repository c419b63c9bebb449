//! The conformance suite for [`SupportStore`](crate::SupportStore) adapters, and the fixtures
//! it uses.
//!
//! # Running it against a store
//!
//! An adapter crate adds `support-core = { version = "…", features = ["testing"] }` to its
//! dev-dependencies and, in a test file:
//!
//! ```ignore
//! support_core::conformance_suite!(async { my_store::MyStore::connect_fresh().await.unwrap() });
//! ```
//!
//! The macro expands into a module `conformance` with one `#[test]` per case in [`cases`],
//! each building a fresh store from the expression (it is evaluated once per case, inside the
//! case's async body, so give every case its own database), so `cargo test conformance` runs
//! exactly the suite and a failure names the case (`conformance::<case>`). Several suites in
//! one file take a name each: `conformance_suite!(in_memory: async { … })` expands into
//! `in_memory::conformance`. Leading attributes go on every generated `#[test]`, in either
//! form:
//!
//! ```ignore
//! support_core::conformance_suite!(
//!     #[cfg_attr(no_pg, ignore = "needs PostgreSQL")] postgres: async { fresh_pg().await }
//! );
//! ```
//!
//! with `no_pg` set by a build script that finds no database (the workspace's own stores use
//! `test-prereqs` for that), so a suite that could not run shows as ignored, not passed.
//!
//! The cases drive the store through [`crate::SupportService`], so they check what users rely
//! on (ordering, idempotency, confidentiality, exact stats) rather than one call at a time.
//! [`model`] adds a property test that runs random operation sequences against a store and a
//! plain model and compares what each role sees.
//!
//! A store that also keeps sign-in sessions ([`SessionStore`](crate::SessionStore)) runs
//! [`sessions`]' suite, `session_conformance_suite!`, the same way.
//!
//! For a store's own tests: [`drafts`] builds drafts to call a store directly,
//! [`durability`] checks that acknowledged writes survive a reopen and a kill -9 of the
//! writing process, and [`group_commit`] that concurrent appends written together each get
//! their own answer.
//!
//! The suite needs no async runtime from the caller: each case runs on a fresh multi-threaded
//! tokio runtime (four workers, so concurrency cases really interleave).
//!
//! # Layout
//!
//! - `cases/mod.rs`: the table of cases, theme by theme (`__conformance_cases!`), the helpers
//!   the cases share, and the theme modules. The table is the only list: it re-exports every
//!   case as `testing::cases::<case>` (and lists them in [`cases::ALL`]) and it is what
//!   `conformance_suite!` expands, so the functions and the `#[test]`s cannot differ.
//! - `cases/<theme>.rs`, one file per theme, each case a `pub async fn <case>(store: Store)`:
//!   `tickets` (creation, numbering, quick chat), `idempotency` (retries with a key),
//!   `messages` (append, order, history pages, content), `confidentiality` (internal notes,
//!   own tickets), `queues` (dashboard, lists, filters, paging), `updates` (status,
//!   assignment, audit), `missing` (unknown ids), `stats`, `events` (broadcasts).
//! - `fixture.rs`: [`Fixture`], a service over the store under test with a fixed cast of users.
//! - `model.rs`: the model-based property test.
//!
//! # Adding a case
//!
//! 1. Write it as a `pub async fn` in the theme file it belongs to, named for the behaviour it
//!    pins down (the name is the test's name in every store's suite).
//! 2. Add its name under that theme in the table in `cases/mod.rs`. A case left out of the
//!    table does not compile: the theme modules are private and `dead_code` is denied there,
//!    so an unlisted case is a function nothing uses. A name in the table without a function
//!    does not compile either.
//! 3. A case belongs here only if a broken store could fail it: an ordering, a stored field or
//!    flag, an id an event carries, what a query filters or counts. What the policy,
//!    validation or the service decide alone (who may do what, whom a broadcast leaves out,
//!    which cursors and page sizes are refused, the owners the service remembers) is a unit
//!    test beside that code instead, in `policy/tests.rs` or `service/tests.rs`, run once on
//!    [`MemoryStore`](crate::MemoryStore) through [`Fixture::in_memory`].
//!
//! A new theme is a new file, its `mod` line in `cases/mod.rs` and its group in the table (a
//! unit test fails on a file in `cases/` that is not a theme of the table).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

pub mod accounts;
pub mod bus;
pub mod cases;
pub mod drafts;
pub mod durability;
mod fixture;
pub mod group_commit;
pub mod model;
pub mod search;
pub mod sessions;

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
    // Leading attributes, gathered one at a time (an expression may itself start with `#`).
    (@attrs [$($attrs:tt)*] #[$attr:meta] $($rest:tt)*) => {
        $crate::conformance_suite!(@attrs [$($attrs)* #[$attr]] $($rest)*);
    };
    (@attrs $attrs:tt $name:ident : $make:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            $crate::__conformance_cases!(tests $attrs $make);
        }
    };
    (@attrs $attrs:tt $make:expr) => {
        $crate::__conformance_cases!(tests $attrs $make);
    };
    ($($input:tt)+) => {
        $crate::conformance_suite!(@attrs [] $($input)+);
    };
}

/// A store kept together with something that must outlive it, such as the temporary directory
/// holding its database file. It delegates every method to the store, the provided `ping`
/// included.
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
    ) -> crate::Result<crate::store::Created<crate::store::Appended>> {
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
    async fn record_audit(&self, r: &crate::NewAuditRecord) -> crate::Result<crate::AuditRecord> {
        self.store.record_audit(r).await
    }
    async fn audit_log(&self, q: &crate::AuditQuery) -> crate::Result<Vec<crate::AuditRecord>> {
        self.store.audit_log(q).await
    }
    async fn mark_read(
        &self,
        p: &crate::ReadPosition,
    ) -> crate::Result<Option<crate::reads::ReadAdvance>> {
        self.store.mark_read(p).await
    }
    async fn ticket_summaries(
        &self,
        tickets: &[crate::TicketId],
        reader: crate::UserId,
        include_internal: bool,
    ) -> crate::Result<Vec<crate::TicketSummary>> {
        self.store
            .ticket_summaries(tickets, reader, include_internal)
            .await
    }
    async fn read_positions(&self, id: crate::TicketId) -> crate::Result<Vec<crate::ReadPosition>> {
        self.store.read_positions(id).await
    }
    async fn react(
        &self,
        c: &crate::reaction::ReactionChange,
    ) -> crate::Result<Option<crate::reaction::ReactionOutcome>> {
        self.store.react(c).await
    }
    async fn reactions(
        &self,
        t: crate::TicketId,
        m: &[crate::MessageId],
        viewer: crate::UserId,
    ) -> crate::Result<Vec<crate::reaction::MessageReactions>> {
        self.store.reactions(t, m, viewer).await
    }

    async fn canned_responses(
        &self,
        viewer: crate::UserId,
    ) -> crate::Result<Vec<crate::CannedResponse>> {
        self.store.canned_responses(viewer).await
    }
    async fn save_canned_response(
        &self,
        id: Option<crate::CannedResponseId>,
        d: &crate::canned::CannedDraft,
    ) -> crate::Result<Option<crate::CannedResponse>> {
        self.store.save_canned_response(id, d).await
    }
    async fn delete_canned_response(&self, id: crate::CannedResponseId) -> crate::Result<bool> {
        self.store.delete_canned_response(id).await
    }
    async fn ticket_templates(&self) -> crate::Result<Vec<crate::TicketTemplate>> {
        self.store.ticket_templates().await
    }
    async fn save_ticket_template(
        &self,
        id: Option<crate::TicketTemplateId>,
        d: &crate::canned::TemplateDraft,
    ) -> crate::Result<Option<crate::TicketTemplate>> {
        self.store.save_ticket_template(id, d).await
    }
    async fn delete_ticket_template(&self, id: crate::TicketTemplateId) -> crate::Result<bool> {
        self.store.delete_ticket_template(id).await
    }

    async fn create_upload(&self, d: &crate::UploadDraft) -> crate::Result<crate::Upload> {
        self.store.create_upload(d).await
    }
    async fn upload(&self, id: crate::AttachmentId) -> crate::Result<Option<crate::Upload>> {
        self.store.upload(id).await
    }
    async fn unattached_uploads(
        &self,
        before: crate::Timestamp,
        limit: u32,
    ) -> crate::Result<Vec<crate::Upload>> {
        self.store.unattached_uploads(before, limit).await
    }
    async fn delete_upload(&self, id: crate::AttachmentId) -> crate::Result<bool> {
        self.store.delete_upload(id).await
    }
    async fn blob_in_use(&self, sha256: &str) -> crate::Result<bool> {
        self.store.blob_in_use(sha256).await
    }
    // --- sla ---
    async fn mark_sla_breaches(
        &self,
        now: crate::Timestamp,
        limit: u32,
    ) -> crate::Result<Vec<crate::SlaBreach>> {
        self.store.mark_sla_breaches(now, limit).await
    }
    async fn report_facts(
        &self,
        from: crate::Timestamp,
        to: crate::Timestamp,
    ) -> crate::Result<Vec<crate::report::ReportFacts>> {
        self.store.report_facts(from, to).await
    }
    // --- archive ---
    async fn archive_closed(
        &self,
        b: &crate::archive::ArchiveBatch,
    ) -> crate::Result<Vec<crate::TicketId>> {
        self.store.archive_closed(b).await
    }
    // --- search ---
    async fn search(&self, q: &crate::search::SearchQuery) -> crate::Result<Vec<crate::SearchHit>> {
        self.store.search(q).await
    }
    async fn ping(&self) -> crate::Result<()> {
        self.store.ping().await
    }
}

/// Forwards to the store, as for [`SupportStore`](crate::SupportStore): a store kept with its
/// temporary directory runs `session_conformance_suite!` too.
#[async_trait::async_trait]
impl<S: crate::SessionStore, G: Send + Sync + 'static> crate::SessionStore for Guarded<S, G> {
    async fn create_session(&self, new: &crate::NewSession) -> crate::Result<()> {
        self.store.create_session(new).await
    }
    async fn session(
        &self,
        digest: &crate::TokenDigest,
        at: &crate::Liveness,
    ) -> crate::Result<Option<crate::StoredSession>> {
        self.store.session(digest, at).await
    }
    async fn touch_session(
        &self,
        digest: &crate::TokenDigest,
        at: &crate::Liveness,
    ) -> crate::Result<bool> {
        self.store.touch_session(digest, at).await
    }
    async fn end_session(&self, digest: &crate::TokenDigest) -> crate::Result<bool> {
        self.store.end_session(digest).await
    }
    async fn end_user_sessions(&self, user: crate::UserId) -> crate::Result<u64> {
        self.store.end_user_sessions(user).await
    }
    async fn purge_sessions(&self, at: &crate::Liveness) -> crate::Result<u64> {
        self.store.purge_sessions(at).await
    }
}

#[async_trait::async_trait]
impl<S: crate::UserStore, G: Send + Sync + 'static> crate::UserStore for Guarded<S, G> {
    async fn create_user(
        &self,
        new: &crate::account::NewUser,
    ) -> crate::Result<crate::account::StoredUser> {
        self.store.create_user(new).await
    }
    async fn user(&self, id: crate::UserId) -> crate::Result<Option<crate::account::StoredUser>> {
        self.store.user(id).await
    }
    async fn user_by_email(
        &self,
        email: &crate::account::Email,
    ) -> crate::Result<Option<crate::account::StoredUser>> {
        self.store.user_by_email(email).await
    }
    async fn users(&self) -> crate::Result<Vec<crate::account::StoredUser>> {
        self.store.users().await
    }
    async fn update_user(
        &self,
        id: crate::UserId,
        change: &crate::account::UserUpdate,
    ) -> crate::Result<Option<crate::account::StoredUser>> {
        self.store.update_user(id, change).await
    }
    async fn sync_external_user(
        &self,
        user: &crate::account::ExternalUser,
        now: crate::Timestamp,
    ) -> crate::Result<crate::account::StoredUser> {
        self.store.sync_external_user(user, now).await
    }
    async fn touch_user(&self, id: crate::UserId, now: crate::Timestamp) -> crate::Result<bool> {
        self.store.touch_user(id, now).await
    }
    async fn create_api_token(
        &self,
        new: &crate::account::NewApiToken,
    ) -> crate::Result<crate::account::StoredApiToken> {
        self.store.create_api_token(new).await
    }
    async fn api_token(
        &self,
        digest: &crate::TokenDigest,
    ) -> crate::Result<Option<(crate::account::StoredApiToken, crate::account::StoredUser)>> {
        self.store.api_token(digest).await
    }
    async fn api_tokens(
        &self,
        user: crate::UserId,
    ) -> crate::Result<Vec<crate::account::StoredApiToken>> {
        self.store.api_tokens(user).await
    }
    async fn revoke_api_token(&self, id: crate::ApiTokenId) -> crate::Result<bool> {
        self.store.revoke_api_token(id).await
    }
    async fn touch_api_token(
        &self,
        id: crate::ApiTokenId,
        now: crate::Timestamp,
    ) -> crate::Result<bool> {
        self.store.touch_api_token(id, now).await
    }
}

#[cfg(test)]
mod tests {
    use super::Guarded;
    use crate::reads::{ReadAdvance, ReadPosition, TicketSummary};
    use crate::store::*;
    use crate::{AttachmentId, Timestamp, Upload, UploadDraft};
    use crate::{AuditEntry, Error, MemoryStore, Message, Result, Stats, Ticket, TicketId, UserId};

    /// A store whose only own behaviour is a failing health check.
    struct Down(MemoryStore);

    #[async_trait::async_trait]
    impl SupportStore for Down {
        async fn create_ticket(
            &self,
            d: &TicketDraft,
        ) -> Result<Created<(Ticket, Option<Message>)>> {
            self.0.create_ticket(d).await
        }
        async fn ticket(&self, id: TicketId) -> Result<Option<Ticket>> {
            self.0.ticket(id).await
        }
        async fn tickets(&self, q: &TicketQuery) -> Result<Vec<Ticket>> {
            self.0.tickets(q).await
        }
        async fn update_ticket(
            &self,
            id: TicketId,
            c: &TicketChange,
        ) -> Result<Option<TicketUpdate>> {
            self.0.update_ticket(id, c).await
        }
        async fn append_message(&self, d: &MessageDraft) -> Result<Created<Appended>> {
            self.0.append_message(d).await
        }
        async fn messages(&self, q: &MessageQuery) -> Result<Vec<Message>> {
            self.0.messages(q).await
        }
        async fn stats(&self) -> Result<Stats> {
            self.0.stats().await
        }
        async fn audit_trail(&self, id: TicketId) -> Result<Vec<AuditEntry>> {
            self.0.audit_trail(id).await
        }
        async fn record_audit(&self, r: &crate::NewAuditRecord) -> Result<crate::AuditRecord> {
            self.0.record_audit(r).await
        }
        async fn audit_log(&self, q: &crate::AuditQuery) -> Result<Vec<crate::AuditRecord>> {
            self.0.audit_log(q).await
        }
        async fn mark_read(&self, p: &ReadPosition) -> Result<Option<ReadAdvance>> {
            self.0.mark_read(p).await
        }
        async fn ticket_summaries(
            &self,
            t: &[TicketId],
            reader: UserId,
            internal: bool,
        ) -> Result<Vec<TicketSummary>> {
            self.0.ticket_summaries(t, reader, internal).await
        }
        async fn read_positions(&self, id: TicketId) -> Result<Vec<ReadPosition>> {
            self.0.read_positions(id).await
        }
        async fn react(
            &self,
            c: &crate::reaction::ReactionChange,
        ) -> Result<Option<crate::reaction::ReactionOutcome>> {
            self.0.react(c).await
        }
        async fn reactions(
            &self,
            t: TicketId,
            m: &[crate::MessageId],
            viewer: crate::UserId,
        ) -> Result<Vec<crate::reaction::MessageReactions>> {
            self.0.reactions(t, m, viewer).await
        }

        async fn canned_responses(&self, viewer: UserId) -> Result<Vec<crate::CannedResponse>> {
            self.0.canned_responses(viewer).await
        }
        async fn save_canned_response(
            &self,
            id: Option<crate::CannedResponseId>,
            d: &crate::canned::CannedDraft,
        ) -> Result<Option<crate::CannedResponse>> {
            self.0.save_canned_response(id, d).await
        }
        async fn delete_canned_response(&self, id: crate::CannedResponseId) -> Result<bool> {
            self.0.delete_canned_response(id).await
        }
        async fn ticket_templates(&self) -> Result<Vec<crate::TicketTemplate>> {
            self.0.ticket_templates().await
        }
        async fn save_ticket_template(
            &self,
            id: Option<crate::TicketTemplateId>,
            d: &crate::canned::TemplateDraft,
        ) -> Result<Option<crate::TicketTemplate>> {
            self.0.save_ticket_template(id, d).await
        }
        async fn delete_ticket_template(&self, id: crate::TicketTemplateId) -> Result<bool> {
            self.0.delete_ticket_template(id).await
        }

        async fn create_upload(&self, d: &UploadDraft) -> Result<Upload> {
            self.0.create_upload(d).await
        }
        async fn upload(&self, id: AttachmentId) -> Result<Option<Upload>> {
            self.0.upload(id).await
        }
        async fn unattached_uploads(&self, before: Timestamp, limit: u32) -> Result<Vec<Upload>> {
            self.0.unattached_uploads(before, limit).await
        }
        async fn delete_upload(&self, id: AttachmentId) -> Result<bool> {
            self.0.delete_upload(id).await
        }
        async fn blob_in_use(&self, sha256: &str) -> Result<bool> {
            self.0.blob_in_use(sha256).await
        }
        // --- sla ---
        async fn mark_sla_breaches(
            &self,
            now: Timestamp,
            limit: u32,
        ) -> Result<Vec<crate::SlaBreach>> {
            self.0.mark_sla_breaches(now, limit).await
        }
        async fn report_facts(
            &self,
            from: Timestamp,
            to: Timestamp,
        ) -> Result<Vec<crate::report::ReportFacts>> {
            self.0.report_facts(from, to).await
        }
        // --- archive ---
        async fn archive_closed(
            &self,
            b: &crate::archive::ArchiveBatch,
        ) -> Result<Vec<crate::TicketId>> {
            self.0.archive_closed(b).await
        }
        // --- search ---
        async fn search(&self, q: &crate::search::SearchQuery) -> Result<Vec<crate::SearchHit>> {
            self.0.search(q).await
        }
        async fn ping(&self) -> Result<()> {
            Err(Error::Unavailable("down".into()))
        }
    }

    #[test]
    fn guarded_forwards_the_provided_ping() {
        let guarded = Guarded::new(Down(MemoryStore::new()), ());
        let ping = super::run(guarded.ping());
        assert!(matches!(ping, Err(Error::Unavailable(_))), "{ping:?}");
    }
}
