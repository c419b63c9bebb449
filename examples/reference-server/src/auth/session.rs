//! Browser sessions, kept on the server in the store ([`SessionStore`]), and the CSRF token
//! that goes with each.
//!
//! Signing in makes a new random token (32 bytes) and stores only its SHA-256 digest with the
//! user, the time and the session's absolute end. The cookie carries `{token}.{mac}`, the MAC
//! made with the server's own session key ([`super::app_key`], never anything derived from the
//! Pusher secret): a forged or foreign cookie is refused before the store is asked, and
//! changing the key signs everybody out. A session ends
//!
//! - when its user signs out (`POST /logout`: the store forgets it, so a copied cookie is
//!   worth nothing afterwards), or signs out everywhere (every session of that user);
//! - after the idle timeout without use (`--session-idle-timeout`, 2 hours by default), and at
//!   the latest after its lifetime (`--session-lifetime`, 12 hours by default), however busy;
//! - when the same browser signs in again: every sign-in gets a new token and ends the session
//!   of the cookie the browser sent, so a cookie planted before sign-in (session fixation)
//!   never becomes a signed-in session.
//!
//! Use is recorded at most once per [`Sessions::touch_interval`] per session (a minute, or
//! half the idle timeout if that is shorter), not on every request; a session therefore ends
//! between `idle_timeout - touch_interval` and `idle_timeout` after its last use.
//!
//! The CSRF token is the MAC of the session's token under the session key, so it is fixed
//! for the session, differs between sessions, needs no storage, and cannot be worked out
//! from the store. Forms send it as `_token`, scripts as `X-CSRF-TOKEN` (Laravel's names;
//! laravel-echo reads it from `<meta name="csrf-token">`). The cookie is `HttpOnly` and
//! `SameSite=Lax`, so the token is the second line of defence, as the Laravel helpdesk's
//! security rules ask. Over HTTPS the cookie is `__Host-support_session` with `Secure`,
//! `Path=/` and no `Domain`, so no other site or subdomain can set or read it; the caller
//! says per request whether it is served over HTTPS. Either name is accepted on the way in.
//!
//! Every comparison of a MAC or token is in constant time.

use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use support_core::{
    Liveness, NewSession, Result, SessionStore, StoredSession, Timestamp, TokenDigest, UserId, time,
};
use support_transport_ws::signature;

/// The session cookie's name on plain HTTP.
pub(crate) const COOKIE_NAME: &str = "support_session";

/// The session cookie's name over HTTPS: the `__Host-` prefix makes browsers refuse it
/// unless it is `Secure`, has `Path=/` and no `Domain`.
pub(crate) const SECURE_COOKIE_NAME: &str = "__Host-support_session";

/// How a session's bearer token begins (API tokens begin `sup_`): the prefix says which
/// lookup proves it.
pub(crate) const SESSION_BEARER_PREFIX: &str = "sess_";

/// The longest gap between two records of a session's use.
const MAX_TOUCH_INTERVAL: Duration = Duration::from_secs(60);

/// A live session, as the request's cookie proves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Session {
    pub(crate) user: UserId,
    pub(crate) csrf: String,
    digest: TokenDigest,
}

