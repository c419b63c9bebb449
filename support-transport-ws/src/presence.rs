//! Presence across nodes: what this node tells the others about its presence members, and
//! what it knows of theirs.
//!
//! Each hub keeps its own connections' members (in `hub.rs`). On a bus, it also keeps a
//! [`Cluster`]: the members every other node reported, by node, and a queue of its own
//! changes that a task publishes through the bus as [`Dispatch::Presence`] notices:
//!
//! - a user's first connection on this node joins a channel: [`PresenceChange::Joined`];
//!   their last one here leaves: [`PresenceChange::Left`];
//! - every [`Limits::presence_heartbeat`](crate::Limits::presence_heartbeat), a
//!   [`PresenceChange::Snapshot`] of all its members, which replaces what the others knew
//!   of this node (so a node that joined late or missed a notice converges) and is its
//!   heartbeat;
//! - a node not heard from for [`Limits::presence_expiry`](crate::Limits::presence_expiry)
//!   is dropped, with its members (checked every second);
//! - on shutdown, an empty snapshot: this node's members leave everywhere at once.
//!
//! A user is a member of a channel if any of their connections on any node is in it. The
//! hub turns every change of that into `member_added` / `member_removed` for its own
//! subscribers (`Hub::reconcile`). What one node may make another keep is bounded: at most
//! [`MAX_NODES`] other nodes, [`Limits::max_remote_presence_members`](crate::Limits) members
//! per node and `max_presence_members` per channel and node; the rest is dropped with a log
//! line.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use serde_json::Value;
use support_core::{
    Broadcaster, Dispatch, PresenceChange, PresenceChannel, PresenceEntry, PresenceNotice,
};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::config::Limits;
use crate::names::{ChannelKind, channel_kind};

/// Other nodes this node keeps presence for, at most.
pub(crate) const MAX_NODES: usize = 64;

/// Changes of this node waiting to be published, at most; beyond, a change is dropped (and
/// the next snapshot carries it).
const QUEUE: usize = 4096;

/// How often nodes not heard from are looked for.
const SWEEP: Duration = Duration::from_secs(1);

/// Users whose membership in a channel may have changed: what the hub reconciles.
pub(crate) type Affected = Vec<(Arc<str>, Vec<Arc<str>>)>;

/// A change of this node's members, on its way to the bus.
#[derive(Debug)]
pub(crate) enum Local {
    Joined {
        channel: Arc<str>,
        user_id: Arc<str>,
        info: Value,
    },
    Left {
        channel: Arc<str>,
        user_id: Arc<str>,
    },
}

/// What one other node reported.
#[derive(Debug)]
struct NodeState {
    heard: Instant,
    /// Channel → user → user_info.
    channels: HashMap<Arc<str>, HashMap<Arc<str>, Value>>,
    /// Members over all channels.
    members: usize,
}

impl NodeState {
    fn new() -> Self {
        NodeState {
            heard: Instant::now(),
            channels: HashMap::new(),
            members: 0,
        }
    }

    fn remove(&mut self, channel: &str, user_id: &str) -> bool {
        let Some(users) = self.channels.get_mut(channel) else {
            return false;
        };
        let removed = users.remove(user_id).is_some();
        if removed {
            self.members -= 1;
        }
        if users.is_empty() {
            self.channels.remove(channel);
        }
        removed
    }

    /// Adds a member within the limits; false (and a log line) if it does not fit.
    fn insert(&mut self, channel: Arc<str>, member: PresenceEntry, limits: &Limits) -> bool {
        if channel_kind(&channel) != Some(ChannelKind::Presence)
            || member.user_info.to_string().len() > limits.max_presence_user_info_bytes
        {
            tracing::warn!(%channel, "presence from another node refused: not a valid member");
            return false;
        }
        let users = self.channels.entry(channel.clone()).or_default();
        let user: Arc<str> = Arc::from(member.user_id);
        if let Some(info) = users.get_mut(&user) {
            *info = member.user_info;
            return true;
        }
        if users.len() >= limits.max_presence_members
            || self.members >= limits.max_remote_presence_members
        {
            if users.is_empty() {
                self.channels.remove(&channel);
            }
            tracing::warn!(%channel, "presence from another node over the limits: member dropped");
            return false;
        }
        users.insert(user, member.user_info);
        self.members += 1;
        true
    }

