//! The employee portal's routes (`/api/employee/portal/support…`): any signed-in user, each
//! seeing only what the policy lets them (an employee their own tickets, staff every ticket).

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::response::Response;
use support_core::{NewTicket, QuickChat, Reaction, Ticket};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::attachments::{self, AttachmentPath, UploadBody, UploadErrors, UploadView};
use super::body::{ChatBody, CommentBody, NewTicketBody, QuickChatBody};
use super::document::{Conflict, EMPLOYEE_TAG, Forbidden};
use super::extract::{
    ApiQuery, Caller, JsonBody, MessageWrite, TicketPath, TicketWrite, WriteHeaders,
};
use super::query::{MessagesQuery, OwnListQuery};
use super::reactions::{self, EmojiPath, MessagePath, ReactionBody};
use super::reads::{ReadBody, TicketItem};
use super::transcript::{self, TranscriptQuery};
use super::view::{Data, MessageView, QuickChatView, TicketThread};
use super::{ApiError, ApiState, conversation, reads, view};

/// The employee routes, relative to where [`super::router`] nests them. One `routes!` line per
/// path: the router and the OpenAPI document are both made from it.
pub(crate) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(my_tickets, create_ticket))
        .routes(routes!(quick_chat))
        .routes(routes!(show_ticket))
        .routes(routes!(comment))
        .routes(routes!(chat))
        .routes(routes!(messages))
        .routes(routes!(mark_read))
        .routes(routes!(transcript))
        .routes(routes!(react))
        .routes(routes!(unreact))
        .routes(routes!(download_attachment))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(upload_attachment))
                .layer(DefaultBodyLimit::disable()),
        )
        .merge(super::canned::employee_routes())
        .merge(super::search::employee_routes())
}

/// The caller's own tickets
///
/// Latest activity first, a page at a time; archived ones only with `archived=true`.
#[utoipa::path(
    get,
    path = "/",
    tag = EMPLOYEE_TAG,
    operation_id = "employee_list_tickets",
    params(OwnListQuery),
    responses(
        (status = 200, description = "A page of the caller's tickets, with their read state.", body = support_core::Page<TicketItem>),
        Caller,
        ApiQuery<OwnListQuery>,
    ),
)]
async fn my_tickets(
    State(s): State<ApiState>,
    Caller(actor): Caller,
    ApiQuery(q): ApiQuery<OwnListQuery>,
) -> Result<Response, ApiError> {
    let archived = q.archived()?;
    let page = s.service.my_tickets(&actor, archived, &q.page()?).await?;
    Ok(view::page(reads::page(&s, &actor, page).await?))
}

/// Open a ticket
#[utoipa::path(
    post,
    path = "/",
    tag = EMPLOYEE_TAG,
    operation_id = "employee_create_ticket",
    params(WriteHeaders),
    request_body = NewTicketBody,
    responses(
        (status = 201, description = "The ticket, as stored (or, for a retried Idempotency-Key, as first stored).", body = Data<Ticket>),
        Caller,
        TicketWrite,
        WriteHeaders,
        JsonBody,
        Conflict,
    ),
)]
async fn create_ticket(
    State(s): State<ApiState>,
    Caller(actor): Caller,
    _: TicketWrite,
    WriteHeaders(ctx): WriteHeaders,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let new = NewTicket::from_json(&body)?;
    Ok(view::created(
        s.service.create_ticket(&actor, new, &ctx).await?,
    ))
}

/// Open a ticket by its first message
///
/// The floating chat widget's quick chat: the message is the ticket's description and its
/// first message, and its first line the subject.
#[utoipa::path(
    post,
    path = "/quick-chat",
    tag = EMPLOYEE_TAG,
    operation_id = "employee_quick_chat",
    params(WriteHeaders),
    request_body = QuickChatBody,
    responses(
        (status = 201, description = "The ticket and its first message.", body = Data<QuickChatView>),
        Caller,
        TicketWrite,
        WriteHeaders,
        JsonBody,
        Conflict,
    ),
)]
async fn quick_chat(
    State(s): State<ApiState>,
    Caller(actor): Caller,
    _: TicketWrite,
    WriteHeaders(ctx): WriteHeaders,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let chat = QuickChat::from_json(&body)?;
    let (ticket, message) = s.service.quick_chat(&actor, chat, &ctx).await?;
    Ok(view::created(QuickChatView::new(ticket, message)))
}

