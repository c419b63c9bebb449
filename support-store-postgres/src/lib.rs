//! # support-store-postgres
//!
//! PostgreSQL for `support-core`: a [`SupportStore`](support_core::SupportStore) for
//! deployments that outgrow one SQLite file. The schema is embedded and migrated on connect;
//! a build needs no database. Every wait is bounded ([`PgOptions`]): while the database is
//! down calls fail with `Unavailable` within seconds, and the same store recovers once it is
//! back.
//! ```no_run
//! use support_core::*;
//! use support_store_postgres::PgStore;
//!
//! # async fn run() -> Result<()> {
//! let store = PgStore::connect("postgres://support@db.internal/support").await?;
//! let alice = Actor::new(101, "Alice Employee", Role::Employee);
//! let service = SupportService::new(store, NoBroadcast, StaticDirectory::new([alice.clone()]));
//! let new = NewTicket::parse("VPN down", "Since 9am", "it", "high")?;
//! let ticket = service.create_ticket(&alice, new, &WriteContext::default()).await?;
//! assert!(ticket.ticket_number.as_str().starts_with("TKT-"));
//! # Ok(()) }
//! ```

mod connect;
mod error;
mod migrate;
mod options;
mod query;
mod row;
mod storable;
mod store;

pub use options::PgOptions;
pub use store::PgStore;
