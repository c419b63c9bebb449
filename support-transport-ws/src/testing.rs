//! A minimal Pusher protocol 7 client and a bare HTTP/1.1 call, for tests of a server that
//! mounts this crate's routers (feature `testing`).
//!
//! [`Client`] does what `pusher-js` does for Laravel Echo: connects to `/app/{key}`, signs
//! in to a private channel through `POST /broadcasting/auth` with the caller's credentials,
//! and receives events. The free functions underneath work on the raw websocket ([`Ws`]),
//! for tests of the protocol itself.
//!
//! Every call waits at most a few seconds and panics, with what it was waiting for, when the
//! server does not answer as a test expects: these are test helpers, not a client library.
//!
//! ```no_run
//! use support_transport_ws::testing::{Client, http};
//!
//! # async fn run(server: std::net::SocketAddr) {
//! let mut alice = Client::connect(server, "my-key").await;
//! alice.sign_in("private-support.ticket.1", &[("authorization", "Bearer alice")]).await;
//! let (status, _) = http(
//!     server,
//!     "POST",
//!     "/api/employee/portal/support/1/chat",
//!     &[("authorization", "Bearer alice"), ("content-type", "application/json")],
//!     br#"{"message":"Hello"}"#,
//! )
//! .await;
//! assert_eq!(status, 201);
//! # }
//! ```

#![allow(clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

/// A raw websocket to the server.
pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a call waits for the server.
const BOUND: Duration = Duration::from_secs(5);

/// A connected Pusher client: its websocket and the socket id the server gave it.
#[derive(Debug)]
pub struct Client {
    ws: Ws,
    socket_id: String,
    server: SocketAddr,
}

impl Client {
    /// Connects to `ws://{server}/app/{key}` as pusher-js does and reads the handshake.
    pub async fn connect(server: SocketAddr, key: &str) -> Client {
        let (ws, socket_id) = connect(server, key).await;
        Client {
            ws,
            socket_id,
            server,
        }
    }

    /// The socket id: send it as `X-Socket-ID` on a write to leave this client out of the
    /// event it causes.
    pub fn socket_id(&self) -> &str {
        &self.socket_id
    }

    /// Signs in to a private (or presence) `channel`: asks `POST /broadcasting/auth` with
    /// `headers` (the caller's credentials), subscribes with the signature, and waits for
    /// `subscription_succeeded`, which it returns (its `data` lists a presence channel's members).
    /// Panics if the server refuses.
    pub async fn sign_in(&mut self, channel: &str, headers: &[(&str, &str)]) -> Value {
        sign_in(&mut self.ws, self.server, &self.socket_id, channel, headers).await
    }

    /// The next event named `name` on any channel (other frames are skipped), its `data`
    /// parsed.
    pub async fn event(&mut self, name: &str) -> Value {
        next_event(&mut self.ws, name).await
    }

    /// The next frame; see [`next`].
    pub async fn next(&mut self) -> Value {
        next(&mut self.ws).await
    }

    /// The websocket itself.
    pub fn ws(&mut self) -> &mut Ws {
        &mut self.ws
    }
}

/// A raw websocket to `ws://{server}/app/{key}?{query}`, its handshake not yet read.
pub async fn connect_raw(server: SocketAddr, key: &str, query: &str) -> Ws {
    let url = format!("ws://{server}/app/{key}?{query}");
    let connecting = tokio::time::timeout(BOUND, connect_async(url));
    connecting
        .await
        .expect("the websocket connects in time")
        .expect("the websocket connects")
        .0
}

/// [`connect_raw`] with an `Origin` header, as a browser on that page sends it.
pub async fn connect_raw_from(server: SocketAddr, key: &str, query: &str, origin: &str) -> Ws {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{server}/app/{key}?{query}")
        .into_client_request()
        .expect("a websocket URL");
    let origin = origin.parse().expect("an Origin header value");
    request.headers_mut().insert("origin", origin);
    tokio::time::timeout(BOUND, connect_async(request))
        .await
        .expect("the websocket connects in time")
        .expect("the websocket connects")
        .0
}

/// A websocket to `/app/{key}` speaking protocol 7, with its handshake read; returns it and
/// its socket id.
pub async fn connect(server: SocketAddr, key: &str) -> (Ws, String) {
    let mut ws = connect_raw(server, key, "protocol=7&client=test&version=1").await;
    let hello = next(&mut ws).await;
    assert_eq!(hello["event"], "pusher:connection_established", "{hello}");
    let data: Value = serde_json::from_str(hello["data"].as_str().expect("handshake data"))
        .expect("handshake data is JSON");
    let socket_id = data["socket_id"].as_str().expect("a socket id").to_owned();
    (ws, socket_id)
}

