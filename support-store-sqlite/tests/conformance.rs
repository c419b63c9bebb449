//! support-core's conformance suite and model check, against a fresh SQLite file per case and
//! against `sqlite::memory:`.

// Setup helpers outside #[test] functions panic on failure like the tests themselves.
#![allow(clippy::unwrap_used)]

use async_trait::async_trait;
use support_core::store::*;
use support_core::{AuditEntry, Message, Result, Stats, Ticket, TicketId};
use support_store_sqlite::SqliteStore;
use tempfile::TempDir;

/// A store on a file in its own temporary directory, removed when the store is dropped. The
/// directory must outlive the store: readers open their connections lazily, by path.
struct TempFileStore {
    store: SqliteStore,
    _dir: TempDir,
}

impl TempFileStore {
    async fn fresh() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("conformance.db").display());
        TempFileStore {
            store: SqliteStore::open(&url).await.unwrap(),
            _dir: dir,
        }
    }
}

#[async_trait]
impl SupportStore for TempFileStore {
    async fn create_ticket(&self, d: &TicketDraft) -> Result<Created<(Ticket, Option<Message>)>> {
        self.store.create_ticket(d).await
    }
    async fn ticket(&self, id: TicketId) -> Result<Option<Ticket>> {
        self.store.ticket(id).await
    }
    async fn tickets(&self, q: &TicketQuery) -> Result<Vec<Ticket>> {
        self.store.tickets(q).await
    }
    async fn update_ticket(&self, id: TicketId, c: &TicketChange) -> Result<Option<TicketUpdate>> {
        self.store.update_ticket(id, c).await
    }
    async fn append_message(&self, d: &MessageDraft) -> Result<Created<Message>> {
        self.store.append_message(d).await
    }
    async fn messages(&self, q: &MessageQuery) -> Result<Vec<Message>> {
        self.store.messages(q).await
    }
    async fn stats(&self) -> Result<Stats> {
        self.store.stats().await
    }
    async fn audit_trail(&self, id: TicketId) -> Result<Vec<AuditEntry>> {
        self.store.audit_trail(id).await
    }
}

support_core::conformance_suite!(file: TempFileStore::fresh());
support_core::conformance_suite!(in_memory: async { SqliteStore::open("sqlite::memory:").await.unwrap() });

#[test]
fn file_store_matches_the_model() {
    support_core::testing::model::check(TempFileStore::fresh, 32);
}

#[test]
fn memory_store_matches_the_model() {
    support_core::testing::model::check(
        || async { SqliteStore::open("sqlite::memory:").await.unwrap() },
        32,
    );
}
