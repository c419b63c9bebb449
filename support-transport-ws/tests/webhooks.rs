//! Webhooks reach a real HTTP endpoint: signed, batched, retried after failures.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use common::*;
use serde_json::{Value, json};
use support_transport_ws::{AppConfig, WebhookConfig, signature};

#[derive(Clone, Default)]
struct Receiver {
    /// Each accepted request: (signature valid, key header, body).
    accepted: Arc<Mutex<Vec<(bool, String, Value)>>>,
    /// Requests to refuse with 500 before accepting.
    refuse_first: Arc<Mutex<usize>>,
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    {
        let mut refuse = r.refuse_first.lock().unwrap();
        if *refuse > 0 {
            *refuse -= 1;
            return StatusCode::INTERNAL_SERVER_ERROR;
        }
    }
    let text = std::str::from_utf8(&body).unwrap();
    let sig = headers
        .get("x-pusher-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let key = headers
        .get("x-pusher-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let valid = signature::verify(SECRET, text, sig);
    r.accepted
        .lock()
        .unwrap()
        .push((valid, key, serde_json::from_str(text).unwrap()));
    StatusCode::OK
}

async fn receiver(refuse_first: usize) -> (String, Receiver) {
    let r = Receiver {
        refuse_first: Arc::new(Mutex::new(refuse_first)),
        ..Receiver::default()
    };
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(r.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, r)
}

fn events(r: &Receiver) -> Vec<Value> {
    r.accepted
        .lock()
        .unwrap()
        .iter()
        .flat_map(|(_, _, b)| b["events"].as_array().unwrap().clone())
        .collect()
}

async fn wait_for(r: &Receiver, n: usize) -> Vec<Value> {
    for _ in 0..100 {
        let e = events(r);
        if e.len() >= n {
            return e;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    events(r)
}

fn app_with(url: String, client_events: bool) -> AppConfig {
    let mut hooks = WebhookConfig::new(url);
    hooks.batch_window = Duration::from_millis(100);
    hooks.first_retry = Duration::from_millis(50);
    hooks.client_events = client_events;
    AppConfig {
        webhooks: Some(hooks),
        ..AppConfig::new(APP_ID, KEY, SECRET)
    }
}

#[tokio::test]
async fn occupancy_members_and_client_events_are_reported_signed() {
    let (url, r) = receiver(0).await;
    let s = start_app(app_with(url, true)).await;
    let room = "private-support.ticket.1";
    let (mut a, _) = s.subscribed_as(room, "7").await;
    let (mut b, _) = s.subscribed_as(room, "8").await;
    send(
        &mut a,
        json!({"event": "client-typing", "channel": room, "data": {"t": 1}}),
    )
    .await;
    next(&mut b).await;
    drop(a);
    drop(b);
    let got = wait_for(&r, 3).await;
    let names: Vec<&str> = got.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["channel_occupied", "client_event", "channel_vacated"],
        "{got:?}"
    );
    assert_eq!(got[1]["event"], "client-typing");
    assert_eq!(got[1]["data"], r#"{"t":1}"#);
    assert_eq!(
        got[1]["user_id"], "7",
        "the sender, as Pusher reports presence senders"
    );
    for (valid, key, body) in r.accepted.lock().unwrap().iter() {
        assert!(valid, "X-Pusher-Signature must be HMAC-SHA256 of the body");
        assert_eq!(key, KEY);
        assert!(body["time_ms"].as_u64().is_some());
    }
}

#[tokio::test]
async fn presence_members_are_reported_once_per_user() {
    let (url, r) = receiver(0).await;
    let s = start_app(app_with(url, false)).await;
    let join = |user: &'static str| {
        let s = &s;
        async move {
            let (mut ws, socket) = s.client().await;
            let data = json!({"user_id": user}).to_string();
            let auth = signature::channel_auth(KEY, SECRET, &socket, "presence-p", Some(&data));
            send(&mut ws, json!({"event": "pusher:subscribe", "data": {"channel": "presence-p", "auth": auth, "channel_data": data}})).await;
            next(&mut ws).await;
            ws
        }
    };
    let tab1 = join("7").await;
    let tab2 = join("7").await;
    drop(tab1);
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(tab2);
    let got = wait_for(&r, 4).await;
    let names: Vec<&str> = got.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "member_added",
            "channel_occupied",
            "member_removed",
            "channel_vacated"
        ],
        "{got:?}"
    );
    assert_eq!(got[0]["user_id"], "7");
}

#[tokio::test]
async fn a_failing_endpoint_gets_the_batch_again() {
    let (url, r) = receiver(2).await;
    let s = start_app(app_with(url, false)).await;
    let (_a, _) = s.subscribed("private-retry").await;
    let got = wait_for(&r, 1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["name"], "channel_occupied");
    assert_eq!(
        *r.refuse_first.lock().unwrap(),
        0,
        "two refusals, then accepted"
    );
}
