//! The websocket layer's metrics: names, the bounded label values, and the handles the hub
//! takes once, when it is created, for what is counted on every event.

use std::num::NonZeroU32;
use std::sync::OnceLock;
use std::time::Instant;

use ::metrics::{Counter, Gauge, Histogram, counter, gauge, histogram};
use support_core::Channel;

use super::handles::Handles;
use crate::names::{ChannelKind, channel_kind};

pub(crate) const CONNECTIONS: &str = "support_ws_connections";
pub(crate) const SUBSCRIPTIONS: &str = "support_ws_subscriptions";
pub(crate) const EVENTS_PUBLISHED: &str = "support_ws_events_published_total";
pub(crate) const FRAMES_DELIVERED: &str = "support_ws_frames_delivered_total";
pub(crate) const DELIVERY_LATENCY: &str = "support_ws_delivery_latency_seconds";
pub(crate) const CONNECTIONS_REFUSED: &str = "support_ws_connections_refused_total";
pub(crate) const CLOSES: &str = "support_ws_closes_total";
pub(crate) const SLOW_CONSUMERS: &str = "support_ws_slow_consumer_disconnects_total";
pub(crate) const SUBSCRIPTION_REFUSALS: &str = "support_ws_subscription_refusals_total";
pub(crate) const CLIENT_EVENT_REFUSALS: &str = "support_ws_client_event_refusals_total";
pub(crate) const CHANNEL_AUTH_REFUSALS: &str = "support_channel_auth_refusals_total";

/// When the hub received an event, kept with each of its queued frames: microseconds since
/// the process first asked, wrapping every 71 minutes (a frame's wait is far shorter), never
/// zero. Four bytes rather than an `Instant`'s sixteen: every connection's queue is made with
/// room for 32 frames.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stamp(NonZeroU32);

impl Stamp {
    fn micros() -> u32 {
        static EPOCH: OnceLock<Instant> = OnceLock::new();
        let epoch = *EPOCH.get_or_init(Instant::now);
        // Truncated on purpose: the stamp wraps.
        #[allow(clippy::cast_possible_truncation)]
        let micros = epoch.elapsed().as_micros() as u32;
        micros
    }

    /// Now.
    pub(crate) fn now() -> Self {
        Stamp(NonZeroU32::new(Self::micros()).unwrap_or(NonZeroU32::MIN))
    }

    /// Seconds since the stamp.
    pub(crate) fn elapsed_secs(self) -> f64 {
        f64::from(Self::micros().wrapping_sub(self.0.get())) / 1e6
    }
}

/// What kind of channel a subscription is to, as the `kind` label says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SubscriptionKind {
    Ticket,
    Admin,
    Presence,
    Private,
    Public,
}

impl SubscriptionKind {
    pub(crate) const ALL: [SubscriptionKind; 5] = [
        SubscriptionKind::Ticket,
        SubscriptionKind::Admin,
        SubscriptionKind::Presence,
        SubscriptionKind::Private,
        SubscriptionKind::Public,
    ];

    /// The kind of a channel name; a name Pusher would refuse counts as `public` (it never
    /// gets a subscription).
    pub(crate) fn of(channel: &str) -> Self {
        match channel.parse::<Channel>() {
            Ok(Channel::Ticket(_)) => return SubscriptionKind::Ticket,
            Ok(Channel::Admin) => return SubscriptionKind::Admin,
            Ok(Channel::TicketStaff(_)) => return SubscriptionKind::Presence,
            _ => {}
        }
        match channel_kind(channel) {
            Some(ChannelKind::Presence) => SubscriptionKind::Presence,
            Some(ChannelKind::Private | ChannelKind::Encrypted) => SubscriptionKind::Private,
            Some(ChannelKind::Public) | None => SubscriptionKind::Public,
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            SubscriptionKind::Ticket => "ticket",
            SubscriptionKind::Admin => "admin",
            SubscriptionKind::Presence => "presence",
            SubscriptionKind::Private => "private",
            SubscriptionKind::Public => "public",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Where an event the hub fans out came from: the `source` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// The service: the event name is one of the core's, a bounded set.
    Service(&'static str),
    /// Pusher's HTTP API: any name the backend chose, counted as `other`.
    HttpApi,
    /// A client event relayed between subscribers: its name counted as `other`.
    Client,
}

/// The handles of the metrics counted on every event and frame, taken once from the
/// recorder installed when the hub was created.
pub(crate) struct WsMetrics {
    pub(crate) connections: Gauge,
    subscriptions: [Gauge; 5],
    pub(crate) frames_delivered: Counter,
    pub(crate) delivery_latency: Histogram,
    http_api_events: Counter,
    client_events: Counter,
    /// `source="service"`, by event name: registered at each name's first event.
    service_events: Handles<&'static str, Counter>,
}

impl std::fmt::Debug for WsMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsMetrics").finish_non_exhaustive()
    }
}

impl WsMetrics {
    pub(crate) fn new() -> Self {
        WsMetrics {
            connections: gauge!(CONNECTIONS),
            subscriptions: SubscriptionKind::ALL
                .map(|kind| gauge!(SUBSCRIPTIONS, "kind" => kind.label())),
            frames_delivered: counter!(FRAMES_DELIVERED),
            delivery_latency: histogram!(DELIVERY_LATENCY),
            http_api_events: counter!(EVENTS_PUBLISHED, "source" => "http_api", "event" => "other"),
            client_events: counter!(EVENTS_PUBLISHED, "source" => "client", "event" => "other"),
            service_events: Handles::default(),
        }
    }

