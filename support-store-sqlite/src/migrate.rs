//! The schema: `migrations/` embedded in the binary, applied when a store opens.

use sqlx::SqlitePool;
use sqlx::migrate::Migrator;
use support_core::{Error, Result};

use crate::error::{from_migrate, from_sqlx};

/// Every migration of this crate, compiled in so a deployment needs only the binary.
pub(crate) static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Brings the schema up to date through the writer pool.
pub(crate) async fn run(pool: &SqlitePool) -> Result<()> {
    MIGRATOR.run(pool).await.map_err(from_migrate)
}

/// For a read-only store, which cannot migrate: checks that every migration of this build has
/// been applied already, so queries do not fail later on a missing table or column.
pub(crate) async fn check_current(pool: &SqlitePool) -> Result<()> {
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success = 1")
            .fetch_all(pool)
            .await
            .map_err(from_sqlx)?;
    match MIGRATOR.iter().find(|m| !applied.contains(&m.version)) {
        None => Ok(()),
        Some(missing) => Err(Error::backend(format!(
            "read-only database lacks migration {} ({}); open it writable once to migrate",
            missing.version, missing.description
        ))),
    }
}
