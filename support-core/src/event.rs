//! Events the service broadcasts after each commit, and their wire payloads.
//!
//! The types make the confidentiality rule structural: [`TicketEvent`], the only thing that goes
//! to a ticket's channel, carries a [`PublicMessage`], which cannot be built from an internal
//! note. Notes travel only as [`StaffEvent::MessageCreated`] on the staff channel.
//!
//! What travels from the service to every node is a [`Dispatch`]: an event ([`Broadcast`]),
//! or a notice about connections themselves ([`Dispatch::DisconnectUser`],
//! [`Dispatch::Presence`]), which goes to no channel and so has no channel name, event name or
//! payload.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::audit::Change;
use crate::channel::Channel;
use crate::id::{MessageId, SocketId, TicketId, UserId};
use crate::message::{AuthorType, Message, PublicMessage};
use crate::reaction::ReactionCount;
use crate::stats::Stats;
use crate::ticket::Ticket;

/// An event on one ticket's channel, which the ticket's employee may hear.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum TicketEvent {
    /// `chat.message`: a new public message.
    ChatMessage(PublicMessage),
    /// `ticket.updated`: status, priority or assignment changed.
    TicketUpdated {
        /// The ticket after the change.
        ticket: Ticket,
        /// What changed.
        changes: Vec<Change>,
        /// Who changed it (the employee, for a reopening reply).
        actor: EventActor,
        /// When: the time of its audit entries.
        at: crate::Timestamp,
    },
    /// `message.read`: a reader's position moved. Its `message_id` is the highest *public*
    /// message id up to the position, so it never names an internal note; staff reading only
    /// notes send none of these.
    MessageRead(MessageRead),
    /// `message.reaction`: an emoji's count on a public message moved. A note's reactions go
    /// only to the staff channel ([`StaffEvent::MessageReaction`]).
    MessageReaction(ReactionCount),
}

/// The `message.read` payload: `reader_id` has read the ticket up to `message_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRead {
    /// The ticket.
    pub ticket_id: TicketId,
    /// Who read.
    pub reader_id: UserId,
    /// Which side they are on: the ticket's employee or support.
    pub reader_type: AuthorType,
    /// The last message read (on the ticket channel: the last public one).
    pub message_id: MessageId,
}

/// An event on the staff channel.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StaffEvent {
    /// `ticket.created`.
    TicketCreated(Ticket),
    /// `ticket.updated`.
    TicketUpdated {
        /// The ticket after the change.
        ticket: Ticket,
        /// What changed.
        changes: Vec<Change>,
        /// Who changed it (the employee, for a reopening reply).
        actor: EventActor,
        /// When: the time of its audit entries.
        at: crate::Timestamp,
    },
    /// `stats.updated`: the badge counts after a change that moved them.
    StatsUpdated(Stats),
    /// `message.created`: any new message, internal notes included.
    MessageCreated(Message),
    /// `message.read`: a reader's position moved, with the full position (internal notes
    /// included), so the reader's other tabs and other staff see it.
    MessageRead(MessageRead),
    /// `message.reaction`: an emoji's count on an internal note moved (public messages' go to
    /// their ticket's channel).
    MessageReaction(ReactionCount),
    /// `sla.breached`: one clock of a ticket passed its due time (sent once per ticket and
    /// clock).
    SlaBreached(crate::SlaBreach),
}

/// Who made a change, as `ticket.updated` names them (`actor: {id, full_name}`), so a live
/// page can draw the thread's event line without reading the ticket again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct EventActor {
    /// Their user id.
    pub id: UserId,
    /// Their name at the time.
    pub full_name: String,
}

/// Where an event goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// To `private-support.ticket.{id}`.
    Ticket(TicketId, TicketEvent),
    /// To `private-support.admin`.
    Staff(StaffEvent),
}

/// An event on its way out, with the socket to leave out (Laravel's `toOthers()`).
#[derive(Debug, Clone, PartialEq)]
pub struct Broadcast {
    /// What happened, and where it goes.
    pub event: Event,
    /// The connection that caused it, which does not get it back.
    pub except: Option<SocketId>,
}

