//! Revoking a user's access on one node closes their websocket connections on every node:
//! two `SupportChat` nodes on one database, joined by the LISTEN/NOTIFY bus, each serving
//! websocket clients on a socket of its own.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use common::TestDb;
use serde_json::{Value, json};
use support_core::*;
use support_store_postgres::PgBus;
use support_transport_ws::testing::{Client, Ws, next_within, subscribe};
use support_transport_ws::{AppConfig, SupportChat, identify_fn, signature};

const KEY: &str = "support-key";
const SECRET: &str = "support-secret";
const ONLINE: &str = "presence-support.online";
/// How soon a revoked connection must be closed, on any node.
const BOUND: Duration = Duration::from_secs(5);

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

/// One node, as each server process starts: its store and bus on the shared database.
async fn node(db: &TestDb) -> (SupportChat, SocketAddr) {
    let store = db.store().await;
    let chat = SupportChat::builder(AppConfig::new("support", KEY, SECRET))
        .bus(PgBus::new(&store))
        .store(store)
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
    let router = chat.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (chat, addr)
}

/// Joins the presence channel as `user_id`, signed as an auth endpoint that allows presence
/// would sign it.
async fn join_presence(client: &mut Client, user_id: &str) {
    let data = json!({ "user_id": user_id, "user_info": {} }).to_string();
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

/// Reads frames until the websocket closes; returns the close code. Fails if it stays open
/// past `BOUND`.
async fn close_code(ws: &mut Ws) -> Value {
    let started = Instant::now();
    loop {
        let left = BOUND.saturating_sub(started.elapsed());
        let Some(frame) = next_within(ws, left).await else {
            panic!("the connection was still open after {BOUND:?}");
        };
        if let Some(code) = frame.get("close") {
            return code.clone();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn disconnect_user_on_node_one_closes_that_users_connection_on_node_two_with_4009() {
    let db = TestDb::create().await;
    let (one, one_addr) = node(&db).await;
    let (two, two_addr) = node(&db).await;
    let [alice, sam] = cast();
    let draft = NewTicket::parse("VPN", "down since 9", "it", "high").unwrap();
    let ticket = one
        .service()
        .create_ticket(&alice, draft, &WriteContext::default())
        .await
        .unwrap();
    let ticket_channel = Channel::Ticket(ticket.id).to_string();

    // Sam's dashboard on node two: the staff channel and who is online.
    let mut dashboard = Client::connect(two_addr, KEY).await;
    dashboard
        .sign_in("private-support.admin", &[("x-user", "201")])
        .await;
    join_presence(&mut dashboard, "201").await;
    // Alice on node two (her ticket and who is online), and in a tab on node one.
    let mut on_two = Client::connect(two_addr, KEY).await;
    on_two.sign_in(&ticket_channel, &[("x-user", "101")]).await;
    join_presence(&mut on_two, "101").await;
    let mut on_one = Client::connect(one_addr, KEY).await;
    on_one.sign_in(&ticket_channel, &[("x-user", "101")]).await;
    assert_eq!(
        dashboard.event("pusher_internal:member_added").await["user_id"],
        "101"
    );

    one.service().disconnect_user(alice.id).await.unwrap();

    assert_eq!(close_code(on_two.ws()).await, 4009, "Alice on node two");
    assert_eq!(close_code(on_one.ws()).await, 4009, "Alice on node one");
    assert_eq!(
        dashboard.event("pusher_internal:member_removed").await["user_id"],
        "101"
    );
    assert_eq!(two.hub().presence_users(ONLINE), ["201"]);

    // Sam's connection carries on: what is posted through node one reaches it on node two.
    let note = NewMessage::internal(MessageBody::parse("account disabled").unwrap());
    one.service()
        .post_message(&sam, ticket.id, note, &WriteContext::default())
        .await
        .unwrap();
    assert_eq!(
        dashboard.event("message.created").await["message"],
        "account disabled"
    );
    assert_eq!(two.hub().connection_count(), 1);
    assert_eq!(one.hub().connection_count(), 0);

    two.shutdown().await;
    one.shutdown().await;
}
