//! Imports into the store at start-up: the users file (`--users FILE`) and the demo users.
//!
//! Users live in the store ([`UserStore`]); these are two ways to put some there.
//!
//! - **The users file** upserts each `[[user]]` (its id kept; name and role set; `email` and
//!   `password_hash`, a PHC string, when given) and stores its token as an API token named
//!   [`USERS_FILE_TOKEN`] (its digest; a token already stored is left as it is). A token
//!   revoked with `reference-server users token revoke` therefore comes back at the next
//!   start for as long as it stays in the file: remove it from the file to revoke it for
//!   good.
//! - **The demo users** (emails at `demo.invalid`: the `.invalid` top-level domain marks them)
//!   are created when missing and get fresh tokens named [`DEMO_TOKEN`] at each start, which
//!   are printed and listed on the sign-in page; the demo tokens of the previous start are
//!   revoked.

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;
use support_core::account::{Email, NewApiToken, NewUser, PasswordHash, StoredUser, UserUpdate};
use support_core::{Error, Role, TokenDigest, UserId, UserStore, time};

/// The name of the API tokens the users file brings.
pub(crate) const USERS_FILE_TOKEN: &str = "users file";

/// The name of the demo users' API tokens.
pub(crate) const DEMO_TOKEN: &str = "demo";

/// The domain of the demo users' emails.
pub(crate) const DEMO_DOMAIN: &str = "@demo.invalid";

/// One `[[user]]` of the users file, or a demo user with the token made for this start.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserEntry {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) role: String,
    pub(crate) token: String,
    #[serde(default)]
    pub(crate) email: Option<String>,
    #[serde(default)]
    pub(crate) password_hash: Option<String>,
}

#[derive(Debug, Deserialize)]
struct UsersFile {
    #[serde(default)]
    user: Vec<UserEntry>,
}

/// A users file's entry, checked.
struct Checked {
    user: NewUser,
    digest: TokenDigest,
}

/// Reads and checks a users file: its entries, not yet imported.
pub(crate) fn load(path: &Path) -> Result<Vec<UserEntry>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let file: UsersFile = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if file.user.is_empty() {
        return Err("the users file defines no [[user]]".into());
    }
    Ok(file.user)
}

fn check(entries: &[UserEntry]) -> Result<Vec<Checked>, String> {
    let mut ids = HashSet::new();
    let mut digests = HashSet::new();
    let now = time::now();
    entries
        .iter()
        .map(|u| {
            let role: Role = u.role.parse().map_err(|_| {
                format!(
                    "user {}: unknown role {:?} (employee, support, admin, hr)",
                    u.id, u.role
                )
            })?;
            if u.token.len() < 16 {
                return Err(format!(
                    "user {}: tokens must be at least 16 characters",
                    u.id
                ));
            }
            if !ids.insert(u.id) {
                return Err(format!("user id {} appears twice", u.id));
            }
            let digest = TokenDigest::of_token(u.token.as_bytes());
            if !digests.insert(digest) {
                return Err(format!("user {}: token shared with another user", u.id));
            }
            let name = support_core::account::check_name(&u.name)
                .map_err(|_| format!("user {}: a name of 1 to 255 characters", u.id))?;
            let mut user = NewUser::new(name, role, now).id(UserId(u.id));
            if let Some(email) = &u.email {
                let email = Email::parse(email).map_err(|e| format!("user {}: {e}", u.id))?;
                user = user.email(email);
            }
            if let Some(hash) = &u.password_hash {
                super::password::check_phc(hash).map_err(|e| format!("user {}: {e}", u.id))?;
                user = user.password(PasswordHash::new(hash.clone()));
            }
            Ok(Checked { user, digest })
        })
        .collect()
}

/// What an import failed on, in a line.
fn store_error(what: &str, e: Error) -> String {
    match e {
        Error::Conflict(why) => format!("{what}: {why}"),
        e => format!("{what}: the store: {e}"),
    }
}