/// What a [`Broadcaster`](crate::Broadcaster) carries to every node, and what a bus listener
/// hands to each node's [`Fanout`](crate::Fanout): an event for the subscribers of its
/// channel, or a notice for the connections themselves.
///
/// Every consumer matches on it, so a notice can never be taken for an event: it has no
/// channel, no event name and no payload for clients. Cloning is cheap (an event is shared).
#[derive(Debug, Clone, PartialEq)]
pub enum Dispatch {
    /// An event for the subscribers of [`Broadcast::channel`].
    Event(Arc<Broadcast>),
    /// Every open connection of this user, on every node, must close now with Pusher's 4009
    /// ("unauthorized"), which tells clients not to reconnect unchanged: their access was
    /// revoked (an admin disabled them). A connection is the user's once one of its
    /// subscriptions was signed with `channel_data` naming the user (`{"user_id": "…"}`).
    DisconnectUser(UserId),
    /// A node's presence members changed, or its periodic report of them: for the other
    /// nodes' hubs, so that presence channels have the members of every node. It goes to no
    /// channel itself; each hub turns it into `member_added` / `member_removed` for its own
    /// subscribers when the cluster-wide membership changes. The node it comes from ignores
    /// it.
    Presence(Arc<PresenceNotice>),
}

/// What one node tells the others about its presence members ([`Dispatch::Presence`]).
///
/// The websocket hub of each node publishes one when a user's first connection on that node
/// joins a presence channel ([`PresenceChange::Joined`]) or their last one there leaves
/// ([`PresenceChange::Left`]), and every few seconds a [`PresenceChange::Snapshot`] of all its
/// members, which doubles as its heartbeat: a node that joins late or missed a notice
/// converges on the next one, and a node not heard from for a while is taken to be gone.
#[derive(Debug, Clone, PartialEq)]
pub struct PresenceNotice {
    /// The node it comes from: an id each hub draws for itself when it starts (at most
    /// [`PresenceNotice::MAX_ID_BYTES`] bytes).
    pub node: String,
    /// What changed.
    pub change: PresenceChange,
}

impl PresenceNotice {
    /// The longest node id, channel name or user id a notice may carry, in bytes.
    pub const MAX_ID_BYTES: usize = 200;
    /// The most members one snapshot may list, over all its channels.
    pub const MAX_SNAPSHOT_MEMBERS: usize = 100_000;
}

/// A change of one node's presence members; see [`PresenceNotice`].
#[derive(Debug, Clone, PartialEq)]
pub enum PresenceChange {
    /// The user's first connection on the node joined the channel.
    Joined {
        /// The presence channel's full name (`presence-support.ticket.7.staff`).
        channel: String,
        /// Who, and what the other members see of them.
        member: PresenceEntry,
    },
    /// The user's last connection on the node left the channel.
    Left {
        /// The presence channel's full name.
        channel: String,
        /// Pusher's wire form of the user's id.
        user_id: String,
    },
    /// Every presence member on the node now, by channel: it replaces whatever the others
    /// knew of this node. An empty one says the node has no members (it is shutting down).
    Snapshot(Vec<PresenceChannel>),
}

/// One presence member as nodes tell each other: Pusher's `user_id` and `user_info`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PresenceEntry {
    /// Pusher's wire form of the user's id.
    pub user_id: String,
    /// What the other members see of the user (`{"name": …, "role": …}` on a ticket's staff
    /// presence).
    pub user_info: Value,
}

/// One channel of a [`PresenceChange::Snapshot`]: its members on the node.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PresenceChannel {
    /// The presence channel's full name.
    pub channel: String,
    /// Its members on the node.
    pub members: Vec<PresenceEntry>,
}

impl From<Broadcast> for Dispatch {
    fn from(b: Broadcast) -> Self {
        Dispatch::Event(Arc::new(b))
    }
}

impl From<Arc<Broadcast>> for Dispatch {
    fn from(b: Arc<Broadcast>) -> Self {
        Dispatch::Event(b)
    }
}

