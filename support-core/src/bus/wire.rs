//! [`Envelope`]: a [`Dispatch`] (an event, or a notice for connections) as it travels between
//! nodes.

use serde::{Deserialize, Serialize};

use crate::audit::Change;
use crate::error::{Error, Result};
use crate::event::{
    Broadcast, Dispatch, Event, EventActor, MessageRead, PresenceChange, PresenceChannel,
    PresenceEntry, PresenceNotice, StaffEvent, TicketEvent,
};
use crate::id::{SocketId, TicketId, UserId};
use crate::message::Message;
use crate::reaction::ReactionCount;
use crate::stats::Stats;
use crate::ticket::Ticket;
use crate::time::Timestamp;

/// A [`Dispatch`] in the node-to-node form every bus carries: the event with the socket it
/// must not be sent back to, so `toOthers()` holds on every node, or a notice for
/// connections.
///
/// Its JSON is `{"except":"1.2","event":{"kind":"chat_message","ticket_id":3,"message":{…}}}`
/// (`except` absent when there is none); [`Dispatch::DisconnectUser`] is
/// `{"event":{"kind":"disconnect_user","user_id":101}}`; [`Dispatch::Presence`] is
/// `{"event":{"kind":"presence_joined","node":"…","channel":"presence-…","member":{"user_id":"…","user_info":{…}}}}`,
/// `presence_left` (`node`, `channel`, `user_id`) or `presence_snapshot` (`node`,
/// `channels`: `[{"channel":"presence-…","members":[…]}]`), bounded as
/// [`into_dispatch`](Envelope::into_dispatch) says. A node older than a kind cannot
/// read it and resyncs, as after any unreadable event: its clients reconnect (4200). Every
/// node with a websocket hub sends a presence snapshot every few seconds, so upgrade all the
/// nodes of a deployment together (or stop the old ones first), not one at a time. The core's event types are not (de)serializable on
/// purpose: their payload format is the client-facing one, which leaves the channel implicit.
/// Nodes of different versions share one bus, so this form only ever grows.
///
/// A bus writes [`to_json`](Envelope::to_json) (or embeds the envelope, which is
/// `Serialize` and `Deserialize`, in a frame of its own) and reads it back on every node:
///
/// ```
/// use support_core::{Broadcast, Dispatch, Envelope, Event, StaffEvent, Stats, UserId};
///
/// let sent = Dispatch::from(Broadcast {
///     event: Event::Staff(StaffEvent::StatsUpdated(Stats { open: 2, in_progress: 1, urgent: 0 })),
///     except: Some("1234.5678".parse()?),
/// });
/// let json = Envelope::of(&sent).to_json()?;
/// assert_eq!(Envelope::from_json(&json)?.into_dispatch()?, sent);
///
/// let revoked = Dispatch::DisconnectUser(UserId(101));
/// let json = Envelope::of(&revoked).to_json()?;
/// assert_eq!(json, r#"{"event":{"kind":"disconnect_user","user_id":101}}"#);
/// assert_eq!(Envelope::from_json(&json)?.into_dispatch()?, revoked);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    except: Option<SocketId>,
    event: WireEvent,
}

/// [`Event`] as data, with its channel spelled out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum WireEvent {
    ChatMessage {
        ticket_id: TicketId,
        message: Message,
    },
    TicketUpdated {
        ticket_id: TicketId,
        ticket: Ticket,
        changes: Vec<Change>,
        actor: EventActor,
        at: Timestamp,
    },
    StaffTicketCreated {
        ticket: Ticket,
    },
    StaffTicketUpdated {
        ticket: Ticket,
        changes: Vec<Change>,
        actor: EventActor,
        at: Timestamp,
    },
    StaffStatsUpdated {
        stats: Stats,
    },
    StaffMessageCreated {
        message: Message,
    },
    /// On the ticket channel: the id is a public message's.
    MessageRead {
        #[serde(flatten)]
        read: MessageRead,
    },
    StaffMessageRead {
        #[serde(flatten)]
        read: MessageRead,
    },
    /// On the ticket channel: a public message's emoji count.
    MessageReaction {
        #[serde(flatten)]
        reaction: ReactionCount,
    },
    StaffMessageReaction {
        #[serde(flatten)]
        reaction: ReactionCount,
    },
    StaffSlaBreached {
        #[serde(flatten)]
        breach: crate::SlaBreach,
    },
    /// [`Dispatch::DisconnectUser`]: no channel, no payload.
    DisconnectUser {
        user_id: UserId,
    },
    /// [`PresenceChange::Joined`] of a node.
    PresenceJoined {
        node: String,
        channel: String,
        member: PresenceEntry,
    },
    /// [`PresenceChange::Left`] of a node.
    PresenceLeft {
        node: String,
        channel: String,
        user_id: String,
    },
    /// [`PresenceChange::Snapshot`] of a node.
    PresenceSnapshot {
        node: String,
        channels: Vec<PresenceChannel>,
    },
}

