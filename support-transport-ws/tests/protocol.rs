//! The protocol's edges, with a raw websocket client: handshake refusals, keep-alive, limits,
//! and input that must get an error or a close, never a panic or a hang.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use futures::SinkExt;
use serde_json::{Value, json};
use support_transport_ws::Limits;
use tokio_tungstenite::tungstenite::Message;

fn data(frame: &Value) -> Value {
    match &frame["data"] {
        Value::String(s) => serde_json::from_str(s).unwrap(),
        other => other.clone(),
    }
}

#[tokio::test]
async fn the_handshake_carries_a_socket_id_and_activity_timeout() {
    let s = start(Limits::default()).await;
    let mut ws = s
        .raw(KEY, "protocol=7&client=js&version=8.6.0&flash=false")
        .await;
    let hello = next(&mut ws).await;
    assert_eq!(hello["event"], "pusher:connection_established");
    assert!(hello["data"].is_string(), "data is double encoded");
    let d = data(&hello);
    let id = d["socket_id"].as_str().unwrap();
    assert!(
        id.split_once('.')
            .is_some_and(|(a, b)| a.parse::<u64>().is_ok() && b.parse::<u64>().is_ok()),
        "{id}"
    );
    assert_eq!(d["activity_timeout"], 30);
}

#[tokio::test]
async fn unknown_keys_and_bad_protocol_versions_are_refused_with_their_codes() {
    let s = start(Limits::default()).await;
    for (key, query, code) in [
        ("wrong", "protocol=7", 4001),
        (KEY, "client=js", 4008),
        (KEY, "protocol=seven", 4006),
        (KEY, "protocol=3", 4007),
        (KEY, "protocol=8", 4007),
        (KEY, "protocol=0", 4007),
    ] {
        let mut ws = s.raw(key, query).await;
        let err = next(&mut ws).await;
        assert_eq!(err["event"], "pusher:error", "{key} {query}");
        assert_eq!(err["data"]["code"], code);
        assert_eq!(next(&mut ws).await["close"], code);
    }
    assert_eq!(
        s.hub.connection_count(),
        0,
        "refused connections are not counted"
    );
}

#[tokio::test]
async fn protocols_4_to_7_are_served() {
    let s = start(Limits::default()).await;
    for version in 4..=7 {
        let mut ws = s
            .raw(KEY, &format!("protocol={version}&client=py&version=1"))
            .await;
        let hello = next(&mut ws).await;
        assert_eq!(
            hello["event"], "pusher:connection_established",
            "protocol {version}: {hello}"
        );
        send(&mut ws, json!({"event": "pusher:ping", "data": ""})).await;
        assert_eq!(next(&mut ws).await["event"], "pusher:pong");
    }
}

#[tokio::test]
async fn pusher_ping_gets_pong() {
    let s = start(Limits::default()).await;
    let (mut ws, _) = s.client().await;
    send(&mut ws, json!({"event": "pusher:ping", "data": {}})).await;
    assert_eq!(next(&mut ws).await["event"], "pusher:pong");
}

#[tokio::test]
async fn bad_frames_get_errors_and_the_connection_stays_open() {
    let s = start(Limits::default()).await;
    let (mut ws, _) = s.client().await;
    for bad in [
        "{not json",
        "[]",
        "null",
        r#"{"event":42}"#,
        r#"{"event":"pusher:subscribe"}"#,
        r#"{"event":"nonsense"}"#,
    ] {
        ws.send(Message::Text(bad.into())).await.unwrap();
        let err = next(&mut ws).await;
        assert_eq!(err["event"], "pusher:error", "{bad}");
    }
    send(&mut ws, json!({"event": "pusher:ping", "data": {}})).await;
    assert_eq!(next(&mut ws).await["event"], "pusher:pong", "still serving");
}

#[tokio::test]
async fn binary_frames_close_with_1003() {
    let s = start(Limits::default()).await;
    let (mut ws, _) = s.client().await;
    ws.send(Message::Binary(vec![0, 159, 146, 150].into()))
        .await
        .unwrap();
    assert_eq!(next(&mut ws).await["close"], 1003);
}

