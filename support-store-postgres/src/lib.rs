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
//!   to that node's [`Fanout`](support_core::Fanout): on a server the websocket transport's
//!   `Hub`, so the websocket clients connected to that node get every event. It reconnects
//!   by itself and then tells every subscriber to catch up from the store (the `Hub` closes
//!   its connections with 4200; clients reconnect and fetch `messages?after=`).
//!
//! On every node, the service publishes through the database and the listener feeds the
//! node's websocket hub. Give the service the [`PgBroadcaster`], not the hub, or events reach
//! only the clients of the node they were posted on:
//!
//! ```no_run
//! use support_core::*;
//! use support_store_postgres::{PgBroadcaster, PgListener, PgStore};
//! use support_transport_ws::{AppConfig, Hub};
//!
//! # async fn run() -> Result<()> {
//! let store = PgStore::connect("postgres://support@db.internal/support").await?;
//! // This node's websocket clients, served with `support_transport_ws::router(hub.clone(), …)`
//! // as on a single node.
//! let hub = Hub::new(AppConfig::new("support", "support-key", "support-secret"));
//! // Feeds `hub` what any node publishes. Keep it while the node serves.
//! let listener = PgListener::start(&store, hub.clone()).await?;
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
//! // Every node's clients on `private-support.ticket.{id}` get it, wherever it was posted.
//! let hello = NewMessage::public(MessageBody::parse("Any news?")?);
//! service.post_message(&alice, ticket.id, hello, &WriteContext::default()).await?;
//!
//! // Shutting down: clients reconnect (to another node), and the listener stops.
//! hub.shutdown();
//! listener.stop().await;
//! # Ok(()) }
//! ```

mod append;
mod broadcaster;
mod bus;
mod connect;
mod error;
mod lanes;
mod listener;
mod lookup;
mod migrate;
mod options;
mod query;
mod row;
mod storable;
mod store;
mod wire;

pub use broadcaster::PgBroadcaster;
pub use bus::PgBus;
pub use listener::{ListenerOptions, ListenerStatus, PgListener};
pub use options::PgOptions;
pub use store::PgStore;