/// Upserts the users file's entries into the store and stores their tokens: see the
/// [module docs](self).
pub(crate) async fn import(store: &dyn UserStore, entries: &[UserEntry]) -> Result<(), String> {
    for Checked { user, digest } in check(entries)? {
        let id = user.id.unwrap_or(UserId(0));
        let what = format!("users file, user {id}");
        let exists = store
            .user(id)
            .await
            .map_err(|e| store_error(&what, e))?
            .is_some();
        let created = !exists
            && match store.create_user(&user).await {
                Ok(_) => true,
                // Another node importing the same file at the same time made it first.
                Err(Error::Conflict(_))
                    if store
                        .user(id)
                        .await
                        .map_err(|e| store_error(&what, e))?
                        .is_some() =>
                {
                    false
                }
                Err(e) => return Err(store_error(&what, e)),
            };
        if !created {
            let change = UserUpdate {
                name: Some(user.name.clone()),
                role: Some(user.role),
                email: user.email.clone().map(Some),
                password: user.password.clone().map(Some),
                ..UserUpdate::default()
            };
            store
                .update_user(id, &change)
                .await
                .map_err(|e| store_error(&what, e))?;
        }
        if let Some((_, holder)) = store
            .api_token(&digest)
            .await
            .map_err(|e| store_error(&what, e))?
        {
            if holder.id != id {
                return Err(format!(
                    "{what}: token already belongs to user {}",
                    holder.id
                ));
            }
            continue;
        }
        match store
            .create_api_token(&NewApiToken::new(digest, id, USERS_FILE_TOKEN, time::now()))
            .await
        {
            // Stored already (a disabled user's token, which `api_token` does not answer).
            Ok(_) | Err(Error::Conflict(_)) => {}
            Err(e) => return Err(store_error(&what, e)),
        }
    }
    Ok(())
}

/// The demo users: id, name, role and the local part of their email.
const DEMO_USERS: [(i64, &str, Role, &str); 5] = [
    (101, "Alice Employee", Role::Employee, "alice"),
    (102, "Bob Employee", Role::Employee, "bob"),
    (201, "Sam Support", Role::Support, "sam"),
    (202, "Ada Admin", Role::Admin, "ada"),
    (203, "Hana HR", Role::Hr, "hana"),
];

/// Whether this is one of the demo users (their emails end in [`DEMO_DOMAIN`]).
pub(crate) fn is_demo(user: &StoredUser) -> bool {
    user.email
        .as_ref()
        .is_some_and(|e| e.as_str().ends_with(DEMO_DOMAIN))
}

/// Seeds the demo users (created when missing) with a fresh API
/// token each, revoking the demo tokens of earlier starts: the users and their new tokens.
pub(crate) async fn seed_demo(store: &dyn UserStore) -> Result<Vec<UserEntry>, String> {
    let failed = |e: Error| store_error("demo users", e);
    let mut entries = Vec::new();
    for (id, name, role, local) in DEMO_USERS {
        let email = Email::parse(&format!("{local}{DEMO_DOMAIN}"))
            .map_err(|e| format!("demo users: {e}"))?;
        let user = match store.user_by_email(&email).await.map_err(failed)? {
            Some(user) => user,
            None => {
                let mut new = NewUser::new(name, role, time::now()).email(email);
                // Their usual id, unless an account of its own holds it.
                if store.user(UserId(id)).await.map_err(failed)?.is_none() {
                    new = new.id(UserId(id));
                }
                store.create_user(&new).await.map_err(failed)?
            }
        };
        for old in store.api_tokens(user.id).await.map_err(failed)? {
            if old.name == DEMO_TOKEN {
                store.revoke_api_token(old.id).await.map_err(failed)?;
            }
        }
        let token = new_api_token();
        let digest = TokenDigest::of_token(token.as_bytes());
        store
            .create_api_token(&NewApiToken::new(digest, user.id, DEMO_TOKEN, time::now()))
            .await
            .map_err(failed)?;
        entries.push(UserEntry {
            id: user.id.0,
            name: user.name,
            role: user.role.to_string(),
            token,
            email: user.email.map(String::from),
            password_hash: None,
        });
    }
    Ok(entries)
}

