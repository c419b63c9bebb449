//! # support-store-postgres
//!
//! PostgreSQL for `support-core`: a [`SupportStore`](support_core::SupportStore) for
//! deployments that outgrow one SQLite file, and a LISTEN/NOTIFY bus so that several server
//! processes on one database deliver every event to every subscriber, whichever process the
//! subscriber is connected to, with no other infrastructure.
//!
//! - [`PgStore`]: the store. The schema is embedded and migrated on connect; a build needs no
//!   database. Every wait is bounded ([`PgOptions`]): while the database is down calls fail
//!   with `Unavailable` within seconds, and the same store recovers once it is back. Under
//!   load, appends and ticket lookups are coalesced into few statements
//!   ([`PgOptions::lanes`]).
//! - [`PgBroadcaster`]: the [`Broadcaster`](support_core::Broadcaster) to give the service. It
//!   publishes each event with `pg_notify` and delivers nothing itself.
//! - [`PgListener`]: runs on every node, the publishing one included, and feeds what arrives
//!   to that node's [`MemoryBroadcaster`](support_core::MemoryBroadcaster). It reconnects by itself and then
//!   tells every subscriber to catch up from the store.
//!
//! ```no_run
//! use support_core::*;
//! use support_store_postgres::{PgBroadcaster, PgListener, PgStore};
//!
//! # async fn run() -> Result<()> {
//! let store = PgStore::connect("postgres://support@db.internal/support").await?;
//! let hub = MemoryBroadcaster::default(); // what this node's websocket subscribers listen on
//! let _listener = PgListener::start(&store, hub.clone()).await?; // keep it alive
//! let alice = Actor::new(101, "Alice Employee", Role::Employee);
//! let service = SupportService::new(
//!     store.clone(),
//!     PgBroadcaster::new(&store),
//!     StaticDirectory::new([alice.clone()]),
//! );
//!
//! let ticket = service
//!     .create_ticket(&alice, NewTicket::parse("VPN down", "Since 9am", "it", "high")?, &WriteContext::default())
//!     .await?;
//! // Every node's subscribers of this channel get the message, wherever it was posted.
//! let mut screen = hub.subscribe(Channel::Ticket(ticket.id), None);
//! let hello = NewMessage::public(MessageBody::parse("Any news?")?);
//! service.post_message(&alice, ticket.id, hello, &WriteContext::default()).await?;
//! assert_eq!(screen.recv().await.map(|e| e.name()), Ok("chat.message"));
//! # Ok(()) }
//! ```

mod append;
mod broadcaster;
mod connect;
mod error;
mod lanes;
mod listener;
mod lookup;
mod migrate;
mod options;
mod query;
mod row;
mod store;
mod wire;

pub use broadcaster::PgBroadcaster;
pub use listener::{ListenerOptions, ListenerStatus, NodeHub, OnResync, PgListener};
pub use options::PgOptions;
pub use store::PgStore;
