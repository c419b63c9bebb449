//! The bus between nodes: what every bus crate shares.
//!
//! Several server processes (nodes) can serve one deployment, each with its own websocket
//! clients. An event the service publishes on any node must reach the subscribers of every
//! node, so with several nodes the service publishes to a bus instead of to its own hub. A bus
//! crate (`support-store-postgres`'s LISTEN/NOTIFY today) brings two halves:
//!
//! - a [`Broadcaster`] the service on each node publishes through, which
//!   writes each event to the bus as an [`Envelope`];
//! - a listener that runs on every node, the publishing one included, reads every event off
//!   the bus and hands it to that node's [`Fanout`]: the websocket transport's `Hub` on a
//!   server, a [`MemoryBroadcaster`](crate::MemoryBroadcaster) in tests.
//!
//! A bus crate offers both through one [`Bus`]: a node [`join`](Bus::join)s it with its
//! fan-out and gets back the broadcaster to give its service and the listener to keep while
//! it serves. The websocket transport's `SupportChat` builder takes a `Bus` and does that
//! wiring itself, so a node cannot end up publishing to its own hub alone.
//!
//! Its behaviour is written once as a conformance suite (`testing::bus` behind the `testing`
//! feature, `bus_conformance_suite!`) that every bus runs.

mod wire;

use std::sync::Arc;

use async_trait::async_trait;

pub use wire::Envelope;

use crate::broadcast::Broadcaster;
use crate::error::Result;
use crate::event::Dispatch;

/// A bus between nodes, as one node joins it: given the node's [`Fanout`], it starts a
/// listener feeding it and hands back the [`Broadcaster`] the node's service publishes
/// through. `support_store_postgres::PgBus` is LISTEN/NOTIFY's; a server rarely calls
/// `join` itself, the websocket transport's `SupportChat::builder(…).bus(…)` does.
///
/// # Contract
///
/// - `join` returns once the listener is listening: every event published (through any
///   node) after it returns reaches `fanout`, including those this node publishes. It fails
///   (typically [`Error::Unavailable`](crate::Error::Unavailable)) if the bus cannot be
///   reached; nothing is left running then.
/// - The [`BusNode::publisher`] writes each event to the bus as an [`Envelope`] and delivers
///   nothing locally: this node's subscribers get it from this node's listener, like every
///   other node's, so no node delivers an event twice and every node delivers the events of
///   a channel in the bus's one order. A [`Dispatch::DisconnectUser`] or a
///   [`Dispatch::Presence`] travels the same way (an [`Envelope`] has a form for each), so it
///   reaches every node's fan-out once, the notices of one publisher in the order published.
/// - The [`BusNode::listener`] feeds `fanout` as [`Fanout`]'s contract says, reconnects by
///   itself when its connection drops, and then calls [`Fanout::resync`]. It runs until it
///   is [`stop`](BusListener::stop)ped or dropped.
/// - `join` may be called once per fan-out on each node; a bus value may be joined by
///   several fan-outs (each gets a listener of its own).
///
/// The conformance suite (`testing::bus`, feature `testing`) checks all of this; its
/// `InProcessBus` is the smallest bus that passes it.
#[async_trait]
pub trait Bus: Send + Sync + 'static {
    /// What keeps this node's listener running.
    type Listener: BusListener;

    /// Starts a listener feeding `fanout`; returns it with the broadcaster to publish through.
    async fn join(&self, fanout: Arc<dyn Fanout>) -> Result<BusNode<Self::Listener>>;
}

/// One node's end of a [`Bus`]: what it publishes through and what keeps it listening.
pub struct BusNode<L> {
    /// What the service on this node publishes through.
    pub publisher: Arc<dyn Broadcaster>,
    /// Keeps the node's listener running: dropping it stops the listener, and
    /// [`BusListener::stop`] stops it and waits until it has.
    pub listener: L,
}

impl<L> std::fmt::Debug for BusNode<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BusNode").finish_non_exhaustive()
    }
}