#[tokio::test]
async fn oversized_frames_and_invalid_utf8_close_that_connection_only() {
    let limits = Limits {
        max_frame_bytes: 4096,
        ..Limits::default()
    };
    let s = start(limits).await;
    let (mut big, _) = s.client().await;
    let huge = json!({"event": "client-x", "channel": "private-a", "data": "x".repeat(10_000)});
    let _ = big.send(Message::Text(huge.to_string().into())).await;
    assert!(
        next(&mut big).await.get("close").is_some(),
        "oversized frame must close"
    );

    // Invalid UTF-8 in a text frame, written raw: tungstenite on the server refuses it.
    let (mut bad, _) = s.client().await;
    let mut frame = vec![0x81u8, 0x84, 1, 2, 3, 4];
    frame.extend(
        [0xffu8, 0xfe, 0xfd, 0xfc]
            .iter()
            .zip([1u8, 2, 3, 4])
            .map(|(b, m)| b ^ m),
    );
    if let tokio_tungstenite::MaybeTlsStream::Plain(tcp) = bad.get_mut() {
        use tokio::io::AsyncWriteExt;
        tcp.write_all(&frame).await.unwrap();
    }
    assert!(
        next(&mut bad).await.get("close").is_some(),
        "invalid UTF-8 must close"
    );

    let (mut fine, _) = s.client().await;
    send(&mut fine, json!({"event": "pusher:ping"})).await;
    assert_eq!(
        next(&mut fine).await["event"],
        "pusher:pong",
        "others are unaffected"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(s.hub.connection_count(), 1);
}

#[tokio::test]
async fn private_channels_need_a_valid_signature() {
    let s = start(Limits::default()).await;
    let (mut ws, socket) = s.client().await;
    send(
        &mut ws,
        json!({"event": "pusher:subscribe", "data": {"channel": "private-a"}}),
    )
    .await;
    let e = next(&mut ws).await;
    assert_eq!(
        (e["event"].as_str(), e["data"]["status"].as_u64()),
        (Some("pusher:subscription_error"), Some(401))
    );
    // A signature for another socket does not transfer.
    let stolen =
        support_transport_ws::signature::channel_auth(KEY, SECRET, "1.1", "private-a", None);
    send(
        &mut ws,
        json!({"event": "pusher:subscribe", "data": {"channel": "private-a", "auth": stolen}}),
    )
    .await;
    assert_eq!(next(&mut ws).await["event"], "pusher:subscription_error");
    subscribe(&mut ws, &socket, "private-a").await;
    assert_eq!(
        next(&mut ws).await["event"],
        "pusher_internal:subscription_succeeded"
    );
    for bad in ["", "has space", "private-encrypted-x", &"a".repeat(200)] {
        send(
            &mut ws,
            json!({"event": "pusher:subscribe", "data": {"channel": bad}}),
        )
        .await;
        assert_eq!(
            next(&mut ws).await["event"],
            "pusher:subscription_error",
            "{bad:?}"
        );
    }
}

#[tokio::test]
async fn subscription_floods_are_capped_per_connection() {
    let limits = Limits {
        max_channels_per_connection: 5,
        ..Limits::default()
    };
    let s = start(limits).await;
    let (mut ws, _) = s.client().await;
    let mut ok = 0;
    let mut refused = 0;
    for i in 0..8 {
        send(
            &mut ws,
            json!({"event": "pusher:subscribe", "data": {"channel": format!("public-{i}")}}),
        )
        .await;
        match next(&mut ws).await["event"].as_str() {
            Some("pusher_internal:subscription_succeeded") => ok += 1,
            Some("pusher:subscription_error") => refused += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((ok, refused), (5, 3));
}

#[tokio::test]
async fn client_events_need_a_private_subscription_and_skip_the_sender() {
    let s = start(Limits::default()).await;
    let room = "private-support.ticket.1";
    let (mut a, _) = s.subscribed_as(room, "7").await;
    let (mut b, _) = s.subscribed_as(room, "8").await;
    send(
        &mut a,
        json!({"event": "client-typing", "channel": "private-other", "data": {}}),
    )
    .await;
    assert_eq!(
        next(&mut a).await["event"],
        "pusher:error",
        "not subscribed"
    );
    send(
        &mut a,
        json!({"event": "pusher:subscribe", "data": {"channel": "lobby"}}),
    )
    .await;
    next(&mut a).await;
    send(
        &mut a,
        json!({"event": "client-typing", "channel": "lobby", "data": {}}),
    )
    .await;
    assert_eq!(
        next(&mut a).await["event"],
        "pusher:error",
        "public channel"
    );
    send(
        &mut a,
        json!({"event": "client-typing", "channel": room, "data": {"typing": true}}),
    )
    .await;
    let got = next(&mut b).await;
    assert_eq!(
        (got["event"].as_str(), got["channel"].as_str()),
        (Some("client-typing"), Some(room))
    );
    assert_eq!(got["user_id"], "7", "the sender's user id");
    assert_eq!(data(&got), json!({"typing": true}));
    assert!(
        next_within(&mut a, Duration::from_millis(300))
            .await
            .is_none(),
        "the sender got its own event"
    );
}

#[tokio::test]
async fn a_subscriber_that_stops_reading_is_cut_off_and_others_keep_receiving() {
    let limits = Limits {
        outbound_queue: 16,
        ..Limits::default()
    };
    let s = start(limits).await;
    let (mut slow, _) = s.subscribed("private-feed").await;
    let (mut fast, _) = s.subscribed("private-feed").await;
    let payload = json!({"blob": "x".repeat(8000)}).to_string();
    let reader = tokio::spawn(async move {
        let mut n = 0;
        while n < 2000 {
            let f = next(&mut fast).await;
            assert_eq!(f["event"], "bulk");
            n += 1;
        }
        n
    });
    for _ in 0..2000 {
        s.hub.trigger("private-feed", "bulk", &payload, None);
        tokio::task::yield_now().await;
    }
    assert_eq!(
        reader.await.unwrap(),
        2000,
        "the reading subscriber got everything"
    );
    // The slow one finds, after whatever the socket buffers held, that it was closed: with
    // 4100 if the close frame got through within its bound, else without a close frame.
    let mut received = 0;
    let close = loop {
        let f = next(&mut slow).await;
        if let Some(code) = f.get("close") {
            break code.clone();
        }
        received += 1;
    };
    assert!(close == 4100 || close.is_null(), "closed with {close}");
    assert!(received < 2000, "it was cut off, not served everything");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        s.hub.channel_info("private-feed").subscription_count,
        0,
        "both left by now"
    );
}

#[tokio::test]
async fn a_client_that_never_answers_pings_is_closed_with_4201() {
    let limits = Limits {
        activity_timeout: Duration::from_secs(1),
        pong_timeout: Duration::from_secs(1),
        ..Limits::default()
    };
    let s = start(limits).await;
    let (mut ws, _) = s.client().await;
    assert_eq!(next(&mut ws).await["event"], "pusher:ping");
    assert_eq!(next(&mut ws).await["close"], 4201);
    // Answering keeps a connection open.
    let (mut alive, _) = s.client().await;
    for _ in 0..3 {
        assert_eq!(next(&mut alive).await["event"], "pusher:ping");
        send(&mut alive, json!({"event": "pusher:pong", "data": {}})).await;
    }
}

#[tokio::test]
async fn a_client_that_sends_more_frames_a_second_than_allowed_is_closed_with_4100() {
    let limits = Limits {
        max_frames_per_second: 20,
        ..Limits::default()
    };
    let s = start(limits).await;
    let (mut ws, _) = s.client().await;
    // Twenty frames in a burst are answered; the twenty-first closes the connection.
    for _ in 0..21 {
        send(&mut ws, json!({"event": "pusher:ping", "data": {}})).await;
    }
    for _ in 0..20 {
        assert_eq!(next(&mut ws).await["event"], "pusher:pong");
    }
    assert_eq!(next(&mut ws).await["close"], 4100);
}

#[tokio::test]
async fn a_client_within_the_frame_rate_stays_connected() {
    let limits = Limits {
        max_frames_per_second: 20,
        ..Limits::default()
    };
    let s = start(limits).await;
    let (mut ws, _) = s.client().await;
    // Sixty frames over three seconds or more: never twenty in one second.
    for _ in 0..60 {
        send(&mut ws, json!({"event": "pusher:ping", "data": {}})).await;
        assert_eq!(next(&mut ws).await["event"], "pusher:pong");
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    assert_eq!(s.hub.connection_count(), 1);
}

#[tokio::test]
async fn connections_beyond_the_limit_get_4100() {
    let limits = Limits {
        max_connections: 2,
        ..Limits::default()
    };
    let s = start(limits).await;
    let (_a, _) = s.client().await;
    let (_b, _) = s.client().await;
    let mut c = s.raw(KEY, "protocol=7").await;
    assert_eq!(next(&mut c).await["data"]["code"], 4100);
    assert_eq!(next(&mut c).await["close"], 4100);
}

#[tokio::test]
async fn shutdown_closes_every_connection_with_4200() {
    let s = start(Limits::default()).await;
    let (mut a, _) = s.client().await;
    let (mut b, _) = s.subscribed("private-x").await;
    s.hub.shutdown();
    assert_eq!(next(&mut a).await["close"], 4200);
    assert_eq!(next(&mut b).await["close"], 4200);
}

#[tokio::test]
async fn presence_members_are_announced_once_per_user_and_capped() {
    let limits = Limits {
        max_presence_members: 2,
        ..Limits::default()
    };
    let s = start(limits).await;
    let join = |user: &'static str| {
        let s = &s;
        async move {
            let (mut ws, socket) = s.client().await;
            let channel_data = json!({"user_id": user, "user_info": {"name": user}}).to_string();
            let auth = support_transport_ws::signature::channel_auth(
                KEY,
                SECRET,
                &socket,
                "presence-room",
                Some(&channel_data),
            );
            send(&mut ws, json!({"event": "pusher:subscribe", "data": {"channel": "presence-room", "auth": auth, "channel_data": channel_data}})).await;
            let reply = next(&mut ws).await;
            (ws, reply)
        }
    };
    let (mut ann, ok) = join("ann").await;
    assert_eq!(data(&ok)["presence"]["ids"], json!(["ann"]));
    let (mut ben1, ok) = join("ben").await;
    assert_eq!(data(&ok)["presence"]["count"], 2);
    assert_eq!(
        next(&mut ann).await["event"],
        "pusher_internal:member_added"
    );
    let (ben2, _) = join("ben").await;
    assert!(
        next_within(&mut ann, Duration::from_millis(300))
            .await
            .is_none(),
        "a second tab is not a new member"
    );
    let (_cat, refused) = join("cat").await;
    assert_eq!(
        refused["event"], "pusher:subscription_error",
        "the channel is full"
    );
    drop(ben2);
    assert!(
        next_within(&mut ann, Duration::from_millis(300))
            .await
            .is_none(),
        "ben is still there in one tab"
    );
    let _ = ben1.close(None).await;
    let removed = next(&mut ann).await;
    assert_eq!(removed["event"], "pusher_internal:member_removed");
    assert_eq!(data(&removed)["user_id"], "ben");
}

#[tokio::test]
async fn reconnect_all_closes_open_connections_with_4200_and_keeps_serving() {
    let s = start(Limits::default()).await;
    let (mut before, _) = s.subscribed("private-r").await;
    s.hub.reconnect_all();
    assert_eq!(next(&mut before).await["close"], 4200);
    let (mut after, _) = s.client().await;
    send(&mut after, json!({"event": "pusher:ping"})).await;
    assert_eq!(
        next(&mut after).await["event"],
        "pusher:pong",
        "new connections stay open"
    );
}

#[tokio::test]
async fn fed_by_a_bus_the_hub_delivers_to_all_but_the_sender_and_a_resync_closes_with_4200() {
    use support_core::{Broadcast, Channel, Dispatch, Event, Fanout, StaffEvent, Stats};

    let s = start(Limits::default()).await;
    let channel = Channel::Admin.to_string();
    let (mut sender, sender_socket) = s.subscribed(&channel).await;
    let (mut other, _) = s.subscribed(&channel).await;
    let fanout: &dyn Fanout = &s.hub;
    fanout.deliver(Dispatch::from(Broadcast {
        event: Event::Staff(StaffEvent::StatsUpdated(Stats {
            open: 3,
            in_progress: 1,
            urgent: 0,
        })),
        except: Some(sender_socket.parse().unwrap()),
    }));
    let got = next(&mut other).await;
    assert_eq!(got["event"], "stats.updated");
    assert_eq!(data(&got)["stats"]["open"], 3);
    assert!(
        next_within(&mut sender, Duration::from_millis(300))
            .await
            .is_none(),
        "the sender's socket got its own event"
    );

    fanout.resync();
    assert_eq!(next(&mut sender).await["close"], 4200);
    assert_eq!(next(&mut other).await["close"], 4200);
}
