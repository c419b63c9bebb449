//! What the service decides by itself, on a [`MemoryStore`]: the ticket owners it remembers,
//! whom a broadcast leaves out, and which cursors and page sizes it accepts.

use std::sync::Arc;

use crate::testing::Fixture;
use crate::testing::cases::{self, ctx_key, is_not_found};
use crate::*;

fn ctx_socket(socket: &str) -> WriteContext {
    WriteContext {
        idempotency_key: None,
        socket_id: Some(socket.parse().unwrap()),
    }
}

/// The service remembers ticket owners so that posting need not read the ticket. A second
/// service over the same store (another node) starts knowing no owner, learns one from a staff
/// post, and must then decide exactly as if it had read the ticket.
#[tokio::test]
async fn remembered_owners_decide_as_the_ticket_would() {
    let f = Fixture::in_memory();
    let node = SupportService::from_parts(
        f.store.clone(),
        Arc::new(f.hub.clone()),
        f.service.directory().clone(),
    );
    let t = f.ticket(&f.alice, "cached", Priority::Low).await;
    let body = |s: &str| NewMessage::public(MessageBody::parse(s).unwrap());
    let plain = WriteContext::default();

    let staff = node
        .post_message(&f.sam, t.id, body("staff first"), &plain)
        .await
        .unwrap();
    assert_eq!(staff.author_type, AuthorType::Support);
    assert!(
        is_not_found(
            node.post_message(&f.bob, t.id, body("intrude"), &plain)
                .await
        ),
        "another employee, owner remembered"
    );
    assert!(is_not_found(
        node.post_message(&f.bob, t.id, body("intrude"), &ctx_key("bob-1"))
            .await
    ));
    assert!(is_not_found(
        node.messages(&f.bob, t.id, MessagePosition::Latest, None)
            .await
    ));
    assert!(
        node.authorize_channel(&f.bob, &Channel::Ticket(t.id))
            .await
            .is_err()
    );
    let note = NewMessage::internal(MessageBody::parse("let me in").unwrap());
    assert!(matches!(
        node.post_message(&f.alice, t.id, note, &plain).await,
        Err(Error::Forbidden(_))
    ));
    let own = node
        .post_message(&f.alice, t.id, body("owner"), &plain)
        .await
        .unwrap();
    assert_eq!(own.author_type, AuthorType::Employee);
    assert_eq!(
        f.all_messages(&f.sam, t.id).await,
        vec![staff, own],
        "nothing else was written"
    );

    // A missing ticket is not remembered as missing: once it exists, it is found.
    let next = TicketId(t.id.0 + 1);
    assert!(is_not_found(
        node.post_message(&f.sam, next, body("early"), &plain).await
    ));
    assert!(is_not_found(
        node.post_message(&f.sam, next, body("early"), &ctx_key("early"))
            .await
    ));
    let later = f.ticket(&f.bob, "later", Priority::Low).await;
    if later.id == next {
        let m = node
            .post_message(&f.bob, next, body("now it exists"), &plain)
            .await
            .unwrap();
        assert_eq!(m.author_type, AuthorType::Employee);
    }
}

#[tokio::test]
async fn chat_events_leave_out_the_sender_socket() {
    let f = Fixture::in_memory();
    let t = f.ticket(&f.alice, "to others", Priority::Low).await;
    let mut alice_tab = f
        .hub
        .subscribe(Channel::Ticket(t.id), Some("1.1".parse().unwrap()));
    let mut alice_other_tab = f
        .hub
        .subscribe(Channel::Ticket(t.id), Some("1.2".parse().unwrap()));
    let mut sam_tab = f
        .hub
        .subscribe(Channel::Ticket(t.id), Some("2.1".parse().unwrap()));
    let body = NewMessage::public(MessageBody::parse("typed in tab 1").unwrap());
    let m = f
        .service
        .post_message(&f.alice, t.id, body, &ctx_socket("1.1"))
        .await
        .unwrap();
    assert!(
        Fixture::drain(&mut alice_tab).is_empty(),
        "the sender's own socket gets nothing"
    );
    for sub in [&mut alice_other_tab, &mut sam_tab] {
        let got = Fixture::drain(sub);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].payload()["id"], m.id.0);
    }
}

