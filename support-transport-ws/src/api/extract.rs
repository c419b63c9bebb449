//! The request pieces handlers take, as axum extractors whose every rejection is an
//! [`ApiError`]: who is calling ([`Caller`], [`Staff`]), whether they may write again now
//! ([`MessageWrite`], [`TicketWrite`]), which ticket ([`TicketPath`]), the write headers
//! ([`WriteHeaders`]), the query string ([`ApiQuery`]) and the body ([`JsonBody`]).
//!
//! Handlers list them in this order, so a request is judged in the same order everywhere:
//! 401/503 (identity), 403 (staff routes), 429 (the caller's rate of writes), 404 (ticket
//! id), 422 (headers, query fields), 400/413/415 (body), 422 (body fields).
//!
//! For the OpenAPI document, each extractor says what it can refuse (`utoipa::IntoResponses`:
//! a handler's `responses(...)` names the extractors it takes), and the ones that read
//! parameters describe them (`utoipa::IntoParams`: the handler's `params(...)`).

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody};
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;
use serde_json::Value;
use support_core::{Actor, Error, FieldErrors, IdempotencyKey, Policy, TicketId, WriteContext};
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{KnownFormat, Object, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Required};
use utoipa::{IntoParams, IntoResponses};

use super::document::errors;
use super::{ApiError, ApiState};

type Responses = BTreeMap<String, RefOr<utoipa::openapi::Response>>;

/// The signed-in caller, whatever their role. Identifies the request through the router's
/// [`Identify`](crate::Identify): `Ok(None)` is 401 and an unavailable backend 503, before
/// the handler body runs.
#[derive(Debug, Clone)]
pub(crate) struct Caller(pub(crate) Actor);

/// A signed-in staff member (support, admin, hr): everything [`Caller`] checks, then 403 for
/// an employee. The staff router runs it once as a guard over every route it holds, so even
/// the handlers both sides share never run for an employee there.
#[derive(Debug, Clone)]
pub(crate) struct Staff(pub(crate) Actor);

/// The caller, once identified for this request: the staff guard identifies, the handler's
/// own extractor reads it here instead of asking the identity backend again. Private, so
/// nothing outside this module can claim an identity.
#[derive(Clone)]
struct Identified(Actor);

impl FromRequestParts<ApiState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        if let Some(Identified(actor)) = parts.extensions.get::<Identified>() {
            return Ok(Caller(actor.clone()));
        }
        // Where the request came from goes with the caller into what they do: the audit
        // trail records it.
        let actor = state
            .identify
            .identify(&parts.headers)
            .await?
            .ok_or(ApiError::Unauthenticated)?
            .from_origin(crate::ClientAddr::of(&parts.extensions));
        parts.extensions.insert(Identified(actor.clone()));
        Ok(Caller(actor))
    }
}

impl FromRequestParts<ApiState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        let Caller(actor) = Caller::from_request_parts(parts, state).await?;
        Policy::check_staff(&actor)?;
        Ok(Staff(actor))
    }
}

impl IntoResponses for Caller {
    fn responses() -> Responses {
        errors(&[StatusCode::UNAUTHORIZED, StatusCode::SERVICE_UNAVAILABLE])
    }
}

impl IntoResponses for Staff {
    fn responses() -> Responses {
        errors(&[
            StatusCode::UNAUTHORIZED,
            StatusCode::FORBIDDEN,
            StatusCode::SERVICE_UNAVAILABLE,
        ])
    }
}

/// A message write (chat, comment, note) within the caller's rate
/// ([`RateLimits::messages_per_user`](crate::RateLimits::messages_per_user)): 429 with
/// `Retry-After` past it. Every attempt counts, whatever comes of it. Takes the caller as
/// [`Caller`] does, so it follows it (or [`Staff`]) in a handler's arguments.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MessageWrite;

/// A ticket write (opening one, a quick chat, a staff change) within the caller's rate
/// ([`RateLimits::ticket_writes_per_user`](crate::RateLimits::ticket_writes_per_user)): 429
/// with `Retry-After` past it, as [`MessageWrite`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct TicketWrite;

