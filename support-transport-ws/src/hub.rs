//! The fan-out: which connection listens on which channel, presence members, and delivery.
//!
//! An event is serialized once; every subscriber's queue gets a cheap clone of the same bytes.
//! Queues are bounded: a subscriber that stops reading is cut off (its connection closes with
//! 4100) instead of making the server hold an ever-growing backlog for it.
//!
//! Beside the channels, the hub knows which connections are which user's (those with a
//! subscription signed for a user), so that [`Hub::disconnect_user`] closes them with 4009 when
//! the user's access is revoked. Delivery never looks at that index.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use axum::extract::ws::Utf8Bytes;
use dashmap::DashMap;
use serde_json::Value;
use support_core::{Broadcaster, Dispatch, PresenceChannel, PresenceEntry, PresenceNotice};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::config::AppConfig;
use crate::metrics::ws::{Source, Stamp, SubscriptionKind, WsMetrics};
use crate::presence::{Affected, Cluster, Local, Members};
use crate::protocol;
use crate::webhooks::Webhooks;

/// One queued frame: its text and, for an event, when the hub received it (what the
/// delivery latency is measured from).
#[derive(Debug)]
pub(crate) struct Frame {
    pub(crate) text: Utf8Bytes,
    pub(crate) published: Option<Stamp>,
}

/// Where a connection's outgoing frames go: a queue bounded in frames and in bytes.
#[derive(Debug, Clone)]
pub(crate) struct Outbox {
    tx: mpsc::Sender<Frame>,
    /// Bytes queued and not yet taken by the writer, and how many may be.
    budget: Arc<Budget>,
    /// Cancelled when the queue overflows: the connection closes itself.
    overflow: CancellationToken,
}

#[derive(Debug)]
struct Budget {
    queued: AtomicUsize,
    max: usize,
}

/// The receiving end of an [`Outbox`]: what the connection's writer takes frames from.
#[derive(Debug)]
pub(crate) struct Queue {
    rx: mpsc::Receiver<Frame>,
    budget: Arc<Budget>,
}

impl Queue {
    /// The next frame; `None` once every [`Outbox`] is gone.
    pub(crate) async fn recv(&mut self) -> Option<Frame> {
        let frame = self.rx.recv().await?;
        self.budget
            .queued
            .fetch_sub(frame.text.len(), Ordering::AcqRel);
        Some(frame)
    }

    /// The next frame if one is waiting.
    pub(crate) fn try_recv(&mut self) -> Option<Frame> {
        let frame = self.rx.try_recv().ok()?;
        self.budget
            .queued
            .fetch_sub(frame.text.len(), Ordering::AcqRel);
        Some(frame)
    }
}

impl Outbox {
    /// A queue of at most `frames` frames and `bytes` bytes (a larger frame still fits alone).
    pub(crate) fn new(frames: usize, bytes: usize) -> (Self, Queue, CancellationToken) {
        let (tx, rx) = mpsc::channel(frames.max(1));
        let budget = Arc::new(Budget {
            queued: AtomicUsize::new(0),
            max: bytes,
        });
        let overflow = CancellationToken::new();
        let outbox = Outbox {
            tx,
            budget: budget.clone(),
            overflow: overflow.clone(),
        };
        (outbox, Queue { rx, budget }, overflow)
    }

    /// Queues a frame; a full queue marks the connection for closing.
    pub(crate) fn push(&self, frame: Utf8Bytes) {
        self.push_frame(Frame {
            text: frame,
            published: None,
        });
    }

    /// Queues an event's frame, which the hub received at `published`.
    pub(crate) fn push_event(&self, frame: Utf8Bytes, published: Stamp) {
        self.push_frame(Frame {
            text: frame,
            published: Some(published),
        });
    }

    fn push_frame(&self, frame: Frame) {
        let len = frame.text.len();
        let before = self.budget.queued.fetch_add(len, Ordering::AcqRel);
        if before > 0 && before + len > self.budget.max {
            self.budget.queued.fetch_sub(len, Ordering::AcqRel);
            self.overflow.cancel();
            return;
        }
        if let Err(e) = self.tx.try_send(frame) {
            self.budget.queued.fetch_sub(len, Ordering::AcqRel);
            if let mpsc::error::TrySendError::Full(_) = e {
                self.overflow.cancel();
            }
        }
    }
}

/// One presence member: their info, and how many of their connections are in the channel.
#[derive(Debug, Clone)]
struct Member {
    info: Value,
    connections: usize,
}