impl Envelope {
    /// The wire form of an event or a notice. Every kind has one: a kind added to [`Event`]
    /// or [`Dispatch`] does not compile until it is given a form here.
    pub fn of(dispatch: &Dispatch) -> Self {
        match dispatch {
            Dispatch::Event(b) => Self::of_event(b),
            Dispatch::DisconnectUser(user_id) => Envelope {
                except: None,
                event: WireEvent::DisconnectUser { user_id: *user_id },
            },
            Dispatch::Presence(notice) => Envelope {
                except: None,
                event: Self::of_presence(notice),
            },
        }
    }

    fn of_presence(notice: &PresenceNotice) -> WireEvent {
        let node = notice.node.clone();
        match &notice.change {
            PresenceChange::Joined { channel, member } => WireEvent::PresenceJoined {
                node,
                channel: channel.clone(),
                member: member.clone(),
            },
            PresenceChange::Left { channel, user_id } => WireEvent::PresenceLeft {
                node,
                channel: channel.clone(),
                user_id: user_id.clone(),
            },
            PresenceChange::Snapshot(channels) => WireEvent::PresenceSnapshot {
                node,
                channels: channels.clone(),
            },
        }
    }

    fn of_event(b: &Broadcast) -> Self {
        let event = match &b.event {
            Event::Ticket(id, TicketEvent::ChatMessage(m)) => WireEvent::ChatMessage {
                ticket_id: *id,
                message: m.get().clone(),
            },
            Event::Ticket(
                id,
                TicketEvent::TicketUpdated {
                    ticket,
                    changes,
                    actor,
                    at,
                },
            ) => WireEvent::TicketUpdated {
                ticket_id: *id,
                ticket: ticket.clone(),
                changes: changes.clone(),
                actor: actor.clone(),
                at: *at,
            },
            Event::Staff(StaffEvent::TicketCreated(ticket)) => WireEvent::StaffTicketCreated {
                ticket: ticket.clone(),
            },
            Event::Staff(StaffEvent::TicketUpdated {
                ticket,
                changes,
                actor,
                at,
            }) => WireEvent::StaffTicketUpdated {
                ticket: ticket.clone(),
                changes: changes.clone(),
                actor: actor.clone(),
                at: *at,
            },
            Event::Staff(StaffEvent::StatsUpdated(stats)) => {
                WireEvent::StaffStatsUpdated { stats: *stats }
            }
            Event::Staff(StaffEvent::MessageCreated(m)) => {
                WireEvent::StaffMessageCreated { message: m.clone() }
            }
            Event::Ticket(_, TicketEvent::MessageRead(read)) => {
                WireEvent::MessageRead { read: *read }
            }
            Event::Staff(StaffEvent::MessageRead(read)) => {
                WireEvent::StaffMessageRead { read: *read }
            }
            Event::Ticket(_, TicketEvent::MessageReaction(r)) => WireEvent::MessageReaction {
                reaction: r.clone(),
            },
            Event::Staff(StaffEvent::MessageReaction(r)) => WireEvent::StaffMessageReaction {
                reaction: r.clone(),
            },
            Event::Staff(StaffEvent::SlaBreached(b)) => {
                WireEvent::StaffSlaBreached { breach: b.clone() }
            }
        };
        Envelope {
            except: b.except.clone(),
            event,
        }
    }

