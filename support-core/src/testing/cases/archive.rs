//! Archiving: only closed tickets idle since before the cutoff, least recently active first,
//! in batches that are idempotent and never archive a ticket twice; archived tickets out of
//! lists and search but readable by id; leaving `closed` un-archives; who may run it.

use std::collections::BTreeSet;
use std::time::Duration;

use super::*;
use crate::archive::ArchiveBatch;
use crate::audit::{Action, AuditQuery, NewAuditRecord};
use crate::search::SearchFilter;

/// A batch archiving what was closed strictly before `closed_before`, recorded as the
/// command line.
fn batch(closed_before: Timestamp, limit: u32) -> ArchiveBatch {
    ArchiveBatch {
        closed_before,
        limit,
        record: NewAuditRecord::now(None, "command line", None, None, Action::TicketArchived),
    }
}

/// A time strictly after everything written so far, and strictly before everything written
/// after it returns (stores keep microseconds).
async fn instant() -> Timestamp {
    tokio::time::sleep(Duration::from_millis(2)).await;
    let t = time::now();
    tokio::time::sleep(Duration::from_millis(2)).await;
    t
}

async fn archived_records(f: &Fixture) -> Vec<TicketId> {
    let log = f
        .store
        .audit_log(&AuditQuery {
            actions: vec!["ticket.archived".into()],
            limit: 1000,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    log.iter().filter_map(|r| r.ticket_id).collect()
}

pub async fn archiving_takes_only_closed_tickets_idle_before_the_cutoff(store: Store) {
    let f = Fixture::new(store.clone());
    let mut closed = Vec::new();
    for i in 0..3 {
        let t = f
            .ticket(&f.alice, &format!("old closed {i}"), Priority::Low)
            .await;
        closed.push(f.patch(&f.sam, t.id, status(Status::Closed)).await);
    }
    let mut others = Vec::new();
    for s in [
        Status::Open,
        Status::InProgress,
        Status::Pending,
        Status::Resolved,
    ] {
        let t = f
            .ticket(&f.bob, &format!("old {s:?}"), Priority::High)
            .await;
        others.push(if s == Status::Open {
            t
        } else {
            f.patch(&f.sam, t.id, status(s)).await
        });
    }
    // The first closed ticket is touched again (a staff note): it becomes the most recently
    // active of the three.
    f.note(&f.sam, closed[0].id, "closing remark").await;
    let cutoff = instant().await;
    let young = f.ticket(&f.alice, "closed just now", Priority::Low).await;
    let young = f.patch(&f.sam, young.id, status(Status::Closed)).await;

    let first = batch(cutoff, 2);
    let got = store.archive_closed(&first).await.unwrap();
    assert_eq!(
        got,
        vec![closed[1].id, closed[2].id],
        "the least recently active closed tickets first, at most the limit"
    );
    let got = store.archive_closed(&batch(cutoff, 2)).await.unwrap();
    assert_eq!(got, vec![closed[0].id], "then the rest");
    assert!(
        store
            .archive_closed(&batch(cutoff, 2))
            .await
            .unwrap()
            .is_empty(),
        "a second run archives nothing new"
    );

    for before in &closed {
        let after = store.ticket(before.id).await.unwrap().unwrap();
        assert!(after.archived_at.is_some(), "{} archived", before.subject);
        assert_eq!(after.status, Status::Closed);
        assert_eq!(
            after.version, before.version,
            "archiving is no ticket change"
        );
        assert!(after.updated_at >= before.updated_at);
        assert!(after.updated_at < cutoff, "and no activity");
    }
    let t = store.ticket(closed[1].id).await.unwrap().unwrap();
    assert_eq!(t.archived_at, Some(first.at()));
    for t in others.iter().chain([&young]) {
        let now = store.ticket(t.id).await.unwrap().unwrap();
        assert_eq!(now.archived_at, None, "{} is not archived", t.subject);
        assert_eq!(&now, t, "and untouched");
    }

    let mut recorded = archived_records(&f).await;
    recorded.sort();
    let mut expected: Vec<TicketId> = closed.iter().map(|t| t.id).collect();
    expected.sort();
    assert_eq!(recorded, expected, "one ticket.archived record per ticket");
    let log = store
        .audit_log(&AuditQuery {
            ticket_id: Some(closed[1].id),
            actions: vec!["ticket.archived".into()],
            limit: 10,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].actor_id, None);
    assert_eq!(log[0].actor_name, "command line");
    assert_eq!(log[0].at, first.at());
}

pub async fn concurrent_archiving_runs_archive_each_ticket_once(store: Store) {
    let f = Fixture::new(store.clone());
    let mut ids = BTreeSet::new();
    for i in 0..12 {
        let t = f
            .ticket(&f.alice, &format!("closed {i}"), Priority::Low)
            .await;
        ids.insert(f.patch(&f.sam, t.id, status(Status::Closed)).await.id);
    }
    let cutoff = instant().await;
    let runs = (0..4).map(|_| {
        let store = store.clone();
        tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = store.archive_closed(&batch(cutoff, 1)).await.unwrap();
                if got.is_empty() {
                    return mine;
                }
                mine.extend(got);
            }
        })
    });
    let mut all = Vec::new();
    for run in runs.collect::<Vec<_>>() {
        all.extend(run.await.unwrap());
    }
    all.sort();
    assert_eq!(
        all,
        ids.iter().copied().collect::<Vec<_>>(),
        "every ticket archived by exactly one call"
    );
    let mut recorded = archived_records(&f).await;
    recorded.sort();
    assert_eq!(recorded, all, "and recorded once");
}

