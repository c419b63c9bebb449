//! One websocket connection: the handshake, the read loop, the bounded write queue, keep-alive
//! and the per-connection limits.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures::stream::SplitSink;
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::Value;
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;

use crate::hub::{Hub, Outbox, PresenceMember, Queue};
use crate::metrics::ws::{self as metrics, SubscriptionKind, WsMetrics};
use crate::names::{ChannelKind, channel_kind};
use crate::protocol::{self, Incoming, code};
use crate::signature;

/// The query string of `/app/{key}`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ConnectQuery {
    pub(crate) protocol: Option<String>,
}

/// Why the connection ends, and the close frame it gets.
struct Close(u16, &'static str);

/// A fresh socket id: two random numbers, the shape server SDKs accept (`^\d+\.\d+$`).
fn socket_id() -> Arc<str> {
    Arc::from(format!("{}.{}", fastrand::u32(..), fastrand::u32(..)))
}

/// How long the close frame, or a refusal, may take to write before the TCP connection is
/// dropped anyway: a peer that does not read must not keep the task alive.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// A refused handshake: the code and message the client gets, and the reason as the
/// metrics and the log name it.
pub(crate) struct Refusal {
    pub(crate) code: u16,
    message: &'static str,
    pub(crate) reason: &'static str,
}

/// Checks the app key, protocol version and origin before the connection counts.
pub(crate) fn refusal(
    hub: &Hub,
    key: &str,
    query: &ConnectQuery,
    origin_allowed: bool,
) -> Option<Refusal> {
    let refused = |code, message, reason| {
        Some(Refusal {
            code,
            message,
            reason,
        })
    };
    if key != hub.app().key {
        return refused(
            code::APP_NOT_FOUND,
            "Application does not exist",
            "app_not_found",
        );
    }
    match query.protocol.as_deref().map(str::parse::<u32>) {
        None => {
            return refused(
                code::NO_PROTOCOL,
                "No protocol version supplied",
                "no_protocol",
            );
        }
        Some(Err(_)) => {
            return refused(
                code::INVALID_VERSION,
                "Invalid version string format",
                "invalid_version",
            );
        }
        Some(Ok(v)) if !protocol::SUPPORTED_VERSIONS.contains(&v) => {
            return refused(
                code::UNSUPPORTED_PROTOCOL,
                "Unsupported protocol version",
                "unsupported_protocol",
            );
        }
        Some(Ok(_)) => {}
    }
    if !origin_allowed {
        return refused(
            code::ORIGIN_NOT_ALLOWED,
            "Origin not allowed",
            "origin_not_allowed",
        );
    }
    None
}

/// Tells the client why it may not connect (`pusher:error`, then the close frame with the same
/// code), within [`CLOSE_TIMEOUT`], and counts the refusal by its reason.
pub(crate) async fn refuse(mut socket: WebSocket, refusal: Refusal) {
    let Refusal {
        code,
        message,
        reason,
    } = refusal;
    metrics::connection_refused(reason);
    let refusal = async {
        socket
            .send(Message::Text(protocol::error(Some(code), message).into()))
            .await?;
        socket
            .send(Message::Close(Some(CloseFrame {
                code,
                reason: Utf8Bytes::from_static(message),
            })))
            .await
    };
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, refusal).await;
}

/// Whether the warning that the connection cap is reached is due: once a minute at most, so
/// a server at its cap does not log every refused client.
fn cap_warning_due() -> bool {
    use std::sync::atomic::{AtomicU64, Ordering};
    static WARNED_AT: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let last = WARNED_AT.load(Ordering::Relaxed);
    now >= last + 60
        && WARNED_AT
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
}