/// Issues, checks and ends sessions.
#[derive(Clone)]
pub(crate) struct Sessions {
    key: String,
    store: Arc<dyn SessionStore>,
    idle_timeout: Duration,
    lifetime: Duration,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("idle_timeout", &self.idle_timeout)
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl Sessions {
    /// Sessions kept in `store`, their cookies and CSRF tokens signed with `session_key` (see
    /// [`super::app_key`]).
    pub(crate) fn new(
        session_key: &str,
        store: Arc<dyn SessionStore>,
        idle_timeout: Duration,
        lifetime: Duration,
    ) -> Self {
        // Domain separation: the MAC key is used for nothing but sessions.
        let key = signature::sign(session_key, "reference-server/session-key/v1");
        Sessions {
            key,
            store,
            idle_timeout,
            lifetime,
        }
    }

    /// How often a session's use is recorded at most: a minute, or half the idle timeout.
    pub(crate) fn touch_interval(&self) -> Duration {
        MAX_TOUCH_INTERVAL.min(self.idle_timeout / 2)
    }

    fn liveness(&self) -> Liveness {
        Liveness::new(time::now(), self.idle_timeout)
    }

    /// A new session for `user`, stored: the `Set-Cookie` value and the session. `https`
    /// says whether this request is served over HTTPS (the `__Host-` cookie, `Secure`).
    pub(crate) async fn issue(&self, user: UserId, https: bool) -> Result<(String, Session)> {
        let token = super::users::random_token(32);
        let digest = TokenDigest::of_token(token.as_bytes());
        let new = NewSession::new(digest, user, time::now(), self.lifetime);
        self.store.create_session(&new).await?;
        let mac = signature::sign(&self.key, &cookie_message(&token));
        let cookie = format!(
            "{name}={token}.{mac}; Path=/; HttpOnly; SameSite=Lax; Max-Age={age}{secure}",
            name = cookie_name(https),
            age = self.lifetime.as_secs(),
            secure = if https { "; Secure" } else { "" },
        );
        let session = Session {
            user,
            csrf: self.csrf_for(&token),
            digest,
        };
        Ok((cookie, session))
    }

    /// A new session for `user` proved by a bearer token instead of a cookie (the embedded
    /// widget, whose third-party frame cannot count on cookies): the token, shown once, and
    /// when the session ends at the latest. It lives in the same store as browser sessions,
    /// so the idle timeout, disabling the user and signing out everywhere end it too.
    pub(crate) async fn issue_bearer(&self, user: UserId) -> Result<(String, Timestamp)> {
        let token = format!("{SESSION_BEARER_PREFIX}{}", super::users::random_token(32));
        let digest = TokenDigest::of_token(token.as_bytes());
        let new = NewSession::new(digest, user, time::now(), self.lifetime);
        self.store.create_session(&new).await?;
        Ok((token, new.expires_at))
    }

    /// The live session a bearer token of [`issue_bearer`](Self::issue_bearer) proves, if
    /// any; its use recorded as a cookie's is.
    pub(crate) async fn of_bearer(&self, token: &str) -> Result<Option<Session>> {
        if !token.starts_with(SESSION_BEARER_PREFIX) {
            return Ok(None);
        }
        let at = self.liveness();
        let digest = TokenDigest::of_token(token.as_bytes());
        let Some(stored) = self.store.session(&digest, &at).await? else {
            return Ok(None);
        };
        self.touch_if_due(&stored, &at).await;
        Ok(Some(Session {
            user: stored.user,
            csrf: self.csrf_for(token),
            digest,
        }))
    }

    /// The `Set-Cookie` value that ends a session in the browser; `https` as for
    /// [`issue`](Self::issue).
    pub(crate) fn clear(&self, https: bool) -> String {
        format!(
            "{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}",
            name = cookie_name(https),
            secure = if https { "; Secure" } else { "" },
        )
    }

    /// The tokens of the request's session cookies (either name) whose MAC is genuine.
    fn tokens<'h>(&self, headers: &'h HeaderMap) -> impl Iterator<Item = &'h str> {
        headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .filter(|(name, _)| *name == COOKIE_NAME || *name == SECURE_COOKIE_NAME)
            .filter_map(|(_, value)| {
                let (token, mac) = value.split_once('.')?;
                signature::verify(&self.key, &cookie_message(token), mac).then_some(token)
            })
    }

    /// The live session the request's cookie proves, if any. Records its use when the last
    /// record is older than [`touch_interval`](Self::touch_interval).
    pub(crate) async fn of_request(&self, headers: &HeaderMap) -> Result<Option<Session>> {
        let at = self.liveness();
        for token in self.tokens(headers) {
            let digest = TokenDigest::of_token(token.as_bytes());
            if let Some(stored) = self.store.session(&digest, &at).await? {
                self.touch_if_due(&stored, &at).await;
                return Ok(Some(Session {
                    user: stored.user,
                    csrf: self.csrf_for(token),
                    digest,
                }));
            }
        }
        Ok(None)
    }

    async fn touch_if_due(&self, stored: &StoredSession, at: &Liveness) {
        // A last record in the future (another node's clock) counts as recent.
        let age = (at.now - stored.last_seen_at).to_std().unwrap_or_default();
        if age < self.touch_interval() {
            return;
        }
        // The request goes on without it: the session was found alive, and the next request
        // tries again.
        if let Err(e) = self.store.touch_session(&stored.digest, at).await {
            tracing::warn!("could not record a session's use: {e}");
        }
    }

    /// Ends the session on the server: its cookie proves nothing from now on.
    pub(crate) async fn end(&self, session: &Session) -> Result<()> {
        self.store.end_session(&session.digest).await.map(|_| ())
    }

    /// Ends every session of `user`: how many there were.
    pub(crate) async fn end_all(&self, user: UserId) -> Result<u64> {
        self.store.end_user_sessions(user).await
    }

    /// Ends whatever session the request's cookies name, live or not: at sign-in, so that a
    /// cookie the browser held before never stays a session.
    pub(crate) async fn end_held(&self, headers: &HeaderMap) -> Result<()> {
        for token in self.tokens(headers) {
            let digest = TokenDigest::of_token(token.as_bytes());
            self.store.end_session(&digest).await?;
        }
        Ok(())
    }

    /// Removes the sessions that are over from the store: how many.
    pub(crate) async fn purge(&self) -> Result<u64> {
        self.store.purge_sessions(&self.liveness()).await
    }

    fn csrf_for(&self, token: &str) -> String {
        signature::sign(&self.key, &format!("csrf.{token}"))
    }

    /// True if `given` is this session's CSRF token, compared in constant time.
    pub(crate) fn csrf_matches(&self, session: &Session, given: &str) -> bool {
        use subtle::ConstantTimeEq;
        let given = given.trim().as_bytes();
        given.len() == session.csrf.len() && bool::from(given.ct_eq(session.csrf.as_bytes()))
    }
}

