//! The Pusher-compatible server as one axum `Router`: the websocket, the channel auth endpoint
//! and the signed Pusher HTTP API.

use std::sync::Arc;

use axum::extract::{Path, Query, State, WebSocketUpgrade};
use axum::http::header::{HOST, ORIGIN};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};

use crate::api::private_answers;
use crate::authorize::{self, AuthState, ChannelAuthorizer};
use crate::connection::{self, ConnectQuery};
use crate::hub::Hub;
use crate::pusher_http;
use crate::throttle::{ClientAddr, Throttle};

/// Everything a Pusher-protocol client and server SDK talk to:
///
/// - `GET /app/{key}`: the websocket,
/// - `POST /broadcasting/auth`: channel authorization, decided by `authorizer`,
/// - `POST /apps/{app_id}/events`, `POST /apps/{app_id}/batch_events`,
///   `GET /apps/{app_id}/channels`, `GET /apps/{app_id}/channels/{channel}`,
///   `GET /apps/{app_id}/channels/{channel}/users`: the signed HTTP API.
///
/// The hub's [`AppConfig::rate_limits`](crate::AppConfig::rate_limits) throttle the events
/// the HTTP API accepts ([`RateLimits::api_events_per_app`](crate::RateLimits::api_events_per_app))
/// and the channel auth calls that identify nobody, per client address
/// ([`RateLimits::channel_auth`](crate::RateLimits::channel_auth); per user is the
/// authorizer's, as [`ServiceAuthorizer`](crate::ServiceAuthorizer) does). Over a limit: 429
/// with `Retry-After`.
///
/// Channel auth's answers carry `Cache-Control: no-store` and `X-Content-Type-Options:
/// nosniff`. Merge it into your own router; it carries its own state.
/// [`SupportChat::router`](crate::SupportChat::router) mounts it with the JSON API, on the
/// hub its service publishes to; wired by hand, the service must publish into `hub`.
pub fn router(hub: Hub, authorizer: Arc<dyn ChannelAuthorizer>) -> Router {
    let limits = &hub.app().rate_limits;
    let events = pusher_http::EventsThrottle::new(limits);
    let unidentified = Throttle::with_max_keys(limits.channel_auth, limits.max_keys);
    let api = Router::new()
        .route("/apps/{app_id}/events", post(pusher_http::events))
        .route(
            "/apps/{app_id}/batch_events",
            post(pusher_http::batch_events),
        )
        .route("/apps/{app_id}/channels", get(pusher_http::channels))
        .route(
            "/apps/{app_id}/channels/{channel}",
            get(pusher_http::channel),
        )
        .route(
            "/apps/{app_id}/channels/{channel}/users",
            get(pusher_http::users),
        )
        .route("/app/{key}", get(websocket))
        .layer(Extension(events))
        .with_state(hub.clone());
    let auth = Router::new().route("/broadcasting/auth", post(authorize::handle));
    let auth = private_answers(auth).with_state(AuthState {
        hub,
        authorizer,
        unidentified,
    });
    api.merge(auth)
}

async fn websocket(
    State(hub): State<Hub>,
    Path(key): Path<String>,
    Query(query): Query<ConnectQuery>,
    client: Option<ClientAddr>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let max_frame = hub.app().limits.max_frame_bytes;
    let header = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let origin_allowed = hub.app().allows_handshake(header(ORIGIN), header(HOST));
    // Refused before the connection counts: said to the client over the websocket (what
    // Pusher clients read), logged here, where the client's address and origin are known.
    let refused = connection::refusal(&hub, &key, &query, origin_allowed);
    if let Some(refused) = &refused {
        tracing::info!(
            reason = refused.reason,
            code = refused.code,
            client = client.map(|ClientAddr(ip)| ip.to_string()),
            origin = header(ORIGIN),
            "websocket refused"
        );
    }
    let upgrade = upgrade
        // Small buffers: most of a connection's life is idle, and memory per connection is
        // what limits how many one server holds. Writes go straight to the socket; the
        // connection's writer waits for each frame to be flushed before taking the next, so
        // tungstenite's write buffer never holds more than one frame (and a pong or close):
        // what a client that does not read can pin is bounded by the connection's queue
        // (`Limits::outbound_queue`, `outbound_queue_bytes`), not by `max_write_buffer_size`.
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_message_size(max_frame)
        .max_frame_size(max_frame);
    match refused {
        Some(refused) => upgrade.on_upgrade(move |socket| connection::refuse(socket, refused)),
        None => upgrade.on_upgrade(move |socket| connection::serve(hub, socket)),
    }
}
