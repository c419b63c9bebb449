//! A database that goes away, hangs, cancels or holds bad data: each must produce a typed
//! error, promptly, and the same store (and listener) must work again once the database is
//! back, with no restart. The database is cut off by a TCP proxy inside the test, never by
//! stopping the machine's PostgreSQL.

// Setup helpers outside #[test] functions panic on failure like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::future::Future;
use std::time::{Duration, Instant};

use common::proxy::{Mode, Proxy};
use common::*;
use sqlx::{Connection, Executor};
use support_core::store::*;
use support_core::{
    Actor, Channel, Error, MemoryBroadcaster, MessageBody, MessageId, Missed, NewMessage, Role,
    StaticDirectory, Status, SupportService, TicketFilter, TicketId, TicketPatch, WriteContext,
};
use support_store_postgres::{ListenerOptions, PgBroadcaster, PgListener, PgOptions, PgStore};
use tokio::time::timeout;

/// What the issue asks of a dead database: an answer within seconds.
const QUICK: Duration = Duration::from_secs(5);

async fn timed<T>(call: impl Future<Output = T>) -> (T, Duration) {
    let started = Instant::now();
    let out = timeout(common::BOUND * 2, call)
        .await
        .expect("the call hung");
    (out, started.elapsed())
}

/// Every store method once, with its outcome and how long it took.
async fn every_call(
    store: &PgStore,
    t: TicketId,
) -> Vec<(&'static str, Result<(), Error>, Duration)> {
    let page = MessageQuery {
        ticket_id: t,
        position: MessagePosition::After(MessageId(0)),
        limit: 10,
        include_internal: true,
    };
    let list = TicketQuery {
        filter: TicketFilter::default(),
        order: TicketOrder::Newest,
        after: None,
        limit: 10,
    };
    let change = TicketChange {
        patch: TicketPatch {
            status: Some(Status::Pending),
            ..TicketPatch::default()
        },
        author: author(9),
        idempotency_key: None,
        expected_version: None,
        at: support_core::time::now(),
        sla: Default::default(),
    };
    let mut out = Vec::new();
    macro_rules! call {
        ($name:literal, $call:expr) => {{
            let (r, took) = timed($call).await;
            out.push(($name, r.map(|_| ()), took));
        }};
    }
    call!("ping", store.ping());
    call!("ticket", store.ticket(t));
    call!("tickets", store.tickets(&list));
    call!("messages", store.messages(&page));
    call!("stats", store.stats());
    call!("audit_trail", store.audit_trail(t));
    call!(
        "create_ticket",
        store.create_ticket(&simple_ticket(1, "during"))
    );
    call!(
        "append_message",
        store.append_message(&message(t, 1, "during", support_core::time::now()))
    );
    call!("update_ticket", store.update_ticket(t, &change));
    out
}

