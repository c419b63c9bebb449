//! From a URL to a connection pool with the schema in place.

use std::str::FromStr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgPool};
use support_core::Result;

use crate::error::from_sqlx;
use crate::migrate;
use crate::options::PgOptions;

/// The name the store's sessions show in `pg_stat_activity`, unless the URL sets one.
const APPLICATION_NAME: &str = "support-store-postgres";

/// Parses `url` into the options every connection of a store uses, the listener's included.
pub(crate) fn connect_options(url: &str, o: &PgOptions) -> Result<PgConnectOptions> {
    let mut options = PgConnectOptions::from_str(url).map_err(from_sqlx)?;
    if options.get_application_name().is_none() {
        options = options.application_name(APPLICATION_NAME);
    }
    Ok(options.options([
        (
            "statement_timeout",
            format!("{}ms", o.statement_timeout.as_millis()),
        ),
        // A client that vanishes mid-transaction (a killed process, a cut network) would
        // otherwise keep its ticket locked for as long as the server takes to notice.
        (
            "idle_in_transaction_session_timeout",
            format!("{}ms", (o.statement_timeout * 3).as_millis()),
        ),
    ]))
}

/// A connection idle for longer than this is checked with a round trip before it is used.
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(1);

/// When this process last saw a connection to a database fail, in milliseconds since
/// [`since`]'s start (0: never). Connections that were idle in a pool at that moment may be
/// dead too, however briefly they have been idle, so they are checked before reuse. Shared by
/// every store of the process: at worst another store checks a few connections once more.
static LAST_FAILURE: AtomicU64 = AtomicU64::new(0);

fn since() -> Duration {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed()
}

/// Records that a connection failed (it was lost, refused, or timed out).
pub(crate) fn note_connection_failure() {
    let now = u64::try_from(since().as_millis())
        .unwrap_or(u64::MAX)
        .max(1);
    LAST_FAILURE.fetch_max(now, Ordering::Relaxed);
}

/// True if a connection idle for `idle_for` may be stale: idle long enough for the server or
/// the network to have dropped it unseen, or idle already when a failure was seen.
fn needs_check(idle_for: Duration) -> bool {
    stale(idle_for, since(), LAST_FAILURE.load(Ordering::Relaxed))
}

/// [`needs_check`] at time `now`, with the last failure at `failed` ms (0: none).
fn stale(idle_for: Duration, now: Duration, failed: u64) -> bool {
    let released = now.saturating_sub(idle_for).as_millis();
    idle_for > CHECK_AFTER_IDLE || (failed != 0 && u128::from(failed) >= released)
}

/// A pool over `options` with the store's bounds.
pub(crate) fn pool_options(o: &PgOptions, max_connections: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max_connections.max(1))
        .min_connections(0)
        .acquire_timeout(o.acquire_timeout)
        // sqlx's own check pings every connection it hands out: a second round trip for
        // every query, and under load most of the work. A connection that was in use a
        // moment ago is known to be good (sqlx also checks each one as it comes back); one
        // that may have been dropped meanwhile is checked, so that becomes a silent reconnect
        // rather than a failed call.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if needs_check(meta.idle_for) {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}

/// Opens the pool for `url` and applies (or checks) the migrations.
pub(crate) async fn open(url: &str, o: &PgOptions) -> Result<(PgPool, PgConnectOptions)> {
    let options = connect_options(url, o)?;
    // Connecting eagerly makes a wrong URL, password or database fail here, at start-up.
    let pool = pool_options(o, o.max_connections)
        .connect_with(options.clone())
        .await
        .map_err(from_sqlx)?;
    if o.migrate {
        migrate::run(&pool).await?;
    } else {
        migrate::check_current(&pool).await?;
    }
    Ok((pool, options))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_idle_at_a_failure_or_for_long_are_checked() {
        let now = Duration::from_secs(100);
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap();
        // Idle for long: checked, failure or not.
        assert!(stale(CHECK_AFTER_IDLE * 2, now, 0));
        // In use a moment ago, no failure seen: used as it is.
        assert!(!stale(Duration::from_millis(10), now, 0));
        // Released after the last failure: good.
        assert!(!stale(Duration::from_millis(10), now, ms(now) - 500));
        // Idle already when a failure was seen: checked.
        assert!(stale(Duration::from_millis(500), now, ms(now) - 100));
    }
}
