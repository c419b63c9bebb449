//! SLA clocks: due times from the targets, moved by a priority change and by pauses, exact to
//! the microsecond; the first response; breaches marked once.

use std::time::Duration;

use chrono::TimeDelta;

use super::*;
use crate::store::{Author, MessageDraft, TicketChange};
use crate::testing::drafts;

fn targets() -> SlaTargets {
    let t = |fr: u64, res: u64| SlaTarget {
        first_response: Duration::from_secs(fr),
        resolution: Duration::from_secs(res),
    };
    SlaTargets::default()
        .with(Priority::High, t(600, 3600))
        .with(Priority::Urgent, t(60, 600))
}

fn change(patch: TicketPatch, at: Timestamp) -> TicketChange {
    TicketChange {
        patch,
        author: drafts::author(201),
        idempotency_key: None,
        expected_version: None,
        at,
        sla: targets(),
    }
}

fn secs(s: i64) -> TimeDelta {
    TimeDelta::seconds(s)
}

async fn open(store: &Store, priority: &str, at: Timestamp) -> Ticket {
    let mut d = drafts::ticket(101, "clock", "it", priority, at);
    d.sla = targets();
    store.create_ticket(&d).await.unwrap().into_inner().0
}

async fn patch(store: &Store, id: TicketId, patch: TicketPatch, at: Timestamp) -> Ticket {
    let after = store
        .update_ticket(id, &change(patch, at))
        .await
        .unwrap()
        .unwrap()
        .after;
    assert_eq!(
        store.ticket(id).await.unwrap().as_ref(),
        Some(&after),
        "the store answers the row it wrote"
    );
    after
}

fn staff_message(ticket: TicketId, internal: bool, at: Timestamp) -> MessageDraft {
    let body = MessageBody::parse("on it").unwrap();
    MessageDraft {
        ticket_id: ticket,
        author: Author {
            id: UserId(201),
            name: "Sam".into(),
            origin: None,
        },
        author_type: AuthorType::Support,
        message: if internal {
            NewMessage::internal(body)
        } else {
            NewMessage::public(body)
        },
        attachments: Vec::new(),
        idempotency_key: None,
        at,
    }
}

pub async fn due_times_start_from_the_priority_and_move_with_it(store: Store) {
    let t0 = drafts::at(0);
    let t = open(&store, "high", t0).await;
    assert_eq!(t.sla.first_response_due, Some(t0 + secs(600)));
    assert_eq!(t.sla.resolution_due, Some(t0 + secs(3600)));
    assert!(!t.sla.breached);
    assert_eq!(store.ticket(t.id).await.unwrap().as_ref(), Some(&t));

    let urgent = TicketPatch {
        priority: Some(Priority::Urgent),
        ..TicketPatch::default()
    };
    let after = patch(&store, t.id, urgent, t0 + secs(30)).await;
    assert_eq!(after.sla.first_response_due, Some(t0 + secs(60)));
    assert_eq!(after.sla.resolution_due, Some(t0 + secs(600)));

    // Medium keeps the defaults: 8 h and 72 h.
    let medium = TicketPatch {
        priority: Some(Priority::Medium),
        ..TicketPatch::default()
    };
    let after = patch(&store, t.id, medium, t0 + secs(40)).await;
    assert_eq!(after.sla.first_response_due, Some(t0 + secs(8 * 3600)));
    assert_eq!(after.sla.resolution_due, Some(t0 + secs(72 * 3600)));
}

pub async fn pending_pauses_the_resolution_clock_to_the_microsecond(store: Store) {
    let t0 = drafts::at(0);
    let t = open(&store, "high", t0).await;
    let micro = TimeDelta::microseconds(1);
    let paused_at = t0 + secs(100) + micro;
    let after = patch(&store, t.id, status(Status::Pending), paused_at).await;
    assert_eq!(after.sla.paused_since, Some(paused_at));
    assert_eq!(
        after.sla.resolution_due,
        Some(t0 + secs(3600)),
        "not moved yet"
    );
    // A priority change while paused counts only the pauses that ended.
    let urgent = TicketPatch {
        priority: Some(Priority::Urgent),
        ..TicketPatch::default()
    };
    let after = patch(&store, t.id, urgent, t0 + secs(200)).await;
    assert_eq!(after.sla.resolution_due, Some(t0 + secs(600)));
    // 1000 s and 3 µs of pending.
    let resumed = paused_at + secs(1000) + micro * 3;
    let after = patch(&store, t.id, status(Status::InProgress), resumed).await;
    assert_eq!(after.sla.paused_since, None);
    assert_eq!(after.sla.paused_us, 1_000_000_003);
    assert_eq!(
        after.sla.resolution_due,
        Some(t0 + secs(600) + secs(1000) + micro * 3)
    );
    assert_eq!(
        after.sla.first_response_due,
        Some(t0 + secs(60)),
        "never paused"
    );

    // Resolved pauses too, and the employee's reply that reopens the ticket resumes it, in
    // the append's transaction (with and without an idempotency key).
    let mut due = after.sla.resolution_due.unwrap();
    let mut now = resumed;
    for key in [None, drafts::key("reopen-2")] {
        now += secs(50);
        patch(&store, t.id, status(Status::Resolved), now).await;
        now += secs(500);
        let mut reply = drafts::message(t.id, 101, "still broken", now);
        reply.idempotency_key = key;
        let appended = store.append_message(&reply).await.unwrap().into_inner();
        let reopened = appended.reopened.expect("the reply reopens").after;
        due += secs(500);
        assert_eq!(reopened.status, Status::Open);
        assert_eq!(reopened.sla.paused_since, None);
        assert_eq!(reopened.sla.resolution_due, Some(due));
        assert_eq!(store.ticket(t.id).await.unwrap().as_ref(), Some(&reopened));
    }
}

