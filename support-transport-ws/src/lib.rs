//! # support-transport-ws
//!
//! A Pusher Channels protocol 7 server as an axum [`Router`](axum::Router), so that the
//! frontend stack Laravel apps use — `laravel-echo` with `pusher-js` — and Pusher's server
//! SDKs talk to a Rust service unmodified:
//!
//! - the websocket `/app/{key}` with public, private and presence channels, client events
//!   (Echo's whispers) and keep-alive;
//! - `POST /broadcasting/auth`, answered by a [`ChannelAuthorizer`] — [`ServiceAuthorizer`]
//!   asks `support_core`'s one policy;
//! - Pusher's signed HTTP API for triggering events and querying channels;
//! - webhooks (channel occupied/vacated, members, client events), signed, batched, retried.
//!
//! The [`Hub`] implements [`support_core::Broadcaster`]: a `SupportService` built with it
//! publishes straight to the connected clients, after each commit, with no HTTP hop.
//!
//! ```no_run
//! use std::sync::Arc;
//! use async_trait::async_trait;
//! use axum::http::HeaderMap;
//! use support_core::*;
//! use support_transport_ws::{AppConfig, Hub, Identify, ServiceAuthorizer, router};
//!
//! /// Everyone is Alice: replace with your session lookup.
//! struct Sessions;
//! #[async_trait]
//! impl Identify for Sessions {
//!     async fn identify(&self, _headers: &HeaderMap) -> Option<Actor> {
//!         Some(Actor::new(1, "Alice", Role::Employee))
//!     }
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let hub = Hub::new(AppConfig::new("app-id", "app-key", "app-secret"));
//! let service = SupportService::new(MemoryStore::new(), hub.clone(), StaticDirectory::default());
//! let app = router(hub.clone(), Arc::new(ServiceAuthorizer::new(service, Sessions)));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).with_graceful_shutdown(async move {
//!     let _ = tokio::signal::ctrl_c().await;
//!     hub.shutdown(); // every client gets 4200 and reconnects at once
//! }).await?;
//! # Ok(()) }
//! ```

pub mod api;
mod authorize;
mod config;
mod connection;
mod hub;
pub mod names;
pub mod protocol;
mod pusher;
mod pusher_http;
pub mod signature;
mod webhooks;

pub use authorize::{ChannelAuthorizer, Decision, Identify, JoinRequest, ServiceAuthorizer};
pub use config::{AppConfig, Limits};
pub use hub::{ChannelInfo, Hub, JoinError, PresenceMember};
pub use pusher::router;
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
