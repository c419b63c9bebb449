//! Events on the NOTIFY channel: how a [`Dispatch`] (an event, or a notice for connections)
//! is written into a notification payload and read back on every node.
//!
//! A payload is JSON, either the whole event in the [`Envelope`] every bus carries
//! (`{"event":{…}}`) or, for an event whose encoding does not fit the 8000 bytes Postgres
//! allows in a payload, the id of the `broadcast_outbox` row that holds it (`{"outbox":42}`).

use serde::{Deserialize, Serialize};
use support_core::{Dispatch, Envelope, Error, Result};

/// Postgres refuses a NOTIFY payload of this many bytes or more (in the default build).
pub(crate) const NOTIFY_LIMIT: usize = 8000;

/// One notification.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Notice {
    /// The event itself (boxed: an envelope is large, an outbox id is not).
    Event(Box<Envelope>),
    /// The id of the `broadcast_outbox` row holding the encoded [`Envelope`].
    Outbox(i64),
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
    pub(crate) fn of(b: &Dispatch) -> Result<Self> {
        let envelope = Envelope::of(b).to_json()?;
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
    use support_core::{
        AuthorType, Broadcast, Event, Message, MessageId, StaffEvent, TicketEvent, TicketId, UserId,
    };

    fn message(content: &str) -> Message {
        Message {
            id: MessageId(9),
            ticket_id: TicketId(3),
            author_id: UserId(1),
            author_name: "Alice".into(),
            author_type: AuthorType::Employee,
            content: content.into(),
            is_internal: false,
            attachments: Vec::new(),
            created_at: now(),
        }
    }

    #[test]
    fn a_2000_emoji_message_does_not_fit_a_notification() {
        let b = Dispatch::from(Broadcast {
            event: Event::Ticket(
                TicketId(3),
                TicketEvent::ChatMessage(message(&"😀".repeat(2000)).public().unwrap()),
            ),
            except: None,
        });
        let Outgoing::Outbox(envelope) = Outgoing::of(&b).unwrap() else {
            panic!("a 2000-emoji message went inline");
        };
        let back = Envelope::from_json(&envelope).unwrap().into_dispatch();
        assert_eq!(back.unwrap(), b);

        let small = Dispatch::from(Broadcast {
            event: Event::Staff(StaffEvent::MessageCreated(message("hi"))),
            except: Some("1.2".parse().unwrap()),
        });
        let Outgoing::Inline(payload) = Outgoing::of(&small).unwrap() else {
            panic!("a short message went to the outbox");
        };
        let Notice::Event(envelope) = Notice::parse(&payload).unwrap() else {
            panic!("not an event: {payload}");
        };
        assert_eq!(envelope.into_dispatch().unwrap(), small);

        let notice = Dispatch::DisconnectUser(UserId(101));
        let Outgoing::Inline(payload) = Outgoing::of(&notice).unwrap() else {
            panic!("a disconnect notice went to the outbox");
        };
        assert_eq!(
            payload,
            r#"{"event":{"event":{"kind":"disconnect_user","user_id":101}}}"#
        );
        let Notice::Event(envelope) = Notice::parse(&payload).unwrap() else {
            panic!("not an event: {payload}");
        };
        assert_eq!(envelope.into_dispatch().unwrap(), notice);
        assert!(matches!(
            Notice::parse(r#"{"outbox":42}"#).unwrap(),
            Notice::Outbox(42)
        ));
    }
}
