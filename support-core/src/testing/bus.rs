//! The conformance suite for buses between nodes, written once for every bus crate.
//!
//! A bus crate implements [`Bus`] (see [`crate::bus`]): joining it gives a node the
//! [`Broadcaster`] its service publishes through and a listener that feeds the node's
//! [`Fanout`]. To check it, it adds
//! `support-core = { version = "…", features = ["testing"] }` to its dev-dependencies and, in
//! a test file, implements [`BusHarness`] (the bus, plus a way to cut a node's connection)
//! and writes one line:
//!
//! ```ignore
//! support_core::bus_conformance_suite!(async { PgBus::on_a_fresh_database().await });
//! ```
//!
//! That is how `support-store-postgres/tests/bus.rs` runs it against LISTEN/NOTIFY. The next
//! bus, NATS JetStream for instance, is one crate (its [`Bus`], whose broadcaster and
//! listener both speak [`Envelope`](crate::Envelope)) plus, beside the harness in its tests,
//! one macro line:
//!
//! ```ignore
//! support_core::bus_conformance_suite!(async { NatsBus::on_a_fresh_stream("nats://127.0.0.1:4222").await });
//! ```
//!
//! The macro expands into a module `bus_conformance` with one `#[test]` per case below, so
//! `cargo test bus_conformance` runs exactly the suite and a failure names the behaviour. The
//! expression is evaluated once per case: give every case a bus of its own (a fresh
//! database, stream or subject prefix), so the cases run in parallel. It is evaluated inside
//! the case's async body. Leading attributes go on every generated test, as with
//! `conformance_suite!`: the Postgres tests mark the suite
//! `#[cfg_attr(no_postgres, ignore = "…")]`, so without a server it shows as ignored. Several suites in one file take a name each:
//! `bus_conformance_suite!(nats: async { … })` expands into `nats::bus_conformance`.
//!
//! Every node's fan-out is a [`MemoryBroadcaster`], so the cases observe exactly what each
//! node delivers (and beside it a record of the [`Dispatch::DisconnectUser`] and
//! [`Dispatch::Presence`] notices, which go to no channel), and the events are built here,
//! with no store: the suite checks the bus alone. Each case runs on a fresh multi-threaded runtime ([`run`](crate::testing::run)).
//!
//! [`InProcessBus`] is the smallest bus that passes the suite: every node in one process. It
//! lets tests of what sits on a bus (several nodes' websocket hubs, say) run without a
//! database.

use crate::EventActor;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::timeout;

use crate::broadcast::{Broadcaster, MemoryBroadcaster, Missed, Subscription};
use crate::bus::{Bus, BusListener, BusNode, Fanout};
use crate::channel::Channel;
use crate::error::Result;
use crate::event::{
    Broadcast, Dispatch, Event, PresenceChange, PresenceChannel, PresenceEntry, PresenceNotice,
    StaffEvent, TicketEvent,
};
use crate::id::{MessageId, SocketId, TicketId, TicketNumber, UserId};
use crate::message::{AuthorType, Message};
use crate::stats::Stats;
use crate::ticket::{Category, Priority, Status, Ticket};
use crate::{Change, time};

/// What a bus crate implements so the suite can run its bus: the [`Bus`] itself, whose
/// [`join`](Bus::join) starts a node, and a way to cut a node's connection.
///
/// One harness is one bus (every node that joins it shares it), made fresh for each case. Its
/// [`Bus::Listener`] is whatever [`cut`](BusHarness::cut) needs to find a node's connection,
/// besides the listener it keeps running.
#[async_trait]
pub trait BusHarness: Bus {
    /// Drops `node`'s connection to the bus, as a network failure or a restarted broker
    /// would (for Postgres, `pg_terminate_backend` on the listener's session). The listener
    /// must notice and reconnect by itself, then [`resync`](Fanout::resync) its fan-out.
    /// Publishing, through any node, must keep working.
    async fn cut(&self, node: &BusNode<Self::Listener>) -> Result<()>;
}

