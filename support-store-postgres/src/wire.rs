//! Events on the NOTIFY channel: how a [`Broadcast`] is written into a notification payload
//! and read back on every node.
//!
//! A payload is JSON, either the whole event (`{"event":{…}}`) or, for an event whose encoding
//! does not fit the 8000 bytes Postgres allows in a payload, the id of the `broadcast_outbox`
//! row that holds it (`{"outbox":42}`). The socket to leave out travels with the event, so
//! `toOthers()` holds on every node.

use serde::{Deserialize, Serialize};
use support_core::{
    Broadcast, Change, Error, Event, Message, Result, SocketId, StaffEvent, Stats, Ticket,
    TicketEvent, TicketId,
};

/// Postgres refuses a NOTIFY payload of this many bytes or more (in the default build).
pub(crate) const NOTIFY_LIMIT: usize = 8000;

/// One notification.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Notice {
    /// The event itself.
    Event(Envelope),
    /// The id of the `broadcast_outbox` row holding the encoded [`Envelope`].
    Outbox(i64),
}

/// An event with the socket it must not be sent back to.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Envelope {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    except: Option<SocketId>,
    event: WireEvent,
}

/// [`Event`] as data. The core's event types are not (de)serializable on purpose: their
/// payload format is the client-facing one. This is the node-to-node format, which must also
/// carry what the clients' format leaves implicit (the channel).
#[derive(Debug, Serialize, Deserialize)]
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
    },
    StaffTicketCreated {
        ticket: Ticket,
    },
    StaffTicketUpdated {
        ticket: Ticket,
        changes: Vec<Change>,
    },
    StaffStatsUpdated {
        stats: Stats,
    },
    StaffMessageCreated {
        message: Message,
    },
}

impl Envelope {
    /// The wire form of a broadcast. Fails only for an event kind added to the core after
    /// this crate was written, which it cannot carry.
    pub(crate) fn of(b: &Broadcast) -> Result<Self> {
        let event = match &b.event {
            Event::Ticket(id, TicketEvent::ChatMessage(m)) => WireEvent::ChatMessage {
                ticket_id: *id,
                message: m.get().clone(),
            },
            Event::Ticket(id, TicketEvent::TicketUpdated { ticket, changes }) => {
                WireEvent::TicketUpdated {
                    ticket_id: *id,
                    ticket: ticket.clone(),
                    changes: changes.clone(),
                }
            }
            Event::Staff(StaffEvent::TicketCreated(ticket)) => WireEvent::StaffTicketCreated {
                ticket: ticket.clone(),
            },
            Event::Staff(StaffEvent::TicketUpdated { ticket, changes }) => {
                WireEvent::StaffTicketUpdated {
                    ticket: ticket.clone(),
                    changes: changes.clone(),
                }
            }
            Event::Staff(StaffEvent::StatsUpdated(stats)) => {
                WireEvent::StaffStatsUpdated { stats: *stats }
            }
            Event::Staff(StaffEvent::MessageCreated(m)) => {
                WireEvent::StaffMessageCreated { message: m.clone() }
            }
            _ => {
                return Err(Error::backend(format!(
                    "the NOTIFY bus cannot carry {} events",
                    b.name()
                )));
            }
        };
        Ok(Envelope {
            except: b.except.clone(),
            event,
        })
    }

    /// The broadcast again. An internal note addressed to a ticket channel is refused, so
    /// the confidentiality rule holds for whatever arrives on the channel too.
    pub(crate) fn into_broadcast(self) -> Result<Broadcast> {
        let event = match self.event {
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
            } => Event::Ticket(ticket_id, TicketEvent::TicketUpdated { ticket, changes }),
            WireEvent::StaffTicketCreated { ticket } => {
                Event::Staff(StaffEvent::TicketCreated(ticket))
            }
            WireEvent::StaffTicketUpdated { ticket, changes } => {
                Event::Staff(StaffEvent::TicketUpdated { ticket, changes })
            }
            WireEvent::StaffStatsUpdated { stats } => Event::Staff(StaffEvent::StatsUpdated(stats)),
            WireEvent::StaffMessageCreated { message } => {
                Event::Staff(StaffEvent::MessageCreated(message))
            }
        };
        Ok(Broadcast {
            event,
            except: self.except,
        })
    }

    /// The JSON stored in an outbox row.
    pub(crate) fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(Error::backend)
    }

    /// Reads an outbox row.
    pub(crate) fn from_json(json: &str) -> Result<Self> {
        serde_json::from_str(json).map_err(Error::backend)
    }
}

