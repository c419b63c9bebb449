//! Read state: positions that only move forward, kept per user and ticket, and the summaries a
//! list shows a reader (unread count, last message, waiting since) that never count or show an
//! internal note to an employee.

use super::*;
use crate::reads::{ReadPosition, TicketSummary};

fn at(who: &Actor, ticket: TicketId, message: MessageId) -> ReadPosition {
    ReadPosition {
        ticket_id: ticket,
        user_id: who.id,
        message_id: message,
        read_at: time::now(),
    }
}

async fn summary(store: &Store, ticket: TicketId, reader: &Actor, staff: bool) -> TicketSummary {
    let mut found = store
        .ticket_summaries(&[ticket], reader.id, staff)
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "one summary for one ticket");
    found.remove(0)
}

pub async fn read_positions_only_move_forward(store: Store) {
    let f = Fixture::new(store.clone());
    let t = f.ticket(&f.alice, "reads", Priority::Medium).await;
    let m1 = f.say(&f.alice, t.id, "one").await;
    let m2 = f.say(&f.sam, t.id, "two").await;
    let m3 = f.say(&f.sam, t.id, "three").await;

    let first = at(&f.alice, t.id, m2.id);
    let moved = store
        .mark_read(&first)
        .await
        .unwrap()
        .expect("a first read moves");
    assert_eq!(moved.before, None);
    assert_eq!(moved.position, first);

    for lower in [m1.id, m2.id] {
        let again = store.mark_read(&at(&f.alice, t.id, lower)).await.unwrap();
        assert_eq!(again, None, "reading up to {lower} again changes nothing");
    }
    assert_eq!(store.read_positions(t.id).await.unwrap(), vec![first]);

    let last = at(&f.alice, t.id, m3.id);
    let moved = store
        .mark_read(&last)
        .await
        .unwrap()
        .expect("a higher id moves");
    assert_eq!(moved.before, Some(m2.id));
    assert_eq!(store.read_positions(t.id).await.unwrap(), vec![last]);
}

pub async fn read_positions_are_kept_per_user_and_per_ticket(store: Store) {
    let f = Fixture::new(store.clone());
    let t1 = f.ticket(&f.alice, "first", Priority::Medium).await;
    let t2 = f.ticket(&f.alice, "second", Priority::Medium).await;
    let a = f.say(&f.alice, t1.id, "a").await;
    let b = f.say(&f.sam, t1.id, "b").await;
    let c = f.say(&f.alice, t2.id, "c").await;

    let sam_t1 = at(&f.sam, t1.id, a.id);
    let alice_t1 = at(&f.alice, t1.id, b.id);
    let alice_t2 = at(&f.alice, t2.id, c.id);
    for p in [&sam_t1, &alice_t1, &alice_t2] {
        assert!(store.mark_read(p).await.unwrap().is_some());
    }
    // Alice reading further on t1 moves neither Sam's position nor her own on t2.
    assert_eq!(
        store.read_positions(t1.id).await.unwrap(),
        vec![alice_t1, sam_t1],
        "by user id"
    );
    assert_eq!(store.read_positions(t2.id).await.unwrap(), vec![alice_t2]);
    assert_eq!(
        summary(&store, t1.id, &f.alice, false).await.unread_count,
        0
    );
    assert_eq!(summary(&store, t1.id, &f.sam, true).await.unread_count, 0);
    assert_eq!(summary(&store, t2.id, &f.sam, true).await.unread_count, 1);
}

pub async fn unread_counts_and_previews_leave_internal_notes_out_for_employees(store: Store) {
    let f = Fixture::new(store.clone());
    let t = f.ticket(&f.alice, "notes", Priority::High).await;
    f.say(&f.alice, t.id, "hello").await;
    let reply = f.say(&f.sam, t.id, "we are on it").await;
    let note = f.note(&f.sam, t.id, "SECRET internal note").await;

    let employee = summary(&store, t.id, &f.alice, false).await;
    assert_eq!(employee.unread_count, 1, "the reply, not the note");
    let last = employee.last_message.expect("a public message exists");
    assert_eq!(
        (last.id, last.author_type, last.content.as_str()),
        (reply.id, AuthorType::Support, "we are on it")
    );
    assert_eq!(last.created_at, reply.created_at);

    let staff = summary(&store, t.id, &f.ada, true).await;
    assert_eq!(staff.unread_count, 3, "staff count the note too");
    let last = staff.last_message.expect("the note");
    assert_eq!(
        (last.id, last.content.as_str()),
        (note.id, "SECRET internal note")
    );

    // Alice has read everything she can see: the note is no unread message of hers.
    store
        .mark_read(&at(&f.alice, t.id, reply.id))
        .await
        .unwrap();
    assert_eq!(summary(&store, t.id, &f.alice, false).await.unread_count, 0);
    // Ada reading up to the reply leaves the note unread for her.
    store.mark_read(&at(&f.ada, t.id, reply.id)).await.unwrap();
    assert_eq!(summary(&store, t.id, &f.ada, true).await.unread_count, 1);
}

