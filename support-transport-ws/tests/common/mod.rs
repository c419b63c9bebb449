//! An in-process server for protocol tests, and the crate's test client (`testing`) on it.

#![allow(dead_code, unused_imports, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;
use support_transport_ws::*;

pub(crate) const KEY: &str = "test-key";
pub(crate) const SECRET: &str = "test-secret";
pub(crate) const APP_ID: &str = "test-app";

/// Allows every private channel, and presence channels as the user named by the bearer token.
pub(crate) struct AllowAll;

#[async_trait]
impl ChannelAuthorizer for AllowAll {
    async fn decide(&self, r: JoinRequest<'_>) -> Decision {
        let token = r
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        match token {
            None => Decision::Unauthenticated,
            Some("refused") => Decision::Forbidden,
            Some(user) if r.channel.starts_with("presence-") => Decision::Allow {
                member: Some((user.to_owned(), serde_json::json!({ "name": user }))),
            },
            Some(_) => Decision::Allow { member: None },
        }
    }
}

pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    pub(crate) hub: Hub,
}

pub(crate) async fn start(limits: Limits) -> Server {
    start_app(AppConfig {
        limits,
        ..AppConfig::new(APP_ID, KEY, SECRET)
    })
    .await
}

pub(crate) async fn start_app(app: AppConfig) -> Server {
    let hub = Hub::new(app);
    let app = router(hub.clone(), Arc::new(AllowAll));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Server { addr, hub }
}

pub(crate) use support_transport_ws::testing::{Ws, next, next_within, send};

impl Server {
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A raw websocket to `/app/{key}?{query}`, handshake not yet read.
    pub(crate) async fn raw(&self, key: &str, query: &str) -> Ws {
        testing::connect_raw(self.addr, key, query).await
    }

    /// A connected client and its socket id.
    pub(crate) async fn client(&self) -> (Ws, String) {
        testing::connect(self.addr, KEY).await
    }

    /// A client subscribed to a private channel.
    pub(crate) async fn subscribed(&self, channel: &str) -> (Ws, String) {
        let (mut ws, socket) = self.client().await;
        subscribe(&mut ws, &socket, channel).await;
        let ok = next(&mut ws).await;
        assert_eq!(
            ok["event"], "pusher_internal:subscription_succeeded",
            "{ok}"
        );
        (ws, socket)
    }
}

impl Server {
    /// A client subscribed to a private channel as user `user`, signed (with `channel_data`
    /// `{"user_id": user}`) as the auth endpoint signs a user in: its client events are
    /// relayed with that user id.
    pub(crate) async fn subscribed_as(&self, channel: &str, user: &str) -> (Ws, String) {
        let (mut ws, socket) = self.client().await;
        let data = serde_json::json!({ "user_id": user }).to_string();
        let auth = signature::channel_auth(KEY, SECRET, &socket, channel, Some(&data));
        testing::subscribe(&mut ws, channel, &auth, Some(&data)).await;
        let ok = next(&mut ws).await;
        assert_eq!(
            ok["event"], "pusher_internal:subscription_succeeded",
            "{ok}"
        );
        (ws, socket)
    }
}

/// Subscribes with a signature made here, as if the auth endpoint had answered.
pub(crate) async fn subscribe(ws: &mut Ws, socket: &str, channel: &str) {
    let auth = signature::channel_auth(KEY, SECRET, socket, channel, None);
    testing::subscribe(ws, channel, &auth, None).await;
}

/// Signs and sends an HTTP API request with Pusher's scheme; returns status and body.
pub(crate) async fn api(
    server: &Server,
    method: &str,
    path: &str,
    extra: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    api_signed_with(server, method, path, extra, body, SECRET, None).await
}

pub(crate) async fn api_signed_with(
    server: &Server,
    method: &str,
    path: &str,
    extra: &[(&str, &str)],
    body: &str,
    secret: &str,
    timestamp: Option<i64>,
) -> (u16, String) {
    let ts = timestamp.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    });
    let mut params = std::collections::BTreeMap::new();
    params.insert("auth_key".to_owned(), KEY.to_owned());
    params.insert("auth_timestamp".to_owned(), ts.to_string());
    params.insert("auth_version".to_owned(), "1.0".to_owned());
    if !body.is_empty() {
        params.insert("body_md5".to_owned(), signature::body_md5(body.as_bytes()));
    }
    for (k, v) in extra {
        params.insert((*k).to_owned(), (*v).to_owned());
    }
    let sig = signature::sign(secret, &signature::api_string(method, path, &params));
    params.insert("auth_signature".to_owned(), sig);
    let query = serde_urlencoded::to_string(&params).unwrap();
    http(
        server,
        method,
        &format!("{path}?{query}"),
        &[("content-type", "application/json")],
        body.as_bytes(),
    )
    .await
}

/// A bare HTTP/1.1 request to the server.
pub(crate) async fn http(
    server: &Server,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    testing::http(server.addr, method, path_and_query, headers, body).await
}
