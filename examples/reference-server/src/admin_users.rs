//! The admins' users API, under `/api/admin/users` (admins only: other staff and employees get
//! 403, nobody 401), behind the same CSRF and bearer guards as the chat's API:
//!
//! | method and path | body | answer |
//! |---|---|---|
//! | `GET /api/admin/users` | | every user |
//! | `POST /api/admin/users` | `name, email, role`, optional `password` | 201, the user |
//! | `PATCH /api/admin/users/{id}` | any of `name, email, role, disabled` | the user |
//! | `POST /api/admin/users/{id}/password` | `password` | the user |
//! | `GET /api/admin/users/{id}/tokens` | | the user's API tokens |
//! | `POST /api/admin/users/{id}/tokens` | `name` | 201, the token row and `token`, shown once |
//! | `DELETE /api/admin/tokens/{id}` | | 204 |
//!
//! Bad input is 422 in Laravel's shape. An admin cannot disable themself or take away their
//! own admin role (422). Disabling a user ends their sessions, so their cookie and tokens
//! answer 401 from the next request on, and closes their websockets with 4009 on every node
//! ([`SupportService::disconnect_user`]).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{delete, get, patch, post};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use support_core::account::{StoredApiToken, StoredUser};
use support_core::{Actor, ApiTokenId, Error, Role, SupportService, UserId};
use support_transport_ws::ClientAddr;
use support_transport_ws::api::{ApiError, MAX_BODY_BYTES};

use crate::accounts::{AccountChange, Accounts, NewAccount, parse_role};
use crate::audit::By;
use crate::auth::Identity;

/// What the handlers share.
#[derive(Clone)]
pub(crate) struct AdminUsers {
    pub(crate) identity: Arc<Identity>,
    pub(crate) accounts: Accounts,
    pub(crate) service: SupportService,
}

/// The routes.
pub(crate) fn router(state: AdminUsers) -> Router {
    Router::new()
        .route("/api/admin/users", get(list).post(create))
        .route("/api/admin/users/{id}", patch(update))
        .route("/api/admin/users/{id}/password", post(set_password))
        .route(
            "/api/admin/users/{id}/tokens",
            get(tokens).post(create_token),
        )
        .route("/api/admin/tokens/{id}", delete(revoke_token))
        .with_state(state)
}

/// The caller, if an admin: 401 for nobody, 403 for anyone else.
async fn admin(state: &AdminUsers, headers: &HeaderMap) -> Result<Actor, ApiError> {
    let actor = state
        .identity
        .actor(headers)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    if actor.role != Role::Admin {
        return Err(Error::Forbidden("Only admins may manage users.").into());
    }
    Ok(actor)
}

/// A JSON body of type `T` (an empty body is `{}`).
fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }
    let bytes: &[u8] = if bytes.is_empty() { b"{}" } else { bytes };
    serde_json::from_slice(bytes).map_err(|e| ApiError::MalformedJson(e.to_string()))
}

/// A path id: a positive integer, else 404.
fn path_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|&id| id > 0)
        .ok_or(ApiError::Service(Error::NotFound))
}

fn user_view(u: &StoredUser) -> Value {
    json!({
        "id": u.id,
        "name": u.name,
        "email": u.email.as_ref().map(|e| e.as_str()),
        "role": u.role,
        "disabled": u.disabled,
        "created_at": u.created_at,
        "last_seen_at": u.last_seen_at,
    })
}

fn token_view(t: &StoredApiToken) -> Value {
    json!({
        "id": t.id,
        "user_id": t.user,
        "name": t.name,
        "created_at": t.created_at,
        "last_used_at": t.last_used_at,
    })
}

async fn list(State(state): State<AdminUsers>, headers: HeaderMap) -> Result<Response, ApiError> {
    admin(&state, &headers).await?;
    let users = state.accounts.users.users().await?;
    let data: Vec<Value> = users.iter().map(user_view).collect();
    Ok(Json(json!({ "data": data })).into_response())
}

#[derive(Debug, Deserialize)]
struct CreateBody {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: Option<String>,
}

async fn create(
    State(state): State<AdminUsers>,
    client: Option<ClientAddr>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let me = admin(&state, &headers).await?;
    let by = By::User(&me, client.map(|c| c.0));
    let b: CreateBody = body(&bytes)?;
    let new = NewAccount {
        name: b.name,
        email: b.email,
        role: b.role,
        password: b.password.filter(|p| !p.is_empty()),
    };
    let user = state.accounts.create(by, &new).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "data": user_view(&user) })),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
struct UpdateBody {
    name: Option<String>,
    email: Option<String>,
    role: Option<String>,
    disabled: Option<bool>,
}

async fn update(
    State(state): State<AdminUsers>,
    client: Option<ClientAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let me = admin(&state, &headers).await?;
    let by = By::User(&me, client.map(|c| c.0));
    let id = UserId(path_id(&id)?);
    let b: UpdateBody = body(&bytes)?;
    if id == me.id {
        if b.disabled == Some(true) {
            return Err(Error::invalid("disabled", "You cannot disable yourself.").into());
        }
        if let Some(role) = &b.role
            && parse_role(role).is_ok_and(|r| r != Role::Admin)
        {
            return Err(Error::invalid("role", "You cannot remove your own admin role.").into());
        }
    }
    let change = AccountChange {
        name: b.name,
        email: b.email,
        role: b.role,
        disabled: b.disabled,
    };
    let user = state.accounts.change(by, id, &change).await?;
    if change.disabled == Some(true) {
        // Their sessions ended with the change; now their open websockets, on every node.
        if let Err(e) = state.service.disconnect_user(id).await {
            tracing::warn!(
                user = id.0,
                "could not close a disabled user's websockets: {e}"
            );
        }
        tracing::info!(user = id.0, by = me.id.0, "user disabled");
    }
    Ok(Json(json!({ "data": user_view(&user) })).into_response())
}

#[derive(Debug, Deserialize)]
struct PasswordBody {
    #[serde(default)]
    password: String,
}

async fn set_password(
    State(state): State<AdminUsers>,
    client: Option<ClientAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let me = admin(&state, &headers).await?;
    let by = By::User(&me, client.map(|c| c.0));
    let id = UserId(path_id(&id)?);
    let b: PasswordBody = body(&bytes)?;
    if state.accounts.users.user(id).await?.is_none() {
        return Err(Error::NotFound.into());
    }
    let user = state.accounts.set_password(by, id, &b.password).await?;
    Ok(Json(json!({ "data": user_view(&user) })).into_response())
}

async fn tokens(
    State(state): State<AdminUsers>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    admin(&state, &headers).await?;
    let id = UserId(path_id(&id)?);
    let tokens = state.accounts.tokens(id).await?;
    let data: Vec<Value> = tokens.iter().map(token_view).collect();
    Ok(Json(json!({ "data": data })).into_response())
}

#[derive(Debug, Deserialize)]
struct TokenBody {
    #[serde(default)]
    name: String,
}

async fn create_token(
    State(state): State<AdminUsers>,
    client: Option<ClientAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let me = admin(&state, &headers).await?;
    let by = By::User(&me, client.map(|c| c.0));
    let id = UserId(path_id(&id)?);
    let b: TokenBody = body(&bytes)?;
    let (token, row) = state.accounts.create_token(by, id, &b.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "data": token_view(&row), "token": token })),
    )
        .into_response())
}

async fn revoke_token(
    State(state): State<AdminUsers>,
    client: Option<ClientAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let me = admin(&state, &headers).await?;
    let by = By::User(&me, client.map(|c| c.0));
    let id = ApiTokenId(path_id(&id)?);
    state.accounts.revoke_token(by, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
