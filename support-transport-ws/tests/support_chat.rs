//! `SupportChat`, the entry point, served on a socket: what is posted over HTTP reaches the
//! websocket clients signed in through `/broadcasting/auth`, on one node and across nodes on
//! a bus, and shutting down closes them with 4200 and stops the bus listener.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::HeaderMap;
use serde_json::json;
use support_core::testing::bus::InProcessBus;
use support_core::*;
use support_transport_ws::testing::{Client, http, next, next_within};
use support_transport_ws::{AppConfig, SupportChat, identify_fn};

const KEY: &str = "chat-key";

fn cast() -> [Actor; 3] {
    [
        Actor::new(101, "Alice Employee", Role::Employee),
        Actor::new(102, "Bob Employee", Role::Employee),
        Actor::new(201, "Sam Support", Role::Support),
    ]
}

/// `x-user: {id}` names the caller.
fn user(headers: &HeaderMap) -> Option<Actor> {
    let id: i64 = headers.get("x-user")?.to_str().ok()?.parse().ok()?;
    cast().into_iter().find(|a| a.id == UserId(id))
}

async fn start(bus: Option<InProcessBus>) -> (SupportChat, SocketAddr) {
    let builder = SupportChat::builder(AppConfig::new("chat-app", KEY, "chat-secret"))
        .store(MemoryStore::new())
        .directory(StaticDirectory::new(cast()))
        .identify(identify_fn(|headers| {
            let caller = user(headers);
            Box::pin(async move { Ok(caller) })
        }));
    let builder = match bus {
        Some(bus) => builder.bus(bus),
        None => builder,
    };
    let chat = builder.start().await.unwrap();
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
    serde_json::from_str::<serde_json::Value>(&text).unwrap()["data"]["id"]
        .as_i64()
        .unwrap()
}

async fn chat(addr: SocketAddr, path: &str, who: &str, text: &str, socket: Option<&str>) {
    let mut headers = as_user(who).to_vec();
    if let Some(socket) = socket {
        headers.push(("x-socket-id", socket));
    }
    let body = json!({ "message": text }).to_string();
    let (status, answer) = http(addr, "POST", path, &headers, body.as_bytes()).await;
    assert_eq!(status, 201, "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_posted_over_http_reaches_the_websocket_clients_of_the_ticket() {
    let (chat_app, addr) = start(None).await;
    let ticket = open_ticket(addr).await;
    let channel = Channel::Ticket(TicketId(ticket)).to_string();

    let mut alice = Client::connect(addr, KEY).await;
    alice.sign_in(&channel, &[("x-user", "101")]).await;
    let mut sam = Client::connect(addr, KEY).await;
    sam.sign_in(&channel, &[("x-user", "201")]).await;
    sam.sign_in("private-support.admin", &[("x-user", "201")])
        .await;

    let staff_path = format!("/api/admin/support/{ticket}/chat");
    chat(
        addr,
        &staff_path,
        "201",
        "Checking now",
        Some(sam.socket_id()),
    )
    .await;
    let got = alice.event("chat.message").await;
    assert_eq!(got["message"], "Checking now");
    assert_eq!(got["sender_name"], "Sam Support");
    // Sam's own tab is left out of what his post causes (`toOthers()`).
    let quiet = next_within(sam.ws(), Duration::from_millis(300)).await;
    assert!(
        quiet.is_none(),
        "the sender's socket got its own event: {quiet:?}"
    );

    chat_app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channel_auth_asks_the_same_identity_and_policy_as_the_api() {
    let (chat_app, addr) = start(None).await;
    let ticket = open_ticket(addr).await;
    let form = |socket: &str| {
        serde_urlencoded::to_string([
            ("socket_id", socket),
            (
                "channel_name",
                &Channel::Ticket(TicketId(ticket)).to_string(),
            ),
        ])
        .unwrap()
    };
    let bob = Client::connect(addr, KEY).await;
    for (headers, expected) in [
        (vec![], 401),
        (vec![("x-user", "102")], 403),
        (vec![("x-user", "101")], 200),
    ] {
        let mut headers = headers;
        headers.push(("content-type", "application/x-www-form-urlencoded"));
        let (status, body) = http(
            addr,
            "POST",
            "/broadcasting/auth",
            &headers,
            form(bob.socket_id()).as_bytes(),
        )
        .await;
        assert_eq!(status, expected, "{headers:?}: {body}");
    }
    chat_app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_bus_a_client_of_one_node_gets_what_is_posted_through_the_other_once() {
    let bus = InProcessBus::default();
    let (a, addr_a) = start(Some(bus.clone())).await;
    let (b, addr_b) = start(Some(bus)).await;
    let ticket = open_ticket(addr_a).await;

    // Sam watches the staff channel on each node.
    let mut sam_on_a = Client::connect(addr_a, KEY).await;
    sam_on_a
        .sign_in("private-support.admin", &[("x-user", "201")])
        .await;
    let mut sam_on_b = Client::connect(addr_b, KEY).await;
    sam_on_b
        .sign_in("private-support.admin", &[("x-user", "201")])
        .await;

    let path = format!("/api/employee/portal/support/{ticket}/chat");
    chat(addr_a, &path, "101", "through A", None).await;
    for (who, sam) in [("node A", &mut sam_on_a), ("node B", &mut sam_on_b)] {
        let got = sam.event("message.created").await;
        assert_eq!(got["message"], "through A", "{who}");
        let quiet = next_within(sam.ws(), Duration::from_millis(300)).await;
        assert!(quiet.is_none(), "{who} delivered more than once: {quiet:?}");
    }

    // B shuts down: its clients get 4200, and its listener leaves the bus.
    b.shutdown().await;
    assert_eq!(next(sam_on_b.ws()).await["close"], 4200);
    assert_eq!(b.hub().connection_count(), 0);
    chat(addr_a, &path, "101", "after B left", None).await;
    assert_eq!(
        sam_on_a.event("message.created").await["message"],
        "after B left"
    );
    a.shutdown().await;
    assert_eq!(next(sam_on_a.ws()).await["close"], 4200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_it_hands_back_publishes_to_the_websocket_clients_too() {
    let (chat_app, addr) = start(None).await;
    let ticket = open_ticket(addr).await;
    let mut alice = Client::connect(addr, KEY).await;
    alice
        .sign_in(
            &Channel::Ticket(TicketId(ticket)).to_string(),
            &[("x-user", "101")],
        )
        .await;
    let reply = NewMessage::public(MessageBody::parse("From the service").unwrap());
    chat_app
        .service()
        .post_message(
            &cast()[2],
            TicketId(ticket),
            reply,
            &WriteContext::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        alice.event("chat.message").await["message"],
        "From the service"
    );
    chat_app.shutdown().await;
}
