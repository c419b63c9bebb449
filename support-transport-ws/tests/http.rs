//! The signed HTTP API and the auth endpoint: every refusal with Pusher's status code.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{Value, json};
use support_transport_ws::{Limits, signature};

const EVENTS: &str = "/apps/test-app/events";

#[tokio::test]
async fn a_signed_event_reaches_subscribers_except_the_named_socket() {
    let s = start(Limits::default()).await;
    let (mut a, a_id) = s.subscribed("private-t").await;
    let (mut b, _) = s.subscribed("private-t").await;
    let body = json!({"name": "chat.message", "channels": ["private-t"], "data": "{\"message\":\"hi\"}", "socket_id": a_id}).to_string();
    let (status, reply) = api(&s, "POST", EVENTS, &[], &body).await;
    assert_eq!((status, reply.as_str()), (200, "{}"));
    let got = next(&mut b).await;
    assert_eq!(got["event"], "chat.message");
    assert_eq!(got["data"], "{\"message\":\"hi\"}");
    assert!(
        next_within(&mut a, std::time::Duration::from_millis(300))
            .await
            .is_none(),
        "socket_id excluded"
    );
}

#[tokio::test]
async fn signature_timestamp_body_and_app_are_all_checked() {
    let s = start(Limits::default()).await;
    let body = json!({"name": "e", "channel": "c", "data": "{}"}).to_string();
    assert_eq!(
        api_signed_with(&s, "POST", EVENTS, &[], &body, "wrong", None)
            .await
            .0,
        401,
        "bad secret"
    );
    let old = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        - 601;
    assert_eq!(
        api_signed_with(&s, "POST", EVENTS, &[], &body, SECRET, Some(old))
            .await
            .0,
        401,
        "stale timestamp"
    );
    assert_eq!(
        api(&s, "POST", "/apps/other/events", &[], &body).await.0,
        404,
        "unknown app"
    );
    // A body changed after signing fails the body_md5 check.
    let (status, _) = api(
        &s,
        "POST",
        EVENTS,
        &[("body_md5", "00000000000000000000000000000000")],
        &body,
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = http(&s, "POST", EVENTS, &[], body.as_bytes()).await;
    assert_eq!(status, 401, "no signature at all");
}

#[tokio::test]
async fn extreme_timestamps_are_refused_not_a_crash() {
    let s = start(Limits::default()).await;
    let body = json!({"name": "e", "channel": "c", "data": "{}"}).to_string();
    for ts in [i64::MIN, i64::MIN + 1, i64::MAX, -1] {
        let (status, answer) =
            api_signed_with(&s, "POST", EVENTS, &[], &body, SECRET, Some(ts)).await;
        assert_eq!(status, 401, "auth_timestamp={ts}: {answer}");
        assert!(answer.contains("Timestamp expired"), "{answer}");
    }
    let (status, _) = api(&s, "POST", EVENTS, &[], &body).await;
    assert_eq!(status, 200, "still serving");
}

#[tokio::test]
async fn pusher_limits_answer_pushers_status_codes() {
    let s = start(Limits::default()).await;
    let big = json!({"name": "e", "channel": "c", "data": "x".repeat(10 * 1024 + 1)}).to_string();
    assert_eq!(api(&s, "POST", EVENTS, &[], &big).await.0, 413);
    let many: Vec<String> = (0..101).map(|i| format!("c{i}")).collect();
    let body = json!({"name": "e", "channels": many, "data": "{}"}).to_string();
    assert_eq!(api(&s, "POST", EVENTS, &[], &body).await.0, 400);
    for bad in [
        json!({"name": "e", "channel": "bad name", "data": "{}"}),
        json!({"name": "pusher:x", "channel": "c", "data": "{}"}),
        json!({"name": "e", "data": "{}"}),
        json!({"name": "e", "channel": "c"}),
        json!({"name": "e", "channel": "c", "data": "{}", "socket_id": "nope"}),
    ] {
        assert_eq!(
            api(&s, "POST", EVENTS, &[], &bad.to_string()).await.0,
            400,
            "{bad}"
        );
    }
    assert_eq!(api(&s, "POST", EVENTS, &[], "{not json").await.0, 400);
    let batch: Vec<Value> = (0..11)
        .map(|i| json!({"name": "e", "channel": format!("c{i}"), "data": "{}"}))
        .collect();
    let body = json!({ "batch": batch }).to_string();
    assert_eq!(
        api(&s, "POST", "/apps/test-app/batch_events", &[], &body)
            .await
            .0,
        400
    );
}

#[tokio::test]
async fn a_batch_is_refused_whole_if_one_event_is_bad() {
    let s = start(Limits::default()).await;
    let (mut ws, _) = s.subscribed("private-b").await;
    let body = json!({"batch": [
        {"name": "ok", "channel": "private-b", "data": "{}"},
        {"name": "bad", "channel": "not valid", "data": "{}"},
    ]})
    .to_string();
    assert_eq!(
        api(&s, "POST", "/apps/test-app/batch_events", &[], &body)
            .await
            .0,
        400
    );
    assert!(
        next_within(&mut ws, std::time::Duration::from_millis(300))
            .await
            .is_none(),
        "nothing published"
    );
}

#[tokio::test]
async fn channel_queries_report_occupancy_and_users() {
    let s = start(Limits::default()).await;
    let (_a, _) = s.subscribed("private-q").await;
    let (_b, _) = s.subscribed("private-q").await;
    let (status, body) = api(
        &s,
        "GET",
        "/apps/test-app/channels/private-q",
        &[("info", "subscription_count")],
        "",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"occupied": true, "subscription_count": 2})
    );
    let (_, body) = api(&s, "GET", "/apps/test-app/channels/private-empty", &[], "").await;
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"occupied": false})
    );
    let (_, body) = api(
        &s,
        "GET",
        "/apps/test-app/channels",
        &[("filter_by_prefix", "private-")],
        "",
    )
    .await;
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"channels": {"private-q": {}}})
    );
    let (status, _) = api(
        &s,
        "GET",
        "/apps/test-app/channels/private-q/users",
        &[],
        "",
    )
    .await;
    assert_eq!(status, 400, "users only for presence channels");
    let (status, _) = api(
        &s,
        "GET",
        "/apps/test-app/channels/private-q",
        &[("info", "user_count")],
        "",
    )
    .await;
    assert_eq!(status, 400, "user_count only for presence channels");
}

