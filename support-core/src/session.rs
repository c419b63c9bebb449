//! Sign-in sessions kept on the server: the [`SessionStore`] trait and the rows that cross it.
//!
//! A server that signs browsers in with a cookie of its own (the reference server does) keeps
//! each session here, so that signing out, an idle timeout and "sign out everywhere" end it
//! on the server, whatever the browser still holds. The cookie carries a random token; the
//! store holds only its [`TokenDigest`] (SHA-256), so a copy of the database signs nobody
//! in.
//!
//! This is not part of [`SupportStore`](crate::SupportStore), and the support chat never calls
//! it: an embedder whose application already has users and sessions (the usual case) keeps
//! its own and needs nothing from here. The shipped stores implement both traits, so a server
//! that does keep sessions keeps them in the same database as its tickets.
//!
//! ```
//! use std::time::Duration;
//! use support_core::session::*;
//! use support_core::{MemoryStore, UserId, time};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let store = MemoryStore::new();
//! let now = time::now();
//! // The raw token goes into the cookie; the store sees only its digest.
//! let digest = TokenDigest::of_token(b"a-random-token-of-32-bytes-or-more");
//! let new = NewSession::new(digest, UserId(7), now, Duration::from_secs(12 * 3600));
//! store.create_session(&new).await?;
//!
//! let at = Liveness::new(now, Duration::from_secs(2 * 3600));
//! assert_eq!(store.session(&digest, &at).await?.map(|s| s.user), Some(UserId(7)));
//! assert!(store.end_session(&digest).await?);
//! assert_eq!(store.session(&digest, &at).await?, None);
//! # Ok::<(), support_core::Error>(()) }).unwrap();
//! ```

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::error::Result;
use crate::id::UserId;
use crate::time::Timestamp;
pub use crate::token::TokenDigest;

/// A session to create: whose it is, when it started, and when it ends at the latest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// The digest of its token.
    pub digest: TokenDigest,
    /// The signed-in user.
    pub user: UserId,
    /// When it was created; also its first "last seen".
    pub created_at: Timestamp,
    /// Its absolute end, however much it is used.
    pub expires_at: Timestamp,
}

impl NewSession {
    /// A session of `user` created at `now` that lasts at most `lifetime`.
    pub fn new(digest: TokenDigest, user: UserId, now: Timestamp, lifetime: Duration) -> Self {
        NewSession {
            digest,
            user,
            created_at: now,
            expires_at: now
                .checked_add_signed(to_delta(lifetime))
                .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC),
        }
    }

    /// The row as a store answers it right after creating it.
    pub fn stored(&self) -> StoredSession {
        StoredSession {
            digest: self.digest,
            user: self.user,
            created_at: self.created_at,
            last_seen_at: self.created_at,
            expires_at: self.expires_at,
        }
    }
}

/// A session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    /// The digest of its token.
    pub digest: TokenDigest,
    /// The signed-in user.
    pub user: UserId,
    /// When it was created.
    pub created_at: Timestamp,
    /// The latest time it was seen in use ([`SessionStore::touch_session`]).
    pub last_seen_at: Timestamp,
    /// Its absolute end.
    pub expires_at: Timestamp,
}

/// When a session counts as alive: at `now`, before its absolute end, and seen in use within
/// the idle timeout. Every [`SessionStore`] method that reads takes one, so the store holds
/// no policy of its own and a test can name any instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Liveness {
    /// The instant judged.
    pub now: Timestamp,
    /// How long a session may go unused.
    pub idle_timeout: Duration,
}

impl Liveness {
    /// Alive at `now` with this idle timeout.
    pub fn new(now: Timestamp, idle_timeout: Duration) -> Self {
        Liveness { now, idle_timeout }
    }

    /// A session last seen at or before this instant has been idle too long.
    pub fn idle_before(&self) -> Timestamp {
        self.now
            .checked_sub_signed(to_delta(self.idle_timeout))
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC)
    }

    /// The reference semantics every store reproduces: `now < expires_at` and
    /// `last_seen_at > now - idle_timeout`.
    pub fn admits(&self, s: &StoredSession) -> bool {
        self.now < s.expires_at && s.last_seen_at > self.idle_before()
    }
}

/// A `Duration` as chrono's, saturating rather than failing (the instants computed with it
/// saturate too, at the ends of chrono's range).
fn to_delta(d: Duration) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(d).unwrap_or(chrono::TimeDelta::MAX)
}

