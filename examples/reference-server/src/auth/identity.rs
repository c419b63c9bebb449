//! Who is calling: a bearer token (API clients, load generators) or a session cookie (the
//! browser UI), for the API and the channel auth endpoint alike. Both are looked up in the
//! store ([`UserStore`]), so a token revoked or a user disabled from any process (the
//! `users` CLI, another node) proves nobody from the next request on.
//!
//! Use is recorded ([`UserStore::touch_api_token`], [`UserStore::touch_user`]) at most once
//! per [`TOUCH_INTERVAL`] per token and per user, judged from the times in the row the lookup
//! read anyway: a request costs no write.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use support_core::account::{StoredApiToken, StoredUser};
use support_core::{Actor, Result, Timestamp, TokenDigest, UserStore, time};
use support_transport_ws::Identify;

use super::jwt::{JwtRefusal, JwtVerifier, is_jwt};
use super::session::{SESSION_BEARER_PREFIX, Session, Sessions};

/// The longest gap between two records of a token's or a user's use.
pub(crate) const TOUCH_INTERVAL: Duration = Duration::from_secs(60);

/// `Authorization: Bearer <token>` → the enabled user whose API token it is; without that
/// header, the enabled user of the live session the cookie names. A request that carries a
/// bearer token is never judged by its cookie, so a wrong token cannot fall back to a
/// browser session.
///
/// A bearer token is one of three kinds, told apart by its shape: a session's
/// (`sess_…`, [`Sessions::issue_bearer`]), the host application's JWT (three base64url
/// parts: verified, then the user it describes is created or updated), or an API token.
#[derive(Clone)]
pub(crate) struct Identity {
    pub(crate) users: Arc<dyn UserStore>,
    pub(crate) sessions: Sessions,
    /// The host application's JWTs; `None` when no key is configured (then a JWT proves
    /// nobody).
    pub(crate) jwt: Option<Arc<JwtVerifier>>,
}

/// Why a bearer token proves nobody: what the log says (the client hears only 401).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BearerRefusal {
    /// No API token or live session has it (or it is empty, or another scheme).
    Unknown,
    /// A JWT, and no key to verify it with.
    JwtOff,
    /// A JWT that does not verify, or whose claims are not acceptable.
    Jwt(JwtRefusal),
    /// A JWT for a user who is disabled.
    Disabled,
    /// A JWT whose email belongs to a user with another external id.
    EmailTaken,
}

impl std::fmt::Display for BearerRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BearerRefusal::Unknown => f.write_str("unknown bearer token"),
            BearerRefusal::JwtOff => {
                f.write_str("JWT refused: no --jwt-secret or --jwt-public-key configured")
            }
            BearerRefusal::Jwt(why) => write!(f, "JWT refused: {why}"),
            BearerRefusal::Disabled => f.write_str("JWT refused: the user is disabled"),
            BearerRefusal::EmailTaken => {
                f.write_str("JWT refused: its email belongs to another host application user")
            }
        }
    }
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("sessions", &self.sessions)
            .finish_non_exhaustive()
    }
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

/// Whether a row last touched at `last` is due a new record at `now` (a time in the future,
/// another node's clock, counts as recent).
fn due(last: Option<Timestamp>, now: Timestamp) -> bool {
    last.is_none_or(|last| (now - last).to_std().unwrap_or_default() >= TOUCH_INTERVAL)
}

impl Identity {
    /// Identity over this store's users and these sessions.
    pub(crate) fn new(users: Arc<dyn UserStore>, sessions: Sessions) -> Self {
        Identity {
            users,
            sessions,
            jwt: None,
        }
    }

    /// With this verifier for the host application's JWTs.
    pub(crate) fn with_jwt(mut self, jwt: Option<JwtVerifier>) -> Self {
        self.jwt = jwt.map(Arc::new);
        self
    }

    /// The live session a request proves by cookie, when it carries no `Authorization`
    /// header. `Err` when the session store cannot answer.
    pub(crate) async fn session(&self, headers: &HeaderMap) -> Result<Option<Session>> {
        match bearer(headers) {
            Some(_) => Ok(None),
            None => self.sessions.of_request(headers).await,
        }
    }

