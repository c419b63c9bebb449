//! The JSON API as an axum router over a [`SupportService`]: the routes of the Laravel
//! helpdesk this workspace rebuilds, under `/api`, with its answers and error shapes, so the
//! same clients work against either.
//!
//! - Who is calling comes from the embedder's [`Identify`]; the employee routes take any
//!   signed-in user, the staff routes refuse everyone but staff before a handler runs.
//! - Writes read `Idempotency-Key` (the service answers a retried write with the first
//!   result) and
//!   `X-Socket-ID` (that connection does not receive its own broadcast).
//! - Bodies are JSON: a non-empty body needs `Content-Type: application/json` (or another
//!   `application/…+json`), else 415; an empty body is `{}`; at most [`MAX_BODY_BYTES`].
//! - Successes answer `{"data": …}` (pages add `next_cursor`). Every failure is an
//!   [`ApiError`], whose one `IntoResponse` decides each status code and answers Laravel's
//!   shape `{"message": …}` (422 adds `errors: {field: [messages]}`): 400 for a body that is
//!   not JSON or a malformed query string, 401 for an unknown caller, 403 for a refused
//!   operation, 404 for a ticket the caller may not see (whether or not it exists, and for an
//!   id that is not a number), 405 for a wrong method, 409 for a reused idempotency key, 413
//!   for an oversized body, 415 for a body that is not declared JSON, 422 with field errors,
//!   429 with `Retry-After` once rate limits exist, 503 while the identity backend or the
//!   store is unavailable.
//!
//! The modules: `error` ([`ApiError`], the statuses), `extract` (who is calling, which
//! ticket, the write headers, query and body), `query` (the query strings), `view` (the
//! answers' shapes), `employee` and `staff` (each side's router and its own handlers), and
//! `conversation` (the handlers both sides share). A new route is a handler in the module of
//! its side, one line in that side's `routes()`, and one line in [`router`]'s list below.

mod conversation;
mod employee;
mod error;
mod extract;
mod query;
mod staff;
mod view;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use support_core::SupportService;

use crate::identify::Identify;

pub use error::ApiError;
pub use view::MessageView;

/// The largest request body accepted; larger ones get 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Where the employee routes are mounted.
const EMPLOYEE: &str = "/api/employee/portal/support";
/// Where the staff routes are mounted.
const STAFF: &str = "/api/admin/support";

/// What the handlers share: the service and the way to identify callers.
#[derive(Clone)]
pub(crate) struct ApiState {
    service: SupportService,
    identify: Arc<dyn Identify>,
}

/// The JSON API. It mounts absolute paths, all under `/api`:
///
/// - employee (any signed-in user; an employee sees only their own tickets):
///   `GET|POST /api/employee/portal/support`, `POST …/quick-chat`, `GET …/{ticket}`,
///   `POST …/{ticket}/comment`, `POST …/{ticket}/chat`,
///   `GET …/{ticket}/messages?after=&before=&limit=`;
/// - staff (support, admin, hr; 403 for anyone else): `GET /api/admin/support/dashboard`,
///   `GET /api/admin/support` (filters `status`, `priority`, `category`, `assigned_to`, `q`,
///   paging `cursor`, `limit`), `GET /api/admin/support/stats`,
///   `GET /api/admin/support/users`, `GET|PATCH /api/admin/support/{ticket}`,
///   `GET …/{ticket}/live-chat`, `POST …/{ticket}/chat`, `POST …/{ticket}/comment`,
///   `GET …/{ticket}/messages`, `GET …/{ticket}/audit`.
///
/// A path it does not mount (`/api/nope`) is left to your app's fallback, as axum does with
/// merged routers; a mounted path with the wrong method is the API's 405.
///
/// Merge it into your app as it is (`app.merge(api::router(…))`, and the paths are the ones
/// above), or nest it under a prefix, which goes in front of `/api`: nested under
/// `/support`, the employee list is `/support/api/employee/portal/support`.
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
    let state = ApiState {
        service,
        identify: Arc::new(identify),
    };
    Router::new()
        .nest(EMPLOYEE, employee::routes())
        .nest(STAFF, staff::routes(state.clone()))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
