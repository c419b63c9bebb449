//! The bus between nodes: what every bus crate shares.
//!
//! Several server processes (nodes) can serve one deployment, each with its own websocket
//! clients. An event the service publishes on any node must reach the subscribers of every
//! node, so with several nodes the service publishes to a bus instead of to its own hub. A bus
//! crate (`support-store-postgres`'s LISTEN/NOTIFY today) brings two halves:
//!
//! - a [`Broadcaster`](crate::Broadcaster) the service on each node publishes through, which
//!   writes each event to the bus as an [`Envelope`];
//! - a listener that runs on every node, the publishing one included, reads every event off
//!   the bus and hands it to that node's [`Fanout`]: the websocket transport's `Hub` on a
//!   server, a [`MemoryBroadcaster`](crate::MemoryBroadcaster) in tests.
//!
//! Its behaviour is written once as a conformance suite (`testing::bus` behind the `testing`
//! feature, `bus_conformance_suite!`) that every bus runs.

mod wire;

use std::sync::Arc;

pub use wire::Envelope;

use crate::event::Broadcast;

/// This node's fan-out to the subscribers connected to it: what a bus listener feeds.
///
/// On one node the service publishes straight into its fan-out, which is also a
/// [`Broadcaster`](crate::Broadcaster). With several, the service publishes to the bus, and
/// on every node the bus's listener calls [`deliver`](Fanout::deliver) for each event that
/// arrives and [`resync`](Fanout::resync) when it may have missed some.
///
/// # Contract
///
/// - `deliver` hands one event to the subscribers of its channel connected to this node,
///   leaving out the one whose connection is `broadcast.except` (the sender's socket, which
///   may be on any node). Each subscriber gets the events of a channel in the order of the
///   `deliver` calls; the listener makes them one at a time, in the bus's order.
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
/// use support_core::{Broadcast, Fanout};
///
/// /// Records what a listener hands over, for a test.
/// #[derive(Default)]
/// struct Recorder(Mutex<Vec<String>>);
///
/// impl Fanout for Recorder {
///     fn deliver(&self, b: Arc<Broadcast>) {
///         self.0.lock().unwrap().push(format!("{} {}", b.channel(), b.name()));
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
    /// Hands an event that came from the bus to this node's subscribers of its channel.
    fn deliver(&self, broadcast: Arc<Broadcast>);

    /// Events may have been lost before this point: every current subscriber must catch up
    /// from the store.
    fn resync(&self);
}

impl<F: Fanout + ?Sized> Fanout for Arc<F> {
    fn deliver(&self, broadcast: Arc<Broadcast>) {
        (**self).deliver(broadcast);
    }

    fn resync(&self) {
        (**self).resync();
    }
}