/// Where a server keeps its sign-in sessions: see the [module docs](self).
///
/// # Contract
///
/// - **Digests only.** Every method takes a [`TokenDigest`]; a store never sees, and must
///   never be given, a session's raw token. A digest is all it needs: the same digest finds
///   the same session in every process on the same database.
/// - [`create_session`](Self::create_session) stores the row of [`NewSession::stored`]
///   (last seen = created) and commits before it returns. A digest that is already stored is
///   [`Error::Conflict`](crate::Error::Conflict), and the stored row stays as it was.
/// - [`session`](Self::session) answers the row as stored, or `None` for an unknown digest, an
///   ended session, or one that `at` does not [admit](Liveness::admits) (past its end, or
///   idle too long), purged or not.
/// - [`touch_session`](Self::touch_session) records use: `last_seen_at` becomes the later of
///   its value and `at.now` (it never moves back), only if `at` admits the session; it answers
///   whether it did. A session that is over stays over.
/// - [`end_session`](Self::end_session) removes one session (true if there was one);
///   [`end_user_sessions`](Self::end_user_sessions) removes every session of one user, no
///   other's, and answers how many rows it removed. Afterwards `session` answers `None` for
///   them, in every process.
/// - [`purge_sessions`](Self::purge_sessions) removes the rows `at` does not admit and answers
///   how many; sessions it admits stay untouched.
/// - Writes are durable once they return, like the store's other writes; a backend that
///   cannot answer now is [`Error::Unavailable`](crate::Error::Unavailable), so a server can
///   answer 503 rather than sign anybody out.
///
/// `support_core::session_conformance_suite!` (feature `testing`) checks all of this.
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Stores a new session.
    async fn create_session(&self, new: &NewSession) -> Result<()>;

    /// The session with this digest, if `at` admits it.
    async fn session(&self, digest: &TokenDigest, at: &Liveness) -> Result<Option<StoredSession>>;

    /// Records that the session was used at `at.now`; false if it is over or unknown.
    async fn touch_session(&self, digest: &TokenDigest, at: &Liveness) -> Result<bool>;

    /// Ends one session; false if there was none.
    async fn end_session(&self, digest: &TokenDigest) -> Result<bool>;

    /// Ends every session of `user`: how many rows were removed.
    async fn end_user_sessions(&self, user: UserId) -> Result<u64>;

    /// Removes the sessions `at` does not admit: how many.
    async fn purge_sessions(&self, at: &Liveness) -> Result<u64>;
}

#[async_trait]
impl<S: SessionStore + ?Sized> SessionStore for Arc<S> {
    async fn create_session(&self, new: &NewSession) -> Result<()> {
        (**self).create_session(new).await
    }
    async fn session(&self, digest: &TokenDigest, at: &Liveness) -> Result<Option<StoredSession>> {
        (**self).session(digest, at).await
    }
    async fn touch_session(&self, digest: &TokenDigest, at: &Liveness) -> Result<bool> {
        (**self).touch_session(digest, at).await
    }
    async fn end_session(&self, digest: &TokenDigest) -> Result<bool> {
        (**self).end_session(digest).await
    }
    async fn end_user_sessions(&self, user: UserId) -> Result<u64> {
        (**self).end_user_sessions(user).await
    }
    async fn purge_sessions(&self, at: &Liveness) -> Result<u64> {
        (**self).purge_sessions(at).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn liveness_admits_before_the_end_and_within_the_idle_timeout() {
        let t0 = crate::time::now();
        let s = NewSession::new(
            TokenDigest::of_token(b"t"),
            UserId(1),
            t0,
            Duration::from_secs(100),
        )
        .stored();
        let idle = Duration::from_secs(10);
        let at = |secs: i64| Liveness::new(t0 + chrono::TimeDelta::seconds(secs), idle);
        assert!(at(0).admits(&s));
        assert!(at(9).admits(&s));
        assert!(!at(10).admits(&s), "idle for exactly the timeout");
        let seen = StoredSession {
            last_seen_at: t0 + chrono::TimeDelta::seconds(95),
            ..s.clone()
        };
        assert!(at(99).admits(&seen));
        assert!(!at(100).admits(&seen), "at its absolute end");
    }
}
