//! The JSON API as an axum router over a [`SupportService`]: the routes of the Laravel
//! helpdesk this workspace rebuilds, under `/api`, with its answers and error shapes, so the
//! same clients work against either.
//!
//! - Who is calling comes from the embedder's [`Identify`]; the employee routes take any
//!   signed-in user, the staff routes refuse everyone but staff before a handler runs.
//! - Writes read `Idempotency-Key` (the service answers a retried write with the first
//!   result) and
//!   `X-Socket-ID` (that connection does not receive its own broadcast).
//! - Bodies are JSON objects: a non-empty body needs `Content-Type: application/json` (or
//!   another `application/…+json`), else 415; an empty body (or `null`) is `{}`; JSON that is
//!   not an object is 422; at most [`MAX_BODY_BYTES`].
//! - Every answer carries `Cache-Control: no-store` and `X-Content-Type-Options: nosniff`.
//! - Successes answer `{"data": …}` (pages add `next_cursor`). Every failure is an
//!   [`ApiError`], whose one `IntoResponse` decides each status code and answers Laravel's
//!   shape `{"message": …}` (422 adds `errors: {field: [messages]}`): 400 for a body that is
//!   not JSON or a malformed query string, 401 for an unknown caller, 403 for a refused
//!   operation, 404 for a ticket the caller may not see (whether or not it exists, and for an
//!   id that is not a number), 405 for a wrong method, 409 for a reused idempotency key, 413
//!   for an oversized body, 415 for a body that is not declared JSON, 422 with field errors,
//!   429 with `Retry-After` for a user past their rate of writes
//!   ([`RateLimits`]: messages, ticket writes), 503 while the identity
//!   backend or the store is unavailable.
//! - The API describes itself: `GET /api/openapi.json` (no sign-in needed) serves an
//!   OpenAPI 3.1 document made from the code, with every route, its parameters, body fields,
//!   answers and error statuses.
//!
//! The modules: `error` ([`ApiError`], the statuses), `extract` (who is calling, which
//! ticket, the write headers, query and body), `query` (the query strings), `body` (the
//! request bodies, as the document describes them), `view` (the answers' shapes), `employee`
//! and `staff` (each side's router and its own handlers), `conversation` (what both sides do
//! on one ticket), `canned` (canned responses and ticket templates, both sides), `reads` (the read route both sides share and the read state every ticket
//! object carries), and `document` (the OpenAPI document's frame and the route serving it).
//!
//! A new route is a handler in the module of its side with a `#[utoipa::path]` annotation
//! (its path, parameters, body and answers), one `routes!` line in that side's `routes()`,
//! and one line in [`router`]'s list below. The router and the document are both made from
//! those lines, so a route cannot be mounted without being documented; the test
//! `tests/openapi.rs` compares the document with the list of routes it expects.

mod attachments;
mod audit;
mod body;
mod canned;
mod conversation;
mod csv_download;
mod document;
mod employee;
mod error;
mod extract;
mod query;
mod reactions;
mod reads;
mod reports;
mod search;
mod staff;
mod transcript;
mod view;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::{Extension, Router};
use support_core::SupportService;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::identify::Identify;
use crate::throttle::{RateLimits, Throttle};

pub use document::{ERROR_BODY_SCHEMA, TOO_MANY_REQUESTS_RESPONSE};
pub use error::ApiError;
pub use view::MessageView;

/// The largest request body accepted; larger ones get 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Where the employee routes are mounted.
const EMPLOYEE: &str = "/api/employee/portal/support";
/// Where the staff routes are mounted.
const STAFF: &str = "/api/admin/support";

/// What the handlers share: the service, the way to identify callers, and the rates of
/// writes per user.
#[derive(Clone)]
pub(crate) struct ApiState {
    service: SupportService,
    identify: Arc<dyn Identify>,
    writes: Writes,
    /// The upload routes' storage and limits; `None`: they answer 404.
    uploads: Option<Arc<crate::attachments::Attachments>>,
}