#[tokio::test]
async fn the_auth_endpoint_takes_form_or_json_and_signs_for_the_socket() {
    let s = start(Limits::default()).await;
    let form = b"socket_id=123.456&channel_name=private-support.ticket.1";
    let headers = [
        ("content-type", "application/x-www-form-urlencoded"),
        ("authorization", "Bearer alice"),
    ];
    let (status, body) = http(&s, "POST", "/broadcasting/auth", &headers, form).await;
    assert_eq!(status, 200);
    let auth: Value = serde_json::from_str(&body).unwrap();
    let expected =
        signature::channel_auth(KEY, SECRET, "123.456", "private-support.ticket.1", None);
    assert_eq!(auth["auth"], expected);

    let json_body = json!({"socket_id": "123.456", "channel_name": "presence-room"}).to_string();
    let headers = [
        ("content-type", "application/json"),
        ("authorization", "Bearer alice"),
    ];
    let (status, body) = http(
        &s,
        "POST",
        "/broadcasting/auth",
        &headers,
        json_body.as_bytes(),
    )
    .await;
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    let channel_data = v["channel_data"].as_str().unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(channel_data).unwrap()["user_id"],
        "alice"
    );
    assert!(signature::verify_channel_auth(
        KEY,
        SECRET,
        v["auth"].as_str().unwrap(),
        "123.456",
        "presence-room",
        Some(channel_data)
    ));
}

#[tokio::test]
async fn the_auth_endpoint_refuses_clearly() {
    let s = start(Limits::default()).await;
    let s = &s;
    let form = |body: &'static str, token: &'static str| async move {
        let mut headers = vec![("content-type", "application/x-www-form-urlencoded")];
        if !token.is_empty() {
            headers.push(("authorization", token));
        }
        http(s, "POST", "/broadcasting/auth", &headers, body.as_bytes())
            .await
            .0
    };
    assert_eq!(form("socket_id=1.2&channel_name=private-x", "").await, 401);
    assert_eq!(
        form("socket_id=1.2&channel_name=private-x", "Bearer refused").await,
        403
    );
    assert_eq!(
        form("socket_id=1.2", "Bearer a").await,
        422,
        "missing channel"
    );
    assert_eq!(
        form("socket_id=abc&channel_name=private-x", "Bearer a").await,
        422,
        "bad socket id"
    );
    assert_eq!(
        form("socket_id=1.2&channel_name=public", "Bearer a").await,
        422,
        "public channels need no auth"
    );
    assert_eq!(
        form("socket_id=1.2&channel_name=%FF%FE", "Bearer a").await,
        422,
        "invalid UTF-8"
    );
}
