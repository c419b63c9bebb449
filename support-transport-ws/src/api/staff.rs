//! The staff routes (`/api/admin/support…`), behind one guard: the router runs the [`Staff`]
//! extractor before every route it holds, so an employee gets 403 before any handler runs.

use axum::Json;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::from_extractor_with_state;
use axum::response::{IntoResponse, Response};
use support_core::{AuditEntry, Page, Reaction, Stats, Ticket, TicketPatch, validate};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::attachments::{self, UploadBody, UploadErrors, UploadView};
use super::body::{ChatBody, CommentBody, TicketPatchBody};
use super::document::{Conflict, STAFF_TAG};
use super::extract::{
    ApiQuery, JsonBody, MessageWrite, Staff, TicketPath, TicketWrite, WriteHeaders,
};
use super::query::{ListQuery, MessagesQuery, PageQuery};
use super::reactions::{self, EmojiPath, MessagePath, ReactionBody};
use super::reads::{ReadBody, TicketItem};
use super::transcript::{self, TranscriptQuery};
use super::view::{
    self, DashboardView, Data, LiveChat, MessageView, StaleTicket, TicketThread, UserView,
};
use super::{ApiError, ApiState, conversation, reads};

/// The staff routes, relative to where [`super::router`] nests them, guarded by [`Staff`].
/// One `routes!` line per path: the router and the OpenAPI document are both made from it.
pub(crate) fn routes(state: ApiState) -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_tickets))
        .routes(routes!(dashboard))
        .routes(routes!(stats))
        .routes(routes!(users))
        .routes(routes!(show_ticket, update_ticket))
        .routes(routes!(live_chat))
        .routes(routes!(chat))
        .routes(routes!(comment))
        .routes(routes!(messages))
        .routes(routes!(audit))
        .routes(routes!(super::audit::history))
        .routes(routes!(super::audit::audit_log))
        .routes(routes!(mark_read))
        .routes(routes!(transcript))
        .routes(routes!(react))
        .routes(routes!(unreact))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(upload_attachment))
                .layer(DefaultBodyLimit::disable()),
        )
        .merge(super::canned::staff_routes())
        .merge(super::reports::routes())
        .merge(super::search::staff_routes())
        .route_layer(from_extractor_with_state::<Staff, ApiState>(state))
}

/// The live dashboard
///
/// Open work (open, in progress, pending), urgent first, longest waiting first within a
/// priority, with the badge counts.
#[utoipa::path(
    get,
    path = "/dashboard",
    tag = STAFF_TAG,
    operation_id = "staff_dashboard",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of active tickets and the badge counts.", body = DashboardView),
        Staff,
        ApiQuery<PageQuery>,
    ),
)]
async fn dashboard(
    State(s): State<ApiState>,
    Staff(actor): Staff,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Response, ApiError> {
    let d = s.service.dashboard(&actor, &q.page()?).await?;
    Ok(Json(DashboardView::new(&s, &actor, d).await?).into_response())
}

/// The badge counts
///
/// Counted exactly now; a bare object, with no `data` envelope, as the route has always
/// answered.
#[utoipa::path(
    get,
    path = "/stats",
    tag = STAFF_TAG,
    operation_id = "staff_stats",
    responses(
        (status = 200, description = "The counts.", body = Stats),
        Staff,
    ),
)]
async fn stats(State(s): State<ApiState>, Staff(actor): Staff) -> Result<Response, ApiError> {
    Ok(Json(s.service.stats(&actor).await?).into_response())
}

/// Every user
///
/// Every user of the directory, in id order: the names staff screens show and the
/// assignment menu.
#[utoipa::path(
    get,
    path = "/users",
    tag = STAFF_TAG,
    operation_id = "staff_users",
    responses(
        (status = 200, description = "The users.", body = Data<Vec<UserView>>),
        Staff,
    ),
)]
async fn users(State(s): State<ApiState>, Staff(actor): Staff) -> Result<Response, ApiError> {
    let users = s.service.users(&actor).await?;
    Ok(view::ok(
        users.into_iter().map(UserView::from).collect::<Vec<_>>(),
    ))
}

