//! What is particular to Postgres: the ticket number computed in SQL, timestamp precision,
//! text Postgres cannot hold, migrations from several nodes at once, and the per-ticket order,
//! ticket numbers and counts under concurrency from several pools, and one user per host user
//! however many nodes sign them in at once.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::*;
use sqlx::Row;
use support_core::account::{Email, ExternalUser, NewUser};
use support_core::store::*;
use support_core::time::{self, Timestamp};
use support_core::{
    Actor, Error, MessageBody, MessageId, NewMessage, NewTicket, Priority, Role, Stats, Status,
    TicketFilter, TicketId, TicketNumber, TicketPatch, UserStore,
};
use support_store_postgres::{PgOptions, PgStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn ticket_numbers_computed_in_sql_equal_ticket_number_for_id() {
    let db = TestDb::create().await;
    let _store = db.store().await;
    let mut raw = db.raw().await;
    let ids = [0i64, 1, 42, 99_999, 999_999, 1_000_000, 1_234_567, i64::MAX];
    for id in ids {
        let number: String = sqlx::query_scalar("SELECT support_ticket_number($1)")
            .bind(id)
            .fetch_one(&mut raw)
            .await
            .unwrap();
        assert_eq!(
            number,
            TicketNumber::for_id(TicketId(id)).as_str(),
            "id {id}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn timestamps_round_trip_at_microsecond_precision() {
    let db = TestDb::create().await;
    let store = db.store().await;
    let instants: Vec<Timestamp> = vec![
        time::now(),
        time::from_micros(1).unwrap(),
        time::from_micros(-1).unwrap(),
        time::from_micros(-2_208_988_800_000_001).unwrap(), // 1899-12-31T23:59:59.999999Z
        time::from_micros(253_402_300_799_999_999).unwrap(), // 9999-12-31T23:59:59.999999Z
        time::from_micros(946_684_800_000_000).unwrap(),    // Postgres' own epoch
    ];
    for at in instants {
        let (t, _) = store
            .create_ticket(&ticket(1, "when", "it", "low", at))
            .await
            .unwrap()
            .into_inner();
        let m = store
            .append_message(&message(t.id, 1, "then", at))
            .await
            .unwrap()
            .into_message();
        let read = store.ticket(t.id).await.unwrap().unwrap();
        assert_eq!((read.created_at, read.updated_at), (at, at), "{at:?}");
        let page = MessageQuery {
            ticket_id: t.id,
            position: MessagePosition::Latest,
            limit: 1,
            include_internal: true,
        };
        assert_eq!(store.messages(&page).await.unwrap(), vec![m], "{at:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn text_postgres_cannot_hold_never_reaches_it() {
    let db = TestDb::create().await;
    let store = db.store().await;
    fn field<T: std::fmt::Debug>(r: Result<T, Error>) -> Vec<String> {
        match r {
            Err(Error::Invalid(fields)) => fields.fields().keys().cloned().collect(),
            other => panic!("{other:?}"),
        }
    }
    // Validation refuses NUL (support_core::validate's rule for control characters) before a
    // draft exists, on the field the client sent.
    assert_eq!(
        field(NewTicket::parse("a\0b", "d", "it", "low")),
        ["subject"]
    );
    assert_eq!(field(MessageBody::parse("x\0y")), ["content"]);
    let with_file = serde_json::json!({"content": "see file", "attachments": [
        {"name": "a\u{0}.png", "url": "https://files/a.png", "content_type": "image/png", "size": 1}
    ]});
    // A message names its files by upload id; metadata a client writes (here with a NUL in
    // the name) is refused where an id belongs.
    assert_eq!(
        field(NewMessage::from_json(&with_file, "content")),
        ["attachments.0"]
    );

    // A name from the directory is cleaned by `Author::of`: the write succeeds.
    let (t, _) = store
        .create_ticket(&simple_ticket(1, "fine"))
        .await
        .unwrap()
        .into_inner();
    let odd = Actor::new(1, "user\0 1", Role::Employee);
    let mut draft = message(t.id, 1, "hello", at(1));
    draft.author = Author::of(&odd);
    let m = store.append_message(&draft).await.unwrap().into_message();
    assert_eq!(m.author_name, "user 1");

    // Searching for it is simply no match.
    let q = TicketQuery {
        filter: TicketFilter {
            text: Some("a\0b".into()),
            ..TicketFilter::default()
        },
        order: TicketOrder::Newest,
        after: None,
        limit: 10,
    };
    assert!(store.tickets(&q).await.unwrap().is_empty());
    assert_eq!(store.stats().await.unwrap().open, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn several_nodes_starting_at_once_migrate_the_schema_once() {
    let db = TestDb::create().await;
    let starts: Vec<_> = (0..4)
        .map(|_| {
            let url = db.url.clone();
            tokio::spawn(async move { PgStore::connect_with(&url, test_options()).await })
        })
        .collect();
    for s in starts {
        s.await.unwrap().unwrap().ping().await.unwrap();
    }
    let mut raw = db.raw().await;
    let (applied, distinct): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(DISTINCT version) FROM _sqlx_migrations")
            .fetch_one(&mut raw)
            .await
            .unwrap();
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .count() as i64;
    assert_eq!((applied, distinct), (files, files));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn a_store_told_not_to_migrate_needs_a_migrated_database() {
    let db = TestDb::create().await;
    let no_migrate = PgOptions {
        migrate: false,
        ..test_options()
    };
    let refused = PgStore::connect_with(&db.url, no_migrate.clone()).await;
    assert!(matches!(refused, Err(Error::Backend(_))), "{refused:?}");
    db.store().await;
    PgStore::connect_with(&db.url, no_migrate)
        .await
        .unwrap()
        .stats()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn ticket_numbers_stay_unique_under_concurrent_creation_from_several_pools() {
    let db = TestDb::create().await;
    let stores = [db.store().await, db.store().await, db.store().await];
    let mut tasks = Vec::new();
    for (n, store) in stores.iter().enumerate() {
        for i in 0..40 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store
                    .create_ticket(&simple_ticket(1, &format!("pool {n} ticket {i}")))
                    .await
                    .unwrap()
                    .into_inner()
                    .0
            }));
        }
    }
    let mut numbers = HashSet::new();
    for t in tasks {
        let t = t.await.unwrap();
        assert_eq!(t.ticket_number, TicketNumber::for_id(t.id));
        assert!(numbers.insert(t.ticket_number), "duplicate number");
    }
    assert_eq!(stores[0].stats().await.unwrap().open, 120);
}

/// Eight sign-ins of one host user (`sub`, with `email`) at once, from two nodes' pools: the
/// ids of the users they answer. A sign-in that fails fails the test.
#[allow(clippy::unwrap_used)]
async fn sign_in_at_once(stores: &[PgStore; 2], sub: &str, email: &str) -> HashSet<i64> {
    let barrier = Arc::new(tokio::sync::Barrier::new(8));
    let host_user = ExternalUser {
        external_id: sub.into(),
        name: "Alice Employee".into(),
        email: Some(Email::parse(email).unwrap()),
        role: Role::Employee,
    };
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (store, barrier, host_user) =
            (stores[i % 2].clone(), barrier.clone(), host_user.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            store.sync_external_user(&host_user, time::now()).await
        }));
    }
    let mut ids = HashSet::new();
    for t in tasks {
        let user = t.await.unwrap().unwrap();
        assert_eq!(user.external_id.as_deref(), Some(sub));
        ids.insert(user.id.get());
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn concurrent_sign_ins_of_one_host_user_make_one_user() {
    let db = TestDb::create().await;
    let stores = [db.store().await, db.store().await];
    // Open the connections first, so that the sign-ins start together rather than in the
    // order their connections come up.
    let warm: Vec<_> = (0..8)
        .map(|i| {
            let store = stores[i % 2].clone();
            tokio::spawn(async move { store.users().await.unwrap() })
        })
        .collect();
    for w in warm {
        w.await.unwrap();
    }
    // Users the host application signs in for the first time, each on every node at once.
    for round in 0..10 {
        let (sub, email) = (format!("host-{round}"), format!("user{round}@host.example"));
        let ids = sign_in_at_once(&stores, &sub, &email).await;
        assert_eq!(ids.len(), 1, "one user for {sub}, not {ids:?}");
    }
    // An account made by hand, first signed in by the host application on every node at once.
    let by_hand = NewUser::new("Bob", Role::Support, time::now())
        .email(Email::parse("bob@example.com").unwrap());
    let by_hand = stores[0].create_user(&by_hand).await.unwrap();
    let linked = sign_in_at_once(&stores, "host-bob", "bob@example.com").await;
    assert_eq!(
        linked,
        HashSet::from([by_hand.id.get()]),
        "the account by hand"
    );
    let users = stores[1].users().await.unwrap();
    assert_eq!(users.len(), 11, "{users:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn a_poller_sees_every_message_once_while_writers_on_several_pools_append() {
    let db = TestDb::create().await;
    let writers = [db.store().await, db.store().await];
    let reader = db.store().await;
    let (t, _) = reader
        .create_ticket(&simple_ticket(1, "busy"))
        .await
        .unwrap()
        .into_inner();
    let done = Arc::new(AtomicBool::new(false));
    let poller = {
        let (reader, done) = (reader.clone(), done.clone());
        tokio::spawn(async move {
            let mut seen: Vec<MessageId> = Vec::new();
            loop {
                let finished = done.load(Ordering::SeqCst);
                let page = MessageQuery {
                    ticket_id: t.id,
                    position: MessagePosition::After(seen.last().copied().unwrap_or(MessageId(0))),
                    limit: 7,
                    include_internal: true,
                };
                let got = reader.messages(&page).await.unwrap();
                if got.is_empty() && finished {
                    return seen;
                }
                seen.extend(got.iter().map(|m| m.id));
            }
        })
    };
    let mut tasks = Vec::new();
    for (p, store) in writers.iter().enumerate() {
        for w in 0..4 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..40 {
                    let text = format!("p{p} w{w} {i}");
                    let mut draft = message(t.id, 1, &text, time::now());
                    // Half the writers retry-proof their messages: keyed appends are a
                    // statement of their own, and must order with the batched plain ones.
                    if w % 2 == 1 {
                        draft.idempotency_key = key(&text);
                    }
                    let stored = store.append_message(&draft).await.unwrap();
                    assert!(stored.is_new());
                }
            }));
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let seen = poller.await.unwrap();
    assert_eq!(seen.len(), 8 * 40, "the poller missed messages");
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "ids went backwards or repeated"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn counts_stay_exact_under_opposite_concurrent_changes_from_several_pools() {
    let db = TestDb::create().await;
    let stores = [db.store().await, db.store().await];
    let mut ids = Vec::new();
    for i in 0..12 {
        let priority = ["low", "urgent"][i % 2];
        let (t, _) = stores[0]
            .create_ticket(&ticket(1, &format!("t{i}"), "it", priority, at(i as i64)))
            .await
            .unwrap()
            .into_inner();
        ids.push(t.id);
    }
    // Tasks move tickets through the statuses and priorities in opposite directions, so two
    // transactions often need the same two count rows in opposite roles: the trigger must
    // lock them in one order, or Postgres would abort one as a deadlock.
    let statuses = [
        Status::Open,
        Status::InProgress,
        Status::Pending,
        Status::Resolved,
    ];
    let priorities = [Priority::Low, Priority::Urgent];
    let mut tasks = Vec::new();
    for k in 0..8usize {
        let store = stores[k % 2].clone();
        let ids = ids.clone();
        tasks.push(tokio::spawn(async move {
            for step in 0..60usize {
                let n = if k % 2 == 0 { step } else { 60 - step };
                let change = TicketChange {
                    patch: TicketPatch {
                        status: Some(statuses[(n + k) % statuses.len()]),
                        priority: Some(priorities[(n / 2 + k) % 2]),
                        ..TicketPatch::default()
                    },
                    author: author(9),
                    idempotency_key: None,
                    expected_version: None,
                    at: time::now(),
                    sla: Default::default(),
                };
                store
                    .update_ticket(ids[(step * 7 + k) % ids.len()], &change)
                    .await
                    .unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let mut raw = db.raw().await;
    let rows = sqlx::query("SELECT status, priority FROM tickets")
        .fetch_all(&mut raw)
        .await
        .unwrap();
    let mut recount = Stats::default();
    for r in rows {
        let status: String = r.get("status");
        let rank: i16 = r.get("priority");
        recount.add(
            status.parse().unwrap(),
            Priority::from_rank(rank.into()).unwrap(),
        );
    }
    assert_eq!(stores[1].stats().await.unwrap(), recount);
}
