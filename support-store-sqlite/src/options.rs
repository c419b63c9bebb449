//! What can be tuned when opening a store.

use std::time::Duration;

/// How long a commit waits for the disk: SQLite's `synchronous` setting in WAL mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Synchronous {
    /// `synchronous = NORMAL`: the WAL is synced at checkpoints, not at every commit. A
    /// committed write survives the process crashing or being killed (`kill -9` included),
    /// because it is in the operating system's cache; a power loss or OS crash may lose the
    /// last commits, though never the database's consistency.
    #[default]
    Normal,
    /// `synchronous = FULL`: every commit is synced to the disk before it returns, so it
    /// survives power loss too, at the cost of one `fsync` per write.
    Full,
}

/// Options for [`SqliteStore::open_with`](crate::SqliteStore::open_with).
///
/// ```
/// use std::time::Duration;
/// use support_store_sqlite::{SqliteOptions, Synchronous};
///
/// let options = SqliteOptions { synchronous: Synchronous::Full, ..SqliteOptions::default() };
/// assert_eq!(options.busy_timeout, Duration::from_secs(5));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteOptions {
    /// How long a statement waits for another process's lock on the file before failing with
    /// [`Error::Unavailable`](support_core::Error::Unavailable). Writes of this store never
    /// wait on each other here: they queue for its single writer connection instead.
    pub busy_timeout: Duration,
    /// The durability of a commit. Default [`Synchronous::Normal`].
    pub synchronous: Synchronous,
    /// The most read-only connections kept open for reads (at least one is used). Default 4.
    pub max_readers: u32,
    /// How long a call waits for a free connection (for writes: for the writes queued before
    /// it) before failing with `Unavailable`. Default 30 s.
    pub acquire_timeout: Duration,
    /// Opens the file read-only, as `?mode=ro` in the URL does. The schema must already be
    /// current, since no migration can run; every write fails with
    /// [`Error::Backend`](support_core::Error::Backend).
    pub read_only: bool,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            busy_timeout: Duration::from_secs(5),
            synchronous: Synchronous::Normal,
            max_readers: 4,
            acquire_timeout: Duration::from_secs(30),
            read_only: false,
        }
    }
}
