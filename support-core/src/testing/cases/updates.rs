//! Staff changes of status, priority and assignment, and the audit trail they leave.

use super::*;

pub async fn resolving_sets_resolved_at_and_reopening_clears_it(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "fix me", Priority::Medium).await;
    let resolved = f.patch(&f.sam, t.id, status(Status::Resolved)).await;
    let at = resolved.resolved_at.expect("resolved_at set");
    assert!(at >= t.created_at);
    assert_eq!(
        f.store.ticket(t.id).await.unwrap().unwrap().resolved_at,
        Some(at)
    );
    let closed = f.patch(&f.sam, t.id, status(Status::Closed)).await;
    assert_eq!(
        closed.resolved_at,
        Some(at),
        "closing keeps the resolution time"
    );
    let reopened = f.patch(&f.sam, t.id, status(Status::Open)).await;
    assert_eq!(reopened.resolved_at, None);
    assert_eq!(
        f.store.ticket(t.id).await.unwrap().unwrap().resolved_at,
        None
    );
}

pub async fn assignment_only_to_existing_staff(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "assign", Priority::Low).await;
    let to = |id: Option<UserId>| TicketPatch {
        assigned_to: Some(id),
        ..TicketPatch::default()
    };
    for bad in [Some(f.bob.id), Some(f.alice.id), Some(UserId(9999))] {
        let r = f
            .service
            .update_ticket(&f.ada, t.id, to(bad), &WriteContext::default())
            .await;
        match r {
            Err(Error::Invalid(e)) => assert!(e.get("assigned_to").is_some(), "{e:?}"),
            other => panic!("assigning to {bad:?} gave {other:?}"),
        }
    }
    assert_eq!(
        f.store.ticket(t.id).await.unwrap().unwrap().assigned_to,
        None
    );
    for staff in f.staff() {
        let t2 = f.patch(&f.ada, t.id, to(Some(staff.id))).await;
        assert_eq!(t2.assigned_to, Some(staff.id));
    }
    assert_eq!(
        f.patch(&f.sam, t.id, to(None)).await.assigned_to,
        None,
        "null unassigns"
    );
}

pub async fn updates_record_audit_entries_with_before_and_after(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "audit", Priority::Low).await;
    f.patch(
        &f.sam,
        t.id,
        TicketPatch {
            status: Some(Status::InProgress),
            priority: Some(Priority::High),
            assigned_to: Some(Some(f.sam.id)),
        },
    )
    .await;
    f.patch(&f.ada, t.id, status(Status::Resolved)).await;
    let trail = f.service.audit_trail(&f.hana, t.id).await.unwrap();
    let changes: Vec<_> = trail
        .iter()
        .map(|e| (e.actor_id, e.change.clone()))
        .collect();
    assert_eq!(
        changes,
        vec![
            (
                f.alice.id,
                Change::Created {
                    status: Status::Open,
                    priority: Priority::Low,
                    category: Category::It
                }
            ),
            (
                f.sam.id,
                Change::Status {
                    before: Status::Open,
                    after: Status::InProgress
                }
            ),
            (
                f.sam.id,
                Change::Priority {
                    before: Priority::Low,
                    after: Priority::High
                }
            ),
            (
                f.sam.id,
                Change::AssignedTo {
                    before: None,
                    after: Some(f.sam.id)
                }
            ),
            (
                f.ada.id,
                Change::Status {
                    before: Status::InProgress,
                    after: Status::Resolved
                }
            ),
        ]
    );
    assert_eq!(trail[1].actor_name, "Sam Support");
    assert!(
        trail
            .windows(2)
            .all(|w| w[0].id < w[1].id && w[0].at <= w[1].at)
    );
}

pub async fn an_update_that_changes_nothing_records_and_sends_nothing(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "same", Priority::Low).await;
    let mut admin = f.hub.subscribe(Channel::Admin, None);
    let same = TicketPatch {
        status: Some(Status::Open),
        priority: Some(Priority::Low),
        assigned_to: Some(None),
    };
    let after = f.patch(&f.sam, t.id, same).await;
    assert_eq!(after, t);
    assert_eq!(f.patch(&f.sam, t.id, TicketPatch::default()).await, t);
    assert_eq!(
        f.store.audit_trail(t.id).await.unwrap().len(),
        1,
        "only the creation"
    );
    assert!(Fixture::drain(&mut admin).is_empty());
}

pub async fn concurrent_updates_lose_no_change(store: Store) {
    let f = Arc::new(Fixture::new(store));
    let t = f.ticket(&f.alice, "contended", Priority::Low).await;
    let patches = [
        TicketPatch {
            status: Some(Status::InProgress),
            ..TicketPatch::default()
        },
        TicketPatch {
            priority: Some(Priority::Urgent),
            ..TicketPatch::default()
        },
        TicketPatch {
            assigned_to: Some(Some(f.hana.id)),
            ..TicketPatch::default()
        },
    ];
    let mut tasks = Vec::new();
    for p in patches {
        let f = f.clone();
        tasks.push(tokio::spawn(async move { f.patch(&f.sam, t.id, p).await }));
    }
    for i in 0..6 {
        let f = f.clone();
        tasks.push(tokio::spawn(async move {
            f.say(&f.alice, t.id, &format!("meanwhile {i}")).await;
            f.store.ticket(t.id).await.unwrap().unwrap()
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let end = f.store.ticket(t.id).await.unwrap().unwrap();
    assert_eq!(
        (end.status, end.priority, end.assigned_to),
        (Status::InProgress, Priority::Urgent, Some(f.hana.id))
    );
    assert_eq!(f.store.audit_trail(t.id).await.unwrap().len(), 4);
    assert_eq!(
        f.store.stats().await.unwrap(),
        Stats {
            open: 0,
            in_progress: 1,
            urgent: 1
        }
    );
}
