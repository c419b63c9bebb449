//! What this crate measures, through the [`metrics`](https://docs.rs/metrics) facade: the
//! websocket layer, the HTTP routes, the store and the tickets. Nothing is exported by this
//! crate itself: the application installs the recorder it wants (the reference server
//! installs `metrics-exporter-prometheus` and serves `GET /metrics`), **before** it builds
//! [`SupportChat`](crate::SupportChat), whose hub takes its handles when it is created.
//! Without a recorder every measurement is a no-op.
//!
//! Call [`describe`] once after installing the recorder: it gives each metric its help text
//! and registers the unlabelled ones at zero, so that they are exported before anything
//! happened. [`HttpMetricsLayer`] measures HTTP requests (add it with `route_layer`, see
//! there), [`MeteredStore`] the store (`SupportChat` wraps every store in one), and
//! [`record_ticket_stats`] sets the ticket gauges (call it when the metrics are read, so they
//! are exact then).
//!
//! Every name starts with `support_`, counters end in `_total`, durations are in seconds and
//! say so. Label values are bounded: a channel *kind*, never a channel name; a route
//! *template*, never a raw path; no id of any kind.
//!
//! | name | type | labels | meaning |
//! |---|---|---|---|
//! | `support_ws_connections` | gauge | | open websocket connections on this node |
//! | `support_ws_subscriptions` | gauge | `kind` | subscriptions open now, by channel kind: `ticket` (`private-support.ticket.N`), `admin` (`private-support.admin`), `presence` (any `presence-` channel, the ticket staff rooms included), `private` (other `private-` channels), `public` |
//! | `support_ws_events_published_total` | counter | `source`, `event` | events this node's hub fanned out to a channel: `source="service"` with the service's event name (`chat.message`, `message.created`, …), `source="http_api"` (Pusher HTTP API) and `source="client"` (relayed client events) with `event="other"` |
//! | `support_ws_frames_delivered_total` | counter | | event frames written to a websocket (one per subscriber an event reached) |
//! | `support_ws_delivery_latency_seconds` | histogram | | from an event's arrival at the hub to its frame being written to a subscriber's socket |
//! | `support_ws_connections_refused_total` | counter | `reason` | websocket handshakes refused: `app_not_found`, `no_protocol`, `invalid_version`, `unsupported_protocol`, `origin_not_allowed`, `over_capacity` |
//! | `support_ws_closes_total` | counter | `code` | connections ended: the close code the server sent (`4200` shutdown or resync, `4100` too slow or too many frames, `4201` no pong, `4009` access revoked, `1003` binary frame), or `client` when the client closed or went away |
//! | `support_ws_slow_consumer_disconnects_total` | counter | `reason` | connections closed with 4100 for not reading: `queue_full` (the outbound queue overflowed), `write_stalled` (a write took longer than `Limits::write_timeout`) |
//! | `support_ws_subscription_refusals_total` | counter | `kind`, `reason` | `pusher:subscribe` refused: `invalid_name`, `encrypted`, `too_many_channels`, `invalid_signature`, `invalid_channel_data`, `presence_full` |
//! | `support_ws_client_event_refusals_total` | counter | `reason` | client events refused: `not_subscribed`, `not_private`, `not_enabled`, `no_user`, `too_large`, `rate` |
//! | `support_channel_auth_refusals_total` | counter | `kind`, `reason` | `POST /broadcasting/auth` refusals: `invalid_request`, `unauthenticated`, `forbidden`, `throttled`, `unavailable` |
//! | `support_http_connections_refused_total` | counter | `reason` | TCP connections [`serve`](crate::serve) closed at once for a cap ([`HttpLimits`](crate::HttpLimits)): `max_connections`, `per_address` |
//! | `support_http_requests_total` | counter | `method`, `route`, `status` | HTTP requests answered, by the matched route template (`/api/admin/support/{ticket}`) |
//! | `support_http_request_duration_seconds` | histogram | `method`, `route` | time to the response's head, by route template |
//! | `support_store_operation_duration_seconds` | histogram | `operation` | store calls, by `SupportStore` method name (`append_message`, `tickets`, …) |
//! | `support_store_errors_total` | counter | `operation`, `kind` | store calls that failed, by method and error kind: `not_found`, `forbidden`, `invalid`, `conflict`, `stale`, `unavailable`, `backend`, `other` |
//! | `support_tickets_open` | gauge | | tickets with status `open` (as `/api/admin/support/stats`), read when the metrics are read |
//! | `support_tickets_in_progress` | gauge | | tickets with status `in_progress` |
//! | `support_tickets_urgent` | gauge | | urgent tickets that are open or in progress |
//! | `support_bus_listener_reconnects_total` | counter | | times the PostgreSQL NOTIFY listener lost its connection and listened again (from `support-store-postgres`) |
//! | `support_bus_listener_resyncs_total` | counter | | times it told this node's subscribers to catch up (each reconnect, each unreadable notification) |

mod handles;
mod http;
mod store;
pub(crate) mod ws;

pub use http::{HttpMetrics, HttpMetricsLayer};
pub use store::MeteredStore;

use ::metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
use support_core::Stats;