/// Serves one upgraded websocket, whose handshake [`refusal`] accepted, until it closes.
pub(crate) async fn serve(hub: Hub, socket: WebSocket) {
    if !hub.admit() {
        let max_connections = hub.app().limits.max_connections;
        if cap_warning_due() {
            tracing::warn!(
                reason = "over_capacity",
                code = code::OVER_CAPACITY,
                max_connections,
                "websocket refused: the connection cap is reached (said once a minute; each is counted)"
            );
        } else {
            tracing::debug!(
                reason = "over_capacity",
                code = code::OVER_CAPACITY,
                "websocket refused"
            );
        }
        let refused = Refusal {
            code: code::OVER_CAPACITY,
            message: "Over capacity",
            reason: "over_capacity",
        };
        return refuse(socket, refused).await;
    }
    let limits = &hub.app().limits;
    let (outbox, queue, overflow) = Outbox::new(limits.outbound_queue, limits.outbound_queue_bytes);
    let mut conn = Connection {
        hub: hub.clone(),
        socket_id: socket_id(),
        outbox,
        channels: HashMap::new(),
        users: Vec::new(),
        revoked: None,
        client_events: Window::new(),
        frames: Window::new(),
    };
    conn.run(socket, queue, overflow).await;
    conn.leave_all();
    hub.release();
}

struct Connection {
    hub: Hub,
    socket_id: Arc<str>,
    outbox: Outbox,
    /// Channel → the user id it joined as: the presence member, or the user signed into a
    /// private subscription; `None` for public channels and standard private signatures.
    channels: HashMap<String, Option<String>>,
    /// The users this connection was signed in as (by any subscription, even one it left
    /// since): the hub's index holds it under each, until it closes.
    users: Vec<Arc<str>>,
    /// Cancelled by [`Hub::disconnect_user`]: the connection closes with 4009. Made when the
    /// connection is first signed in as a user; `None` before.
    revoked: Option<CancellationToken>,
    /// Client events in the current one-second window.
    client_events: Window,
    /// Frames read in the current one-second window, of every kind.
    frames: Window,
}

/// A count of things in the current one-second window: cheap enough for every connection
/// (16 bytes), and all a per-connection bound needs.
#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    count: u32,
}

impl Window {
    fn new() -> Self {
        Window {
            started: Instant::now(),
            count: 0,
        }
    }

    /// Counts one more, unless `limit` were already counted in this second (`false`).
    fn admit(&mut self, limit: u32) -> bool {
        let now = Instant::now();
        if now.duration_since(self.started) >= Duration::from_secs(1) {
            *self = Window {
                started: now,
                count: 0,
            };
        }
        if self.count >= limit {
            return false;
        }
        self.count += 1;
        true
    }
}

/// Why the writer stopped.
enum WriteEnd {
    /// A write took longer than `Limits::write_timeout`: the client does not read.
    Stalled,
    /// The socket failed, or every sender is gone.
    Closed,
}

/// Writes the queue to the socket, one frame at a time, each write bounded by `timeout`.
/// An event's frame, once written, counts as delivered, with its latency since the hub had it.
///
/// Polled by the connection's `select!` beside the reads and deadlines, so that a write that
/// waits on a client that does not read holds up nothing else; it returns only when it gives up.
async fn write_queue(
    sink: &mut SplitSink<WebSocket, Message>,
    queue: &mut Queue,
    timeout: Duration,
    metrics: &WsMetrics,
) -> WriteEnd {
    while let Some(frame) = queue.recv().await {
        // `timeout` polls the write first: one that completes at once starts no timer.
        match tokio::time::timeout(timeout, sink.send(Message::Text(frame.text))).await {
            Ok(Ok(())) => {
                if let Some(published) = frame.published {
                    metrics.frames_delivered.increment(1);
                    metrics.delivery_latency.record(published.elapsed_secs());
                }
            }
            Ok(Err(_)) => return WriteEnd::Closed,
            Err(_) => return WriteEnd::Stalled,
        }
    }
    WriteEnd::Closed
}

impl Connection {
    fn send(&self, frame: impl Into<Utf8Bytes>) {
        self.outbox.push(frame.into());
    }

