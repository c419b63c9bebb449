//! The one error type of the crate and of every adapter.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// What went wrong, by meaning. Adapters convert their driver errors into these kinds, so a
/// caller (and the HTTP layer, which maps each kind to one status code) never sees a driver type.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The thing does not exist, or the caller may not know that it exists.
    #[error("not found")]
    NotFound,
    /// The caller is known but may not do this.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// The input failed validation; every failing field is named.
    #[error("{0}")]
    Invalid(FieldErrors),
    /// The operation clashes with stored state (a unique key, a reused idempotency key with a
    /// different request).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A change named a version the ticket is no longer at: someone else changed it first.
    /// Nothing was written; this is the ticket as it is now.
    #[error("stale: the ticket is at version {}", .0.version)]
    Stale(Box<crate::Ticket>),
    /// A transient failure: the backend is busy, locked or unreachable. Retrying later may work.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A permanent backend failure (corrupt or read-only database, broken schema, …).
    #[error("backend error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    /// A validation error on a single field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::default();
        errors.add(field, message);
        Error::Invalid(errors)
    }

    /// Wraps any error as a permanent backend failure.
    pub fn backend(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Error::Backend(e.into())
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Field-level validation errors, shaped like Laravel's: each field maps to its messages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FieldErrors(BTreeMap<String, Vec<String>>);

impl FieldErrors {
    /// Records one message for a field.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_default()
            .push(message.into());
    }

    /// True when no field failed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The failing fields with their messages, in field order.
    pub fn fields(&self) -> &BTreeMap<String, Vec<String>> {
        &self.0
    }

    /// The messages of one field.
    pub fn get(&self, field: &str) -> Option<&[String]> {
        self.0.get(field).map(Vec::as_slice)
    }

    /// `Ok(value)` when nothing failed, otherwise [`Error::Invalid`].
    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T> {
        if self.is_empty() {
            Ok(value())
        } else {
            Err(Error::Invalid(self))
        }
    }
}

/// Laravel's summary line: the first message, plus how many more there are.
impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut all = self.0.values().flatten();
        match all.next() {
            None => f.write_str("The given data was invalid."),
            Some(first) => {
                f.write_str(first)?;
                match all.count() {
                    0 => Ok(()),
                    1 => f.write_str(" (and 1 more error)"),
                    n => write!(f, " (and {n} more errors)"),
                }
            }
        }
    }
}