    /// Every (channel, users) it holds.
    fn all(&self) -> Affected {
        self.channels
            .iter()
            .map(|(c, users)| (c.clone(), users.keys().cloned().collect()))
            .collect()
    }
}

/// This node's end of presence across nodes: its id, the queue its changes go out through,
/// and what the other nodes reported.
#[derive(Debug)]
pub(crate) struct Cluster {
    node: Arc<str>,
    tx: mpsc::Sender<Local>,
    nodes: Mutex<HashMap<Arc<str>, NodeState>>,
}

impl Cluster {
    /// A cluster end for node `node` and the queue its task reads.
    pub(crate) fn new(node: Arc<str>) -> (Self, mpsc::Receiver<Local>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let cluster = Cluster {
            node,
            tx,
            nodes: Mutex::new(HashMap::new()),
        };
        (cluster, rx)
    }

    fn nodes(&self) -> std::sync::MutexGuard<'_, HashMap<Arc<str>, NodeState>> {
        self.nodes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues a change of this node's members for the others.
    pub(crate) fn tell(&self, change: Local) {
        if self.tx.try_send(change).is_err() {
            tracing::warn!(
                "presence changes queue up faster than the bus takes them: the next snapshot carries them"
            );
        }
    }

    /// `user_id`'s info in `channel` if another node has them there.
    pub(crate) fn remote_member(&self, channel: &str, user_id: &str) -> Option<Value> {
        self.nodes()
            .values()
            .find_map(|n| n.channels.get(channel)?.get(user_id).cloned())
    }

    /// Every member of `channel` on the other nodes.
    pub(crate) fn remote_members(&self, channel: &str) -> HashMap<Arc<str>, Value> {
        let mut out = HashMap::new();
        for node in self.nodes().values() {
            if let Some(users) = node.channels.get(channel) {
                for (u, info) in users {
                    out.entry(u.clone()).or_insert_with(|| info.clone());
                }
            }
        }
        out
    }

    /// Channels whose name starts with `prefix` that have members on other nodes, each with
    /// its distinct users there.
    pub(crate) fn remote_channels(&self, prefix: &str) -> HashMap<Arc<str>, Vec<Arc<str>>> {
        let mut out: HashMap<Arc<str>, Vec<Arc<str>>> = HashMap::new();
        for node in self.nodes().values() {
            for (c, users) in &node.channels {
                if c.starts_with(prefix) {
                    out.entry(c.clone())
                        .or_default()
                        .extend(users.keys().cloned());
                }
            }
        }
        for users in out.values_mut() {
            users.sort();
            users.dedup();
        }
        out
    }

    /// Takes in a notice from another node; returns the users whose membership it may have
    /// changed. A notice of this node itself changes nothing.
    pub(crate) fn apply(&self, notice: &PresenceNotice, limits: &Limits) -> Affected {
        if *notice.node == *self.node {
            return Vec::new();
        }
        let mut nodes = self.nodes();
        if !nodes.contains_key(notice.node.as_str()) && nodes.len() >= MAX_NODES {
            tracing::warn!(node = %notice.node, "presence from more than {MAX_NODES} other nodes: ignored");
            return Vec::new();
        }
        let node = nodes
            .entry(Arc::from(notice.node.as_str()))
            .or_insert_with(NodeState::new);
        node.heard = Instant::now();
        match &notice.change {
            PresenceChange::Joined { channel, member } => {
                let channel: Arc<str> = Arc::from(channel.as_str());
                let user: Arc<str> = Arc::from(member.user_id.as_str());
                if node.insert(channel.clone(), member.clone(), limits) {
                    vec![(channel, vec![user])]
                } else {
                    Vec::new()
                }
            }
            PresenceChange::Left { channel, user_id } => {
                if node.remove(channel, user_id) {
                    vec![(
                        Arc::from(channel.as_str()),
                        vec![Arc::from(user_id.as_str())],
                    )]
                } else {
                    Vec::new()
                }
            }
            PresenceChange::Snapshot(channels) => {
                let mut affected = node.all();
                node.channels.clear();
                node.members = 0;
                for c in channels {
                    let channel: Arc<str> = Arc::from(c.channel.as_str());
                    let mut users = Vec::new();
                    for m in &c.members {
                        if node.insert(channel.clone(), m.clone(), limits) {
                            users.push(Arc::from(m.user_id.as_str()));
                        }
                    }
                    affected.push((channel, users));
                }
                affected
            }
        }
    }

