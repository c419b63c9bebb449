//! The application a server serves: Pusher credentials and the limits that keep one client
//! from hurting the others.

use std::fmt;
use std::time::Duration;

/// A Pusher application: the id and key clients and SDKs name, and the secret that signs.
#[derive(Clone)]
pub struct AppConfig {
    /// `app_id`, in the HTTP API's paths.
    pub id: String,
    /// `key`, in websocket URLs and channel signatures.
    pub key: String,
    /// `secret`: signs channel auth and HTTP API requests. Never logged.
    pub secret: String,
    /// The limits.
    pub limits: Limits,
    /// How often a user, an address or the app may write, join channels or trigger events.
    pub rate_limits: crate::RateLimits,
    /// Where to send webhooks; `None` (the default) sends none.
    pub webhooks: Option<crate::WebhookConfig>,
}

impl fmt::Debug for AppConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppConfig")
            .field("id", &self.id)
            .field("key", &self.key)
            .field("secret", &"<redacted>")
            .field("limits", &self.limits)
            .field("rate_limits", &self.rate_limits)
            .field("webhooks", &self.webhooks)
            .finish()
    }
}

impl AppConfig {
    /// An app with default limits and rate limits.
    pub fn new(id: impl Into<String>, key: impl Into<String>, secret: impl Into<String>) -> Self {
        AppConfig {
            id: id.into(),
            key: key.into(),
            secret: secret.into(),
            limits: Limits::default(),
            rate_limits: crate::RateLimits::default(),
            webhooks: None,
        }
    }
}

/// Limits, with Pusher's values where Pusher has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Seconds of silence after which a client should ping; sent in the handshake. The server
    /// pings a silent client after this long and closes it with 4201 if no answer follows
    /// within `pong_timeout`.
    pub activity_timeout: Duration,
    /// How long the server waits for any frame after its own ping.
    pub pong_timeout: Duration,
    /// Open connections at most; beyond, new ones are closed with 4100 (over capacity).
    pub max_connections: usize,
    /// Channels one connection may be subscribed to at once.
    pub max_channels_per_connection: usize,
    /// Distinct users in one presence channel (Pusher: 100).
    pub max_presence_members: usize,
    /// Bytes of `user_info` for one presence member (Pusher: 1 KB).
    pub max_presence_user_info_bytes: usize,
    /// Bytes of an event's `data`, from the HTTP API or a client (Pusher: 10 KB).
    pub max_event_bytes: usize,
    /// Channels one HTTP API event may name (Pusher: 100).
    pub max_event_channels: usize,
    /// Events in one `batch_events` call (Pusher: 10).
    pub max_batch_events: usize,
    /// Client events one connection may send per second (Pusher: 10); beyond, `pusher:error`
    /// 4301 and the event is dropped, the connection stays open.
    pub client_events_per_second: u32,
    /// Frames waiting to be written to one connection; a subscriber that falls this far behind
    /// is disconnected (4100) rather than let grow the server's memory.
    pub outbound_queue: usize,
    /// The largest frame a client may send, in bytes.
    pub max_frame_bytes: usize,
    /// How far an HTTP API request's `auth_timestamp` may be from now (Pusher: 600 s).
    pub timestamp_window: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            activity_timeout: Duration::from_secs(30),
            pong_timeout: Duration::from_secs(30),
            max_connections: 100_000,
            max_channels_per_connection: 100,
            max_presence_members: 100,
            max_presence_user_info_bytes: 1024,
            max_event_bytes: 10 * 1024,
            max_event_channels: 100,
            max_batch_events: 10,
            client_events_per_second: 10,
            outbound_queue: 1024,
            max_frame_bytes: 64 * 1024,
            timestamp_window: Duration::from_secs(600),
        }
    }
}