/// A new API token: `sup_` and 32 random bytes in hex. The prefix says what it is (to a
/// person, and to secret scanners).
pub(crate) fn new_api_token() -> String {
    format!("sup_{}", random_token(32))
}

/// `bytes` bytes from the operating system's CSPRNG, hex-encoded: tokens and session nonces
/// must not be predictable.
pub(crate) fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // The OS generator failing means the machine cannot run anything securely.
    getrandom::fill(&mut buf).expect("the operating system's random generator works");
    hex::encode(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use support_core::MemoryStore;

    fn entry(id: i64, role: &str, token: &str) -> UserEntry {
        UserEntry {
            id,
            name: format!("User {id}"),
            role: role.into(),
            token: token.into(),
            email: None,
            password_hash: None,
        }
    }

    #[tokio::test]
    async fn the_users_file_is_upserted_with_its_ids_and_tokens() {
        let store = MemoryStore::new();
        let mut entries = vec![
            entry(7, "admin", "seven-token-0123456789"),
            entry(8, "employee", "eight-token-0123456789"),
        ];
        entries[0].email = Some("Seven@Example.com".into());
        import(&store, &entries).await.unwrap();
        let seven = store.user(UserId(7)).await.unwrap().unwrap();
        assert_eq!(seven.role, Role::Admin);
        assert_eq!(seven.email.unwrap().as_str(), "seven@example.com");
        let digest = TokenDigest::of_token(b"eight-token-0123456789");
        let (token, user) = store.api_token(&digest).await.unwrap().unwrap();
        assert_eq!((user.id, &*token.name), (UserId(8), USERS_FILE_TOKEN));

        // Again, with a new name: updated, the token not stored twice.
        entries[1].name = "Eight Renamed".into();
        import(&store, &entries).await.unwrap();
        assert_eq!(
            store.user(UserId(8)).await.unwrap().unwrap().name,
            "Eight Renamed"
        );
        assert_eq!(store.api_tokens(UserId(8)).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_bad_users_file_is_refused_with_a_reason() {
        let store = MemoryStore::new();
        for (entries, says) in [
            (
                vec![entry(1, "boss", "token-0123456789abc")],
                "unknown role",
            ),
            (vec![entry(1, "admin", "short")], "at least 16"),
            (
                vec![
                    entry(1, "admin", "token-0123456789abc"),
                    entry(1, "hr", "token-0123456789abd"),
                ],
                "appears twice",
            ),
            (
                vec![
                    entry(1, "admin", "token-0123456789abc"),
                    entry(2, "hr", "token-0123456789abc"),
                ],
                "shared",
            ),
        ] {
            let e = import(&store, &entries).await.unwrap_err();
            assert!(e.contains(says), "{e}");
        }
    }

    #[tokio::test]
    async fn demo_tokens_are_new_at_each_start_and_the_old_ones_revoked() {
        let store = MemoryStore::new();
        let first = seed_demo(&store).await.unwrap();
        assert_eq!(first.len(), 5);
        assert!(
            first
                .iter()
                .all(|u| u.token.starts_with("sup_") && u.token.len() == 68)
        );
        let second = seed_demo(&store).await.unwrap();
        assert_eq!(store.users().await.unwrap().len(), 5);
        assert!(store.users().await.unwrap().iter().all(is_demo));
        let old = TokenDigest::of_token(first[0].token.as_bytes());
        let new = TokenDigest::of_token(second[0].token.as_bytes());
        assert!(store.api_token(&old).await.unwrap().is_none());
        assert_eq!(
            store.api_token(&new).await.unwrap().map(|(_, u)| u.id),
            Some(UserId(101))
        );
    }
}
