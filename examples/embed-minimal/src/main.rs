//! Run with: `cargo run -p embed-minimal`, then
//! `curl -H 'x-user: 1' http://127.0.0.1:3000/api/employee/portal/support`
//!
//! An existing axum app (here: one route, `/`, and users identified by an `x-user` header — in
//! your app, your session middleware) adds support chat: a SQLite store, its users mapped to
//! `Actor`s, the JSON API and the Pusher-compatible realtime server merged into its router.

use std::sync::Arc;

use async_trait::async_trait;
use axum::Router;
use axum::http::HeaderMap;
use axum::routing::get;
use support_core::{Actor, Role, StaticDirectory, SupportService};
use support_store_sqlite::SqliteStore;
use support_transport_ws::{AppConfig, Hub, Identify, ServiceAuthorizer, api};

/// The app's own users, as support actors.
fn users() -> StaticDirectory {
    StaticDirectory::new([
        Actor::new(1, "Erin Employee", Role::Employee),
        Actor::new(2, "Sid Support", Role::Support),
    ])
}

/// How the app knows who is calling; replace with your session lookup.
#[derive(Clone)]
struct HeaderUser(StaticDirectory);

#[async_trait]
impl Identify for HeaderUser {
    async fn identify(&self, headers: &HeaderMap) -> support_core::Result<Option<Actor>> {
        let id = headers
            .get("x-user")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<i64>().ok());
        Ok(id.and_then(|id| self.0.get(id.into()).cloned()))
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let hub = Hub::new(AppConfig::new("my-app", "my-key", "my-secret"));
    let store = SqliteStore::open("sqlite://embedded-support.db").await?;
    let service = SupportService::new(store, hub.clone(), users());
    let identify = HeaderUser(users());

    let app = Router::new()
        .route("/", get(|| async { "the existing app" }))
        .merge(api::router(service.clone(), identify.clone()))
        .merge(support_transport_ws::router(
            hub.clone(),
            Arc::new(ServiceAuthorizer::new(service, identify)),
        ));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("listening on http://127.0.0.1:3000 (websocket key my-key)");
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = tokio::signal::ctrl_c().await;
            hub.shutdown();
        })
        .await?;
    Ok(())
}
