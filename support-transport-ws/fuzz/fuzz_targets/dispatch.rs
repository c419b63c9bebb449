//! Frames (split on newlines) dispatched through a connection on a hub that already has a
//! private subscription: no panic, every reply a JSON event, and nothing left subscribed after.
#![no_main]

use libfuzzer_sys::fuzz_target;
use support_transport_ws::{AppConfig, Hub, fuzzing, signature};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let hub = Hub::new(AppConfig::new("a", "k", "s"));
    let auth = signature::channel_auth("k", "s", "1.1", "private-x", None);
    let subscribe = format!(r#"{{"event":"pusher:subscribe","data":{{"channel":"private-x","auth":"{auth}"}}}}"#);
    let mut frames = vec![subscribe.as_str()];
    frames.extend(text.split('\n'));
    for reply in fuzzing::dispatch(&hub, "1.1", &frames) {
        let v: serde_json::Value = serde_json::from_str(&reply).expect("replies are JSON");
        assert!(v["event"].is_string());
    }
    assert!(hub.channels("").is_empty());
});
