//! The one place where SQLite and sqlx failures become [`support_core::Error`] kinds.
//!
//! The split follows what a caller can do about it: `Unavailable` means "the same request may
//! work later" (another writer holds the lock, the pool is exhausted, the disk hiccuped or is
//! full), `Conflict` means "this clashes with a stored row", and `Backend` means "retrying will
//! not help" (read-only or corrupt file, not a database, broken schema, unreadable data).

use sqlx::migrate::MigrateError;
use support_core::Error;

/// SQLite's primary result codes that we sort on (<https://sqlite.org/rescode.html>).
mod code {
    pub(super) const BUSY: i32 = 5;
    pub(super) const LOCKED: i32 = 6;
    pub(super) const IOERR: i32 = 10;
    pub(super) const FULL: i32 = 13;
    /// Extended codes: `SQLITE_CONSTRAINT_PRIMARYKEY` and `SQLITE_CONSTRAINT_UNIQUE`.
    pub(super) const CONSTRAINT_PRIMARYKEY: i32 = 1555;
    pub(super) const CONSTRAINT_UNIQUE: i32 = 2067;
    /// `SQLITE_CONSTRAINT_FOREIGNKEY`.
    pub(super) const CONSTRAINT_FOREIGNKEY: i32 = 787;
}

/// Maps a sqlx error to the error kind the store contract promises.
pub(crate) fn from_sqlx(e: sqlx::Error) -> Error {
    match e {
        sqlx::Error::Database(db) => {
            // sqlx-sqlite reports the extended result code; the primary code is its low byte.
            let extended = db
                .code()
                .and_then(|c| c.parse::<i32>().ok())
                .unwrap_or_default();
            match (extended, extended & 0xff) {
                (code::CONSTRAINT_UNIQUE | code::CONSTRAINT_PRIMARYKEY, _) => {
                    Error::Conflict(db.message().to_owned())
                }
                // Every foreign key of the schema points at a ticket (or, for an API token, at
                // its user): the row the write refers to is missing.
                (code::CONSTRAINT_FOREIGNKEY, _) => Error::NotFound,
                (_, code::BUSY | code::LOCKED | code::IOERR | code::FULL) => {
                    Error::Unavailable(format!("sqlite: {}", db.message()))
                }
                _ => Error::backend(sqlx::Error::Database(db)),
            }
        }
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Io(_) => Error::Unavailable(e.to_string()),
        sqlx::Error::Migrate(m) => from_migrate(*m),
        other => Error::backend(other),
    }
}

/// Maps a migration failure: a busy database while migrating is transient like any other
/// busy database; a migration history that does not match this build is permanent.
pub(crate) fn from_migrate(e: MigrateError) -> Error {
    match e {
        MigrateError::Execute(inner) | MigrateError::ExecuteMigration(inner, _) => from_sqlx(inner),
        other => Error::backend(other),
    }
}

/// Data read back that does not fit the domain types (an unknown enum name, bad JSON, a
/// timestamp out of range): the file was written by something else, or damaged.
pub(crate) fn bad_data(what: &str, detail: impl std::fmt::Display) -> Error {
    Error::backend(format!("stored {what} is invalid: {detail}"))
}
