//! Clients that stop reading, over real TCP sockets with a small receive buffer: whatever they
//! send, the server closes them (4100) within a bound once their queue fills or a write to
//! them stalls, and a client that reads on the same server keeps receiving every event.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use support_transport_ws::{Limits, signature};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

/// How long a test waits for the server to drop a client that does not read: the contract's
/// bound (10 s after the queue fills or a write stalls) with room for a loaded machine.
const CLOSED_WITHIN: Duration = Duration::from_secs(20);

type RawWs = WebSocketStream<TcpStream>;

/// A websocket on a TCP socket whose receive buffer is as small as the kernel allows, its
/// handshake read, so that the server's writes stall soon after the client stops reading.
async fn small_buffer_client(server: &Server) -> (RawWs, String) {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(server.addr).await.unwrap();
    let url = format!(
        "ws://{}/app/{KEY}?protocol=7&client=test&version=1",
        server.addr
    );
    let (mut ws, _) = tokio_tungstenite::client_async(url, stream).await.unwrap();
    let hello = next_frame(&mut ws).await;
    assert_eq!(hello["event"], "pusher:connection_established", "{hello}");
    let data: Value = serde_json::from_str(hello["data"].as_str().unwrap()).unwrap();
    (ws, data["socket_id"].as_str().unwrap().to_owned())
}

async fn next_frame(ws: &mut RawWs) -> Value {
    let message = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .expect("a frame in time")
        .expect("the connection is open")
        .expect("a frame");
    serde_json::from_str(message.to_text().unwrap()).unwrap()
}

/// Subscribes to a private channel and reads the answer; the client reads nothing after this.
async fn subscribe_and_stop_reading(ws: &mut RawWs, socket_id: &str, channel: &str) {
    let auth = signature::channel_auth(KEY, SECRET, socket_id, channel, None);
    let frame = json!({"event": "pusher:subscribe", "data": {"channel": channel, "auth": auth}});
    ws.send(Message::Text(frame.to_string().into()))
        .await
        .unwrap();
    let ok = next_frame(ws).await;
    assert_eq!(
        ok["event"], "pusher_internal:subscription_succeeded",
        "{ok}"
    );
}

