//! Property tests of the codec and of dispatch: any input gets a frame or an error, never a
//! panic; what a client encodes, the server decodes unchanged; and however a connection
//! behaves, leaving cleans up after it.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use serde_json::{Value, json};
use support_transport_ws::protocol::{self, Incoming};
use support_transport_ws::{AppConfig, Hub, fuzzing, signature};

fn channel_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,8}",
        "private-[a-z0-9.]{1,12}",
        "presence-[a-z]{1,8}",
        "\\PC{0,20}",
    ]
}

fn frame() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(r#"{"event":"pusher:ping","data":{}}"#.to_owned()),
        channel_name()
            .prop_map(|c| json!({"event": "pusher:subscribe", "data": {"channel": c}}).to_string()),
        channel_name().prop_map(
            |c| json!({"event": "pusher:unsubscribe", "data": {"channel": c}}).to_string()
        ),
        (channel_name(), "\\PC{0,30}")
            .prop_map(|(c, d)| json!({"event": "client-x", "channel": c, "data": d}).to_string()),
        "\\PC{0,80}",
        prop::collection::vec(any::<u8>(), 0..60)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics(text in "\\PC{0,200}") {
        let _ = protocol::parse(&text);
    }

    #[test]
    fn subscribe_round_trips(channel in "\\PC{0,40}", auth in proptest::option::of("\\PC{0,40}"), data in proptest::option::of("\\PC{0,40}"), as_string in any::<bool>()) {
        let inner = json!({"channel": channel, "auth": auth, "channel_data": data});
        let frame = if as_string {
            json!({"event": "pusher:subscribe", "data": inner.to_string()})
        } else {
            json!({"event": "pusher:subscribe", "data": inner})
        };
        let parsed = protocol::parse(&frame.to_string()).unwrap();
        prop_assert_eq!(parsed, Incoming::Subscribe { channel, auth, channel_data: data });
    }

    #[test]
    fn server_events_carry_data_as_the_exact_string(channel in "\\PC{0,40}", name in "\\PC{0,40}", data in "\\PC{0,100}") {
        let f: Value = serde_json::from_str(&protocol::event(&channel, &name, &data, None)).unwrap();
        prop_assert_eq!(f["data"].as_str().unwrap(), data.as_str());
        prop_assert_eq!(f["channel"].as_str().unwrap(), channel.as_str());
    }

    #[test]
    fn any_frame_sequence_dispatches_and_leaves_nothing_behind(frames in prop::collection::vec(frame(), 0..30), signed in any::<bool>()) {
        let hub = Hub::new(AppConfig::new("a", "k", "s"));
        let mut frames: Vec<String> = frames;
        if signed {
            // Some valid private subscriptions too, so client events really fan out.
            let auth = signature::channel_auth("k", "s", "1.1", "private-x", None);
            frames.insert(0, json!({"event": "pusher:subscribe", "data": {"channel": "private-x", "auth": auth}}).to_string());
        }
        let refs: Vec<&str> = frames.iter().map(String::as_str).collect();
        let out = fuzzing::dispatch(&hub, "1.1", &refs);
        for frame in &out {
            let v: Value = serde_json::from_str(frame).unwrap();
            prop_assert!(v["event"].is_string(), "every reply is an event frame: {}", frame);
        }
        prop_assert!(hub.channels("").is_empty(), "leaving removes every subscription");
    }
}
