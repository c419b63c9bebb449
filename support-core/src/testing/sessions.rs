//! The conformance suite for [`SessionStore`] implementations.
//!
//! A store crate that implements [`SessionStore`] adds, in a test file, one line:
//!
//! ```ignore
//! support_core::session_conformance_suite!(async { my_store::MyStore::connect_fresh().await.unwrap() });
//! ```
//!
//! The macro expands into a module `session_conformance` with one `#[test]` per case below,
//! so `cargo test session_conformance` runs exactly the suite and a failure names the
//! behaviour. As with [`conformance_suite!`](crate::conformance_suite), the expression is
//! evaluated once per case inside its async body (give every case a fresh database), leading
//! attributes go on every generated test, and `name: async { … }` puts the suite in a module
//! `name`. Each case runs on a fresh multi-threaded runtime ([`run`](crate::testing::run)).
//!
//! The cases name their instants (`Liveness`), so idle timeouts and ends are checked exactly,
//! without waiting. Every key is a [`TokenDigest`]: the suite never hands a store a token.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;

use crate::error::Error;
use crate::id::UserId;
use crate::session::{Liveness, NewSession, SessionStore, TokenDigest};
use crate::time::{self, Timestamp};

/// Expands into the session store conformance suite: see the
/// [module docs](crate::testing::sessions).
///
/// Every case of [`testing::sessions`](crate::testing::sessions) must be listed here; a unit
/// test of the module fails when one is not.
#[macro_export]
macro_rules! session_conformance_suite {
    // Leading attributes (for every generated test), gathered one at a time.
    (@attrs [$($attrs:tt)*] #[$attr:meta] $($rest:tt)*) => {
        $crate::session_conformance_suite!(@attrs [$($attrs)* #[$attr]] $($rest)*);
    };
    (@attrs $attrs:tt $name:ident : $make:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            $crate::session_conformance_suite!(@attrs $attrs $make);
        }
    };
    (@attrs $attrs:tt $make:expr) => {
        $crate::__session_conformance_cases!($attrs $make;
            a_created_session_is_found_as_stored,
            an_unknown_digest_is_absent,
            a_digest_that_exists_cannot_be_created_again,
            sessions_are_keyed_by_all_32_bytes_of_the_digest,
            an_ended_session_is_absent,
            ending_a_users_sessions_ends_only_theirs,
            touch_moves_last_seen_forward_only,
            touch_keeps_a_session_alive_past_the_idle_timeout,
            a_session_idle_too_long_or_past_its_end_is_absent_and_stays_so,
            purge_removes_only_the_sessions_that_are_over,
        );
    };
    ($($input:tt)+) => {
        $crate::session_conformance_suite!(@attrs [] $($input)+);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __session_conformance_cases {
    (@case [$(#[$attr:meta])*] $case:ident $make:expr) => {
        $(#[$attr])*
        #[test]
        fn $case() {
            $crate::testing::run(async {
                let store: ::std::sync::Arc<dyn $crate::SessionStore> =
                    ::std::sync::Arc::new($make.await);
                $crate::testing::sessions::$case(store).await;
            });
        }
    };
    ($attrs:tt $make:expr; $($case:ident),+ $(,)?) => {
        mod session_conformance {
            #[allow(unused_imports)]
            use super::*;
            $(
                $crate::__session_conformance_cases!(@case $attrs $case $make);
            )+
        }
    };
}

/// A store under test.
pub type Store = Arc<dyn SessionStore>;

/// The idle timeout of the cases.
const IDLE: Duration = Duration::from_secs(60);

/// The absolute lifetime of the cases' sessions.
const LIFETIME: Duration = Duration::from_secs(3600);

fn alice() -> UserId {
    UserId(101)
}

fn bob() -> UserId {
    UserId(102)
}

fn digest(token: &str) -> TokenDigest {
    TokenDigest::of_token(token.as_bytes())
}

/// `secs` seconds after `t0`.
fn after(t0: Timestamp, secs: i64) -> Timestamp {
    t0 + TimeDelta::seconds(secs)
}

/// Judged at `secs` seconds after `t0`, with the cases' idle timeout.
fn at(t0: Timestamp, secs: i64) -> Liveness {
    Liveness::new(after(t0, secs), IDLE)
}

/// Creates a session of `user` at `t0`; answers what the store must give back.
async fn create(store: &Store, token: &str, user: UserId, t0: Timestamp) -> NewSession {
    let new = NewSession::new(digest(token), user, t0, LIFETIME);
    store.create_session(&new).await.unwrap();
    new
}

pub async fn a_created_session_is_found_as_stored(store: Store) {
    let t0 = time::now();
    let new = create(&store, "token-a", alice(), t0).await;
    let found = store.session(&new.digest, &at(t0, 1)).await.unwrap();
    // Every field, to the microsecond.
    assert_eq!(found, Some(new.stored()));
}

pub async fn an_unknown_digest_is_absent(store: Store) {
    let t0 = time::now();
    create(&store, "token-a", alice(), t0).await;
    let unknown = digest("token-b");
    assert_eq!(store.session(&unknown, &at(t0, 1)).await.unwrap(), None);
    assert!(!store.touch_session(&unknown, &at(t0, 1)).await.unwrap());
    assert!(!store.end_session(&unknown).await.unwrap());
    assert_eq!(store.end_user_sessions(bob()).await.unwrap(), 0);
}

pub async fn a_digest_that_exists_cannot_be_created_again(store: Store) {
    let t0 = time::now();
    let first = create(&store, "token-a", alice(), t0).await;
    let again = NewSession::new(first.digest, bob(), after(t0, 5), LIFETIME);
    let refused = store.create_session(&again).await;
    assert!(matches!(refused, Err(Error::Conflict(_))), "{refused:?}");
    let found = store.session(&first.digest, &at(t0, 6)).await.unwrap();
    assert_eq!(found, Some(first.stored()), "the first row stays as it was");
}

/// Digests that differ in one byte, or hold the bytes a text column mangles (0x00, 0xff), are
/// different sessions: a store keys by all 32 bytes, and a digest rebuilt from its bytes (as
/// another process on the same database would) finds the same session.
pub async fn sessions_are_keyed_by_all_32_bytes_of_the_digest(store: Store) {
    let t0 = time::now();
    let zeros = TokenDigest::from_bytes([0; 32]);
    let mut last = [0; 32];
    last[31] = 1;
    let last = TokenDigest::from_bytes(last);
    let ones = TokenDigest::from_bytes([0xff; 32]);
    for (d, user) in [(zeros, alice()), (last, bob()), (ones, UserId(7))] {
        let new = NewSession::new(d, user, t0, LIFETIME);
        store.create_session(&new).await.unwrap();
    }
    for (d, user) in [(zeros, alice()), (last, bob()), (ones, UserId(7))] {
        let rebuilt = TokenDigest::from_slice(d.as_bytes()).unwrap();
        let found = store.session(&rebuilt, &at(t0, 1)).await.unwrap();
        assert_eq!(found.map(|s| s.user), Some(user), "{d:?}");
    }
}

pub async fn an_ended_session_is_absent(store: Store) {
    let t0 = time::now();
    let gone = create(&store, "token-a", alice(), t0).await;
    let kept = create(&store, "token-b", alice(), t0).await;
    assert!(store.end_session(&gone.digest).await.unwrap());
    assert!(!store.end_session(&gone.digest).await.unwrap(), "only once");
    assert_eq!(store.session(&gone.digest, &at(t0, 1)).await.unwrap(), None);
    assert!(!store.touch_session(&gone.digest, &at(t0, 1)).await.unwrap());
    assert_eq!(store.session(&gone.digest, &at(t0, 2)).await.unwrap(), None);
    assert_eq!(
        store.session(&kept.digest, &at(t0, 2)).await.unwrap(),
        Some(kept.stored()),
        "another session of the same user stays"
    );
}

pub async fn ending_a_users_sessions_ends_only_theirs(store: Store) {
    let t0 = time::now();
    let laptop = create(&store, "alice-laptop", alice(), t0).await;
    let phone = create(&store, "alice-phone", alice(), t0).await;
    let other = create(&store, "bob-laptop", bob(), t0).await;
    assert_eq!(store.end_user_sessions(alice()).await.unwrap(), 2);
    for ended in [&laptop, &phone] {
        assert_eq!(
            store.session(&ended.digest, &at(t0, 1)).await.unwrap(),
            None
        );
    }
    assert_eq!(
        store.session(&other.digest, &at(t0, 1)).await.unwrap(),
        Some(other.stored())
    );
    assert_eq!(store.end_user_sessions(alice()).await.unwrap(), 0);
}

pub async fn touch_moves_last_seen_forward_only(store: Store) {
    let t0 = time::now();
    let s = create(&store, "token-a", alice(), t0).await;
    assert!(store.touch_session(&s.digest, &at(t0, 30)).await.unwrap());
    let d = s.digest;
    let seen = |secs| {
        let store = store.clone();
        async move {
            store
                .session(&d, &at(t0, secs))
                .await
                .unwrap()
                .expect("alive")
                .last_seen_at
        }
    };
    assert_eq!(seen(31).await, after(t0, 30));
    // An earlier instant (a slower node's clock, a late request) leaves it where it is.
    assert!(store.touch_session(&s.digest, &at(t0, 20)).await.unwrap());
    assert_eq!(seen(32).await, after(t0, 30));
    let found = store
        .session(&s.digest, &at(t0, 33))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (found.created_at, found.expires_at),
        (s.created_at, s.expires_at),
        "touch changes nothing else"
    );
}

pub async fn touch_keeps_a_session_alive_past_the_idle_timeout(store: Store) {
    let t0 = time::now();
    let used = create(&store, "token-a", alice(), t0).await;
    let unused = create(&store, "token-b", alice(), t0).await;
    // Used every 50 s, for longer than the 60 s idle timeout.
    for secs in [50, 100, 150] {
        assert!(
            store
                .touch_session(&used.digest, &at(t0, secs))
                .await
                .unwrap()
        );
    }
    assert!(
        store
            .session(&used.digest, &at(t0, 200))
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        store.session(&unused.digest, &at(t0, 200)).await.unwrap(),
        None
    );
}

pub async fn a_session_idle_too_long_or_past_its_end_is_absent_and_stays_so(store: Store) {
    let t0 = time::now();
    let idle = create(&store, "token-a", alice(), t0).await;
    assert!(
        store
            .session(&idle.digest, &at(t0, 59))
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        store.session(&idle.digest, &at(t0, 60)).await.unwrap(),
        None
    );
    // Touching it now does not bring it back.
    assert!(
        !store
            .touch_session(&idle.digest, &at(t0, 61))
            .await
            .unwrap()
    );
    assert_eq!(
        store.session(&idle.digest, &at(t0, 61)).await.unwrap(),
        None
    );

    // However busy, a session ends at its absolute end.
    let busy = create(&store, "token-b", alice(), t0).await;
    let end = LIFETIME.as_secs() as i64;
    let mut secs = 0;
    while secs + 30 < end {
        secs += 30;
        assert!(
            store
                .touch_session(&busy.digest, &at(t0, secs))
                .await
                .unwrap()
        );
    }
    assert!(
        store
            .session(&busy.digest, &at(t0, end - 1))
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        store.session(&busy.digest, &at(t0, end)).await.unwrap(),
        None
    );
    assert!(
        !store
            .touch_session(&busy.digest, &at(t0, end))
            .await
            .unwrap()
    );
}

pub async fn purge_removes_only_the_sessions_that_are_over(store: Store) {
    let t0 = time::now();
    // Over by its absolute end only: seen recently.
    let expired = NewSession {
        digest: digest("expired"),
        user: alice(),
        created_at: after(t0, -30),
        expires_at: after(t0, -1),
    };
    store.create_session(&expired).await.unwrap();
    // Over by its idle timeout only.
    let idle = create(&store, "idle", alice(), after(t0, -120)).await;
    let fresh = create(&store, "fresh", bob(), after(t0, -10)).await;

    // Before the purge, a lenient look (a little earlier, no idle limit to speak of) still
    // finds both: they are over, not gone.
    let lenient = Liveness::new(after(t0, -2), Duration::from_secs(24 * 3600));
    for over in [&expired, &idle] {
        assert!(
            store
                .session(&over.digest, &lenient)
                .await
                .unwrap()
                .is_some()
        );
    }

    assert_eq!(store.purge_sessions(&at(t0, 0)).await.unwrap(), 2);
    for over in [&expired, &idle] {
        assert_eq!(store.session(&over.digest, &lenient).await.unwrap(), None);
    }
    assert_eq!(
        store.session(&fresh.digest, &at(t0, 0)).await.unwrap(),
        Some(fresh.stored()),
        "what is alive stays untouched"
    );
    assert_eq!(store.purge_sessions(&at(t0, 0)).await.unwrap(), 0);
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_case_is_in_the_macro() {
        let source = include_str!("sessions.rs");
        let (head, body) = source
            .split_once("macro_rules! __session_conformance_cases")
            .expect("the case expander is in this file");
        let (_, listed) = head
            .split_once("macro_rules! session_conformance_suite")
            .expect("the macro comes first");
        let (cases, _) = body.split_once("#[cfg(test)]").expect("then the cases");
        let defined: Vec<&str> = cases
            .lines()
            .filter_map(|l| l.strip_prefix("pub async fn "))
            .filter_map(|l| l.split(['<', '(']).next())
            .collect();
        assert!(defined.len() >= 10, "{defined:?}");
        for case in defined {
            assert!(
                listed.contains(&format!("{case},")),
                "{case} is not listed in session_conformance_suite!"
            );
        }
    }
}
