//! Browser sessions: a signed cookie naming the user, and the CSRF token that goes with it.
//!
//! The cookie is stateless (`v1.{user}.{expires}.{nonce}.{mac}`), signed with the server's
//! own session key ([`super::app_key`]), never with anything derived from the Pusher secret:
//! every node given the same key accepts it, a restart signs nobody out, and changing the key
//! signs everybody out.
//!
//! The CSRF token is the MAC of the session's nonce, so it is fixed for the session and
//! cannot be guessed without the key. Forms send it as `_token`, scripts as `X-CSRF-TOKEN`
//! (Laravel's names; laravel-echo reads it from `<meta name="csrf-token">`). The cookie is
//! `HttpOnly` and `SameSite=Lax`, so the token is the second line of defence, as the Laravel
//! helpdesk's security rules ask.
//!
//! Every comparison of a MAC or token is in constant time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use support_core::UserId;
use support_transport_ws::signature;

/// The session cookie's name.
pub(crate) const COOKIE_NAME: &str = "support_session";

/// How long a sign-in lasts.
const LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);

/// A verified session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Session {
    pub(crate) user: UserId,
    pub(crate) csrf: String,
}

/// Issues and checks session cookies.
#[derive(Clone)]
pub(crate) struct Sessions {
    key: String,
    secure: bool,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions").finish_non_exhaustive()
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Sessions {
    /// Sessions signed with `session_key` (see [`super::app_key`]). `secure` adds the
    /// cookie's `Secure` attribute (behind HTTPS).
    pub(crate) fn new(session_key: &str, secure: bool) -> Self {
        // Domain separation: the MAC key is used for nothing but sessions.
        let key = signature::sign(session_key, "reference-server/session-key/v1");
        Sessions { key, secure }
    }

    /// A new session for `user`: the `Set-Cookie` value and the session.
    pub(crate) fn issue(&self, user: UserId) -> (String, Session) {
        let nonce = super::users::random_token(16);
        let body = format!("v1.{}.{}.{}", user.0, now() + LIFETIME.as_secs(), nonce);
        let mac = signature::sign(&self.key, &body);
        let cookie = format!(
            "{COOKIE_NAME}={body}.{mac}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
            LIFETIME.as_secs(),
            if self.secure { "; Secure" } else { "" }
        );
        let session = Session {
            user,
            csrf: self.csrf_for(&nonce),
        };
        (cookie, session)
    }

    /// The `Set-Cookie` value that ends a session in the browser.
    pub(crate) fn clear(&self) -> String {
        format!("{COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
    }

    /// The session the request's cookie proves, if it is genuine and not expired.
    pub(crate) fn of_request(&self, headers: &HeaderMap) -> Option<Session> {
        headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .filter(|(name, _)| *name == COOKIE_NAME)
            .find_map(|(_, value)| self.verify(value))
    }

    fn verify(&self, value: &str) -> Option<Session> {
        let (body, mac) = value.rsplit_once('.')?;
        if !signature::verify(&self.key, body, mac) {
            return None;
        }
        let mut parts = body.split('.');
        let (Some("v1"), Some(user), Some(expires), Some(nonce), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        let expires: u64 = expires.parse().ok()?;
        if expires <= now() {
            return None;
        }
        Some(Session {
            user: UserId(user.parse().ok()?),
            csrf: self.csrf_for(nonce),
        })
    }

    fn csrf_for(&self, nonce: &str) -> String {
        signature::sign(&self.key, &format!("csrf.{nonce}"))
    }

    /// True if `given` is this session's CSRF token, compared in constant time.
    pub(crate) fn csrf_matches(&self, session: &Session, given: &str) -> bool {
        use subtle::ConstantTimeEq;
        let given = given.trim().as_bytes();
        given.len() == session.csrf.len() && bool::from(given.ct_eq(session.csrf.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(cookie: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(COOKIE, HeaderValue::from_str(cookie).unwrap());
        h
    }

    fn cookie_pair(set_cookie: &str) -> String {
        set_cookie.split(';').next().unwrap().to_owned()
    }

    #[test]
    fn a_cookie_it_issued_proves_the_user_and_its_csrf_token() {
        let s = Sessions::new("secret", false);
        let (set, session) = s.issue(UserId(7));
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax"));
        let found = s
            .of_request(&headers(&format!("a=b; {}", cookie_pair(&set))))
            .unwrap();
        assert_eq!(found, session);
        assert!(s.csrf_matches(&found, &session.csrf));
        assert!(!s.csrf_matches(&found, "0000"));
        assert!(!s.csrf_matches(&found, ""));
    }

    #[test]
    fn a_tampered_or_foreign_cookie_proves_nothing() {
        let s = Sessions::new("secret", false);
        let (set, _) = s.issue(UserId(7));
        let pair = cookie_pair(&set);
        let forged = pair.replacen(".7.", ".8.", 1);
        assert!(s.of_request(&headers(&forged)).is_none());
        let other = Sessions::new("another secret", false);
        assert!(other.of_request(&headers(&pair)).is_none());
        assert!(s.of_request(&headers("support_session=v1.7")).is_none());
        assert!(s.of_request(&headers("support_session=")).is_none());
    }

    #[test]
    fn two_sessions_have_different_csrf_tokens() {
        let s = Sessions::new("secret", false);
        let (_, a) = s.issue(UserId(7));
        let (_, b) = s.issue(UserId(7));
        assert_ne!(a.csrf, b.csrf);
    }
}