/// Waits until the server holds `n` connections; `false` if it still holds more after `bound`.
async fn connections_drop_to(server: &Server, n: usize, bound: Duration) -> bool {
    let until = Instant::now() + bound;
    while Instant::now() < until {
        if server.hub.connection_count() <= n {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.hub.connection_count() <= n
}

/// Whatever the socket buffers can absorb (megabytes of pongs on loopback), the flood is cut
/// off by the bound on frames a second (`Limits::max_frames_per_second`), not by how fast the
/// machine happens to fill those buffers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_floods_pings_and_never_reads_is_dropped() {
    let s = start(Limits::default()).await;
    let (mut ws, _) = small_buffer_client(&s).await;
    let flood = tokio::spawn(async move {
        let ping = r#"{"event":"pusher:ping","data":{}}"#;
        let started = Instant::now();
        let mut sent = 0u64;
        // Bounded in time; ends early when the server drops the connection.
        while started.elapsed() < CLOSED_WITHIN * 2 {
            if ws.send(Message::Text(ping.into())).await.is_err() {
                return (sent, true);
            }
            sent += 1;
        }
        (sent, false)
    });
    let dropped = connections_drop_to(&s, 0, CLOSED_WITHIN).await;
    assert!(
        dropped,
        "a client flooding pings without reading was still connected after {CLOSED_WITHIN:?}"
    );
    // The flooding client finds its connection gone: its writes fail soon after.
    let (sent, broken) = tokio::time::timeout(Duration::from_secs(10), flood)
        .await
        .expect("the flood ends once the server dropped the connection")
        .unwrap();
    assert!(broken, "the client's writes kept succeeding ({sent} pings)");

    // The server still serves others.
    let (mut fine, _) = s.client().await;
    send(&mut fine, json!({"event": "pusher:ping", "data": {}})).await;
    assert_eq!(next(&mut fine).await["event"], "pusher:pong");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_never_reads_is_dropped_while_a_reading_one_gets_every_event() {
    let s = start(Limits::default()).await;
    let channel = "private-feed";
    let (mut stalled, stalled_id) = small_buffer_client(&s).await;
    subscribe_and_stop_reading(&mut stalled, &stalled_id, channel).await;
    let (mut reader, _) = s.subscribed(channel).await;

    // The reading client records when each event arrives, and checks their order, until the
    // event that says how many were published.
    let reading = tokio::spawn(async move {
        let mut received = 0u64;
        let mut last = Instant::now();
        let mut longest_gap = Duration::ZERO;
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(10), reader.next())
                .await
                .expect("the reading client keeps receiving")
                .expect("its connection stays open")
                .expect("a frame");
            let frame: Value = serde_json::from_str(frame.to_text().unwrap()).unwrap();
            let data =
                || -> Value { serde_json::from_str(frame["data"].as_str().unwrap()).unwrap() };
            match frame["event"].as_str() {
                Some("bulk") => {
                    assert_eq!(
                        data()["n"],
                        received,
                        "events arrive in order, none missing"
                    );
                    received += 1;
                    longest_gap = longest_gap.max(last.elapsed());
                    last = Instant::now();
                }
                Some("end") => {
                    let published = data()["published"].as_u64().unwrap();
                    return (received, published, longest_gap, reader);
                }
                _ => {} // a server ping
            }
        }
    });

    // Events at a high rate until the stalled subscriber is gone (or the bound passes).
    let blob = "x".repeat(8000);
    let started = Instant::now();
    let mut published = 0u64;
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    while s.hub.connection_count() > 1 && started.elapsed() < CLOSED_WITHIN {
        tick.tick().await;
        let data = json!({"n": published, "blob": blob}).to_string();
        s.hub.trigger(channel, "bulk", &data, None);
        published += 1;
    }
    let took = started.elapsed();
    // A few more, after it is gone: the reader still gets them.
    for _ in 0..100 {
        tick.tick().await;
        let data = json!({"n": published, "blob": blob}).to_string();
        s.hub.trigger(channel, "bulk", &data, None);
        published += 1;
    }
    s.hub.trigger(
        channel,
        "end",
        &json!({"published": published}).to_string(),
        None,
    );
    assert!(
        s.hub.connection_count() <= 1,
        "the subscriber that never reads was still connected after {took:?} of events"
    );
    let (received, published, longest_gap, _reader) =
        tokio::time::timeout(Duration::from_secs(30), reading)
            .await
            .expect("the reader gets every event")
            .unwrap();
    assert_eq!(received, published, "the reading client got every event");
    assert!(
        longest_gap < Duration::from_secs(3),
        "the reading client waited {longest_gap:?} between two events"
    );
    assert_eq!(s.hub.channel_info(channel).subscription_count, 1);
}

/// A subscriber that never reads, on a server with `limits`, fed 8 KB events every
/// millisecond until the server drops it: how long that took, or `None` after [`CLOSED_WITHIN`].
async fn time_to_drop_a_stalled_subscriber(limits: Limits) -> Option<Duration> {
    let s = start(limits).await;
    let (mut stalled, id) = small_buffer_client(&s).await;
    subscribe_and_stop_reading(&mut stalled, &id, "private-feed").await;
    let data = json!({"blob": "x".repeat(8000)}).to_string();
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    while started.elapsed() < CLOSED_WITHIN {
        if s.hub.connection_count() == 0 {
            return Some(started.elapsed());
        }
        tick.tick().await;
        s.hub.trigger("private-feed", "bulk", &data, None);
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_that_stalls_closes_the_connection_after_the_write_timeout() {
    // A queue that never fills: only the stalled write can end the connection.
    let limits = Limits {
        write_timeout: Duration::from_secs(2),
        outbound_queue: 10_000_000,
        outbound_queue_bytes: usize::MAX,
        ..Limits::default()
    };
    let took = time_to_drop_a_stalled_subscriber(limits).await;
    let took = took.expect("a subscriber whose writes stalled was never dropped");
    assert!(
        took >= Duration::from_secs(2),
        "dropped after {took:?}, before any write could have waited 2 s"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queue_over_its_byte_bound_closes_the_connection() {
    // Frames are not the bound here, and writes may wait a minute: the bytes queued end it.
    let limits = Limits {
        write_timeout: Duration::from_secs(60),
        outbound_queue: 10_000_000,
        outbound_queue_bytes: 256 * 1024,
        ..Limits::default()
    };
    let took = time_to_drop_a_stalled_subscriber(limits).await;
    assert!(
        took.is_some(),
        "a subscriber with more than 256 KB queued was still connected"
    );
}