/// The write throttles, per user.
#[derive(Clone)]
pub(crate) struct Writes {
    /// Chat messages, comments and notes.
    pub(crate) messages: Throttle<support_core::UserId>,
    /// Opening a ticket, and the staff's changes to one.
    pub(crate) tickets: Throttle<support_core::UserId>,
}

impl Writes {
    fn new(limits: &RateLimits) -> Self {
        Writes {
            messages: Throttle::with_max_keys(limits.messages_per_user, limits.max_keys),
            tickets: Throttle::with_max_keys(limits.ticket_writes_per_user, limits.max_keys),
        }
    }
}

/// The JSON API. It mounts absolute paths, all under `/api`:
///
/// - `GET /api/openapi.json`: the API's OpenAPI 3.1 document (no sign-in needed);
/// - employee (any signed-in user; an employee sees only their own tickets):
///   `GET|POST /api/employee/portal/support`, `POST …/quick-chat`, `GET …/{ticket}`,
///   `POST …/{ticket}/comment`, `POST …/{ticket}/chat`,
///   `GET …/{ticket}/messages?after=&before=&limit=`, `POST …/{ticket}/read`,
///   `GET …/{ticket}/transcript`, `GET …/templates`,
///   `POST|DELETE …/{ticket}/messages/{message}/reactions[/{emoji}]`,
///   `POST …/{ticket}/attachments` (multipart upload) and
///   `GET …/{ticket}/attachments/{id}` (the download both sides use; see
///   [`router_with_attachments`]);
/// - staff (support, admin, hr; 403 for anyone else): `GET /api/admin/support/dashboard`,
///   `GET /api/admin/support` (filters `status`, `priority`, `category`, `assigned_to`, `q`,
///   paging `cursor`, `limit`), `GET /api/admin/support/stats`,
///   `GET /api/admin/support/users`, `GET|PATCH /api/admin/support/{ticket}`,
///   `GET …/{ticket}/live-chat`, `POST …/{ticket}/chat`, `POST …/{ticket}/comment`,
///   `GET …/{ticket}/messages`, `GET …/{ticket}/audit`, `POST …/{ticket}/read`,
///   `GET …/{ticket}/transcript`, `POST|DELETE …/{ticket}/messages/{message}/reactions[/{emoji}]`,
///   `POST …/{ticket}/attachments`, `GET|POST …/canned-responses`,
///   `PATCH|DELETE …/canned-responses/{id}`, `POST …/{ticket}/canned-responses/{id}/render`,
///   `GET|POST …/templates`, `PATCH|DELETE …/templates/{id}` (templates' writes and shared
///   canned responses: admins only).
///
/// A path it does not mount (`/api/nope`) is left to your app's fallback, as axum does with
/// merged routers; a mounted path with the wrong method is the API's 405.
///
/// Merge it into your app as it is (`app.merge(api::router(…))`, and the paths are the ones
/// above), or nest it under a prefix, which goes in front of `/api`: nested under
/// `/support`, the employee list is `/support/api/employee/portal/support` (tell the document
/// with [`router_with_document`], as a `servers` entry `/support`).
///
/// ```
/// use axum::Router;
/// use axum::body::Body;
/// use axum::http::{Request, StatusCode};
/// use support_core::*;
/// use support_transport_ws::{AppConfig, Hub, api, identify_fn};
/// use tower::ServiceExt;
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let alice = Actor::new(1, "Alice", Role::Employee);
/// let hub = Hub::new(AppConfig::new("app-id", "app-key", "app-secret"));
/// let service = SupportService::new(MemoryStore::new(), hub, StaticDirectory::new([alice.clone()]));
/// // Everyone is Alice: replace with your session lookup.
/// let identify = identify_fn(move |_headers| {
///     let alice = alice.clone();
///     Box::pin(async move { Ok(Some(alice)) })
/// });
///
/// let app = Router::new().nest("/support", api::router(service, identify));
///
/// let request = Request::get("/support/api/employee/portal/support").body(Body::empty()).unwrap();
/// let response = app.oneshot(request).await.unwrap();
/// assert_eq!(response.status(), StatusCode::OK);
/// # });
/// ```
pub fn router(service: SupportService, identify: impl Identify) -> Router {
    router_with_document(service, identify, |_| {})
}