    /// The user the request proves: its bearer token's, or without an `Authorization` header
    /// its session's. `Err` when the store cannot answer.
    pub(crate) async fn actor(&self, headers: &HeaderMap) -> Result<Option<Actor>> {
        match bearer(headers) {
            None => Ok(self.signed_in(headers).await?.map(|(_, actor)| actor)),
            Some(token) => self.by_token(token).await,
        }
    }

    /// The user a bearer token proves. Why a token proves nobody is logged here, once per
    /// request, never the token (the bearer guard counts the 401 that follows).
    pub(crate) async fn by_token(&self, token: &str) -> Result<Option<Actor>> {
        match self.prove(token).await? {
            Ok(actor) => Ok(Some(actor)),
            Err(why) => {
                tracing::warn!("{why}");
                Ok(None)
            }
        }
    }

    /// The user a bearer token proves, or why it proves nobody. One match, one arm per kind
    /// of token.
    pub(crate) async fn prove(
        &self,
        token: &str,
    ) -> Result<std::result::Result<Actor, BearerRefusal>> {
        let actor = match token {
            "" => None,
            // A session's bearer token (`POST /sso/session`).
            token if token.starts_with(SESSION_BEARER_PREFIX) => {
                match self.sessions.of_bearer(token).await? {
                    Some(session) => self.user_of(&session).await?,
                    None => None,
                }
            }
            // The host application's JWT.
            token if is_jwt(token) => return self.by_jwt(token).await,
            // An API token (`users token create`, the users file, the demo users).
            token => self.by_api_token(token).await?,
        };
        Ok(actor.ok_or(BearerRefusal::Unknown))
    }

    /// The enabled user whose API token this is (the store refuses disabled users' tokens).
    async fn by_api_token(&self, token: &str) -> Result<Option<Actor>> {
        let digest = TokenDigest::of_token(token.as_bytes());
        let Some((token, user)) = self.users.api_token(&digest).await? else {
            return Ok(None);
        };
        self.record_use(Some(&token), &user);
        Ok(Some(user.actor()))
    }

    /// The user a host application's JWT describes, created or updated in the store
    /// ([`UserStore::sync_external_user`]); refused when the JWT does not verify or the user
    /// is disabled.
    pub(crate) async fn by_jwt(
        &self,
        token: &str,
    ) -> Result<std::result::Result<Actor, BearerRefusal>> {
        let Some(verifier) = &self.jwt else {
            return Ok(Err(BearerRefusal::JwtOff));
        };
        let external = match verifier.verify(token) {
            Ok(external) => external,
            Err(why) => return Ok(Err(BearerRefusal::Jwt(why))),
        };
        let user = match self.users.sync_external_user(&external, time::now()).await {
            Ok(user) => user,
            Err(support_core::Error::Conflict(_)) => return Ok(Err(BearerRefusal::EmailTaken)),
            Err(e) => return Err(e),
        };
        if user.disabled {
            return Ok(Err(BearerRefusal::Disabled));
        }
        self.record_use(None, &user);
        Ok(Ok(user.actor()))
    }

    /// The enabled user of this session, if they are still in the store.
    pub(crate) async fn user_of(&self, session: &Session) -> Result<Option<Actor>> {
        let Some(user) = self.users.user(session.user).await? else {
            return Ok(None);
        };
        if user.disabled {
            return Ok(None);
        }
        self.record_use(None, &user);
        Ok(Some(user.actor()))
    }

    /// Records the use of the token and its user when their last record is older than
    /// [`TOUCH_INTERVAL`], in the background: the request goes on without it, and a failure
    /// is retried by the next request.
    fn record_use(&self, token: Option<&StoredApiToken>, user: &StoredUser) {
        let now = time::now();
        let token = token.filter(|t| due(t.last_used_at, now)).map(|t| t.id);
        let user = due(user.last_seen_at, now).then_some(user.id);
        if token.is_none() && user.is_none() {
            return;
        }
        let store = self.users.clone();
        tokio::spawn(async move {
            if let Some(id) = token
                && let Err(e) = store.touch_api_token(id, now).await
            {
                tracing::warn!("could not record an API token's use: {e}");
            }
            if let Some(id) = user
                && let Err(e) = store.touch_user(id, now).await
            {
                tracing::warn!("could not record a user's use: {e}");
            }
        });
    }