/// The `chat.message` payload: the fields the Laravel helpdesk's Echo listener reads, plus ids.
#[derive(Debug, Clone, Serialize)]
struct ChatPayload<'a> {
    id: crate::MessageId,
    ticket_id: TicketId,
    sender_id: crate::UserId,
    sender_name: &'a str,
    sender_type: crate::AuthorType,
    message: &'a str,
    sent_at: crate::Timestamp,
    is_internal: bool,
    attachments: &'a [crate::Attachment],
}

impl<'a> From<&'a Message> for ChatPayload<'a> {
    fn from(m: &'a Message) -> Self {
        ChatPayload {
            id: m.id,
            ticket_id: m.ticket_id,
            sender_id: m.author_id,
            sender_name: &m.author_name,
            sender_type: m.author_type,
            message: &m.content,
            sent_at: m.created_at,
            is_internal: m.is_internal,
            attachments: &m.attachments,
        }
    }
}

impl Broadcast {
    /// The channel it goes to.
    pub fn channel(&self) -> Channel {
        match &self.event {
            Event::Ticket(id, _) => Channel::Ticket(*id),
            Event::Staff(_) => Channel::Admin,
        }
    }

    /// The event name clients bind (`chat.message`; Echo listens with a leading dot).
    pub fn name(&self) -> &'static str {
        match &self.event {
            Event::Ticket(_, TicketEvent::ChatMessage(_)) => "chat.message",
            Event::Ticket(_, TicketEvent::TicketUpdated { .. }) => "ticket.updated",
            Event::Staff(StaffEvent::TicketCreated(_)) => "ticket.created",
            Event::Staff(StaffEvent::TicketUpdated { .. }) => "ticket.updated",
            Event::Staff(StaffEvent::StatsUpdated(_)) => "stats.updated",
            Event::Staff(StaffEvent::MessageCreated(_)) => "message.created",
            Event::Ticket(_, TicketEvent::MessageRead(_))
            | Event::Staff(StaffEvent::MessageRead(_)) => "message.read",
            Event::Ticket(_, TicketEvent::MessageReaction(_))
            | Event::Staff(StaffEvent::MessageReaction(_)) => "message.reaction",
            Event::Staff(StaffEvent::SlaBreached(_)) => "sla.breached",
        }
    }

    /// The event's data as JSON. Pusher sends it as a string: `payload().to_string()`.
    pub fn payload(&self) -> Value {
        let value = match &self.event {
            Event::Ticket(_, TicketEvent::ChatMessage(m)) => {
                serde_json::to_value(ChatPayload::from(m.get()))
            }
            Event::Staff(StaffEvent::MessageCreated(m)) => {
                serde_json::to_value(ChatPayload::from(m))
            }
            Event::Ticket(
                _,
                TicketEvent::TicketUpdated {
                    ticket,
                    changes,
                    actor,
                    at,
                },
            )
            | Event::Staff(StaffEvent::TicketUpdated {
                ticket,
                changes,
                actor,
                at,
            }) => Ok(json!({ "ticket": ticket, "changes": changes, "actor": actor, "at": at })),
            Event::Staff(StaffEvent::TicketCreated(ticket)) => Ok(json!({ "ticket": ticket })),
            Event::Staff(StaffEvent::StatsUpdated(stats)) => Ok(json!({ "stats": stats })),
            Event::Ticket(_, TicketEvent::MessageRead(read))
            | Event::Staff(StaffEvent::MessageRead(read)) => serde_json::to_value(read),
            Event::Ticket(_, TicketEvent::MessageReaction(r))
            | Event::Staff(StaffEvent::MessageReaction(r)) => serde_json::to_value(r),
            Event::Staff(StaffEvent::SlaBreached(b)) => serde_json::to_value(b),
        };
        // Every payload is built from plain structs with string keys: serializing cannot fail.
        value.unwrap_or(Value::Null)
    }

    /// The message this event carries, if any.
    pub fn message(&self) -> Option<&Message> {
        match &self.event {
            Event::Ticket(_, TicketEvent::ChatMessage(m)) => Some(m.get()),
            Event::Staff(StaffEvent::MessageCreated(m)) => Some(m),
            _ => None,
        }
    }
}