#[derive(Debug)]
struct Subscriber {
    socket_id: Arc<str>,
    outbox: Outbox,
    user_id: Option<Arc<str>>,
}

#[derive(Debug, Default)]
struct ChannelState {
    subscribers: Vec<Subscriber>,
    /// This node's presence members: users with a connection here in the channel.
    members: HashMap<Arc<str>, Member>,
    /// The members the subscribers here were told of: this node's and, on a bus, every other
    /// node's (what `subscription_succeeded` lists and the HTTP API counts). Without a bus,
    /// the same users as `members`.
    announced: HashMap<Arc<str>, Value>,
}

/// A presence member joining: who, and what others see of them.
#[derive(Debug, Clone, PartialEq)]
pub struct PresenceMember {
    /// The user's id, as a string (Pusher's wire form).
    pub user_id: String,
    /// What other members are shown.
    pub user_info: Value,
}

/// Why a subscription was refused by the hub itself (the signature was already checked).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoinError {
    /// The presence channel is full.
    #[error("presence channel is full ({0} members)")]
    PresenceFull(usize),
}

/// How many listen on a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChannelInfo {
    /// Connections subscribed.
    pub subscription_count: usize,
    /// Distinct presence users (0 for other channels).
    pub user_count: usize,
}

/// The realtime hub of one app. Cloning shares it. It implements
/// [`support_core::Broadcaster`], so a `SupportService` on one node publishes straight into
/// it, and [`support_core::Fanout`], so with several nodes a bus listener (such as
/// `support_store_postgres::PgListener`) feeds it what any node publishes. A resync from the
/// bus closes every connection with 4200 ([`Hub::reconnect_all`]): clients reconnect and
/// catch up from the store. A [`Dispatch::DisconnectUser`](support_core::Dispatch) notice,
/// published on this node or arriving from the bus, closes that user's connections with 4009
/// ([`Hub::disconnect_user`]).
///
/// [`SupportChat`](crate::SupportChat) creates one and wires the service and the routers to
/// it; build one yourself only for wiring of your own, and then give the service this hub
/// (or a bus whose listener feeds it) as its broadcaster, or its clients hear nothing.
#[derive(Debug, Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    app: AppConfig,
    webhooks: Option<Webhooks>,
    channels: DashMap<Arc<str>, ChannelState>,
    connections: AtomicUsize,
    shutdown: CancellationToken,
    /// Cancelled (and replaced) by `reconnect_all`: connections open at that moment close with
    /// 4200, later ones hold the new token.
    reconnect: std::sync::Mutex<CancellationToken>,
    /// User id → the connections signed in as that user (socket id, the token that closes the
    /// connection with 4009). Written on a user's first subscription per connection and on
    /// close, read by `disconnect_user`; delivery never touches it.
    users: DashMap<Arc<str>, Vec<(Arc<str>, CancellationToken)>>,
    /// This node's id among the nodes of a bus (random, drawn at start).
    node: Arc<str>,
    /// Presence across nodes, once [`Hub::join_cluster`] was called.
    cluster: OnceLock<Arc<Cluster>>,
    /// The handles of what is counted on every connection, event and frame.
    metrics: WsMetrics,
}

impl Hub {
    /// A hub for one app. With webhooks configured, call it inside a tokio runtime: it starts
    /// the task that sends them.
    pub fn new(app: AppConfig) -> Self {
        let webhooks = app
            .webhooks
            .clone()
            .and_then(|w| Webhooks::start(w, app.key.clone(), app.secret.clone()));
        Hub {
            inner: Arc::new(Inner {
                webhooks,
                app,
                channels: DashMap::new(),
                connections: AtomicUsize::new(0),
                shutdown: CancellationToken::new(),
                reconnect: std::sync::Mutex::new(CancellationToken::new()),
                users: DashMap::new(),
                node: Arc::from(format!(
                    "{:016x}{:016x}",
                    fastrand::u64(..),
                    fastrand::u64(..)
                )),
                cluster: OnceLock::new(),
                metrics: WsMetrics::new(),
            }),
        }
    }

    /// The app it serves.
    pub fn app(&self) -> &AppConfig {
        &self.inner.app
    }

    /// This hub's id among the nodes of a bus: random, drawn when it was created. The
    /// presence notices it publishes carry it.
    pub fn node_id(&self) -> &str {
        &self.inner.node
    }