/// Every ticket, filtered
///
/// Newest first, a page at a time.
#[utoipa::path(
    get,
    path = "/",
    tag = STAFF_TAG,
    operation_id = "staff_list_tickets",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of tickets, with the caller's read state.", body = Page<TicketItem>),
        Staff,
        ApiQuery<ListQuery>,
    ),
)]
async fn list_tickets(
    State(s): State<ApiState>,
    Staff(actor): Staff,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let page = q.page()?;
    let found = s.service.list_tickets(&actor, q.filter()?, &page).await?;
    Ok(view::page(reads::page(&s, &actor, found).await?))
}

/// A ticket with its latest messages
///
/// Internal notes included.
#[utoipa::path(
    get,
    path = "/{ticket}",
    tag = STAFF_TAG,
    operation_id = "staff_show_ticket",
    params(TicketPath),
    responses(
        (status = 200, description = "The ticket and its newest messages.", body = Data<TicketThread>),
        Staff,
        TicketPath,
    ),
)]
async fn show_ticket(
    State(s): State<ApiState>,
    Staff(actor): Staff,
    TicketPath(id): TicketPath,
) -> Result<Response, ApiError> {
    conversation::show_ticket(&s, &actor, id).await
}

/// The live chat of a ticket
///
/// The ticket, its thread, its employee and the channel to join.
#[utoipa::path(
    get,
    path = "/{ticket}/live-chat",
    tag = STAFF_TAG,
    operation_id = "staff_live_chat",
    params(TicketPath),
    responses(
        (status = 200, description = "The live chat.", body = Data<LiveChat>),
        Staff,
        TicketPath,
    ),
)]
async fn live_chat(
    State(s): State<ApiState>,
    Staff(actor): Staff,
    TicketPath(id): TicketPath,
) -> Result<Response, ApiError> {
    let ticket = s.service.show_ticket(&actor, id).await?;
    let employee = s
        .service
        .directory()
        .actor(ticket.ticket.employee_id)
        .await?;
    let version = ticket.ticket.version;
    let thread = TicketThread::new(&s, &actor, ticket).await?;
    Ok(view::ok_tagged(version, LiveChat::new(thread, employee)))
}

/// Change a ticket's status, priority or assignee
///
/// A retried PATCH with the same `Idempotency-Key` answers the ticket as it is and changes
/// nothing twice; the same key on a different request is 409.
///
/// A change made from a version of the ticket (its `ETag`, sent back as `If-Match`, or
/// `version` in the body) applies only if the ticket is still at that version; otherwise it
/// changes nothing and answers 409 with the ticket as it is now (`data`, and its `ETag`).
/// Without either, the change applies to the ticket as it is.
#[utoipa::path(
    patch,
    path = "/{ticket}",
    tag = STAFF_TAG,
    operation_id = "staff_update_ticket",
    params(
        TicketPath,
        WriteHeaders,
        ("If-Match" = Option<String>, Header, description = "The ticket's version this change is made from: its `ETag` (`\"3\"`, also `3` or `W/\"3\"`). A stale version is 409; a malformed header is 422 on `If-Match`."),
    ),
    request_body(
        content = Option<TicketPatchBody>,
        description = "Any of the fields; an empty body, `{}` or `null` changes nothing.",
    ),
    responses(
        (status = 200, description = "The ticket after the change, with its `ETag`.", body = Data<Ticket>,
            headers(("ETag" = String, description = "The ticket's version: `\"N\"`."))),
        (status = 409, description = "The ticket was changed since the version named (`If-Match` or `version`): nothing changed; `data` is the ticket now. Or the `Idempotency-Key` was used for another request.", body = StaleTicket,
            headers(("ETag" = String, description = "The ticket's version now, for a stale version."))),
        Staff,
        TicketWrite,
        TicketPath,
        WriteHeaders,
        JsonBody,
    ),
)]
async fn update_ticket(
    State(s): State<ApiState>,
    Staff(actor): Staff,
    _: TicketWrite,
    TicketPath(id): TicketPath,
    WriteHeaders(ctx): WriteHeaders,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let patch = TicketPatch::from_json(&body)?;
    let expected = expected_version(&headers, &body)?;
    let ticket = s
        .service
        .update_ticket_from(&actor, id, patch, expected, &ctx)
        .await?;
    Ok(view::ok_tagged(ticket.version, ticket))
}

