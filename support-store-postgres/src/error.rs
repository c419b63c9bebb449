//! The one place where PostgreSQL and sqlx failures become [`support_core::Error`] kinds.
//!
//! The split follows what a caller can do about it: `Unavailable` means "the same request may
//! work later" (the connection was lost or refused, the pool is exhausted, the server is
//! shutting down, out of connections or disk, a statement timed out, a deadlock or
//! serialization failure was detected), `Conflict` means "this clashes with a stored row",
//! `NotFound` means the ticket a write refers to is missing, and `Backend` means "retrying
//! will not help" (wrong password or database name, broken schema, unreadable data).

use sqlx::migrate::MigrateError;
use support_core::Error;

/// SQLSTATE codes sorted on (<https://www.postgresql.org/docs/current/errcodes-appendix.html>).
mod code {
    pub(super) const UNIQUE_VIOLATION: &str = "23505";
    pub(super) const FOREIGN_KEY_VIOLATION: &str = "23503";
    pub(super) const SERIALIZATION_FAILURE: &str = "40001";
    pub(super) const DEADLOCK_DETECTED: &str = "40P01";
    /// `query_canceled`: `statement_timeout` fired, or someone cancelled the backend.
    pub(super) const QUERY_CANCELED: &str = "57014";
    pub(super) const LOCK_NOT_AVAILABLE: &str = "55P03";
    /// A standby that has not been promoted yet, as seen during a failover.
    pub(super) const READ_ONLY_SQL_TRANSACTION: &str = "25006";
    /// Class 08, connection exception; class 53, insufficient resources (too many
    /// connections, disk full, out of memory); class 57P, operator intervention (shutdown,
    /// crash recovery, the server not accepting connections yet).
    pub(super) const TRANSIENT_CLASSES: [&str; 3] = ["08", "53", "57P"];
}

/// Maps a sqlx error to the error kind the store contract promises.
pub(crate) fn from_sqlx(e: sqlx::Error) -> Error {
    match e {
        sqlx::Error::Database(db) => {
            let sqlstate = db.code().map(|c| c.into_owned()).unwrap_or_default();
            match sqlstate.as_str() {
                code::UNIQUE_VIOLATION => Error::Conflict(db.message().to_owned()),
                // Every foreign key of the schema points at a ticket (or at a message of one):
                // the ticket is missing.
                code::FOREIGN_KEY_VIOLATION => Error::NotFound,
                code::SERIALIZATION_FAILURE
                | code::DEADLOCK_DETECTED
                | code::QUERY_CANCELED
                | code::LOCK_NOT_AVAILABLE
                | code::READ_ONLY_SQL_TRANSACTION => {
                    Error::Unavailable(format!("postgres {sqlstate}: {}", db.message()))
                }
                s if code::TRANSIENT_CLASSES.iter().any(|c| s.starts_with(c)) => {
                    Error::Unavailable(format!("postgres {sqlstate}: {}", db.message()))
                }
                _ => Error::backend(sqlx::Error::Database(db)),
            }
        }
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_) => Error::Unavailable(format!("postgres: {e}")),
        sqlx::Error::Migrate(m) => from_migrate(*m),
        other => Error::backend(other),
    }
}

/// Maps a migration failure: a lost connection while migrating is transient like any other;
/// a migration history that does not match this build is permanent.
pub(crate) fn from_migrate(e: MigrateError) -> Error {
    match e {
        MigrateError::Execute(inner) | MigrateError::ExecuteMigration(inner, _) => from_sqlx(inner),
        other => Error::backend(other),
    }
}

/// A call that outlived [`PgOptions::call_timeout`](crate::PgOptions::call_timeout): the
/// server accepted the request and then went quiet.
pub(crate) fn timed_out(what: &str) -> Error {
    Error::Unavailable(format!("postgres: {what} got no answer in time"))
}

/// Data read back that does not fit the domain types (an unknown enum name, bad JSON): the
/// database was written by something else, or damaged.
pub(crate) fn bad_data(what: &str, detail: impl std::fmt::Display) -> Error {
    Error::backend(format!("stored {what} is invalid: {detail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_and_io_failures_are_unavailable() {
        for e in [
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
            sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset)),
        ] {
            assert!(matches!(from_sqlx(e), Error::Unavailable(_)));
        }
        assert!(matches!(
            from_sqlx(sqlx::Error::RowNotFound),
            Error::Backend(_)
        ));
    }
}
