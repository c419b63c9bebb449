//! Broadcasting: the trait the service publishes through, and an in-process fan-out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use tokio::sync::{broadcast, watch};

use crate::bus::Fanout;
use crate::channel::Channel;
use crate::error::Result;
use crate::event::{Broadcast, Dispatch};
use crate::id::SocketId;

/// Delivers events to whoever listens on a channel, and notices to the connections they name.
///
/// # Contract
///
/// - The service calls `publish` only after the change the event describes is committed, and
///   calls it in commit order for the events of one operation. Every id in the event is a
///   stored id, so a client can merge broadcasts with pages it fetched.
/// - `publish` must not wait on slow subscribers: queue or drop per subscriber, never block the
///   caller for long.
/// - A subscriber whose connection is `broadcast.except` must not receive it.
/// - A [`Dispatch::DisconnectUser`] goes where events go (to every node, on a bus) and to no
///   channel: whatever holds client connections closes that user's; a broadcaster without
///   connections of its own ([`MemoryBroadcaster`], [`NoBroadcast`]) has nothing to close.
/// - An error is logged by the service and the operation still succeeds: the data is stored,
///   and clients recover what they missed with `messages?after=`. An error publishing a
///   [`Dispatch::DisconnectUser`] is returned to the caller of
///   [`SupportService::disconnect_user`](crate::SupportService::disconnect_user), who may
///   retry.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use async_trait::async_trait;
/// use support_core::{Broadcaster, Dispatch};
///
/// /// Records event names, for a test.
/// #[derive(Default)]
/// struct Recorder(Mutex<Vec<String>>);
///
/// #[async_trait]
/// impl Broadcaster for Recorder {
///     async fn publish(&self, d: Dispatch) -> support_core::Result<()> {
///         let line = match d {
///             Dispatch::Event(b) => format!("{} {}", b.channel(), b.name()),
///             Dispatch::DisconnectUser(user) => format!("disconnect user {user}"),
///             Dispatch::Presence(notice) => format!("presence of node {}", notice.node),
///         };
///         self.0.lock().unwrap().push(line);
///         Ok(())
///     }
/// }
/// ```
#[async_trait]
pub trait Broadcaster: Send + Sync + 'static {
    /// Delivers one event to its channel's subscribers, or one notice to the connections it
    /// names.
    async fn publish(&self, dispatch: Dispatch) -> Result<()>;
}

#[async_trait]
impl<B: Broadcaster + ?Sized> Broadcaster for Arc<B> {
    async fn publish(&self, dispatch: Dispatch) -> Result<()> {
        (**self).publish(dispatch).await
    }
}

/// A broadcaster that drops everything: for embedders without realtime clients.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoBroadcast;

#[async_trait]
impl Broadcaster for NoBroadcast {
    async fn publish(&self, _: Dispatch) -> Result<()> {
        Ok(())
    }
}

/// An in-process fan-out: each channel is a bounded queue per subscriber. Cloning shares the hub.
/// Its subscribers are this process's own ([`MemoryBroadcaster::subscribe`]), such as tests:
/// websocket clients are the websocket transport's `Hub`'s, which
/// `support_transport_ws::SupportChat` wires the service to.
///
/// The service publishes into it as a [`Broadcaster`], and a bus listener feeds it as a
/// [`Fanout`]. A subscriber that falls more than `capacity` events behind loses the oldest and
/// is told so ([`Missed::Lagged`]), so it can catch up from the store instead of silently
/// missing events. Every subscriber is told ([`Missed::Resync`]) when whatever feeds the hub
/// reports a gap of its own ([`Fanout::resync`]). Its subscribers are channels' listeners,
/// not users' connections: a [`Dispatch::DisconnectUser`] has nothing here to close.
#[derive(Debug, Clone)]
pub struct MemoryBroadcaster {
    inner: Arc<HubInner>,
}