    /// Makes presence cluster-wide: from now on this hub publishes its presence changes, and
    /// every [`Limits::presence_heartbeat`](crate::Limits::presence_heartbeat) a snapshot of
    /// its members, through `publisher` (the bus's broadcaster, whose listener feeds this
    /// hub), and takes in the other nodes' notices ([`Dispatch::Presence`]) as they arrive.
    /// A user is then a member of a presence channel if any of their connections on any node
    /// is in it: `member_added` goes out once, when their first connection anywhere joins,
    /// and `member_removed` once, when their last one anywhere leaves or its node is not
    /// heard from for [`Limits::presence_expiry`](crate::Limits::presence_expiry).
    /// `subscription_succeeded`, [`Hub::presence_users`] and [`Hub::channel_info`]'s
    /// `user_count` are cluster-wide; `max_presence_members` counts the users this node
    /// knows of (other nodes' included, so two nodes admitting at the same moment may go one
    /// over).
    ///
    /// Webhooks fire once per cluster-wide change, from the node whose own connection caused
    /// it; for the members of a node that expired, from the surviving node with the lowest
    /// id. Without a call (one node) presence stays this node's, as before.
    ///
    /// [`SupportChat`](crate::SupportChat) calls it when it joins a bus. Call it inside a
    /// tokio runtime; it starts the task that publishes, which ends with the hub or at
    /// [`Hub::shutdown`] (after an empty snapshot, so this node's members leave everywhere
    /// at once). Returns `false`, doing nothing, if it was called before.
    pub fn join_cluster(&self, publisher: Arc<dyn Broadcaster>) -> bool {
        let (cluster, rx) = Cluster::new(self.inner.node.clone());
        let cluster = Arc::new(cluster);
        if self.inner.cluster.set(cluster.clone()).is_err() {
            return false;
        }
        let weak = Arc::downgrade(&self.inner);
        let upgrade = move || weak.upgrade().map(|inner| Hub { inner });
        tokio::spawn(crate::presence::run(
            upgrade,
            Arc::downgrade(&cluster),
            rx,
            publisher,
            self.inner.app.limits.presence_heartbeat,
            self.inner.shutdown.clone(),
        ));
        true
    }

    fn cluster(&self) -> Option<&Arc<Cluster>> {
        self.inner.cluster.get()
    }

    /// Asks every connection to close with 4200, so clients reconnect at once (to this server
    /// after a restart, or to another node). Call it when shutting down.
    pub fn shutdown(&self) {
        self.inner.shutdown.cancel();
    }

    /// Asks every open connection to reconnect at once (4200), without stopping the server.
    /// Clients resubscribe and, on `subscription_succeeded`, catch up from the store: the way
    /// to recover after events may have been lost (e.g. a multi-node bus reconnected).
    pub fn reconnect_all(&self) {
        let mut token = self
            .inner
            .reconnect
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        token.cancel();
        *token = CancellationToken::new();
    }

    pub(crate) fn shutdown_token(&self) -> &CancellationToken {
        &self.inner.shutdown
    }