    /// Forgets the nodes not heard from for `expiry`; returns the users they had.
    pub(crate) fn expire(&self, expiry: Duration) -> Affected {
        let mut nodes = self.nodes();
        let dead: Vec<Arc<str>> = nodes
            .iter()
            .filter(|(_, n)| n.heard.elapsed() > expiry)
            .map(|(id, _)| id.clone())
            .collect();
        let mut affected = Vec::new();
        for id in dead {
            if let Some(node) = nodes.remove(&id) {
                tracing::info!(node = %id, members = node.members, "a node is not heard from any more: its presence members leave");
                affected.extend(node.all());
            }
        }
        affected
    }

    /// True if this node is the one that reports what no live node reports for itself (the
    /// members of a node that expired, to webhooks): the lowest id among the live nodes.
    pub(crate) fn elected(&self) -> bool {
        self.nodes().keys().all(|other| *self.node < **other)
    }

    /// The notice for this node's change.
    fn notice(&self, change: PresenceChange) -> Dispatch {
        Dispatch::Presence(Arc::new(PresenceNotice {
            node: self.node.to_string(),
            change,
        }))
    }
}

/// What the presence task needs of the hub, without owning it.
pub(crate) trait Members: Send + Sync + 'static {
    /// Every presence member of this node's own connections, by channel.
    fn local_snapshot(&self) -> Vec<PresenceChannel>;
    /// Drops the nodes not heard from, and tells this node's subscribers.
    fn sweep(&self);
}

/// Publishes this node's changes, its snapshot every `heartbeat`, and sweeps every second,
/// until the hub is gone or `shutdown` (then a last, empty snapshot: its members leave).
pub(crate) async fn run<M: Members>(
    hub: impl Fn() -> Option<M> + Send + 'static,
    cluster: Weak<Cluster>,
    mut rx: mpsc::Receiver<Local>,
    publisher: Arc<dyn Broadcaster>,
    heartbeat: Duration,
    shutdown: CancellationToken,
) {
    // A zero interval would panic: 10 ms is the shortest.
    let shortest = Duration::from_millis(10);
    let mut beat = tokio::time::interval(heartbeat.max(shortest));
    let mut sweep = tokio::time::interval(SWEEP.min(heartbeat).max(shortest));
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let change = tokio::select! {
            biased;
            () = shutdown.cancelled() => {
                let Some(cluster) = cluster.upgrade() else { return };
                publish(&*publisher, cluster.notice(PresenceChange::Snapshot(Vec::new()))).await;
                return;
            }
            _ = beat.tick() => {
                let Some(hub) = hub() else { return };
                PresenceChange::Snapshot(hub.local_snapshot())
            }
            _ = sweep.tick() => {
                let Some(hub) = hub() else { return };
                hub.sweep();
                continue;
            }
            local = rx.recv() => match local {
                None => return,
                Some(Local::Joined { channel, user_id, info }) => PresenceChange::Joined {
                    channel: channel.to_string(),
                    member: PresenceEntry { user_id: user_id.to_string(), user_info: info },
                },
                Some(Local::Left { channel, user_id }) => PresenceChange::Left {
                    channel: channel.to_string(),
                    user_id: user_id.to_string(),
                },
            },
        };
        let Some(cluster) = cluster.upgrade() else {
            return;
        };
        publish(&*publisher, cluster.notice(change)).await;
    }
}