    /// The event or notice again. An internal note addressed to a ticket channel is refused
    /// ([`Error::Backend`]), so the confidentiality rule holds for whatever arrives on a bus
    /// too. A notice has no socket to leave out: an `except` beside one is ignored. A
    /// presence notice whose node id, channel or user id is empty or over
    /// [`PresenceNotice::MAX_ID_BYTES`], whose channel is not a `presence-` one, or whose
    /// snapshot lists more than [`PresenceNotice::MAX_SNAPSHOT_MEMBERS`] members is refused
    /// ([`Error::Backend`]) too.
    pub fn into_dispatch(self) -> Result<Dispatch> {
        let event = match self.event {
            WireEvent::DisconnectUser { user_id } => {
                return Ok(Dispatch::DisconnectUser(user_id));
            }
            WireEvent::PresenceJoined {
                node,
                channel,
                member,
            } => return presence(node, PresenceChange::Joined { channel, member }),
            WireEvent::PresenceLeft {
                node,
                channel,
                user_id,
            } => return presence(node, PresenceChange::Left { channel, user_id }),
            WireEvent::PresenceSnapshot { node, channels } => {
                return presence(node, PresenceChange::Snapshot(channels));
            }
            WireEvent::ChatMessage { ticket_id, message } => {
                let public = message.public().ok_or_else(|| {
                    Error::backend("an internal note addressed to a ticket channel")
                })?;
                Event::Ticket(ticket_id, TicketEvent::ChatMessage(public))
            }
            WireEvent::TicketUpdated {
                ticket_id,
                ticket,
                changes,
                actor,
                at,
            } => Event::Ticket(
                ticket_id,
                TicketEvent::TicketUpdated {
                    ticket,
                    changes,
                    actor,
                    at,
                },
            ),
            WireEvent::StaffTicketCreated { ticket } => {
                Event::Staff(StaffEvent::TicketCreated(ticket))
            }
            WireEvent::StaffTicketUpdated {
                ticket,
                changes,
                actor,
                at,
            } => Event::Staff(StaffEvent::TicketUpdated {
                ticket,
                changes,
                actor,
                at,
            }),
            WireEvent::StaffStatsUpdated { stats } => Event::Staff(StaffEvent::StatsUpdated(stats)),
            WireEvent::StaffMessageCreated { message } => {
                Event::Staff(StaffEvent::MessageCreated(message))
            }
            WireEvent::MessageRead { read } => {
                Event::Ticket(read.ticket_id, TicketEvent::MessageRead(read))
            }
            WireEvent::StaffMessageRead { read } => Event::Staff(StaffEvent::MessageRead(read)),
            WireEvent::MessageReaction { reaction } => {
                Event::Ticket(reaction.ticket_id, TicketEvent::MessageReaction(reaction))
            }
            WireEvent::StaffMessageReaction { reaction } => {
                Event::Staff(StaffEvent::MessageReaction(reaction))
            }
            WireEvent::StaffSlaBreached { breach } => Event::Staff(StaffEvent::SlaBreached(breach)),
        };
        Ok(Dispatch::from(Broadcast {
            event,
            except: self.except,
        }))
    }

    /// The envelope as JSON text.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(Error::backend)
    }

    /// Reads [`to_json`](Envelope::to_json)'s text; anything else is an [`Error::Backend`].
    pub fn from_json(json: &str) -> Result<Self> {
        serde_json::from_str(json).map_err(Error::backend)
    }
}