    /// The token that [`Hub::reconnect_all`] cancels next.
    pub(crate) fn reconnect_token(&self) -> CancellationToken {
        self.inner
            .reconnect
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Closes every connection of this node signed in as `user_id` (Pusher's wire form of the
    /// id, as in `channel_data`) with 4009, "unauthorized", which tells clients not to
    /// reconnect unchanged. Each closes through its own task and leaves its channels as a
    /// normal close does: presence members leave (once, with their last connection), and
    /// other users' connections are untouched. Returns how many connections were asked to
    /// close.
    ///
    /// A connection is the user's once one of its subscriptions was signed with
    /// `channel_data` naming the user: every presence subscription, and the private ones
    /// allowed as a user ([`Decision::allow_as`](crate::Decision::allow_as)). Connections
    /// subscribed later are not affected: the caller's identity must refuse the user from now
    /// on. On several nodes, publish [`Dispatch::DisconnectUser`](support_core::Dispatch)
    /// instead (`SupportService::disconnect_user`), which reaches every node's hub.
    pub fn disconnect_user(&self, user_id: &str) -> usize {
        let Some((_, connections)) = self.inner.users.remove(user_id) else {
            return 0;
        };
        for (_, close) in &connections {
            close.cancel();
        }
        connections.len()
    }

    /// Records that the connection `socket_id` is signed in as `user_id`:
    /// [`Hub::disconnect_user`] cancels `close`.
    pub(crate) fn add_user_connection(
        &self,
        user_id: &Arc<str>,
        socket_id: &Arc<str>,
        close: &CancellationToken,
    ) {
        self.inner
            .users
            .entry(user_id.clone())
            .or_default()
            .push((socket_id.clone(), close.clone()));
    }

    /// Forgets that the connection `socket_id` is signed in as `user_id` (it closed).
    pub(crate) fn remove_user_connection(&self, user_id: &str, socket_id: &str) {
        let empty = {
            let Some(mut connections) = self.inner.users.get_mut(user_id) else {
                return;
            };
            connections.retain(|(s, _)| &**s != socket_id);
            connections.is_empty()
        };
        if empty {
            self.inner
                .users
                .remove_if(user_id, |_, connections| connections.is_empty());
        }
    }

    /// Open connections now.
    pub fn connection_count(&self) -> usize {
        self.inner.connections.load(Ordering::Relaxed)
    }

    /// Counts a new connection; `false` (and nothing counted) if the server is full.
    pub(crate) fn admit(&self) -> bool {
        let max = self.inner.app.limits.max_connections;
        let admitted = self
            .inner
            .connections
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .is_ok();
        if admitted {
            self.inner.metrics.connections.increment(1.0);
        }
        admitted
    }

    pub(crate) fn release(&self) {
        self.inner.connections.fetch_sub(1, Ordering::AcqRel);
        self.inner.metrics.connections.decrement(1.0);
    }

    /// The handles of the websocket metrics.
    pub(crate) fn metrics(&self) -> &WsMetrics {
        &self.inner.metrics
    }

    /// Adds a connection to a channel and returns the `subscription_succeeded` data. Presence
    /// members are announced to the others once per user, on their first connection.
    pub(crate) fn subscribe(
        &self,
        channel: &str,
        socket_id: &Arc<str>,
        outbox: &Outbox,
        member: Option<PresenceMember>,
    ) -> Result<String, JoinError> {
        let name: Arc<str> = Arc::from(channel);
        let mut state = self.inner.channels.entry(name.clone()).or_default();
        let was_empty = state.subscribers.is_empty();
        if state.subscribers.iter().any(|s| &s.socket_id == socket_id) {
            // A repeated subscribe on the same connection: answer again, change nothing.
            return Ok(presence_data(&state, member.is_some()));
        }
        if let (true, true, Some(cluster)) = (was_empty, member.is_some(), self.cluster()) {
            // The first subscriber here: the members on the other nodes, as they are now.
            state.announced = cluster.remote_members(channel);
        }
        let user_id = member
            .as_ref()
            .map(|m| Arc::<str>::from(m.user_id.as_str()));
        if let (Some(m), Some(uid)) = (&member, &user_id) {
            match state.members.get_mut(uid) {
                Some(existing) => {
                    existing.connections += 1;
                    existing.info = m.user_info.clone();
                }
                None => {
                    let known = state.announced.contains_key(uid);
                    let max = self.inner.app.limits.max_presence_members;
                    if !known && state.announced.len() >= max {
                        return Err(JoinError::PresenceFull(max));
                    }
                    state.members.insert(
                        uid.clone(),
                        Member {
                            info: m.user_info.clone(),
                            connections: 1,
                        },
                    );
                    if let Some(cluster) = self.cluster() {
                        cluster.tell(Local::Joined {
                            channel: name.clone(),
                            user_id: uid.clone(),
                            info: m.user_info.clone(),
                        });
                    }
                    if !known {
                        // New cluster-wide (on one node: new here).
                        let frame =
                            Utf8Bytes::from(protocol::member_added(channel, uid, &m.user_info));
                        for s in &state.subscribers {
                            s.outbox.push(frame.clone());
                        }
                        if let Some(w) = &self.inner.webhooks {
                            w.member_added(channel, uid);
                        }
                    }
                    state.announced.insert(uid.clone(), m.user_info.clone());
                }
            }
        }
        state.subscribers.push(Subscriber {
            socket_id: socket_id.clone(),
            outbox: outbox.clone(),
            user_id,
        });
        self.inner
            .metrics
            .subscriptions(SubscriptionKind::of(channel))
            .increment(1.0);
        if was_empty {
            if let Some(w) = &self.inner.webhooks {
                w.channel_occupied(channel);
            }
        }
        Ok(presence_data(&state, member.is_some()))
    }

    /// Removes a connection from a channel; the last connection of a presence user announces
    /// their leaving. An empty channel is forgotten.
    pub(crate) fn unsubscribe(&self, channel: &str, socket_id: &str) {
        let empty = {
            let Some(mut state) = self.inner.channels.get_mut(channel) else {
                return;
            };
            let Some(i) = state
                .subscribers
                .iter()
                .position(|s| &*s.socket_id == socket_id)
            else {
                return;
            };
            let gone = state.subscribers.swap_remove(i);
            self.inner
                .metrics
                .subscriptions(SubscriptionKind::of(channel))
                .decrement(1.0);
            if let Some(uid) = gone.user_id {
                let last = match state.members.get_mut(&uid) {
                    Some(m) => {
                        m.connections -= 1;
                        m.connections == 0
                    }
                    None => false,
                };
                if last {
                    state.members.remove(&uid);
                    let elsewhere = self.cluster().and_then(|cluster| {
                        cluster.tell(Local::Left {
                            channel: Arc::from(channel),
                            user_id: uid.clone(),
                        });
                        cluster.remote_member(channel, &uid)
                    });
                    match elsewhere {
                        // Still connected on another node: still a member.
                        Some(info) => {
                            state.announced.insert(uid, info);
                        }
                        None => {
                            state.announced.remove(&uid);
                            if let Some(w) = &self.inner.webhooks {
                                w.member_removed(channel, &uid);
                            }
                            let frame = Utf8Bytes::from(protocol::member_removed(channel, &uid));
                            for s in &state.subscribers {
                                s.outbox.push(frame.clone());
                            }
                        }
                    }
                }
            }
            state.subscribers.is_empty()
        };
        let removed = empty
            && self
                .inner
                .channels
                .remove_if(channel, |_, s| s.subscribers.is_empty())
                .is_some();
        if let (true, Some(w)) = (removed, &self.inner.webhooks) {
            w.channel_vacated(channel);
        }
    }

    /// Triggers an event on a channel, as Pusher's HTTP API does: delivers it to the channel's
    /// subscribers but `except`; `data` is JSON text. Returns how many connections it was
    /// queued for.
    pub fn trigger(&self, channel: &str, event: &str, data: &str, except: Option<&str>) -> usize {
        self.fan_out(channel, event, data, except, Source::HttpApi)
    }

    /// Delivers an event to the channel's subscribers but `except`, counted as from `source`.
    fn fan_out(
        &self,
        channel: &str,
        event: &str,
        data: &str,
        except: Option<&str>,
        source: Source,
    ) -> usize {
        let published = Stamp::now();
        self.inner.metrics.published(source);
        let Some(state) = self.inner.channels.get(channel) else {
            return 0;
        };
        let frame = Utf8Bytes::from(protocol::event(channel, event, data, None));
        deliver(&state, &frame, except, published)
    }

    /// Delivers a client event from socket `sender`, signed in as `user_id`, to the channel's
    /// other subscribers. The frame carries that `user_id` (as Pusher's presence channels do,
    /// here on private channels too): receivers know who sent it from the server, never from
    /// the data.
    pub(crate) fn client_event(
        &self,
        channel: &str,
        event: &str,
        data: &str,
        sender: &str,
        user_id: &str,
    ) {
        let published = Stamp::now();
        self.inner.metrics.published(Source::Client);
        let Some(state) = self.inner.channels.get(channel) else {
            return;
        };
        let frame = Utf8Bytes::from(protocol::event(channel, event, data, Some(user_id)));
        deliver(&state, &frame, Some(sender), published);
        if let Some(w) = &self.inner.webhooks {
            w.client_event(channel, event, data, sender, Some(user_id));
        }
    }

    /// Subscription and user counts of a channel; zero if nobody listens. The subscriptions
    /// are this node's; the users of a presence channel are every node's when the hub
    /// [joined a cluster](Hub::join_cluster).
    pub fn channel_info(&self, channel: &str) -> ChannelInfo {
        match self.inner.channels.get(channel) {
            // (An entry without subscribers is a refused first join's, about to go.)
            Some(s) if !s.subscribers.is_empty() => ChannelInfo {
                subscription_count: s.subscribers.len(),
                user_count: s.announced.len(),
            },
            _ => ChannelInfo {
                subscription_count: 0,
                user_count: self
                    .cluster()
                    .map_or(0, |c| c.remote_members(channel).len()),
            },
        }
    }

    /// Every occupied channel whose name starts with `prefix`, with its counts (as
    /// [`Hub::channel_info`]: presence channels with members on other nodes only are listed
    /// too, with no subscription here).
    pub fn channels(&self, prefix: &str) -> Vec<(String, ChannelInfo)> {
        let mut out: Vec<(String, ChannelInfo)> = self
            .inner
            .channels
            .iter()
            .filter(|e| e.key().starts_with(prefix) && !e.value().subscribers.is_empty())
            .map(|e| {
                let info = ChannelInfo {
                    subscription_count: e.subscribers.len(),
                    user_count: e.announced.len(),
                };
                (e.key().to_string(), info)
            })
            .collect();
        if let Some(cluster) = self.cluster() {
            for (channel, users) in cluster.remote_channels(prefix) {
                if !out.iter().any(|(c, _)| **c == *channel) {
                    let info = ChannelInfo {
                        subscription_count: 0,
                        user_count: users.len(),
                    };
                    out.push((channel.to_string(), info));
                }
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// The user ids present in a presence channel: on every node, once the hub
    /// [joined a cluster](Hub::join_cluster).
    pub fn presence_users(&self, channel: &str) -> Vec<String> {
        let mut users: Vec<String> = match self.inner.channels.get(channel) {
            Some(s) if !s.subscribers.is_empty() => {
                s.announced.keys().map(|k| k.to_string()).collect()
            }
            _ => self.cluster().map_or_else(Vec::new, |c| {
                c.remote_members(channel)
                    .keys()
                    .map(|k| k.to_string())
                    .collect()
            }),
        };
        users.sort();
        users
    }
}

fn deliver(
    state: &ChannelState,
    frame: &Utf8Bytes,
    except: Option<&str>,
    published: Stamp,
) -> usize {
    let mut n = 0;
    for s in &state.subscribers {
        if except != Some(&*s.socket_id) {
            s.outbox.push_event(frame.clone(), published);
            n += 1;
        }
    }
    n
}

/// The `subscription_succeeded` data: `{}` or the presence member list.
fn presence_data(state: &ChannelState, presence: bool) -> String {
    if !presence {
        return "{}".to_owned();
    }
    let ids: Vec<&str> = state.announced.keys().map(|k| &**k).collect();
    let hash: serde_json::Map<String, Value> = state
        .announced
        .iter()
        .map(|(k, info)| (k.to_string(), info.clone()))
        .collect();
    serde_json::json!({ "presence": { "ids": ids, "hash": hash, "count": ids.len() } }).to_string()
}

impl Hub {
    /// Delivers a core event to its channel's subscribers but its `except` socket, or closes
    /// the connections a notice names.
    fn dispatch(&self, d: &Dispatch) {
        match d {
            Dispatch::Event(b) => self.send(b),
            Dispatch::DisconnectUser(user) => {
                let closed = self.disconnect_user(&user.to_string());
                tracing::info!(user = %user, closed, "closing a revoked user's connections");
            }
            Dispatch::Presence(notice) => self.presence_notice(notice),
        }
    }

    /// Takes in another node's presence notice (ignored without a cluster, or from this
    /// node) and tells this node's subscribers what changed cluster-wide.
    fn presence_notice(&self, notice: &PresenceNotice) {
        let Some(cluster) = self.cluster() else {
            return;
        };
        let affected = cluster.apply(notice, &self.inner.app.limits);
        self.reconcile(cluster, affected, false);
    }

    /// Brings what this node's subscribers were told of each affected user in line with the
    /// members now (here or on another node): `member_added` for one new cluster-wide,
    /// `member_removed` for one gone. With `hooks` (the members of an expired node, on the
    /// elected node) a member gone cluster-wide is reported to the webhooks too, whether or
    /// not anyone here listens.
    fn reconcile(&self, cluster: &Cluster, affected: Affected, hooks: bool) {
        let hooks = if hooks {
            self.inner.webhooks.as_ref()
        } else {
            None
        };
        for (channel, users) in affected {
            let Some(mut state) = self.inner.channels.get_mut(&*channel) else {
                for uid in users.iter().filter(|_| hooks.is_some()) {
                    if cluster.remote_member(&channel, uid).is_none() {
                        hooks.inspect(|w| w.member_removed(&channel, uid));
                    }
                }
                continue;
            };
            if state.subscribers.is_empty() {
                continue;
            }
            let state = &mut *state;
            for uid in users {
                let now = state
                    .members
                    .get(&uid)
                    .map(|m| m.info.clone())
                    .or_else(|| cluster.remote_member(&channel, &uid));
                let frame = match (now, state.announced.contains_key(&uid)) {
                    (Some(info), false) => {
                        let frame = protocol::member_added(&channel, &uid, &info);
                        state.announced.insert(uid, info);
                        frame
                    }
                    (Some(info), true) => {
                        state.announced.insert(uid, info);
                        continue;
                    }
                    (None, true) => {
                        state.announced.remove(&uid);
                        hooks.inspect(|w| w.member_removed(&channel, &uid));
                        protocol::member_removed(&channel, &uid)
                    }
                    (None, false) => continue,
                };
                let frame = Utf8Bytes::from(frame);
                for s in &state.subscribers {
                    s.outbox.push(frame.clone());
                }
            }
        }
    }
}

impl Members for Hub {
    fn local_snapshot(&self) -> Vec<PresenceChannel> {
        self.inner
            .channels
            .iter()
            .filter(|e| !e.value().members.is_empty())
            .map(|e| PresenceChannel {
                channel: e.key().to_string(),
                members: e
                    .value()
                    .members
                    .iter()
                    .map(|(uid, m)| PresenceEntry {
                        user_id: uid.to_string(),
                        user_info: m.info.clone(),
                    })
                    .collect(),
            })
            .collect()
    }

    fn sweep(&self) {
        let Some(cluster) = self.cluster() else {
            return;
        };
        let gone = cluster.expire(self.inner.app.limits.presence_expiry);
        if !gone.is_empty() {
            let elected = cluster.elected();
            self.reconcile(cluster, gone, elected);
        }
    }
}

impl Hub {
    /// Delivers a core event to its channel's subscribers but its `except` socket.
    fn send(&self, b: &support_core::Broadcast) {
        let channel = b.channel().to_string();
        let data = b.payload().to_string();
        self.fan_out(
            &channel,
            b.name(),
            &data,
            b.except.as_ref().map(|s| s.as_str()),
            Source::Service(b.name()),
        );
    }
}

#[async_trait]
impl support_core::Broadcaster for Hub {
    async fn publish(&self, d: Dispatch) -> support_core::Result<()> {
        self.dispatch(&d);
        Ok(())
    }
}

impl support_core::Fanout for Hub {
    fn deliver(&self, d: Dispatch) {
        self.dispatch(&d);
    }

    /// Closes every open connection with 4200 ([`Hub::reconnect_all`]): clients reconnect,
    /// resubscribe and, on `subscription_succeeded`, catch up from the store.
    fn resync(&self) {
        self.reconnect_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::channel_auth;

    /// A connection signed in as a user is in the index until it closes, and the index
    /// forgets a user with no connection left: it does not grow with users who came and went.
    #[test]
    fn the_user_index_forgets_closed_connections() {
        let hub = Hub::new(AppConfig::new("app", "key", "secret"));
        let data = r#"{"user_id":"101","user_info":{"name":"Alice"}}"#;
        let auth = channel_auth("key", "secret", "1.1", "presence-room", Some(data));
        let frame = serde_json::json!({
            "event": "pusher:subscribe",
            "data": {"channel": "presence-room", "auth": auth, "channel_data": data},
        })
        .to_string();
        let sent = crate::connection::dispatch_frames(&hub, "1.1", &[&frame]);
        assert!(
            sent[0].contains("subscription_succeeded"),
            "subscribed: {sent:?}"
        );
        assert!(
            hub.inner.users.is_empty(),
            "the closed connection is forgotten"
        );
        assert_eq!(hub.disconnect_user("101"), 0);

        let (a, b): (Arc<str>, Arc<str>) = (Arc::from("1.1"), Arc::from("2.2"));
        let user: Arc<str> = Arc::from("101");
        let (close_a, close_b) = (CancellationToken::new(), CancellationToken::new());
        hub.add_user_connection(&user, &a, &close_a);
        hub.add_user_connection(&user, &b, &close_b);
        hub.remove_user_connection("101", "1.1");
        assert_eq!(hub.disconnect_user("102"), 0);
        assert_eq!(hub.disconnect_user("101"), 1);
        assert!(
            !close_a.is_cancelled(),
            "a closed connection is not asked again"
        );
        assert!(close_b.is_cancelled());
        assert!(hub.inner.users.is_empty());
    }
}
