//! [`ApiError`]: every failure the JSON API answers, and the one place where each gets its
//! status code and Laravel's JSON shape.

use std::time::Duration;

use axum::Json;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use support_core::{Error, FieldErrors};
use utoipa::ToSchema;

use super::MAX_BODY_BYTES;
use super::view;

/// An API failure, answered in Laravel's JSON shape: `{"message": "…"}`, plus `errors`
/// (`{field: [messages]}`) for 422. Extractors and handlers only say what went wrong; the
/// status code of each kind is decided here, in [`IntoResponse`], and nowhere else.
///
/// | variant | status |
/// |---|---|
/// | [`MalformedJson`](Self::MalformedJson), [`MalformedQuery`](Self::MalformedQuery), [`UnreadableBody`](Self::UnreadableBody) | 400 |
/// | [`Unauthenticated`](Self::Unauthenticated) | 401 |
/// | `Service(Error::Forbidden)` | 403 (with `reason`) |
/// | `Service(Error::NotFound)` | 404 |
/// | [`MethodNotAllowed`](Self::MethodNotAllowed) | 405 |
/// | `Service(Error::Conflict)` | 409 |
/// | `Service(Error::Stale)` | 409 (with `data`: the ticket now, and its `ETag`) |
/// | [`PayloadTooLarge`](Self::PayloadTooLarge) | 413 |
/// | [`UnsupportedMediaType`](Self::UnsupportedMediaType) | 415 |
/// | `Service(Error::Invalid)` | 422 (with `errors`) |
/// | [`TooManyRequests`](Self::TooManyRequests) | 429 (with `Retry-After`) |
/// | `Service(Error::Unavailable)` | 503 |
/// | `Service(Error::Backend)` and anything else | 500, logged |
#[derive(Debug)]
#[non_exhaustive]
pub enum ApiError {
    /// No credentials, or credentials that prove nobody.
    Unauthenticated,
    /// The body is not JSON; the parser's explanation.
    MalformedJson(String),
    /// The query string cannot be read (a field given twice); the parser's explanation.
    MalformedQuery(String),
    /// The body could not be read off the connection.
    UnreadableBody(String),
    /// A non-empty body without `Content-Type: application/json` (or another `…+json` type).
    UnsupportedMediaType,
    /// The body is larger than [`MAX_BODY_BYTES`].
    PayloadTooLarge,
    /// The path exists but not with this method.
    MethodNotAllowed,
    /// The caller sent too many requests; they may try again after `retry_after`.
    TooManyRequests {
        /// How long to wait, sent as `Retry-After` in whole seconds (rounded up).
        retry_after: Duration,
    },
    /// A service error, mapped by kind.
    Service(Error),
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError::Service(e)
    }
}

/// The body of every error but 403 and 422: `{"message": "…"}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"message": "Unauthenticated."}))]
pub(crate) struct ErrorBody {
    /// What went wrong, for a person.
    message: String,
}

/// The body of a 403: the message Laravel gives, and why.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"message": "This action is unauthorized.", "reason": "staff only"}))]
pub(crate) struct ForbiddenBody {
    /// Always `This action is unauthorized.`
    message: String,
    /// Which rule refused the operation.
    reason: String,
}

/// The body of a 422: Laravel's validation answer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "message": "The subject field is required. (and 1 more error)",
    "errors": {"subject": ["The subject field is required."], "priority": ["The selected priority is invalid."]}
}))]
pub(crate) struct ValidationBody {
    /// The first field's first message, and how many more there are.
    message: String,
    /// Every failing field (a body field, a query parameter, or the `Idempotency-Key` or
    /// `X-Socket-ID` header), each with its messages.
    #[schema(value_type = BTreeMap<String, Vec<String>>)]
    errors: FieldErrors,
}

fn message(text: impl Into<String>) -> Response {
    Json(ErrorBody {
        message: text.into(),
    })
    .into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut retry_after = None;
        let (status, body) = match self {
            ApiError::Unauthenticated => (StatusCode::UNAUTHORIZED, message("Unauthenticated.")),
            ApiError::MalformedJson(why) => (
                StatusCode::BAD_REQUEST,
                message(format!("The request body is not valid JSON: {why}")),
            ),
            ApiError::MalformedQuery(why) => (
                StatusCode::BAD_REQUEST,
                message(format!("The query string is malformed: {why}")),
            ),
            ApiError::UnreadableBody(why) => (
                StatusCode::BAD_REQUEST,
                message(format!("The request body could not be read: {why}")),
            ),
            ApiError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                message("Send the request body as JSON, with Content-Type: application/json."),
            ),
            ApiError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                message(format!(
                    "The request body is larger than {MAX_BODY_BYTES} bytes."
                )),
            ),
            ApiError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                message("The method is not supported for this route."),
            ),
            ApiError::TooManyRequests { retry_after: wait } => {
                retry_after = Some(crate::Throttled { retry_after: wait }.retry_after_secs());
                (StatusCode::TOO_MANY_REQUESTS, message("Too Many Attempts."))
            }
            ApiError::Service(e) => match e {
                Error::NotFound => (StatusCode::NOT_FOUND, message("Not found.")),
                Error::Forbidden(why) => (
                    StatusCode::FORBIDDEN,
                    Json(ForbiddenBody {
                        message: "This action is unauthorized.".into(),
                        reason: why.into(),
                    })
                    .into_response(),
                ),
                Error::Invalid(fields) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Json(ValidationBody {
                        message: fields.to_string(),
                        errors: fields,
                    })
                    .into_response(),
                ),
                Error::Conflict(why) => (StatusCode::CONFLICT, message(why)),
                Error::Stale(ticket) => (StatusCode::CONFLICT, view::stale(*ticket)),
                Error::Unavailable(why) => {
                    tracing::warn!(%why, "backend unavailable");
                    (
                        StatusCode::SERVICE_UNAVAILABLE,
                        message("The service is temporarily unavailable."),
                    )
                }
                other => {
                    tracing::error!(error = %other, "request failed");
                    (StatusCode::INTERNAL_SERVER_ERROR, message("Server error."))
                }
            },
        };
        let mut response = (status, body).into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_many_requests_says_when_to_retry_in_whole_seconds() {
        for (wait, header) in [
            (Duration::from_millis(1500), "2"),
            (Duration::from_secs(30), "30"),
            (Duration::ZERO, "1"),
        ] {
            let response = ApiError::TooManyRequests { retry_after: wait }.into_response();
            assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
            assert_eq!(
                response.headers().get(RETRY_AFTER).map(|v| v.as_bytes()),
                Some(header.as_bytes())
            );
        }
    }
}