/// Sends a JSON frame.
pub async fn send(ws: &mut Ws, frame: Value) {
    ws.send(Message::Text(frame.to_string().into()))
        .await
        .expect("the frame is sent");
}

/// Subscribes `ws` to `channel` with a signature (`auth`, and `channel_data` for presence);
/// does not wait for the answer.
pub async fn subscribe(ws: &mut Ws, channel: &str, auth: &str, channel_data: Option<&str>) {
    let mut data = json!({"channel": channel, "auth": auth});
    if let Some(channel_data) = channel_data {
        data["channel_data"] = Value::from(channel_data);
    }
    send(ws, json!({"event": "pusher:subscribe", "data": data})).await;
}

/// [`Client::sign_in`] on a raw websocket whose socket id is `socket_id`.
pub async fn sign_in(
    ws: &mut Ws,
    server: SocketAddr,
    socket_id: &str,
    channel: &str,
    headers: &[(&str, &str)],
) -> Value {
    let form = serde_urlencoded::to_string([("socket_id", socket_id), ("channel_name", channel)])
        .expect("a form");
    let mut with_form = headers.to_vec();
    with_form.push(("content-type", "application/x-www-form-urlencoded"));
    let (status, body) = http(
        server,
        "POST",
        "/broadcasting/auth",
        &with_form,
        form.as_bytes(),
    )
    .await;
    assert_eq!(status, 200, "POST /broadcasting/auth for {channel}: {body}");
    let answer: Value = serde_json::from_str(&body).expect("channel auth answers JSON");
    let auth = answer["auth"].as_str().expect("a signature");
    subscribe(ws, channel, auth, answer["channel_data"].as_str()).await;
    loop {
        let frame = next(ws).await;
        match frame["event"].as_str() {
            Some("pusher_internal:subscription_succeeded") if frame["channel"] == channel => {
                return frame;
            }
            Some("pusher:subscription_error") | None => {
                panic!("subscribing to {channel} failed: {frame}")
            }
            Some(_) => {}
        }
    }
}

/// The next event named `name` (other frames are skipped), its `data` parsed.
pub async fn next_event(ws: &mut Ws, name: &str) -> Value {
    loop {
        let frame = next_within(ws, BOUND)
            .await
            .unwrap_or_else(|| panic!("no {name} event within {BOUND:?}"));
        if frame.get("close").is_some() {
            panic!("the websocket closed while waiting for {name}: {frame}");
        }
        if frame["event"] == name {
            let data = frame["data"].as_str().unwrap_or("null");
            return serde_json::from_str(data).expect("event data is JSON");
        }
    }
}

/// What the next frame says: a JSON text frame, or `{"close": code}` for a close frame
/// (`{"close": null}` when the connection ends without one). Panics after 5 s of silence.
pub async fn next(ws: &mut Ws) -> Value {
    next_within(ws, BOUND).await.expect("a frame within 5 s")
}

/// [`next`], or `None` if nothing arrives within `limit`.
pub async fn next_within(ws: &mut Ws, limit: Duration) -> Option<Value> {
    loop {
        let frame = tokio::time::timeout(limit, ws.next()).await.ok()?;
        match frame {
            Some(Ok(Message::Text(t))) => {
                return Some(serde_json::from_str(&t).expect("a JSON text frame"));
            }
            Some(Ok(Message::Close(c))) => {
                return Some(json!({ "close": c.map(|c| u16::from(c.code)) }));
            }
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return Some(json!({ "close": null })),
        }
    }
}

/// A bare HTTP/1.1 request to `server` (`connection: close`); returns the status and the
/// body. Enough for tests, with no client crate.
pub async fn http(
    server: SocketAddr,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let exchange = async {
        let mut stream = TcpStream::connect(server)
            .await
            .expect("the server listens");
        let mut request = format!(
            "{method} {path_and_query} HTTP/1.1\r\nhost: {server}\r\nconnection: close\r\ncontent-length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            request.push_str(&format!("{k}: {v}\r\n"));
        }
        request.push_str("\r\n");
        stream
            .write_all(request.as_bytes())
            .await
            .expect("the request is sent");
        stream.write_all(body).await.expect("the body is sent");
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .await
            .expect("the response is read");
        response
    };
    let response = tokio::time::timeout(BOUND * 2, exchange)
        .await
        .unwrap_or_else(|_| panic!("{method} {path_and_query}: no answer within 10 s"));
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
