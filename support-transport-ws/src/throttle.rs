//! Rate limits: how often one user, one address or one app may do a thing, and who the
//! client of a request is.
//!
//! - [`Rate`]: "N per period", with bursts of up to N; [`Rate::OFF`] turns a throttle off.
//! - [`RateLimits`]: the throttles this crate applies, with defaults that suit people, in
//!   [`AppConfig::rate_limits`](crate::AppConfig::rate_limits); [`RateLimits::off`] for load
//!   tests and benchmarks.
//! - [`Throttle`]: one keyed limiter (governor's GCRA over a bounded `DashMap`), which an
//!   embedder can use for throttles of its own (the reference server's sign-in).
//! - [`ClientAddr`]: the client's address, as a proxy-aware layer of the embedder says, or
//!   else the TCP peer (`ConnectInfo<SocketAddr>`).
//!
//! Over a limit the answer is 429 with `Retry-After` (whole seconds) and Laravel's body
//! `{"message": "Too Many Attempts."}`: [`Throttled`] converts into
//! [`ApiError::TooManyRequests`].

use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{ConnectInfo, OptionalFromRequestParts};
use axum::http::Extensions;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock, Reference};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::StateStore;
use governor::state::keyed::{DashMapStateStore, ShrinkableKeyedStateStore};
use governor::{NotUntil, Quota, RateLimiter};

use crate::api::ApiError;

/// How often something may happen: `count` per `period`, up to `count` at once, one more
/// every `period / count` after that (the generic cell rate algorithm: a steady rate with
/// bursts, never a window that resets all at once).
///
/// A `count` of 0 (or a zero `period`) is [`Rate::OFF`]: no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// How many per `period`, and the largest burst.
    pub count: u32,
    /// The period `count` is measured over.
    pub period: Duration,
}

impl Rate {
    /// No limit.
    pub const OFF: Rate = Rate {
        count: 0,
        period: Duration::ZERO,
    };

    /// `count` a second.
    pub const fn per_second(count: u32) -> Rate {
        Rate {
            count,
            period: Duration::from_secs(1),
        }
    }

    /// `count` a minute.
    pub const fn per_minute(count: u32) -> Rate {
        Rate {
            count,
            period: Duration::from_secs(60),
        }
    }

    /// Whether this rate limits nothing.
    pub fn is_off(&self) -> bool {
        self.count == 0 || self.period.is_zero()
    }

    fn quota(&self) -> Option<Quota> {
        let burst = NonZeroU32::new(self.count)?;
        if self.period.is_zero() {
            return None;
        }
        let every = (self.period / self.count).max(Duration::from_nanos(1));
        Some(Quota::with_period(every)?.allow_burst(burst))
    }
}

/// The throttles this crate applies, each per user, per address or per app. The defaults are
/// far above what a person does by hand and stop a script; [`RateLimits::off`] turns them
/// all off (load tests, benchmarks), while timeouts, size limits and bounded queues stay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimits {
    /// Messages one user may post through the JSON API: chat messages, comments and internal
    /// notes, on either side. Default 60 a minute: a fast typist sends a few a minute, and a
    /// staff member answering many tickets with canned replies stays under one a second.
    pub messages_per_user: Rate,
    /// Ticket writes one user may make through the JSON API: opening a ticket (the form or a
    /// quick chat) and the staff's status, priority and assignee changes. Default 30 a
    /// minute: one every two seconds, sustained, is more triage than anyone clicks.
    pub ticket_writes_per_user: Rate,
    /// `POST /broadcasting/auth` calls: per user (counted by
    /// [`ServiceAuthorizer`](crate::ServiceAuthorizer), which knows the caller), and per client
    /// address for callers nobody is identified as. Default 120 a minute: the staff's live
    /// chat subscribes to every open ticket at once on load and after each reconnect, up to
    /// [`Limits::max_channels_per_connection`](crate::Limits::max_channels_per_connection)
    /// (100) channels.
    pub channel_auth: Rate,
    /// Events the Pusher HTTP API accepts for the app (`/apps/{id}/events` and
    /// `batch_events`, each event of a batch counting), counted after the signature is
    /// checked, so unsigned requests cannot spend the app's budget. Default 100 a second,
    /// sockudo's default app's `max_backend_events_per_second`.
    pub api_events_per_app: Rate,
    /// Keys one throttle remembers at most (users, addresses). Keys whose count is full again
    /// are forgotten every few seconds; past this many, a new key is judged as
    /// a fresh one without being remembered, so an attacker who rotates keys cannot grow the
    /// server's memory. Default 100,000 (a few MB per throttle).
    pub max_keys: usize,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            messages_per_user: Rate::per_minute(60),
            ticket_writes_per_user: Rate::per_minute(30),
            channel_auth: Rate::per_minute(120),
            api_events_per_app: Rate::per_second(100),
            max_keys: DEFAULT_MAX_KEYS,
        }
    }
}

