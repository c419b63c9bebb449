//! The Pusher-compatible server as one axum `Router`: the websocket, the channel auth endpoint
//! and the signed Pusher HTTP API.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::{get, post};

use crate::api::private_answers;
use crate::authorize::{self, AuthState, ChannelAuthorizer};
use crate::connection::{self, ConnectQuery};
use crate::hub::Hub;
use crate::pusher_http;

/// Everything a Pusher-protocol client and server SDK talk to:
///
/// - `GET /app/{key}`: the websocket,
/// - `POST /broadcasting/auth`: channel authorization, decided by `authorizer`,
/// - `POST /apps/{app_id}/events`, `POST /apps/{app_id}/batch_events`,
///   `GET /apps/{app_id}/channels`, `GET /apps/{app_id}/channels/{channel}`,
///   `GET /apps/{app_id}/channels/{channel}/users`: the signed HTTP API.
///
/// Channel auth's answers carry `Cache-Control: no-store` and `X-Content-Type-Options:
/// nosniff`. Merge it into your own router; it carries its own state.
/// [`SupportChat::router`](crate::SupportChat::router) mounts it with the JSON API, on the
/// hub its service publishes to; wired by hand, the service must publish into `hub`.
pub fn router(hub: Hub, authorizer: Arc<dyn ChannelAuthorizer>) -> Router {
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
        .with_state(hub.clone());
    let auth = Router::new().route("/broadcasting/auth", post(authorize::handle));
    let auth = private_answers(auth).with_state(AuthState { hub, authorizer });
    api.merge(auth)
}

async fn websocket(
    State(hub): State<Hub>,
    Path(key): Path<String>,
    Query(query): Query<ConnectQuery>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let max_frame = hub.app().limits.max_frame_bytes;
    upgrade
        // Small buffers: most of a connection's life is idle, and memory per connection is
        // what limits how many one server holds.
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_message_size(max_frame)
        .max_frame_size(max_frame)
        .on_upgrade(move |socket| connection::serve(hub, socket, key, query))
}