pub async fn archived_tickets_leave_lists_and_search_but_stay_readable_by_id(store: Store) {
    let f = Fixture::new(store);
    let old = f
        .ticket(&f.alice, "Printer jammed quokka", Priority::Low)
        .await;
    f.say(&f.alice, old.id, "the quokka tray again").await;
    f.note(&f.sam, old.id, "quokka note for staff").await;
    let old = f.patch(&f.sam, old.id, status(Status::Closed)).await;
    let live = f
        .ticket(&f.alice, "Quokka badge reader", Priority::Low)
        .await;
    let report = f
        .service
        .archive_closed(Some(&f.ada), "", Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(report.archived, 1);

    let live_only = f.list_all(TicketFilter::default()).await;
    assert_eq!(
        ids(&live_only),
        vec![live.id],
        "the staff list leaves it out"
    );
    let archive = f
        .list_all(TicketFilter {
            archived: Some(true),
            ..TicketFilter::default()
        })
        .await;
    assert_eq!(
        ids(&archive),
        vec![old.id],
        "archived=true lists only the archive"
    );
    let closed = f
        .list_all(TicketFilter {
            statuses: vec![Status::Closed],
            ..TicketFilter::default()
        })
        .await;
    assert!(
        closed.is_empty(),
        "even a list of closed tickets leaves it out"
    );
    let dashboard = f
        .service
        .dashboard(&f.sam, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(ids(&dashboard.tickets.data), vec![live.id]);

    let page = PageRequest::default();
    let mine = f.service.my_tickets(&f.alice, false, &page).await.unwrap();
    assert_eq!(ids(&mine.data), vec![live.id], "the employee's list too");
    let mine = f.service.my_tickets(&f.alice, true, &page).await.unwrap();
    assert_eq!(ids(&mine.data), vec![old.id], "and their archive holds it");
    let bobs = f.service.my_tickets(&f.bob, true, &page).await.unwrap();
    assert!(bobs.data.is_empty(), "nobody else's archive does");

    let hits = |h: Page<crate::SearchHit>| -> BTreeSet<TicketId> {
        h.data.iter().map(|h| h.ticket.id).collect()
    };
    let default = SearchFilter::default();
    let archived = SearchFilter::default().with_archived(Some(true));
    let found = f
        .service
        .search(&f.sam, "quokka", &default, &page)
        .await
        .unwrap();
    assert_eq!(
        hits(found),
        BTreeSet::from([live.id]),
        "search leaves it out"
    );
    let found = f
        .service
        .search(&f.sam, "quokka", &archived, &page)
        .await
        .unwrap();
    let found = found.data;
    assert!(found.iter().all(|h| h.ticket.id == old.id));
    assert_eq!(found.len(), 3, "archived=true searches it all: {found:?}");
    let found = f
        .service
        .search_mine(&f.alice, "quokka", &archived, &page)
        .await
        .unwrap();
    assert_eq!(found.data.len(), 2, "the employee's: no note");
    let found = f
        .service
        .search_mine(&f.bob, "quokka", &archived, &page)
        .await
        .unwrap();
    assert!(found.data.is_empty());

    let view = f.service.show_ticket(&f.alice, old.id).await.unwrap();
    assert!(view.ticket.archived_at.is_some(), "readable by id");
    assert_eq!(
        view.messages.len(),
        1,
        "with its messages, notes still hidden"
    );
    let view = f.service.show_ticket(&f.sam, old.id).await.unwrap();
    assert_eq!(view.messages.len(), 2);
    assert!(is_not_found(f.service.show_ticket(&f.bob, old.id).await));
    let transcript = f.service.transcript(&f.alice, old.id, "txt").await.unwrap();
    assert_eq!(transcript.messages.len(), 1, "exportable");
}

pub async fn leaving_closed_takes_a_ticket_out_of_the_archive(store: Store) {
    let f = Fixture::new(store.clone());
    let a = f
        .ticket(&f.alice, "reopened by a reply", Priority::Low)
        .await;
    let b = f.ticket(&f.alice, "reopened by staff", Priority::Low).await;
    let c = f.ticket(&f.alice, "reprioritised", Priority::Low).await;
    for t in [&a, &b, &c] {
        f.patch(&f.sam, t.id, status(Status::Closed)).await;
    }
    let cutoff = instant().await;
    assert_eq!(
        store
            .archive_closed(&batch(cutoff, 10))
            .await
            .unwrap()
            .len(),
        3
    );

    f.say(&f.alice, a.id, "it is broken again").await;
    let a = store.ticket(a.id).await.unwrap().unwrap();
    assert_eq!(a.status, Status::Open, "the reply reopens it");
    assert_eq!(a.archived_at, None, "and takes it out of the archive");
    let b = f.patch(&f.sam, b.id, status(Status::InProgress)).await;
    assert_eq!(b.archived_at, None);
    let b = store.ticket(b.id).await.unwrap().unwrap();
    assert_eq!(b.archived_at, None, "as stored");
    let c = f
        .patch(
            &f.sam,
            c.id,
            TicketPatch {
                priority: Some(Priority::High),
                ..TicketPatch::default()
            },
        )
        .await;
    assert!(
        c.archived_at.is_some(),
        "a closed ticket changed otherwise stays archived"
    );
    let listed = f.list_all(TicketFilter::default()).await;
    let mut listed = ids(&listed);
    listed.sort();
    assert_eq!(listed, vec![a.id, b.id], "back in the list");
    // Back in the archive only when closed again and idle again.
    f.patch(&f.sam, b.id, status(Status::Closed)).await;
    assert!(
        store
            .archive_closed(&batch(cutoff, 10))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn only_admins_or_the_server_archive(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "to archive", Priority::Low).await;
    f.patch(&f.sam, t.id, status(Status::Closed)).await;
    for who in [&f.alice, &f.sam, &f.hana] {
        let r = f
            .service
            .archive_closed(Some(who), "", Duration::ZERO)
            .await;
        assert!(matches!(r, Err(Error::Forbidden(_))), "{}: {r:?}", who.name);
    }
    let r = f
        .service
        .archive_closed(None, "archive schedule", Duration::from_secs(86_400))
        .await
        .unwrap();
    assert_eq!(r.archived, 0, "nothing closed a day ago");
    let r = f
        .service
        .archive_closed(None, "archive schedule", Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(r.archived, 1);
    let log = f
        .service
        .audit_log(
            &f.ada,
            &AuditQuery {
                ticket_id: Some(t.id),
                limit: 10,
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(log[0].action, Action::TicketArchived);
    assert_eq!(log[0].actor_name, "archive schedule");
    let huge = f
        .service
        .archive_closed(None, "x", Duration::from_secs(u64::MAX / 2))
        .await;
    assert!(matches!(huge, Err(Error::Invalid(_))), "{huge:?}");
}