    /// The cookie's session and its user, looked up once: what a page needs (a bearer token
    /// opens the API, not the pages, which need the session's CSRF token). A session whose
    /// user is disabled or gone proves nobody.
    pub(crate) async fn signed_in(&self, headers: &HeaderMap) -> Result<Option<(Session, Actor)>> {
        let Some(session) = self.session(headers).await? else {
            return Ok(None);
        };
        Ok(self.user_of(&session).await?.map(|actor| (session, actor)))
    }
}

#[async_trait]
impl Identify for Identity {
    async fn identify(&self, headers: &HeaderMap) -> Result<Option<Actor>> {
        self.actor(headers).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use support_core::account::{NewApiToken, NewUser, UserUpdate};
    use support_core::{MemoryStore, Role};

    fn identity(store: &Arc<MemoryStore>) -> Identity {
        let sessions = Sessions::new(
            "key",
            store.clone(),
            Duration::from_secs(3600),
            Duration::from_secs(7200),
        );
        Identity::new(store.clone(), sessions)
    }

    fn with_bearer(token: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
        );
        h
    }

    fn with_cookie(set_cookie: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        let pair = set_cookie.split(';').next().unwrap();
        h.insert(
            axum::http::header::COOKIE,
            HeaderValue::from_str(pair).unwrap(),
        );
        h
    }