/// Gives every metric of the table above its help text and unit, and registers the
/// unlabelled ones at zero so they are exported from the start. Call it once, after
/// installing the recorder.
pub fn describe() {
    describe_gauge!(
        ws::CONNECTIONS,
        Unit::Count,
        "Open websocket connections on this node."
    );
    describe_gauge!(
        ws::SUBSCRIPTIONS,
        Unit::Count,
        "Channel subscriptions open now, by channel kind."
    );
    describe_counter!(
        ws::EVENTS_PUBLISHED,
        Unit::Count,
        "Events this node's hub fanned out to a channel, by source and event name."
    );
    describe_counter!(
        ws::FRAMES_DELIVERED,
        Unit::Count,
        "Event frames written to websocket connections (one per subscriber reached)."
    );
    describe_histogram!(
        ws::DELIVERY_LATENCY,
        Unit::Seconds,
        "From an event's arrival at the hub to its frame written to a subscriber's socket."
    );
    describe_counter!(
        ws::CONNECTIONS_REFUSED,
        Unit::Count,
        "Websocket handshakes refused, by reason."
    );
    describe_counter!(
        ws::CLOSES,
        Unit::Count,
        "Websocket connections ended, by the close code the server sent (or client)."
    );
    describe_counter!(
        ws::SLOW_CONSUMERS,
        Unit::Count,
        "Websocket connections closed with 4100 for not reading their events."
    );
    describe_counter!(
        ws::SUBSCRIPTION_REFUSALS,
        Unit::Count,
        "Channel subscriptions refused on the websocket, by channel kind and reason."
    );
    describe_counter!(
        ws::CLIENT_EVENT_REFUSALS,
        Unit::Count,
        "Client events refused, by reason."
    );
    describe_counter!(
        ws::CHANNEL_AUTH_REFUSALS,
        Unit::Count,
        "POST /broadcasting/auth refusals, by channel kind and reason."
    );
    describe_counter!(
        HTTP_CONNECTIONS_REFUSED,
        Unit::Count,
        "TCP connections closed at once for a connection cap, by cap."
    );
    describe_counter!(
        http::REQUESTS,
        Unit::Count,
        "HTTP requests answered, by method, route template and status."
    );
    describe_histogram!(
        http::DURATION,
        Unit::Seconds,
        "HTTP request latency to the response head, by method and route template."
    );
    describe_histogram!(
        store::DURATION,
        Unit::Seconds,
        "Store call latency, by SupportStore operation."
    );
    describe_counter!(
        store::ERRORS,
        Unit::Count,
        "Store calls that failed, by operation and error kind."
    );
    describe_gauge!(
        TICKETS_OPEN,
        Unit::Count,
        "Tickets with status open, read from the store when the metrics are read."
    );
    describe_gauge!(
        TICKETS_IN_PROGRESS,
        Unit::Count,
        "Tickets with status in_progress, read from the store when the metrics are read."
    );
    describe_gauge!(
        TICKETS_URGENT,
        Unit::Count,
        "Urgent tickets that are open or in progress, read when the metrics are read."
    );
    describe_counter!(
        BUS_RECONNECTS,
        Unit::Count,
        "Times the bus listener lost its connection and listened again."
    );
    describe_counter!(
        BUS_RESYNCS,
        Unit::Count,
        "Times the bus listener told this node's subscribers to catch up."
    );
    ::metrics::gauge!(ws::CONNECTIONS).increment(0.0);
    for kind in ws::SubscriptionKind::ALL {
        ::metrics::gauge!(ws::SUBSCRIPTIONS, "kind" => kind.label()).increment(0.0);
    }
    ::metrics::counter!(ws::FRAMES_DELIVERED).increment(0);
}

const HTTP_CONNECTIONS_REFUSED: &str = "support_http_connections_refused_total";

/// Counts a TCP connection `serve` refused for a cap (`max_connections`, `per_address`).
pub(crate) fn connection_refused(reason: &'static str) {
    ::metrics::counter!(HTTP_CONNECTIONS_REFUSED, "reason" => reason).increment(1);
}

/// `support_tickets_open`: tickets with status `open`.
pub const TICKETS_OPEN: &str = "support_tickets_open";
/// `support_tickets_in_progress`: tickets with status `in_progress`.
pub const TICKETS_IN_PROGRESS: &str = "support_tickets_in_progress";
/// `support_tickets_urgent`: urgent tickets that are open or in progress.
pub const TICKETS_URGENT: &str = "support_tickets_urgent";
/// `support_bus_listener_reconnects_total`, counted by a bus listener (PostgreSQL's).
pub const BUS_RECONNECTS: &str = "support_bus_listener_reconnects_total";
/// `support_bus_listener_resyncs_total`, counted by a bus listener (PostgreSQL's).
pub const BUS_RESYNCS: &str = "support_bus_listener_resyncs_total";

/// Sets the ticket gauges to `stats` (the store's [`Stats`], as `/api/admin/support/stats`
/// answers them). Call it just before the metrics are rendered, so they are exact at scrape.
#[allow(clippy::cast_precision_loss)] // exact below 2^53 tickets
pub fn record_ticket_stats(stats: &Stats) {
    ::metrics::gauge!(TICKETS_OPEN).set(stats.open as f64);
    ::metrics::gauge!(TICKETS_IN_PROGRESS).set(stats.in_progress as f64);
    ::metrics::gauge!(TICKETS_URGENT).set(stats.urgent as f64);
}
