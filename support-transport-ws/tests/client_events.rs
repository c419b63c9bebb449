//! Client events (Echo's whispers) are tied to their sender and limited to what the app uses.
//! Through the real `SupportChat` (its `/broadcasting/auth` asks the core's policy): the auth
//! answer signs the caller's user id into a private subscription, the relayed event carries
//! that id whatever its data claims, and only allow-listed, small events from a subscription
//! signed for a user are relayed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::HeaderMap;
use serde_json::{Value, json};
use support_core::*;
use support_transport_ws::testing::{self, Client, http, next, next_within, send};
use support_transport_ws::{
    AppConfig, ClientEventRule, Limits, SupportChat, identify_fn, signature,
};

const KEY: &str = "whisper-key";
const SECRET: &str = "whisper-secret";
const QUIET: Duration = Duration::from_millis(300);

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

struct Chat {
    app: SupportChat,
    addr: SocketAddr,
    /// `private-support.ticket.{id}` of Alice's ticket.
    ticket: String,
}

async fn start(limits: Limits) -> Chat {
    let app = AppConfig {
        limits,
        ..AppConfig::new("whisper-app", KEY, SECRET)
    };
    let app = SupportChat::builder(app)
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
    let router = app.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let body =
        json!({"subject": "VPN", "description": "down", "category": "it", "priority": "high"});
    let (status, text) = http(
        addr,
        "POST",
        "/api/employee/portal/support",
        &[("x-user", "101"), ("content-type", "application/json")],
        body.to_string().as_bytes(),
    )
    .await;
    assert_eq!(status, 201, "{text}");
    let id = serde_json::from_str::<Value>(&text).unwrap()["data"]["id"]
        .as_i64()
        .unwrap();
    Chat {
        app,
        addr,
        ticket: Channel::Ticket(TicketId(id)).to_string(),
    }
}

impl Chat {
    /// A client of user `id` signed in to `channel` through `/broadcasting/auth`.
    async fn signed_in(&self, id: &str, channel: &str) -> Client {
        let mut c = Client::connect(self.addr, KEY).await;
        c.sign_in(channel, &[("x-user", id)]).await;
        c
    }
}

fn whisper(channel: &str, event: &str, data: Value) -> Value {
    json!({"event": event, "channel": channel, "data": data})
}

/// The next frame is a `pusher:error`; its code.
async fn refusal(c: &mut Client) -> Value {
    let e = c.next().await;
    assert_eq!(e["event"], "pusher:error", "{e}");
    e["data"]["code"].clone()
}

async fn nothing_for(c: &mut Client) {
    let got = next_within(c.ws(), QUIET).await;
    assert!(got.is_none(), "expected nothing, got {got:?}");
}