pub async fn own_messages_are_never_unread(store: Store) {
    let f = Fixture::new(store.clone());
    let t = f.ticket(&f.alice, "mine", Priority::Low).await;
    let first = f.say(&f.alice, t.id, "one").await;
    f.say(&f.alice, t.id, "two").await;
    f.say(&f.alice, t.id, "three").await;
    f.note(&f.sam, t.id, "sam's note").await;

    assert_eq!(summary(&store, t.id, &f.alice, false).await.unread_count, 0);
    assert_eq!(
        summary(&store, t.id, &f.sam, true).await.unread_count,
        3,
        "Sam's own note is not unread for him"
    );
    assert_eq!(summary(&store, t.id, &f.ada, true).await.unread_count, 4);
    store.mark_read(&at(&f.sam, t.id, first.id)).await.unwrap();
    assert_eq!(summary(&store, t.id, &f.sam, true).await.unread_count, 2);
}

pub async fn previews_keep_the_first_200_characters(store: Store) {
    let f = Fixture::new(store.clone());
    let t = f.ticket(&f.alice, "long", Priority::Low).await;
    let long: String = "é日🙂".chars().cycle().take(450).collect();
    f.say(&f.alice, t.id, &long).await;
    let last = summary(&store, t.id, &f.sam, true)
        .await
        .last_message
        .unwrap();
    assert_eq!(last.content.chars().count(), 200);
    assert_eq!(last.content, long.chars().take(200).collect::<String>());

    let empty = f.ticket(&f.alice, "quiet", Priority::Low).await;
    assert_eq!(
        summary(&store, empty.id, &f.sam, true).await.last_message,
        None
    );
}

pub async fn waiting_since_is_the_oldest_unanswered_employee_message(store: Store) {
    let f = Fixture::new(store.clone());
    let t = f.ticket(&f.alice, "waiting", Priority::Medium).await;
    let waiting = |s: TicketSummary| s.waiting_since;
    for (reader, staff) in [(&f.alice, false), (&f.sam, true)] {
        assert_eq!(
            waiting(summary(&store, t.id, reader, staff).await),
            Some(t.created_at),
            "no answer yet: waiting since the ticket was opened"
        );
    }
    f.say(&f.alice, t.id, "anyone?").await;
    f.note(&f.sam, t.id, "looking").await;
    assert_eq!(
        waiting(summary(&store, t.id, &f.sam, true).await),
        Some(t.created_at),
        "a note answers nobody"
    );
    f.say(&f.sam, t.id, "here").await;
    for (reader, staff) in [(&f.alice, false), (&f.sam, true)] {
        assert_eq!(waiting(summary(&store, t.id, reader, staff).await), None);
    }
    let again = f.say(&f.alice, t.id, "still broken").await;
    f.say(&f.alice, t.id, "hello?").await;
    f.note(&f.ada, t.id, "escalate").await;
    for (reader, staff) in [(&f.alice, false), (&f.sam, true)] {
        assert_eq!(
            waiting(summary(&store, t.id, reader, staff).await),
            Some(again.created_at),
            "the oldest message since the last public answer"
        );
    }
}

