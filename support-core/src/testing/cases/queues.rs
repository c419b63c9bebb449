//! The staff lists and the employee's own list: the dashboard's order, filters, text search,
//! keyset paging.

use std::collections::HashSet;
use std::time::Duration;

use super::*;

pub async fn dashboard_puts_urgent_first_then_longest_waiting(store: Store) {
    let f = Fixture::new(store);
    let low = f.ticket(&f.alice, "low", Priority::Low).await;
    let high_old = f.ticket(&f.bob, "high old", Priority::High).await;
    let urgent_old = f.ticket(&f.alice, "urgent old", Priority::Urgent).await;
    let medium = f.ticket(&f.bob, "medium", Priority::Medium).await;
    let high_new = f.ticket(&f.alice, "high new", Priority::High).await;
    let urgent_new = f.ticket(&f.bob, "urgent new", Priority::Urgent).await;
    // Activity on an old ticket does not make it "newer" in the queue.
    f.say(&f.alice, urgent_old.id, "still waiting").await;
    let d = f
        .service
        .dashboard(&f.sam, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(
        ids(&d.tickets.data),
        vec![
            urgent_old.id,
            urgent_new.id,
            high_old.id,
            high_new.id,
            medium.id,
            low.id
        ]
    );
    assert_eq!(
        d.stats,
        Stats {
            open: 6,
            in_progress: 0,
            urgent: 2
        }
    );
}

pub async fn dashboard_leaves_out_resolved_and_closed(store: Store) {
    let f = Fixture::new(store);
    let mut expected = Vec::new();
    for (i, s) in Status::ALL.iter().enumerate() {
        let t = f.ticket(&f.alice, &format!("t{i}"), Priority::Medium).await;
        f.patch(&f.sam, t.id, status(*s)).await;
        if s.is_active() {
            expected.push(t.id);
        }
    }
    let d = f
        .service
        .dashboard(&f.ada, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(ids(&d.tickets.data), expected);
}

pub async fn list_filters_by_status_priority_and_category(store: Store) {
    let f = Fixture::new(store);
    let mut made = Vec::new();
    for (i, (c, p, s)) in [
        ("it", Priority::High, Status::Open),
        ("hr", Priority::High, Status::Pending),
        ("payroll", Priority::Low, Status::Open),
        ("it", Priority::Low, Status::Closed),
        ("facilities", Priority::Urgent, Status::InProgress),
    ]
    .into_iter()
    .enumerate()
    {
        let input = NewTicket::parse(&format!("t{i}"), "d", c, p.as_str()).unwrap();
        let t = f
            .service
            .create_ticket(&f.alice, input, &WriteContext::default())
            .await
            .unwrap();
        made.push(f.patch(&f.sam, t.id, status(s)).await);
    }
    let expect = |pred: &dyn Fn(&Ticket) -> bool| -> Vec<TicketId> {
        made.iter()
            .rev()
            .filter(|t| pred(t))
            .map(|t| t.id)
            .collect()
    };
    let by = |filter: TicketFilter| f.list_all(filter);
    let r = by(TicketFilter {
        priority: Some(Priority::High),
        ..Default::default()
    })
    .await;
    assert_eq!(ids(&r), expect(&|t| t.priority == Priority::High));
    let r = by(TicketFilter {
        category: Some(Category::It),
        ..Default::default()
    })
    .await;
    assert_eq!(ids(&r), expect(&|t| t.category == Category::It));
    let r = by(TicketFilter {
        statuses: vec![Status::Open],
        ..Default::default()
    })
    .await;
    assert_eq!(ids(&r), expect(&|t| t.status == Status::Open));
    let r = by(TicketFilter {
        statuses: vec![Status::Open, Status::Closed],
        category: Some(Category::It),
        ..Default::default()
    })
    .await;
    assert_eq!(ids(&r), expect(&|t| t.category == Category::It));
    let r = by(TicketFilter {
        employee_id: Some(f.bob.id),
        ..Default::default()
    })
    .await;
    assert!(r.is_empty());
}

pub async fn list_filters_by_assignee_and_unassigned(store: Store) {
    let f = Fixture::new(store);
    let a = f.ticket(&f.alice, "a", Priority::Low).await;
    let b = f.ticket(&f.alice, "b", Priority::Low).await;
    let c = f.ticket(&f.bob, "c", Priority::Low).await;
    let assign = |who: &Actor| TicketPatch {
        assigned_to: Some(Some(who.id)),
        ..TicketPatch::default()
    };
    f.patch(&f.ada, a.id, assign(&f.sam)).await;
    f.patch(&f.ada, c.id, assign(&f.hana)).await;
    let sams = f
        .list_all(TicketFilter {
            assigned_to: Some(Some(f.sam.id)),
            ..Default::default()
        })
        .await;
    assert_eq!(ids(&sams), vec![a.id]);
    let unassigned = f
        .list_all(TicketFilter {
            assigned_to: Some(None),
            ..Default::default()
        })
        .await;
    assert_eq!(ids(&unassigned), vec![b.id]);
}

pub async fn list_text_query_matches_subject_description_and_number(store: Store) {
    let f = Fixture::new(store);
    let vpn = f
        .ticket(&f.alice, "VPN keeps dropping", Priority::Low)
        .await;
    let input =
        NewTicket::parse("Payslip", "wrong tax code on my payslip", "payroll", "low").unwrap();
    let pay = f
        .service
        .create_ticket(&f.bob, input, &WriteContext::default())
        .await
        .unwrap();
    let pct = f.ticket(&f.bob, "100% broken_screen", Priority::Low).await;
    let q = |text: &str| TicketFilter {
        text: Some(text.to_owned()),
        ..Default::default()
    };
    assert_eq!(
        ids(&f.list_all(q("vpn")).await),
        vec![vpn.id],
        "case-insensitive subject match"
    );
    assert_eq!(
        ids(&f.list_all(q("TAX CODE")).await),
        vec![pay.id],
        "description match"
    );
    assert_eq!(
        ids(&f.list_all(q(pay.ticket_number.as_str())).await),
        vec![pay.id],
        "number match"
    );
    assert_eq!(ids(&f.list_all(q("100%")).await), vec![pct.id]);
    assert_eq!(ids(&f.list_all(q("broken_s")).await), vec![pct.id]);
    assert!(
        f.list_all(q("VPN%dropping")).await.is_empty(),
        "% is not a wildcard"
    );
    assert!(
        f.list_all(q("VPN_keeps")).await.is_empty(),
        "_ is not a wildcard"
    );
    assert!(
        f.list_all(q("VPN\\")).await.is_empty(),
        "backslash is literal too"
    );
    assert!(f.list_all(q("nothing like this")).await.is_empty());
}

pub async fn pagination_is_stable_while_tickets_are_inserted(store: Store) {
    let f = Fixture::new(store);
    let mut existing = Vec::new();
    for i in 0..23 {
        existing.push(f.ticket(&f.alice, &format!("t{i}"), Priority::Low).await.id);
    }
    let mut seen = Vec::new();
    let mut page = PageRequest {
        cursor: None,
        limit: Some(5),
    };
    let mut inserted = 0;
    loop {
        let p = f
            .service
            .list_tickets(&f.sam, TicketFilter::default(), &page)
            .await
            .unwrap();
        seen.extend(ids(&p.data));
        // New tickets arrive between page reads.
        f.ticket(&f.bob, &format!("new {inserted}"), Priority::Urgent)
            .await;
        inserted += 1;
        match p.next_cursor {
            Some(c) => page.cursor = Some(c),
            None => break,
        }
    }
    existing.reverse();
    assert_eq!(
        seen, existing,
        "every ticket that existed once, in order, none of the new ones"
    );

    // The same holds for the employee's own list, ordered by activity.
    let mut seen = Vec::new();
    let mut page = PageRequest {
        cursor: None,
        limit: Some(4),
    };
    loop {
        let p = f.service.my_tickets(&f.alice, false, &page).await.unwrap();
        seen.extend(ids(&p.data));
        f.ticket(&f.alice, "interloper", Priority::Low).await;
        match p.next_cursor {
            Some(c) => page.cursor = Some(c),
            None => break,
        }
    }
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no ticket twice");
    assert!(
        existing.iter().all(|id| seen.contains(id)),
        "no existing ticket skipped"
    );
}

pub async fn queue_pagination_visits_every_active_ticket_once(store: Store) {
    let f = Fixture::new(store);
    let mut active = HashSet::new();
    for i in 0..30 {
        let p = Priority::ALL[i % 4];
        let t = f
            .ticket(
                if i % 3 == 0 { &f.bob } else { &f.alice },
                &format!("q{i}"),
                p,
            )
            .await;
        if i % 7 == 0 {
            f.patch(&f.sam, t.id, status(Status::Closed)).await;
        } else {
            active.insert(t.id);
        }
    }
    let mut seen: Vec<Ticket> = Vec::new();
    let mut page = PageRequest {
        cursor: None,
        limit: Some(4),
    };
    loop {
        let d = f.service.dashboard(&f.sam, &page).await.unwrap();
        seen.extend(d.tickets.data);
        match d.tickets.next_cursor {
            Some(c) => page.cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen.len(), active.len());
    assert_eq!(seen.iter().map(|t| t.id).collect::<HashSet<_>>(), active);
    assert!(
        seen.windows(2)
            .all(|w| store::TicketOrder::Queue.compare(&w[0], &w[1]).is_lt())
    );
}

pub async fn own_list_orders_by_latest_activity(store: Store) {
    let f = Fixture::new(store);
    let first = f.ticket(&f.alice, "first", Priority::Low).await;
    let second = f.ticket(&f.alice, "second", Priority::Low).await;
    let third = f.ticket(&f.alice, "third", Priority::Low).await;
    tokio::time::sleep(Duration::from_millis(2)).await;
    f.say(&f.sam, first.id, "reply").await;
    let mine = f
        .service
        .my_tickets(&f.alice, false, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(ids(&mine.data), vec![first.id, third.id, second.id]);
    let touched = f.store.ticket(first.id).await.unwrap().unwrap();
    assert!(
        touched.updated_at > first.updated_at,
        "a message is activity"
    );
}
