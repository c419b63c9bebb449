//! Throttles on proving who one is: failed sign-ins, per address and per account, and wrong
//! bearer tokens, per address. Only failures count; once they are used up, every attempt
//! from there waits, the right one too, until the wait passes (Laravel's
//! `ThrottlesLogins`, 5 a minute). Each failure is logged with the address (and the account
//! tried), never with the token or password.

use std::net::IpAddr;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use support_transport_ws::{ClientAddr, DEFAULT_MAX_KEYS, Rate, Throttle, Throttled};

use super::identity::bearer;

/// How many failures are allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AuthLimits {
    /// Failed sign-ins per address, and per account named: Laravel's 5 a minute.
    pub(crate) sign_in_failures: Rate,
    /// Requests with a bearer token that proves nobody, per address. Default 10 a minute:
    /// a client with a mistyped token finds out at once, a guesser gets nowhere.
    pub(crate) failed_tokens: Rate,
}

impl Default for AuthLimits {
    fn default() -> Self {
        AuthLimits {
            sign_in_failures: Rate::per_minute(5),
            failed_tokens: Rate::per_minute(10),
        }
    }
}

impl AuthLimits {
    /// No limits (`--no-rate-limits`).
    pub(crate) fn off() -> Self {
        AuthLimits {
            sign_in_failures: Rate::OFF,
            failed_tokens: Rate::OFF,
        }
    }
}

/// The key of a client address (an IPv6 client's /64).
fn address(ip: IpAddr) -> IpAddr {
    ClientAddr::limit_key(ip)
}

/// Failed sign-ins, counted per client address and per account tried.
#[derive(Debug, Clone)]
pub(crate) struct SignInThrottle {
    per_address: Throttle<IpAddr>,
    /// By the SHA-256 of the account's name in lower case: fixed-size keys, whatever is typed.
    per_account: Throttle<[u8; 32]>,
}

impl SignInThrottle {
    pub(crate) fn new(rate: Rate) -> Self {
        SignInThrottle {
            per_address: Throttle::with_max_keys(rate, DEFAULT_MAX_KEYS),
            per_account: Throttle::with_max_keys(rate, DEFAULT_MAX_KEYS),
        }
    }

    fn account_key(account: &str) -> [u8; 32] {
        Sha256::digest(account.trim().to_lowercase().as_bytes()).into()
    }

    /// Before an attempt from `client` (naming `account`, for a sign-in that names one):
    /// refused while either has no failures left, with the longer wait.
    pub(crate) fn check(
        &self,
        client: Option<IpAddr>,
        account: Option<&str>,
    ) -> Result<(), Throttled> {
        let by_address = client.map_or(Ok(()), |ip| self.per_address.peek(&address(ip)));
        let by_account = account.map_or(Ok(()), |a| self.per_account.peek(&Self::account_key(a)));
        match (by_address, by_account) {
            (Ok(()), Ok(())) => Ok(()),
            (Err(t), Ok(())) | (Ok(()), Err(t)) => Err(t),
            (Err(a), Err(b)) => Err(if a.retry_after >= b.retry_after { a } else { b }),
        }
    }

    /// After a failed attempt: one failure for the address and the account, and a warning in
    /// the log.
    pub(crate) fn failed(&self, client: Option<IpAddr>, account: Option<&str>) {
        tracing::warn!(
            address = client
                .map(|ip| ip.to_string())
                .as_deref()
                .unwrap_or("unknown"),
            account = account.unwrap_or("(by token)"),
            "sign-in failed"
        );
        if let Some(ip) = client {
            let _ = self.per_address.check(&address(ip));
        }
        if let Some(a) = account {
            let _ = self.per_account.check(&Self::account_key(a));
        }
    }
}

/// What the bearer guard needs: the failures per address.
#[derive(Clone)]
pub(crate) struct TokenGuard {
    pub(crate) failures: Throttle<IpAddr>,
}

impl TokenGuard {
    pub(crate) fn new(rate: Rate) -> Self {
        TokenGuard {
            failures: Throttle::with_max_keys(rate, DEFAULT_MAX_KEYS),
        }
    }
}

/// Counts the requests whose `Authorization` proves nobody, per client address; past the
/// limit, every request from there that carries an `Authorization` header is answered 429
/// before its token is looked at. Requests without one (cookies, the Pusher HTTP API's
/// signatures, the websocket) pass untouched.
pub(crate) async fn bearer_guard(
    State(guard): State<TokenGuard>,
    request: Request,
    next: Next,
) -> Response {
    if bearer(request.headers()).is_none() {
        return next.run(request).await;
    }
    let Some(client) = ClientAddr::of(request.extensions()) else {
        return next.run(request).await;
    };
    let key = address(client);
    if let Err(throttled) = guard.failures.peek(&key) {
        return throttled.into_response();
    }
    // The handler looks the token up (once: the identity logs why a token proves nobody);
    // an answer of 401 to a request that carries a token is a failure of that token.
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    if response.status() == StatusCode::UNAUTHORIZED {
        tracing::debug!(address = %client, path, "a bearer token proved nobody");
        if let Err(throttled) = guard.failures.check(&key) {
            return throttled.into_response();
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn failures_on_one_account_count_across_addresses() {
        let t = SignInThrottle::new(Rate::per_minute(5));
        for i in 0..5 {
            let from = ip(&format!("203.0.113.{i}"));
            assert!(t.check(from, Some("ada@example.com")).is_ok());
            t.failed(from, Some("ada@example.com"));
        }
        // A sixth address, the same account (however it is typed): refused.
        let refused = t
            .check(ip("203.0.113.99"), Some(" ADA@example.com"))
            .unwrap_err();
        assert!(refused.retry_after.as_secs() >= 11, "{refused:?}");
        // Another account from that address is not.
        assert!(t.check(ip("203.0.113.99"), Some("sam@example.com")).is_ok());
    }

    #[test]
    fn failures_from_one_address_count_across_accounts_and_successes_spend_nothing() {
        let t = SignInThrottle::new(Rate::per_minute(5));
        let from = ip("198.51.100.1");
        for _ in 0..20 {
            // Checking before a sign-in that then succeeds spends nothing.
            assert!(t.check(from, Some("ada@example.com")).is_ok());
        }
        for i in 0..5 {
            t.failed(from, Some(&format!("user{i}@example.com")));
        }
        assert!(t.check(from, Some("ada@example.com")).is_err());
        assert!(t.check(from, None).is_err());
        assert!(t.check(ip("198.51.100.2"), None).is_ok());
    }

    #[test]
    fn off_counts_nothing() {
        let t = SignInThrottle::new(AuthLimits::off().sign_in_failures);
        for _ in 0..100 {
            t.failed(ip("198.51.100.1"), Some("a"));
        }
        assert!(t.check(ip("198.51.100.1"), Some("a")).is_ok());
    }
}
