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
//! - [`PgBus`]: the bus between the nodes, to give `support_transport_ws::SupportChat`'s
//!   builder on every node. Joining it gives the node's service a [`PgBroadcaster`] and
//!   starts a [`PgListener`] that feeds the node's websocket hub.
//! - [`PgBroadcaster`]: the [`Broadcaster`](support_core::Broadcaster) the service publishes
//!   through. It publishes each event with `pg_notify` and delivers nothing itself.
//! - [`PgListener`]: runs on every node, the publishing one included, and feeds what arrives
//!   to that node's [`Fanout`](support_core::Fanout): on a server the websocket transport's
//!   `Hub`, so the websocket clients connected to that node get every event. It reconnects
//!   by itself and then tells every subscriber to catch up from the store (the `Hub` closes
//!   its connections with 4200; clients reconnect and fetch `messages?after=`).
//!
//! [`PgStore`] also keeps sign-in sessions
//! ([`SessionStore`](support_core::SessionStore)) and users with their API tokens
//! ([`UserStore`](support_core::UserStore)) for a server that signs its users in itself:
//! every node on the database sees the same sessions and accounts.
//!
//! On every node, give the builder the store and the [`PgBus`] on it; the service then
//! publishes through the database and the node's listener feeds its websocket clients. (Wired
//! by hand, the service must get the [`PgBroadcaster`] and the listener the hub, or events
//! reach only the clients of the node they were posted on.) Two nodes, one process here:
//!
//! ```
//! use support_core::*;
//! use support_store_postgres::{PgBus, PgStore};
//! use support_transport_ws::testing::Client;
//! use support_transport_ws::{AppConfig, SupportChat, identify_fn};
//!
//! /// One node, as each server process starts: its store and bus on the shared database.
//! async fn node(database_url: &str) -> Result<(SupportChat, std::net::SocketAddr)> {
//!     let store = PgStore::connect(database_url).await?; // migrates
//!     let sam = Actor::new(201, "Sam Support", Role::Support);
//!     let chat = SupportChat::builder(AppConfig::new("support", "support-key", "support-secret"))
//!         .bus(PgBus::new(&store))
//!         .store(store)
//!         .directory(StaticDirectory::new([sam.clone()]))
//!         // Everyone is Sam: replace with your session lookup.
//!         .identify(identify_fn(move |_headers| {
//!             let sam = sam.clone();
//!             Box::pin(async move { Ok(Some(sam)) })
//!         }))
//!         .start()
//!         .await?;
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(Error::backend)?;
//!     let addr = listener.local_addr().map_err(Error::backend)?;
//!     let router = chat.router();
//!     tokio::spawn(async move { axum::serve(listener, router).await });
//!     Ok((chat, addr))
//! }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! # let Some(database) = support_store_postgres::testing::TestDatabase::create().await else { return Ok(()) };
//! # let database_url = database.url();
//! let (a, _) = node(database_url).await?;
//! let (b, b_addr) = node(database_url).await?;
//!
//! // Sam's dashboard is connected to node B; Alice opens a ticket through node A.
//! let mut dashboard = Client::connect(b_addr, "support-key").await;
//! dashboard.sign_in("private-support.admin", &[]).await;
//! let alice = Actor::new(101, "Alice Employee", Role::Employee);
//! let draft = NewTicket::parse("VPN down", "Since 9am", "it", "high")?;
//! a.service().create_ticket(&alice, draft, &WriteContext::default()).await?;
//! assert_eq!(dashboard.event("ticket.created").await["ticket"]["subject"], "VPN down");
//!
//! // Shutting down a node: its clients get 4200 (and reconnect to another), its listener stops.
//! b.shutdown().await;
//! a.shutdown().await;
//! # Ok::<(), Error>(()) }).unwrap();
//! ```

mod accounts;
mod append;
mod archive;
mod audit;
mod broadcaster;
mod bus;
mod canned;
mod connect;
mod error;
mod lanes;
mod listener;
mod lookup;
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
#[cfg(feature = "testing")]
pub mod testing;
mod uploads;
mod wire;

pub use broadcaster::PgBroadcaster;
pub use bus::PgBus;
pub use listener::{ListenerOptions, ListenerStatus, PgListener};
pub use options::PgOptions;
pub use store::PgStore;
