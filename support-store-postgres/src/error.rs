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

/// Maps a sqlx error to the error kind the store contract promises. A failed connection is
/// also noted, so the pools check their idle connections before reusing them.
pub(crate) fn from_sqlx(e: sqlx::Error) -> Error {
    if lost_connection(&e) {
        crate::connect::note_connection_failure();
    }
    match e {
        sqlx::Error::Database(db) => {
            let sqlstate = db.code().map(|c| c.into_owned()).unwrap_or_default();
            match sqlstate.as_str() {
                code::UNIQUE_VIOLATION => Error::Conflict(db.message().to_owned()),
                // Every foreign key of the schema points at a ticket (or at a message of one),
                // or for an API token at its user: the row the write refers to is missing.
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

/// True for failures that say the connection (or the server behind it) is gone.
fn lost_connection(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
        _ => false,
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
    use std::borrow::Cow;

    use super::*;

    /// A server error with just a SQLSTATE, as the mapping sees it.
    #[derive(Debug)]
    struct Sqlstate(&'static str);

    impl std::fmt::Display for Sqlstate {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "SQLSTATE {}", self.0)
        }
    }

    impl std::error::Error for Sqlstate {}

    impl sqlx::error::DatabaseError for Sqlstate {
        fn message(&self) -> &str {
            "from the test"
        }
        fn code(&self) -> Option<Cow<'_, str>> {
            Some(Cow::Borrowed(self.0))
        }
        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> sqlx::error::ErrorKind {
            sqlx::error::ErrorKind::Other
        }
    }

    fn map(code: &'static str) -> Error {
        from_sqlx(sqlx::Error::Database(Box::new(Sqlstate(code))))
    }

    #[test]
    fn sqlstates_map_to_the_contracts_kinds() {
        assert!(matches!(map("23505"), Error::Conflict(_)));
        assert!(matches!(map("23503"), Error::NotFound));
        for transient in [
            "40001", "40P01", "57014", "55P03", "25006", "08006", "08001", "53300", "53100",
            "57P01", "57P02", "57P03",
        ] {
            assert!(
                matches!(map(transient), Error::Unavailable(_)),
                "{transient}"
            );
        }
        // Permanent: a missing table or column, a check violation, a missing database, a
        // role that may not log in.
        for permanent in ["42P01", "42703", "23514", "3D000", "28000", "28P01"] {
            assert!(matches!(map(permanent), Error::Backend(_)), "{permanent}");
        }
    }

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