    /// The connection's life: the handshake, then one loop that reads frames, writes the queue,
    /// keeps the ping deadline and watches overflow and shutdown, all at once. Every write is
    /// bounded ([`Limits::write_timeout`](crate::Limits::write_timeout), then the close frame
    /// by [`CLOSE_TIMEOUT`]), so a client that stops reading is dropped within those bounds.
    async fn run(&mut self, socket: WebSocket, mut queue: Queue, overflow: CancellationToken) {
        // Borrowed from a handle of its own rather than cloned: every idle connection keeps
        // this future, so its size is memory per connection.
        let hub = self.hub.clone();
        let limits = &hub.app().limits;
        let shutdown = hub.shutdown_token();
        let reconnect = hub.reconnect_token();
        let (mut sink, mut stream) = socket.split();
        let hello =
            protocol::connection_established(&self.socket_id, limits.activity_timeout.as_secs());
        let greeted =
            tokio::time::timeout(limits.write_timeout, sink.send(Message::Text(hello.into())));
        if !matches!(greeted.await, Ok(Ok(()))) {
            return;
        }
        let mut deadline = Instant::now() + limits.activity_timeout;
        let mut pinged = false;
        let close = {
            let writer = write_queue(&mut sink, &mut queue, limits.write_timeout, hub.metrics());
            tokio::pin!(writer);
            loop {
                tokio::select! {
                    biased;
                    () = shutdown.cancelled() => break Some(Close(code::GOING_AWAY, "Server shutting down")),
                    () = reconnect.cancelled() => break Some(Close(code::GOING_AWAY, "Reconnect to catch up")),
                    () = overflow.cancelled() => {
                        self.slow_consumer("queue_full");
                        break Some(Close(code::OVER_CAPACITY, "Too slow to read"));
                    }
                    () = cancelled(self.revoked.as_ref()) => break Some(Close(code::UNAUTHORIZED, "Access revoked")),
                    end = &mut writer => match end {
                        WriteEnd::Stalled => {
                            self.slow_consumer("write_stalled");
                            break Some(Close(code::OVER_CAPACITY, "Too slow to read"));
                        }
                        WriteEnd::Closed => break None,
                    },
                    incoming = stream.next() => {
                        let Some(Ok(message)) = incoming else { break None };
                        if !self.frames.admit(limits.max_frames_per_second) {
                            break Some(Close(code::OVER_CAPACITY, "Too many messages"));
                        }
                        deadline = Instant::now() + limits.activity_timeout;
                        pinged = false;
                        match message {
                            Message::Text(text) => self.handle(text.as_str()),
                            Message::Binary(_) => break Some(Close(1003, "Binary frames are not supported")),
                            Message::Close(frame) => {
                                let code = frame.map(|f| f.code);
                                tracing::debug!(socket_id = %self.socket_id, code, "websocket closed by the client");
                                break None;
                            }
                            // tungstenite answers pings itself; pongs only prove liveness.
                            Message::Ping(_) | Message::Pong(_) => {}
                        }
                    }
                    () = sleep_until(deadline) => {
                        if pinged {
                            break Some(Close(code::PONG_TIMEOUT, "Pong reply not received"));
                        }
                        pinged = true;
                        deadline = Instant::now() + limits.pong_timeout;
                        self.send(Utf8Bytes::from_static(protocol::ping()));
                    }
                }
            }
        };
        metrics::closed(close.as_ref().map(|c| c.0));
        if let Some(Close(code, reason)) = close {
            match code {
                // Everyone at once (shutdown, resync): one line says it, not one per socket.
                code::GOING_AWAY => {
                    tracing::debug!(socket_id = %self.socket_id, code, reason, "websocket closed");
                }
                _ => tracing::info!(socket_id = %self.socket_id, code, reason, "websocket closed"),
            }
            let frame = CloseFrame {
                code,
                reason: Utf8Bytes::from_static(reason),
            };
            let _ =
                tokio::time::timeout(CLOSE_TIMEOUT, sink.send(Message::Close(Some(frame)))).await;
        }
        // Dropping both halves drops the TCP connection, whatever is still unwritten.
    }

    /// Counts and logs a subscriber cut off for not reading (`queue_full`, `write_stalled`).
    fn slow_consumer(&self, reason: &'static str) {
        metrics::slow_consumer(reason);
        tracing::warn!(
            socket_id = %self.socket_id,
            reason,
            channels = self.channels.len(),
            "slow consumer: closing with 4100"
        );
    }

