//! Revoking a user's access: `SupportService::disconnect_user` closes every websocket
//! connection of that user with 4009, through each connection's own task, so that they leave
//! their channels and presence as a normal close does; other users' connections carry on.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use serde_json::{Value, json};
use support_core::*;
use support_transport_ws::testing::{Client, Ws, http, next_within, subscribe};
use support_transport_ws::{AppConfig, SupportChat, identify_fn, signature};

const KEY: &str = "revoke-key";
const SECRET: &str = "revoke-secret";
/// A presence channel both sides are in: who is online.
const ONLINE: &str = "presence-support.online";
/// How soon a revoked connection must be closed.
const BOUND: Duration = Duration::from_secs(2);

fn cast() -> [Actor; 2] {
    [
        Actor::new(101, "Alice Employee", Role::Employee),
        Actor::new(201, "Sam Support", Role::Support),
    ]
}

/// `x-user: {id}` names the caller.
fn user(headers: &HeaderMap) -> Option<Actor> {
    let id: i64 = headers.get("x-user")?.to_str().ok()?.parse().ok()?;
    cast().into_iter().find(|a| a.id == UserId(id))
}

async fn start() -> (SupportChat, SocketAddr) {
    let chat = SupportChat::builder(AppConfig::new("revoke-app", KEY, SECRET))
        .store(MemoryStore::new())
        .directory(StaticDirectory::new(cast()))
        .identify(identify_fn(|headers| {
            let caller = user(headers);
            Box::pin(async move { Ok(caller) })
        }))
        .start()
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = chat.router();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (chat, addr)
}

fn as_user(id: &str) -> [(&str, &str); 2] {
    [("x-user", id), ("content-type", "application/json")]
}

async fn open_ticket(addr: SocketAddr) -> i64 {
    let body =
        json!({"subject": "VPN", "description": "down", "category": "it", "priority": "high"});
    let (status, text) = http(
        addr,
        "POST",
        "/api/employee/portal/support",
        &as_user("101"),
        body.to_string().as_bytes(),
    )
    .await;
    assert_eq!(status, 201, "{text}");
    serde_json::from_str::<Value>(&text).unwrap()["data"]["id"]
        .as_i64()
        .unwrap()
}

async fn post(addr: SocketAddr, ticket: i64, who: &str, text: &str) {
    let path = format!("/api/employee/portal/support/{ticket}/chat");
    let body = json!({ "message": text }).to_string();
    let (status, answer) = http(addr, "POST", &path, &as_user(who), body.as_bytes()).await;
    assert_eq!(status, 201, "{answer}");
}

/// Joins the presence channel as `user_id`, signed as an auth endpoint that allows presence
/// would sign it, and waits for `subscription_succeeded`.
async fn join_presence(client: &mut Client, user_id: &str, name: &str) {
    let data = json!({ "user_id": user_id, "user_info": { "name": name } }).to_string();
    let auth = signature::channel_auth(KEY, SECRET, client.socket_id(), ONLINE, Some(&data));
    subscribe(client.ws(), ONLINE, &auth, Some(&data)).await;
    loop {
        let frame = client.next().await;
        if frame["event"] == "pusher_internal:subscription_succeeded" && frame["channel"] == ONLINE
        {
            return;
        }
        assert_ne!(frame["event"], "pusher:subscription_error", "{frame}");
    }
}

/// Reads frames until the websocket closes; returns the close code (`Value::Null` for a
/// close without a frame) and how long it took. Fails if it stays open past `BOUND`.
async fn closed(ws: &mut Ws) -> (Value, Duration) {
    let started = Instant::now();
    loop {
        let left = BOUND.saturating_sub(started.elapsed());
        let Some(frame) = next_within(ws, left).await else {
            panic!("the connection was still open after {BOUND:?}");
        };
        if let Some(code) = frame.get("close") {
            return (code.clone(), started.elapsed());
        }
    }
}