async fn publish(publisher: &dyn Broadcaster, notice: Dispatch) {
    if let Err(e) = publisher.publish(notice).await {
        tracing::warn!(error = %e, "a presence notice did not reach the bus: the next snapshot carries it");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(id: &str) -> PresenceEntry {
        PresenceEntry {
            user_id: id.into(),
            user_info: json!({"name": id}),
        }
    }

    fn notice(node: &str, change: PresenceChange) -> PresenceNotice {
        PresenceNotice {
            node: node.into(),
            change,
        }
    }

    /// Another node cannot make this one keep more than the limits, and a snapshot replaces
    /// what it said before.
    #[test]
    fn what_another_node_reports_is_bounded_and_replaced_by_its_snapshot() {
        let limits = Limits {
            max_presence_members: 3,
            max_remote_presence_members: 4,
            ..Limits::default()
        };
        let (cluster, _rx) = Cluster::new(Arc::from("me"));
        let snapshot = PresenceChange::Snapshot(vec![
            PresenceChannel {
                channel: "presence-a".into(),
                members: (0..10).map(|i| entry(&i.to_string())).collect(),
            },
            PresenceChannel {
                channel: "presence-b".into(),
                members: (0..10).map(|i| entry(&i.to_string())).collect(),
            },
        ]);
        cluster.apply(&notice("other", snapshot), &limits);
        let a = cluster.remote_members("presence-a").len();
        let b = cluster.remote_members("presence-b").len();
        assert_eq!(a, 3, "per channel");
        assert_eq!(a + b, 4, "per node");

        let join = |c: &str, id: &str| PresenceChange::Joined {
            channel: c.into(),
            member: entry(id),
        };
        assert!(
            cluster
                .apply(&notice("other", join("private-x", "9")), &limits)
                .is_empty(),
            "only presence channels"
        );
        let mut big = entry("9");
        big.user_info = json!("x".repeat(2000));
        let too_big = PresenceChange::Joined {
            channel: "presence-c".into(),
            member: big,
        };
        assert!(cluster.apply(&notice("other", too_big), &limits).is_empty());
        assert!(
            cluster
                .apply(&notice("me", join("presence-c", "9")), &limits)
                .is_empty(),
            "this node's own notice"
        );

        let affected = cluster.apply(
            &notice("other", PresenceChange::Snapshot(Vec::new())),
            &limits,
        );
        assert_eq!(affected.iter().map(|(_, u)| u.len()).sum::<usize>(), 4);
        assert!(cluster.remote_members("presence-a").is_empty());

        for i in 0..MAX_NODES + 5 {
            cluster.apply(&notice(&format!("n{i}"), join("presence-a", "1")), &limits);
        }
        assert_eq!(cluster.nodes().len(), MAX_NODES, "other nodes, at most");
    }

    #[test]
    fn a_node_not_heard_from_expires_with_its_members() {
        let limits = Limits::default();
        let (cluster, _rx) = Cluster::new(Arc::from("b"));
        let join = PresenceChange::Joined {
            channel: "presence-a".into(),
            member: entry("7"),
        };
        cluster.apply(&notice("a", join), &limits);
        assert!(!cluster.elected(), "a is lower");
        assert!(cluster.expire(Duration::from_secs(60)).is_empty());
        std::thread::sleep(Duration::from_millis(20));
        let gone = cluster.expire(Duration::from_millis(10));
        assert_eq!(
            gone,
            vec![(Arc::<str>::from("presence-a"), vec![Arc::<str>::from("7")])]
        );
        assert!(cluster.remote_member("presence-a", "7").is_none());
        assert!(cluster.elected(), "alone");
    }
}
