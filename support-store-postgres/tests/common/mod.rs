//! What the Postgres integration tests share: finding the server (or skipping loudly), a
//! fresh database per test that is dropped afterwards, and the draft builders of
//! `support_core::testing::drafts`.

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

/// The server the tests use, as a URL to its maintenance database. Override with
/// `SUPPORT_TEST_PG_URL`.
const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Every test database's name starts with this, followed by the test process's id.
const PREFIX: &str = "support_test_";

fn admin_url() -> String {
    std::env::var("SUPPORT_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned())
}

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

/// The one check every Postgres test starts with. `Some(admin url)` when the server answers.
/// When it does not: under `CI` (any value) the test fails, loudly; otherwise it prints a
/// loud notice and the caller returns, so a machine without Postgres can still run the rest
/// of the workspace's tests.
pub(crate) fn require_postgres() -> Option<String> {
    static PROBE: OnceLock<Result<(), String>> = OnceLock::new();
    let url = admin_url();
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
    match probe {
        Ok(()) => Some(url),
        Err(e) if std::env::var_os("CI").is_some() => {
            panic!("CI is set and PostgreSQL is unreachable at {url}: {e}")
        }
        Err(e) => {
            static NOTICE: std::sync::Once = std::sync::Once::new();
            NOTICE.call_once(|| {
                // Straight to the stream rather than `eprintln!`, which the test harness
                // captures and shows only for failing tests: a skip must be seen.
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "\n!!!!! SKIPPED: PostgreSQL is unreachable at {url} ({e}).\n\
                     !!!!! The support-store-postgres tests in this binary do not run. Start it with\n\
                     !!!!!   pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n\
                     !!!!! or point SUPPORT_TEST_PG_URL at a server. Under CI=true this fails.\n"
                );
            });
            None
        }
    }
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
    /// Creates an empty database; `None` when the tests skip (see [`require_postgres`]).
    pub(crate) async fn create() -> Option<TestDb> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let admin = require_postgres()?;
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
        let url = with_database(&admin, &name);
        Some(TestDb { admin, name, url })
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
        with_database(&admin, &self.name)
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

fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
    if query.is_empty() {
        format!("{server}/{database}")
    } else {
        format!("{server}/{database}?{query}")
    }
}

pub(crate) fn test_options() -> PgOptions {
    PgOptions {
        max_connections: 10,
        ..PgOptions::default()
    }
}

/// A store on a fresh database, kept with the guard that drops it; `None` when skipping.
pub(crate) async fn fresh_store() -> Option<Guarded<PgStore, TestDb>> {
    let db = TestDb::create().await?;
    let store = db.store().await;
    Some(Guarded::new(store, db))
}
