//! The JSON API of the helpdesk (the seed's routes under `/api`) as an axum router, over a
//! [`SupportService`]: bearer identity through [`Identify`], Laravel's error shapes,
//! `Idempotency-Key` and `X-Socket-ID`.
//!
//! Every status code is decided in [`ApiError`]'s one `IntoResponse`: 401 for an unknown
//! caller, 403 for a refused operation, 404 for a ticket the caller may not see (whether or not
//! it exists), 422 with field errors, 409 for a reused idempotency key, 503 while the store is
//! unavailable, 400 for malformed JSON and 413 for an oversized body.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Router, routing::post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use support_core::store::{MessagePosition, TicketFilter};
use support_core::*;

use crate::authorize::Identify;

/// Which side a route is on: staff routes answer 403 to employees before anything else.
const EMPLOYEE_ROUTE: bool = false;
const STAFF_ROUTE: bool = true;

/// The largest request body accepted; larger ones get 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// An API failure, answered in Laravel's JSON shape.
#[derive(Debug)]
pub enum ApiError {
    /// No or unknown credentials: 401.
    Unauthenticated,
    /// The body is not JSON: 400.
    MalformedJson(String),
    /// A service error, mapped by kind.
    Service(Error),
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError::Service(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            ApiError::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                json!({"message": "Unauthenticated."}),
            ),
            ApiError::MalformedJson(why) => (
                StatusCode::BAD_REQUEST,
                json!({"message": format!("The request body is not valid JSON: {why}")}),
            ),
            ApiError::Service(e) => match e {
                Error::NotFound => (StatusCode::NOT_FOUND, json!({"message": "Not found."})),
                Error::Forbidden(why) => (
                    StatusCode::FORBIDDEN,
                    json!({"message": "This action is unauthorized.", "reason": why}),
                ),
                Error::Invalid(fields) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    json!({"message": fields.to_string(), "errors": fields}),
                ),
                Error::Conflict(why) => (StatusCode::CONFLICT, json!({"message": why})),
                Error::Unavailable(why) => {
                    tracing::warn!(%why, "store unavailable");
                    (
                        StatusCode::SERVICE_UNAVAILABLE,
                        json!({"message": "The service is temporarily unavailable."}),
                    )
                }
                other => {
                    tracing::error!(error = %other, "request failed");
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        json!({"message": "Server error."}),
                    )
                }
            },
        };
        (status, Json(body)).into_response()
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// What the API needs: the service and a way to identify callers.
#[derive(Clone)]
pub struct ApiState {
    service: SupportService,
    identify: Arc<dyn Identify>,
}

/// The routes of `reference-server.md`, under `/api`:
///
/// - employee: `GET|POST /api/employee/portal/support`, `POST …/quick-chat`,
///   `GET …/{ticket}`, `POST …/{ticket}/comment`, `POST …/{ticket}/chat`,
///   `GET …/{ticket}/messages?after=&before=&limit=`;
/// - staff: `GET /api/admin/support/dashboard`, `GET /api/admin/support` (filters `status`,
///   `priority`, `category`, `assigned_to`, `q`, paging `cursor`, `limit`),
///   `GET /api/admin/support/stats`, `GET|PATCH /api/admin/support/{ticket}`,
///   `GET …/{ticket}/live-chat`, `POST …/{ticket}/chat`, `POST …/{ticket}/comment`,
///   `GET …/{ticket}/messages`, `GET …/{ticket}/audit`.
pub fn router(service: SupportService, identify: Arc<dyn Identify>) -> Router {
    let employee = "/api/employee/portal/support";
    let admin = "/api/admin/support";
    Router::new()
        .route(employee, get(my_tickets).post(create_ticket))
        .route(&format!("{employee}/quick-chat"), post(quick_chat))
        .route(
            &format!("{employee}/{{ticket}}"),
            get(show_ticket::<EMPLOYEE_ROUTE>),
        )
        .route(
            &format!("{employee}/{{ticket}}/comment"),
            post(comment::<EMPLOYEE_ROUTE>),
        )
        .route(
            &format!("{employee}/{{ticket}}/chat"),
            post(chat::<EMPLOYEE_ROUTE>),
        )
        .route(
            &format!("{employee}/{{ticket}}/messages"),
            get(messages::<EMPLOYEE_ROUTE>),
        )
        .route(&format!("{admin}/dashboard"), get(dashboard))
        .route(&format!("{admin}/stats"), get(stats))
        .route(admin, get(list_tickets))
        .route(
            &format!("{admin}/{{ticket}}"),
            get(show_ticket::<STAFF_ROUTE>).patch(update_ticket),
        )
        .route(&format!("{admin}/{{ticket}}/live-chat"), get(live_chat))
        .route(
            &format!("{admin}/{{ticket}}/chat"),
            post(chat::<STAFF_ROUTE>),
        )
        .route(
            &format!("{admin}/{{ticket}}/comment"),
            post(comment::<STAFF_ROUTE>),
        )
        .route(
            &format!("{admin}/{{ticket}}/messages"),
            get(messages::<STAFF_ROUTE>),
        )
        .route(&format!("{admin}/{{ticket}}/audit"), get(audit))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(ApiState { service, identify })
}

