//! Retries: a create or an append that carries an `Idempotency-Key` the same user used before
//! answers the first result and stores nothing; the same key on another request conflicts.

use std::collections::BTreeSet;

use super::*;

pub async fn create_ticket_is_idempotent_by_key(store: Store) {
    let f = Fixture::new(store);
    let input = Fixture::ticket_input("Printer jam", Priority::Medium);
    let first = f
        .service
        .create_ticket(&f.alice, input.clone(), &ctx_key("k-1"))
        .await
        .unwrap();
    let mut admin = f.hub.subscribe(Channel::Admin, None);
    let again = f
        .service
        .create_ticket(&f.alice, input, &ctx_key("k-1"))
        .await
        .unwrap();
    assert_eq!(first, again, "a retry answers the first result");
    assert_eq!(
        f.list_all(TicketFilter::default()).await.len(),
        1,
        "stored once"
    );
    assert_eq!(f.store.audit_trail(first.id).await.unwrap().len(), 1);
    assert_eq!(f.store.stats().await.unwrap().open, 1);
    assert!(
        Fixture::drain(&mut admin).is_empty(),
        "a retry broadcasts nothing"
    );
}

pub async fn idempotency_key_reused_for_a_different_request_conflicts(store: Store) {
    let f = Fixture::new(store);
    let t = f
        .service
        .create_ticket(
            &f.alice,
            Fixture::ticket_input("A", Priority::Low),
            &ctx_key("same"),
        )
        .await
        .unwrap();
    let other = f
        .service
        .create_ticket(
            &f.alice,
            Fixture::ticket_input("B", Priority::Low),
            &ctx_key("same"),
        )
        .await;
    assert!(matches!(other, Err(Error::Conflict(_))), "{other:?}");

    let body = |s: &str| NewMessage::public(MessageBody::parse(s).unwrap());
    f.service
        .post_message(&f.alice, t.id, body("one"), &ctx_key("m"))
        .await
        .unwrap();
    let changed = f
        .service
        .post_message(&f.alice, t.id, body("two"), &ctx_key("m"))
        .await;
    assert!(matches!(changed, Err(Error::Conflict(_))), "{changed:?}");
    let ticket_key_on_message = f
        .service
        .post_message(&f.alice, t.id, body("three"), &ctx_key("same"))
        .await;
    assert!(
        matches!(ticket_key_on_message, Err(Error::Conflict(_))),
        "{ticket_key_on_message:?}"
    );
    assert_eq!(
        f.all_messages(&f.sam, t.id).await.len(),
        1,
        "conflicting retries store nothing"
    );
    assert_eq!(f.list_all(TicketFilter::default()).await.len(), 1);
}

pub async fn idempotency_keys_are_scoped_per_user(store: Store) {
    let f = Fixture::new(store);
    let input = Fixture::ticket_input("Same words", Priority::Low);
    let a = f
        .service
        .create_ticket(&f.alice, input.clone(), &ctx_key("shared"))
        .await
        .unwrap();
    let b = f
        .service
        .create_ticket(&f.bob, input, &ctx_key("shared"))
        .await
        .unwrap();
    assert_ne!(a.id, b.id, "another user's key is not a retry");
    assert_eq!(b.employee_id, f.bob.id);
}

pub async fn concurrent_retries_with_one_key_store_once(store: Store) {
    let f = Arc::new(Fixture::new(store));
    let t = f.ticket(&f.alice, "retries", Priority::Low).await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let f = f.clone();
        tasks.push(tokio::spawn(async move {
            let body = NewMessage::public(MessageBody::parse("only once").unwrap());
            f.service
                .post_message(&f.alice, t.id, body, &ctx_key("burst"))
                .await
        }));
    }
    let mut answered = BTreeSet::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(m) => {
                answered.insert(m.id);
            }
            // A store may refuse a racing duplicate as a conflict; it must never store it twice.
            Err(Error::Conflict(_)) => {}
            Err(e) => panic!("unexpected error {e:?}"),
        }
    }
    assert_eq!(
        answered.len(),
        1,
        "every successful retry answers the same message"
    );
    assert_eq!(f.all_messages(&f.sam, t.id).await.len(), 1);
}

pub async fn quick_chat_is_idempotent_by_key(store: Store) {
    let f = Fixture::new(store);
    let chat = QuickChat::from_json(&serde_json::json!({"message": "help"})).unwrap();
    let first = f
        .service
        .quick_chat(&f.alice, chat.clone(), &ctx_key("qc"))
        .await
        .unwrap();
    let again = f
        .service
        .quick_chat(&f.alice, chat, &ctx_key("qc"))
        .await
        .unwrap();
    assert_eq!(first, again);
    assert_eq!(f.list_all(TicketFilter::default()).await.len(), 1);
    assert_eq!(f.all_messages(&f.alice, first.0.id).await.len(), 1);
}

pub async fn append_is_idempotent_by_key(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "dup", Priority::Low).await;
    let body = NewMessage::public(MessageBody::parse("Are you there?").unwrap());
    let first = f
        .service
        .post_message(&f.alice, t.id, body.clone(), &ctx_key("m-1"))
        .await
        .unwrap();
    let mut channel = f.hub.subscribe(Channel::Ticket(t.id), None);
    let again = f
        .service
        .post_message(&f.alice, t.id, body, &ctx_key("m-1"))
        .await
        .unwrap();
    assert_eq!(first, again);
    assert_eq!(f.all_messages(&f.sam, t.id).await, vec![first]);
    assert!(
        Fixture::drain(&mut channel).is_empty(),
        "a retry is not broadcast again"
    );
}