#[tokio::test]
async fn bad_cursors_and_limits_are_rejected() {
    let f = Fixture::in_memory();
    let t = f.ticket(&f.alice, "paging", Priority::Low).await;
    for cursor in ["", "abc", "1.2.3", "1.9.0.0", "1.1.1.1.1", "-.-.-.-"] {
        let page = PageRequest {
            cursor: Some(cursor.to_owned()),
            limit: None,
        };
        match f
            .service
            .list_tickets(&f.sam, TicketFilter::default(), &page)
            .await
        {
            Err(Error::Invalid(e)) => assert!(e.get("cursor").is_some()),
            other => panic!("cursor {cursor:?} gave {other:?}"),
        }
    }
    let zero = PageRequest {
        cursor: None,
        limit: Some(0),
    };
    assert!(matches!(
        f.service.my_tickets(&f.alice, false, &zero).await,
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        f.service
            .messages(&f.alice, t.id, MessagePosition::Latest, Some(0))
            .await,
        Err(Error::Invalid(_))
    ));
    let huge = PageRequest {
        cursor: None,
        limit: Some(u32::MAX),
    };
    assert!(
        f.service.my_tickets(&f.alice, false, &huge).await.is_ok(),
        "over-large limits are clamped"
    );
    assert!(
        f.service
            .messages(
                &f.alice,
                t.id,
                MessagePosition::After(MessageId(i64::MIN)),
                Some(u32::MAX)
            )
            .await
            .is_ok()
    );
}

/// Records the notices a bus hands a node, beside the events, which go to its hub.
#[derive(Default)]
struct Notices {
    hub: MemoryBroadcaster,
    disconnected: std::sync::Mutex<Vec<UserId>>,
}

impl Fanout for Notices {
    fn deliver(&self, dispatch: Dispatch) {
        match dispatch {
            Dispatch::DisconnectUser(user) => self.disconnected.lock().unwrap().push(user),
            other @ (Dispatch::Event(_) | Dispatch::Presence(_)) => self.hub.deliver(other),
        }
    }

    fn resync(&self) {
        self.hub.resync();
    }
}

/// `disconnect_user` goes through the service's broadcaster, here a bus, to every node, and to
/// no channel: the staff channel hears the next event and nothing before it.
#[tokio::test]
async fn disconnect_user_reaches_every_node_and_no_channel() {
    use crate::testing::bus::InProcessBus;
    let f = Fixture::in_memory();
    let bus = InProcessBus::default();
    let (one, two) = (Arc::new(Notices::default()), Arc::new(Notices::default()));
    let node_one = bus.join(one.clone()).await.unwrap();
    let _node_two = bus.join(two.clone()).await.unwrap();
    let service = SupportService::from_parts(
        f.store.clone(),
        node_one.publisher.clone(),
        f.service.directory().clone(),
    );
    let mut staff = two.hub.subscribe(Channel::Admin, None);

    service.disconnect_user(f.alice.id).await.unwrap();
    let t = f.ticket(&f.alice, "after", Priority::Low).await;
    service
        .post_message(
            &f.alice,
            t.id,
            NewMessage::public(MessageBody::parse("still here").unwrap()),
            &WriteContext::default(),
        )
        .await
        .unwrap();

    for node in [&one, &two] {
        assert_eq!(*node.disconnected.lock().unwrap(), [f.alice.id]);
    }
    let first = staff.try_recv().unwrap().unwrap();
    assert_eq!(first.name(), "message.created");
}

