//! The websocket layer's metrics as an embedder sees them: a real Prometheus recorder
//! installed before the hub is made, real websocket clients, and the rendered text read the
//! way Prometheus would. One test per binary: the recorder is the process's.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use metrics_exporter_prometheus::PrometheusBuilder;
use serde_json::json;
use support_transport_ws::{Limits, testing};

/// The value of the series `name{labels}` as rendered (labels in the order given); 0 if absent.
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |v| v.parse().unwrap())
}

/// Reads until the server closes the socket; the close code, `null` without a close frame.
async fn closed(ws: &mut Ws) -> serde_json::Value {
    loop {
        let frame = next(ws).await;
        if let Some(code) = frame.get("close") {
            return code.clone();
        }
    }
}

// One thread: the burst below runs to its end before the slow subscriber's writer runs, so its
// queue of 4 overflows whatever the machine's speed.
#[tokio::test(flavor = "current_thread")]
async fn refusals_subscriptions_deliveries_and_slow_consumers_are_counted() {
    let handle = PrometheusBuilder::new().install_recorder().unwrap();
    support_transport_ws::metrics::describe();
    let s = start(Limits {
        outbound_queue: 4,
        ..Limits::default()
    })
    .await;

    // Handshakes refused, by reason.
    let mut wrong_key = s.raw("no-such-key", "protocol=7").await;
    assert_eq!(closed(&mut wrong_key).await, 4001);
    let mut no_protocol = s.raw(KEY, "client=js").await;
    assert_eq!(closed(&mut no_protocol).await, 4008);

    // A subscription with a made-up signature, a client event without a subscription.
    let (mut ws, _) = s.client().await;
    testing::subscribe(&mut ws, "private-secret", "test-key:0000", None).await;
    assert_eq!(next(&mut ws).await["event"], "pusher:subscription_error");
    send(
        &mut ws,
        json!({"event": "client-typing", "channel": "private-other", "data": {}}),
    )
    .await;
    assert_eq!(next(&mut ws).await["event"], "pusher:error");

    // A reader, and a subscriber that does not read while a burst overflows its queue of 4.
    let (mut reader, _) = s.subscribed("private-support.ticket.7").await;
    let (mut slow, _) = s.subscribed("private-feed").await;
    let text = handle.render();
    assert_eq!(value(&text, "support_ws_connections"), 3.0, "{text}");
    assert_eq!(
        value(&text, r#"support_ws_subscriptions{kind="ticket"}"#),
        1.0
    );
    assert_eq!(
        value(&text, r#"support_ws_subscriptions{kind="private"}"#),
        1.0
    );
    s.hub
        .trigger("private-support.ticket.7", "note", "{}", None);
    assert_eq!(next(&mut reader).await["event"], "note");
    for _ in 0..50 {
        s.hub.trigger("private-feed", "bulk", "{}", None);
    }
    let code = closed(&mut slow).await;
    assert!(code == 4100 || code.is_null(), "closed with {code}");
    tokio::time::sleep(Duration::from_millis(100)).await;

    let text = handle.render();
    for (series, want) in [
        (
            r#"support_ws_connections_refused_total{reason="app_not_found"}"#,
            1.0,
        ),
        (
            r#"support_ws_connections_refused_total{reason="no_protocol"}"#,
            1.0,
        ),
        (
            r#"support_ws_subscription_refusals_total{kind="private",reason="invalid_signature"}"#,
            1.0,
        ),
        (
            r#"support_ws_client_event_refusals_total{reason="not_subscribed"}"#,
            1.0,
        ),
        (
            r#"support_ws_slow_consumer_disconnects_total{reason="queue_full"}"#,
            1.0,
        ),
        (r#"support_ws_closes_total{code="4100"}"#, 1.0),
        (
            r#"support_ws_events_published_total{source="http_api",event="other"}"#,
            51.0,
        ),
        ("support_ws_connections", 2.0),
        (r#"support_ws_subscriptions{kind="private"}"#, 0.0),
        (r#"support_ws_subscriptions{kind="ticket"}"#, 1.0),
    ] {
        assert_eq!(value(&text, series), want, "{series}\n{text}");
    }
    // The reader's event and whatever the slow one was written before it was cut.
    let delivered = value(&text, "support_ws_frames_delivered_total");
    assert!((1.0..=5.0).contains(&delivered), "{delivered}\n{text}");
    assert_eq!(
        value(&text, "support_ws_delivery_latency_seconds_count"),
        delivered,
        "{text}"
    );
    assert!(!text.contains("private-feed") && !text.contains("ticket.7"));
}