// ----- request pieces -----------------------------------------------------------------------

async fn caller(state: &ApiState, headers: &HeaderMap) -> ApiResult<Actor> {
    state
        .identify
        .identify(headers)
        .await
        .ok_or(ApiError::Unauthenticated)
}

fn staff(actor: &Actor) -> ApiResult<()> {
    Policy::check_staff(actor).map_err(ApiError::from)
}

/// A ticket id from the path; anything that is not one is a ticket that does not exist.
fn ticket_id(raw: &str) -> ApiResult<TicketId> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(TicketId)
        .ok_or(ApiError::Service(Error::NotFound))
}

fn json_body(body: &Bytes) -> ApiResult<Value> {
    if body.is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::MalformedJson(e.to_string()))
}

/// `Idempotency-Key` and `X-Socket-ID`; malformed values are field errors, not ignored.
fn write_context(headers: &HeaderMap) -> ApiResult<WriteContext> {
    let mut errors = FieldErrors::default();
    let header = |name: &str| headers.get(name).map(|v| v.to_str().map(str::trim));
    let idempotency_key = match header("idempotency-key") {
        None => None,
        Some(Ok(v)) => match v.parse() {
            Ok(k) => Some(k),
            Err(e) => {
                errors.add("Idempotency-Key", format!("{e}."));
                None
            }
        },
        Some(Err(_)) => {
            errors.add(
                "Idempotency-Key",
                "The Idempotency-Key header must be printable text.",
            );
            None
        }
    };
    let socket_id = match header("x-socket-id") {
        None | Some(Ok("")) => None,
        Some(Ok(v)) => match v.parse() {
            Ok(s) => Some(s),
            Err(_) => {
                errors.add(
                    "X-Socket-ID",
                    "The X-Socket-ID header must look like 1234.5678.",
                );
                None
            }
        },
        Some(Err(_)) => {
            errors.add(
                "X-Socket-ID",
                "The X-Socket-ID header must look like 1234.5678.",
            );
            None
        }
    };
    Ok(errors.finish(|| WriteContext {
        idempotency_key,
        socket_id,
    })?)
}

#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    cursor: Option<String>,
    limit: Option<String>,
}

fn limit(raw: Option<&str>) -> ApiResult<Option<u32>> {
    raw.map(|l| {
        l.trim()
            .parse::<u32>()
            .map_err(|_| Error::invalid("limit", "The limit field must be an integer."))
    })
    .transpose()
    .map_err(ApiError::from)
}

impl PageQuery {
    fn page(&self) -> ApiResult<PageRequest> {
        Ok(PageRequest {
            cursor: self.cursor.clone(),
            limit: limit(self.limit.as_deref())?,
        })
    }
}

#[derive(Debug, Default, Deserialize)]
struct MessagesQuery {
    after: Option<String>,
    before: Option<String>,
    limit: Option<String>,
}

