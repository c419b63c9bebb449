//! Ticket versions: every change of a ticket's own fields bumps it, and a change made from a
//! stale version is refused in the store's transaction.

use super::*;

pub async fn a_stale_version_is_refused_and_writes_nothing(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "collide", Priority::Low).await;
    assert_eq!(t.version, 1, "a new ticket is at 1");
    let plain = WriteContext::default();
    let took = f
        .service
        .update_ticket_from(
            &f.sam,
            t.id,
            TicketPatch {
                assigned_to: Some(Some(f.sam.id)),
                ..TicketPatch::default()
            },
            Some(1),
            &plain,
        )
        .await
        .unwrap();
    assert_eq!(took.version, 2);
    let trail = f.store.audit_trail(t.id).await.unwrap();
    let mut admin = f.hub.subscribe(Channel::Admin, None);
    let mut ticket_side = f.hub.subscribe(Channel::Ticket(t.id), None);

    let late = f
        .service
        .update_ticket_from(&f.ada, t.id, status(Status::Resolved), Some(1), &plain)
        .await;
    match late {
        Err(Error::Stale(now)) => assert_eq!(*now, took, "the conflict carries the ticket now"),
        other => panic!("a change from version 1 of a ticket at 2 gave {other:?}"),
    }
    assert_eq!(f.store.ticket(t.id).await.unwrap().unwrap(), took);
    assert_eq!(f.store.audit_trail(t.id).await.unwrap(), trail);
    assert!(Fixture::drain(&mut admin).is_empty());
    assert!(Fixture::drain(&mut ticket_side).is_empty());
    // With a key, the refused change records no key either: the same key applies later.
    let keyed = f
        .service
        .update_ticket_from(
            &f.ada,
            t.id,
            status(Status::Resolved),
            Some(1),
            &ctx_key("v-1"),
        )
        .await;
    assert!(matches!(keyed, Err(Error::Stale(_))), "{keyed:?}");
    let applied = f
        .service
        .update_ticket_from(
            &f.ada,
            t.id,
            status(Status::Resolved),
            Some(2),
            &ctx_key("v-1"),
        )
        .await
        .unwrap();
    assert_eq!((applied.status, applied.version), (Status::Resolved, 3));
}

pub async fn versions_count_changes_of_the_ticket_not_its_messages(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "count", Priority::Low).await;
    f.say(&f.alice, t.id, "hello").await;
    f.say(&f.sam, t.id, "hi").await;
    f.note(&f.sam, t.id, "note").await;
    assert_eq!(
        f.store.ticket(t.id).await.unwrap().unwrap().version,
        1,
        "messages leave it"
    );
    let same = TicketPatch {
        status: Some(Status::Open),
        priority: Some(Priority::Low),
        assigned_to: Some(None),
    };
    assert_eq!(f.patch(&f.sam, t.id, same).await.version, 1, "a no-op too");
    let two_fields = TicketPatch {
        status: Some(Status::InProgress),
        priority: Some(Priority::High),
        assigned_to: None,
    };
    assert_eq!(
        f.patch(&f.sam, t.id, two_fields).await.version,
        2,
        "one change, one version, however many fields"
    );
    assert_eq!(
        f.patch(&f.sam, t.id, status(Status::Resolved))
            .await
            .version,
        3
    );
    f.say(&f.alice, t.id, "it broke again").await;
    let reopened = f.store.ticket(t.id).await.unwrap().unwrap();
    assert_eq!(
        (reopened.status, reopened.version),
        (Status::Open, 4),
        "a reopening reply is a change"
    );
    let listed = f.list_all(TicketFilter::default()).await;
    assert_eq!(listed[0].version, 4, "lists carry it too");
}
