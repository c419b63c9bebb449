//! Accounts kept by a server of its own: the [`UserStore`] trait, users and their API tokens,
//! and [`AccountDirectory`], the [`Directory`] that reads them.
//!
//! Like [`SessionStore`](crate::SessionStore), this is not part of
//! [`SupportStore`](crate::SupportStore) and the support chat never calls it: an application
//! that already has users (the usual embedder) keeps them and implements [`Directory`] over its
//! own table. A server that has no other home for its users (the reference server) keeps them
//! here, in the same database as its tickets, so that names and roles come from one place.
//!
//! The store holds what it is given and judges nothing but uniqueness: passwords arrive hashed
//! ([`PasswordHash`], a PHC string the server made with argon2id), API tokens as their
//! [`TokenDigest`]. A store never sees a password or a token.
//!
//! ```
//! use support_core::account::*;
//! use support_core::{MemoryStore, Role, TokenDigest, time};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let store = MemoryStore::new();
//! let now = time::now();
//! let email = Email::parse("Ada@Example.com").unwrap();
//! let ada = store
//!     .create_user(&NewUser::new("Ada Admin", Role::Admin, now).email(email.clone()))
//!     .await?;
//! // Emails are unique whatever their case.
//! assert_eq!(email.as_str(), "ada@example.com");
//! assert_eq!(store.user_by_email(&email).await?.map(|u| u.id), Some(ada.id));
//!
//! // A token is shown once to its owner; the store keeps its digest.
//! let digest = TokenDigest::of_token(b"sup_a-random-token-of-32-bytes-or-more");
//! let token = store.create_api_token(&NewApiToken::new(digest, ada.id, "deploy bot", now)).await?;
//! assert_eq!(store.api_token(&digest).await?.map(|(t, u)| (t.id, u.id)), Some((token.id, ada.id)));
//!
//! // A disabled user's tokens prove nobody.
//! store.update_user(ada.id, &UserUpdate { disabled: Some(true), ..UserUpdate::default() }).await?;
//! assert_eq!(store.api_token(&digest).await?, None);
//! # Ok::<(), support_core::Error>(()) }).unwrap();
//! ```

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::actor::{Actor, Directory, Role};
use crate::error::{Error, Result};
use crate::id::{ApiTokenId, UserId};
use crate::time::Timestamp;
pub use crate::token::TokenDigest;

/// The longest email address accepted (RFC 5321's path limit).
pub const MAX_EMAIL_LEN: usize = 254;

/// The longest user name accepted, in characters.
pub const MAX_NAME_LEN: usize = 255;

/// An email address as accounts hold it: trimmed and lower-cased, so that uniqueness and
/// sign-in ignore case (`Ada@Example.com` and `ada@example.com` are one account).
///
/// The check is what a sign-in needs, not RFC 5322: one `@` with something on either side, a
/// dot in the domain, no whitespace or control characters, at most [`MAX_EMAIL_LEN`] bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Checks and normalizes an address; `Err` says what is wrong with it, in a sentence.
    pub fn parse(text: &str) -> std::result::Result<Self, &'static str> {
        let text = text.trim();
        if text.is_empty() {
            return Err("The email field is required.");
        }
        if text.len() > MAX_EMAIL_LEN {
            return Err("The email field must not be greater than 254 characters.");
        }
        let valid = match text.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !text.chars().any(|c| c.is_whitespace() || c.is_control())
            }
            None => false,
        };
        if !valid {
            return Err("The email field must be a valid email address.");
        }
        Ok(Email(text.to_lowercase()))
    }

    /// The address, lower-cased.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An address read back from storage, where only parsed addresses are written.
    pub fn from_stored(text: String) -> Self {
        Email(text)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = &'static str;
    fn try_from(text: String) -> std::result::Result<Self, Self::Error> {
        Email::parse(&text)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> String {
        email.0
    }
}

/// A password as stored: the PHC string of its hash (`$argon2id$v=19$…`), never the password.
///
/// Its `Debug` and `Display` show nothing of it, so that a logged user row leaks no hash.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a PHC string (made by the server's hasher, or read back from storage).
    pub fn new(phc: impl Into<String>) -> Self {
        PasswordHash(phc.into())
    }

    /// The PHC string, for the store to keep and the hasher to verify against.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(…)")
    }
}

/// A user to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// The id to give them (an import that keeps another system's ids); `None` lets the store
    /// assign the next one.
    pub id: Option<UserId>,
    /// The name shown beside their messages.
    pub name: String,
    /// Their sign-in address, unique across users.
    pub email: Option<Email>,
    /// What they may do.
    pub role: Role,
    /// Their password's hash; `None` for a user who signs in otherwise (a token, SSO).
    pub password: Option<PasswordHash>,
    /// Who they are in the host application that signs them in (a JWT's `sub`), unique.
    pub external_id: Option<String>,
    /// When they were created.
    pub created_at: Timestamp,
}