impl RateLimits {
    /// Every throttle off.
    pub fn off() -> Self {
        RateLimits {
            messages_per_user: Rate::OFF,
            ticket_writes_per_user: Rate::OFF,
            channel_auth: Rate::OFF,
            api_events_per_app: Rate::OFF,
            max_keys: DEFAULT_MAX_KEYS,
        }
    }
}

/// [`RateLimits::max_keys`]'s default.
pub const DEFAULT_MAX_KEYS: usize = 100_000;

/// How often a throttle forgets its idle keys (on the first check after this long).
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(10);

/// Over a limit: try again after `retry_after`. Answers as
/// [`ApiError::TooManyRequests`]: 429, `Retry-After`, `{"message": "Too Many Attempts."}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    /// How long until the next attempt can succeed.
    pub retry_after: Duration,
}

impl Throttled {
    /// The wait in whole seconds, rounded up, at least 1: what `Retry-After` says.
    pub fn retry_after_secs(&self) -> u64 {
        let wait = self.retry_after;
        (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
    }
}

impl From<Throttled> for ApiError {
    fn from(t: Throttled) -> Self {
        ApiError::TooManyRequests {
            retry_after: t.retry_after,
        }
    }
}

impl IntoResponse for Throttled {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}

/// One rate limit, kept per key (a user id, an address, an app): governor's keyed GCRA limiter
/// over a `DashMap` that is bounded (see [`RateLimits::max_keys`]) and swept of idle keys
/// every few seconds. Cloning shares it; a throttle made from [`Rate::OFF`] allows everything
/// and keeps nothing.
///
/// Two ways to count:
///
/// - [`check`](Self::check): every attempt spends one (writes, channel auth);
/// - [`peek`](Self::peek) before and [`check`](Self::check) on failure: only failures spend,
///   and once they are spent even an attempt that would succeed is refused until the wait
///   passes (sign-in failures and wrong tokens, as Laravel's `ThrottlesLogins` does).
pub struct Throttle<K: Hash + Eq + Clone> {
    inner: Option<Arc<Inner<K, DefaultClock>>>,
}

impl<K: Hash + Eq + Clone> Clone for Throttle<K> {
    fn clone(&self) -> Self {
        Throttle {
            inner: self.inner.clone(),
        }
    }
}

impl<K: Hash + Eq + Clone> std::fmt::Debug for Throttle<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.inner {
            None => f.write_str("Throttle(off)"),
            Some(inner) => f
                .debug_struct("Throttle")
                .field("rate", &inner.rate)
                .field("keys", &inner.keys())
                .finish(),
        }
    }
}

impl<K: Hash + Eq + Clone> Throttle<K> {
    /// A throttle at `rate`, remembering [`DEFAULT_MAX_KEYS`] keys at most.
    pub fn new(rate: Rate) -> Self {
        Self::with_max_keys(rate, DEFAULT_MAX_KEYS)
    }

    /// A throttle at `rate`, remembering `max_keys` keys at most.
    pub fn with_max_keys(rate: Rate, max_keys: usize) -> Self {
        Throttle {
            inner: Inner::new(rate, max_keys, DefaultClock::default()).map(Arc::new),
        }
    }

    /// A throttle that allows everything.
    pub fn off() -> Self {
        Throttle { inner: None }
    }

    /// Whether this throttle allows everything.
    pub fn is_off(&self) -> bool {
        self.inner.is_none()
    }

    /// Spends one for `key`: `Err` (and nothing spent) once the key's rate is used up.
    pub fn check(&self, key: &K) -> Result<(), Throttled> {
        self.check_n(key, 1)
    }

    /// Spends `n` for `key` at once, or none: `Err` if they do not all fit now (or ever, for
    /// more than the rate's `count`, which then waits for a whole period).
    pub fn check_n(&self, key: &K, n: u32) -> Result<(), Throttled> {
        match &self.inner {
            None => Ok(()),
            Some(inner) => inner.check_n(key, n),
        }
    }

    /// Whether one more would be allowed for `key` now, spending nothing.
    pub fn peek(&self, key: &K) -> Result<(), Throttled> {
        match &self.inner {
            None => Ok(()),
            Some(inner) => inner.peek(key),
        }
    }

    /// How many keys it remembers now (0 when off).
    pub fn keys(&self) -> usize {
        self.inner.as_ref().map_or(0, |inner| inner.keys())
    }
}

