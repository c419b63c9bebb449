//! The conformance suite for [`UserStore`] implementations.
//!
//! A store crate that implements [`UserStore`] adds, in a test file, one line:
//!
//! ```ignore
//! support_core::user_conformance_suite!(async { my_store::MyStore::connect_fresh().await.unwrap() });
//! ```
//!
//! The macro expands into a module `user_conformance` with one `#[test]` per case below, as
//! [`session_conformance_suite!`](crate::session_conformance_suite) does (leading attributes go
//! on every test, `name: async { … }` puts the suite in a module `name`, and the expression is
//! evaluated once per case: give every case a fresh database).

use std::sync::Arc;

use chrono::TimeDelta;

use crate::account::*;
use crate::actor::{Directory, Role};
use crate::error::Error;
use crate::id::UserId;
use crate::time::{self, Timestamp};

/// Expands into the user store conformance suite: see the
/// [module docs](crate::testing::accounts).
///
/// Every case of [`testing::accounts`](crate::testing::accounts) must be listed here; a unit
/// test of the module fails when one is not.
#[macro_export]
macro_rules! user_conformance_suite {
    (@attrs [$($attrs:tt)*] #[$attr:meta] $($rest:tt)*) => {
        $crate::user_conformance_suite!(@attrs [$($attrs)* #[$attr]] $($rest)*);
    };
    (@attrs $attrs:tt $name:ident : $make:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            $crate::user_conformance_suite!(@attrs $attrs $make);
        }
    };
    (@attrs $attrs:tt $make:expr) => {
        $crate::__user_conformance_cases!($attrs $make;
            a_created_user_is_found_by_id_and_by_email_as_stored,
            ids_are_assigned_above_every_id_held,
            an_email_is_unique_whatever_its_case,
            a_held_id_or_external_id_cannot_be_created_again,
            an_update_changes_only_what_it_names,
            users_are_listed_by_id_disabled_ones_too,
            sync_creates_a_host_user_then_updates_the_same_one,
            sync_links_an_account_made_by_hand_by_its_email,
            sync_refuses_an_email_of_another_host_user,
            sync_never_enables_a_disabled_user,
            a_token_is_found_by_its_digest_until_revoked,
            a_disabled_users_tokens_prove_nobody,
            a_token_digest_is_unique_and_needs_a_user,
            tokens_are_keyed_by_all_32_bytes_of_the_digest,
            touch_moves_last_seen_and_last_used_forward_only,
            the_account_directory_names_everyone_and_assigns_the_enabled,
        );
    };
    ($($input:tt)+) => {
        $crate::user_conformance_suite!(@attrs [] $($input)+);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __user_conformance_cases {
    (@case [$(#[$attr:meta])*] $case:ident $make:expr) => {
        $(#[$attr])*
        #[test]
        fn $case() {
            $crate::testing::run(async {
                let store: ::std::sync::Arc<dyn $crate::UserStore> =
                    ::std::sync::Arc::new($make.await);
                $crate::testing::accounts::$case(store).await;
            });
        }
    };
    ($attrs:tt $make:expr; $($case:ident),+ $(,)?) => {
        mod user_conformance {
            #[allow(unused_imports)]
            use super::*;
            $(
                $crate::__user_conformance_cases!(@case $attrs $case $make);
            )+
        }
    };
}

/// A store under test.
pub type Store = Arc<dyn UserStore>;

fn email(text: &str) -> Email {
    Email::parse(text).unwrap()
}

fn digest(token: &str) -> TokenDigest {
    TokenDigest::of_token(token.as_bytes())
}

/// `secs` seconds after `t0`.
fn after(t0: Timestamp, secs: i64) -> Timestamp {
    t0 + TimeDelta::seconds(secs)
}

fn ada(t0: Timestamp) -> NewUser {
    NewUser::new("Ada Admin", Role::Admin, t0)
        .email(email("ada@example.com"))
        .password(PasswordHash::new(
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
        ))
}

fn alice(t0: Timestamp) -> NewUser {
    NewUser::new("Alice Employee", Role::Employee, t0).email(email("alice@example.com"))
}

fn host_user(sub: &str, name: &str, mail: Option<&str>) -> ExternalUser {
    ExternalUser {
        external_id: sub.into(),
        name: name.into(),
        email: mail.map(email),
        role: Role::Employee,
    }
}

fn disable() -> UserUpdate {
    UserUpdate {
        disabled: Some(true),
        ..UserUpdate::default()
    }
}

fn conflict<T: std::fmt::Debug>(result: crate::Result<T>) -> bool {
    matches!(result, Err(Error::Conflict(_)))
}

pub async fn a_created_user_is_found_by_id_and_by_email_as_stored(store: Store) {
    let t0 = time::now();
    let new = ada(t0).external_id("host-7");
    let created = store.create_user(&new).await.unwrap();
    // Every field, to the microsecond, the hash's PHC string byte for byte.
    assert_eq!(created, new.stored(created.id));
    assert_eq!(store.user(created.id).await.unwrap(), Some(created.clone()));
    let found = store
        .user_by_email(&email("ADA@example.com"))
        .await
        .unwrap();
    assert_eq!(
        found,
        Some(created.clone()),
        "emails are normalized, so case is ignored"
    );
    assert_eq!(store.user(UserId(created.id.0 + 1)).await.unwrap(), None);
    let nobody = store
        .user_by_email(&email("eve@example.com"))
        .await
        .unwrap();
    assert_eq!(nobody, None);
}

pub async fn ids_are_assigned_above_every_id_held(store: Store) {
    let t0 = time::now();
    let first = store.create_user(&alice(t0)).await.unwrap();
    let imported = store
        .create_user(&ada(t0).id(UserId(first.id.0 + 500)))
        .await
        .unwrap();
    assert_eq!(imported.id, UserId(first.id.0 + 500), "the id asked for");
    let next = store
        .create_user(&NewUser::new("Sam Support", Role::Support, t0))
        .await
        .unwrap();
    assert!(next.id > imported.id, "{next:?} after {imported:?}");
}

pub async fn an_email_is_unique_whatever_its_case(store: Store) {
    let t0 = time::now();
    let ada = store.create_user(&ada(t0)).await.unwrap();
    let twin = NewUser::new("Another Ada", Role::Employee, t0).email(email("Ada@Example.com"));
    assert!(conflict(store.create_user(&twin).await));
    let alice = store.create_user(&alice(t0)).await.unwrap();
    let taking = UserUpdate {
        email: Some(Some(email("ADA@example.com"))),
        ..UserUpdate::default()
    };
    assert!(conflict(store.update_user(alice.id, &taking).await));
    assert_eq!(
        store.user(alice.id).await.unwrap(),
        Some(alice.clone()),
        "a refused update changes nothing"
    );
    let users = store.users().await.unwrap();
    assert_eq!(
        users,
        vec![ada.clone(), alice.clone()],
        "nothing else was stored"
    );
    // Keeping one's own email, or giving it up, is no clash.
    let same = UserUpdate {
        email: Some(Some(email("ada@example.com"))),
        name: Some("Ada A.".into()),
        ..UserUpdate::default()
    };
    assert!(store.update_user(ada.id, &same).await.unwrap().is_some());
    let none = UserUpdate {
        email: Some(None),
        ..UserUpdate::default()
    };
    assert_eq!(
        store
            .update_user(ada.id, &none)
            .await
            .unwrap()
            .unwrap()
            .email,
        None
    );
    assert!(
        store
            .update_user(alice.id, &taking)
            .await
            .unwrap()
            .is_some(),
        "now free"
    );
}

pub async fn a_held_id_or_external_id_cannot_be_created_again(store: Store) {
    let t0 = time::now();
    let first = store
        .create_user(&alice(t0).external_id("host-1"))
        .await
        .unwrap();
    let same_id = NewUser::new("Bob", Role::Employee, t0).id(first.id);
    assert!(conflict(store.create_user(&same_id).await));
    let same_external = NewUser::new("Bob", Role::Employee, t0).external_id("host-1");
    assert!(conflict(store.create_user(&same_external).await));
    assert_eq!(store.users().await.unwrap(), vec![first]);
}

pub async fn an_update_changes_only_what_it_names(store: Store) {
    let t0 = time::now();
    let ada = store.create_user(&ada(t0)).await.unwrap();
    let change = UserUpdate {
        role: Some(Role::Support),
        disabled: Some(true),
        password: Some(None),
        ..UserUpdate::default()
    };
    let updated = store.update_user(ada.id, &change).await.unwrap().unwrap();
    let mut expected = ada.clone();
    change.apply(&mut expected);
    assert_eq!(updated, expected);
    assert_eq!(store.user(ada.id).await.unwrap(), Some(expected.clone()));
    assert_eq!(updated.name, "Ada Admin");
    assert_eq!(updated.email, ada.email);
    let enable = UserUpdate {
        disabled: Some(false),
        password: Some(Some(PasswordHash::new("$argon2id$new"))),
        ..UserUpdate::default()
    };
    let back = store.update_user(ada.id, &enable).await.unwrap().unwrap();
    assert!(!back.disabled);
    assert_eq!(back.password, Some(PasswordHash::new("$argon2id$new")));
    let unknown = UserId(ada.id.0 + 1);
    assert_eq!(store.update_user(unknown, &enable).await.unwrap(), None);
}

pub async fn users_are_listed_by_id_disabled_ones_too(store: Store) {
    let t0 = time::now();
    let late = store.create_user(&alice(t0).id(UserId(900))).await.unwrap();
    let early = store.create_user(&ada(t0).id(UserId(5))).await.unwrap();
    let early = store
        .update_user(early.id, &disable())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.users().await.unwrap(), vec![early, late]);
}

pub async fn sync_creates_a_host_user_then_updates_the_same_one(store: Store) {
    let t0 = time::now();
    let made = store
        .sync_external_user(&host_user("42", "Alice", Some("alice@host.example")), t0)
        .await
        .unwrap();
    assert_eq!(made.external_id.as_deref(), Some("42"));
    assert_eq!((&*made.name, made.role), ("Alice", Role::Employee));
    assert_eq!(made.created_at, t0);
    assert_eq!((made.disabled, made.password.clone()), (false, None));
    let renamed = ExternalUser {
        role: Role::Support,
        ..host_user("42", "Alice Smith", None)
    };
    let again = store
        .sync_external_user(&renamed, after(t0, 60))
        .await
        .unwrap();
    assert_eq!(again.id, made.id, "the same user");
    assert_eq!((&*again.name, again.role), ("Alice Smith", Role::Support));
    assert_eq!(again.email, made.email, "an email left out is kept");
    assert_eq!(again.created_at, t0);
    assert_eq!(store.users().await.unwrap(), vec![again]);
}

pub async fn sync_links_an_account_made_by_hand_by_its_email(store: Store) {
    let t0 = time::now();
    let by_hand = store.create_user(&ada(t0)).await.unwrap();
    let signed_in = store
        .sync_external_user(
            &ExternalUser {
                role: Role::Admin,
                ..host_user("u-ada", "Ada Lovelace", Some("Ada@Example.com"))
            },
            after(t0, 5),
        )
        .await
        .unwrap();
    assert_eq!(signed_in.id, by_hand.id);
    assert_eq!(signed_in.external_id.as_deref(), Some("u-ada"));
    assert_eq!(signed_in.name, "Ada Lovelace");
    assert_eq!(signed_in.password, by_hand.password, "the password stays");
    assert_eq!(store.users().await.unwrap().len(), 1);
}

pub async fn sync_refuses_an_email_of_another_host_user(store: Store) {
    let t0 = time::now();
    let first = store
        .sync_external_user(&host_user("1", "Alice", Some("alice@host.example")), t0)
        .await
        .unwrap();
    let second = store
        .sync_external_user(&host_user("2", "Bob", Some("bob@host.example")), t0)
        .await
        .unwrap();
    let stealing_new = host_user("3", "Eve", Some("alice@host.example"));
    assert!(conflict(store.sync_external_user(&stealing_new, t0).await));
    let stealing_old = host_user("2", "Bob", Some("alice@host.example"));
    assert!(conflict(store.sync_external_user(&stealing_old, t0).await));
    assert_eq!(
        store.users().await.unwrap(),
        vec![first, second],
        "nothing changed"
    );
}

pub async fn sync_never_enables_a_disabled_user(store: Store) {
    let t0 = time::now();
    let made = store
        .sync_external_user(&host_user("7", "Alice", None), t0)
        .await
        .unwrap();
    store.update_user(made.id, &disable()).await.unwrap();
    let again = store
        .sync_external_user(&host_user("7", "Alice B.", None), after(t0, 1))
        .await
        .unwrap();
    assert_eq!(again.id, made.id);
    assert!(again.disabled, "still disabled");
    assert!(store.user(made.id).await.unwrap().unwrap().disabled);
}

pub async fn a_token_is_found_by_its_digest_until_revoked(store: Store) {
    let t0 = time::now();
    let ada = store.create_user(&ada(t0)).await.unwrap();
    let deploy = NewApiToken::new(digest("sup_deploy"), ada.id, "deploy", t0);
    let laptop = NewApiToken::new(digest("sup_laptop"), ada.id, "laptop", after(t0, 1));
    let deploy = store.create_api_token(&deploy).await.unwrap();
    let laptop_row = store.create_api_token(&laptop).await.unwrap();
    assert_eq!(
        laptop_row,
        laptop.stored(laptop_row.id),
        "as given, never used"
    );
    assert_ne!(deploy.id, laptop_row.id);
    let found = store.api_token(&digest("sup_deploy")).await.unwrap();
    assert_eq!(found, Some((deploy.clone(), ada.clone())));
    let listed = store.api_tokens(ada.id).await.unwrap();
    assert_eq!(listed, vec![deploy.clone(), laptop_row.clone()], "by id");
    assert!(store.revoke_api_token(deploy.id).await.unwrap());
    assert!(
        !store.revoke_api_token(deploy.id).await.unwrap(),
        "only once"
    );
    assert_eq!(store.api_token(&digest("sup_deploy")).await.unwrap(), None);
    let kept = store.api_token(&digest("sup_laptop")).await.unwrap();
    assert_eq!(
        kept.map(|(t, _)| t.id),
        Some(laptop_row.id),
        "the other stays"
    );
    assert_eq!(store.api_tokens(ada.id).await.unwrap(), vec![laptop_row]);
    assert_eq!(store.api_token(&digest("sup_unknown")).await.unwrap(), None);
}

pub async fn a_disabled_users_tokens_prove_nobody(store: Store) {
    let t0 = time::now();
    let ada = store.create_user(&ada(t0)).await.unwrap();
    let alice = store.create_user(&alice(t0)).await.unwrap();
    for (token, user) in [("sup_ada", ada.id), ("sup_alice", alice.id)] {
        let new = NewApiToken::new(digest(token), user, "cli", t0);
        store.create_api_token(&new).await.unwrap();
    }
    store.update_user(ada.id, &disable()).await.unwrap();
    assert_eq!(store.api_token(&digest("sup_ada")).await.unwrap(), None);
    assert!(
        store
            .api_token(&digest("sup_alice"))
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        store.api_tokens(ada.id).await.unwrap().len(),
        1,
        "still listed"
    );
    let enable = UserUpdate {
        disabled: Some(false),
        ..UserUpdate::default()
    };
    store.update_user(ada.id, &enable).await.unwrap();
    let back = store.api_token(&digest("sup_ada")).await.unwrap();
    assert_eq!(
        back.map(|(_, u)| u.id),
        Some(ada.id),
        "enabled again, the token works"
    );
}

pub async fn a_token_digest_is_unique_and_needs_a_user(store: Store) {
    let t0 = time::now();
    let ada = store.create_user(&ada(t0)).await.unwrap();
    let alice = store.create_user(&alice(t0)).await.unwrap();
    let first = NewApiToken::new(digest("sup_shared"), ada.id, "one", t0);
    let first = store.create_api_token(&first).await.unwrap();
    let again = NewApiToken::new(digest("sup_shared"), alice.id, "two", t0);
    assert!(conflict(store.create_api_token(&again).await));
    let found = store.api_token(&digest("sup_shared")).await.unwrap();
    assert_eq!(
        found.map(|(t, _)| t),
        Some(first),
        "the first stays as it was"
    );
    let orphan = NewApiToken::new(digest("sup_orphan"), UserId(alice.id.0 + 99), "x", t0);
    let refused = store.create_api_token(&orphan).await;
    assert!(matches!(refused, Err(Error::NotFound)), "{refused:?}");
    assert!(store.api_tokens(alice.id).await.unwrap().is_empty());
}

/// Digests that hold the bytes a text column mangles (0x00, 0xff) or differ in their last
/// byte are different tokens.
pub async fn tokens_are_keyed_by_all_32_bytes_of_the_digest(store: Store) {
    let t0 = time::now();
    let ada = store.create_user(&ada(t0)).await.unwrap();
    let mut last = [0; 32];
    last[31] = 1;
    let digests = [
        TokenDigest::from_bytes([0; 32]),
        TokenDigest::from_bytes(last),
        TokenDigest::from_bytes([0xff; 32]),
    ];
    let mut ids = Vec::new();
    for (i, d) in digests.iter().enumerate() {
        let new = NewApiToken::new(*d, ada.id, format!("t{i}"), t0);
        ids.push(store.create_api_token(&new).await.unwrap().id);
    }
    for (d, id) in digests.iter().zip(ids) {
        let rebuilt = TokenDigest::from_slice(d.as_bytes()).unwrap();
        let found = store.api_token(&rebuilt).await.unwrap();
        assert_eq!(found.map(|(t, _)| t.id), Some(id), "{d:?}");
    }
}

pub async fn touch_moves_last_seen_and_last_used_forward_only(store: Store) {
    let t0 = time::now();
    let ada = store.create_user(&ada(t0)).await.unwrap();
    let token = NewApiToken::new(digest("sup_t"), ada.id, "t", t0);
    let token = store.create_api_token(&token).await.unwrap();
    assert!(store.touch_user(ada.id, after(t0, 10)).await.unwrap());
    assert!(store.touch_user(ada.id, after(t0, 5)).await.unwrap());
    let seen = store.user(ada.id).await.unwrap().unwrap().last_seen_at;
    assert_eq!(seen, Some(after(t0, 10)), "never back");
    assert!(
        store
            .touch_api_token(token.id, after(t0, 20))
            .await
            .unwrap()
    );
    assert!(
        store
            .touch_api_token(token.id, after(t0, 15))
            .await
            .unwrap()
    );
    let used = store.api_tokens(ada.id).await.unwrap()[0].last_used_at;
    assert_eq!(used, Some(after(t0, 20)), "never back");
    assert!(!store.touch_user(UserId(ada.id.0 + 1), t0).await.unwrap());
    store.revoke_api_token(token.id).await.unwrap();
    assert!(!store.touch_api_token(token.id, t0).await.unwrap());
}

pub async fn the_account_directory_names_everyone_and_assigns_the_enabled(store: Store) {
    let t0 = time::now();
    let ada = store.create_user(&ada(t0)).await.unwrap();
    let sam = store
        .create_user(&NewUser::new("Sam Support", Role::Support, t0))
        .await
        .unwrap();
    store.update_user(sam.id, &disable()).await.unwrap();
    let directory = AccountDirectory::new(store.clone());
    let mut named = directory.users().await.unwrap();
    named.sort_by_key(|a| a.id);
    assert_eq!(named, vec![ada.actor(), sam.actor()]);
    assert_eq!(directory.actor(ada.id).await.unwrap(), Some(ada.actor()));
    assert_eq!(
        directory.actor(sam.id).await.unwrap(),
        None,
        "left: not assignable"
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_case_is_in_the_macro() {
        let source = include_str!("accounts.rs");
        let (head, body) = source
            .split_once("macro_rules! __user_conformance_cases")
            .expect("the case expander is in this file");
        let (_, listed) = head
            .split_once("macro_rules! user_conformance_suite")
            .expect("the macro comes first");
        let (cases, _) = body.split_once("#[cfg(test)]").expect("then the cases");
        let defined: Vec<&str> = cases
            .lines()
            .filter_map(|l| l.strip_prefix("pub async fn "))
            .filter_map(|l| l.split(['<', '(']).next())
            .collect();
        assert!(defined.len() >= 16, "{defined:?}");
        for case in defined {
            assert!(
                listed.contains(&format!("{case},")),
                "{case} is not listed in user_conformance_suite!"
            );
        }
    }
}
