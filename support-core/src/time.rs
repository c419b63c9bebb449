//! Timestamps. Every store keeps microseconds, so a value round-trips unchanged through any of
//! them; `now` truncates to that precision in one place.

use chrono::{DateTime, SubsecRound, Utc};

/// A UTC instant with microsecond precision. Serialized as RFC 3339.
pub type Timestamp = DateTime<Utc>;

/// The current time, truncated to microseconds.
pub fn now() -> Timestamp {
    Utc::now().trunc_subsecs(6)
}

/// Microseconds since the Unix epoch: the integer form stores index.
pub fn to_micros(t: Timestamp) -> i64 {
    t.timestamp_micros()
}

/// The inverse of [`to_micros`]; `None` outside chrono's range.
pub fn from_micros(micros: i64) -> Option<Timestamp> {
    DateTime::from_timestamp_micros(micros)
}