impl MessagesQuery {
    fn position(&self) -> ApiResult<MessagePosition> {
        let id = |field: &str, raw: &str| {
            raw.trim().parse::<i64>().map(MessageId).map_err(|_| {
                ApiError::from(Error::invalid(
                    field,
                    format!("The {field} field must be an integer."),
                ))
            })
        };
        match (&self.after, &self.before) {
            (Some(_), Some(_)) => {
                Err(Error::invalid("before", "Give after or before, not both.").into())
            }
            (Some(a), None) => Ok(MessagePosition::After(id("after", a)?)),
            (None, Some(b)) => Ok(MessagePosition::Before(id("before", b)?)),
            (None, None) => Ok(MessagePosition::Latest),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    status: Option<String>,
    priority: Option<String>,
    category: Option<String>,
    assigned_to: Option<String>,
    q: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

impl ListQuery {
    fn filter(&self) -> ApiResult<TicketFilter> {
        let mut errors = FieldErrors::default();
        let given = |raw: &Option<String>| {
            raw.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let (status, priority, category) = (
            given(&self.status),
            given(&self.priority),
            given(&self.category),
        );
        let mut filter = TicketFilter::default();
        if let Some(s) = status {
            for part in s.split(',') {
                match validate::parse_choice::<Status>("status", part.trim()) {
                    Ok(v) => filter.statuses.push(v),
                    Err(_) => errors.add("status", "The selected status is invalid."),
                }
            }
        }
        if let Some(p) = priority {
            match validate::parse_choice::<Priority>("priority", &p) {
                Ok(v) => filter.priority = Some(v),
                Err(_) => errors.add("priority", "The selected priority is invalid."),
            }
        }
        if let Some(c) = category {
            match validate::parse_choice::<Category>("category", &c) {
                Ok(v) => filter.category = Some(v),
                Err(_) => errors.add("category", "The selected category is invalid."),
            }
        }
        match self.assigned_to.as_deref().map(str::trim) {
            None | Some("") => {}
            Some("none" | "null" | "unassigned") => filter.assigned_to = Some(None),
            Some(id) => match id.parse::<i64>() {
                Ok(id) => filter.assigned_to = Some(Some(UserId(id))),
                Err(_) => errors.add(
                    "assigned_to",
                    "The assigned to field must be an integer or none.",
                ),
            },
        }
        filter.text = self
            .q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(str::to_owned);
        if filter
            .text
            .as_ref()
            .is_some_and(|q| q.chars().count() > 255)
        {
            errors.add("q", "The q field must not be greater than 255 characters.");
        }
        Ok(errors.finish(|| filter)?)
    }
}

// ----- response shapes ----------------------------------------------------------------------

/// A message as the API shows it: the stored fields plus `author {id, full_name}`.
#[derive(Debug, Serialize)]
pub struct MessageView {
    #[serde(flatten)]
    message: Message,
    author: AuthorView,
}

#[derive(Debug, Serialize)]
struct AuthorView {
    id: UserId,
    full_name: String,
}

impl From<Message> for MessageView {
    fn from(m: Message) -> Self {
        let author = AuthorView {
            id: m.author_id,
            full_name: m.author_name.clone(),
        };
        MessageView { message: m, author }
    }
}

fn views(messages: Vec<Message>) -> Vec<MessageView> {
    messages.into_iter().map(MessageView::from).collect()
}

fn created<T: Serialize>(value: T) -> Response {
    (StatusCode::CREATED, Json(json!({ "data": value }))).into_response()
}

fn ok<T: Serialize>(value: T) -> Response {
    Json(json!({ "data": value })).into_response()
}

fn page<T: Serialize>(p: Page<T>) -> Response {
    Json(json!({ "data": p.data, "next_cursor": p.next_cursor })).into_response()
}

fn ticket_view(v: TicketView) -> Value {
    json!({ "ticket": v.ticket, "messages": views(v.messages), "has_older": v.has_older })
}

// ----- employee routes ----------------------------------------------------------------------

async fn my_tickets(
    State(s): State<ApiState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> ApiResult<Response> {
    let actor = caller(&s, &headers).await?;
    Ok(page(s.service.my_tickets(&actor, &q.page()?).await?))
}

async fn create_ticket(
    State(s): State<ApiState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let actor = caller(&s, &headers).await?;
    let ctx = write_context(&headers)?;
    let new = NewTicket::from_json(&json_body(&body)?)?;
    Ok(created(s.service.create_ticket(&actor, new, &ctx).await?))
}

async fn quick_chat(
    State(s): State<ApiState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let actor = caller(&s, &headers).await?;
    let ctx = write_context(&headers)?;
    let chat = QuickChat::from_json(&json_body(&body)?)?;
    let (ticket, message) = s.service.quick_chat(&actor, chat, &ctx).await?;
    Ok(created(
        json!({ "ticket": ticket, "message": MessageView::from(message) }),
    ))
}

async fn show_ticket<const STAFF: bool>(
    State(s): State<ApiState>,
    headers: HeaderMap,
    Path(t): Path<String>,
) -> ApiResult<Response> {
    let actor = caller(&s, &headers).await?;
    if STAFF {
        staff(&actor)?;
    }
    Ok(ok(ticket_view(
        s.service.show_ticket(&actor, ticket_id(&t)?).await?,
    )))
}

/// Posts a message from a `comment` (`content`) or `chat` (`message`) body. On a staff route
/// an employee gets 403 before anything else is looked at.
async fn post_message(
    s: &ApiState,
    headers: &HeaderMap,
    t: &str,
    body: &Bytes,
    field: &str,
    staff_only: bool,
) -> ApiResult<Response> {
    let actor = caller(s, headers).await?;
    if staff_only {
        staff(&actor)?;
    }
    let id = ticket_id(t)?;
    let ctx = write_context(headers)?;
    let message = NewMessage::from_json(&json_body(body)?, field)?;
    Ok(created(MessageView::from(
        s.service.post_message(&actor, id, message, &ctx).await?,
    )))
}

async fn comment<const STAFF: bool>(
    State(s): State<ApiState>,
    headers: HeaderMap,
    Path(t): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    post_message(&s, &headers, &t, &body, "content", STAFF).await
}

async fn chat<const STAFF: bool>(
    State(s): State<ApiState>,
    headers: HeaderMap,
    Path(t): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    post_message(&s, &headers, &t, &body, "message", STAFF).await
}

async fn messages<const STAFF: bool>(
    State(s): State<ApiState>,
    headers: HeaderMap,
    Path(t): Path<String>,
    Query(q): Query<MessagesQuery>,
) -> ApiResult<Response> {
    let actor = caller(&s, &headers).await?;
    if STAFF {
        staff(&actor)?;
    }
    let id = ticket_id(&t)?;
    let found = s
        .service
        .messages(&actor, id, q.position()?, limit(q.limit.as_deref())?)
        .await?;
    Ok(Json(json!({ "data": views(found) })).into_response())
}

// ----- staff routes -------------------------------------------------------------------------

async fn dashboard(
    State(s): State<ApiState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> ApiResult<Response> {
    let actor = caller(&s, &headers).await?;
    let d = s.service.dashboard(&actor, &q.page()?).await?;
    Ok(Json(
        json!({ "data": d.tickets.data, "next_cursor": d.tickets.next_cursor, "stats": d.stats }),
    )
    .into_response())
}

async fn stats(State(s): State<ApiState>, headers: HeaderMap) -> ApiResult<Response> {
    let actor = caller(&s, &headers).await?;
    Ok(Json(s.service.stats(&actor).await?).into_response())
}

async fn list_tickets(
    State(s): State<ApiState>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> ApiResult<Response> {
    let actor = caller(&s, &headers).await?;
    staff(&actor)?;
    let page_request = PageRequest {
        cursor: q.cursor.clone(),
        limit: limit(q.limit.as_deref())?,
    };
    Ok(page(
        s.service
            .list_tickets(&actor, q.filter()?, &page_request)
            .await?,
    ))
}

async fn live_chat(
    State(s): State<ApiState>,
    headers: HeaderMap,
    Path(t): Path<String>,
) -> ApiResult<Response> {
    let actor = caller(&s, &headers).await?;
    staff(&actor)?;
    let id = ticket_id(&t)?;
    let view = s.service.show_ticket(&actor, id).await?;
    let employee = s.service.directory().actor(view.ticket.employee_id).await?;
    let mut data = ticket_view(view);
    data["employee"] = json!(employee.map(|e| json!({"id": e.id, "full_name": e.name})));
    data["channel"] = json!(Channel::Ticket(id).to_string());
    Ok(ok(data))
}

async fn update_ticket(
    State(s): State<ApiState>,
    headers: HeaderMap,
    Path(t): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let actor = caller(&s, &headers).await?;
    staff(&actor)?;
    let id = ticket_id(&t)?;
    let ctx = write_context(&headers)?;
    let patch = TicketPatch::from_json(&json_body(&body)?)?;
    Ok(ok(s.service.update_ticket(&actor, id, patch, &ctx).await?))
}

async fn audit(
    State(s): State<ApiState>,
    headers: HeaderMap,
    Path(t): Path<String>,
) -> ApiResult<Response> {
    let actor = caller(&s, &headers).await?;
    Ok(
        Json(json!({ "data": s.service.audit_trail(&actor, ticket_id(&t)?).await? }))
            .into_response(),
    )
}