/// Expands into the bus conformance suite: see the [module docs](crate::testing::bus).
///
/// Every case of [`testing::bus`](crate::testing::bus) must be listed here; a unit test of
/// the module fails when one is not.
#[macro_export]
macro_rules! bus_conformance_suite {
    // Leading attributes (for every generated test), gathered one at a time.
    (@attrs [$($attrs:tt)*] #[$attr:meta] $($rest:tt)*) => {
        $crate::bus_conformance_suite!(@attrs [$($attrs)* #[$attr]] $($rest)*);
    };
    (@attrs $attrs:tt $name:ident : $make:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            $crate::bus_conformance_suite!(@attrs $attrs $make);
        }
    };
    (@attrs $attrs:tt $make:expr) => {
        $crate::__bus_conformance_cases!($attrs $make;
            every_event_reaches_every_node_exactly_once,
            per_ticket_order_is_kept_on_every_node,
            the_sender_socket_is_left_out_on_every_node,
            a_cut_connection_makes_that_nodes_subscribers_resync,
            an_event_over_the_notification_size_limit_still_arrives,
            a_disconnect_notice_reaches_every_node_once_and_no_channel,
            presence_notices_reach_every_node_once_in_order_and_no_channel,
        );
    };
    ($($input:tt)+) => {
        $crate::bus_conformance_suite!(@attrs [] $($input)+);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __bus_conformance_cases {
    (@case [$(#[$attr:meta])*] $case:ident $make:expr) => {
        $(#[$attr])*
        #[test]
        fn $case() {
            $crate::testing::run(async {
                let harness = $make.await;
                $crate::testing::bus::$case(harness).await;
            });
        }
    };
    ($attrs:tt $make:expr; $($case:ident),+ $(,)?) => {
        mod bus_conformance {
            #[allow(unused_imports)]
            use super::*;
            $(
                $crate::__bus_conformance_cases!(@case $attrs $case $make);
            )+
        }
    };
}

/// Long enough for any one event to cross a bus, short enough that a lost one fails quickly.
const BOUND: Duration = Duration::from_secs(10);

/// How long a subscriber must stay quiet after its last expected event. A duplicate would
/// most likely be queued by then, and a late one has time to show up.
const QUIET: Duration = Duration::from_millis(300);

/// The ticket whose channel the cases use.
const TICKET: TicketId = TicketId(7);

/// A node with the fan-out its listener feeds, and the notices that reached it.
struct Started<L> {
    fanout: MemoryBroadcaster,
    disconnects: tokio::sync::mpsc::UnboundedReceiver<UserId>,
    presence: tokio::sync::mpsc::UnboundedReceiver<Arc<PresenceNotice>>,
    node: BusNode<L>,
}

impl<L> Started<L> {
    async fn publish(&self, b: Broadcast) {
        self.node
            .publisher
            .publish(b.into())
            .await
            .expect("the bus accepts an event");
    }
}

/// A node's fan-out: events to its [`MemoryBroadcaster`], notices to a record of their own.
struct NodeFanout {
    fanout: MemoryBroadcaster,
    disconnects: tokio::sync::mpsc::UnboundedSender<UserId>,
    presence: tokio::sync::mpsc::UnboundedSender<Arc<PresenceNotice>>,
}

impl Fanout for NodeFanout {
    fn deliver(&self, dispatch: Dispatch) {
        match dispatch {
            event @ Dispatch::Event(_) => self.fanout.deliver(event),
            Dispatch::DisconnectUser(user) => {
                // The case holds the receiver until it ends.
                let _ = self.disconnects.send(user);
            }
            Dispatch::Presence(notice) => {
                let _ = self.presence.send(notice);
            }
        }
    }

    fn resync(&self) {
        self.fanout.resync();
    }
}

/// Each node's subscription to the ticket's channel and to the staff channel.
fn listen_on_both_channels<L>(nodes: &[Started<L>]) -> Vec<(Subscription, Subscription)> {
    nodes
        .iter()
        .map(|n| {
            (
                n.fanout.subscribe(Channel::Ticket(TICKET), None),
                n.fanout.subscribe(Channel::Admin, None),
            )
        })
        .collect()
}

async fn start<H: BusHarness>(harness: &H, nodes: usize) -> Vec<Started<H::Listener>> {
    let mut started = Vec::new();
    for _ in 0..nodes {
        let fanout = MemoryBroadcaster::default();
        let (tx, disconnects) = tokio::sync::mpsc::unbounded_channel();
        let (presence_tx, presence) = tokio::sync::mpsc::unbounded_channel();
        let node = harness
            .join(Arc::new(NodeFanout {
                fanout: fanout.clone(),
                disconnects: tx,
                presence: presence_tx,
            }))
            .await
            .expect("a node joins the bus");
        started.push(Started {
            fanout,
            disconnects,
            presence,
            node,
        });
    }
    started
}

fn message(id: i64, content: &str) -> Message {
    Message {
        id: MessageId(id),
        ticket_id: TICKET,
        author_id: UserId(101),
        author_name: "Alice Employee".into(),
        author_type: AuthorType::Employee,
        content: content.into(),
        is_internal: false,
        attachments: Vec::new(),
        created_at: time::now(),
    }
}

fn ticket(subject: &str, description: &str) -> Ticket {
    Ticket {
        id: TICKET,
        ticket_number: TicketNumber::for_id(TICKET),
        employee_id: UserId(101),
        subject: subject.into(),
        description: description.into(),
        category: Category::It,
        priority: Priority::High,
        status: Status::InProgress,
        assigned_to: Some(UserId(201)),
        resolved_at: None,
        created_at: time::now(),
        updated_at: time::now(),
        first_response_at: None,
        archived_at: None,
        sla: Default::default(),
        version: 1,
    }
}

/// `chat.message` number `id` on the ticket's channel.
fn chat(id: i64, content: &str, except: Option<&SocketId>) -> Broadcast {
    let public = message(id, content).public().expect("not a note");
    Broadcast {
        event: Event::Ticket(TICKET, TicketEvent::ChatMessage(public)),
        except: except.cloned(),
    }
}

/// `message.created` number `id` on the staff channel.
fn staff_copy(id: i64, content: &str, except: Option<&SocketId>) -> Broadcast {
    Broadcast {
        event: Event::Staff(StaffEvent::MessageCreated(message(id, content))),
        except: except.cloned(),
    }
}

/// One event of every kind, each told apart by `n`: three on the ticket's channel and four on
/// the staff channel.
fn every_kind(n: i64) -> Vec<Broadcast> {
    let changes = vec![Change::Status {
        before: Status::Open,
        after: Status::InProgress,
    }];
    let subject = format!("ticket {n}");
    let events = [
        Event::Ticket(
            TICKET,
            TicketEvent::ChatMessage(message(n, &format!("chat {n}")).public().expect("public")),
        ),
        Event::Ticket(
            TICKET,
            TicketEvent::TicketUpdated {
                ticket: ticket(&subject, "updated"),
                changes: changes.clone(),
                actor: EventActor {
                    id: UserId(201),
                    full_name: format!("Sam {n}"),
                },
                at: time::now(),
            },
        ),
        Event::Staff(StaffEvent::TicketCreated(ticket(&subject, "created"))),
        Event::Staff(StaffEvent::TicketUpdated {
            ticket: ticket(&subject, "updated"),
            changes,
            actor: EventActor {
                id: UserId(201),
                full_name: format!("Sam {n}"),
            },
            at: time::now(),
        }),
        Event::Staff(StaffEvent::StatsUpdated(Stats {
            open: n.unsigned_abs(),
            in_progress: 1,
            urgent: 0,
        })),
        Event::Staff(StaffEvent::MessageCreated(message(n, &format!("note {n}")))),
    ];
    let mut events: Vec<Broadcast> = events
        .into_iter()
        .map(|event| Broadcast {
            event,
            except: None,
        })
        .collect();
    // An internal note travels too, on the staff channel only.
    let mut note = message(n, &format!("internal {n}"));
    note.is_internal = true;
    events.push(Broadcast {
        event: Event::Staff(StaffEvent::MessageCreated(note)),
        except: None,
    });
    events
}

/// The next event, or why there was none; fails the case if nothing arrives in time.
async fn next(sub: &mut Subscription, who: &str) -> Result<Arc<Broadcast>, Missed> {
    timeout(BOUND, sub.recv())
        .await
        .unwrap_or_else(|_| panic!("{who}: nothing arrived within {BOUND:?}"))
}

/// The next `count` events, none missed.
async fn receive(sub: &mut Subscription, count: usize, who: &str) -> Vec<Broadcast> {
    let mut got = Vec::with_capacity(count);
    while got.len() < count {
        match next(sub, who).await {
            Ok(b) => got.push((*b).clone()),
            Err(missed) => panic!("{who}: {missed} after {} of {count} events", got.len()),
        }
    }
    got
}

/// The message ids of `events`, in the order received.
fn ids(events: &[Broadcast]) -> Vec<i64> {
    events
        .iter()
        .map(|b| b.message().expect("a message event").id.get())
        .collect()
}

/// Asserts that nothing more arrives.
async fn assert_quiet(sub: &mut Subscription, who: &str) {
    tokio::time::sleep(QUIET).await;
    if let Some(extra) = sub.try_recv() {
        panic!("{who} received more than was sent: {extra:?}");
    }
}

/// Asserts that `got` holds every event of `sent` exactly once, in any order.
fn assert_each_once(mut got: Vec<Broadcast>, sent: &[Broadcast], who: &str) {
    for event in sent {
        let Some(i) = got.iter().position(|b| b == event) else {
            panic!(
                "{who} never received {} {} (and so received another event twice): {event:?}",
                event.channel(),
                event.name()
            );
        };
        got.swap_remove(i);
    }
    assert!(got.is_empty(), "{who} received events nobody sent: {got:?}");
}

/// Three nodes publish at the same time, each a run of every kind of event (an internal note
/// on the staff channel included): every node delivers every event once, whichever node
/// published it, its own included.
pub async fn every_event_reaches_every_node_exactly_once<H: BusHarness>(harness: H) {
    const ROUNDS: i64 = 5;
    let nodes = start(&harness, 3).await;
    let mut subs = listen_on_both_channels(&nodes);

    let mut sent = Vec::new();
    let mut publishers = Vec::new();
    for (i, node) in (0_i64..).zip(&nodes) {
        let events: Vec<Broadcast> = (0..ROUNDS)
            .flat_map(|round| every_kind(i * 1000 + round))
            .collect();
        sent.extend(events.iter().cloned());
        let publisher = node.node.publisher.clone();
        publishers.push(tokio::spawn(async move {
            for event in events {
                publisher
                    .publish(event.into())
                    .await
                    .expect("the bus accepts an event");
            }
        }));
    }
    for p in publishers {
        p.await.expect("a publisher panicked");
    }

    let (on_ticket, on_staff): (Vec<Broadcast>, Vec<Broadcast>) = sent
        .into_iter()
        .partition(|b| b.channel() == Channel::Ticket(TICKET));
    for (i, (ticket_sub, staff_sub)) in subs.iter_mut().enumerate() {
        let who = format!("the ticket channel on node {i}");
        let got = receive(ticket_sub, on_ticket.len(), &who).await;
        assert_each_once(got, &on_ticket, &who);
        assert_quiet(ticket_sub, &who).await;

        let who = format!("the staff channel on node {i}");
        let got = receive(staff_sub, on_staff.len(), &who).await;
        assert_each_once(got, &on_staff, &who);
        assert_quiet(staff_sub, &who).await;
    }
}

/// Several publishers take turns on one ticket, as nodes do when their writes to it commit
/// one after another (the service publishes after each commit, in commit order): every node
/// delivers the ticket's messages, and their staff copies, in the order they were published,
/// which is id order.
pub async fn per_ticket_order_is_kept_on_every_node<H: BusHarness>(harness: H) {
    const PER_PUBLISHER: i64 = 25;
    let nodes = start(&harness, 3).await;
    let mut subs = listen_on_both_channels(&nodes);

    // The ticket's row lock, in effect: whoever holds it takes the next id and publishes.
    let last_id = Arc::new(tokio::sync::Mutex::new(0_i64));
    let mut publishers = Vec::new();
    for node in &nodes {
        let publisher = node.node.publisher.clone();
        let last_id = last_id.clone();
        publishers.push(tokio::spawn(async move {
            for _ in 0..PER_PUBLISHER {
                let mut id = last_id.lock().await;
                *id += 1;
                for event in [chat(*id, "in turn", None), staff_copy(*id, "in turn", None)] {
                    publisher
                        .publish(event.into())
                        .await
                        .expect("the bus accepts an event");
                }
                drop(id);
                tokio::task::yield_now().await;
            }
        }));
    }
    for p in publishers {
        p.await.expect("a publisher panicked");
    }

    let total = PER_PUBLISHER * 3;
    let in_order: Vec<i64> = (1..=total).collect();
    let count = in_order.len();
    for (i, (ticket_sub, staff_sub)) in subs.iter_mut().enumerate() {
        let who = format!("the ticket channel on node {i}");
        assert_eq!(
            ids(&receive(ticket_sub, count, &who).await),
            in_order,
            "{who}"
        );
        assert_quiet(ticket_sub, &who).await;
        let who = format!("the staff channel on node {i}");
        assert_eq!(
            ids(&receive(staff_sub, count, &who).await),
            in_order,
            "{who}"
        );
        assert_quiet(staff_sub, &who).await;
    }
}

/// An event carries the socket that caused it (`toOthers()`): on every node, the subscriber
/// on that socket does not get it, whichever node published it, and everyone else does.
pub async fn the_sender_socket_is_left_out_on_every_node<H: BusHarness>(harness: H) {
    let nodes = start(&harness, 2).await;
    let sender: SocketId = "1111.2222".parse().expect("a socket id");
    let other: SocketId = "3333.4444".parse().expect("a socket id");
    let mut subs = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        for socket in [Some(&sender), Some(&other), None] {
            for channel in [Channel::Ticket(TICKET), Channel::Admin] {
                let who = format!("{channel} on node {i}, socket {socket:?}");
                let sub = node.fanout.subscribe(channel, socket.cloned());
                subs.push((who, socket, sub));
            }
        }
    }

    // From the sender's tab through node 0, from the other's through node 1, then from
    // nobody's.
    for (node, id, except) in [(0, 1, Some(&sender)), (1, 2, Some(&other)), (0, 3, None)] {
        nodes[node].publish(chat(id, "hello", except)).await;
        nodes[node].publish(staff_copy(id, "hello", except)).await;
    }

    for (who, socket, sub) in &mut subs {
        let expected: Vec<i64> = match socket {
            Some(s) if *s == &sender => vec![2, 3],
            Some(_) => vec![1, 3],
            None => vec![1, 2, 3],
        };
        let got = receive(sub, expected.len(), who).await;
        assert_eq!(ids(&got), expected, "{who}");
        assert_quiet(sub, who).await;
    }
}

/// When a node loses its connection to the bus, the events published meanwhile are lost to
/// it: its subscribers are told ([`Missed::Resync`]) so they catch up from the store, and the
/// events published afterwards, through any node, reach them again. The other nodes carry on
/// as if nothing happened.
pub async fn a_cut_connection_makes_that_nodes_subscribers_resync<H: BusHarness>(harness: H) {
    let nodes = start(&harness, 2).await;
    let (a, b) = (&nodes[0], &nodes[1]);
    let mut on_a = a.fanout.subscribe(Channel::Ticket(TICKET), None);
    let mut on_b = b.fanout.subscribe(Channel::Ticket(TICKET), None);

    a.publish(chat(1, "before the cut", None)).await;
    assert_eq!(ids(&receive(&mut on_a, 1, "node A").await), [1]);
    assert_eq!(ids(&receive(&mut on_b, 1, "node B").await), [1]);

    harness.cut(&b.node).await.expect("the harness cuts node B");
    match next(&mut on_b, "node B after the cut").await {
        Err(Missed::Resync) => {}
        Err(other) => panic!("node B after the cut: {other} instead of a resync"),
        Ok(event) => panic!("node B delivered an event nobody sent after the cut: {event:?}"),
    }

    a.publish(chat(2, "after, through A", None)).await;
    b.publish(chat(3, "after, through B", None)).await;
    assert_eq!(
        ids(&receive(&mut on_b, 2, "node B after resyncing").await),
        [2, 3]
    );
    // `receive` fails on a resync: only B was cut.
    assert_eq!(
        ids(&receive(&mut on_a, 2, "node A, which was not cut").await),
        [2, 3]
    );
    assert_quiet(&mut on_a, "node A").await;
    assert_quiet(&mut on_b, "node B").await;
}

/// Events too large for a bus's native message (8000 bytes for a Postgres notification)
/// still arrive whole on every node, in order with the small ones: a 2000-character emoji
/// message (8 kB of UTF-8, the longest a message may be) and a ticket with a 40 kB
/// description.
pub async fn an_event_over_the_notification_size_limit_still_arrives<H: BusHarness>(harness: H) {
    let nodes = start(&harness, 2).await;
    let mut subs = listen_on_both_channels(&nodes);

    let emoji = "😀".repeat(2000);
    let big_chat = chat(1, &emoji, None);
    let big_ticket = Broadcast {
        event: Event::Staff(StaffEvent::TicketCreated(ticket(
            "Music",
            &"𝄞".repeat(10_000),
        ))),
        except: Some("5.6".parse().expect("a socket id")),
    };
    let small_chat = chat(2, "small", None);
    let small_copy = staff_copy(2, "small", None);
    for event in [&big_chat, &big_ticket, &small_chat, &small_copy] {
        nodes[0].publish(event.clone()).await;
    }

    for (i, (ticket_sub, staff_sub)) in subs.iter_mut().enumerate() {
        let who = format!("the ticket channel on node {i}");
        let got = receive(ticket_sub, 2, &who).await;
        assert_eq!(got, [big_chat.clone(), small_chat.clone()], "{who}");
        let content = &got[0].message().expect("a message").content;
        assert_eq!(content.chars().count(), 2000, "{who}");
        assert!(content.len() >= 8000, "{who}");
        assert_quiet(ticket_sub, &who).await;

        let who = format!("the staff channel on node {i}");
        let got = receive(staff_sub, 2, &who).await;
        assert_eq!(got, [big_ticket.clone(), small_copy.clone()], "{who}");
        assert_quiet(staff_sub, &who).await;
    }
}

/// An admin disabled a user: the notice that the user's connections must close, published
/// through one node between two events, reaches every node's fan-out exactly once, and is no
/// event on any channel, whose subscribers get the two events and nothing else.
pub async fn a_disconnect_notice_reaches_every_node_once_and_no_channel<H: BusHarness>(harness: H) {
    let mut nodes = start(&harness, 3).await;
    let mut subs = listen_on_both_channels(&nodes);
    let user = UserId(101);

    nodes[0].publish(chat(1, "before the notice", None)).await;
    nodes[1]
        .node
        .publisher
        .publish(Dispatch::DisconnectUser(user))
        .await
        .expect("the bus accepts a notice");
    nodes[2].publish(chat(2, "after the notice", None)).await;

    for (i, (node, (ticket_sub, staff_sub))) in nodes.iter_mut().zip(&mut subs).enumerate() {
        let who = format!("node {i}");
        let got = timeout(BOUND, node.disconnects.recv())
            .await
            .unwrap_or_else(|_| panic!("{who}: no disconnect notice within {BOUND:?}"));
        assert_eq!(got, Some(user), "{who}");
        let who = format!("the ticket channel on node {i}");
        assert_eq!(ids(&receive(ticket_sub, 2, &who).await), [1, 2], "{who}");
        assert_quiet(ticket_sub, &who).await;
        assert_quiet(staff_sub, &format!("the staff channel on node {i}")).await;
        assert!(
            node.disconnects.try_recv().is_err(),
            "node {i} got the notice twice"
        );
    }
}

/// Node 1 tells the others that a user joined a presence channel, then (its heartbeat) a
/// snapshot of its members large enough to need a bus's large-message path: every node, the
/// publishing one included, gets both notices once and in that order, between the events
/// around them, and no channel's subscribers hear of them.
pub async fn presence_notices_reach_every_node_once_in_order_and_no_channel<H: BusHarness>(
    harness: H,
) {
    let mut nodes = start(&harness, 3).await;
    let mut subs = listen_on_both_channels(&nodes);
    let channel = "presence-support.ticket.7.staff".to_owned();
    let member = |id: usize| PresenceEntry {
        user_id: id.to_string(),
        user_info: serde_json::json!({"name": format!("Agent {id} 😀"), "role": "support"}),
    };
    let joined = Arc::new(PresenceNotice {
        node: "node-1".into(),
        change: PresenceChange::Joined {
            channel: channel.clone(),
            member: member(201),
        },
    });
    let snapshot = Arc::new(PresenceNotice {
        node: "node-1".into(),
        change: PresenceChange::Snapshot(vec![PresenceChannel {
            channel,
            members: (200..600).map(member).collect(),
        }]),
    });

    nodes[0].publish(chat(1, "before the notices", None)).await;
    for notice in [&joined, &snapshot] {
        nodes[1]
            .node
            .publisher
            .publish(Dispatch::Presence(notice.clone()))
            .await
            .expect("the bus accepts a presence notice");
    }
    nodes[2].publish(chat(2, "after the notices", None)).await;

    for (i, (node, (ticket_sub, staff_sub))) in nodes.iter_mut().zip(&mut subs).enumerate() {
        for want in [&joined, &snapshot] {
            let got = timeout(BOUND, node.presence.recv())
                .await
                .unwrap_or_else(|_| panic!("node {i}: no presence notice within {BOUND:?}"));
            assert_eq!(got.as_deref(), Some(&**want), "node {i}");
        }
        let who = format!("the ticket channel on node {i}");
        assert_eq!(ids(&receive(ticket_sub, 2, &who).await), [1, 2], "{who}");
        assert_quiet(ticket_sub, &who).await;
        assert_quiet(staff_sub, &format!("the staff channel on node {i}")).await;
        assert!(
            node.presence.try_recv().is_err(),
            "node {i} got a notice twice"
        );
    }
}

/// A bus inside one process: every node that joins it is fed, in publishing order, every
/// event any node publishes, through the wire form ([`Envelope`](crate::Envelope)) as on a
/// real bus. For tests of several nodes without a broker; cloning shares the bus.
#[derive(Clone, Default)]
pub struct InProcessBus {
    fanouts: Arc<std::sync::Mutex<Vec<Arc<dyn Fanout>>>>,
}

impl std::fmt::Debug for InProcessBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcessBus").finish_non_exhaustive()
    }
}

impl InProcessBus {
    fn fanouts(&self) -> std::sync::MutexGuard<'_, Vec<Arc<dyn Fanout>>> {
        self.fanouts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// An [`InProcessBus`] node's listener: the fan-out it feeds, until stopped or dropped.
pub struct InProcessListener {
    bus: InProcessBus,
    fanout: Arc<dyn Fanout>,
}

impl InProcessListener {
    /// Tells this node's fan-out that events may have been lost, as a listener that
    /// reconnected would.
    pub fn resync(&self) {
        self.fanout.resync();
    }
}

impl Drop for InProcessListener {
    fn drop(&mut self) {
        self.bus.fanouts().retain(|f| !Arc::ptr_eq(f, &self.fanout));
    }
}

#[async_trait]
impl BusListener for InProcessListener {
    async fn stop(self) {}
}

struct InProcessPublisher(InProcessBus);

#[async_trait]
impl Broadcaster for InProcessPublisher {
    async fn publish(&self, dispatch: Dispatch) -> Result<()> {
        let json = crate::Envelope::of(&dispatch).to_json()?;
        let fanouts = self.0.fanouts();
        for fanout in fanouts.iter() {
            let arrived = crate::Envelope::from_json(&json)?.into_dispatch()?;
            fanout.deliver(arrived);
        }
        Ok(())
    }
}

#[async_trait]
impl Bus for InProcessBus {
    type Listener = InProcessListener;

    async fn join(&self, fanout: Arc<dyn Fanout>) -> Result<BusNode<InProcessListener>> {
        self.fanouts().push(fanout.clone());
        Ok(BusNode {
            publisher: Arc::new(InProcessPublisher(self.clone())),
            listener: InProcessListener {
                bus: self.clone(),
                fanout,
            },
        })
    }
}

#[async_trait]
impl BusHarness for InProcessBus {
    /// There is no connection to lose: the node's fan-out is told to resync, as a listener
    /// that reconnected would.
    async fn cut(&self, node: &BusNode<InProcessListener>) -> Result<()> {
        node.listener.resync();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! The suite against the in-process bus: a check of the suite itself.

    use super::*;

    crate::bus_conformance_suite!(in_process: async { InProcessBus::default() });

    #[test]
    fn every_case_is_in_the_macro() {
        let source = include_str!("bus.rs");
        let (head, body) = source
            .split_once("macro_rules! __bus_conformance_cases")
            .expect("the case expander is in this file");
        let (_, listed) = head
            .split_once("macro_rules! bus_conformance_suite")
            .expect("the macro comes first");
        let (cases, _) = body.split_once("#[cfg(test)]").expect("then the cases");
        let defined: Vec<&str> = cases
            .lines()
            .filter_map(|l| l.strip_prefix("pub async fn "))
            .filter_map(|l| l.split(['<', '(']).next())
            .collect();
        assert!(!defined.is_empty());
        for case in defined {
            assert!(
                listed.contains(&format!("{case},")),
                "{case} is not listed in bus_conformance_suite!"
            );
        }
    }
}
