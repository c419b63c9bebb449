//! Compatibility with the real clients: the npm packages `pusher-js`, `laravel-echo` and
//! `pusher` (Pusher's Node server SDK), pinned in `tests/js/package-lock.json`, run by
//! `node --test` against this crate's server.
//!
//! The Node tests start and stop the server themselves (to test reconnecting after a restart),
//! by running this test binary's `compat_server` case as a child process.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod node;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use axum::Json;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};
use support_core::*;
use support_transport_ws::*;

fn js_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js")
}

#[test]
#[cfg_attr(no_node, ignore = "needs Node.js 20 and npm on PATH")]
fn real_pusher_js_laravel_echo_and_pusher_sdk() {
    let exe = std::env::current_exe().unwrap();
    let counts = node::run_node_tests(
        &js_dir(),
        "pusher-js",
        60_000,
        [
            ("SERVER_EXE", exe.into_os_string()),
            (
                "SERVER_ARGS",
                "compat_server --exact --ignored --nocapture --test-threads=1".into(),
            ),
        ],
    );
    assert!(counts.pass >= 14, "fewer Node tests ran than written");
    assert_eq!(counts.fail, 0, "a Node test failed");
}

// ----- the server the Node tests run --------------------------------------------------------

#[derive(Clone)]
struct Cast(Arc<HashMap<String, Actor>>);

impl Cast {
    fn new() -> Self {
        let users = [
            (
                "alice-token",
                Actor::new(101, "Alice Employee", Role::Employee),
            ),
            ("bob-token", Actor::new(102, "Bob Employee", Role::Employee)),
            ("sam-token", Actor::new(201, "Sam Support", Role::Support)),
        ];
        Cast(Arc::new(
            users.into_iter().map(|(t, a)| (t.to_owned(), a)).collect(),
        ))
    }

    fn actors(&self) -> Vec<Actor> {
        self.0.values().cloned().collect()
    }

    fn caller(&self, headers: &HeaderMap) -> Option<Actor> {
        let token = headers
            .get("authorization")?
            .to_str()
            .ok()?
            .strip_prefix("Bearer ")?;
        self.0.get(token).cloned()
    }
}

#[async_trait]
impl Identify for Cast {
    async fn identify(&self, headers: &HeaderMap) -> support_core::Result<Option<Actor>> {
        Ok(self.caller(headers))
    }
}

/// Support channels (a ticket's staff presence included) through the core's policy; other
/// presence channels (not part of the support system, but of the protocol) open to any
/// signed-in user, to test presence.
struct TestAuthorizer {
    support: ServiceAuthorizer<Cast>,
    cast: Cast,
}

#[async_trait]
impl ChannelAuthorizer for TestAuthorizer {
    async fn decide(&self, request: JoinRequest<'_>) -> Decision {
        if request.channel.starts_with("presence-") && request.channel.parse::<Channel>().is_err() {
            return match self.cast.caller(request.headers) {
                Some(a) => Decision::Allow {
                    member: Some((a.id.to_string(), json!({ "name": a.name }))),
                },
                None => Decision::Unauthenticated,
            };
        }
        self.support.decide(request).await
    }
}

#[derive(Clone)]
struct TestState {
    service: SupportService,
    cast: Cast,
}

/// What the reference server's chat route does: post through the service, leaving the
/// caller's socket (`X-Socket-ID`) out of the broadcast.
async fn chat(
    State(state): State<TestState>,
    UrlPath(ticket): UrlPath<i64>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Result<(StatusCode, Json<Message>), StatusCode> {
    let actor = state
        .cast
        .caller(&headers)
        .ok_or(StatusCode::UNAUTHORIZED)?;
    let socket_id = headers
        .get("x-socket-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.parse().ok());
    let message =
        NewMessage::from_json(&body, "message").map_err(|_| StatusCode::UNPROCESSABLE_ENTITY)?;
    let ctx = WriteContext {
        idempotency_key: None,
        socket_id,
    };
    let stored = state
        .service
        .post_message(&actor, TicketId(ticket), message, &ctx)
        .await
        .map_err(|_| StatusCode::NOT_FOUND)?;
    Ok((StatusCode::CREATED, Json(stored)))
}

#[test]
#[ignore = "the server process of real_pusher_js_laravel_echo_and_pusher_sdk, which starts it"]
fn compat_server() {
    let port: u16 = std::env::var("COMPAT_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let mut app = AppConfig::new("compat-app", "compat-key", "compat-secret");
        app.limits.activity_timeout = std::time::Duration::from_secs(5);
        let hub = Hub::new(app);
        let cast = Cast::new();
        let service = SupportService::new(
            MemoryStore::new(),
            hub.clone(),
            StaticDirectory::new(cast.actors()),
        );
        let alice = cast.0["alice-token"].clone();
        let input = NewTicket::parse("VPN down", "Since 9am", "it", "high").unwrap();
        let ticket = service
            .create_ticket(&alice, input, &WriteContext::default())
            .await
            .unwrap();
        assert_eq!(ticket.id, TicketId(1), "the Node tests use ticket 1");

        let authorizer = TestAuthorizer {
            support: ServiceAuthorizer::new(service.clone(), cast.clone()),
            cast: cast.clone(),
        };
        let test_routes = axum::Router::new()
            .route("/test/tickets/{ticket}/chat", post(chat))
            .with_state(TestState { service, cast });
        let app = router(hub.clone(), Arc::new(authorizer)).merge(test_routes);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        println!("LISTENING {}", listener.local_addr().unwrap().port());
        let shutdown = async move {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).unwrap();
            term.recv().await;
            hub.shutdown();
        };
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
            .unwrap();
    });
}
