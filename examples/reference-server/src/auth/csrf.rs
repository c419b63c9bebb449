//! The CSRF guard for requests that a session cookie authenticates.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Json, Response};
use serde_json::json;
use support_transport_ws::api::ApiError;

use super::Identity;

/// Refuses a state-changing request that a live session cookie authenticates unless it
/// carries the session's CSRF token in `X-CSRF-TOKEN`: 419, as Laravel answers. Requests with
/// an `Authorization` header are judged by it alone and pass through, and so do requests
/// whose cookie proves no live session (the handler then answers 401). While the session
/// store cannot answer: 503.
pub(crate) async fn csrf_guard(
    State(identity): State<Arc<Identity>>,
    request: Request,
    next: Next,
) -> Response {
    if !request.method().is_safe() {
        let session = match identity.session(request.headers()).await {
            Ok(session) => session,
            Err(e) => return ApiError::from(e).into_response(),
        };
        if let Some(session) = session {
            let given = request
                .headers()
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if !identity.sessions.csrf_matches(&session, given) {
                return (
                    page_expired(),
                    Json(json!({"message": "CSRF token mismatch."})),
                )
                    .into_response();
            }
        }
    }
    next.run(request).await
}

/// 419, Laravel's answer to a missing or wrong CSRF token ("Page Expired").
pub(crate) fn page_expired() -> StatusCode {
    StatusCode::from_u16(419).unwrap_or(StatusCode::FORBIDDEN)
}
