//! Bearer tokens to actors, for the API and the channel auth endpoint alike.

use async_trait::async_trait;
use axum::http::HeaderMap;
use support_core::Actor;
use support_transport_ws::Identify;

use crate::users::Users;

/// `Authorization: Bearer <token>` → the user with that token.
#[derive(Debug, Clone)]
pub(crate) struct BearerTokens(pub(crate) Users);

#[async_trait]
impl Identify for BearerTokens {
    async fn identify(&self, headers: &HeaderMap) -> Option<Actor> {
        let value = headers
            .get(axum::http::header::AUTHORIZATION)?
            .to_str()
            .ok()?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))?
            .trim();
        self.0.by_token(token)
    }
}