pub async fn summaries_cover_every_ticket_asked_for_and_no_other(store: Store) {
    let f = Fixture::new(store.clone());
    let quiet = f.ticket(&f.alice, "quiet", Priority::Low).await;
    let busy = f.ticket(&f.bob, "busy", Priority::Low).await;
    let other = f.ticket(&f.bob, "other", Priority::Low).await;
    for text in ["a", "b", "c"] {
        f.say(&f.bob, busy.id, text).await;
    }
    f.say(&f.bob, other.id, "x").await;
    let mut found = store
        .ticket_summaries(&[busy.id, TicketId(i64::MAX), quiet.id], f.sam.id, true)
        .await
        .unwrap();
    found.sort_by_key(|s| s.ticket_id);
    let counts: Vec<(TicketId, u64)> = found
        .iter()
        .map(|s| (s.ticket_id, s.unread_count))
        .collect();
    assert_eq!(counts, vec![(quiet.id, 0), (busy.id, 3)]);
    assert!(
        store
            .ticket_summaries(&[], f.sam.id, true)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn read_state_of_an_unknown_ticket(store: Store) {
    let f = Fixture::new(store.clone());
    let t = f.ticket(&f.alice, "known", Priority::Low).await;
    let m = f.say(&f.alice, t.id, "hi").await;
    let missing = TicketId(t.id.get() + 1_000);
    assert!(is_not_found(
        store.mark_read(&at(&f.alice, missing, m.id)).await
    ));
    assert!(store.read_positions(missing).await.unwrap().is_empty());
    assert!(
        store
            .ticket_summaries(&[missing], f.alice.id, false)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn reading_tells_the_ticket_channel_only_public_positions(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "seen", Priority::Medium).await;
    let hello = f.say(&f.alice, t.id, "hello").await;
    let note = f.note(&f.sam, t.id, "SECRET").await;
    let mut ticket_channel = f.hub.subscribe(Channel::Ticket(t.id), None);
    let mut staff_channel = f.hub.subscribe(Channel::Admin, None);
    let ctx = WriteContext::default();
    let reads = |events: Vec<Arc<Broadcast>>| -> Vec<serde_json::Value> {
        events
            .iter()
            .filter(|e| e.name() == "message.read")
            .map(|e| e.payload())
            .collect()
    };

    assert!(
        f.service
            .mark_read(&f.sam, t.id, note.id, &ctx)
            .await
            .unwrap()
    );
    let heard = reads(Fixture::drain(&mut ticket_channel));
    assert_eq!(
        heard,
        vec![serde_json::json!({
            "ticket_id": t.id, "reader_id": f.sam.id, "reader_type": "support",
            "message_id": hello.id,
        })],
        "clamped to the last public message"
    );
    let staff = reads(Fixture::drain(&mut staff_channel));
    assert_eq!(staff.len(), 1);
    assert_eq!(staff[0]["message_id"], serde_json::json!(note.id));

    // Another note read: the position moves, the public one does not: staff hear it, the
    // ticket channel hears nothing.
    let note2 = f.note(&f.ada, t.id, "SECRET 2").await;
    Fixture::drain(&mut staff_channel);
    assert!(
        f.service
            .mark_read(&f.sam, t.id, note2.id, &ctx)
            .await
            .unwrap()
    );
    assert!(reads(Fixture::drain(&mut ticket_channel)).is_empty());
    assert_eq!(reads(Fixture::drain(&mut staff_channel)).len(), 1);

    // A lower id changes and sends nothing.
    assert!(
        !f.service
            .mark_read(&f.sam, t.id, hello.id, &ctx)
            .await
            .unwrap()
    );
    assert!(reads(Fixture::drain(&mut ticket_channel)).is_empty());
    assert!(reads(Fixture::drain(&mut staff_channel)).is_empty());

    // The employee may not mark a note read (it is no message of hers), nor Bob her ticket.
    let refused = f.service.mark_read(&f.alice, t.id, note.id, &ctx).await;
    assert!(
        matches!(refused, Err(Error::Invalid(ref e)) if e.get("message_id").is_some()),
        "{refused:?}"
    );
    assert!(is_not_found(
        f.service.mark_read(&f.bob, t.id, hello.id, &ctx).await
    ));
    // Nor read the summaries of a ticket that is not hers.
    assert!(is_not_found(
        f.service
            .ticket_summaries(&f.bob, std::slice::from_ref(&t))
            .await
    ));

    // The reader's own socket does not hear its read; her other tab does.
    let socket: SocketId = "7.7".parse().unwrap();
    let mut own_tab = f.hub.subscribe(Channel::Ticket(t.id), Some(socket.clone()));
    let from_tab = WriteContext {
        idempotency_key: None,
        socket_id: Some(socket),
    };
    assert!(
        f.service
            .mark_read(&f.alice, t.id, hello.id, &from_tab)
            .await
            .unwrap()
    );
    assert!(reads(Fixture::drain(&mut own_tab)).is_empty());
    let heard = reads(Fixture::drain(&mut ticket_channel));
    assert_eq!(heard.len(), 1);
    assert_eq!(heard[0]["reader_type"], "employee");

    let receipts = f.service.read_receipts(&f.alice, &t).await.unwrap();
    assert_eq!(receipts.employee.map(|r| r.message_id), Some(hello.id));
    assert_eq!(receipts.staff.map(|r| r.message_id), Some(hello.id));
    let receipts = f.service.read_receipts(&f.ada, &t).await.unwrap();
    assert_eq!(receipts.staff.map(|r| r.message_id), Some(note2.id));
}
