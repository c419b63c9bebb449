//! Reactions in the API: `POST …/{ticket}/messages/{message}/reactions` and
//! `DELETE …/reactions/{emoji}` on both sides, and the `reactions` every message of a page
//! carries for its caller, read for the whole page in one store query.

#![expect(
    dead_code,
    reason = "ReactionBody is never built or read: it describes the body the handler reads"
)]

use std::collections::BTreeMap;

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use serde_json::Value;
use support_core::reaction::Reaction;
use support_core::{Actor, Emoji, Error, Message, MessageId, TicketId, WriteContext};
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{Object, Type};
use utoipa::openapi::{RefOr, Required};
use utoipa::{IntoParams, IntoResponses, ToSchema};

use super::document::errors;
use super::extract::{id_param, path_id, path_param};
use super::view::{self, MessageView};
use super::{ApiError, ApiState};

/// A reaction to add (`POST …/reactions`).
#[derive(ToSchema)]
pub(crate) struct ReactionBody {
    /// One emoji (one grapheme: 👍, 👍🏽 or 👩‍💻 alike).
    #[schema(example = "👍", min_length = 1, max_length = 64)]
    emoji: String,
}

/// The `{message}` of a path: a positive id, else 404 (like a message the caller may not see).
#[derive(Debug, Clone, Copy)]
pub(crate) struct MessagePath(pub(crate) MessageId);

impl<S: Send + Sync> FromRequestParts<S> for MessagePath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        path_id(parts, state, "message")
            .await
            .map(|id| MessagePath(MessageId(id)))
    }
}

impl IntoParams for MessagePath {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![id_param(
            "message",
            "The message's id: one of the ticket's messages the caller may see, else 404.",
        )]
    }
}

impl IntoResponses for MessagePath {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        errors(&[StatusCode::NOT_FOUND])
    }
}

/// The `{emoji}` of a path (percent-encoded in the URL). Something that is not one emoji names
/// no reaction: 404.
#[derive(Debug, Clone)]
pub(crate) struct EmojiPath(pub(crate) Emoji);

impl<S: Send + Sync> FromRequestParts<S> for EmojiPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let raw = path_param(parts, state, "emoji").await?;
        Emoji::parse(&raw)
            .map(EmojiPath)
            .map_err(|_| ApiError::Service(Error::NotFound))
    }
}

impl IntoParams for EmojiPath {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            ParameterBuilder::new()
                .name("emoji")
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .description(Some("The emoji, percent-encoded (`%F0%9F%91%8D` for 👍)."))
                .schema(Some(
                    Object::builder()
                        .schema_type(Type::String)
                        .min_length(Some(1))
                        .examples(["👍"]),
                ))
                .build(),
        ]
    }
}

impl IntoResponses for EmojiPath {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        errors(&[StatusCode::NOT_FOUND])
    }
}

/// Adds the caller's reaction (the body's `emoji`): 200 with `{emoji, count, mine}`.
pub(crate) async fn add(
    s: &ApiState,
    actor: &Actor,
    ticket: TicketId,
    message: MessageId,
    body: &Value,
    ctx: &WriteContext,
) -> Result<Response, ApiError> {
    let emoji = match body.get("emoji") {
        None | Some(Value::Null) => Err(Error::invalid("emoji", "The emoji field is required.")),
        Some(Value::String(e)) => Emoji::parse(e),
        Some(_) => Err(Error::invalid("emoji", "The emoji field must be a string.")),
    }?;
    let r = s
        .service
        .react(actor, ticket, message, emoji, true, ctx)
        .await?;
    Ok(view::ok(r))
}

/// Removes the caller's reaction: 200 with `{emoji, count, mine: false}`.
pub(crate) async fn remove(
    s: &ApiState,
    actor: &Actor,
    ticket: TicketId,
    message: MessageId,
    emoji: Emoji,
    ctx: &WriteContext,
) -> Result<Response, ApiError> {
    let r = s
        .service
        .react(actor, ticket, message, emoji, false, ctx)
        .await?;
    Ok(view::ok(r))
}

/// `messages` as the API shows them to `actor`, each with its reactions (one store query for
/// the page).
pub(crate) async fn views(
    s: &ApiState,
    actor: &Actor,
    ticket: TicketId,
    messages: Vec<Message>,
) -> Result<Vec<MessageView>, ApiError> {
    let mut found = s.service.reactions(actor, ticket, &messages).await?;
    Ok(messages
        .into_iter()
        .map(|m| {
            let reactions: Vec<Reaction> = match found.iter().position(|r| r.message_id == m.id) {
                Some(i) => found.swap_remove(i).reactions,
                None => Vec::new(),
            };
            MessageView::with_reactions(m, reactions)
        })
        .collect())
}
