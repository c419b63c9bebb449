//! A database of its own for a doctest or an example's test (feature `testing`).
//!
//! [`TestDatabase::create`] makes an empty database on the server of `SUPPORT_TEST_PG_URL`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`) and drops it, with any sessions
//! still open to it, when the guard is dropped. Its name starts with `support_test_` and the
//! process id, as the crate's own tests' databases do, so leftovers of a killed run are swept
//! by the next run of those tests.
//!
//! Without a reachable server it prints a loud notice and answers `None`, so the caller can
//! skip; under `CI` ([`test_prereqs::ci`]) it panics instead, so a CI run never passes
//! without the database tests. (A doctest cannot mark itself ignored, so outside CI a
//! doctest that skipped this way counts as passed.)
//!
//! ```no_run
//! use support_store_postgres::PgStore;
//! use support_store_postgres::testing::TestDatabase;
//!
//! # async fn run() -> support_core::Result<()> {
//! let Some(database) = TestDatabase::create().await else { return Ok(()) };
//! let store = PgStore::connect(database.url()).await?;
//! # Ok(()) }
//! ```

#![allow(clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::{Connection, Executor, PgConnection};

/// An empty database, dropped with this guard.
#[derive(Debug)]
pub struct TestDatabase {
    admin: String,
    name: String,
    url: String,
}

impl TestDatabase {
    /// Creates an empty database; `None` (after a notice on stderr) when the server cannot
    /// be reached and `CI` is unset. Panics under `CI` when it cannot be reached.
    pub async fn create() -> Option<TestDatabase> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let admin = test_prereqs::postgres_url();
        let connect = PgConnection::connect(&admin);
        let mut conn = match tokio::time::timeout(Duration::from_secs(5), connect).await {
            Ok(Ok(conn)) => conn,
            failed => {
                let why = match failed {
                    Ok(Err(e)) => e.to_string(),
                    _ => "no answer within 5 s".to_owned(),
                };
                assert!(
                    !test_prereqs::ci(),
                    "CI is set and PostgreSQL is unreachable at {admin}: {why}"
                );
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "\n!!!!! SKIPPED: PostgreSQL is unreachable at {admin} ({why}); start it or set \
                     SUPPORT_TEST_PG_URL. Under CI=true this fails.\n"
                );
                return None;
            }
        };
        let name = format!(
            "support_test_{}_doc_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        conn.execute(&*format!(r#"CREATE DATABASE "{name}""#))
            .await
            .expect("CREATE DATABASE");
        let _ = conn.close().await;
        let url = test_prereqs::postgres_url_with_database(&admin, &name);
        Some(TestDatabase { admin, name, url })
    }

    /// The URL of the new database.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // On a thread and runtime of its own: the guard may be dropped inside a runtime,
        // where blocking on another one is not allowed.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let mut conn = PgConnection::connect(&admin).await.ok()?;
                // FORCE ends the sessions the test's pools still hold.
                conn.execute(&*format!(
                    r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#
                ))
                .await
                .ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            tracing::warn!(database = %self.name, "could not drop the test database");
        }
    }
}