    #[tokio::test]
    async fn an_api_token_proves_its_enabled_user_and_its_use_is_recorded() {
        let store = Arc::new(MemoryStore::new());
        let now = time::now();
        let ada = store
            .create_user(&NewUser::new("Ada", Role::Admin, now))
            .await
            .unwrap();
        let digest = TokenDigest::of_token(b"sup_0123456789abcdef");
        store
            .create_api_token(&NewApiToken::new(digest, ada.id, "test", now))
            .await
            .unwrap();
        let id = identity(&store);
        let actor = id
            .actor(&with_bearer("sup_0123456789abcdef"))
            .await
            .unwrap();
        assert_eq!(actor.map(|a| a.id), Some(ada.id));
        assert_eq!(id.actor(&with_bearer("sup_wrong")).await.unwrap(), None);
        assert_eq!(id.actor(&with_bearer("")).await.unwrap(), None);
        // The record happens in the background.
        for _ in 0..100 {
            if store
                .user(ada.id)
                .await
                .unwrap()
                .unwrap()
                .last_seen_at
                .is_some()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let tokens = store.api_tokens(ada.id).await.unwrap();
        assert!(tokens[0].last_used_at.is_some());
        assert!(
            store
                .user(ada.id)
                .await
                .unwrap()
                .unwrap()
                .last_seen_at
                .is_some()
        );

        store
            .update_user(
                ada.id,
                &UserUpdate {
                    disabled: Some(true),
                    ..UserUpdate::default()
                },
            )
            .await
            .unwrap();
        let gone = id
            .actor(&with_bearer("sup_0123456789abcdef"))
            .await
            .unwrap();
        assert_eq!(gone, None);
    }

    #[tokio::test]
    async fn a_session_of_a_disabled_user_proves_nobody() {
        let store = Arc::new(MemoryStore::new());
        let sam = store
            .create_user(&NewUser::new("Sam", Role::Support, time::now()))
            .await
            .unwrap();
        let id = identity(&store);
        let (cookie, _) = id.sessions.issue(sam.id, false).await.unwrap();
        let headers = with_cookie(&cookie);
        assert_eq!(
            id.actor(&headers).await.unwrap().map(|a| a.id),
            Some(sam.id)
        );
        store
            .update_user(
                sam.id,
                &UserUpdate {
                    disabled: Some(true),
                    ..UserUpdate::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(id.actor(&headers).await.unwrap(), None);
        assert!(id.signed_in(&headers).await.unwrap().is_none());
    }

    fn with_jwt(store: &Arc<MemoryStore>) -> Identity {
        let flags = super::super::JwtFlags {
            jwt_secret: Some("a-shared-secret-of-at-least-32-bytes!".into()),
            jwt_public_key: None,
            jwt_issuer: None,
            jwt_audience: None,
            jwt_max_lifetime: Duration::from_secs(3600),
        };
        identity(store).with_jwt(JwtVerifier::from_flags(&flags).unwrap())
    }

    fn jwt(sub: &str, name: &str, role: &str, email: Option<&str>) -> String {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = serde_json::json!({"sub": sub, "name": name, "role": role,
            "email": email, "iat": now, "exp": now + 300});
        jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(b"a-shared-secret-of-at-least-32-bytes!"),
        )
        .unwrap()
    }

    async fn disable(store: &MemoryStore, id: support_core::UserId) {
        let change = UserUpdate {
            disabled: Some(true),
            ..UserUpdate::default()
        };
        store.update_user(id, &change).await.unwrap();
    }

    #[tokio::test]
    async fn a_jwt_creates_links_and_updates_its_user_and_a_disabled_one_is_refused() {
        let store = Arc::new(MemoryStore::new());
        // An account made by hand, with the email the host app will give.
        let email = support_core::account::Email::parse("kim@host.example").unwrap();
        let kim = store
            .create_user(&NewUser::new("Kim", Role::Employee, time::now()).email(email))
            .await
            .unwrap();
        let id = with_jwt(&store);
        let token = jwt("k-1", "Kim Host", "support", Some("kim@host.example"));
        let actor = id.prove(&token).await.unwrap().unwrap();
        assert_eq!(
            (actor.id, &*actor.name, actor.role),
            (kim.id, "Kim Host", Role::Support)
        );
        // A new user for an unknown `sub`.
        let new = id
            .prove(&jwt("k-2", "Noa", "employee", None))
            .await
            .unwrap()
            .unwrap();
        assert_ne!(new.id, kim.id);
        // An email another host user holds: refused.
        let stealing = jwt("k-3", "Eve", "admin", Some("kim@host.example"));
        assert_eq!(
            id.prove(&stealing).await.unwrap(),
            Err(BearerRefusal::EmailTaken)
        );

        disable(&store, kim.id).await;
        assert_eq!(
            id.prove(&token).await.unwrap(),
            Err(BearerRefusal::Disabled)
        );
        assert!(
            store.user(kim.id).await.unwrap().unwrap().disabled,
            "stays disabled"
        );

        // Without a verifier no JWT proves anyone.
        assert_eq!(
            identity(&store).prove(&token).await.unwrap(),
            Err(BearerRefusal::JwtOff)
        );
        let refused = id.prove(&format!("{token}x")).await.unwrap();
        assert_eq!(refused, Err(BearerRefusal::Jwt(JwtRefusal::BadSignature)));
    }

    #[tokio::test]
    async fn a_session_bearer_token_proves_its_user_until_the_session_or_user_ends() {
        let store = Arc::new(MemoryStore::new());
        let wil = store
            .create_user(&NewUser::new("Wil", Role::Employee, time::now()))
            .await
            .unwrap();
        let id = identity(&store);
        let (token, _) = id.sessions.issue_bearer(wil.id).await.unwrap();
        assert!(token.starts_with(SESSION_BEARER_PREFIX));
        let actor = id.actor(&with_bearer(&token)).await.unwrap();
        assert_eq!(actor.map(|a| a.id), Some(wil.id));
        // A bearer session is not a cookie's: the pages and the CSRF guard see none.
        assert!(id.session(&with_bearer(&token)).await.unwrap().is_none());
        disable(&store, wil.id).await;
        assert_eq!(id.actor(&with_bearer(&token)).await.unwrap(), None);

        let ada = store
            .create_user(&NewUser::new("Ada", Role::Admin, time::now()))
            .await
            .unwrap();
        let (token, _) = id.sessions.issue_bearer(ada.id).await.unwrap();
        id.sessions.end_all(ada.id).await.unwrap();
        assert_eq!(id.prove(&token).await.unwrap(), Err(BearerRefusal::Unknown));
    }

    #[test]
    fn use_is_due_after_a_minute() {
        let now = time::now();
        assert!(due(None, now));
        assert!(!due(Some(now), now));
        assert!(!due(Some(now + chrono::Duration::seconds(30)), now));
        assert!(due(Some(now - chrono::Duration::seconds(61)), now));
    }
}