impl FromRequestParts<ApiState> for MessageWrite {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        let Caller(actor) = Caller::from_request_parts(parts, state).await?;
        state.writes.messages.check(&actor.id)?;
        Ok(MessageWrite)
    }
}

impl FromRequestParts<ApiState> for TicketWrite {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        let Caller(actor) = Caller::from_request_parts(parts, state).await?;
        state.writes.tickets.check(&actor.id)?;
        Ok(TicketWrite)
    }
}

impl IntoResponses for MessageWrite {
    fn responses() -> Responses {
        errors(&[StatusCode::TOO_MANY_REQUESTS])
    }
}

impl IntoResponses for TicketWrite {
    fn responses() -> Responses {
        errors(&[StatusCode::TOO_MANY_REQUESTS])
    }
}

/// The `{ticket}` of the path. Anything that is not a positive integer names a ticket that
/// does not exist: 404, like a ticket the caller may not see.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TicketPath(pub(crate) TicketId);

impl<S: Send + Sync> FromRequestParts<S> for TicketPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        path_id(parts, state, "ticket")
            .await
            .map(|id| TicketPath(TicketId(id)))
    }
}

/// The path parameter `name` as a positive id; anything else (or no such parameter) is 404.
/// Works whatever other parameters the path has.
pub(crate) async fn path_id<S: Send + Sync>(
    parts: &mut Parts,
    state: &S,
    name: &str,
) -> Result<i64, ApiError> {
    path_param(parts, state, name)
        .await?
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(ApiError::Service(Error::NotFound))
}

/// The path parameter `name`, percent-decoded; no such parameter is 404.
pub(crate) async fn path_param<S: Send + Sync>(
    parts: &mut Parts,
    state: &S,
    name: &str,
) -> Result<String, ApiError> {
    let Path(mut params) = Path::<BTreeMap<String, String>>::from_request_parts(parts, state)
        .await
        .map_err(|_| Error::NotFound)?;
    params
        .remove(name)
        .ok_or(ApiError::Service(Error::NotFound))
}

impl IntoParams for TicketPath {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![id_param(
            "ticket",
            "The ticket's id. Anything else, or a ticket the caller may not see, is 404.",
        )]
    }
}

/// A path parameter that is a positive id (read with [`path_id`]), for the OpenAPI document.
pub(crate) fn id_param(name: &str, description: &str) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(description))
        .schema(Some(
            Object::builder()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                .minimum(Some(1))
                .examples([1]),
        ))
        .build()
}

impl IntoResponses for TicketPath {
    fn responses() -> Responses {
        errors(&[StatusCode::NOT_FOUND])
    }
}

/// `Idempotency-Key` and `X-Socket-ID` of a write. A malformed value is a 422 naming the
/// header, never silently ignored; an empty `X-Socket-ID` is no socket.
#[derive(Debug, Clone)]
pub(crate) struct WriteHeaders(pub(crate) WriteContext);

impl<S: Send + Sync> FromRequestParts<S> for WriteHeaders {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(WriteHeaders(write_context(&parts.headers)?))
    }
}

impl IntoParams for WriteHeaders {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let header = |name: &str, description: &str, schema: Object| {
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(description))
                .schema(Some(schema))
                .build()
        };
        vec![
            header(
                "Idempotency-Key",
                "Makes a create safe to retry: the same user sending the same key again gets \
                 the first result back and nothing new is stored; the same key on a different \
                 request is 409. 1 to 255 printable characters.",
                Object::builder()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some(IdempotencyKey::MAX_LEN))
                    .pattern(Some("^[ -~]*$"))
                    .build(),
            ),
            header(
                "X-Socket-ID",
                "The Pusher socket id of the caller's websocket connection (`1234.5678`), which \
                 then does not receive the broadcast this write causes. Empty: none.",
                Object::builder()
                    .schema_type(Type::String)
                    .pattern(Some("^([0-9]{1,20}\\.[0-9]{1,20})?$"))
                    .build(),
            ),
        ]
    }
}

