//! Several server processes on one database: two services, each with its own pool, listener
//! and hub, stand in for two nodes behind a load balancer.
//!
//! The bus's own behaviour (every event on every node once, order, the sender's socket left
//! out, resync after a cut, large events) is support-core's bus suite, in `tests/bus.rs`.
//! These check what only the whole service on Postgres shows: stored ids and the staff-only
//! note across nodes, the listener's status, and which events take the outbox.

// Setup helpers outside #[test] functions panic on failure like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::TestDb;
use support_core::*;
use support_store_postgres::{PgBroadcaster, PgListener};
use tokio::time::timeout;

/// One node: what a server process builds at start-up.
struct Node {
    hub: MemoryBroadcaster,
    listener: PgListener,
    service: SupportService,
}

fn cast() -> [Actor; 3] {
    [
        Actor::new(101, "Alice Employee", Role::Employee),
        Actor::new(102, "Bob Employee", Role::Employee),
        Actor::new(201, "Sam Support", Role::Support),
    ]
}

impl Node {
    async fn start(db: &TestDb) -> Node {
        let store = db.store().await;
        let hub = MemoryBroadcaster::new(10_000);
        let listener = PgListener::start(&store, hub.clone()).await.unwrap();
        let service = SupportService::new(
            store.clone(),
            PgBroadcaster::new(&store),
            StaticDirectory::new(cast()),
        );
        Node {
            hub,
            listener,
            service,
        }
    }
}

fn alice() -> Actor {
    cast()[0].clone()
}

fn sam() -> Actor {
    cast()[2].clone()
}

fn say(text: &str) -> NewMessage {
    NewMessage::public(MessageBody::parse(text).unwrap())
}

fn from(socket: &str) -> WriteContext {
    WriteContext {
        idempotency_key: None,
        socket_id: Some(socket.parse().unwrap()),
    }
}

async fn next(sub: &mut Subscription) -> Arc<Broadcast> {
    timeout(common::BOUND, sub.recv())
        .await
        .expect("no event arrived")
        .expect("the subscriber missed events")
}

/// The chat messages a subscription receives up to and including the one saying `last`.
async fn messages_until(sub: &mut Subscription, last: &str) -> Vec<Message> {
    let mut got = Vec::new();
    loop {
        let b = next(sub).await;
        let Some(m) = b.message() else { continue };
        got.push(m.clone());
        if m.content == last {
            return got;
        }
    }
}

/// Waits a moment and asserts that nothing more arrived: the sentinel before this came after
/// every earlier event, so a duplicate would most likely be queued by now, and this gives a
/// late one time to show up too.
async fn assert_quiet(sub: &mut Subscription, who: &str) {
    tokio::time::sleep(Duration::from_millis(300)).await;
    if let Some(extra) = sub.try_recv() {
        panic!("{who} received more than expected: {extra:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn a_subscriber_on_node_b_receives_in_order_and_once_what_node_a_posts() {
    let db = TestDb::create().await;
    let (a, b) = (Node::start(&db).await, Node::start(&db).await);
    let ticket = a
        .service
        .create_ticket(
            &alice(),
            NewTicket::parse("VPN", "down since 9", "it", "high").unwrap(),
            &WriteContext::default(),
        )
        .await
        .unwrap();
    let mut on_b = b.hub.subscribe(Channel::Ticket(ticket.id), None);
    let mut staff_on_b = b.hub.subscribe(Channel::Admin, None);
    let mut on_a = a.hub.subscribe(Channel::Ticket(ticket.id), None);

    let emoji = "😀".repeat(2000);
    let mut texts: Vec<String> = (0..30).map(|i| format!("message {i}")).collect();
    texts.insert(10, emoji.clone());
    texts.push("the end".into());
    let mut posted = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        // Alternate the sides, as a conversation does; all through node A.
        let who = if i % 2 == 0 { alice() } else { sam() };
        let m = a
            .service
            .post_message(&who, ticket.id, say(text), &WriteContext::default())
            .await
            .unwrap();
        posted.push(m);
    }
    // A note: staff on B hear it, the ticket channel does not.
    let note = a
        .service
        .post_message(
            &sam(),
            ticket.id,
            NewMessage::internal(MessageBody::parse("checking AD").unwrap()),
            &WriteContext::default(),
        )
        .await
        .unwrap();

    let got_b = messages_until(&mut on_b, "the end").await;
    assert_eq!(got_b, posted, "node B: every message, in order, whole");
    assert_eq!(got_b[10].content, emoji);
    assert_eq!(got_b[10].content.chars().count(), 2000);
    assert_quiet(&mut on_b, "the ticket channel on node B").await;

    // The publishing node hears its own events through the bus, once.
    let got_a = messages_until(&mut on_a, "the end").await;
    assert_eq!(got_a, posted, "node A: every message once, in order");
    assert_quiet(&mut on_a, "the ticket channel on node A").await;

    let staff = messages_until(&mut staff_on_b, "checking AD").await;
    let mut expected = posted.clone();
    expected.push(note);
    assert_eq!(
        staff, expected,
        "staff on node B: every message and the note"
    );

    assert!(a.listener.status().listening && b.listener.status().listening);
    assert_eq!(b.listener.status().resyncs, 0, "nothing was missed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn events_larger_than_a_notification_arrive_whole_on_every_node() {
    let db = TestDb::create().await;
    let (a, b) = (Node::start(&db).await, Node::start(&db).await);
    let mut staff_on_b = b.hub.subscribe(Channel::Admin, None);
    // 10,000 four-byte characters: a 40 kB ticket.created and ticket.updated.
    let description = "𝄞".repeat(10_000);
    let ticket = a
        .service
        .create_ticket(
            &alice(),
            NewTicket::parse("Music", &description, "other", "low").unwrap(),
            &WriteContext::default(),
        )
        .await
        .unwrap();
    let patch = TicketPatch {
        status: Some(Status::InProgress),
        ..TicketPatch::default()
    };
    let updated = a
        .service
        .update_ticket(&sam(), ticket.id, patch, &from("5.6"))
        .await
        .unwrap();

    let mut names = Vec::new();
    loop {
        let event = next(&mut staff_on_b).await;
        names.push(event.name());
        match &event.event {
            Event::Staff(StaffEvent::TicketCreated(t)) => assert_eq!(*t, ticket),
            Event::Staff(StaffEvent::TicketUpdated {
                ticket: t, changes, ..
            }) => {
                assert_eq!(*t, updated);
                assert_eq!(changes.len(), 1);
                assert_eq!(event.except, Some("5.6".parse().unwrap()));
                break;
            }
            _ => {}
        }
    }
    assert_eq!(
        names,
        ["ticket.created", "stats.updated", "ticket.updated",]
    );

    // The rows that carried them: ticket.created, and ticket.updated on the ticket's channel
    // and on the staff channel. Small events travelled inline.
    let mut raw = db.raw().await;
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM broadcast_outbox")
        .fetch_one(&mut raw)
        .await
        .unwrap();
    assert_eq!(rows, 3, "only the large events went through the outbox");
}