fn assert_all_unavailable_quickly(
    results: &[(&str, Result<(), Error>, Duration)],
    bound: Duration,
) {
    for (name, result, took) in results {
        assert!(
            matches!(result, Err(Error::Unavailable(_))),
            "{name}: {result:?}"
        );
        assert!(*took < bound, "{name} took {took:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn a_cut_database_answers_unavailable_within_seconds_and_the_same_store_recovers() {
    let db = TestDb::create().await;
    let proxy = Proxy::start(db.server()).await;
    // The default options: these are the bounds a deployment gets.
    let store = PgStore::connect(&db.url_via(proxy.port())).await.unwrap();
    let (t, _) = store
        .create_ticket(&simple_ticket(1, "before"))
        .await
        .unwrap()
        .into_inner();

    proxy.set(Mode::Cut);
    let results = every_call(&store, t.id).await;
    for (name, _, took) in &results {
        println!("cut: {name} answered in {took:?}");
    }
    assert_all_unavailable_quickly(&results, QUICK);

    proxy.set(Mode::Open);
    let results = every_call(&store, t.id).await;
    for (name, result, _) in &results {
        assert!(result.is_ok(), "{name} after restoring: {result:?}");
    }
    // What was committed before the cut is there; what failed during it is not.
    assert_eq!(store.ticket(t.id).await.unwrap().unwrap().subject, "before");
    let subjects: Vec<String> = store
        .tickets(&TicketQuery {
            filter: TicketFilter::default(),
            order: TicketOrder::Newest,
            after: None,
            limit: 10,
        })
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.subject)
        .collect();
    assert_eq!(
        subjects,
        ["during", "before"],
        "one create after the restore"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn a_network_that_swallows_packets_is_bounded_by_the_timeouts() {
    let db = TestDb::create().await;
    let proxy = Proxy::start(db.server()).await;
    let options = PgOptions {
        acquire_timeout: Duration::from_millis(800),
        call_timeout: Duration::from_secs(2),
        ..test_options()
    };
    let store = PgStore::connect_with(&db.url_via(proxy.port()), options)
        .await
        .unwrap();
    let (t, _) = store
        .create_ticket(&simple_ticket(1, "before"))
        .await
        .unwrap()
        .into_inner();

    // A call already in flight when the network goes silent: an append waiting for the
    // ticket's row lock, which another client holds. Its answer will never arrive, so only
    // the call timeout ends it.
    let mut other = db.raw().await;
    other.execute("BEGIN").await.unwrap();
    other
        .execute(&*format!(
            "SELECT * FROM tickets WHERE id = {} FOR UPDATE",
            t.id
        ))
        .await
        .unwrap();
    let in_flight = {
        let store = store.clone();
        tokio::spawn(async move {
            timed(store.append_message(&message(t.id, 1, "in flight", at(1)))).await
        })
    };
    let mut admin = db.raw().await;
    let deadline = Instant::now() + common::BOUND;
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&mut admin)
        .await
        .unwrap();
        if waiting > 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the append never waited for the lock"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Open connections stop answering mid-conversation and new ones are never accepted by
    // the server: only the client's timeouts end the calls.
    proxy.set(Mode::Stall);
    other.execute("ROLLBACK").await.unwrap();
    let (outcome, took) = in_flight.await.unwrap();
    assert!(matches!(outcome, Err(Error::Unavailable(_))), "{outcome:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    let results = every_call(&store, t.id).await;
    for (name, _, took) in &results {
        println!("stalled: {name} answered in {took:?}");
    }
    assert_all_unavailable_quickly(&results, Duration::from_secs(3));

    proxy.set(Mode::Open);
    // The calls cut short left connections behind that the pool must notice and replace.
    let results = every_call(&store, t.id).await;
    for (name, result, _) in &results {
        assert!(result.is_ok(), "{name} after restoring: {result:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn connecting_to_a_database_that_is_down_is_unavailable_within_seconds() {
    let db = TestDb::create().await;
    let proxy = Proxy::start(db.server()).await;
    let url = db.url_via(proxy.port());
    for mode in [Mode::Cut, Mode::Hang] {
        proxy.set(mode);
        let (connected, took) = timed(PgStore::connect(&url)).await;
        println!("{mode:?}: connect answered in {took:?}");
        assert!(
            matches!(connected, Err(Error::Unavailable(_))),
            "{mode:?}: {connected:?}"
        );
        assert!(took < QUICK, "{mode:?}: {took:?}");
    }
    proxy.set(Mode::Open);
    PgStore::connect(&url).await.unwrap().ping().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn a_missing_database_or_role_is_a_backend_error() {
    let db = TestDb::create().await;
    let missing_db = db.url.replace("support_test_", "no_such_database_");
    let missing_role = db.url.replace("postgres@", "no_such_role@");
    for url in [missing_db, missing_role] {
        let (connected, took) = timed(PgStore::connect(&url)).await;
        assert!(
            matches!(connected, Err(Error::Backend(_))),
            "{url}: {connected:?}"
        );
        assert!(took < QUICK, "{url}: {took:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn a_statement_past_the_timeout_is_cancelled_as_unavailable() {
    let db = TestDb::create().await;
    let options = PgOptions {
        statement_timeout: Duration::from_millis(300),
        ..test_options()
    };
    let store = PgStore::connect_with(&db.url, options).await.unwrap();
    let (t, _) = store
        .create_ticket(&simple_ticket(1, "locked"))
        .await
        .unwrap()
        .into_inner();

    // Another client holds the ticket's row lock, so the append waits for it.
    let mut other = db.raw().await;
    other.execute("BEGIN").await.unwrap();
    other
        .execute(&*format!(
            "SELECT * FROM tickets WHERE id = {} FOR UPDATE",
            t.id
        ))
        .await
        .unwrap();
    let (waited, took) = timed(store.append_message(&message(t.id, 1, "blocked", at(1)))).await;
    assert!(matches!(waited, Err(Error::Unavailable(_))), "{waited:?}");
    assert!(
        took >= Duration::from_millis(250) && took < QUICK,
        "{took:?}"
    );

    other.execute("ROLLBACK").await.unwrap();
    store
        .append_message(&message(t.id, 1, "after", at(2)))
        .await
        .unwrap();
    let page = MessageQuery {
        ticket_id: t.id,
        position: MessagePosition::Latest,
        limit: 10,
        include_internal: true,
    };
    let texts: Vec<String> = store
        .messages(&page)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.content)
        .collect();
    assert_eq!(texts, ["after"], "the cancelled append left nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn a_terminated_session_is_unavailable_and_the_pool_replaces_it() {
    let db = TestDb::create().await;
    let store = db.store().await;
    let (t, _) = store
        .create_ticket(&simple_ticket(1, "terminated"))
        .await
        .unwrap()
        .into_inner();
    let mut other = db.raw().await;
    other.execute("BEGIN").await.unwrap();
    other
        .execute(&*format!(
            "SELECT * FROM tickets WHERE id = {} FOR UPDATE",
            t.id
        ))
        .await
        .unwrap();
    let blocked = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .append_message(&message(t.id, 1, "blocked", at(1)))
                .await
        })
    };
    // An administrator (or a failover) ends the waiting session: SQLSTATE 57P01.
    let mut admin = db.raw().await;
    let deadline = Instant::now() + common::BOUND;
    loop {
        let terminated: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_all(&mut admin)
        .await
        .unwrap();
        if !terminated.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the append never waited for the lock"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let outcome = timeout(common::BOUND, blocked).await.unwrap().unwrap();
    assert!(matches!(outcome, Err(Error::Unavailable(_))), "{outcome:?}");

    other.execute("ROLLBACK").await.unwrap();
    for i in 0..20 {
        store
            .append_message(&message(t.id, 1, &format!("after {i}"), at(2)))
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn a_row_written_behind_the_stores_back_with_the_next_id_is_a_conflict() {
    let db = TestDb::create().await;
    let store = db.store().await;
    let (first, _) = store
        .create_ticket(&simple_ticket(1, "first"))
        .await
        .unwrap()
        .into_inner();
    let mut raw = db.raw().await;
    raw.execute(&*format!(
        "INSERT INTO tickets (id, employee_id, subject, description, category, priority, status, \
         created_at) OVERRIDING SYSTEM VALUE \
         VALUES ({}, 1, 'taken', 'by hand', 'it', 1, 'open', now())",
        first.id.get() + 1
    ))
    .await
    .unwrap();
    let clash = store.create_ticket(&simple_ticket(1, "clash")).await;
    assert!(matches!(clash, Err(Error::Conflict(_))), "{clash:?}");
    // The unique violation rolled the whole create back, and the next one gets a fresh id.
    let (next, _) = store
        .create_ticket(&simple_ticket(1, "next"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(next.id, TicketId(first.id.get() + 2));
    assert!(store.audit_trail(first.id).await.unwrap().len() == 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn data_that_does_not_parse_is_a_backend_error_not_a_panic() {
    let db = TestDb::create().await;
    let store = db.store().await;
    let (t, _) = store
        .create_ticket(&simple_ticket(1, "fine"))
        .await
        .unwrap()
        .into_inner();
    store
        .append_message(&message(t.id, 1, "fine", at(0)))
        .await
        .unwrap();

    // Written behind the store's back, as another program or a damaged database might.
    let mut raw = db.raw().await;
    raw.execute(r#"UPDATE messages SET attachments = '[{"name": 1}]'"#)
        .await
        .unwrap();
    raw.execute(r#"UPDATE audit_entries SET change = '{"field":"colour"}'"#)
        .await
        .unwrap();
    // Postgres accepts 'infinity'; chrono cannot hold it.
    raw.execute("UPDATE ticket_activity SET updated_at = 'infinity'")
        .await
        .unwrap();
    raw.close().await.unwrap();

    let page = MessageQuery {
        ticket_id: t.id,
        position: MessagePosition::Latest,
        limit: 10,
        include_internal: true,
    };
    assert!(matches!(
        store.messages(&page).await,
        Err(Error::Backend(_))
    ));
    assert!(matches!(
        store.audit_trail(t.id).await,
        Err(Error::Backend(_))
    ));
    assert!(matches!(store.ticket(t.id).await, Err(Error::Backend(_))));
}

/// A node whose every connection, the listener's included, goes through `proxy`.
async fn node_behind(
    db: &TestDb,
    proxy: &Proxy,
    listener: ListenerOptions,
) -> (PgStore, MemoryBroadcaster, PgListener) {
    let options = PgOptions {
        acquire_timeout: Duration::from_millis(800),
        call_timeout: Duration::from_secs(2),
        ..test_options()
    };
    let store = PgStore::connect_with(&db.url_via(proxy.port()), options)
        .await
        .unwrap();
    let hub = MemoryBroadcaster::default();
    let listener = PgListener::start_with(&store, hub.clone(), listener)
        .await
        .unwrap();
    (store, hub, listener)
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + common::BOUND;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn service_on(store: &PgStore) -> (SupportService, Actor) {
    let alice = Actor::new(101, "Alice Employee", Role::Employee);
    let service = SupportService::new(
        store.clone(),
        PgBroadcaster::new(store),
        StaticDirectory::new([alice.clone()]),
    );
    (service, alice)
}

fn say(text: &str) -> NewMessage {
    NewMessage::public(MessageBody::parse(text).unwrap())
}

async fn next_text(sub: &mut support_core::Subscription) -> Result<String, Missed> {
    let b = timeout(common::BOUND, sub.recv())
        .await
        .expect("nothing arrived")?;
    Ok(b.message().expect("a chat message").content.clone())
}

/// Both ways a listener can lose its session: the connection is closed (`Cut`), or it stays
/// open and goes silent (`Stall`, noticed by the idle check). Either way the listener
/// reconnects once the database is back, and subscribers are told to catch up.
async fn listener_recovers_from(mode: Mode) {
    let db = TestDb::create().await;
    let proxy = Proxy::start(db.server()).await;
    let listen = ListenerOptions {
        idle_check: Duration::from_millis(300),
        max_retry_delay: Duration::from_millis(500),
        ..ListenerOptions::default()
    };
    let (store_b, hub_b, listener_b) = node_behind(&db, &proxy, listen).await;
    // Node A reaches the database directly and keeps posting while B is cut off.
    let store_a = db.store().await;
    let (a, alice) = service_on(&store_a);
    let _listener_a = PgListener::start(&store_a, MemoryBroadcaster::default())
        .await
        .unwrap();
    let t = a
        .create_ticket(
            &alice,
            support_core::NewTicket::parse("s", "d", "it", "low").unwrap(),
            &WriteContext::default(),
        )
        .await
        .unwrap();
    let mut on_b = hub_b.subscribe(Channel::Ticket(t.id), None);

    let seen = a
        .post_message(&alice, t.id, say("one"), &WriteContext::default())
        .await
        .unwrap();
    assert_eq!(next_text(&mut on_b).await.unwrap(), "one");

    proxy.set(mode);
    wait_until("B's listener notices", || !listener_b.status().listening).await;
    a.post_message(
        &alice,
        t.id,
        say("two, while B is away"),
        &WriteContext::default(),
    )
    .await
    .unwrap();
    // Give the lost notification time to have been delivered, had B been listening.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(on_b.try_recv().is_none(), "B cannot have heard anything");

    proxy.set(Mode::Open);
    wait_until("B listens again", || listener_b.status().listening).await;
    let status = listener_b.status();
    assert_eq!((status.reconnects, status.resyncs), (1, 1), "{status:?}");
    // The gap is reported, not skipped over: the subscriber catches up from the store.
    assert_eq!(next_text(&mut on_b).await, Err(Missed::Resync));
    let page = MessageQuery {
        ticket_id: t.id,
        position: MessagePosition::After(seen.id),
        limit: 50,
        include_internal: false,
    };
    let caught_up: Vec<String> = store_b
        .messages(&page)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.content)
        .collect();
    assert_eq!(caught_up, ["two, while B is away"]);

    a.post_message(&alice, t.id, say("three"), &WriteContext::default())
        .await
        .unwrap();
    assert_eq!(next_text(&mut on_b).await.unwrap(), "three");
    assert!(on_b.try_recv().is_none());
    listener_b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn the_listener_reconnects_after_a_cut_and_tells_subscribers_to_catch_up() {
    listener_recovers_from(Mode::Cut).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn a_listener_whose_connection_goes_silent_notices_and_reconnects() {
    listener_recovers_from(Mode::Stall).await;
}