impl IntoResponses for WriteHeaders {
    fn responses() -> Responses {
        errors(&[StatusCode::UNPROCESSABLE_ENTITY])
    }
}

fn write_context(headers: &HeaderMap) -> Result<WriteContext, Error> {
    const SOCKET_ID: &str = "The X-Socket-ID header must look like 1234.5678.";
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
                errors.add("X-Socket-ID", SOCKET_ID);
                None
            }
        },
        Some(Err(_)) => {
            errors.add("X-Socket-ID", SOCKET_ID);
            None
        }
    };
    errors.finish(|| WriteContext {
        idempotency_key,
        socket_id,
    })
}

/// The query string as `T`. Its fields are strings that the query types check themselves,
/// so that a bad value is a 422 naming the field; what is left for this extractor (a field
/// given twice) is a 400.
#[derive(Debug, Clone)]
pub(crate) struct ApiQuery<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        serde_urlencoded::from_str(parts.uri.query().unwrap_or_default())
            .map(ApiQuery)
            .map_err(|e| ApiError::MalformedQuery(e.to_string()))
    }
}

impl<T> IntoResponses for ApiQuery<T> {
    fn responses() -> Responses {
        errors(&[StatusCode::BAD_REQUEST, StatusCode::UNPROCESSABLE_ENTITY])
    }
}

/// The body as a JSON value, for the core's validators (which name each failing field).
///
/// - An empty body is `{}`, whatever the headers say (a PATCH that changes nothing); so is
///   `null`, as a `null` field is an absent one.
/// - A non-empty body must be sent as JSON: `Content-Type: application/json` or any
///   `application/…+json`, parameters such as `charset` allowed. Without it, or with another
///   type (a form, `text/plain`), the answer is 415, so a client that forgot the header is told
///   so instead of getting field errors for fields it did send.
/// - A body larger than [`MAX_BODY_BYTES`](super::MAX_BODY_BYTES) is 413; one that is not JSON
///   (including invalid UTF-8) is 400; JSON that is not an object (`[…]`, `"text"`, `1`) is
///   422 naming `body`, since no route reads anything but an object's fields.
///
/// It reads the body, so it is the handler's last argument.
#[derive(Debug, Clone)]
pub(crate) struct JsonBody(pub(crate) Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let declared_json = is_json(request.headers());
        let bytes =
            Bytes::from_request(request, state)
                .await
                .map_err(|rejection| match rejection {
                    BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_)) => {
                        ApiError::PayloadTooLarge
                    }
                    other => ApiError::UnreadableBody(other.body_text()),
                })?;
        if bytes.is_empty() {
            return Ok(JsonBody(Value::Object(Default::default())));
        }
        if !declared_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        match serde_json::from_slice(&bytes) {
            Ok(object @ Value::Object(_)) => Ok(JsonBody(object)),
            Ok(Value::Null) => Ok(JsonBody(Value::Object(Default::default()))),
            Ok(_) => Err(Error::invalid("body", "The request body must be a JSON object.").into()),
            Err(e) => Err(ApiError::MalformedJson(e.to_string())),
        }
    }
}

/// What reading a body can refuse, and the 422 of the validators every handler hands it to.
impl IntoResponses for JsonBody {
    fn responses() -> Responses {
        errors(&[
            StatusCode::BAD_REQUEST,
            StatusCode::PAYLOAD_TOO_LARGE,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            StatusCode::UNPROCESSABLE_ENTITY,
        ])
    }
}

/// `application/json` or `application/…+json`, with any parameters.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|subtype| subtype.ends_with("+json"))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn content_type(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn json_content_types_are_told_from_others() {
        for json in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/merge-patch+json",
        ] {
            assert!(is_json(&content_type(json)), "{json}");
        }
        for other in [
            "text/plain;charset=UTF-8",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonp",
            "text/json+json",
        ] {
            assert!(!is_json(&content_type(other)), "{other}");
        }
        assert!(!is_json(&HeaderMap::new()));
    }
}