    fn handle(&mut self, text: &str) {
        match protocol::parse(text) {
            Ok(Incoming::Ping) => self.send(Utf8Bytes::from_static(protocol::pong())),
            Ok(Incoming::Pong) => {}
            Ok(Incoming::Subscribe {
                channel,
                auth,
                channel_data,
            }) => self.subscribe(channel, auth, channel_data),
            Ok(Incoming::Unsubscribe { channel }) => {
                if self.channels.remove(&channel).is_some() {
                    self.hub.unsubscribe(&channel, &self.socket_id);
                }
            }
            Ok(Incoming::ClientEvent {
                event,
                channel,
                data,
            }) => self.client_event(&event, &channel, &data),
            Err(e) => self.send(protocol::error(None, &e.to_string())),
        }
    }

    fn subscribe(&mut self, channel: String, auth: Option<String>, channel_data: Option<String>) {
        let counted = SubscriptionKind::of(&channel);
        let refuse = |this: &Self, status: u16, message: &str, reason: &'static str| {
            metrics::subscription_refused(counted, reason);
            tracing::info!(
                socket_id = %this.socket_id,
                channel_kind = counted.label(),
                reason,
                status,
                "subscription refused"
            );
            this.send(protocol::subscription_error(&channel, status, message))
        };
        let Some(kind) = channel_kind(&channel) else {
            return refuse(self, 400, "Invalid channel name", "invalid_name");
        };
        if kind == ChannelKind::Encrypted {
            return refuse(
                self,
                400,
                "Encrypted channels are not supported",
                "encrypted",
            );
        }
        let limits = &self.hub.app().limits;
        if !self.channels.contains_key(&channel)
            && self.channels.len() >= limits.max_channels_per_connection
        {
            return refuse(
                self,
                400,
                "Too many channels on one connection",
                "too_many_channels",
            );
        }
        // Presence: the member. Private: the user the auth endpoint signed in, if it did
        // (`channel_data` `{"user_id": …}`), who sends this subscription's client events.
        let (member, user_id) = match kind {
            ChannelKind::Public => (None, None),
            _ => {
                let app = self.hub.app();
                let data = channel_data.as_deref();
                let signed = auth.as_deref().is_some_and(|auth| {
                    signature::verify_channel_auth(
                        &app.key,
                        &app.secret,
                        auth,
                        &self.socket_id,
                        &channel,
                        data,
                    )
                });
                if !signed {
                    return refuse(self, 401, "Invalid signature", "invalid_signature");
                }
                let member = data.map(|d| presence_member(d, limits.max_presence_user_info_bytes));
                match (kind, member) {
                    (ChannelKind::Presence, Some(Some(m))) => {
                        let user_id = m.user_id.clone();
                        (Some(m), Some(user_id))
                    }
                    (ChannelKind::Presence, None) => {
                        return refuse(
                            self,
                            400,
                            "Presence channels need channel_data",
                            "invalid_channel_data",
                        );
                    }
                    (ChannelKind::Presence, Some(None)) => {
                        return refuse(
                            self,
                            400,
                            "Invalid presence channel_data",
                            "invalid_channel_data",
                        );
                    }
                    (_, Some(Some(m))) => (None, Some(m.user_id)),
                    (_, Some(None)) => {
                        return refuse(self, 400, "Invalid channel_data", "invalid_channel_data");
                    }
                    (_, None) => (None, None),
                }
            }
        };
        match self
            .hub
            .subscribe(&channel, &self.socket_id, &self.outbox, member)
        {
            Ok(data) => {
                self.send(protocol::subscription_succeeded(&channel, &data));
                if let Some(user_id) = &user_id {
                    self.signed_in_as(user_id);
                }
                self.channels.insert(channel, user_id);
            }
            Err(e) => refuse(self, 403, &e.to_string(), "presence_full"),
        }
    }

    /// Relays a client event to the channel's other subscribers, with the sender's user id,
    /// if the sender is subscribed and signed in as a user, the allow-list names the channel
    /// and event, the data is small enough and the rate allows. Every refusal is a
    /// `pusher:error` and the connection stays open.
    fn client_event(&mut self, event: &str, channel: &str, data: &str) {
        let limits = &self.hub.app().limits;
        let Some(joined_as) = self.channels.get(channel) else {
            metrics::client_event_refused("not_subscribed");
            return self.send(protocol::error(
                None,
                "Client events need a subscription to the channel",
            ));
        };
        if !channel_kind(channel).is_some_and(ChannelKind::is_authenticated) {
            metrics::client_event_refused("not_private");
            return self.send(protocol::error(
                None,
                "Client events are only for private and presence channels",
            ));
        }
        if !limits.allows_client_event(channel, event) {
            metrics::client_event_refused("not_enabled");
            return self.send(protocol::error(
                Some(code::CLIENT_EVENT_REJECTED),
                "This client event is not enabled on this channel",
            ));
        }
        // Whispers are tied to their sender: a subscription the auth endpoint signed without a
        // user (the standard private signature) may listen, not speak.
        let Some(user_id) = joined_as.clone() else {
            metrics::client_event_refused("no_user");
            return self.send(protocol::error(
                Some(code::UNAUTHORIZED),
                "Client events need a subscription signed for a user (channel_data)",
            ));
        };
        if event.chars().count() > crate::names::MAX_EVENT_NAME
            || data.len() > limits.max_client_event_bytes
        {
            metrics::client_event_refused("too_large");
            let message = format!(
                "Client event data is limited to {} bytes",
                limits.max_client_event_bytes
            );
            return self.send(protocol::error(Some(code::CLIENT_EVENT_REJECTED), &message));
        }
        if !self.client_events.admit(limits.client_events_per_second) {
            metrics::client_event_refused("rate");
            return self.send(protocol::error(
                Some(code::CLIENT_EVENT_RATE),
                "Client event rate limit exceeded",
            ));
        }
        self.hub
            .client_event(channel, event, data, &self.socket_id, &user_id);
    }

    /// Puts this connection in the hub's index under `user_id`, once per user, so that
    /// [`Hub::disconnect_user`] closes it.
    fn signed_in_as(&mut self, user_id: &str) {
        if self.users.iter().any(|u| &**u == user_id) {
            return;
        }
        let user_id = Arc::<str>::from(user_id);
        let revoked = self.revoked.get_or_insert_with(CancellationToken::new);
        self.hub
            .add_user_connection(&user_id, &self.socket_id, revoked);
        self.users.push(user_id);
    }

    fn leave_all(&mut self) {
        for channel in std::mem::take(&mut self.channels).into_keys() {
            self.hub.unsubscribe(&channel, &self.socket_id);
        }
        for user_id in std::mem::take(&mut self.users) {
            self.hub.remove_user_connection(&user_id, &self.socket_id);
        }
    }
}