impl NewUser {
    /// A user with this name and role, no email, password or external id, id assigned by the
    /// store.
    pub fn new(name: impl Into<String>, role: Role, created_at: Timestamp) -> Self {
        NewUser {
            id: None,
            name: name.into(),
            email: None,
            role,
            password: None,
            external_id: None,
            created_at,
        }
    }

    /// With this id.
    pub fn id(mut self, id: UserId) -> Self {
        self.id = Some(id);
        self
    }

    /// With this email.
    pub fn email(mut self, email: Email) -> Self {
        self.email = Some(email);
        self
    }

    /// With this password hash.
    pub fn password(mut self, hash: PasswordHash) -> Self {
        self.password = Some(hash);
        self
    }

    /// With this external id.
    pub fn external_id(mut self, id: impl Into<String>) -> Self {
        self.external_id = Some(id.into());
        self
    }

    /// The row as a store answers it right after creating it with `id`.
    pub fn stored(&self, id: UserId) -> StoredUser {
        StoredUser {
            id,
            name: self.name.clone(),
            email: self.email.clone(),
            role: self.role,
            disabled: false,
            password: self.password.clone(),
            external_id: self.external_id.clone(),
            created_at: self.created_at,
            last_seen_at: None,
        }
    }
}

/// A user as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUser {
    /// Their id.
    pub id: UserId,
    /// Their name.
    pub name: String,
    /// Their sign-in address.
    pub email: Option<Email>,
    /// Their role.
    pub role: Role,
    /// A disabled user signs in by no means, and their API tokens prove nobody.
    pub disabled: bool,
    /// Their password's hash.
    pub password: Option<PasswordHash>,
    /// Their id in the host application.
    pub external_id: Option<String>,
    /// When they were created.
    pub created_at: Timestamp,
    /// The latest time they were seen ([`UserStore::touch_user`]); `None` before the first.
    pub last_seen_at: Option<Timestamp>,
}

impl StoredUser {
    /// The user as the service sees them.
    pub fn actor(&self) -> Actor {
        Actor::new(self.id, self.name.clone(), self.role)
    }
}

/// A change to a user: each `Some` field is set, each `None` left as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserUpdate {
    /// A new name.
    pub name: Option<String>,
    /// A new email (`Some(None)` removes it).
    pub email: Option<Option<Email>>,
    /// A new role.
    pub role: Option<Role>,
    /// Disable (`true`) or enable again (`false`).
    pub disabled: Option<bool>,
    /// A new password hash (`Some(None)` removes the password).
    pub password: Option<Option<PasswordHash>>,
}

impl UserUpdate {
    /// The user after this change.
    pub fn apply(&self, user: &mut StoredUser) {
        if let Some(name) = &self.name {
            user.name.clone_from(name);
        }
        if let Some(email) = &self.email {
            user.email.clone_from(email);
        }
        if let Some(role) = self.role {
            user.role = role;
        }
        if let Some(disabled) = self.disabled {
            user.disabled = disabled;
        }
        if let Some(password) = &self.password {
            user.password.clone_from(password);
        }
    }
}

/// A user as the host application describes them when it signs them in (a JWT's claims).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalUser {
    /// Their id in the host application (`sub`).
    pub external_id: String,
    /// Their name.
    pub name: String,
    /// Their email, if the host application gives one.
    pub email: Option<Email>,
    /// Their role.
    pub role: Role,
}

/// An API token to create: its digest (the token itself is shown once and never stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiToken {
    /// The digest of the token.
    pub digest: TokenDigest,
    /// Whose token it is.
    pub user: UserId,
    /// What it is for, as its owner named it.
    pub name: String,
    /// When it was made.
    pub created_at: Timestamp,
}

impl NewApiToken {
    /// A token of `user` named `name`.
    pub fn new(
        digest: TokenDigest,
        user: UserId,
        name: impl Into<String>,
        created_at: Timestamp,
    ) -> Self {
        NewApiToken {
            digest,
            user,
            name: name.into(),
            created_at,
        }
    }

    /// The row as a store answers it right after creating it with `id`.
    pub fn stored(&self, id: ApiTokenId) -> StoredApiToken {
        StoredApiToken {
            id,
            user: self.user,
            name: self.name.clone(),
            created_at: self.created_at,
            last_used_at: None,
        }
    }
}