    pub(crate) fn subscriptions(&self, kind: SubscriptionKind) -> &Gauge {
        &self.subscriptions[kind.index()]
    }

    pub(crate) fn published(&self, source: Source) {
        match source {
            Source::Service(event) => self
                .service_events
                .get(event, || {
                    let counter =
                        counter!(EVENTS_PUBLISHED, "source" => "service", "event" => event);
                    (event, counter)
                })
                .increment(1),
            Source::HttpApi => self.http_api_events.increment(1),
            Source::Client => self.client_events.increment(1),
        }
    }
}

/// Counts a refused handshake.
pub(crate) fn connection_refused(reason: &'static str) {
    counter!(CONNECTIONS_REFUSED, "reason" => reason).increment(1);
}

/// Counts a connection's end: the close code the server sent, or `None` when the client
/// closed or went away.
pub(crate) fn closed(code: Option<u16>) {
    let code = match code {
        Some(code) => code_label(code),
        None => "client",
    };
    counter!(CLOSES, "code" => code).increment(1);
}

/// The close codes the server sends, as static label values.
fn code_label(code: u16) -> &'static str {
    match code {
        1003 => "1003",
        4009 => "4009",
        4100 => "4100",
        4200 => "4200",
        4201 => "4201",
        _ => "other",
    }
}

pub(crate) fn slow_consumer(reason: &'static str) {
    counter!(SLOW_CONSUMERS, "reason" => reason).increment(1);
}

pub(crate) fn subscription_refused(kind: SubscriptionKind, reason: &'static str) {
    counter!(SUBSCRIPTION_REFUSALS, "kind" => kind.label(), "reason" => reason).increment(1);
}

pub(crate) fn client_event_refused(reason: &'static str) {
    counter!(CLIENT_EVENT_REFUSALS, "reason" => reason).increment(1);
}

pub(crate) fn channel_auth_refused(kind: SubscriptionKind, reason: &'static str) {
    counter!(CHANNEL_AUTH_REFUSALS, "kind" => kind.label(), "reason" => reason).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_measures_the_time_since() {
        assert_eq!(std::mem::size_of::<Option<Stamp>>(), 4);
        let stamp = Stamp::now();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let waited = stamp.elapsed_secs();
        assert!((0.02..1.0).contains(&waited), "{waited}");
    }

    #[test]
    fn kinds_are_bounded_and_name_no_channel() {
        assert_eq!(
            SubscriptionKind::of("private-support.ticket.42"),
            SubscriptionKind::Ticket
        );
        assert_eq!(
            SubscriptionKind::of("private-support.admin"),
            SubscriptionKind::Admin
        );
        assert_eq!(
            SubscriptionKind::of("presence-support.ticket.42.staff"),
            SubscriptionKind::Presence
        );
        assert_eq!(
            SubscriptionKind::of("presence-room"),
            SubscriptionKind::Presence
        );
        assert_eq!(
            SubscriptionKind::of("private-other"),
            SubscriptionKind::Private
        );
        assert_eq!(SubscriptionKind::of("chat"), SubscriptionKind::Public);
        assert_eq!(SubscriptionKind::of("not valid"), SubscriptionKind::Public);
    }
}