#[derive(Debug)]
struct HubInner {
    channels: Mutex<HashMap<Channel, broadcast::Sender<Arc<Broadcast>>>>,
    capacity: usize,
    /// Bumped by [`Fanout::resync`]; each subscription remembers the value it has reported.
    resyncs: watch::Sender<u64>,
}

/// Why [`Subscription::recv`] returned no event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Missed {
    /// This many events were dropped because the subscriber fell behind: catch up from the
    /// store, then keep receiving.
    #[error("fell behind and missed {0} events")]
    Lagged(u64),
    /// Events may have been lost before this point, upstream of the hub: whatever feeds it
    /// said so ([`Fanout::resync`]), such as a bus listener that lost its connection and has
    /// just listened again. How many is unknown. Catch up from the store, then keep
    /// receiving. Reported once per resync (resyncs close together may be reported once).
    #[error("events may have been lost upstream; catch up from the store")]
    Resync,
    /// The hub is gone.
    #[error("the hub is closed")]
    Closed,
}

/// One listener on one channel.
#[derive(Debug)]
pub struct Subscription {
    rx: broadcast::Receiver<Arc<Broadcast>>,
    socket: Option<SocketId>,
    resyncs: watch::Receiver<u64>,
}

impl Subscription {
    /// The next event for this subscriber, skipping those its own socket caused.
    pub async fn recv(&mut self) -> Result<Arc<Broadcast>, Missed> {
        loop {
            if self.take_resync() {
                return Err(Missed::Resync);
            }
            let next = tokio::select! {
                // A gap reported while waiting ends the wait (`changed` marks it seen).
                changed = self.resyncs.changed() => match changed {
                    Ok(()) => return Err(Missed::Resync),
                    // The hub is gone; its channels are closed too, which `rx` reports.
                    Err(_) => self.rx.recv().await,
                },
                next = self.rx.recv() => next,
            };
            match next {
                Ok(b) if b.except.is_some() && b.except == self.socket => continue,
                Ok(b) => return Ok(b),
                Err(broadcast::error::RecvError::Lagged(n)) => return Err(Missed::Lagged(n)),
                Err(broadcast::error::RecvError::Closed) => return Err(Missed::Closed),
            }
        }
    }

    /// The next event if one is already waiting.
    pub fn try_recv(&mut self) -> Option<Result<Arc<Broadcast>, Missed>> {
        if self.take_resync() {
            return Some(Err(Missed::Resync));
        }
        loop {
            match self.rx.try_recv() {
                Ok(b) if b.except.is_some() && b.except == self.socket => continue,
                Ok(b) => return Some(Ok(b)),
                Err(broadcast::error::TryRecvError::Empty) => return None,
                Err(broadcast::error::TryRecvError::Lagged(n)) => {
                    return Some(Err(Missed::Lagged(n)));
                }
                Err(broadcast::error::TryRecvError::Closed) => return Some(Err(Missed::Closed)),
            }
        }
    }

    /// True once per [`Fanout::resync`] since this subscription last looked.
    fn take_resync(&mut self) -> bool {
        if self.resyncs.has_changed().unwrap_or(false) {
            self.resyncs.borrow_and_update();
            true
        } else {
            false
        }
    }
}

impl Default for MemoryBroadcaster {
    fn default() -> Self {
        Self::new(1024)
    }
}

impl MemoryBroadcaster {
    /// A hub that keeps at most `capacity` undelivered events per subscriber.
    pub fn new(capacity: usize) -> Self {
        MemoryBroadcaster {
            inner: Arc::new(HubInner {
                channels: Mutex::new(HashMap::new()),
                capacity: capacity.max(1),
                resyncs: watch::Sender::new(0),
            }),
        }
    }

    /// Starts listening on `channel`. Events caused by `socket` are skipped.
    pub fn subscribe(&self, channel: Channel, socket: Option<SocketId>) -> Subscription {
        let mut channels = self
            .inner
            .channels
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let rx = channels
            .entry(channel)
            .or_insert_with(|| broadcast::channel(self.inner.capacity).0)
            .subscribe();
        Subscription {
            rx,
            socket,
            resyncs: self.inner.resyncs.subscribe(),
        }
    }

