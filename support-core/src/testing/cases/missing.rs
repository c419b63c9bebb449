//! Ids that do not exist: writes to them are `NotFound`, reads of them are empty.

use super::*;

pub async fn writes_to_a_missing_ticket_are_not_found(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "exists", Priority::Low).await;
    let missing = TicketId(t.id.0 + 10_000);
    assert!(is_not_found(
        f.service
            .update_ticket(
                &f.sam,
                missing,
                status(Status::Closed),
                &WriteContext::default()
            )
            .await
    ));
    let body = NewMessage::public(MessageBody::parse("hello?").unwrap());
    assert!(is_not_found(
        f.service
            .post_message(&f.sam, missing, body.clone(), &WriteContext::default())
            .await
    ));
    assert!(is_not_found(
        f.service
            .post_message(&f.sam, missing, body.clone(), &ctx_key("to-nowhere"))
            .await
    ));
    // The store itself refuses too, without the service's check in front of it.
    let draft = store::MessageDraft {
        ticket_id: missing,
        author: store::Author::of(&f.sam),
        author_type: AuthorType::Support,
        message: body,
        attachments: Vec::new(),
        idempotency_key: None,
        at: time::now(),
    };
    assert!(is_not_found(f.store.append_message(&draft).await));
    let keyed = store::MessageDraft {
        idempotency_key: Some("to-nowhere".parse().unwrap()),
        ..draft
    };
    assert!(is_not_found(f.store.append_message(&keyed).await));
    let change = store::TicketChange {
        patch: status(Status::Closed),
        author: store::Author::of(&f.sam),
        idempotency_key: None,
        expected_version: None,
        at: time::now(),
        sla: Default::default(),
    };
    assert!(
        f.store
            .update_ticket(missing, &change)
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn reads_of_unknown_ids_are_empty(store: Store) {
    let f = Fixture::new(store);
    assert!(f.store.ticket(TicketId(42)).await.unwrap().is_none());
    assert!(f.store.ticket(TicketId(-1)).await.unwrap().is_none());
    let q = store::MessageQuery {
        ticket_id: TicketId(42),
        position: MessagePosition::Latest,
        limit: 10,
        include_internal: true,
    };
    assert!(f.store.messages(&q).await.unwrap().is_empty());
    assert!(f.store.audit_trail(TicketId(42)).await.unwrap().is_empty());
    assert_eq!(f.store.stats().await.unwrap(), Stats::default());
    f.store.ping().await.unwrap();
}