/// The version a change is made from: `If-Match`, or `version` in the body; both must agree
/// when both are sent.
fn expected_version(
    headers: &HeaderMap,
    body: &serde_json::Value,
) -> Result<Option<i64>, ApiError> {
    let from_body = validate::ticket_version(body)?;
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(from_body);
    };
    let bad = || {
        support_core::Error::invalid(
            "If-Match",
            "The If-Match header must be the ticket's version, such as \"3\".",
        )
    };
    let text = value.to_str().map_err(|_| bad())?;
    let from_header = validate::if_match_version(text)?;
    match from_body {
        Some(v) if v != from_header => Err(support_core::Error::invalid(
            "version",
            "The version field must match the If-Match header.",
        )
        .into()),
        _ => Ok(Some(from_header)),
    }
}

/// Send a chat message on a ticket
#[utoipa::path(
    post,
    path = "/{ticket}/chat",
    tag = STAFF_TAG,
    operation_id = "staff_chat",
    params(TicketPath, WriteHeaders),
    request_body = ChatBody,
    responses(
        (status = 201, description = "The message, as stored.", body = Data<MessageView>),
        Staff,
        MessageWrite,
        TicketPath,
        WriteHeaders,
        JsonBody,
        Conflict,
    ),
)]
async fn chat(
    State(s): State<ApiState>,
    Staff(actor): Staff,
    _: MessageWrite,
    TicketPath(id): TicketPath,
    WriteHeaders(ctx): WriteHeaders,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    conversation::post(&s, &actor, id, &body, "message", &ctx).await
}

/// Comment on a ticket, or write an internal note
///
/// With `is_internal`, a note only staff ever see.
#[utoipa::path(
    post,
    path = "/{ticket}/comment",
    tag = STAFF_TAG,
    operation_id = "staff_comment",
    params(TicketPath, WriteHeaders),
    request_body = CommentBody,
    responses(
        (status = 201, description = "The message, as stored.", body = Data<MessageView>),
        Staff,
        MessageWrite,
        TicketPath,
        WriteHeaders,
        JsonBody,
        Conflict,
    ),
)]
async fn comment(
    State(s): State<ApiState>,
    Staff(actor): Staff,
    _: MessageWrite,
    TicketPath(id): TicketPath,
    WriteHeaders(ctx): WriteHeaders,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    conversation::post(&s, &actor, id, &body, "content", &ctx).await
}

/// A page of a ticket's messages
///
/// Internal notes included.
#[utoipa::path(
    get,
    path = "/{ticket}/messages",
    tag = STAFF_TAG,
    operation_id = "staff_messages",
    params(TicketPath, MessagesQuery),
    responses(
        (status = 200, description = "The messages, oldest first.", body = Data<Vec<MessageView>>),
        Staff,
        TicketPath,
        ApiQuery<MessagesQuery>,
    ),
)]
async fn messages(
    State(s): State<ApiState>,
    Staff(actor): Staff,
    TicketPath(id): TicketPath,
    ApiQuery(q): ApiQuery<MessagesQuery>,
) -> Result<Response, ApiError> {
    conversation::messages(&s, &actor, id, &q).await
}

/// A ticket's audit trail
///
/// Every recorded change, oldest first.
#[utoipa::path(
    get,
    path = "/{ticket}/audit",
    tag = STAFF_TAG,
    operation_id = "staff_audit",
    params(TicketPath),
    responses(
        (status = 200, description = "The changes.", body = Data<Vec<AuditEntry>>),
        Staff,
        TicketPath,
    ),
)]
async fn audit(
    State(s): State<ApiState>,
    Staff(actor): Staff,
    TicketPath(id): TicketPath,
) -> Result<Response, ApiError> {
    Ok(view::ok(s.service.audit_trail(&actor, id).await?))
}

/// Mark a ticket read
///
/// Records that the caller has read the ticket up to `message_id` (any of its messages,
/// internal notes included). Monotonic: a lower id changes nothing. When the position moves,
/// `message.read` goes to staff with the position, and to the ticket's channel with the last
/// public message up to it (nothing there when only notes were read), except to
/// `X-Socket-ID`.
#[utoipa::path(
    post,
    path = "/{ticket}/read",
    tag = STAFF_TAG,
    operation_id = "staff_mark_read",
    params(TicketPath, WriteHeaders),
    request_body = ReadBody,
    responses(
        (status = 204, description = "Recorded (or already further)."),
        Staff,
        TicketPath,
        WriteHeaders,
        JsonBody,
    ),
)]
async fn mark_read(
    State(s): State<ApiState>,
    Staff(actor): Staff,
    TicketPath(id): TicketPath,
    WriteHeaders(ctx): WriteHeaders,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    reads::mark_read(&s, &actor, id, &body, &ctx).await
}

