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
    /// The origins browsers may open the websocket from, as a browser sends them in `Origin`
    /// (`https://help.example.com`, `http://localhost:3000`: scheme, host and any port;
    /// compared without regard to ASCII case or a trailing `/`), like Reverb's
    /// `allowed_origins`. Empty (the default), or an entry `*`, allows every origin. Otherwise
    /// a handshake with another `Origin`, or none, is refused with `pusher:error` 4009 and
    /// closed with 4009, which tells pusher-js not to retry; a page of the server's own host
    /// is always allowed ([`AppConfig::allows_handshake`]).
    pub allowed_origins: Vec<String>,
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
            .field("allowed_origins", &self.allowed_origins)
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
            allowed_origins: Vec::new(),
        }
    }

    /// Whether a websocket handshake whose `Origin` header is `origin` (`None`: no header) may
    /// connect: see [`AppConfig::allowed_origins`].
    pub fn allows_origin(&self, origin: Option<&str>) -> bool {
        if self.allowed_origins.is_empty() || self.allowed_origins.iter().any(|o| o.trim() == "*") {
            return true;
        }
        let Some(origin) = origin else {
            return false;
        };
        let normal = |o: &str| o.trim().trim_end_matches('/').to_ascii_lowercase();
        let origin = normal(origin);
        self.allowed_origins.iter().any(|o| normal(o) == origin)
    }

    /// Whether a websocket handshake may connect: its `Origin` is allowed
    /// ([`allows_origin`](Self::allows_origin)), or it is this server's own, naming the host
    /// the request was sent to (`Host`), so that the pages a server serves itself reach its
    /// websocket whatever else `allowed_origins` lists. Behind a proxy that rewrites `Host`,
    /// list the public origin too.
    pub fn allows_handshake(&self, origin: Option<&str>, host: Option<&str>) -> bool {
        if self.allows_origin(origin) {
            return true;
        }
        let (Some(origin), Some(host)) = (origin, host) else {
            return false;
        };
        origin
            .split_once("://")
            .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host.trim()))
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
    /// With a bus between nodes: how often this node tells the others all its presence
    /// members (its heartbeat), so that a node that joined late or missed a change converges
    /// within this long. Default 5 s.
    pub presence_heartbeat: Duration,
    /// With a bus between nodes: a node not heard from for this long (killed, or cut off
    /// from the bus) is taken to be gone, and its presence members leave on the others. A
    /// killed node's members are removed within this plus one second (the sweep). Keep it
    /// a few heartbeats long; default 15 s.
    pub presence_expiry: Duration,
    /// With a bus between nodes: the presence members this node keeps for one other node,
    /// over all channels (each channel also at most `max_presence_members`); a report beyond
    /// is cut short, with a log line. Default 10 000.
    pub max_remote_presence_members: usize,
    /// Bytes of an event's `data` from the HTTP API (Pusher: 10 KB).
    pub max_event_bytes: usize,
    /// Channels one HTTP API event may name (Pusher: 100).
    pub max_event_channels: usize,
    /// Events in one `batch_events` call (Pusher: 10).
    pub max_batch_events: usize,
    /// Client events one connection may send per second (Pusher: 10); beyond, `pusher:error`
    /// 4301 and the event is dropped, the connection stays open.
    pub client_events_per_second: u32,
    /// Frames one connection may send per second, of every kind (subscriptions, pings, client
    /// events, websocket pings); the frame beyond closes the connection with 4100 ("Too many
    /// messages"), and Pusher clients reconnect after backing off. Each frame costs the server
    /// work and its answer a place in the connection's queue, so a client that floods is cut
    /// off at once, whether it reads its answers or not. The default (200) leaves a client
    /// room to subscribe to every channel it may ([`Limits::max_channels_per_connection`]) at
    /// once; `u32::MAX` turns it off.
    pub max_frames_per_second: u32,
    /// The client events (Echo's whispers) the server relays: an event is relayed only if one
    /// rule names its channel and its name. Anything else gets `pusher:error` 4301 and reaches
    /// nobody; an empty list turns client events off (soketi's and sockudo's default).
    ///
    /// The default is what the support app uses: `client-typing` on
    /// `private-support.ticket.*` ([`ClientEventRule::support_typing`]).
    pub client_events: Vec<ClientEventRule>,
    /// Bytes of a client event's `data` (default 256: a typing whisper needs a few dozen);
    /// beyond, `pusher:error` 4301. Events from the HTTP API have `max_event_bytes`.
    pub max_client_event_bytes: usize,
    /// Frames waiting to be written to one connection; a subscriber that falls this far behind
    /// is disconnected (4100) rather than let grow the server's memory. The frames a connection
    /// causes for itself (pongs, errors, subscription answers) wait in the same queue, so a
    /// client that sends without reading fills it too.
    pub outbound_queue: usize,
    /// Bytes waiting to be written to one connection, at most (a single larger frame still
    /// goes through alone); beyond, the connection is closed with 4100 as for
    /// [`Limits::outbound_queue`]. Frames sent to many subscribers are shared, but each
    /// connection counts them in full. Default 4 MiB.
    pub outbound_queue_bytes: usize,
    /// How long one write to a connection may take before the server gives up on it: a client
    /// that stops reading fills the socket's buffers and the next write stalls. After this the
    /// connection is closed with 4100 (the close frame gets at most another second) and its
    /// TCP connection dropped. Meanwhile the server keeps reading from it and watches its
    /// queue, the ping deadline and shutdown, so a full queue closes it at once. Default 8 s: a
    /// client that stops reading is gone at most 9 s after its first stalled write.
    pub write_timeout: Duration,
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
            presence_heartbeat: Duration::from_secs(5),
            presence_expiry: Duration::from_secs(15),
            max_remote_presence_members: 10_000,
            max_event_bytes: 10 * 1024,
            max_event_channels: 100,
            max_batch_events: 10,
            client_events_per_second: 10,
            max_frames_per_second: 200,
            client_events: vec![ClientEventRule::support_typing()],
            max_client_event_bytes: 256,
            outbound_queue: 1024,
            outbound_queue_bytes: 4 * 1024 * 1024,
            write_timeout: Duration::from_secs(8),
            max_frame_bytes: 64 * 1024,
            timestamp_window: Duration::from_secs(600),
        }
    }
}

