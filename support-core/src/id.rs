//! Identifiers. Each is a newtype so a ticket id can never be passed where a message id is meant.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! int_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The raw integer, as stored.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }

        impl From<i64> for $name {
            fn from(v: i64) -> Self {
                $name(v)
            }
        }
    };
}

int_id!(
    /// A ticket's id, assigned by the store.
    TicketId
);
int_id!(
    /// A message's id, assigned by the store. Within one ticket, ids grow in commit order, so
    /// "every message after id N" is a complete catch-up query.
    MessageId
);
int_id!(
    /// A user's id in the embedder's directory.
    UserId
);
int_id!(
    /// An uploaded file's id, assigned by the store when the upload is recorded.
    AttachmentId
);
int_id!(
    /// An API token's id, assigned by the store: what a token is listed and revoked by (the
    /// token itself is shown once, when it is made).
    ApiTokenId
);
int_id!(
    /// A canned response's id, assigned by the store.
    CannedResponseId
);
int_id!(
    /// A ticket template's id, assigned by the store.
    TicketTemplateId
);

/// The human-readable ticket number (`TKT-000042`), unique because it is derived from the id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = "TKT-000042"))]
#[serde(transparent)]
pub struct TicketNumber(String);

impl TicketNumber {
    /// The number every store gives the ticket with this id.
    pub fn for_id(id: TicketId) -> Self {
        TicketNumber(format!("TKT-{:06}", id.0))
    }

    /// Wraps a number read back from storage.
    pub fn from_stored(s: String) -> Self {
        TicketNumber(s)
    }

    /// The number as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TicketNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Pusher socket id (`"1234.5678"`): the connection a request came from, excluded from the
/// broadcast it causes (Laravel's `toOthers()`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SocketId(String);

/// A socket id that is not two runs of digits joined by a dot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("socket id must look like 1234.5678")]
pub struct InvalidSocketId;

impl SocketId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for SocketId {
    type Err = InvalidSocketId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits =
            |p: &str| !p.is_empty() && p.len() <= 20 && p.bytes().all(|b| b.is_ascii_digit());
        match s.split_once('.') {
            Some((a, b)) if digits(a) && digits(b) => Ok(SocketId(s.to_owned())),
            _ => Err(InvalidSocketId),
        }
    }
}

impl TryFrom<String> for SocketId {
    type Error = InvalidSocketId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<SocketId> for String {
    fn from(s: SocketId) -> String {
        s.0
    }
}

impl fmt::Display for SocketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A client-chosen key that makes a write safe to retry (a create, a message, a ticket change):
/// the same user sending the same key again gets the first result back and nothing new is
/// stored. See [`KeyUse`](crate::idempotency::KeyUse).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdempotencyKey(String);

/// An idempotency key that is empty, longer than 255 bytes or holds control characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("idempotency key must be 1 to 255 printable characters")]
pub struct InvalidIdempotencyKey;

impl IdempotencyKey {
    /// The longest key accepted, in bytes.
    pub const MAX_LEN: usize = 255;

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for IdempotencyKey {
    type Err = InvalidIdempotencyKey;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() || s.len() > Self::MAX_LEN || s.chars().any(char::is_control) {
            return Err(InvalidIdempotencyKey);
        }
        Ok(IdempotencyKey(s.to_owned()))
    }
}

impl TryFrom<String> for IdempotencyKey {
    type Error = InvalidIdempotencyKey;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<IdempotencyKey> for String {
    fn from(k: IdempotencyKey) -> String {
        k.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_numbers_are_padded_and_readable() {
        assert_eq!(TicketNumber::for_id(TicketId(42)).as_str(), "TKT-000042");
        assert_eq!(
            TicketNumber::for_id(TicketId(1_234_567)).as_str(),
            "TKT-1234567"
        );
    }

    #[test]
    fn socket_ids_follow_pushers_shape() {
        assert!("123.456".parse::<SocketId>().is_ok());
        for bad in ["", "123", "123.", ".456", "12a.4", "1.2.3", "-1.2"] {
            assert!(bad.parse::<SocketId>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn idempotency_keys_reject_empty_long_and_control() {
        assert!("abc-123".parse::<IdempotencyKey>().is_ok());
        assert!("".parse::<IdempotencyKey>().is_err());
        assert!("a\nb".parse::<IdempotencyKey>().is_err());
        assert!("x".repeat(256).parse::<IdempotencyKey>().is_err());
    }
}
