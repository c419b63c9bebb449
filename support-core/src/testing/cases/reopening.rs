//! An employee's reply reopens a resolved or closed ticket, in the append's own transaction.

use super::*;

/// The status changes of a ticket's audit trail, with who made them.
async fn status_changes(f: &Fixture, id: TicketId) -> Vec<(UserId, Status, Status)> {
    f.store
        .audit_trail(id)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.change {
            Change::Status { before, after } => Some((e.actor_id, before, after)),
            _ => None,
        })
        .collect()
}

fn draft(who: &Actor, side: AuthorType, ticket: TicketId, text: &str) -> store::MessageDraft {
    store::MessageDraft {
        ticket_id: ticket,
        author: store::Author::of(who),
        author_type: side,
        message: NewMessage::public(MessageBody::parse(text).unwrap()),
        attachments: Vec::new(),
        idempotency_key: None,
        at: time::now(),
    }
}

pub async fn an_employee_reply_reopens_a_resolved_or_closed_ticket(store: Store) {
    let f = Fixture::new(store);
    for finished in [Status::Resolved, Status::Closed] {
        let t = f.ticket(&f.alice, "came back", Priority::High).await;
        let done = f.patch(&f.sam, t.id, status(finished)).await;
        assert!(done.resolved_at.is_some());

        let appended = f
            .store
            .append_message(&draft(&f.alice, AuthorType::Employee, t.id, "still broken"))
            .await
            .unwrap();
        let store::Created::New(store::Appended { message, reopened }) = appended else {
            panic!("a new message")
        };
        let update = reopened.expect("the store says it reopened the ticket");
        assert_eq!(update.before.status, finished);
        assert_eq!(
            update.changes,
            vec![Change::Status {
                before: finished,
                after: Status::Open
            }]
        );
        let now = f.store.ticket(t.id).await.unwrap().unwrap();
        assert_eq!(update.after, now, "the answer is the row as stored");
        assert_eq!(now.status, Status::Open);
        assert_eq!(now.resolved_at, None, "leaving resolved clears resolved_at");
        assert_eq!(now.updated_at, message.created_at);
        assert_eq!(
            status_changes(&f, t.id).await.last(),
            Some(&(f.alice.id, finished, Status::Open)),
            "{finished}: the reopening is in the audit trail, by the employee"
        );
        let trail = f.store.audit_trail(t.id).await.unwrap();
        let last = trail.last().unwrap();
        assert_eq!(
            (last.actor_name.as_str(), last.at),
            ("Alice Employee", message.created_at)
        );
        let queue = f
            .service
            .dashboard(&f.sam, &PageRequest::default())
            .await
            .unwrap();
        assert!(
            queue.tickets.data.iter().any(|q| q.id == t.id),
            "{finished}: back on the staff queue"
        );
    }
    assert_eq!(f.store.stats().await.unwrap(), {
        let all = f.list_all(TicketFilter::default()).await;
        Stats::count(all.iter())
    });
}

pub async fn only_an_employee_reply_on_a_finished_ticket_reopens_it(store: Store) {
    let f = Fixture::new(store);
    for active in [Status::Open, Status::InProgress, Status::Pending] {
        let t = f.ticket(&f.alice, "active", Priority::Low).await;
        f.patch(&f.sam, t.id, status(active)).await;
        let changes = status_changes(&f, t.id).await;
        let r = f
            .store
            .append_message(&draft(&f.alice, AuthorType::Employee, t.id, "any news?"))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(r.reopened, None, "{active}");
        assert_eq!(f.store.ticket(t.id).await.unwrap().unwrap().status, active);
        assert_eq!(status_changes(&f, t.id).await, changes, "{active}");
    }
    let t = f.ticket(&f.alice, "done", Priority::Low).await;
    let resolved = f.patch(&f.sam, t.id, status(Status::Resolved)).await;
    let trail = f.store.audit_trail(t.id).await.unwrap();
    f.say(&f.sam, t.id, "glad it works").await;
    f.note(&f.hana, t.id, "closing soon").await;
    let r = f
        .store
        .append_message(&draft(&f.ada, AuthorType::Support, t.id, "staff again"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.reopened, None);
    let now = f.store.ticket(t.id).await.unwrap().unwrap();
    assert_eq!(
        (now.status, now.resolved_at),
        (Status::Resolved, resolved.resolved_at),
        "staff replies and notes leave it resolved"
    );
    assert_eq!(f.store.audit_trail(t.id).await.unwrap(), trail);
}

pub async fn a_replayed_reply_reopens_nothing_twice(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "retry", Priority::Medium).await;
    f.patch(&f.sam, t.id, status(Status::Resolved)).await;
    let keyed = store::MessageDraft {
        idempotency_key: Some("reply-1".parse().unwrap()),
        ..draft(&f.alice, AuthorType::Employee, t.id, "it broke again")
    };
    let first = f.store.append_message(&keyed).await.unwrap();
    assert!(first.is_new());
    let first = first.into_inner();
    assert!(first.reopened.is_some(), "a keyed reply reopens too");
    f.patch(&f.sam, t.id, status(Status::Resolved)).await;
    let trail = f.store.audit_trail(t.id).await.unwrap();

    let again = f.store.append_message(&keyed).await.unwrap();
    assert!(!again.is_new());
    let again = again.into_inner();
    assert_eq!(again.message, first.message);
    assert_eq!(again.reopened, None);
    assert_eq!(
        f.store.ticket(t.id).await.unwrap().unwrap().status,
        Status::Resolved
    );
    assert_eq!(f.store.audit_trail(t.id).await.unwrap(), trail);
    assert_eq!(
        status_changes(&f, t.id).await,
        vec![
            (f.sam.id, Status::Open, Status::Resolved),
            (f.alice.id, Status::Resolved, Status::Open),
            (f.sam.id, Status::Open, Status::Resolved),
        ]
    );
}

/// Staff resolve while the employee writes: each reply either comes before a resolve (which
/// then stands) or reopens what it finds. The audit trail's status changes always chain (each
/// starts where the previous ended) and end at the ticket's status: a reopening that read a
/// stale status would break the chain.
pub async fn replies_racing_resolves_always_leave_a_consistent_trail(store: Store) {
    let f = Arc::new(Fixture::new(store));
    let t = f.ticket(&f.alice, "race", Priority::Low).await;
    for round in 0..6 {
        let mut tasks = Vec::new();
        for i in 0..4 {
            let staff = f.clone();
            tasks.push(tokio::spawn(async move {
                let f = staff;
                let next = if i % 2 == 0 {
                    Status::Resolved
                } else {
                    Status::Closed
                };
                f.patch(&f.sam, t.id, status(next)).await;
            }));
            let employee = f.clone();
            tasks.push(tokio::spawn(async move {
                let f = employee;
                f.say(&f.alice, t.id, &format!("round {round} reply {i}"))
                    .await;
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let changes = status_changes(&f, t.id).await;
        let mut at = Status::Open;
        for (_, before, after) in &changes {
            assert_eq!(*before, at, "round {round}: {changes:?}");
            at = *after;
        }
        let now = f.store.ticket(t.id).await.unwrap().unwrap();
        assert_eq!(now.status, at, "round {round}");
        assert_eq!(now.resolved_at.is_none(), now.status.is_active());
    }
}
