//! From a URL to a connection pool with the schema in place.

use std::str::FromStr;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
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

/// A pool over `options` with the store's bounds.
pub(crate) fn pool_options(o: &PgOptions, max_connections: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max_connections.max(1))
        .min_connections(0)
        .acquire_timeout(o.acquire_timeout)
        // Checking an idle connection before handing it out costs one round trip after a
        // pause, and turns a connection the server or the network dropped into a silent
        // reconnect instead of a failed call.
        .test_before_acquire(true)
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
