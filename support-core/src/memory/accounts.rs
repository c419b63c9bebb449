//! [`UserStore`] for [`MemoryStore`]: users and API tokens in the same mutex as the rest.

use async_trait::async_trait;

use super::{MemoryStore, State};
use crate::account::*;
use crate::error::{Error, Result};
use crate::id::{ApiTokenId, UserId};
use crate::time::Timestamp;

impl State {
    /// The id of the user other than `except` who holds this email, if any.
    fn email_holder(&self, email: &Email, except: Option<UserId>) -> Option<UserId> {
        self.users
            .values()
            .find(|u| u.email.as_ref() == Some(email) && Some(u.id) != except)
            .map(|u| u.id)
    }
}

#[async_trait]
impl UserStore for MemoryStore {
    async fn create_user(&self, new: &NewUser) -> Result<StoredUser> {
        let mut state = self.lock();
        let id = new
            .id
            .unwrap_or_else(|| UserId(state.users.keys().next_back().map_or(1, |id| id.0 + 1)));
        if state.users.contains_key(&id) {
            return Err(Error::Conflict(format!("user {id} exists")));
        }
        if let Some(email) = &new.email
            && state.email_holder(email, None).is_some()
        {
            return Err(Error::Conflict("a user with this email exists".into()));
        }
        if let Some(external) = &new.external_id
            && state
                .users
                .values()
                .any(|u| u.external_id.as_ref() == Some(external))
        {
            return Err(Error::Conflict(
                "a user with this external id exists".into(),
            ));
        }
        let user = new.stored(id);
        state.users.insert(id, user.clone());
        Ok(user)
    }

    async fn user(&self, id: UserId) -> Result<Option<StoredUser>> {
        Ok(self.lock().users.get(&id).cloned())
    }

    async fn user_by_email(&self, email: &Email) -> Result<Option<StoredUser>> {
        let state = self.lock();
        Ok(state
            .email_holder(email, None)
            .and_then(|id| state.users.get(&id).cloned()))
    }

    async fn users(&self) -> Result<Vec<StoredUser>> {
        Ok(self.lock().users.values().cloned().collect())
    }

    async fn update_user(&self, id: UserId, change: &UserUpdate) -> Result<Option<StoredUser>> {
        let mut state = self.lock();
        if !state.users.contains_key(&id) {
            return Ok(None);
        }
        if let Some(Some(email)) = &change.email
            && state.email_holder(email, Some(id)).is_some()
        {
            return Err(Error::Conflict("a user with this email exists".into()));
        }
        let user = state
            .users
            .get_mut(&id)
            .unwrap_or_else(|| unreachable!("checked above, under the same lock"));
        change.apply(user);
        Ok(Some(user.clone()))
    }

    async fn sync_external_user(&self, user: &ExternalUser, now: Timestamp) -> Result<StoredUser> {
        let mut state = self.lock();
        let by_external = state
            .users
            .values()
            .find(|u| u.external_id.as_deref() == Some(&*user.external_id))
            .map(|u| u.id);
        let by_email = user
            .email
            .as_ref()
            .and_then(|e| state.email_holder(e, by_external));
        let target = match (by_external, by_email) {
            (Some(id), None) => Some(id),
            (Some(_), Some(_)) => {
                return Err(Error::Conflict("the email belongs to another user".into()));
            }
            (None, Some(id)) => {
                if state.users[&id].external_id.is_some() {
                    return Err(Error::Conflict("the email belongs to another user".into()));
                }
                Some(id)
            }
            (None, None) => None,
        };
        let Some(id) = target else {
            let next = UserId(state.users.keys().next_back().map_or(1, |id| id.0 + 1));
            let mut new = NewUser::new(user.name.clone(), user.role, now)
                .external_id(user.external_id.clone());
            new.email.clone_from(&user.email);
            let stored = new.stored(next);
            state.users.insert(next, stored.clone());
            return Ok(stored);
        };
        let stored = state
            .users
            .get_mut(&id)
            .unwrap_or_else(|| unreachable!("found above, under the same lock"));
        stored.external_id = Some(user.external_id.clone());
        stored.name.clone_from(&user.name);
        stored.role = user.role;
        if user.email.is_some() {
            stored.email.clone_from(&user.email);
        }
        Ok(stored.clone())
    }

    async fn touch_user(&self, id: UserId, now: Timestamp) -> Result<bool> {
        let mut state = self.lock();
        Ok(match state.users.get_mut(&id) {
            Some(u) => {
                u.last_seen_at = Some(u.last_seen_at.map_or(now, |t| t.max(now)));
                true
            }
            None => false,
        })
    }

    async fn create_api_token(&self, new: &NewApiToken) -> Result<StoredApiToken> {
        let mut state = self.lock();
        if !state.users.contains_key(&new.user) {
            return Err(Error::NotFound);
        }
        if state.tokens.values().any(|(d, _)| *d == new.digest) {
            return Err(Error::Conflict("a token with this digest exists".into()));
        }
        state.next_token += 1;
        let id = ApiTokenId(state.next_token);
        let token = new.stored(id);
        state.tokens.insert(id, (new.digest, token.clone()));
        Ok(token)
    }

    async fn api_token(
        &self,
        digest: &TokenDigest,
    ) -> Result<Option<(StoredApiToken, StoredUser)>> {
        let state = self.lock();
        Ok(state
            .tokens
            .values()
            .find(|(d, _)| d == digest)
            .and_then(|(_, t)| {
                let user = state.users.get(&t.user).filter(|u| !u.disabled)?;
                Some((t.clone(), user.clone()))
            }))
    }

    async fn api_tokens(&self, user: UserId) -> Result<Vec<StoredApiToken>> {
        Ok(self
            .lock()
            .tokens
            .values()
            .filter(|(_, t)| t.user == user)
            .map(|(_, t)| t.clone())
            .collect())
    }

    async fn revoke_api_token(&self, id: ApiTokenId) -> Result<bool> {
        Ok(self.lock().tokens.remove(&id).is_some())
    }

    async fn touch_api_token(&self, id: ApiTokenId, now: Timestamp) -> Result<bool> {
        let mut state = self.lock();
        Ok(match state.tokens.get_mut(&id) {
            Some((_, t)) => {
                t.last_used_at = Some(t.last_used_at.map_or(now, |at| at.max(now)));
                true
            }
            None => false,
        })
    }
}
