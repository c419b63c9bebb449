//! The schema: `migrations/` embedded in the binary, applied when a store connects.

use sqlx::PgPool;
use sqlx::migrate::Migrator;
use support_core::{Error, Result};

use crate::error::{from_migrate, from_sqlx};

/// Every migration of this crate, compiled in so a deployment needs only the binary.
pub(crate) static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Brings the schema up to date. sqlx holds an advisory lock while it migrates, so several
/// nodes starting at once against one database apply each migration exactly once.
pub(crate) async fn run(pool: &PgPool) -> Result<()> {
    MIGRATOR.run(pool).await.map_err(from_migrate)
}

/// For a store that must not migrate: checks that every migration of this build has been
/// applied already, so queries do not fail later on a missing table or column.
pub(crate) async fn check_current(pool: &PgPool) -> Result<()> {
    let applied: Vec<i64> =
        match sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(pool)
            .await
        {
            Ok(v) => v,
            // 42P01: no migration table at all.
            Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("42P01") => Vec::new(),
            Err(e) => return Err(from_sqlx(e)),
        };
    match MIGRATOR.iter().find(|m| !applied.contains(&m.version)) {
        None => Ok(()),
        Some(missing) => Err(Error::backend(format!(
            "database lacks migration {} ({}); connect once with PgOptions::migrate = true",
            missing.version, missing.description
        ))),
    }
}
