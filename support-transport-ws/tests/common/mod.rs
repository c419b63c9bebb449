//! An in-process server and a raw websocket client for protocol tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use support_transport_ws::*;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

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

pub(crate) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

impl Server {
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A raw websocket to `/app/{key}?{query}`, handshake not yet read.
    pub(crate) async fn raw(&self, key: &str, query: &str) -> Ws {
        let url = format!("ws://{}/app/{key}?{query}", self.addr);
        connect_async(url).await.expect("websocket").0
    }

    /// A connected client and its socket id.
    pub(crate) async fn client(&self) -> (Ws, String) {
        let mut ws = self.raw(KEY, "protocol=7&client=test&version=1").await;
        let hello = next(&mut ws).await;
        assert_eq!(hello["event"], "pusher:connection_established");
        let data: Value = serde_json::from_str(hello["data"].as_str().unwrap()).unwrap();
        (ws, data["socket_id"].as_str().unwrap().to_owned())
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

pub(crate) async fn send(ws: &mut Ws, frame: Value) {
    ws.send(Message::Text(frame.to_string().into()))
        .await
        .unwrap();
}

pub(crate) async fn subscribe(ws: &mut Ws, socket: &str, channel: &str) {
    let auth = signature::channel_auth(KEY, SECRET, socket, channel, None);
    send(ws, serde_json::json!({"event": "pusher:subscribe", "data": {"channel": channel, "auth": auth}})).await;
}

/// What the next frame says: a JSON text frame, or `{"close": code}` for a close frame.
pub(crate) async fn next(ws: &mut Ws) -> Value {
    next_within(ws, Duration::from_secs(5))
        .await
        .expect("a frame within 5 s")
}

pub(crate) async fn next_within(ws: &mut Ws, limit: Duration) -> Option<Value> {
    loop {
        let frame = tokio::time::timeout(limit, ws.next()).await.ok()?;
        match frame {
            Some(Ok(Message::Text(t))) => return Some(serde_json::from_str(&t).unwrap()),
            Some(Ok(Message::Close(c))) => {
                return Some(serde_json::json!({ "close": c.map(|c| u16::from(c.code)) }));
            }
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return Some(serde_json::json!({ "close": null })),
        }
    }
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

/// A bare HTTP/1.1 request over TCP: enough for tests, no client crate needed.
pub(crate) async fn http(
    server: &Server,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let mut request = format!(
        "{method} {path_and_query} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\ncontent-length: {}\r\n",
        server.addr,
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}
