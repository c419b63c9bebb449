//! Broken environments: each must produce a typed error, promptly, and never hang or panic.
//! Every call is wrapped in a timeout so that a hang fails the test instead of stalling it.

mod common;

use std::str::FromStr;
use std::time::{Duration, Instant};

use common::*;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, Executor};
use support_core::store::{MessagePosition, MessageQuery, SupportStore};
use support_core::{Error, TicketId};
use support_store_sqlite::{SqliteOptions, SqliteStore};
use tokio::time::timeout;

#[tokio::test]
async fn a_read_only_database_reads_and_refuses_writes_as_backend_errors() {
    // Tests run as root, and root ignores file permissions: a database file and directory
    // chmod'ed to read-only are still opened read-write and every write succeeds, so such a
    // test would prove nothing here. `mode=ro` makes SQLite itself open the file with
    // SQLITE_OPEN_READONLY, which it enforces for every user. A write then fails with
    // SQLITE_READONLY (8), the same code SQLite returns when it could only open an unwritable
    // file read-only, so the error mapping exercised is the one a real read-only file meets.
    let dir = tempfile::tempdir().unwrap();
    let url = url(dir.path(), "ro.db");
    let store = SqliteStore::open(&url).await.unwrap();
    let id = store
        .create_ticket(&simple_ticket(1, "written before"))
        .await
        .unwrap()
        .into_inner()
        .0
        .id;
    store.close().await;
    drop(store);

    for ro in [
        SqliteStore::open(&format!("{url}?mode=ro")).await.unwrap(),
        SqliteStore::open_with(
            &url,
            SqliteOptions {
                read_only: true,
                ..SqliteOptions::default()
            },
        )
        .await
        .unwrap(),
    ] {
        let read = timeout(BOUND, ro.ticket(id))
            .await
            .expect("read hung")
            .unwrap();
        assert_eq!(read.unwrap().subject, "written before");

        let write = timeout(BOUND, ro.create_ticket(&simple_ticket(1, "refused")))
            .await
            .expect("write hung");
        assert!(matches!(write, Err(Error::Backend(_))), "{write:?}");
        let append = timeout(
            BOUND,
            ro.append_message(&message(id, 1, "refused", common::at(0))),
        )
        .await
        .unwrap();
        assert!(matches!(append, Err(Error::Backend(_))), "{append:?}");

        // Nothing of the refused writes is visible.
        let page = MessageQuery {
            ticket_id: id,
            position: MessagePosition::Latest,
            limit: 10,
            include_internal: true,
        };
        assert!(ro.messages(&page).await.unwrap().is_empty());
        assert_eq!(ro.stats().await.unwrap().open, 1);
    }
}

#[tokio::test]
async fn read_only_opening_needs_an_existing_migrated_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = timeout(
        BOUND,
        SqliteStore::open(&format!("{}?mode=ro", url(dir.path(), "none.db"))),
    )
    .await
    .expect("open hung");
    assert!(matches!(missing, Err(Error::Backend(_))), "{missing:?}");

    // A valid SQLite file without our schema: a read-only store cannot migrate it.
    let path = dir.path().join("empty.db");
    let mut raw = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .connect()
        .await
        .unwrap();
    raw.execute("CREATE TABLE unrelated (x INTEGER)")
        .await
        .unwrap();
    raw.close().await.unwrap();
    let unmigrated = timeout(
        BOUND,
        SqliteStore::open(&format!("sqlite://{}?mode=ro", path.display())),
    )
    .await
    .expect("open hung");
    assert!(
        matches!(unmigrated, Err(Error::Backend(_))),
        "{unmigrated:?}"
    );
}

#[tokio::test]
async fn a_corrupt_file_fails_to_open_as_a_backend_error() {
    let dir = tempfile::tempdir().unwrap();
    let garbage: Vec<u8> = (0..8192u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    // Not a database at all, and a database header followed by garbage.
    let mut with_header = b"SQLite format 3\0".to_vec();
    with_header.extend_from_slice(&garbage);
    for (name, bytes) in [("garbage.db", garbage), ("bad-pages.db", with_header)] {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let opened = timeout(BOUND, SqliteStore::open(&url(dir.path(), name)))
            .await
            .expect("open hung");
        assert!(
            matches!(opened, Err(Error::Backend(_))),
            "{name}: {opened:?}"
        );
        // Opening did not "repair" the file by overwriting it.
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{name}");
    }
}

#[tokio::test]
async fn a_database_locked_by_another_process_is_unavailable_then_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let url = url(dir.path(), "locked.db");
    let options = SqliteOptions {
        busy_timeout: Duration::from_millis(200),
        ..SqliteOptions::default()
    };
    let store = SqliteStore::open_with(&url, options).await.unwrap();
    let first = store
        .create_ticket(&simple_ticket(1, "before the lock"))
        .await
        .unwrap()
        .into_inner()
        .0;

    // Stands in for another process: its own connection, holding the write lock.
    let mut other = SqliteConnectOptions::from_str(&url)
        .unwrap()
        .connect()
        .await
        .unwrap();
    other.execute("BEGIN EXCLUSIVE").await.unwrap();

    let started = Instant::now();
    let blocked = timeout(
        BOUND,
        store.create_ticket(&simple_ticket(1, "during the lock")),
    )
    .await
    .expect("hung");
    assert!(matches!(blocked, Err(Error::Unavailable(_))), "{blocked:?}");
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "gave up before the busy timeout"
    );
    let blocked = timeout(
        BOUND,
        store.append_message(&message(first.id, 1, "hello", common::at(0))),
    )
    .await
    .unwrap();
    assert!(matches!(blocked, Err(Error::Unavailable(_))), "{blocked:?}");

    // WAL: readers are not blocked by the lock, and the failed writes left nothing behind.
    let stats = timeout(BOUND, store.stats())
        .await
        .expect("read hung")
        .unwrap();
    assert_eq!(stats.open, 1);

    other.execute("ROLLBACK").await.unwrap();
    let after = timeout(
        BOUND,
        store.create_ticket(&simple_ticket(1, "after the lock")),
    )
    .await
    .unwrap()
    .unwrap();
    // The failed insert consumed no id.
    assert_eq!(after.into_inner().0.id, TicketId(first.id.get() + 1));
    other.close().await.unwrap();
}

#[tokio::test]
async fn data_that_does_not_parse_is_a_backend_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let url = url(dir.path(), "bad-data.db");
    let store = SqliteStore::open(&url).await.unwrap();
    let t = store
        .create_ticket(&simple_ticket(1, "fine"))
        .await
        .unwrap()
        .into_inner()
        .0;
    store
        .append_message(&message(t.id, 1, "fine", common::at(0)))
        .await
        .unwrap();

    // Written behind the store's back, as another program or a damaged file might.
    let mut raw = SqliteConnectOptions::from_str(&url)
        .unwrap()
        .connect()
        .await
        .unwrap();
    raw.execute("UPDATE messages SET attachments = 'not json'")
        .await
        .unwrap();
    raw.execute("UPDATE audit_entries SET change = '{\"field\":\"colour\"}'")
        .await
        .unwrap();
    raw.execute(&*format!("UPDATE tickets SET updated_at = {}", i64::MAX))
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
