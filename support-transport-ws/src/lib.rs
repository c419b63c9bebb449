//! # support-transport-ws
//!
//! Every way a client reaches the support service: the Pusher protocol 7 websocket, the
//! Pusher HTTP API, and the JSON API, each an axum [`Router`](axum::Router) to merge into
//! your app. The frontend stack Laravel apps use — `laravel-echo` with `pusher-js` — and
//! Pusher's server SDKs talk to it unmodified.
//!
//! - The websocket `/app/{key}` (modules `connection`, `protocol`, `hub`): public, private and
//!   presence channels, client events (Echo's whispers) and keep-alive. The [`Hub`] holds the
//!   connections and implements [`support_core::Broadcaster`]: a `SupportService` built with
//!   it publishes straight to the connected clients, after each commit, with no HTTP hop.
//! - `POST /broadcasting/auth` (module `authorize`), answered by a [`ChannelAuthorizer`];
//!   [`ServiceAuthorizer`] asks `support_core`'s one policy.
//! - Pusher's signed HTTP API (module `pusher_http`) for triggering events and querying
//!   channels, and webhooks (module `webhooks`: channel occupied/vacated, members, client
//!   events), signed, batched, retried. [`router`] mounts these three.
//! - The JSON API ([`api`]): tickets, chat, notes and the staff dashboard under `/api`,
//!   described by the OpenAPI 3.1 document it serves at `/api/openapi.json`.
//!
//! The JSON API and channel auth identify callers with the same [`Identify`], the embedder's
//! hook over its own sessions.
//!
//! ```no_run
//! use std::sync::Arc;
//! use async_trait::async_trait;
//! use axum::http::HeaderMap;
//! use support_core::*;
//! use support_transport_ws::{AppConfig, Hub, Identify, ServiceAuthorizer, api, router};
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
//! let hub = Hub::new(AppConfig::new("app-id", "app-key", "app-secret"));
//! let service = SupportService::new(MemoryStore::new(), hub.clone(), StaticDirectory::default());
//! let sessions = Arc::new(Sessions);
//! let app = api::router(service.clone(), sessions.clone())
//!     .merge(router(hub.clone(), Arc::new(ServiceAuthorizer::new(service, sessions))));
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
mod identify;
pub mod names;
pub mod protocol;
mod pusher;
mod pusher_http;
pub mod signature;
mod webhooks;

pub use authorize::{ChannelAuthorizer, Decision, JoinRequest, ServiceAuthorizer};
pub use config::{AppConfig, Limits};
pub use hub::{ChannelInfo, Hub, JoinError, PresenceMember};
pub use identify::{Identify, IdentifyFn, identify_fn};
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