/// An employee's reply on a resolved ticket reopens it, and the service says so as a staff
/// change does: `ticket.updated` with the change on the ticket's channel and to staff, then
/// `stats.updated`, all after the message's own events and none to the sender's socket.
#[tokio::test]
async fn a_reopening_reply_broadcasts_ticket_updated_and_stats() {
    let f = Fixture::in_memory();
    let t = f.ticket(&f.alice, "back again", Priority::Low).await;
    f.patch(&f.sam, t.id, cases::status(Status::Resolved)).await;
    let mut ticket_side = f.hub.subscribe(Channel::Ticket(t.id), None);
    let mut staff = f.hub.subscribe(Channel::Admin, None);
    let mut sender = f
        .hub
        .subscribe(Channel::Ticket(t.id), Some("9.9".parse().unwrap()));
    let body = NewMessage::public(MessageBody::parse("not fixed").unwrap());
    f.service
        .post_message(&f.alice, t.id, body, &ctx_socket("9.9"))
        .await
        .unwrap();

    let names = |events: &[Arc<Broadcast>]| events.iter().map(|e| e.name()).collect::<Vec<_>>();
    let ticket_events = Fixture::drain(&mut ticket_side);
    assert_eq!(names(&ticket_events), ["chat.message", "ticket.updated"]);
    let updated = ticket_events[1].payload();
    assert_eq!(updated["ticket"]["status"], "open");
    assert_eq!(
        updated["changes"],
        serde_json::json!([{"field": "status", "before": "resolved", "after": "open"}])
    );
    let staff_events = Fixture::drain(&mut staff);
    assert_eq!(
        names(&staff_events),
        ["message.created", "ticket.updated", "stats.updated"]
    );
    assert_eq!(
        updated["actor"],
        serde_json::json!({"id": f.alice.id, "full_name": "Alice Employee"}),
        "the employee reopened it"
    );
    let trail = f.store.audit_trail(t.id).await.unwrap();
    assert_eq!(
        updated["at"],
        serde_json::to_value(trail.last().unwrap().at).unwrap(),
        "at the time of its audit entry"
    );
    assert_eq!(staff_events[1].payload(), updated);
    assert_eq!(staff_events[2].payload()["stats"]["open"], 1);
    assert!(Fixture::drain(&mut sender).is_empty(), "not to the sender");

    // A staff reply on a resolved ticket sends the message and nothing else.
    f.patch(&f.sam, t.id, cases::status(Status::Resolved)).await;
    Fixture::drain(&mut staff);
    f.say(&f.sam, t.id, "it is fixed now").await;
    assert_eq!(names(&Fixture::drain(&mut staff)), ["message.created"]);
}

/// The sweep publishes `sla.breached` to staff once per ticket and clock, with the payload the
/// contract names; a sweep that finds nothing new sends nothing.
#[tokio::test]
async fn the_sweep_sends_each_breach_once() {
    let f = Fixture::in_memory();
    let short = SlaTarget {
        first_response: std::time::Duration::from_millis(1),
        resolution: std::time::Duration::from_millis(2),
    };
    f.service
        .set_sla_targets(SlaTargets::default().with(Priority::Urgent, short));
    let t = f.ticket(&f.alice, "on fire", Priority::Urgent).await;
    let calm = f.ticket(&f.alice, "later", Priority::Low).await;
    let mut staff = f.hub.subscribe(Channel::Admin, None);
    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    assert_eq!(f.service.sweep_sla().await.unwrap(), 2);
    let got = Fixture::drain(&mut staff);
    let names: Vec<&str> = got.iter().map(|b| b.name()).collect();
    assert_eq!(names, ["sla.breached", "sla.breached"]);
    let first = got[0].payload();
    assert_eq!(first["ticket_id"], t.id.0);
    assert_eq!(first["ticket_number"], t.ticket_number.as_str());
    assert_eq!(first["clock"], "first_response");
    assert_eq!(first["priority"], "urgent");
    assert_eq!(
        first["due_at"],
        serde_json::to_value(t.sla.first_response_due).unwrap()
    );
    assert_eq!(got[1].payload()["clock"], "resolution");
    assert_eq!(f.service.sweep_sla().await.unwrap(), 0);
    assert!(Fixture::drain(&mut staff).is_empty());
    let calm = f.store.ticket(calm.id).await.unwrap().unwrap();
    assert!(!calm.sla.breached);
}
