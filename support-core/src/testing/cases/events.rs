//! Broadcasts: sent after the commit, carrying stored ids, on the channels the policy allows.

use super::*;

pub async fn events_follow_the_commit_and_carry_stored_ids(store: Store) {
    let f = Fixture::new(store);
    let mut admin = f.hub.subscribe(Channel::Admin, None);
    let t = f.ticket(&f.alice, "events", Priority::High).await;
    let mut channel = f.hub.subscribe(Channel::Ticket(t.id), None);
    let created = admin.recv().await.unwrap();
    assert_eq!(created.name(), "ticket.created");
    assert_eq!(created.payload()["ticket"]["id"], t.id.0);
    assert_eq!(
        created.payload()["ticket"]["ticket_number"],
        t.ticket_number.as_str()
    );
    assert_eq!(admin.recv().await.unwrap().name(), "stats.updated");

    let m = f.say(&f.alice, t.id, "hello support").await;
    let chat = channel.recv().await.unwrap();
    assert_eq!(chat.name(), "chat.message");
    let data = chat.payload();
    assert_eq!(data["id"], m.id.0);
    assert_eq!(data["ticket_id"], t.id.0);
    assert_eq!(data["sender_id"], f.alice.id.0);
    assert_eq!(data["sender_name"], "Alice Employee");
    assert_eq!(data["sender_type"], "employee");
    assert_eq!(data["message"], "hello support");
    assert_eq!(data["sent_at"], serde_json::to_value(m.created_at).unwrap());
    // When the event arrives, the message is already readable: catch-up can rely on it.
    let stored = f
        .service
        .messages(
            &f.sam,
            t.id,
            MessagePosition::After(MessageId(m.id.0 - 1)),
            None,
        )
        .await
        .unwrap();
    assert_eq!(stored.first().map(|s| s.id), Some(m.id));
    let staff_copy = admin.recv().await.unwrap();
    assert_eq!(
        (staff_copy.name(), staff_copy.payload()["id"].clone()),
        ("message.created", m.id.0.into())
    );

    f.patch(
        &f.sam,
        t.id,
        TicketPatch {
            assigned_to: Some(Some(f.sam.id)),
            ..TicketPatch::default()
        },
    )
    .await;
    let updated = channel.recv().await.unwrap();
    assert_eq!(updated.name(), "ticket.updated");
    assert_eq!(updated.payload()["ticket"]["assigned_to"], f.sam.id.0);
    assert_eq!(admin.recv().await.unwrap().name(), "ticket.updated");
    assert!(
        Fixture::drain(&mut admin).is_empty(),
        "assignment does not move the stats"
    );
}

pub async fn internal_notes_are_broadcast_only_to_staff(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "quiet", Priority::Low).await;
    let mut ticket_channel = f.hub.subscribe(Channel::Ticket(t.id), None);
    let mut admin = f.hub.subscribe(Channel::Admin, None);
    let note = f.note(&f.sam, t.id, "only for us").await;
    assert!(
        Fixture::drain(&mut ticket_channel).is_empty(),
        "no event on the employee's channel"
    );
    let staff = Fixture::drain(&mut admin);
    assert_eq!(staff.len(), 1);
    assert_eq!(staff[0].name(), "message.created");
    assert_eq!(staff[0].payload()["id"], note.id.0);
    assert_eq!(staff[0].payload()["is_internal"], true);
}

pub async fn creation_and_status_changes_broadcast_stats(store: Store) {
    let f = Fixture::new(store);
    let mut admin = f.hub.subscribe(Channel::Admin, None);
    let stats_events = |sub: &mut Subscription| -> Vec<Stats> {
        Fixture::drain(sub)
            .iter()
            .filter(|b| b.name() == "stats.updated")
            .map(|b| serde_json::from_value(b.payload()["stats"].clone()).unwrap())
            .collect()
    };
    let t = f.ticket(&f.alice, "count me", Priority::Urgent).await;
    assert_eq!(
        stats_events(&mut admin),
        vec![Stats {
            open: 1,
            in_progress: 0,
            urgent: 1
        }]
    );
    f.patch(&f.sam, t.id, status(Status::InProgress)).await;
    assert_eq!(
        stats_events(&mut admin),
        vec![Stats {
            open: 0,
            in_progress: 1,
            urgent: 1
        }]
    );
    f.say(&f.sam, t.id, "on it").await;
    assert!(
        stats_events(&mut admin).is_empty(),
        "a message does not move the stats"
    );
    f.patch(&f.sam, t.id, status(Status::Resolved)).await;
    assert_eq!(stats_events(&mut admin), vec![Stats::default()]);
}