/// A ticket with its latest messages
///
/// Internal notes are left out for an employee.
#[utoipa::path(
    get,
    path = "/{ticket}",
    tag = EMPLOYEE_TAG,
    operation_id = "employee_show_ticket",
    params(TicketPath),
    responses(
        (status = 200, description = "The ticket and its newest messages.", body = Data<TicketThread>),
        Caller,
        TicketPath,
    ),
)]
async fn show_ticket(
    State(s): State<ApiState>,
    Caller(actor): Caller,
    TicketPath(id): TicketPath,
) -> Result<Response, ApiError> {
    conversation::show_ticket(&s, &actor, id).await
}

/// Comment on a ticket
///
/// A chat message whose text is `content`.
#[utoipa::path(
    post,
    path = "/{ticket}/comment",
    tag = EMPLOYEE_TAG,
    operation_id = "employee_comment",
    params(TicketPath, WriteHeaders),
    request_body = CommentBody,
    responses(
        (status = 201, description = "The message, as stored.", body = Data<MessageView>),
        Caller,
        MessageWrite,
        TicketPath,
        WriteHeaders,
        JsonBody,
        Forbidden,
        Conflict,
    ),
)]
async fn comment(
    State(s): State<ApiState>,
    Caller(actor): Caller,
    _: MessageWrite,
    TicketPath(id): TicketPath,
    WriteHeaders(ctx): WriteHeaders,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    conversation::post(&s, &actor, id, &body, "content", &ctx).await
}

/// Send a chat message on a ticket
#[utoipa::path(
    post,
    path = "/{ticket}/chat",
    tag = EMPLOYEE_TAG,
    operation_id = "employee_chat",
    params(TicketPath, WriteHeaders),
    request_body = ChatBody,
    responses(
        (status = 201, description = "The message, as stored.", body = Data<MessageView>),
        Caller,
        MessageWrite,
        TicketPath,
        WriteHeaders,
        JsonBody,
        Forbidden,
        Conflict,
    ),
)]
async fn chat(
    State(s): State<ApiState>,
    Caller(actor): Caller,
    _: MessageWrite,
    TicketPath(id): TicketPath,
    WriteHeaders(ctx): WriteHeaders,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    conversation::post(&s, &actor, id, &body, "message", &ctx).await
}

/// A page of a ticket's messages
///
/// `after` catches up after a reconnect: ids are the same in events and pages, so a client
/// merges without gaps or duplicates. Internal notes are left out for an employee.
#[utoipa::path(
    get,
    path = "/{ticket}/messages",
    tag = EMPLOYEE_TAG,
    operation_id = "employee_messages",
    params(TicketPath, MessagesQuery),
    responses(
        (status = 200, description = "The messages, oldest first.", body = Data<Vec<MessageView>>),
        Caller,
        TicketPath,
        ApiQuery<MessagesQuery>,
    ),
)]
async fn messages(
    State(s): State<ApiState>,
    Caller(actor): Caller,
    TicketPath(id): TicketPath,
    ApiQuery(q): ApiQuery<MessagesQuery>,
) -> Result<Response, ApiError> {
    conversation::messages(&s, &actor, id, &q).await
}

/// Mark a ticket read
///
/// Records that the caller has read the ticket up to `message_id` (a message of the ticket
/// they may see). Monotonic: a lower id changes nothing. When the position moves,
/// `message.read` is sent on the ticket's channel (and to staff), except to `X-Socket-ID`.
#[utoipa::path(
    post,
    path = "/{ticket}/read",
    tag = EMPLOYEE_TAG,
    operation_id = "employee_mark_read",
    params(TicketPath, WriteHeaders),
    request_body = ReadBody,
    responses(
        (status = 204, description = "Recorded (or already further)."),
        Caller,
        TicketPath,
        WriteHeaders,
        JsonBody,
    ),
)]
async fn mark_read(
    State(s): State<ApiState>,
    Caller(actor): Caller,
    TicketPath(id): TicketPath,
    WriteHeaders(ctx): WriteHeaders,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    reads::mark_read(&s, &actor, id, &body, &ctx).await
}

