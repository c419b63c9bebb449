//! What the Postgres integration tests share: the server, a fresh database per test that is
//! dropped afterwards, and the draft builders of `support_core::testing::drafts`.
//!
//! Every test here needs PostgreSQL: each carries
//! `#[cfg_attr(no_postgres, ignore = "…")]`, which `build.rs` sets when the build finds no
//! server, so they show as ignored with the reason; under `CI` they run, and fail.

// Each test file uses a different subset; a helper that cannot build its value is a broken
// test, so it panics.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub(crate) mod proxy;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::{Connection, Executor, PgConnection};
use support_core::testing::Guarded;
#[allow(unused_imports)]
pub(crate) use support_core::testing::drafts::*;
use support_store_postgres::{PgOptions, PgStore};
use test_prereqs::Prereq;

/// Every test database's name starts with this, followed by the test process's id.
const PREFIX: &str = "support_test_";

/// Runs `f` on a thread of its own with its own small runtime: the tests call this both
/// from plain `#[test]`s and from inside a runtime (a `Drop` at the end of an async test),
/// where blocking on another runtime is not allowed.
fn on_own_runtime<T: Send + 'static>(
    f: impl FnOnce() -> std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>> + Send + 'static,
) -> T {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f())
    })
    .join()
    .unwrap()
}

/// The server every test here uses (`SUPPORT_TEST_PG_URL`, or `127.0.0.1:5432`), as the URL
/// of its maintenance database. The build found it (or these tests would be ignored, see
/// `build.rs`); the first call checks that it still answers, and drops what killed runs left.
/// If it does not answer, every test that needs it fails, saying so.
pub(crate) fn require_postgres() -> String {
    static PROBE: OnceLock<Result<(), String>> = OnceLock::new();
    let url = test_prereqs::postgres_url();
    let probe = PROBE.get_or_init(|| {
        let probe_url = url.clone();
        let result = on_own_runtime(move || {
            Box::pin(async move {
                let connect = PgConnection::connect(&probe_url);
                match tokio::time::timeout(Duration::from_secs(5), connect).await {
                    Ok(Ok(mut c)) => c
                        .execute("SELECT 1")
                        .await
                        .map(|_| ())
                        .map_err(|e| e.to_string()),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err("no answer within 5 s".to_owned()),
                }
            })
        });
        if result.is_ok() {
            sweep_leftovers(&url);
        }
        result
    });
    if let Err(e) = probe {
        Prereq::Postgres.gone(env!("TEST_PREREQS_STAMP"), &format!("{url}: {e}"));
    }
    url
}

/// In every test binary here: the build's probe for PostgreSQL still holds.
#[test]
fn postgres_probe_still_holds() {
    Prereq::Postgres.assert_still_as_built(cfg!(no_postgres), env!("TEST_PREREQS_STAMP"));
}

/// Drops the databases of earlier test runs that were killed before their guards ran: those
/// whose creating process is gone.
fn sweep_leftovers(url: &str) {
    let url = url.to_owned();
    on_own_runtime(move || {
        Box::pin(async move {
            let Ok(mut admin) = PgConnection::connect(&url).await else {
                return;
            };
            let names: Vec<String> = sqlx::query_scalar(
                "SELECT datname FROM pg_database WHERE datname LIKE 'support\\_test\\_%'",
            )
            .fetch_all(&mut admin)
            .await
            .unwrap_or_default();
            for name in names {
                let pid = name[PREFIX.len()..].split('_').next().unwrap_or("");
                let alive = std::path::Path::new(&format!("/proc/{pid}")).exists();
                if !alive && std::path::Path::new("/proc/self").exists() {
                    let _ = admin
                        .execute(&*format!(
                            r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#
                        ))
                        .await;
                }
            }
        })
    });
}

/// A database of its own for one test, dropped (with any connections still open to it)
/// when this guard is.
pub(crate) struct TestDb {
    admin: String,
    name: String,
    /// The URL of the new database.
    pub(crate) url: String,
}

impl TestDb {
    /// Creates an empty database.
    pub(crate) async fn create() -> TestDb {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let admin = require_postgres();
        let name = format!(
            "{PREFIX}{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut conn = PgConnection::connect(&admin).await.unwrap();
        conn.execute(&*format!(r#"CREATE DATABASE "{name}""#))
            .await
            .unwrap();
        conn.close().await.unwrap();
        let url = test_prereqs::postgres_url_with_database(&admin, &name);
        TestDb { admin, name, url }
    }

    /// The server's address, for a proxy to forward to.
    pub(crate) fn server(&self) -> std::net::SocketAddr {
        use std::net::ToSocketAddrs;
        let (host, port) = self.host_port();
        (host.as_str(), port)
            .to_socket_addrs()
            .unwrap()
            .next()
            .unwrap()
    }

    fn host_port(&self) -> (String, u16) {
        let options: sqlx::postgres::PgConnectOptions = self.admin.parse().unwrap();
        (options.get_host().to_owned(), options.get_port())
    }

    /// A URL of this database that goes through `port` on localhost instead (a proxy).
    pub(crate) fn url_via(&self, port: u16) -> String {
        let (host, server_port) = self.host_port();
        let authority = format!("{host}:{server_port}");
        assert!(
            self.admin.contains(&authority),
            "SUPPORT_TEST_PG_URL must spell out host:port for the proxy tests"
        );
        let admin = self.admin.replace(&authority, &format!("127.0.0.1:{port}"));
        test_prereqs::postgres_url_with_database(&admin, &self.name)
    }

    /// A store on this database with the tests' pool size: enough for 8 writers and a poller
    /// on separate connections.
    pub(crate) async fn store(&self) -> PgStore {
        PgStore::connect_with(&self.url, test_options())
            .await
            .unwrap()
    }

    /// A raw connection, for writing behind the store's back.
    pub(crate) async fn raw(&self) -> PgConnection {
        PgConnection::connect(&self.url).await.unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        on_own_runtime(move || {
            Box::pin(async move {
                let mut conn = PgConnection::connect(&admin).await.unwrap();
                // FORCE ends the sessions the test's pools still hold.
                conn.execute(&*format!(
                    r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#
                ))
                .await
                .unwrap();
            })
        });
    }
}

pub(crate) fn test_options() -> PgOptions {
    PgOptions {
        max_connections: 10,
        ..PgOptions::default()
    }
}

/// A store on a fresh database, kept with the guard that drops it.
pub(crate) async fn fresh_store() -> Guarded<PgStore, TestDb> {
    let db = TestDb::create().await;
    let store = db.store().await;
    Guarded::new(store, db)
}
