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

pub async fn employee_cannot_write_internal_notes(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "mine", Priority::Low).await;
    let note = NewMessage::internal(MessageBody::parse("let me in").unwrap());
    let r = f
        .service
        .post_message(&f.alice, t.id, note, &WriteContext::default())
        .await;
    assert!(matches!(r, Err(Error::Forbidden(_))), "{r:?}");
    assert!(f.all_messages(&f.sam, t.id).await.is_empty());
}

pub async fn employee_lists_only_own_tickets(store: Store) {
    let f = Fixture::new(store);
    let a1 = f.ticket(&f.alice, "a1", Priority::Low).await;
    let b1 = f.ticket(&f.bob, "b1", Priority::Urgent).await;
    let a2 = f.ticket(&f.alice, "a2", Priority::High).await;
    let mine = f
        .service
        .my_tickets(&f.alice, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(ids(&mine.data), vec![a2.id, a1.id]);
    let bobs = f
        .service
        .my_tickets(&f.bob, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(ids(&bobs.data), vec![b1.id]);
    let all = f.list_all(TicketFilter::default()).await;
    assert_eq!(all.len(), 3, "staff see every ticket");
}

pub async fn another_employees_ticket_is_not_found_by_any_route(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "private", Priority::Low).await;
    f.say(&f.alice, t.id, "my secret").await;
    assert!(is_not_found(f.service.show_ticket(&f.bob, t.id).await));
    assert!(is_not_found(
        f.service
            .messages(&f.bob, t.id, MessagePosition::Latest, None)
            .await
    ));
    let body = NewMessage::public(MessageBody::parse("intrude").unwrap());
    assert!(is_not_found(
        f.service
            .post_message(&f.bob, t.id, body, &WriteContext::default())
            .await
    ));
    let missing = TicketId(t.id.0 + 1000);
    assert!(
        is_not_found(f.service.show_ticket(&f.bob, missing).await),
        "missing and foreign look the same"
    );
    assert!(
        f.service
            .authorize_channel(&f.bob, &Channel::Ticket(t.id))
            .await
            .is_err()
    );
    assert_eq!(
        f.all_messages(&f.alice, t.id).await.len(),
        1,
        "nothing was written"
    );
}

/// The service remembers ticket owners so that posting need not read the ticket. A second
/// service over the same store (another node) starts knowing no owner, learns one from a staff
/// post, and must then decide exactly as if it had read the ticket.
pub async fn remembered_owners_decide_as_the_ticket_would(store: Store) {
    let f = Fixture::new(store);
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

pub async fn staff_operations_are_forbidden_to_employees(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "mine", Priority::Low).await;
    let forbidden = |r: Result<()>| matches!(r, Err(Error::Forbidden(_)));
    let s = &f.service;
    let p = PageRequest::default();
    assert!(forbidden(s.dashboard(&f.alice, &p).await.map(drop)));
    assert!(forbidden(
        s.list_tickets(&f.alice, TicketFilter::default(), &p)
            .await
            .map(drop)
    ));
    assert!(forbidden(s.stats(&f.alice).await.map(drop)));
    assert!(forbidden(s.audit_trail(&f.alice, t.id).await.map(drop)));
    assert!(forbidden(
        s.update_ticket(
            &f.alice,
            t.id,
            status(Status::Resolved),
            &WriteContext::default()
        )
        .await
        .map(drop)
    ));
    assert_eq!(
        f.store.ticket(t.id).await.unwrap().unwrap().status,
        Status::Open,
        "own ticket unchanged"
    );
    for staff in f.staff() {
        assert!(s.dashboard(staff, &p).await.is_ok());
        assert!(s.stats(staff).await.is_ok());
    }
}
