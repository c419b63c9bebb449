//! Run with: `cargo run -p embed-minimal`, then
//! `curl -H 'x-user: 1' http://127.0.0.1:3000/api/employee/portal/support`
//!
//! An existing axum app (here: one route, `/`, and users identified by an `x-user` header — in
//! your app, your session middleware) adds support chat: a SQLite store, its users mapped to
//! `Actor`s, and `SupportChat`'s router (the JSON API and the Pusher-compatible realtime
//! server, on one hub) merged into its own. SIGTERM or Ctrl-C shuts it down gracefully:
//! websocket clients get close code 4200 and reconnect at once.
//!
//! `BIND` (default `127.0.0.1:3000`) and `DATABASE_URL` (default
//! `sqlite://embedded-support.db`) override where it listens and stores.
//!
//! The same users can also chat through a reference server's embeddable widget instead: with
//! `SUPPORT_JWT_SECRET` set to that server's `--jwt-secret`, `GET /support/widget-token`
//! answers a short-lived JWT for the caller, for
//! `<script src="https://help.example.com/widget.js" data-token="…" async></script>`.

use async_trait::async_trait;
use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use support_core::{Actor, Role, StaticDirectory};
use support_store_sqlite::SqliteStore;
use support_transport_ws::{AppConfig, Identify, SupportChat, serve, shutdown_signal};

/// The app's own users, as support actors.
fn users() -> StaticDirectory {
    StaticDirectory::new([
        Actor::new(1, "Erin Employee", Role::Employee),
        Actor::new(2, "Sid Support", Role::Support),
    ])
}

/// How the app knows who is calling; replace with your session lookup.
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

/// A JWT that signs `actor` in to a reference server (its widget, `/sso`, or as a bearer
/// token), HS256 with the secret both share, valid for five minutes: make one per page view.
fn widget_token(actor: &Actor, secret: &[u8]) -> Result<String, jsonwebtoken::errors::Error> {
    let now = jsonwebtoken::get_current_timestamp();
    let claims = serde_json::json!({
        "sub": actor.id.to_string(),
        "name": actor.name,
        "role": actor.role,
        "iat": now,
        "exp": now + 300,
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
}

/// `GET /support/widget-token`: the caller's JWT, or 401 for nobody, 404 without a secret.
async fn widget_token_route(headers: HeaderMap) -> Result<String, StatusCode> {
    let secret = std::env::var("SUPPORT_JWT_SECRET").map_err(|_| StatusCode::NOT_FOUND)?;
    let actor = HeaderUser(users())
        .identify(&headers)
        .await
        .map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?
        .ok_or(StatusCode::UNAUTHORIZED)?;
    widget_token(&actor, secret.as_bytes()).map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let database_url =
        std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://embedded-support.db".into());

    let chat = SupportChat::builder(AppConfig::new("my-app", "my-key", "my-secret"))
        .store(SqliteStore::open(&database_url).await?)
        .directory(users())
        .identify(HeaderUser(users()))
        .start()
        .await?;

    let app = Router::new()
        .route("/", get(|| async { "the existing app" }))
        .route("/support/widget-token", get(widget_token_route))
        .merge(chat.router());

    let listener = tokio::net::TcpListener::bind(&bind).await?;
    println!(
        "listening on http://{} (websocket key my-key)",
        listener.local_addr()?
    );
    // Header, body and idle timeouts and connection caps (`HttpLimits::default()`).
    serve(listener, app)
        .with_graceful_shutdown(chat.shutdown_when(shutdown_signal()))
        .await?;
    Ok(())
}
