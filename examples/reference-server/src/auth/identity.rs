//! Who is calling: a bearer token (API clients, load generators) or a session cookie (the
//! browser UI), for the API and the channel auth endpoint alike.

use async_trait::async_trait;
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use support_core::{Actor, Result};
use support_transport_ws::Identify;

use super::session::{Session, Sessions};
use super::users::Users;

/// `Authorization: Bearer <token>` → the user with that token; without that header, the
/// user of the live session the cookie names. A request that carries a bearer token is never
/// judged by its cookie, so a wrong token cannot fall back to a browser session.
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    pub(crate) users: Users,
    pub(crate) sessions: Sessions,
}

/// The token of an `Authorization: Bearer …` header; `Some("")` for any other scheme, so
/// that such a request is refused rather than read by its cookie.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?;
    let value = value.to_str().unwrap_or_default();
    Some(
        value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map_or("", str::trim),
    )
}

impl Identity {
    /// The live session a request proves by cookie, when it carries no `Authorization`
    /// header. `Err` when the session store cannot answer.
    pub(crate) async fn session(&self, headers: &HeaderMap) -> Result<Option<Session>> {
        match bearer(headers) {
            Some(_) => Ok(None),
            None => self.sessions.of_request(headers).await,
        }
    }

    /// The user the request proves: its bearer token's (a lookup in memory), or without an
    /// `Authorization` header its session's (a lookup in the store).
    pub(crate) async fn actor(&self, headers: &HeaderMap) -> Result<Option<Actor>> {
        match bearer(headers) {
            Some(token) if !token.is_empty() => Ok(self.users.by_token(token)),
            Some(_) => Ok(None),
            None => Ok(self
                .sessions
                .of_request(headers)
                .await?
                .and_then(|s| self.users.by_id(s.user))),
        }
    }

    /// The cookie's session and its user, looked up once: what a page needs (a bearer token
    /// opens the API, not the pages, which need the session's CSRF token).
    pub(crate) async fn signed_in(&self, headers: &HeaderMap) -> Result<Option<(Session, Actor)>> {
        let Some(session) = self.session(headers).await? else {
            return Ok(None);
        };
        Ok(self.users.by_id(session.user).map(|actor| (session, actor)))
    }
}

#[async_trait]
impl Identify for Identity {
    async fn identify(&self, headers: &HeaderMap) -> Result<Option<Actor>> {
        self.actor(headers).await
    }
}
