//! The same operations on `MemoryStore` (the reference semantics) and on a SQLite file must
//! give identical results, ids included: this pins the SQL (filters, the three orders, keyset
//! pages, message pages, idempotency, stats) to the reference rather than to expectations
//! written by hand.

// Setup helpers outside #[test] functions panic on failure like the tests themselves.
#![allow(clippy::unwrap_used)]

mod common;

use std::fmt::Debug;

use common::*;
use support_core::store::*;
use support_core::{
    Error, MemoryStore, MessageBody, MessageId, NewMessage, Priority, Result, Status, TicketFilter,
    TicketId, TicketPatch, UserId,
};
use support_store_sqlite::SqliteStore;

struct Both {
    reference: MemoryStore,
    sqlite: SqliteStore,
    _dir: tempfile::TempDir,
}

fn kind(e: &Error) -> &'static str {
    match e {
        Error::NotFound => "not found",
        Error::Conflict(_) => "conflict",
        Error::Invalid(_) => "invalid",
        Error::Forbidden(_) => "forbidden",
        Error::Unavailable(_) => "unavailable",
        Error::Backend(_) => "backend",
        _ => "other",
    }
}

fn same<T: PartialEq + Debug>(what: &str, reference: Result<T>, sqlite: Result<T>) -> Option<T> {
    match (reference, sqlite) {
        (Ok(r), Ok(s)) => {
            assert_eq!(r, s, "{what}");
            Some(s)
        }
        (Err(r), Err(s)) => {
            assert_eq!(kind(&r), kind(&s), "{what}: {r} vs {s}");
            None
        }
        (r, s) => panic!("{what}: reference {r:?}, sqlite {s:?}"),
    }
}

impl Both {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let sqlite = SqliteStore::open(&url(dir.path(), "reference.db"))
            .await
            .unwrap();
        Both {
            reference: MemoryStore::new(),
            sqlite,
            _dir: dir,
        }
    }

    async fn create(
        &self,
        d: &TicketDraft,
    ) -> Option<Created<(support_core::Ticket, Option<support_core::Message>)>> {
        same(
            "create_ticket",
            self.reference.create_ticket(d).await,
            self.sqlite.create_ticket(d).await,
        )
    }

    async fn append(&self, d: &MessageDraft) -> Option<Created<support_core::store::Appended>> {
        same(
            "append_message",
            self.reference.append_message(d).await,
            self.sqlite.append_message(d).await,
        )
    }

    async fn update(&self, id: TicketId, c: &TicketChange) -> Option<Option<TicketUpdate>> {
        same(
            "update_ticket",
            self.reference.update_ticket(id, c).await,
            self.sqlite.update_ticket(id, c).await,
        )
    }

    /// Reads a whole list page by page, checking every page, and returns it.
    async fn all_pages(
        &self,
        filter: &TicketFilter,
        order: TicketOrder,
        limit: u32,
    ) -> Vec<support_core::Ticket> {
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let q = TicketQuery {
                filter: filter.clone(),
                order,
                after,
                limit,
            };
            let what = format!("tickets {q:?}");
            let page = same(
                &what,
                self.reference.tickets(&q).await,
                self.sqlite.tickets(&q).await,
            )
            .unwrap();
            let Some(last) = page.last() else { break };
            after = Some(TicketKey::of(last));
            let full = page.len() == limit as usize;
            all.extend(page);
            if !full {
                break;
            }
        }
        all
    }
}

const SUBJECTS: [&str; 10] = [
    "VPN down",
    "Printer 100% broken",
    "under_score in name",
    r"back\slash path",
    "ÄRGER with umlauts",
    "ärger lower",
    "vpn again",
    "Payroll question",
    "a%b_c",
    "Nothing special",
];