/// What to send for one broadcast.
#[derive(Debug)]
pub(crate) enum Outgoing {
    /// A whole [`Notice::Event`], short enough for a notification.
    Inline(String),
    /// An encoded [`Envelope`] too long for one: it goes to the outbox.
    Outbox(String),
}

impl Outgoing {
    pub(crate) fn of(b: &Broadcast) -> Result<Self> {
        let envelope = Envelope::of(b)?.to_json()?;
        // Notice::Event's externally tagged form, without encoding the envelope twice.
        let notice = format!(r#"{{"event":{envelope}}}"#);
        Ok(if notice.len() < NOTIFY_LIMIT {
            Outgoing::Inline(notice)
        } else {
            Outgoing::Outbox(envelope)
        })
    }
}

impl Notice {
    pub(crate) fn parse(payload: &str) -> Result<Self> {
        serde_json::from_str(payload).map_err(Error::backend)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use support_core::time::now;
    use support_core::{AuthorType, MessageId, Status, TicketNumber, UserId};

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
            category: support_core::Category::It,
            priority: support_core::Priority::High,
            status: Status::Open,
            assigned_to: None,
            resolved_at: None,
            created_at: now(),
            updated_at: now(),
        }
    }

    fn round_trip(b: Broadcast) -> Broadcast {
        let json = Envelope::of(&b).unwrap().to_json().unwrap();
        Envelope::from_json(&json)
            .unwrap()
            .into_broadcast()
            .unwrap()
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
                },
            ),
            Event::Staff(StaffEvent::TicketCreated(ticket())),
            Event::Staff(StaffEvent::TicketUpdated {
                ticket: ticket(),
                changes,
            }),
            Event::Staff(StaffEvent::StatsUpdated(Stats {
                open: 1,
                in_progress: 2,
                urgent: 3,
            })),
            Event::Staff(StaffEvent::MessageCreated(message("note", true))),
        ];
        for event in events {
            for except in [None, Some("12.34".parse().unwrap())] {
                let b = Broadcast {
                    event: event.clone(),
                    except,
                };
                assert_eq!(round_trip(b.clone()), b);
            }
        }
    }

    #[test]
    fn a_note_addressed_to_a_ticket_channel_is_refused() {
        let forged = r#"{"event":{"kind":"chat_message","ticket_id":3,"message":"#.to_owned()
            + &serde_json::to_string(&message("secret", true)).unwrap()
            + "}}";
        let envelope = Envelope::from_json(&forged).unwrap();
        assert!(envelope.into_broadcast().is_err());
    }

    #[test]
    fn a_2000_emoji_message_does_not_fit_a_notification() {
        let b = Broadcast {
            event: Event::Ticket(
                TicketId(3),
                TicketEvent::ChatMessage(message(&"😀".repeat(2000), false).public().unwrap()),
            ),
            except: None,
        };
        let Outgoing::Outbox(envelope) = Outgoing::of(&b).unwrap() else {
            panic!("a 2000-emoji message went inline");
        };
        let back = Envelope::from_json(&envelope).unwrap().into_broadcast();
        assert_eq!(back.unwrap(), b);

        let small = Broadcast {
            event: Event::Staff(StaffEvent::MessageCreated(message("hi", false))),
            except: Some("1.2".parse().unwrap()),
        };
        let Outgoing::Inline(payload) = Outgoing::of(&small).unwrap() else {
            panic!("a short message went to the outbox");
        };
        let Notice::Event(envelope) = Notice::parse(&payload).unwrap() else {
            panic!("not an event: {payload}");
        };
        assert_eq!(envelope.into_broadcast().unwrap(), small);
        assert!(matches!(
            Notice::parse(r#"{"outbox":42}"#).unwrap(),
            Notice::Outbox(42)
        ));
    }
}