/// A key, and whether the limiter is only asked (the store then writes nothing).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Probe<K> {
    key: K,
    peek: bool,
}

/// governor's `DashMap` store, bounded, and able to answer a [`Probe`] without writing.
struct Store<K: Hash + Eq + Clone> {
    map: DashMapStateStore<K>,
    max_keys: usize,
}

impl<K: Hash + Eq + Clone> StateStore for Store<K> {
    type Key = Probe<K>;

    fn measure_and_replace<T, F, E>(&self, probe: &Probe<K>, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        let known = self.map.contains_key(&probe.key);
        if !probe.peek && (known || self.map.len() < self.max_keys) {
            return self.map.measure_and_replace(&probe.key, f);
        }
        if known {
            // Decided on the key's state, which is written back unchanged.
            self.map.measure_and_replace(&probe.key, |tat| {
                f(tat).map(|(t, _)| (t, tat.unwrap_or_default()))
            })
        } else {
            // A fresh key, decided as such and not remembered.
            f(None).map(|(t, _)| t)
        }
    }
}

impl<K: Hash + Eq + Clone> ShrinkableKeyedStateStore<Probe<K>> for Store<K> {
    fn retain_recent(&self, drop_below: Nanos) {
        ShrinkableKeyedStateStore::<K>::retain_recent(&self.map, drop_below);
    }

    fn shrink_to_fit(&self) {
        ShrinkableKeyedStateStore::<K>::shrink_to_fit(&self.map);
    }

    fn len(&self) -> usize {
        self.map.len()
    }

    fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

struct Inner<K: Hash + Eq + Clone, C: Clock> {
    rate: Rate,
    limiter: RateLimiter<Probe<K>, Store<K>, C, NoOpMiddleware<C::Instant>>,
    clock: C,
    start: C::Instant,
    /// When (nanoseconds after `start`) idle keys are next swept.
    next_sweep: AtomicU64,
}

impl<K: Hash + Eq + Clone, C: Clock + Clone> Inner<K, C> {
    fn new(rate: Rate, max_keys: usize, clock: C) -> Option<Self> {
        let quota = rate.quota()?;
        let store = Store {
            map: DashMapStateStore::default(),
            max_keys,
        };
        Some(Inner {
            rate,
            limiter: RateLimiter::new(quota, store, clock.clone()),
            start: clock.now(),
            clock,
            next_sweep: AtomicU64::new(nanos(HOUSEKEEPING_EVERY)),
        })
    }

    fn check_n(&self, key: &K, n: u32) -> Result<(), Throttled> {
        self.sweep_when_due();
        let probe = Probe {
            key: key.clone(),
            peek: false,
        };
        let Some(n) = NonZeroU32::new(n) else {
            return Ok(());
        };
        match self.limiter.check_key_n(&probe, n) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => Err(self.throttled(&not_until)),
            // More than the burst: never all at once; the nearest honest answer is a period.
            Err(_) => Err(Throttled {
                retry_after: self.rate.period,
            }),
        }
    }

    fn peek(&self, key: &K) -> Result<(), Throttled> {
        let probe = Probe {
            key: key.clone(),
            peek: true,
        };
        self.limiter
            .check_key(&probe)
            .map_err(|not_until| self.throttled(&not_until))
    }

    fn throttled(&self, not_until: &NotUntil<C::Instant>) -> Throttled {
        Throttled {
            retry_after: not_until.wait_time_from(self.clock.now()),
        }
    }

    /// Forgets the keys whose state is the same as a fresh key's, at most once every
    /// [`HOUSEKEEPING_EVERY`], on whichever check comes first after that.
    fn sweep_when_due(&self) {
        let now = nanos(self.clock.now().duration_since(self.start).into());
        let due = self.next_sweep.load(Ordering::Relaxed);
        if now < due {
            return;
        }
        let next = now.saturating_add(nanos(HOUSEKEEPING_EVERY));
        if self
            .next_sweep
            .compare_exchange(due, next, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
    }

    fn keys(&self) -> usize {
        self.limiter.len()
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// The client's address, for per-address limits: what a layer of the embedder that knows its
/// proxies put in the request's extensions (the reference server's `--trusted-proxy`), or
/// else the TCP peer, when the server was started with `ConnectInfo<SocketAddr>`
/// (`into_make_service_with_connect_info::<SocketAddr>()`). `None` when neither is there:
/// per-address limits then do not apply.
///
/// A handler takes it as `Option<ClientAddr>`, which never refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    /// The client's address in these request extensions, if known.
    pub fn of(extensions: &Extensions) -> Option<IpAddr> {
        extensions
            .get::<ClientAddr>()
            .map(|ClientAddr(ip)| *ip)
            .or_else(|| {
                extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|ConnectInfo(peer)| peer.ip())
            })
    }

    /// The key a per-address limit counts under: an IPv4 address itself (also when written as
    /// an IPv4-mapped IPv6 address), an IPv6 address's /64 network, since one machine holds
    /// a whole /64.
    pub fn limit_key(ip: IpAddr) -> IpAddr {
        match ip {
            IpAddr::V4(_) => ip,
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
            },
        }
    }
}