#[tokio::test]
async fn sqlite_reproduces_the_reference_store() {
    let s = Both::new().await;
    let categories = ["it", "hr", "payroll", "benefits", "facilities", "other"];
    let priorities = ["low", "medium", "high", "urgent"];

    // Tickets with deliberate created_at ties (three per second) to exercise tie-breaks.
    let mut ids = Vec::new();
    for i in 0..36i64 {
        let mut d = ticket(
            100 + i % 4,
            SUBJECTS[(i % 10) as usize],
            categories[(i % 6) as usize],
            priorities[(i * 7 % 4) as usize],
            at(i / 3),
        );
        if i % 5 == 0 {
            d.first_message = Some(MessageBody::parse(&format!("first words {i}")).unwrap());
        }
        ids.push(s.create(&d).await.unwrap().into_inner().0.id);
    }

    // Idempotent creates: replayed, reused for a message, and scoped per user.
    let mut keyed = ticket(100, "keyed", "it", "high", at(50));
    keyed.idempotency_key = key("create-1");
    keyed.first_message = Some(MessageBody::parse("quick chat").unwrap());
    assert!(s.create(&keyed).await.unwrap().is_new());
    let replay = s.create(&keyed).await.unwrap();
    assert!(!replay.is_new());
    assert!(replay.into_inner().1.is_some());
    keyed.employee = author(101);
    assert!(s.create(&keyed).await.unwrap().is_new());

    // Messages: public and internal, with activity times out of creation order, keyed
    // replays, a key already used for a ticket, and a missing ticket.
    for (j, id) in ids.iter().enumerate().take(12) {
        for k in 0..(j % 4) {
            let mut d = message(
                *id,
                100 + (j as i64) % 4,
                &format!("message {j}.{k}"),
                at(200 - j as i64 + k as i64),
            );
            if k == 1 {
                d.message = NewMessage::internal(MessageBody::parse("staff only").unwrap());
                d.author = author(900);
                d.author_type = support_core::AuthorType::Support;
            }
            s.append(&d).await.unwrap();
        }
    }
    let mut keyed_message = message(ids[3], 103, "keyed message", at(300));
    keyed_message.idempotency_key = key("msg-1");
    assert!(s.append(&keyed_message).await.unwrap().is_new());
    assert!(!s.append(&keyed_message).await.unwrap().is_new());
    keyed_message.idempotency_key = key("create-1");
    keyed_message.author = author(100);
    assert!(
        s.append(&keyed_message).await.is_none(),
        "a ticket's key reused for a message must fail"
    );
    let mut create_with_message_key = ticket(103, "reuses a message key", "it", "low", at(301));
    create_with_message_key.idempotency_key = key("msg-1");
    assert!(
        s.create(&create_with_message_key).await.is_none(),
        "a message's key reused for a ticket must fail"
    );
    assert!(
        s.append(&message(TicketId(9999), 1, "nowhere", at(302)))
            .await
            .is_none()
    );

    // Staff changes: real changes, a no-op, and a missing ticket.
    let patches = [
        TicketPatch {
            status: Some(Status::InProgress),
            assigned_to: Some(Some(UserId(900))),
            ..Default::default()
        },
        TicketPatch {
            status: Some(Status::Pending),
            priority: Some(Priority::Urgent),
            ..Default::default()
        },
        TicketPatch {
            status: Some(Status::Resolved),
            ..Default::default()
        },
        TicketPatch {
            status: Some(Status::Closed),
            assigned_to: Some(None),
            ..Default::default()
        },
        TicketPatch {
            priority: Some(Priority::Low),
            ..Default::default()
        },
    ];
    for (n, id) in ids.iter().enumerate().skip(2).step_by(3) {
        let change = TicketChange {
            patch: patches[n % patches.len()].clone(),
            author: author(900),
            idempotency_key: None,
            expected_version: None,
            at: at(400 + n as i64),
            sla: Default::default(),
        };
        s.update(*id, &change).await.unwrap().unwrap();
    }
    let reopen = TicketPatch {
        status: Some(Status::Open),
        ..Default::default()
    };
    let change = TicketChange {
        patch: reopen,
        author: author(901),
        idempotency_key: None,
        expected_version: None,
        at: at(500),
        sla: Default::default(),
    };
    s.update(ids[8], &change).await.unwrap().unwrap();
    let noop = s.update(ids[8], &change).await.unwrap().unwrap();
    assert!(noop.changes.is_empty());
    assert_eq!(s.update(TicketId(9999), &change).await.unwrap(), None);

    // Every list, in every order, page by page.
    let filters = [
        TicketFilter::default(),
        TicketFilter {
            statuses: Status::ACTIVE.to_vec(),
            ..Default::default()
        },
        TicketFilter {
            statuses: vec![Status::Closed, Status::Resolved],
            ..Default::default()
        },
        TicketFilter {
            employee_id: Some(UserId(101)),
            ..Default::default()
        },
        TicketFilter {
            priority: Some(Priority::Urgent),
            ..Default::default()
        },
        TicketFilter {
            category: Some(support_core::Category::Hr),
            ..Default::default()
        },
        TicketFilter {
            assigned_to: Some(None),
            ..Default::default()
        },
        TicketFilter {
            assigned_to: Some(Some(UserId(900))),
            ..Default::default()
        },
        TicketFilter {
            text: Some("VPN".into()),
            ..Default::default()
        },
        TicketFilter {
            text: Some("%".into()),
            ..Default::default()
        },
        TicketFilter {
            text: Some("_".into()),
            ..Default::default()
        },
        TicketFilter {
            text: Some("a%b".into()),
            ..Default::default()
        },
        TicketFilter {
            text: Some(r"\s".into()),
            ..Default::default()
        },
        TicketFilter {
            text: Some("ärger".into()),
            ..Default::default()
        },
        TicketFilter {
            text: Some("tkt-00001".into()),
            ..Default::default()
        },
        TicketFilter {
            text: Some("".into()),
            ..Default::default()
        },
        TicketFilter {
            text: Some("x".repeat(60_000)),
            ..Default::default()
        },
        TicketFilter {
            employee_id: Some(UserId(102)),
            statuses: Status::ACTIVE.to_vec(),
            text: Some("a".into()),
            ..Default::default()
        },
    ];
    for filter in &filters {
        for order in [
            TicketOrder::Newest,
            TicketOrder::Activity,
            TicketOrder::Queue,
        ] {
            for limit in [1, 4, 100] {
                s.all_pages(filter, order, limit).await;
            }
        }
    }
    let zero = TicketQuery {
        filter: TicketFilter::default(),
        order: TicketOrder::Queue,
        after: None,
        limit: 0,
    };
    assert_eq!(s.sqlite.tickets(&zero).await.unwrap(), vec![]);

    // Message pages from every position, with and without internal notes.
    for id in ids.iter().take(12).chain([&TicketId(9999)]) {
        for include_internal in [false, true] {
            for limit in [0, 1, 2, 50] {
                let mut positions = vec![MessagePosition::Latest];
                for m in [0, 3, 5, 8, 40] {
                    positions.push(MessagePosition::After(MessageId(m)));
                    positions.push(MessagePosition::Before(MessageId(m)));
                }
                for position in positions {
                    let q = MessageQuery {
                        ticket_id: *id,
                        position,
                        limit,
                        include_internal,
                    };
                    same(
                        &format!("{q:?}"),
                        s.reference.messages(&q).await,
                        s.sqlite.messages(&q).await,
                    );
                }
            }
        }
        same(
            "audit_trail",
            s.reference.audit_trail(*id).await,
            s.sqlite.audit_trail(*id).await,
        );
    }
    same("stats", s.reference.stats().await, s.sqlite.stats().await);
}