    /// Queues an event for its channel's subscribers; a notice for connections has none here.
    fn dispatch(&self, dispatch: Dispatch) {
        match dispatch {
            Dispatch::Event(broadcast) => self.send(broadcast),
            Dispatch::DisconnectUser(_) | Dispatch::Presence(_) => {}
        }
    }

    /// Queues an event for its channel's subscribers.
    fn send(&self, broadcast: Arc<Broadcast>) {
        let channel = broadcast.channel();
        let mut channels = self
            .inner
            .channels
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(tx) = channels.get(&channel) {
            if tx.send(broadcast).is_err() {
                // Nobody listens any more: forget the channel so the map does not grow forever.
                channels.remove(&channel);
            }
        }
    }
}

#[async_trait]
impl Broadcaster for MemoryBroadcaster {
    async fn publish(&self, dispatch: Dispatch) -> Result<()> {
        self.dispatch(dispatch);
        Ok(())
    }
}

impl Fanout for MemoryBroadcaster {
    fn deliver(&self, dispatch: Dispatch) {
        self.dispatch(dispatch);
    }

    /// The next [`Subscription::recv`] of every current subscription returns
    /// [`Missed::Resync`] (once), then the events delivered after it. Subscriptions made
    /// later are not affected.
    fn resync(&self) {
        self.inner.resyncs.send_modify(|n| *n = n.wrapping_add(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, StaffEvent};
    use crate::stats::Stats;

    fn stats_event(open: u64) -> Arc<Broadcast> {
        Arc::new(Broadcast {
            event: Event::Staff(StaffEvent::StatsUpdated(Stats {
                open,
                ..Stats::default()
            })),
            except: None,
        })
    }

    #[tokio::test]
    async fn resync_is_reported_once_then_events_flow_again() {
        let hub = MemoryBroadcaster::new(16);
        let mut sub = hub.subscribe(Channel::Admin, None);
        hub.publish(stats_event(1).into()).await.unwrap();
        hub.resync();
        hub.resync();
        assert_eq!(sub.recv().await.unwrap_err(), Missed::Resync);
        // The event queued before the gap is still delivered: catching up merges by id.
        assert_eq!(sub.recv().await.unwrap(), stats_event(1));
        hub.publish(stats_event(2).into()).await.unwrap();
        assert_eq!(sub.try_recv().unwrap().unwrap(), stats_event(2));
        assert!(sub.try_recv().is_none());

        // A subscription made after the resync has nothing to catch up on.
        let mut late = hub.subscribe(Channel::Admin, None);
        assert!(late.try_recv().is_none());
        hub.resync();
        assert_eq!(late.try_recv().unwrap().unwrap_err(), Missed::Resync);
        assert!(late.try_recv().is_none());
    }

    #[tokio::test]
    async fn a_disconnect_notice_reaches_no_channel() {
        let hub = MemoryBroadcaster::new(16);
        let mut sub = hub.subscribe(Channel::Admin, None);
        hub.publish(Dispatch::DisconnectUser(crate::UserId(7)))
            .await
            .unwrap();
        hub.deliver(Dispatch::DisconnectUser(crate::UserId(7)));
        hub.publish(stats_event(1).into()).await.unwrap();
        assert_eq!(sub.try_recv().unwrap().unwrap(), stats_event(1));
        assert!(sub.try_recv().is_none());
    }

    #[tokio::test]
    async fn resync_wakes_a_waiting_subscriber() {
        let hub = MemoryBroadcaster::new(16);
        let mut sub = hub.subscribe(Channel::Admin, None);
        let waiting = tokio::spawn(async move { sub.recv().await });
        tokio::task::yield_now().await;
        hub.resync();
        let got = tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
            .await
            .expect("recv did not wake")
            .unwrap();
        assert_eq!(got.unwrap_err(), Missed::Resync);
    }
}
