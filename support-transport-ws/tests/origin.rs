//! The websocket handshake's `Origin` check (`AppConfig::allowed_origins`), with a real client
//! sending the header as a browser does.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use support_transport_ws::{AppConfig, testing};

const QUERY: &str = "protocol=7&client=js&version=8.4.0";

async fn server_allowing(origins: &[&str]) -> Server {
    start_app(AppConfig {
        allowed_origins: origins.iter().map(|o| (*o).to_owned()).collect(),
        ..AppConfig::new(APP_ID, KEY, SECRET)
    })
    .await
}

/// The first frame a client from `origin` (or with no `Origin`) gets, and the close code if
/// it was refused.
async fn handshake(server: &Server, origin: Option<&str>) -> (serde_json::Value, Option<u64>) {
    let mut ws = match origin {
        Some(origin) => testing::connect_raw_from(server.addr, KEY, QUERY, origin).await,
        None => server.raw(KEY, QUERY).await,
    };
    let first = next(&mut ws).await;
    let close = if first["event"] == "pusher:error" {
        next(&mut ws).await["close"].as_u64()
    } else {
        None
    };
    (first, close)
}

#[tokio::test]
async fn only_the_configured_origins_may_open_the_websocket() {
    let s = server_allowing(&["https://help.example.com", "http://localhost:3000"]).await;
    for allowed in [
        "https://help.example.com",
        "HTTPS://Help.Example.com",
        "https://help.example.com/",
        "http://localhost:3000",
    ] {
        let (first, _) = handshake(&s, Some(allowed)).await;
        assert_eq!(
            first["event"], "pusher:connection_established",
            "{allowed}: {first}"
        );
    }
    for refused in [
        Some("https://evil.example"),
        Some("https://help.example.com.evil.example"),
        Some("http://help.example.com"),
        Some("https://help.example.com:8443"),
        Some("http://localhost:3001"),
        Some("null"),
        None,
    ] {
        let (first, close) = handshake(&s, refused).await;
        assert_eq!(first["event"], "pusher:error", "{refused:?}: {first}");
        assert_eq!(first["data"]["code"], 4009, "{refused:?}");
        assert_eq!(first["data"]["message"], "Origin not allowed");
        assert_eq!(close, Some(4009), "{refused:?}: closed with 4009");
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(s.hub.connection_count(), 0, "refused ones are not counted");
}

#[tokio::test]
async fn without_a_list_or_with_a_star_every_origin_may() {
    for s in [server_allowing(&[]).await, server_allowing(&["*"]).await] {
        for origin in [Some("https://anywhere.example"), Some("null"), None] {
            let (first, _) = handshake(&s, origin).await;
            assert_eq!(
                first["event"], "pusher:connection_established",
                "{origin:?}: {first}"
            );
        }
    }
}