/// `Option<ClientAddr>` as a handler's argument: the address [`ClientAddr::of`] finds.
impl<S: Send + Sync> OptionalFromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(ClientAddr::of(&parts.extensions).map(ClientAddr))
    }
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    fn throttle(rate: Rate, max_keys: usize) -> (Inner<u32, FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        let inner = Inner::new(rate, max_keys, clock.clone()).unwrap();
        (inner, clock)
    }

    #[test]
    fn a_rate_allows_its_count_at_once_then_one_per_share_of_the_period() {
        let (t, clock) = throttle(Rate::per_minute(5), 10);
        for _ in 0..5 {
            assert_eq!(t.check_n(&1, 1), Ok(()));
        }
        let refused = t.check_n(&1, 1).unwrap_err();
        assert_eq!(refused.retry_after, Duration::from_secs(12));
        // Another key has its own count.
        assert_eq!(t.check_n(&2, 1), Ok(()));
        clock.advance(Duration::from_secs(12));
        assert_eq!(t.check_n(&1, 1), Ok(()));
        assert!(t.check_n(&1, 1).is_err());
    }

    #[test]
    fn peeking_spends_nothing_and_sees_a_spent_key() {
        let (t, clock) = throttle(Rate::per_minute(2), 10);
        for _ in 0..10 {
            assert_eq!(t.peek(&1), Ok(()));
        }
        // Peeking at an unknown key remembers nothing.
        assert_eq!(t.keys(), 0);
        t.check_n(&1, 2).unwrap();
        assert_eq!(t.peek(&1).unwrap_err().retry_after, Duration::from_secs(30));
        assert_eq!(t.peek(&1).unwrap_err().retry_after, Duration::from_secs(30));
        clock.advance(Duration::from_secs(30));
        assert_eq!(t.peek(&1), Ok(()));
        assert_eq!(t.peek(&1), Ok(()));
        t.check_n(&1, 1).unwrap();
        assert!(t.peek(&1).is_err());
    }

    #[test]
    fn a_batch_is_spent_whole_or_not_at_all() {
        let (t, _) = throttle(Rate::per_second(10), 10);
        t.check_n(&1, 8).unwrap();
        assert!(t.check_n(&1, 3).is_err());
        t.check_n(&1, 2).unwrap();
        assert_eq!(
            t.check_n(&2, 11).unwrap_err().retry_after,
            Duration::from_secs(1)
        );
    }

    #[test]
    fn rotating_keys_cannot_grow_the_store_past_its_bound_and_idle_keys_are_forgotten() {
        let (t, clock) = throttle(Rate::per_minute(5), 1_000);
        for key in 0..5_000 {
            assert_eq!(t.check_n(&key, 1), Ok(()));
        }
        assert_eq!(t.keys(), 1_000);
        // A remembered key is still counted; a new one is judged fresh, not remembered.
        for _ in 0..4 {
            t.check_n(&0, 1).unwrap();
        }
        assert!(t.check_n(&0, 1).is_err());
        assert_eq!(t.check_n(&9_999, 1), Ok(()));
        assert_eq!(t.keys(), 1_000);
        // Once their state is a fresh key's again (governor keeps a key until one share of
        // the period after its count is full again: 24 s for one spent of 5 a minute), the
        // next sweep forgets them.
        clock.advance(Duration::from_secs(25));
        t.check_n(&0, 1).unwrap();
        assert_eq!(t.keys(), 1, "only the key still spending is kept");
    }

    #[test]
    fn off_allows_everything() {
        let t: Throttle<u32> = Throttle::new(Rate::OFF);
        assert!(t.is_off());
        for _ in 0..1_000 {
            t.check(&1).unwrap();
        }
        assert!(Throttle::<u32>::new(Rate::per_minute(0)).is_off());
        assert_eq!(RateLimits::off().messages_per_user, Rate::OFF);
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_network() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(ClientAddr::limit_key(a), ClientAddr::limit_key(b));
        assert_ne!(ClientAddr::limit_key(a), ClientAddr::limit_key(c));
        let v4: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(ClientAddr::limit_key(v4), v4);
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(
            ClientAddr::limit_key(mapped),
            "192.0.2.7".parse::<IpAddr>().unwrap()
        );
    }
}