/// An API token as stored and listed (its digest is never answered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredApiToken {
    /// Its id, to list and revoke it by.
    pub id: ApiTokenId,
    /// Whose it is.
    pub user: UserId,
    /// What it is for.
    pub name: String,
    /// When it was made.
    pub created_at: Timestamp,
    /// The latest time it was used ([`UserStore::touch_api_token`]).
    pub last_used_at: Option<Timestamp>,
}

/// Where a server keeps its users and their API tokens: see the [module docs](self).
///
/// # Contract
///
/// - **Users.** [`create_user`](Self::create_user) stores the row of [`NewUser::stored`]
///   (enabled, never seen) under the id asked for, or the next one the store assigns (greater
///   than every id it holds), and answers it. An id, an email or an external id that another
///   user holds is [`Error::Conflict`], and nothing is stored. Emails arrive normalized
///   ([`Email`]), so comparing them as stored is comparing them without case.
/// - [`user`](Self::user), [`user_by_email`](Self::user_by_email) and
///   [`users`](Self::users) (ordered by id) answer users as stored, disabled ones included:
///   their names still label old tickets. Judging `disabled` is the caller's.
/// - [`update_user`](Self::update_user) applies a [`UserUpdate`] as
///   [`UserUpdate::apply`] does and answers the user after it, or `None` for an unknown id;
///   an email another user holds is [`Error::Conflict`], and nothing changes.
/// - [`sync_external_user`](Self::sync_external_user) is the just-in-time sign-in of a host
///   application's user, atomically: the user with this external id gets the name, role and
///   email given (email only when given); otherwise the user with this email and no external
///   id takes the external id (an account made by hand, now signed in by the host app) and is
///   updated so; otherwise a new user is created at `now`. `disabled` is never changed: a
///   disabled user stays disabled, and the caller refuses them. An email that belongs to a
///   user with another external id is [`Error::Conflict`], and nothing changes.
/// - [`touch_user`](Self::touch_user) and [`touch_api_token`](Self::touch_api_token) record
///   use: the last-seen (last-used) time becomes the later of its value and `now`; they answer
///   whether the row exists.
/// - **API tokens.** [`create_api_token`](Self::create_api_token) stores the row of
///   [`NewApiToken::stored`] under a new id; a digest that is already stored is
///   [`Error::Conflict`], an unknown user [`Error::NotFound`].
///   [`api_token`](Self::api_token) answers the token with this digest and its user, and
///   `None` for an unknown or revoked digest **or a disabled user's token**: what it answers
///   proves who is calling. [`api_tokens`](Self::api_tokens) lists one user's tokens by id;
///   [`revoke_api_token`](Self::revoke_api_token) removes one (true if there was one), after
///   which `api_token` answers `None` for its digest in every process.
/// - Writes are durable once they return; a backend that cannot answer now is
///   [`Error::Unavailable`].
///
/// `support_core::user_conformance_suite!` (feature `testing`) checks all of this.
#[async_trait]
pub trait UserStore: Send + Sync + 'static {
    /// Stores a new user.
    async fn create_user(&self, new: &NewUser) -> Result<StoredUser>;

    /// The user with this id.
    async fn user(&self, id: UserId) -> Result<Option<StoredUser>>;

    /// The user with this email.
    async fn user_by_email(&self, email: &Email) -> Result<Option<StoredUser>>;

    /// Every user, by id.
    async fn users(&self) -> Result<Vec<StoredUser>>;

    /// Changes a user; `None` for an unknown id.
    async fn update_user(&self, id: UserId, change: &UserUpdate) -> Result<Option<StoredUser>>;

    /// Creates or updates the host application's user, as the contract says.
    async fn sync_external_user(&self, user: &ExternalUser, now: Timestamp) -> Result<StoredUser>;

    /// Records that the user was seen at `now`.
    async fn touch_user(&self, id: UserId, now: Timestamp) -> Result<bool>;

    /// Stores a new API token.
    async fn create_api_token(&self, new: &NewApiToken) -> Result<StoredApiToken>;

    /// The live token with this digest and its enabled user.
    async fn api_token(&self, digest: &TokenDigest)
    -> Result<Option<(StoredApiToken, StoredUser)>>;

    /// One user's tokens, by id.
    async fn api_tokens(&self, user: UserId) -> Result<Vec<StoredApiToken>>;

    /// Revokes a token; false if there was none.
    async fn revoke_api_token(&self, id: ApiTokenId) -> Result<bool>;

    /// Records that the token was used at `now`.
    async fn touch_api_token(&self, id: ApiTokenId, now: Timestamp) -> Result<bool>;
}