/// Waits until `token` is cancelled; forever if there is none.
async fn cancelled(token: Option<&CancellationToken>) {
    match token {
        Some(token) => token.cancelled().await,
        None => std::future::pending().await,
    }
}

/// Reads signed `channel_data`, `{"user_id": "…" or number, "user_info": {…}}` (`user_info`
/// optional: private channels carry the user id alone); `None` if malformed or too large.
fn presence_member(channel_data: &str, max_info_bytes: usize) -> Option<PresenceMember> {
    let v: Value = serde_json::from_str(channel_data).ok()?;
    let user_id = match v.get("user_id")? {
        Value::String(s) if !s.is_empty() => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let user_info = v.get("user_info").cloned().unwrap_or(Value::Null);
    (user_info.to_string().len() <= max_info_bytes).then_some(PresenceMember { user_id, user_info })
}

/// Runs frames through a connection's dispatch without a socket, for fuzzing and property
/// tests: what the connection would send back, in order, including what the hub queued for it.
pub(crate) fn dispatch_frames(hub: &Hub, socket_id: &str, frames: &[&str]) -> Vec<String> {
    let (outbox, mut queue, _overflow) = Outbox::new(frames.len() * 4 + 16, usize::MAX);
    let mut conn = Connection {
        hub: hub.clone(),
        socket_id: Arc::from(socket_id),
        outbox,
        channels: HashMap::new(),
        users: Vec::new(),
        revoked: None,
        client_events: Window::new(),
        frames: Window::new(),
    };
    for frame in frames {
        conn.handle(frame);
    }
    conn.leave_all();
    let mut sent = Vec::new();
    while let Some(frame) = queue.try_recv() {
        sent.push(frame.text.as_str().to_owned());
    }
    sent
}
