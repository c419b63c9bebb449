//! Who sees what: internal notes never reach an employee, and an employee sees only their own
//! tickets.

use super::*;

pub async fn internal_notes_are_absent_from_every_employee_read(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "notes", Priority::Medium).await;
    let mut employee_channel = f.hub.subscribe(Channel::Ticket(t.id), None);
    let first = f.say(&f.alice, t.id, "hello").await;
    let note = f.note(&f.sam, t.id, "SECRET internal note").await;
    let last = f.say(&f.sam, t.id, "we are on it").await;

    let view = f.service.show_ticket(&f.alice, t.id).await.unwrap();
    assert_eq!(view.messages, vec![first.clone(), last.clone()]);
    for position in [
        MessagePosition::Latest,
        MessagePosition::After(MessageId(0)),
        MessagePosition::After(first.id),
        MessagePosition::Before(last.id),
        MessagePosition::Before(MessageId(i64::MAX)),
    ] {
        let page = f
            .service
            .messages(&f.alice, t.id, position, Some(200))
            .await
            .unwrap();
        assert!(
            page.iter().all(|m| !m.is_internal && m.id != note.id),
            "{position:?} leaked a note"
        );
    }
    // A page that would have started on the note still holds only public messages.
    let page = f
        .service
        .messages(&f.alice, t.id, MessagePosition::After(first.id), Some(1))
        .await
        .unwrap();
    assert_eq!(page, vec![last]);
    for event in Fixture::drain(&mut employee_channel) {
        assert!(
            !event.payload().to_string().contains("SECRET"),
            "note sent on the ticket channel"
        );
        assert!(event.message().is_none_or(|m| !m.is_internal));
    }
}

pub async fn staff_see_internal_notes_marked_internal(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "notes", Priority::Medium).await;
    f.say(&f.alice, t.id, "hello").await;
    let note = f.note(&f.ada, t.id, "check the VPN logs").await;
    assert!(note.is_internal);
    assert_eq!(note.author_type, AuthorType::Support);
    for staff in f.staff() {
        let view = f.service.show_ticket(staff, t.id).await.unwrap();
        assert_eq!(view.messages.len(), 2);
        assert!(
            view.messages
                .iter()
                .any(|m| m.id == note.id && m.is_internal)
        );
    }
}

pub async fn employee_lists_only_own_tickets(store: Store) {
    let f = Fixture::new(store);
    let a1 = f.ticket(&f.alice, "a1", Priority::Low).await;
    let b1 = f.ticket(&f.bob, "b1", Priority::Urgent).await;
    let a2 = f.ticket(&f.alice, "a2", Priority::High).await;
    let mine = f
        .service
        .my_tickets(&f.alice, false, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(ids(&mine.data), vec![a2.id, a1.id]);
    let bobs = f
        .service
        .my_tickets(&f.bob, false, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(ids(&bobs.data), vec![b1.id]);
    let all = f.list_all(TicketFilter::default()).await;
    assert_eq!(all.len(), 3, "staff see every ticket");
}