/// What a cookie's MAC signs: the token, apart from what the CSRF token signs.
fn cookie_message(token: &str) -> String {
    format!("session.{token}")
}

fn cookie_name(https: bool) -> &'static str {
    if https {
        SECURE_COOKIE_NAME
    } else {
        COOKIE_NAME
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use support_core::MemoryStore;

    /// The flags' defaults (`--session-idle-timeout 2h`, `--session-lifetime 12h`).
    const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(2 * 60 * 60);
    const DEFAULT_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);

    fn sessions(key: &str, store: &Arc<MemoryStore>) -> Sessions {
        Sessions::new(key, store.clone(), DEFAULT_IDLE_TIMEOUT, DEFAULT_LIFETIME)
    }

    fn headers(cookie: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(COOKIE, HeaderValue::from_str(cookie).unwrap());
        h
    }

    fn cookie_pair(set_cookie: &str) -> String {
        set_cookie.split(';').next().unwrap().to_owned()
    }

    #[tokio::test]
    async fn a_cookie_it_issued_proves_the_user_and_its_csrf_token() {
        let store = Arc::new(MemoryStore::new());
        let s = sessions("secret", &store);
        let (set, session) = s.issue(UserId(7), false).await.unwrap();
        assert!(set.starts_with("support_session="), "{set}");
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax"));
        assert!(!set.contains("Secure"), "{set}");
        let found = s
            .of_request(&headers(&format!("a=b; {}", cookie_pair(&set))))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found, session);
        assert!(s.csrf_matches(&found, &session.csrf));
        assert!(!s.csrf_matches(&found, "0000"));
        assert!(!s.csrf_matches(&found, ""));
    }

    #[tokio::test]
    async fn the_store_holds_the_digest_not_the_token() {
        let store = Arc::new(MemoryStore::new());
        let s = sessions("secret", &store);
        let (set, _) = s.issue(UserId(7), true).await.unwrap();
        assert!(set.starts_with("__Host-support_session="), "{set}");
        let value = cookie_pair(&set);
        let token = value.split_once('=').unwrap().1.split_once('.').unwrap().0;
        let at = Liveness::new(time::now(), DEFAULT_IDLE_TIMEOUT);
        let digest = TokenDigest::of_token(token.as_bytes());
        assert_eq!(
            store.session(&digest, &at).await.unwrap().map(|r| r.user),
            Some(UserId(7))
        );
    }

    #[tokio::test]
    async fn a_tampered_foreign_or_ended_cookie_proves_nothing() {
        let store = Arc::new(MemoryStore::new());
        let s = sessions("secret", &store);
        let (set, session) = s.issue(UserId(7), false).await.unwrap();
        let pair = cookie_pair(&set);
        let forged = format!("{}0.{}", &pair[..pair.find('.').unwrap()], "00");
        assert!(s.of_request(&headers(&forged)).await.unwrap().is_none());
        // The same store, another key: the MAC fails.
        let other = sessions("another secret", &store);
        assert!(other.of_request(&headers(&pair)).await.unwrap().is_none());
        for junk in [
            "support_session=v1.7",
            "support_session=",
            "support_session=..",
        ] {
            assert!(s.of_request(&headers(junk)).await.unwrap().is_none());
        }
        s.end(&session).await.unwrap();
        assert!(s.of_request(&headers(&pair)).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn two_sessions_have_different_csrf_tokens() {
        let store = Arc::new(MemoryStore::new());
        let s = sessions("secret", &store);
        let (_, a) = s.issue(UserId(7), false).await.unwrap();
        let (_, b) = s.issue(UserId(7), false).await.unwrap();
        assert_ne!(a.csrf, b.csrf);
    }

    #[test]
    fn use_is_recorded_at_most_once_a_minute() {
        let store = Arc::new(MemoryStore::new());
        assert_eq!(
            sessions("k", &store).touch_interval(),
            Duration::from_secs(60)
        );
        let short = Sessions::new("k", store, Duration::from_secs(4), DEFAULT_LIFETIME);
        assert_eq!(short.touch_interval(), Duration::from_secs(2));
    }
}