/// Download a ticket's transcript
///
/// The whole conversation as a file (`Content-Disposition: attachment`): every message the caller may see (never an internal note on this side), oldest
/// first, with authors, times, attachments and the ticket's event lines. `format=txt`
/// (default), `json`, or `html` (a print-friendly page with no script).
#[utoipa::path(
    get,
    path = "/{ticket}/transcript",
    tag = EMPLOYEE_TAG,
    operation_id = "employee_transcript",
    params(TicketPath, TranscriptQuery),
    responses(
        (status = 200, description = "The transcript.", content(
            (String = "text/plain"),
            (String = "text/html"),
            (Object = "application/json"),
        )),
        Caller,
        TicketPath,
        ApiQuery<TranscriptQuery>,
    ),
)]
async fn transcript(
    State(s): State<ApiState>,
    Caller(actor): Caller,
    TicketPath(id): TicketPath,
    ApiQuery(q): ApiQuery<TranscriptQuery>,
) -> Result<Response, ApiError> {
    transcript::transcript(&s, &actor, id, &q).await
}

/// React to a message
///
/// Adds the caller's emoji (one grapheme) to a message the caller may see (never an internal note). Adding one that is
/// there already changes nothing. When the count moves, `message.reaction` `{ticket_id,
/// message_id, emoji, count, user_id, added}` goes where the message travels (a public
/// message's ticket channel; a note's staff channel), except to `X-Socket-ID`.
#[utoipa::path(
    post,
    path = "/{ticket}/messages/{message}/reactions",
    tag = EMPLOYEE_TAG,
    operation_id = "employee_react",
    params(TicketPath, MessagePath, WriteHeaders),
    request_body = ReactionBody,
    responses(
        (status = 200, description = "The emoji on the message now.", body = Data<Reaction>),
        Caller,
        MessageWrite,
        TicketPath,
        MessagePath,
        WriteHeaders,
        JsonBody,
    ),
)]
async fn react(
    State(s): State<ApiState>,
    Caller(actor): Caller,
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
    tag = EMPLOYEE_TAG,
    operation_id = "employee_unreact",
    params(TicketPath, MessagePath, EmojiPath, WriteHeaders),
    responses(
        (status = 200, description = "The emoji on the message now.", body = Data<Reaction>),
        Caller,
        MessageWrite,
        TicketPath,
        MessagePath,
        EmojiPath,
        WriteHeaders,
    ),
)]
async fn unreact(
    State(s): State<ApiState>,
    Caller(actor): Caller,
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
/// `multipart/form-data` with one `file` part, streamed: its type is decided from its bytes
/// (images, PDF, text, office documents, zip by default; never SVG or HTML), the same content
/// is stored once. The upload is on no message until a message names its id in
/// `attachments` (within a day; later it is removed). Over the size limit: 413, from the
/// `Content-Length` before the body is read, or as soon as the stream passes it.
#[utoipa::path(
    post,
    path = "/{ticket}/attachments",
    tag = EMPLOYEE_TAG,
    operation_id = "employee_upload_attachment",
    params(TicketPath),
    request_body(content = UploadBody, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "The upload, on no message yet.", body = Data<UploadView>),
        Caller,
        MessageWrite,
        TicketPath,
        UploadErrors,
    ),
)]
async fn upload_attachment(
    State(s): State<ApiState>,
    Caller(actor): Caller,
    _: MessageWrite,
    TicketPath(id): TicketPath,
    request: Request,
) -> Result<Response, ApiError> {
    attachments::upload(&s, &actor, id, request).await
}

/// Download an attachment
///
/// The one URL of an attachment for both sides (a message's `attachments[].url`): staff may
/// use it for any ticket, an employee for their own. An internal note's file is staff-only;
/// an upload on no message is its uploader's only; anyone else gets 404. PNG, JPEG, GIF and
/// WebP are `inline`, everything else `attachment`; always `X-Content-Type-Options: nosniff`
/// and `Content-Security-Policy: sandbox`.
#[utoipa::path(
    get,
    path = "/{ticket}/attachments/{attachment}",
    tag = EMPLOYEE_TAG,
    operation_id = "download_attachment",
    params(AttachmentPath),
    responses(
        (status = 200, description = "The file's bytes, of its stored type.", content_type = "*/*", body = Vec<u8>),
        Caller,
        AttachmentPath,
    ),
)]
async fn download_attachment(
    State(s): State<ApiState>,
    Caller(actor): Caller,
    AttachmentPath(ticket, id): AttachmentPath,
) -> Result<Response, ApiError> {
    attachments::download(&s, &actor, ticket, id).await
}