/// A presence notice read off the bus, checked: ids and names within
/// [`PresenceNotice::MAX_ID_BYTES`], every channel a `presence-` one, a snapshot of at most
/// [`PresenceNotice::MAX_SNAPSHOT_MEMBERS`] members. Anything else is an [`Error::Backend`].
fn presence(node: String, change: PresenceChange) -> Result<Dispatch> {
    let id_ok = |s: &str| !s.is_empty() && s.len() <= PresenceNotice::MAX_ID_BYTES;
    let channel_ok = |c: &str| id_ok(c) && c.starts_with("presence-");
    let ok = id_ok(&node)
        && match &change {
            PresenceChange::Joined { channel, member } => {
                channel_ok(channel) && id_ok(&member.user_id)
            }
            PresenceChange::Left { channel, user_id } => channel_ok(channel) && id_ok(user_id),
            PresenceChange::Snapshot(channels) => {
                channels.iter().map(|c| c.members.len()).sum::<usize>()
                    <= PresenceNotice::MAX_SNAPSHOT_MEMBERS
                    && channels.iter().all(|c| {
                        channel_ok(&c.channel) && c.members.iter().all(|m| id_ok(&m.user_id))
                    })
            }
        };
    if !ok {
        return Err(Error::backend("a presence notice out of bounds"));
    }
    Ok(Dispatch::Presence(std::sync::Arc::new(PresenceNotice {
        node,
        change,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::AuthorType;
    use crate::ticket::{Category, Priority, Status};
    use crate::time::now;
    use crate::{MessageId, TicketNumber, UserId};

    fn message(content: &str, internal: bool) -> Message {
        Message {
            id: MessageId(9),
            ticket_id: TicketId(3),
            author_id: UserId(1),
            author_name: "Alice".into(),
            author_type: AuthorType::Employee,
            content: content.into(),
            is_internal: internal,
            attachments: Vec::new(),
            created_at: now(),
        }
    }

    fn ticket() -> Ticket {
        Ticket {
            id: TicketId(3),
            ticket_number: TicketNumber::for_id(TicketId(3)),
            employee_id: UserId(1),
            subject: "s".into(),
            description: "d".into(),
            category: Category::It,
            priority: Priority::High,
            status: Status::Open,
            assigned_to: None,
            resolved_at: None,
            created_at: now(),
            updated_at: now(),
            first_response_at: None,
            archived_at: None,
            sla: Default::default(),
            version: 3,
        }
    }

    fn reaction() -> ReactionCount {
        ReactionCount {
            ticket_id: TicketId(3),
            message_id: crate::MessageId(9),
            emoji: crate::Emoji::parse("👍🏽").unwrap(),
            count: 2,
            user_id: UserId(201),
            added: true,
        }
    }

    fn read() -> MessageRead {
        MessageRead {
            ticket_id: TicketId(3),
            reader_id: UserId(201),
            reader_type: AuthorType::Support,
            message_id: MessageId(9),
        }
    }

    #[test]
    fn a_read_travels_with_the_payload_fields() {
        let d = Dispatch::from(Broadcast {
            event: Event::Ticket(TicketId(3), TicketEvent::MessageRead(read())),
            except: None,
        });
        let json = Envelope::of(&d).to_json().unwrap();
        assert_eq!(
            json,
            r#"{"event":{"kind":"message_read","ticket_id":3,"reader_id":201,"reader_type":"support","message_id":9}}"#
        );
    }

    fn round_trip(d: Dispatch) -> Dispatch {
        let json = Envelope::of(&d).to_json().unwrap();
        Envelope::from_json(&json).unwrap().into_dispatch().unwrap()
    }

    #[test]
    fn every_event_kind_round_trips_with_its_except_socket() {
        let changes = vec![Change::Status {
            before: Status::Open,
            after: Status::Resolved,
        }];
        let events = [
            Event::Ticket(
                TicketId(3),
                TicketEvent::ChatMessage(message("hi", false).public().unwrap()),
            ),
            Event::Ticket(
                TicketId(3),
                TicketEvent::TicketUpdated {
                    ticket: ticket(),
                    changes: changes.clone(),
                    actor: EventActor {
                        id: UserId(2),
                        full_name: "Sam".into(),
                    },
                    at: now(),
                },
            ),
            Event::Staff(StaffEvent::TicketCreated(ticket())),
            Event::Staff(StaffEvent::TicketUpdated {
                ticket: ticket(),
                changes,
                actor: EventActor {
                    id: UserId(2),
                    full_name: "Sam".into(),
                },
                at: now(),
            }),
            Event::Staff(StaffEvent::StatsUpdated(Stats {
                open: 1,
                in_progress: 2,
                urgent: 3,
            })),
            Event::Staff(StaffEvent::MessageCreated(message("note", true))),
            Event::Ticket(TicketId(3), TicketEvent::MessageRead(read())),
            Event::Staff(StaffEvent::MessageRead(read())),
            Event::Ticket(TicketId(3), TicketEvent::MessageReaction(reaction())),
            Event::Staff(StaffEvent::MessageReaction(reaction())),
            Event::Staff(StaffEvent::SlaBreached(crate::SlaBreach {
                ticket_id: TicketId(3),
                ticket_number: crate::TicketNumber::for_id(TicketId(3)),
                clock: crate::SlaClock::Resolution,
                due_at: now(),
                priority: crate::Priority::High,
            })),
        ];
        for event in events {
            for except in [None, Some("12.34".parse().unwrap())] {
                let d = Dispatch::from(Broadcast {
                    event: event.clone(),
                    except,
                });
                assert_eq!(round_trip(d.clone()), d);
            }
        }
    }

    #[test]
    fn the_json_form_is_the_one_nodes_already_speak() {
        let b = Broadcast {
            event: Event::Staff(StaffEvent::StatsUpdated(Stats {
                open: 1,
                in_progress: 2,
                urgent: 3,
            })),
            except: Some("12.34".parse().unwrap()),
        };
        let json = r#"{"except":"12.34","event":{"kind":"staff_stats_updated","stats":{"open":1,"in_progress":2,"urgent":3}}}"#;
        assert_eq!(Envelope::of(&b.clone().into()).to_json().unwrap(), json);
        let without = Dispatch::from(Broadcast { except: None, ..b });
        let json = Envelope::of(&without).to_json().unwrap();
        assert!(!json.contains("except"), "{json}");
        assert_eq!(
            Envelope::from_json(&json).unwrap().into_dispatch().unwrap(),
            without
        );
    }

    #[test]
    fn a_disconnect_notice_travels_without_a_channel_or_a_socket() {
        let notice = Dispatch::DisconnectUser(UserId(101));
        let json = Envelope::of(&notice).to_json().unwrap();
        assert_eq!(
            json,
            r#"{"event":{"kind":"disconnect_user","user_id":101}}"#
        );
        assert_eq!(round_trip(notice.clone()), notice);
        // A socket beside a notice means nothing: nobody is left out of a disconnect.
        let with_except = r#"{"except":"1.2","event":{"kind":"disconnect_user","user_id":101}}"#;
        let read = Envelope::from_json(with_except).unwrap().into_dispatch();
        assert_eq!(read.unwrap(), notice);
        for bad in [
            r#"{"event":{"kind":"disconnect_user"}}"#,
            r#"{"event":{"kind":"disconnect_user","user_id":"x"}}"#,
        ] {
            assert!(
                matches!(Envelope::from_json(bad), Err(Error::Backend(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn presence_notices_round_trip_and_out_of_bounds_ones_are_refused() {
        let member = PresenceEntry {
            user_id: "201".into(),
            user_info: serde_json::json!({"name": "Sam", "role": "support"}),
        };
        let channel = "presence-support.ticket.7.staff".to_owned();
        let notice = |change| {
            Dispatch::Presence(std::sync::Arc::new(PresenceNotice {
                node: "n1".into(),
                change,
            }))
        };
        for change in [
            PresenceChange::Joined {
                channel: channel.clone(),
                member: member.clone(),
            },
            PresenceChange::Left {
                channel: channel.clone(),
                user_id: "201".into(),
            },
            PresenceChange::Snapshot(vec![PresenceChannel {
                channel: channel.clone(),
                members: vec![member.clone()],
            }]),
            PresenceChange::Snapshot(Vec::new()),
        ] {
            let d = notice(change);
            assert_eq!(round_trip(d.clone()), d);
        }
        let json = Envelope::of(&notice(PresenceChange::Left {
            channel: channel.clone(),
            user_id: "201".into(),
        }))
        .to_json()
        .unwrap();
        assert_eq!(
            json,
            r#"{"event":{"kind":"presence_left","node":"n1","channel":"presence-support.ticket.7.staff","user_id":"201"}}"#
        );
        let long = "x".repeat(PresenceNotice::MAX_ID_BYTES + 1);
        let too_many = serde_json::json!({"event": {"kind": "presence_snapshot", "node": "n1",
            "channels": [{"channel": channel, "members": vec![&member; PresenceNotice::MAX_SNAPSHOT_MEMBERS + 1]}]}})
        .to_string();
        for bad in [
            r#"{"event":{"kind":"presence_left","node":"","channel":"presence-a","user_id":"1"}}"#.to_owned(),
            r#"{"event":{"kind":"presence_left","node":"n","channel":"private-a","user_id":"1"}}"#.to_owned(),
            r#"{"event":{"kind":"presence_left","node":"n","channel":"presence-a","user_id":""}}"#.to_owned(),
            format!(r#"{{"event":{{"kind":"presence_left","node":"{long}","channel":"presence-a","user_id":"1"}}}}"#),
            r#"{"event":{"kind":"presence_joined","node":"n","channel":"presence-a"}}"#.to_owned(),
            r#"{"event":{"kind":"presence_snapshot","node":"n","channels":[{"channel":"private-a","members":[]}]}}"#.to_owned(),
            too_many,
        ] {
            let read = Envelope::from_json(&bad).and_then(Envelope::into_dispatch);
            assert!(matches!(read, Err(Error::Backend(_))), "{bad}");
        }
    }

    #[test]
    fn a_note_addressed_to_a_ticket_channel_is_refused() {
        let forged = r#"{"event":{"kind":"chat_message","ticket_id":3,"message":"#.to_owned()
            + &serde_json::to_string(&message("secret", true)).unwrap()
            + "}}";
        let envelope = Envelope::from_json(&forged).unwrap();
        assert!(matches!(envelope.into_dispatch(), Err(Error::Backend(_))));
    }

    #[test]
    fn text_that_is_not_an_envelope_is_a_backend_error() {
        for bad in ["", "{}", r#"{"event":{"kind":"nope"}}"#, "[1]"] {
            assert!(
                matches!(Envelope::from_json(bad), Err(Error::Backend(_))),
                "{bad}"
            );
        }
    }
}
