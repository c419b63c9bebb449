//! From a URL to open connection pools with the schema in place.

use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, SqliteConnection, SqlitePool};
use support_core::{Error, Result};

use crate::error::from_sqlx;
use crate::migrate;
use crate::options::{SqliteOptions, Synchronous};

/// The connections of one store.
pub(crate) struct Pools {
    /// Exactly one connection: writes queue for it in tokio, in arrival order, instead of
    /// competing for SQLite's file lock and spinning in its busy handler.
    pub(crate) writer: SqlitePool,
    /// Read-only connections. In WAL mode they read the last committed state without waiting
    /// for the writer; for an in-memory database this is the writer pool itself.
    pub(crate) reader: SqlitePool,
    /// For an in-memory database: a connection that is never used, only held, because SQLite
    /// drops a memory database when its last connection closes. Should the pool ever replace
    /// its connection, the data would otherwise be gone.
    pub(crate) keeper: Option<SqliteConnection>,
}

/// What a URL asks for.
struct Target {
    options: SqliteConnectOptions,
    memory: bool,
    read_only: bool,
}

impl Target {
    fn parse(url: &str, read_only: bool) -> Result<Self> {
        let rest = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        let (path, params) = rest.split_once('?').unwrap_or((rest, ""));
        let mode = params
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "mode")
            .map(|(_, v)| v);
        let memory = path == ":memory:" || mode == Some("memory");
        if path.is_empty() && !memory {
            // SQLite would open a private temporary file, gone at close: never what a store wants.
            return Err(Error::backend(format!("no database file in {url:?}")));
        }
        // sqlx parses the same forms (`sqlite://path`, `sqlite:path`, a bare path,
        // `sqlite::memory:`), and gives each in-memory URL its own shared-cache name.
        let options = SqliteConnectOptions::from_str(url).map_err(from_sqlx)?;
        Ok(Target {
            options,
            memory,
            read_only: read_only || mode == Some("ro"),
        })
    }
}

/// Opens the pools for `url` and applies (or, read-only, checks) the migrations.
pub(crate) async fn open(url: &str, o: &SqliteOptions) -> Result<Pools> {
    let target = Target::parse(url, o.read_only)?;
    let base = target
        .options
        .busy_timeout(o.busy_timeout)
        .foreign_keys(true)
        .read_only(target.read_only);
    let single = || {
        SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(o.acquire_timeout)
            // A local file does not go stale like a network socket; skip the round trip.
            .test_before_acquire(false)
    };

    if target.memory {
        let keeper = base.connect().await.map_err(from_sqlx)?;
        let pool = single().connect_with(base).await.map_err(from_sqlx)?;
        migrate_or_check(&pool, target.read_only).await?;
        return Ok(Pools {
            writer: pool.clone(),
            reader: pool,
            keeper: Some(keeper),
        });
    }

    let writer_options = if target.read_only {
        // The journal mode is a property of the file; a read-only connection cannot set it.
        base.clone()
    } else {
        base.clone()
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(match o.synchronous {
                Synchronous::Normal => SqliteSynchronous::Normal,
                Synchronous::Full => SqliteSynchronous::Full,
            })
    };
    // Connecting runs the pragmas, which read the file header: a file that is not a database
    // fails here, at open, not at the first request.
    let writer = single()
        .connect_with(writer_options)
        .await
        .map_err(from_sqlx)?;
    migrate_or_check(&writer, target.read_only).await?;
    let reader = SqlitePoolOptions::new()
        .max_connections(o.max_readers.max(1))
        .acquire_timeout(o.acquire_timeout)
        .test_before_acquire(false)
        .connect_with(base.read_only(true))
        .await
        .map_err(from_sqlx)?;
    Ok(Pools {
        writer,
        reader,
        keeper: None,
    })
}

async fn migrate_or_check(pool: &SqlitePool, read_only: bool) -> Result<()> {
    if read_only {
        migrate::check_current(pool).await
    } else {
        migrate::run(pool).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_in_every_accepted_form() {
        for (url, memory, read_only) in [
            ("sqlite://data/support.db", false, false),
            ("sqlite:support.db", false, false),
            ("/var/lib/support.db", false, false),
            ("sqlite://support.db?mode=ro", false, true),
            ("sqlite::memory:", true, false),
            ("sqlite://:memory:", true, false),
            ("sqlite://x?mode=memory", true, false),
        ] {
            let t = Target::parse(url, false).unwrap();
            assert_eq!((t.memory, t.read_only), (memory, read_only), "{url}");
        }
        assert!(Target::parse("sqlite://", false).is_err());
        assert!(Target::parse("sqlite://x.db?mode=bogus", false).is_err());
        assert!(Target::parse("sqlite://x.db", true).unwrap().read_only);
    }
}