impl Limits {
    /// True if a rule of [`Limits::client_events`] lets `event` be sent on `channel`.
    pub fn allows_client_event(&self, channel: &str, event: &str) -> bool {
        self.client_events.iter().any(|r| r.allows(channel, event))
    }
}

/// One entry of the client-event allow-list ([`Limits::client_events`]): a channel and an
/// event name, each either exact or a prefix ending in `*` (`private-support.ticket.*`,
/// `client-*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientEventRule {
    /// The channel's full name (`private-` included), or a prefix ending in `*`.
    pub channel: String,
    /// The event's full name (`client-` included), or a prefix ending in `*`.
    pub event: String,
}

impl ClientEventRule {
    /// A rule for `event` on `channel` (either may end in `*`).
    pub fn new(channel: impl Into<String>, event: impl Into<String>) -> Self {
        ClientEventRule {
            channel: channel.into(),
            event: event.into(),
        }
    }

    /// The support app's one whisper: `client-typing` (Echo's `whisper('typing', …)`) on a
    /// ticket's channel, `private-support.ticket.*`.
    pub fn support_typing() -> Self {
        ClientEventRule::new("private-support.ticket.*", "client-typing")
    }

    /// True if this rule names `channel` and `event`.
    pub fn allows(&self, channel: &str, event: &str) -> bool {
        matches(&self.channel, channel) && matches(&self.event, event)
    }
}

/// `pattern` is `name` itself, or a prefix of it followed by `*`.
fn matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => pattern == name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handshake_from_the_servers_own_host_is_allowed_whatever_the_list() {
        let mut app = AppConfig::new("id", "key", "secret");
        app.allowed_origins = vec!["https://portal.example.com".into()];
        let host = Some("help.example.com");
        assert!(app.allows_handshake(Some("https://portal.example.com"), host));
        assert!(app.allows_handshake(Some("https://Help.Example.com"), host));
        assert!(app.allows_handshake(Some("http://127.0.0.1:8080"), Some("127.0.0.1:8080")));
        assert!(!app.allows_handshake(Some("https://evil.example"), host));
        assert!(!app.allows_handshake(Some("https://help.example.com.evil"), host));
        assert!(!app.allows_handshake(Some("http://127.0.0.1:9999"), Some("127.0.0.1:8080")));
        assert!(
            !app.allows_handshake(None, host),
            "no Origin, a list: refused"
        );
        assert!(!app.allows_handshake(Some("https://help.example.com"), None));
        app.allowed_origins.clear();
        assert!(
            app.allows_handshake(Some("https://evil.example"), host),
            "no list: all"
        );
    }
    use support_core::{Channel, TicketId};

    #[test]
    fn the_default_allows_typing_on_ticket_channels_only() {
        let limits = Limits::default();
        let ticket = Channel::Ticket(TicketId(7)).to_string();
        assert!(limits.allows_client_event(&ticket, "client-typing"));
        assert!(!limits.allows_client_event(&ticket, "client-typing-x"));
        assert!(!limits.allows_client_event(&ticket, "client-message"));
        let admin = Channel::Admin.to_string();
        assert!(!limits.allows_client_event(&admin, "client-typing"));
        assert!(!limits.allows_client_event("private-support.tickets", "client-typing"));
    }

    #[test]
    fn patterns_are_exact_or_a_prefix_ending_in_a_star() {
        let r = ClientEventRule::new("private-room", "client-*");
        assert!(r.allows("private-room", "client-anything"));
        assert!(!r.allows("private-room2", "client-x"));
        assert!(!r.allows("private-room", "pusher:x"));
        assert!(ClientEventRule::new("*", "*").allows("any", "thing"));
    }
}
