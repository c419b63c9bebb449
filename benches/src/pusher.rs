//! The client side of Pusher Channels protocol 7 that the load generators need: connect,
//! read the socket id, subscribe, and read frames.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::BoxError;

/// A client websocket.
pub type Ws = WebSocketStream<TcpStream>;

/// The answer to the server's `pusher:ping`.
pub const PONG: &str = r#"{"event":"pusher:pong","data":{}}"#;

/// A frame from the server, borrowed from its text.
#[derive(Debug, Deserialize)]
pub struct Frame<'a> {
    /// The event name.
    #[serde(borrow)]
    pub event: std::borrow::Cow<'a, str>,
    /// The channel, for channel events.
    #[serde(default, borrow)]
    pub channel: Option<std::borrow::Cow<'a, str>>,
    /// The data: a JSON string for channel events (Pusher's wire form), raw.
    #[serde(default, borrow)]
    pub data: Option<&'a RawValue>,
}

/// `data` as the string servers send it in, or the raw JSON if it is not a string.
pub fn data_text(raw: Option<&RawValue>) -> String {
    raw.map(|r| serde_json::from_str::<String>(r.get()).unwrap_or_else(|_| r.get().to_owned()))
        .unwrap_or_default()
}

/// The websocket URL of an app: `ws://host:port/app/{key}?protocol=7…`.
pub fn ws_url(host: &str, port: u16, app_key: &str, client: &str) -> String {
    format!("ws://{host}:{port}/app/{app_key}?protocol=7&client={client}&version=0.1.0&flash=false")
}

/// Opens a websocket to `addr` and waits for `pusher:connection_established`; returns the
/// socket and its socket id. With `source` set and the server on loopback, the connection
/// leaves from 127.0.0.`source` (ephemeral ports are per source address).
pub async fn connect(
    addr: SocketAddr,
    url: &str,
    source: Option<u8>,
) -> Result<(Ws, String), BoxError> {
    let socket = TcpSocket::new_v4()?;
    if let Some(last) = source.filter(|_| addr.ip().is_loopback()) {
        socket.bind(SocketAddr::new(
            IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)),
            0,
        ))?;
    }
    let stream = socket.connect(addr).await?;
    stream.set_nodelay(true)?;
    // Small buffers: 100,000 connections in one process, and tungstenite allocates (and
    // zero-fills) the whole read buffer of each at once. The frames a load generator reads are
    // a few hundred bytes; a longer one grows its connection's buffer.
    let config = WebSocketConfig::default()
        .read_buffer_size(2 * 1024)
        .write_buffer_size(0);
    let (mut ws, _) =
        tokio_tungstenite::client_async_with_config(url, stream, Some(config)).await?;
    loop {
        let text = next_text(&mut ws).await?;
        let frame: Frame<'_> = serde_json::from_str(&text)?;
        match frame.event.as_ref() {
            "pusher:connection_established" => {
                #[derive(Deserialize)]
                struct Established {
                    socket_id: String,
                }
                let e: Established = serde_json::from_str(&data_text(frame.data))?;
                return Ok((ws, e.socket_id));
            }
            "pusher:error" => return Err(format!("refused: {text}").into()),
            _ => {}
        }
    }
}

/// Subscribes to `channel` (with `auth` for a private channel, and the `channel_data` the
/// signature covers when the channel auth answered one) and waits for the answer. Channel
/// events that arrive meanwhile are dropped: subscribe before the load starts.
pub async fn subscribe(
    ws: &mut Ws,
    channel: &str,
    auth: Option<&str>,
    channel_data: Option<&str>,
) -> Result<(), BoxError> {
    let mut data = serde_json::json!({ "channel": channel });
    if let Some(auth) = auth {
        data["auth"] = auth.into();
    }
    if let Some(channel_data) = channel_data {
        data["channel_data"] = channel_data.into();
    }
    let subscribe = serde_json::json!({ "event": "pusher:subscribe", "data": data });
    ws.send(Message::text(subscribe.to_string())).await?;
    loop {
        let text = next_text(ws).await?;
        let frame: Frame<'_> = serde_json::from_str(&text)?;
        match frame.event.as_ref() {
            "pusher_internal:subscription_succeeded"
                if frame.channel.as_deref() == Some(channel) =>
            {
                return Ok(());
            }
            "pusher:subscription_error" | "pusher:error" => {
                return Err(format!("subscription to {channel} refused: {text}").into());
            }
            "pusher:ping" => ws.send(Message::text(PONG)).await?,
            _ => {}
        }
    }
}

/// The next text frame; an error when the connection closes.
pub async fn next_text(ws: &mut Ws) -> Result<String, BoxError> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => return Ok(t.as_str().to_owned()),
            Some(Ok(Message::Close(c))) => return Err(format!("closed: {c:?}").into()),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.into()),
            None => return Err("connection ended".into()),
        }
    }
}