/// [`router`], serving at `/api/openapi.json` the document as `edit` leaves it. Describe there
/// what your app puts around the API: another way to sign in (a security scheme, and the
/// statuses your middleware answers), or the prefix it is nested under (a `servers` entry).
/// Writes are throttled at the default [`RateLimits`]; [`router_with_limits`] takes others.
///
/// ```
/// use support_core::*;
/// use support_transport_ws::{AppConfig, Hub, api, identify_fn};
/// use utoipa::openapi::ServerBuilder;
///
/// let hub = Hub::new(AppConfig::new("app-id", "app-key", "app-secret"));
/// let service = SupportService::new(MemoryStore::new(), hub, StaticDirectory::default());
/// let identify = identify_fn(|_headers| Box::pin(async { Ok(None) }));
/// let app = axum::Router::new().nest(
///     "/support",
///     api::router_with_document(service, identify, |document| {
///         document.servers = Some(vec![ServerBuilder::new().url("/support").build()]);
///     }),
/// );
/// # let _: axum::Router = app;
/// ```
pub fn router_with_document(
    service: SupportService,
    identify: impl Identify,
    edit: impl FnOnce(&mut OpenApi),
) -> Router {
    router_with_limits(service, identify, &RateLimits::default(), edit)
}

/// [`router_with_document`], with the writes of each user throttled at `limits`
/// ([`RateLimits::messages_per_user`], [`RateLimits::ticket_writes_per_user`]; the other
/// fields are the Pusher side's). [`SupportChat`](crate::SupportChat) passes its app's
/// [`AppConfig::rate_limits`](crate::AppConfig::rate_limits).
pub fn router_with_limits(
    service: SupportService,
    identify: impl Identify,
    limits: &RateLimits,
    edit: impl FnOnce(&mut OpenApi),
) -> Router {
    router_with_attachments(service, identify, limits, None, edit)
}

/// [`router_with_limits`], with the attachment routes served from `attachments` (without,
/// they answer 404): `POST …/{ticket}/attachments` on both sides and
/// `GET /api/employee/portal/support/{ticket}/attachments/{id}`.
/// [`SupportChat`](crate::SupportChat) passes its builder's
/// [`attachments`](crate::SupportChatBuilder::attachments).
pub fn router_with_attachments(
    service: SupportService,
    identify: impl Identify,
    limits: &RateLimits,
    attachments: Option<crate::attachments::Attachments>,
    edit: impl FnOnce(&mut OpenApi),
) -> Router {
    let state = ApiState {
        service,
        identify: Arc::new(identify),
        writes: Writes::new(limits),
        uploads: attachments.map(Arc::new),
    };
    let (router, mut document) = routes(state.clone()).split_for_parts();
    edit(&mut document);
    let router = router
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(Extension(document::Served::new(&document)));
    private_answers(router).with_state(state)
}

/// Every answer of `router` carries `Cache-Control: no-store` (no cache, shared or the
/// browser's, keeps one: they hold the caller's data) and `X-Content-Type-Options: nosniff`
/// (a browser takes them for what their `Content-Type` says, never for HTML or script). For
/// the JSON API and channel auth.
pub(crate) fn private_answers<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
}

/// Every route with its documentation: the router and the OpenAPI document are both made
/// from this list (and the two sides' `routes()`).
fn routes(state: ApiState) -> OpenApiRouter<ApiState> {
    OpenApiRouter::with_openapi(document::frame())
        .routes(routes!(document::openapi_json))
        .nest(EMPLOYEE, employee::routes())
        .nest(STAFF, staff::routes(state))
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