pub async fn update_is_idempotent_by_key(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "retry my change", Priority::Low).await;
    let mut admin = f.hub.subscribe(Channel::Admin, None);
    let mut channel = f.hub.subscribe(Channel::Ticket(t.id), None);
    let first = f
        .service
        .update_ticket(&f.sam, t.id, status(Status::InProgress), &ctx_key("p1"))
        .await
        .unwrap();
    assert_eq!(first.status, Status::InProgress);
    assert!(!Fixture::drain(&mut admin).is_empty());
    assert!(!Fixture::drain(&mut channel).is_empty());
    let trail = f.store.audit_trail(t.id).await.unwrap();
    assert_eq!(trail.len(), 2, "creation and the change");

    let retry = f
        .service
        .update_ticket(&f.sam, t.id, status(Status::InProgress), &ctx_key("p1"))
        .await
        .unwrap();
    assert_eq!(retry, first, "the retry answers the first result");
    assert_eq!(
        f.store.audit_trail(t.id).await.unwrap(),
        trail,
        "no second entry"
    );
    assert!(Fixture::drain(&mut admin).is_empty(), "no second broadcast");
    assert!(
        Fixture::drain(&mut channel).is_empty(),
        "no second broadcast"
    );

    // Someone else reopens it; a late retry of the first change does not apply it again.
    let reopened = f.patch(&f.ada, t.id, status(Status::Open)).await;
    Fixture::drain(&mut admin);
    let late = f
        .service
        .update_ticket(&f.sam, t.id, status(Status::InProgress), &ctx_key("p1"))
        .await
        .unwrap();
    assert_eq!(
        late, reopened,
        "answered as the ticket is, not changed twice"
    );
    assert_eq!(f.store.audit_trail(t.id).await.unwrap().len(), 3);
    assert!(Fixture::drain(&mut admin).is_empty());

    // A keyed change that changes nothing is remembered too, and sends nothing.
    let same = status(Status::Open);
    for _ in 0..2 {
        let answer = f
            .service
            .update_ticket(&f.sam, t.id, same.clone(), &ctx_key("noop"))
            .await
            .unwrap();
        assert_eq!(answer, reopened);
    }
    assert_eq!(f.store.audit_trail(t.id).await.unwrap().len(), 3);
    assert!(Fixture::drain(&mut admin).is_empty());
}

pub async fn update_key_reused_for_a_different_request_conflicts(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "first", Priority::Low).await;
    let u = f.ticket(&f.alice, "second", Priority::Low).await;
    let resolved = f
        .service
        .update_ticket(&f.sam, t.id, status(Status::Resolved), &ctx_key("k"))
        .await
        .unwrap();
    let conflict = |r: &Result<Ticket>| matches!(r, Err(Error::Conflict(_)));

    let other_change = TicketPatch {
        priority: Some(Priority::High),
        ..TicketPatch::default()
    };
    let r = f
        .service
        .update_ticket(&f.sam, t.id, other_change.clone(), &ctx_key("k"))
        .await;
    assert!(conflict(&r), "{r:?}");
    let r = f
        .service
        .update_ticket(&f.sam, u.id, status(Status::Resolved), &ctx_key("k"))
        .await;
    assert!(conflict(&r), "another ticket: {r:?}");
    assert_eq!(f.store.ticket(t.id).await.unwrap(), Some(resolved.clone()));
    assert_eq!(f.store.ticket(u.id).await.unwrap(), Some(u.clone()));

    // A message's key is not a change's, and the other way round.
    let body = NewMessage::public(MessageBody::parse("noted").unwrap());
    f.service
        .post_message(&f.sam, t.id, body.clone(), &ctx_key("m"))
        .await
        .unwrap();
    let r = f
        .service
        .update_ticket(&f.sam, t.id, other_change.clone(), &ctx_key("m"))
        .await;
    assert!(conflict(&r), "{r:?}");
    let r = f
        .service
        .post_message(&f.sam, t.id, body, &ctx_key("k"))
        .await;
    assert!(matches!(r, Err(Error::Conflict(_))), "{r:?}");
    let r = f
        .service
        .create_ticket(
            &f.sam,
            Fixture::ticket_input("staff too", Priority::Low),
            &ctx_key("k"),
        )
        .await;
    assert!(conflict(&r), "{r:?}");

    // Keys are per user: Ada's "k" is hers.
    let high = f
        .service
        .update_ticket(&f.ada, t.id, other_change, &ctx_key("k"))
        .await
        .unwrap();
    assert_eq!(high.priority, Priority::High);
    assert_eq!(
        f.store.audit_trail(t.id).await.unwrap().len(),
        3,
        "creation, resolved, priority"
    );
}

pub async fn concurrent_update_retries_with_one_key_apply_once(store: Store) {
    let f = Arc::new(Fixture::new(store));
    let t = f.ticket(&f.alice, "double click", Priority::Low).await;
    let mut admin = f.hub.subscribe(Channel::Admin, None);
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let f = f.clone();
        tasks.push(tokio::spawn(async move {
            f.service
                .update_ticket(&f.sam, t.id, status(Status::Pending), &ctx_key("once"))
                .await
        }));
    }
    for task in tasks {
        let answer = task.await.unwrap().unwrap();
        assert_eq!(answer.status, Status::Pending);
    }
    let trail = f.store.audit_trail(t.id).await.unwrap();
    assert_eq!(trail.len(), 2, "one change recorded: {trail:?}");
    let updated = Fixture::drain(&mut admin)
        .iter()
        .filter(|b| b.name() == "ticket.updated")
        .count();
    assert_eq!(updated, 1, "one broadcast");
}
