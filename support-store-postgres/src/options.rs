//! What can be tuned when connecting a store.

use std::time::Duration;

/// Options for [`PgStore::connect_with`](crate::PgStore::connect_with).
///
/// Every wait is bounded, so a database that is down, unreachable or stuck makes calls fail
/// with [`Error::Unavailable`](support_core::Error::Unavailable) after a few seconds instead
/// of hanging; the pool reconnects by itself once the database answers again.
///
/// ```
/// use std::time::Duration;
/// use support_store_postgres::PgOptions;
///
/// let options = PgOptions { max_connections: 32, ..PgOptions::default() };
/// assert_eq!(options.acquire_timeout, Duration::from_secs(3));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgOptions {
    /// The most connections the store's pool opens. Each call holds one connection while it
    /// runs, so this is also how many calls reach the database at once. Default 16.
    pub max_connections: u32,
    /// How long a call waits for a connection, including opening a new one (TCP connect,
    /// TLS, authentication), before failing with `Unavailable`. Default 3 s.
    pub acquire_timeout: Duration,
    /// The server-side `statement_timeout` of every connection: a statement that runs (or
    /// waits for a lock) longer is cancelled and the call fails with `Unavailable`.
    /// Default 10 s.
    pub statement_timeout: Duration,
    /// The longest any one call may take, measured by the client: the bound that holds even
    /// when the server stops answering without closing the connection. Default 20 s.
    pub call_timeout: Duration,
    /// How many appends (without an idempotency key), and separately how many ticket lookups,
    /// run as statements of their own at once. Beyond that they are queued, and each of this
    /// many background lanes takes everything queued as one statement: one round trip, and for
    /// appends one commit, for the whole batch. Few lanes make batches large, which is what
    /// lets many concurrent writers share the database's work; more lanes keep each request
    /// on its own statement longer, for lower latency when writers are few. Default 2.
    pub lanes: usize,
    /// Applies the embedded migrations on connect (default). When false, connecting only
    /// checks that every migration of this build has been applied already, for deployments
    /// that migrate in a separate step with a more privileged role.
    pub migrate: bool,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(3),
            statement_timeout: Duration::from_secs(10),
            call_timeout: Duration::from_secs(20),
            lanes: 2,
            migrate: true,
        }
    }
}
