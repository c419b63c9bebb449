//! # support-store-sqlite
//!
//! A [`SupportStore`](support_core::SupportStore) for `support-core` in one SQLite file: the
//! store for a single server process (or a few sharing a file on one machine) that needs no
//! database server. The schema is embedded and migrated on open; a build needs no database.
//!
//! - **Durability**: WAL mode. With the default [`Synchronous::Normal`] a commit survives the
//!   process crashing or being killed, but not a power loss; choose [`Synchronous::Full`] for
//!   that.
//! - **Concurrency**: one writer connection, so this store's writes queue instead of fighting
//!   over SQLite's lock, and a pool of read-only connections that read while a write runs.
//! - **Errors**: a busy or locked file is [`Error::Unavailable`](support_core::Error), a
//!   unique-key clash `Conflict`, a read-only, corrupt or foreign file `Backend`.
//!
//! ```
//! use support_core::*;
//! use support_store_sqlite::SqliteStore;
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let dir = tempfile::tempdir()?;
//! let url = format!("sqlite://{}", dir.path().join("support.db").display());
//! let store = SqliteStore::open(&url).await?;
//!
//! let alice = Actor::new(1, "Alice", Role::Employee);
//! let service = SupportService::new(store, NoBroadcast, StaticDirectory::new([alice.clone()]));
//! let new = NewTicket::parse("VPN down", "Since 9am", "it", "high")?;
//! let ticket = service.create_ticket(&alice, new, &WriteContext::default()).await?;
//! assert_eq!(ticket.ticket_number.as_str(), "TKT-000001");
//! # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
//! ```
//!
//! `sqlite::memory:` opens a private database in memory for tests and demos.
//!
//! The store also keeps sign-in sessions ([`SessionStore`](support_core::SessionStore)) and
//! users with their API tokens ([`UserStore`](support_core::UserStore)), in the same file,
//! for a server that signs its users in itself.

mod accounts;
mod append;
mod archive;
mod audit;
mod canned;
mod connect;
mod error;
mod migrate;
mod options;
mod query;
mod reactions;
mod reads;
mod row;
mod search;
mod sessions;
mod sla;
mod store;
mod uploads;

pub use options::{SqliteOptions, Synchronous};
pub use store::SqliteStore;

/// The README's embedding example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
