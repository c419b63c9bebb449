//! [`TokenDigest`]: how stores key the secrets that sign people in (sessions, API tokens)
//! without ever holding them.

use std::fmt;

use sha2::{Digest, Sha256};

/// The SHA-256 digest of a secret token (a session's, an API token's): its key in a store.
///
/// The token itself (random, in a browser's cookie or a client's `Authorization` header) never
/// reaches the store; whoever reads the store learns digests, from which no token can be worked
/// out, and a lookup by digest reveals nothing about a token through timing. Its `Debug` shows
/// only the first bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenDigest([u8; 32]);

impl TokenDigest {
    /// The digest of a token.
    pub fn of_token(token: &[u8]) -> Self {
        TokenDigest(Sha256::digest(token).into())
    }

    /// A digest as stored, from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        TokenDigest(bytes)
    }

    /// A digest as stored, from a slice; `None` unless it holds exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(TokenDigest)
    }

    /// The 32 bytes, as a store keeps them.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for TokenDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenDigest(")?;
        for b in &self.0[..4] {
            write!(f, "{b:02x}")?;
        }
        write!(f, "…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_sha256_of_the_token() {
        // SHA-256("abc"), FIPS 180-2's example.
        let d = TokenDigest::of_token(b"abc");
        assert_eq!(
            d.as_bytes()[..4],
            [0xba, 0x78, 0x16, 0xbf],
            "{:?}",
            d.as_bytes()
        );
        assert_eq!(format!("{d:?}"), "TokenDigest(ba7816bf…)");
        assert_eq!(TokenDigest::from_slice(d.as_bytes()), Some(d));
        assert_eq!(TokenDigest::from_slice(&[0; 31]), None);
    }
}
