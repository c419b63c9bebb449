//! The request bodies, as the OpenAPI document describes them.
//!
//! Handlers read a body as a JSON value ([`JsonBody`](super::extract::JsonBody)) and hand it
//! to the core's validators (`NewTicket::from_json`, `QuickChat::from_json`,
//! `NewMessage::from_json`, `TicketPatch::from_json`), which name every failing field in
//! Laravel's words. These types are never built: they are what those validators accept,
//! written down for the document, with the bounds of `support_core::validate`.
//!
//! Text lengths count characters (an emoji is one) after trimming surrounding whitespace, and
//! text that is only whitespace counts as missing; a field that is `null` counts as absent,
//! as Laravel's `ConvertEmptyStringsToNull` makes it.

#![expect(
    dead_code,
    reason = "never built or read: they describe the bodies the core's validators read"
)]

use serde_json::json;
use support_core::{Category, Priority, Status};
use utoipa::ToSchema;
use utoipa::openapi::schema::{Object, Schema, SchemaType, Type};
use utoipa::openapi::{OneOfBuilder, RefOr};

/// A new ticket (`POST /api/employee/portal/support`).
#[derive(ToSchema)]
pub(crate) struct NewTicketBody {
    /// One line: 1 to 255 characters.
    #[schema(min_length = 1, max_length = 255, example = "Login issue")]
    subject: String,
    /// The problem: 1 to 10,000 characters.
    #[schema(
        min_length = 1,
        max_length = 10000,
        example = "Cannot access my account"
    )]
    description: String,
    /// What it is about.
    category: Category,
    /// How urgent it is.
    priority: Priority,
}

/// A ticket opened by its first message (`POST …/quick-chat`): the message is the
/// description, and its first line (up to 80 characters) the subject.
#[derive(ToSchema)]
pub(crate) struct QuickChatBody {
    /// 1 to 2000 characters.
    #[schema(min_length = 1, max_length = 2000, example = "Printer on fire")]
    message: String,
    /// Defaults to `other`.
    category: Option<Category>,
    /// Defaults to `medium`.
    priority: Option<Priority>,
}

/// A chat message (`POST …/{ticket}/chat`).
#[derive(ToSchema)]
pub(crate) struct ChatBody {
    /// 1 to 2000 characters.
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "Let me check your account status..."
    )]
    message: String,
    #[schema(schema_with = laravel_boolean)]
    is_internal: Option<bool>,
    /// Ids of the caller's own uploads on this ticket (`POST …/{ticket}/attachments`), on no
    /// message yet, at most 10, no repeats: the message carries their metadata.
    #[schema(max_items = 10)]
    attachments: Option<Vec<i64>>,
}

/// A comment (`POST …/{ticket}/comment`): a chat message whose text is `content`.
#[derive(ToSchema)]
pub(crate) struct CommentBody {
    /// 1 to 2000 characters.
    #[schema(min_length = 1, max_length = 2000, example = "Checking AD account")]
    content: String,
    #[schema(schema_with = laravel_boolean)]
    is_internal: Option<bool>,
    /// Ids of the caller's own uploads on this ticket (`POST …/{ticket}/attachments`), on no
    /// message yet, at most 10, no repeats: the message carries their metadata.
    #[schema(max_items = 10)]
    attachments: Option<Vec<i64>>,
}

/// A staff change (`PATCH /api/admin/support/{ticket}`): any of the fields; an absent or
/// `null` status or priority stays as it is, and an empty body changes nothing.
#[derive(ToSchema)]
pub(crate) struct TicketPatchBody {
    /// The new status; `resolved` sets `resolved_at`.
    status: Option<Status>,
    /// The new priority.
    priority: Option<Priority>,
    #[schema(schema_with = assignee)]
    assigned_to: Option<i64>,
    /// The ticket's version this change is made from (its `version`; `If-Match` says the
    /// same): a positive integer. When the ticket has changed since, nothing changes and the
    /// answer is 409 with the ticket as it is now.
    #[schema(minimum = 1)]
    version: Option<i64>,
}

/// `is_internal`: Laravel's `boolean` rule, or `null` (absent).
fn laravel_boolean() -> Object {
    Object::builder()
        .description(Some(
            "A staff-only note (staff only; an employee gets 403). Laravel's `boolean`: `true`, \
             `false`, `1`, `0`, `\"1\"`, `\"0\"`, `\"true\"`, `\"false\"`; defaults to `false`.",
        ))
        .schema_type(SchemaType::AnyValue)
        .enum_values(Some([
            json!(true),
            json!(false),
            json!(1),
            json!(0),
            json!("1"),
            json!("0"),
            json!("true"),
            json!("false"),
            json!(null),
        ]))
        .build()
}

/// `assigned_to`: a user id as a number or a string, or `null`.
fn assignee() -> RefOr<Schema> {
    OneOfBuilder::new()
        .description(Some(
            "The staff member to assign (an id, as a number or a string of digits), or `null` \
             to unassign. A user who is not staff is a 422.",
        ))
        .item(
            Object::builder()
                .schema_type(Type::Integer)
                .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                    utoipa::openapi::KnownFormat::Int64,
                )))
                .minimum(Some(1)),
        )
        .item(Object::builder().schema_type(Type::String))
        .item(Object::builder().schema_type(Type::Null))
        .into()
}
