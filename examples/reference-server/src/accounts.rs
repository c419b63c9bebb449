//! What the `users` CLI and the admins' users API both do to accounts, checked the same way:
//! create a user, change one, set a password, disable (which ends their sessions), make an
//! API token. Bad input is [`Error::Invalid`] on the field, in Laravel's words.

use std::sync::Arc;

use support_core::account::{
    Email, NewApiToken, NewUser, StoredApiToken, StoredUser, UserUpdate, check_name,
};
use support_core::audit::Action;
use support_core::{
    ApiTokenId, Broadcaster, Dispatch, Error, FieldErrors, Result, Role, SessionStore, TokenDigest,
    UserId, UserStore, time,
};

use crate::audit::{AuditTrail, By};
use crate::auth::{Passwords, new_api_token};

/// The longest API token name accepted, in characters.
const MAX_TOKEN_NAME_LEN: usize = 255;

/// The stores and the hasher the operations need.
#[derive(Clone)]
pub(crate) struct Accounts {
    pub(crate) users: Arc<dyn UserStore>,
    pub(crate) sessions: Arc<dyn SessionStore>,
    pub(crate) passwords: Passwords,
    /// Where a process with no websockets of its own (the CLI on PostgreSQL) publishes that a
    /// disabled user's connections must close, for every node to hear; `None` for a server,
    /// which closes them through its service.
    pub(crate) notices: Option<Arc<dyn Broadcaster>>,
    /// Where each change is recorded.
    pub(crate) audit: AuditTrail,
}

impl std::fmt::Debug for Accounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accounts").finish_non_exhaustive()
    }
}

/// A user to create, as typed.
#[derive(Debug, Default)]
pub(crate) struct NewAccount {
    pub(crate) name: String,
    pub(crate) email: String,
    pub(crate) role: String,
    pub(crate) password: Option<String>,
}

/// A change to a user, as typed: each `Some` field is set.
#[derive(Debug, Default)]
pub(crate) struct AccountChange {
    pub(crate) name: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) role: Option<String>,
    pub(crate) disabled: Option<bool>,
}

/// A role as typed: one of the four, else a validation error on `role`.
pub(crate) fn parse_role(role: &str) -> std::result::Result<Role, String> {
    role.trim()
        .parse()
        .map_err(|_| "The selected role is invalid.".to_owned())
}

/// Adds a validation error's fields to `errors` (other errors cannot come from a check).
fn absorb(errors: &mut FieldErrors, e: Error) {
    if let Error::Invalid(fields) = e {
        for (field, messages) in fields.fields() {
            for m in messages {
                errors.add(field, m.clone());
            }
        }
    }
}

/// An email another user holds: Laravel's `unique` message, on `email`.
fn taken(e: Error) -> Error {
    match e {
        Error::Conflict(_) => Error::invalid("email", "The email has already been taken."),
        e => e,
    }
}

impl Accounts {
    /// Creates a user: name, email and role checked, the password (when given) checked and
    /// hashed.
    pub(crate) async fn create(&self, by: By<'_>, new: &NewAccount) -> Result<StoredUser> {
        let mut errors = FieldErrors::default();
        let name = check_name(&new.name)
            .map_err(|e| absorb(&mut errors, e))
            .ok();
        let email = Email::parse(&new.email)
            .map_err(|e| errors.add("email", e))
            .ok();
        let role = parse_role(&new.role)
            .map_err(|e| errors.add("role", e))
            .ok();
        if let Some(password) = &new.password
            && let Err(e) = crate::auth::check_password(password)
        {
            absorb(&mut errors, e);
        }
        let (Some(name), Some(email), Some(role)) = (name, email, role) else {
            return Err(Error::Invalid(errors));
        };
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let mut user = NewUser::new(name, role, time::now()).email(email);
        if let Some(password) = &new.password {
            user = user.password(self.passwords.hash(password).await?);
        }
        let user = self.users.create_user(&user).await.map_err(taken)?;
        let created = Action::UserCreated {
            user_id: user.id,
            role: user.role,
        };
        self.audit.record(by, created).await;
        Ok(user)
    }