#[async_trait]
impl<S: UserStore + ?Sized> UserStore for Arc<S> {
    async fn create_user(&self, new: &NewUser) -> Result<StoredUser> {
        (**self).create_user(new).await
    }
    async fn user(&self, id: UserId) -> Result<Option<StoredUser>> {
        (**self).user(id).await
    }
    async fn user_by_email(&self, email: &Email) -> Result<Option<StoredUser>> {
        (**self).user_by_email(email).await
    }
    async fn users(&self) -> Result<Vec<StoredUser>> {
        (**self).users().await
    }
    async fn update_user(&self, id: UserId, change: &UserUpdate) -> Result<Option<StoredUser>> {
        (**self).update_user(id, change).await
    }
    async fn sync_external_user(&self, user: &ExternalUser, now: Timestamp) -> Result<StoredUser> {
        (**self).sync_external_user(user, now).await
    }
    async fn touch_user(&self, id: UserId, now: Timestamp) -> Result<bool> {
        (**self).touch_user(id, now).await
    }
    async fn create_api_token(&self, new: &NewApiToken) -> Result<StoredApiToken> {
        (**self).create_api_token(new).await
    }
    async fn api_token(
        &self,
        digest: &TokenDigest,
    ) -> Result<Option<(StoredApiToken, StoredUser)>> {
        (**self).api_token(digest).await
    }
    async fn api_tokens(&self, user: UserId) -> Result<Vec<StoredApiToken>> {
        (**self).api_tokens(user).await
    }
    async fn revoke_api_token(&self, id: ApiTokenId) -> Result<bool> {
        (**self).revoke_api_token(id).await
    }
    async fn touch_api_token(&self, id: ApiTokenId, now: Timestamp) -> Result<bool> {
        (**self).touch_api_token(id, now).await
    }
}

/// The [`Directory`] of a [`UserStore`]'s users: the service names and assigns the users the
/// store keeps, so names and roles come from one place. Disabled users are still listed by
/// [`Directory::users`] (their old tickets keep their names), but [`Directory::actor`]
/// answers `None` for them, so the service refuses to assign a ticket to someone who left.
#[derive(Clone)]
pub struct AccountDirectory {
    store: Arc<dyn UserStore>,
}

impl fmt::Debug for AccountDirectory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountDirectory").finish_non_exhaustive()
    }
}

impl AccountDirectory {
    /// The directory of this store's users.
    pub fn new(store: Arc<dyn UserStore>) -> Self {
        AccountDirectory { store }
    }
}

#[async_trait]
impl Directory for AccountDirectory {
    async fn actor(&self, id: UserId) -> Result<Option<Actor>> {
        Ok(self
            .store
            .user(id)
            .await?
            .filter(|u| !u.disabled)
            .map(|u| u.actor()))
    }

    async fn users(&self) -> Result<Vec<Actor>> {
        Ok(self
            .store
            .users()
            .await?
            .iter()
            .map(StoredUser::actor)
            .collect())
    }
}

/// A user's name as a server accepts it (the store takes what it is given): trimmed, not
/// blank, at most [`MAX_NAME_LEN`] characters; otherwise [`Error::Invalid`] on `name`.
pub fn check_name(name: &str) -> Result<String> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err(Error::invalid("name", "The name field is required."));
    }
    if trimmed.chars().count() > MAX_NAME_LEN {
        return Err(Error::invalid(
            "name",
            "The name field must not be greater than 255 characters.",
        ));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_lower_cased_and_checked() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").map(|e| e.0),
            Ok("ada@example.com".into())
        );
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "ada@example",
            "ada@@example.com",
            "a da@example.com",
            "ada@example.com.",
            "ada@.example.com",
            "ada\u{0}@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
    }

    #[test]
    fn a_password_hash_never_shows_in_debug_output() {
        let user = NewUser::new("Ada", Role::Admin, crate::time::now())
            .password(PasswordHash::new("$argon2id$v=19$secret"))
            .stored(UserId(1));
        assert!(!format!("{user:?}").contains("secret"));
    }

    #[test]
    fn an_update_sets_only_what_it_names() {
        let mut user = NewUser::new("Ada", Role::Admin, crate::time::now()).stored(UserId(1));
        let before = user.clone();
        UserUpdate::default().apply(&mut user);
        assert_eq!(user, before);
        UserUpdate {
            role: Some(Role::Support),
            disabled: Some(true),
            ..UserUpdate::default()
        }
        .apply(&mut user);
        assert_eq!(
            (user.role, user.disabled, &*user.name),
            (Role::Support, true, "Ada")
        );
    }
}