pub async fn first_response_is_the_first_public_staff_message(store: Store) {
    let t0 = drafts::at(0);
    let t = open(&store, "medium", t0).await;
    store
        .append_message(&drafts::message(t.id, 101, "hello?", t0 + secs(10)))
        .await
        .unwrap();
    store
        .append_message(&staff_message(t.id, true, t0 + secs(20)))
        .await
        .unwrap();
    let read = store.ticket(t.id).await.unwrap().unwrap();
    assert_eq!(
        read.first_response_at, None,
        "employee messages and notes do not count"
    );
    store
        .append_message(&staff_message(t.id, false, t0 + secs(30)))
        .await
        .unwrap();
    let mut keyed = staff_message(t.id, false, t0 + secs(40));
    keyed.idempotency_key = drafts::key("later");
    store.append_message(&keyed).await.unwrap();
    let read = store.ticket(t.id).await.unwrap().unwrap();
    assert_eq!(read.first_response_at, Some(t0 + secs(30)));
    // A keyed first response counts as well.
    let u = open(&store, "medium", t0).await;
    let mut keyed = staff_message(u.id, false, t0 + secs(5));
    keyed.idempotency_key = drafts::key("first");
    store.append_message(&keyed).await.unwrap();
    let read = store.ticket(u.id).await.unwrap().unwrap();
    assert_eq!(read.first_response_at, Some(t0 + secs(5)));
}

pub async fn breaches_are_marked_once_due_first(store: Store) {
    let t0 = drafts::at(0);
    // urgent: first response due at +60, resolution at +600.
    let silent = open(&store, "urgent", t0).await;
    let answered_late = open(&store, "urgent", t0 + secs(1)).await;
    store
        .append_message(&staff_message(answered_late.id, false, t0 + secs(100)))
        .await
        .unwrap();
    let answered = open(&store, "urgent", t0 + secs(2)).await;
    store
        .append_message(&staff_message(answered.id, false, t0 + secs(30)))
        .await
        .unwrap();
    // Paused at +300, before its resolution was due: never breached while it waits.
    patch(&store, answered.id, status(Status::Pending), t0 + secs(300)).await;
    // Not due yet at the sweep's time.
    let later = open(&store, "low", t0 + secs(5)).await;

    let none = store.mark_sla_breaches(t0 + secs(59), 100).await.unwrap();
    assert_eq!(none, Vec::new(), "nothing is due before +60");

    let now = t0 + secs(700);
    let clock = |t: &Ticket, clock, due| SlaBreach {
        ticket_id: t.id,
        ticket_number: t.ticket_number.clone(),
        clock,
        due_at: due,
        priority: Priority::Urgent,
    };
    let expected = vec![
        clock(&silent, SlaClock::FirstResponse, t0 + secs(60)),
        clock(&answered_late, SlaClock::FirstResponse, t0 + secs(61)),
        clock(&silent, SlaClock::Resolution, t0 + secs(600)),
        clock(&answered_late, SlaClock::Resolution, t0 + secs(601)),
    ];
    // Four sweeps at once: each breach is answered by exactly one of them.
    let sweeps = (0..4).map(|_| {
        let store = store.clone();
        async move { store.mark_sla_breaches(now, 100).await.unwrap() }
    });
    let mut all: Vec<SlaBreach> = futures::future::join_all(sweeps)
        .await
        .into_iter()
        .flatten()
        .collect();
    all.sort_by_key(|b| (b.due_at, b.ticket_id));
    assert_eq!(all, expected);
    assert_eq!(store.mark_sla_breaches(now, 100).await.unwrap(), Vec::new());

    let read = store.ticket(silent.id).await.unwrap().unwrap();
    assert!(read.sla.breached && read.sla.first_response_breached && read.sla.resolution_breached);
    let read = store.ticket(answered.id).await.unwrap().unwrap();
    assert!(
        !read.sla.breached,
        "answered in time and paused before its due time"
    );
    let read = store.ticket(later.id).await.unwrap().unwrap();
    assert!(!read.sla.breached);

    // With a limit, first-response clocks come first (SlaBreach::pick): `x`'s resolution is
    // due before `y`'s first response, but `y`'s first response is taken first.
    let x = open(&store, "urgent", t0 + secs(1000)).await;
    store
        .append_message(&staff_message(x.id, false, t0 + secs(1010)))
        .await
        .unwrap();
    let y = open(&store, "high", t0 + secs(1100)).await;
    let now = t0 + secs(9000);
    let first = store.mark_sla_breaches(now, 1).await.unwrap();
    let of = |t: &Ticket, clock, due, priority| SlaBreach {
        ticket_id: t.id,
        ticket_number: t.ticket_number.clone(),
        clock,
        due_at: due,
        priority,
    };
    assert_eq!(
        first,
        vec![of(
            &y,
            SlaClock::FirstResponse,
            t0 + secs(1700),
            Priority::High
        )]
    );
    let rest = store.mark_sla_breaches(now, 100).await.unwrap();
    assert_eq!(
        rest,
        vec![
            of(&x, SlaClock::Resolution, t0 + secs(1600), Priority::Urgent),
            of(&y, SlaClock::Resolution, t0 + secs(4700), Priority::High),
        ]
    );
}