/// Download a ticket's transcript
///
/// The whole conversation as a file (`Content-Disposition: attachment`): every message, internal notes marked as such, oldest
/// first, with authors, times, attachments and the ticket's event lines. `format=txt`
/// (default), `json`, or `html` (a print-friendly page with no script).
#[utoipa::path(
    get,
    path = "/{ticket}/transcript",
    tag = STAFF_TAG,
    operation_id = "staff_transcript",
    params(TicketPath, TranscriptQuery),
    responses(
        (status = 200, description = "The transcript.", content(
            (String = "text/plain"),
            (String = "text/html"),
            (Object = "application/json"),
        )),
        Staff,
        TicketPath,
        ApiQuery<TranscriptQuery>,
    ),
)]
async fn transcript(
    State(s): State<ApiState>,
    Staff(actor): Staff,
    TicketPath(id): TicketPath,
    ApiQuery(q): ApiQuery<TranscriptQuery>,
) -> Result<Response, ApiError> {
    transcript::transcript(&s, &actor, id, &q).await
}

/// React to a message
///
/// Adds the caller's emoji (one grapheme) to a message of the ticket, internal notes included. Adding one that is
/// there already changes nothing. When the count moves, `message.reaction` `{ticket_id,
/// message_id, emoji, count, user_id, added}` goes where the message travels (a public
/// message's ticket channel; a note's staff channel), except to `X-Socket-ID`.
#[utoipa::path(
    post,
    path = "/{ticket}/messages/{message}/reactions",
    tag = STAFF_TAG,
    operation_id = "staff_react",
    params(TicketPath, MessagePath, WriteHeaders),
    request_body = ReactionBody,
    responses(
        (status = 200, description = "The emoji on the message now.", body = Data<Reaction>),
        Staff,
        MessageWrite,
        TicketPath,
        MessagePath,
        WriteHeaders,
        JsonBody,
    ),
)]
async fn react(
    State(s): State<ApiState>,
    Staff(actor): Staff,
    _: MessageWrite,
    TicketPath(id): TicketPath,
    MessagePath(message): MessagePath,
    WriteHeaders(ctx): WriteHeaders,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    reactions::add(&s, &actor, id, message, &body, &ctx).await
}

/// Take a reaction back
///
/// Removes the caller's emoji from the message; removing one that is not there changes
/// nothing. When the count moves, `message.reaction` goes out as for adding one.
#[utoipa::path(
    delete,
    path = "/{ticket}/messages/{message}/reactions/{emoji}",
    tag = STAFF_TAG,
    operation_id = "staff_unreact",
    params(TicketPath, MessagePath, EmojiPath, WriteHeaders),
    responses(
        (status = 200, description = "The emoji on the message now.", body = Data<Reaction>),
        Staff,
        MessageWrite,
        TicketPath,
        MessagePath,
        EmojiPath,
        WriteHeaders,
    ),
)]
async fn unreact(
    State(s): State<ApiState>,
    Staff(actor): Staff,
    _: MessageWrite,
    TicketPath(id): TicketPath,
    MessagePath(message): MessagePath,
    EmojiPath(emoji): EmojiPath,
    WriteHeaders(ctx): WriteHeaders,
) -> Result<Response, ApiError> {
    reactions::remove(&s, &actor, id, message, emoji, &ctx).await
}

/// Upload a file to a ticket
///
/// As on the employee side (`multipart/form-data`, one `file` part, streamed, typed from its
/// bytes, stored once by content), for a reply or an internal note: attached to a note, the
/// file is staff-only like the note.
#[utoipa::path(
    post,
    path = "/{ticket}/attachments",
    tag = STAFF_TAG,
    operation_id = "staff_upload_attachment",
    params(TicketPath),
    request_body(content = UploadBody, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "The upload, on no message yet.", body = Data<UploadView>),
        Staff,
        MessageWrite,
        TicketPath,
        UploadErrors,
    ),
)]
async fn upload_attachment(
    State(s): State<ApiState>,
    Staff(actor): Staff,
    _: MessageWrite,
    TicketPath(id): TicketPath,
    request: Request,
) -> Result<Response, ApiError> {
    attachments::upload(&s, &actor, id, request).await
}