#[tokio::test]
async fn the_auth_endpoint_signs_the_callers_user_id_into_a_private_subscription() {
    let chat = start(Limits::default()).await;
    let form = serde_urlencoded::to_string([
        ("socket_id", "123.456"),
        ("channel_name", chat.ticket.as_str()),
    ])
    .unwrap();
    let (status, body) = http(
        chat.addr,
        "POST",
        "/broadcasting/auth",
        &[
            ("x-user", "101"),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        form.as_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    let channel_data = answer["channel_data"]
        .as_str()
        .expect("channel_data for a private channel");
    assert_eq!(
        serde_json::from_str::<Value>(channel_data).unwrap(),
        json!({"user_id": "101"})
    );
    assert!(
        signature::verify_channel_auth(
            KEY,
            SECRET,
            answer["auth"].as_str().unwrap(),
            "123.456",
            &chat.ticket,
            Some(channel_data),
        ),
        "signed over socket_id:channel:channel_data, as presence auth is"
    );
    chat.app.shutdown().await;
}

#[tokio::test]
async fn a_relayed_whisper_carries_the_senders_user_id_whatever_its_data_claims() {
    let chat = start(Limits::default()).await;
    let mut alice = chat.signed_in("101", &chat.ticket).await;
    let mut sam = chat.signed_in("201", &chat.ticket).await;

    // Alice claims to be Sam, in the data and in a user_id of her own.
    let mut forged = whisper(
        &chat.ticket,
        "client-typing",
        json!({"id": 201, "name": "Sam Support", "typing": true}),
    );
    forged["user_id"] = json!("201");
    send(alice.ws(), forged).await;
    let got = sam.next().await;
    assert_eq!(got["event"], "client-typing", "{got}");
    assert_eq!(got["channel"], chat.ticket.as_str());
    assert_eq!(
        got["user_id"], "101",
        "the sender's id, not the claimed one"
    );
    let data: Value = serde_json::from_str(got["data"].as_str().unwrap()).unwrap();
    assert_eq!(data["typing"], true, "the data itself is relayed unchanged");
    nothing_for(&mut alice).await;

    send(
        sam.ws(),
        whisper(&chat.ticket, "client-typing", json!({"typing": true})),
    )
    .await;
    assert_eq!(alice.next().await["user_id"], "201");
    chat.app.shutdown().await;
}

#[tokio::test]
async fn whispers_off_the_allow_list_are_refused_with_4301_and_reach_nobody() {
    let chat = start(Limits::default()).await;
    let mut alice = chat.signed_in("101", &chat.ticket).await;
    let mut sam = chat.signed_in("201", &chat.ticket).await;
    sam.sign_in("private-support.admin", &[("x-user", "201")])
        .await;
    let mut sam2 = chat.signed_in("201", "private-support.admin").await;

    send(
        alice.ws(),
        whisper(&chat.ticket, "client-message", json!({"text": "hi"})),
    )
    .await;
    assert_eq!(
        refusal(&mut alice).await,
        4301,
        "an event name the app does not use"
    );
    send(
        sam.ws(),
        whisper(
            "private-support.admin",
            "client-typing",
            json!({"typing": true}),
        ),
    )
    .await;
    assert_eq!(
        refusal(&mut sam).await,
        4301,
        "a channel the app does not whisper on"
    );
    nothing_for(&mut sam).await;
    nothing_for(&mut sam2).await;

    // Still open, and what is allowed goes through.
    send(
        alice.ws(),
        whisper(&chat.ticket, "client-typing", json!({"typing": true})),
    )
    .await;
    assert_eq!(sam.next().await["event"], "client-typing");
    chat.app.shutdown().await;
}

#[tokio::test]
async fn the_allow_list_is_configurable_and_empty_turns_client_events_off() {
    let limits = Limits {
        client_events: vec![ClientEventRule::new("private-support.admin", "client-*")],
        ..Limits::default()
    };
    let chat = start(limits).await;
    let mut sam = chat.signed_in("201", "private-support.admin").await;
    sam.sign_in(&chat.ticket, &[("x-user", "201")]).await;
    let mut sam2 = chat.signed_in("201", "private-support.admin").await;
    send(
        sam.ws(),
        whisper("private-support.admin", "client-seen", json!({"id": 1})),
    )
    .await;
    let got = sam2.next().await;
    assert_eq!(
        (got["event"].as_str(), got["user_id"].as_str()),
        (Some("client-seen"), Some("201"))
    );
    send(
        sam.ws(),
        whisper(&chat.ticket, "client-typing", json!({"typing": true})),
    )
    .await;
    assert_eq!(refusal(&mut sam).await, 4301, "not on this list");
    chat.app.shutdown().await;

    let chat = start(Limits {
        client_events: Vec::new(),
        ..Limits::default()
    })
    .await;
    let mut alice = chat.signed_in("101", &chat.ticket).await;
    let mut sam = chat.signed_in("201", &chat.ticket).await;
    send(
        alice.ws(),
        whisper(&chat.ticket, "client-typing", json!({"typing": true})),
    )
    .await;
    assert_eq!(refusal(&mut alice).await, 4301);
    nothing_for(&mut sam).await;
    chat.app.shutdown().await;
}

#[tokio::test]
async fn an_oversize_whisper_is_refused_with_4301_and_the_connection_stays_open() {
    let chat = start(Limits::default()).await;
    let max = Limits::default().max_client_event_bytes;
    assert!(max < 1024, "typing needs well under 1 KB");
    let mut alice = chat.signed_in("101", &chat.ticket).await;
    let mut sam = chat.signed_in("201", &chat.ticket).await;
    let big = json!({"typing": true, "pad": "x".repeat(max)});
    send(alice.ws(), whisper(&chat.ticket, "client-typing", big)).await;
    assert_eq!(refusal(&mut alice).await, 4301);
    nothing_for(&mut sam).await;
    send(
        alice.ws(),
        whisper(&chat.ticket, "client-typing", json!({"typing": true})),
    )
    .await;
    assert_eq!(sam.next().await["user_id"], "101", "small ones still go");
    chat.app.shutdown().await;
}

#[tokio::test]
async fn a_private_subscription_signed_without_a_user_subscribes_but_cannot_whisper() {
    let chat = start(Limits::default()).await;
    let mut sam = chat.signed_in("201", &chat.ticket).await;
    // Signed the standard way, as another backend (Laravel's Pusher broadcaster) signs a
    // private channel: `socket_id:channel`, no channel_data.
    let mut other = Client::connect(chat.addr, KEY).await;
    let auth = signature::channel_auth(KEY, SECRET, other.socket_id(), &chat.ticket, None);
    testing::subscribe(other.ws(), &chat.ticket, &auth, None).await;
    assert_eq!(
        other.next().await["event"],
        "pusher_internal:subscription_succeeded"
    );
    send(
        other.ws(),
        whisper(&chat.ticket, "client-typing", json!({"typing": true})),
    )
    .await;
    assert_eq!(
        refusal(&mut other).await,
        4009,
        "no user to tie the whisper to"
    );
    nothing_for(&mut sam).await;

    // It still receives, whispers included.
    send(
        sam.ws(),
        whisper(&chat.ticket, "client-typing", json!({"typing": true})),
    )
    .await;
    assert_eq!(other.next().await["user_id"], "201");
    chat.app.shutdown().await;
}

#[tokio::test]
async fn a_private_subscriptions_channel_data_must_be_signed_and_name_a_user() {
    let chat = start(Limits::default()).await;
    let (mut ws, socket) = testing::connect(chat.addr, KEY).await;
    // A standard signature with a user claimed beside it.
    let auth = signature::channel_auth(KEY, SECRET, &socket, &chat.ticket, None);
    let claimed = json!({"user_id": "201"}).to_string();
    testing::subscribe(&mut ws, &chat.ticket, &auth, Some(&claimed)).await;
    let e = next(&mut ws).await;
    assert_eq!(
        (e["event"].as_str(), e["data"]["status"].as_u64()),
        (Some("pusher:subscription_error"), Some(401)),
        "{e}"
    );
    // Signed, but naming nobody.
    for data in ["{}", "not json", r#"{"user_id":""}"#] {
        let auth = signature::channel_auth(KEY, SECRET, &socket, &chat.ticket, Some(data));
        testing::subscribe(&mut ws, &chat.ticket, &auth, Some(data)).await;
        let e = next(&mut ws).await;
        assert_eq!(
            (e["event"].as_str(), e["data"]["status"].as_u64()),
            (Some("pusher:subscription_error"), Some(400)),
            "{data}: {e}"
        );
    }
    chat.app.shutdown().await;
}