    /// Changes a user; [`Error::NotFound`] for an unknown id. Disabling ends their sessions.
    pub(crate) async fn change(
        &self,
        by: By<'_>,
        id: UserId,
        change: &AccountChange,
    ) -> Result<StoredUser> {
        let mut errors = FieldErrors::default();
        let mut update = UserUpdate {
            disabled: change.disabled,
            ..UserUpdate::default()
        };
        if let Some(name) = &change.name {
            update.name = check_name(name).map_err(|e| absorb(&mut errors, e)).ok();
        }
        if let Some(email) = &change.email {
            update.email = Email::parse(email)
                .map_err(|e| errors.add("email", e))
                .ok()
                .map(Some);
        }
        if let Some(role) = &change.role {
            update.role = parse_role(role).map_err(|e| errors.add("role", e)).ok();
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let before = self.users.user(id).await?.ok_or(Error::NotFound)?;
        let user = self
            .users
            .update_user(id, &update)
            .await
            .map_err(taken)?
            .ok_or(Error::NotFound)?;
        let fields: Vec<String> = [
            ("name", before.name != user.name),
            ("email", before.email != user.email),
            ("role", before.role != user.role),
            ("disabled", before.disabled != user.disabled),
        ]
        .into_iter()
        .filter(|(_, changed)| *changed)
        .map(|(f, _)| f.to_owned())
        .collect();
        if !fields.is_empty() {
            let updated = Action::UserUpdated {
                user_id: id,
                fields,
            };
            self.audit.record(by, updated).await;
        }
        if change.disabled == Some(true) {
            self.sessions.end_user_sessions(id).await?;
            if let Some(notices) = &self.notices {
                notices.publish(Dispatch::DisconnectUser(id)).await?;
            }
        }
        Ok(user)
    }

    /// Sets a user's password, checked and hashed; [`Error::NotFound`] for an unknown id.
    pub(crate) async fn set_password(
        &self,
        by: By<'_>,
        id: UserId,
        password: &str,
    ) -> Result<StoredUser> {
        let hash = self.passwords.hash(password).await?;
        let update = UserUpdate {
            password: Some(Some(hash)),
            ..UserUpdate::default()
        };
        let user = self
            .users
            .update_user(id, &update)
            .await?
            .ok_or(Error::NotFound)?;
        let updated = Action::UserUpdated {
            user_id: id,
            fields: vec!["password".to_owned()],
        };
        self.audit.record(by, updated).await;
        Ok(user)
    }

    /// A new API token for the user: the token (shown once, never stored) and its row.
    pub(crate) async fn create_token(
        &self,
        by: By<'_>,
        id: UserId,
        name: &str,
    ) -> Result<(String, StoredApiToken)> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::invalid("name", "The name field is required."));
        }
        if name.chars().count() > MAX_TOKEN_NAME_LEN {
            return Err(Error::invalid(
                "name",
                "The name field must not be greater than 255 characters.",
            ));
        }
        if self.users.user(id).await?.is_none() {
            return Err(Error::NotFound);
        }
        let token = new_api_token();
        let digest = TokenDigest::of_token(token.as_bytes());
        let stored = self
            .users
            .create_api_token(&NewApiToken::new(digest, id, name, time::now()))
            .await?;
        let created = Action::TokenCreated {
            user_id: id,
            token_id: stored.id.get(),
            name: stored.name.clone(),
        };
        self.audit.record(by, created).await;
        Ok((token, stored))
    }

    /// A user's tokens; [`Error::NotFound`] for an unknown id.
    pub(crate) async fn tokens(&self, id: UserId) -> Result<Vec<StoredApiToken>> {
        if self.users.user(id).await?.is_none() {
            return Err(Error::NotFound);
        }
        self.users.api_tokens(id).await
    }

    /// Revokes a token; [`Error::NotFound`] if there is none with this id.
    pub(crate) async fn revoke_token(&self, by: By<'_>, id: ApiTokenId) -> Result<()> {
        if self.users.revoke_api_token(id).await? {
            let revoked = Action::TokenRevoked { token_id: id.get() };
            self.audit.record(by, revoked).await;
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }
}
