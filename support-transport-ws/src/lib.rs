//! # support-transport-ws
//!
//! Every way a client reaches the support service: the Pusher protocol 7 websocket, the
//! Pusher HTTP API, and the JSON API, each an axum [`Router`](axum::Router) to merge into
//! your app. The frontend stack Laravel apps use — `laravel-echo` with `pusher-js` — and
//! Pusher's server SDKs talk to it unmodified.
//!
//! - The websocket `/app/{key}` (modules `connection`, `protocol`, `hub`): public, private and
//!   presence channels, client events (Echo's whispers) and keep-alive. The [`Hub`] holds the
//!   connections and implements [`support_core::Broadcaster`] (a `SupportService` built with
//!   it publishes straight to the connected clients, after each commit, with no HTTP hop)
//!   and [`support_core::Fanout`] (a bus listener feeds it what other nodes publish). Close
//!   codes: 4200 on shutdown or resync (reconnect now), 4100 for a client too slow to read,
//!   4201 for a missing pong, 4009 for the connections of a user whose access was revoked
//!   ([`Hub::disconnect_user`], `SupportService::disconnect_user` on any node).
//! - `POST /broadcasting/auth` (module `authorize`), answered by a [`ChannelAuthorizer`];
//!   [`ServiceAuthorizer`] asks `support_core`'s one policy.
//! - Pusher's signed HTTP API (module `pusher_http`) for triggering events and querying
//!   channels, and webhooks (module `webhooks`: channel occupied/vacated, members, client
//!   events), signed, batched, retried. [`router`] mounts these three.
//! - The JSON API ([`api`]): tickets, chat, notes and the staff dashboard under `/api`,
//!   described by the OpenAPI 3.1 document it serves at `/api/openapi.json`.
//! - Rate limits (module `throttle`): writes per user, channel auth, the HTTP API's events per
//!   app, set by [`AppConfig::rate_limits`] ([`RateLimits`]), answered 429 with `Retry-After`;
//!   [`Throttle`] for limits of the embedder's own, [`ClientAddr`] for the client's address.
//! - [`serve`]: a server for these routers (and yours) on a network, where `axum::serve`
//!   waits for any client forever: header, body and idle timeouts and connection caps
//!   ([`HttpLimits`]), HTTP/1.1 with websocket upgrades and HTTP/2, graceful shutdown.
//!
//! [`SupportChat`] puts them together: give its builder your store, your users and your
//! [`Identify`] hook (how a request's headers name its caller, for the JSON API and channel
//! auth alike), and on several nodes the bus between them; it creates the [`Hub`], wires the
//! service to it, and hands back the service and one router with all of the above.
//!
//! ```no_run
//! use async_trait::async_trait;
//! use axum::http::HeaderMap;
//! use support_core::*;
//! use support_transport_ws::{AppConfig, Identify, SupportChat, serve, shutdown_signal};
//!
//! /// Everyone is Alice: replace with your session lookup.
//! struct Sessions;
//! #[async_trait]
//! impl Identify for Sessions {
//!     async fn identify(&self, _headers: &HeaderMap) -> support_core::Result<Option<Actor>> {
//!         Ok(Some(Actor::new(1, "Alice", Role::Employee)))
//!     }
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let chat = SupportChat::builder(AppConfig::new("app-id", "app-key", "app-secret"))
//!     .store(MemoryStore::new())
//!     .directory(StaticDirectory::new([Actor::new(1, "Alice", Role::Employee)]))
//!     .identify(Sessions)
//!     .start()
//!     .await?;
//! let app = axum::Router::new().merge(chat.router()); // beside your own routes
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! serve(listener, app) // header, body and idle timeouts, connection caps: `HttpLimits`
//!     // On SIGTERM or Ctrl-C every websocket client gets 4200 and reconnects at once.
//!     .with_graceful_shutdown(chat.shutdown_when(shutdown_signal()))
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! The README's "Embed it" runs this with a websocket client, and `examples/embed-minimal`
//! is a whole app. The pieces stay public for wiring of your own: [`Hub`], [`router`],
//! [`api::router`], [`ServiceAuthorizer`].
//!
//! [`metrics`] lists what the crate measures through the `metrics` facade (connections,
//! subscriptions, events and their delivery latency, refusals, HTTP routes, the store, the
//! tickets) for the recorder the application installs, and [`HttpMetricsLayer`] and
//! [`MeteredStore`] measure routes and stores. The websocket layer logs with `tracing`, in
//! structured fields: refused connections and why, refused subscriptions and channel auth,
//! closes with their codes, slow consumers cut.
//!
//! With the `testing` feature, the `testing` module holds a minimal Pusher client (connect, sign in
//! through `/broadcasting/auth`, receive events) for tests of a server built on this crate.

pub mod api;
pub mod attachments;
mod authorize;
mod config;
mod connection;
mod hub;
mod identify;
pub mod metrics;
pub mod names;
mod presence;
pub mod protocol;
mod pusher;
mod pusher_http;
mod serve;
mod signal;
pub mod signature;
mod support_chat;
#[cfg(feature = "testing")]
pub mod testing;
mod throttle;
mod webhooks;

pub use authorize::{ChannelAuthorizer, Decision, JoinRequest, ServiceAuthorizer};
pub use config::{AppConfig, ClientEventRule, Limits};
pub use hub::{ChannelInfo, Hub, JoinError, PresenceMember};
pub use identify::{Identify, IdentifyFn, identify_fn};
pub use metrics::{HttpMetricsLayer, MeteredStore};
pub use pusher::router;
pub use serve::{HttpLimits, Serve, serve};
pub use signal::shutdown_signal;
pub use support_chat::{Missing, SupportChat, SupportChatBuilder};
pub use throttle::{ClientAddr, DEFAULT_MAX_KEYS, Rate, RateLimits, Throttle, Throttled};
pub use webhooks::WebhookConfig;

/// Entry points for fuzzers and property tests; not part of the API.
#[doc(hidden)]
pub mod fuzzing {
    /// Feeds text frames to a connection with this socket id on `hub`, then disconnects it;
    /// returns what it would have been sent.
    pub fn dispatch(hub: &crate::Hub, socket_id: &str, frames: &[&str]) -> Vec<String> {
        crate::connection::dispatch_frames(hub, socket_id, frames)
    }
}