/// Collects frames up to and including the event named `last`.
async fn frames_until(client: &mut Client, last: &str) -> Vec<Value> {
    let mut frames = Vec::new();
    loop {
        let frame = client.next().await;
        assert!(frame.get("close").is_none(), "closed: {frame}");
        let done = frame["event"] == last;
        frames.push(frame);
        if done {
            return frames;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_user_closes_that_users_connections_with_4009_and_only_theirs() {
    let (chat, addr) = start().await;
    let ticket = open_ticket(addr).await;
    let ticket_channel = format!("private-support.ticket.{ticket}");

    // Sam's dashboard: the staff channel and who is online.
    let mut sam = Client::connect(addr, KEY).await;
    sam.sign_in("private-support.admin", &[("x-user", "201")])
        .await;
    join_presence(&mut sam, "201", "Sam").await;

    // Alice, in two tabs: her ticket (signed for her by channel auth) and who is online.
    let mut tabs = Vec::new();
    for _ in 0..2 {
        let mut tab = Client::connect(addr, KEY).await;
        tab.sign_in(&ticket_channel, &[("x-user", "101")]).await;
        join_presence(&mut tab, "101", "Alice").await;
        tabs.push(tab);
    }
    // A third tab on her ticket alone: the private subscription alone makes it hers.
    let mut ticket_only = Client::connect(addr, KEY).await;
    ticket_only
        .sign_in(&ticket_channel, &[("x-user", "101")])
        .await;
    tabs.push(ticket_only);
    // Alice joined once, whatever the number of her tabs.
    let joined = sam.event("pusher_internal:member_added").await;
    assert_eq!(joined["user_id"], "101");
    assert_eq!(chat.hub().presence_users(ONLINE), ["101", "201"]);
    assert_eq!(chat.hub().connection_count(), 4);

    chat.service().disconnect_user(UserId(101)).await.unwrap();

    for (i, tab) in tabs.iter_mut().enumerate() {
        let (code, after) = closed(tab.ws()).await;
        assert_eq!(code, 4009, "Alice's tab {i} is closed as unauthorized");
        assert!(after < BOUND, "tab {i} closed after {after:?}");
    }

    // Sam sees Alice leave, once, and keeps getting events: here a message Alice posts over
    // HTTP (her identity still works in this test; revoking it is the embedder's part).
    post(addr, ticket, "101", "posted after the tabs closed").await;
    let frames = frames_until(&mut sam, "message.created").await;
    let left: Vec<&Value> = frames
        .iter()
        .filter(|f| f["event"] == "pusher_internal:member_removed")
        .collect();
    assert_eq!(left.len(), 1, "Alice leaves once: {frames:?}");
    assert_eq!(left[0]["channel"], ONLINE);
    let data: Value = serde_json::from_str(left[0]["data"].as_str().unwrap()).unwrap();
    assert_eq!(data["user_id"], "101");
    let message: Value =
        serde_json::from_str(frames.last().unwrap()["data"].as_str().unwrap()).unwrap();
    assert_eq!(message["message"], "posted after the tabs closed");

    assert_eq!(chat.hub().presence_users(ONLINE), ["201"]);
    assert_eq!(
        chat.hub().channel_info(&ticket_channel).subscription_count,
        0
    );
    assert_eq!(chat.hub().connection_count(), 1);
    // Sam's connection is open: it answers a ping.
    support_transport_ws::testing::send(sam.ws(), json!({"event": "pusher:ping", "data": {}}))
        .await;
    assert_eq!(
        frames_until(&mut sam, "pusher:pong").await.len(),
        1,
        "nothing else arrived"
    );

    // Disconnecting a user with no connection here closes nothing.
    chat.service().disconnect_user(UserId(101)).await.unwrap();
    chat.service().disconnect_user(UserId(999)).await.unwrap();
    assert_eq!(chat.hub().connection_count(), 1);
}

/// A connection subscribed only to public channels, or to a private one signed without a
/// user, is nobody's: it stays open, whoever is disconnected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_signed_for_no_user_is_not_closed() {
    let (chat, addr) = start().await;
    let mut anonymous = Client::connect(addr, KEY).await;
    let channel = "private-support.admin";
    let auth = signature::channel_auth(KEY, SECRET, anonymous.socket_id(), channel, None);
    subscribe(anonymous.ws(), channel, &auth, None).await;
    assert_eq!(
        anonymous.next().await["event"],
        "pusher_internal:subscription_succeeded"
    );

    for user in [101, 201] {
        chat.service().disconnect_user(UserId(user)).await.unwrap();
    }
    assert!(
        next_within(anonymous.ws(), Duration::from_millis(300))
            .await
            .is_none(),
        "the connection was closed or sent something"
    );
    assert_eq!(chat.hub().connection_count(), 1);
}