/// A bus listener that is running: dropping it stops it.
///
/// # Contract
///
/// `stop` stops listening and returns once the listener will not call its fan-out again.
/// Dropping the value stops it too, without waiting.
#[async_trait]
pub trait BusListener: Send + Sync + 'static {
    /// Stops listening and waits until the listener has stopped.
    async fn stop(self);
}

/// This node's fan-out to the subscribers connected to it: what a bus listener feeds.
///
/// On one node the service publishes straight into its fan-out, which is also a
/// [`Broadcaster`]. With several, the service publishes to the bus, and
/// on every node the bus's listener calls [`deliver`](Fanout::deliver) for each event that
/// arrives and [`resync`](Fanout::resync) when it may have missed some.
///
/// # Contract
///
/// - `deliver` hands one event ([`Dispatch::Event`]) to the subscribers of its channel
///   connected to this node, leaving out the one whose connection is `broadcast.except` (the
///   sender's socket, which may be on any node). Each subscriber gets the events of a channel
///   in the order of the `deliver` calls; the listener makes them one at a time, in the bus's
///   order.
/// - A [`Dispatch::DisconnectUser`] closes every connection of that user connected to this
///   node (the websocket `Hub` closes them with 4009, and they leave their channels as a
///   normal close does) and goes to no channel. A fan-out whose subscribers are not users'
///   connections ([`MemoryBroadcaster`](crate::MemoryBroadcaster)) has nothing to close.
/// - A [`Dispatch::Presence`] tells this node another node's presence members (the hub keeps
///   them, and announces the members that are new or gone cluster-wide to its own presence
///   subscribers); it goes to no channel. One from this node itself is ignored. A fan-out
///   without presence channels ignores it.
/// - `deliver` must not wait on subscribers: queue or drop per subscriber (and tell one that
///   fell behind, so it catches up), never block the listener, which holds up every later
///   event while it waits.
/// - `resync` says that events may have been lost before this point: the listener's
///   connection dropped and has just been re-established, or an event could not be read.
///   Every subscriber connected at that moment must be told, so it catches up from the store
///   (`messages?after=`) as after `subscription_succeeded`, and then receives what is
///   delivered after the call as usual. Subscribers that join later are not affected. It may
///   be called any number of times; calls close together may reach a subscriber as one.
/// - Neither fails: there is nobody to report to, and a subscriber that cannot be reached is
///   the fan-out's own business (it drops or disconnects it).
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use support_core::{Dispatch, Fanout};
///
/// /// Records what a listener hands over, for a test.
/// #[derive(Default)]
/// struct Recorder(Mutex<Vec<String>>);
///
/// impl Fanout for Recorder {
///     fn deliver(&self, d: Dispatch) {
///         let line = match d {
///             Dispatch::Event(b) => format!("{} {}", b.channel(), b.name()),
///             Dispatch::DisconnectUser(user) => format!("disconnect user {user}"),
///             Dispatch::Presence(notice) => format!("presence of node {}", notice.node),
///         };
///         self.0.lock().unwrap().push(line);
///     }
///     fn resync(&self) {
///         self.0.lock().unwrap().push("resync".to_owned());
///     }
/// }
///
/// let recorder = Arc::new(Recorder::default());
/// let fanout: Arc<dyn Fanout> = recorder.clone();
/// fanout.resync();
/// assert_eq!(*recorder.0.lock().unwrap(), ["resync"]);
/// ```
pub trait Fanout: Send + Sync + 'static {
    /// Hands an event that came from the bus to this node's subscribers of its channel, or
    /// closes the connections a notice names.
    fn deliver(&self, dispatch: Dispatch);

    /// Events may have been lost before this point: every current subscriber must catch up
    /// from the store.
    fn resync(&self);
}

impl<F: Fanout + ?Sized> Fanout for Arc<F> {
    fn deliver(&self, dispatch: Dispatch) {
        (**self).deliver(dispatch);
    }

    fn resync(&self) {
        (**self).resync();
    }
}
