//! The OpenAPI 3.1 document of the JSON API, made from the code: every route's
//! `#[utoipa::path]` (its parameters, body and answers), the shapes' `ToSchema`, and here the
//! rest: the document's info and tags, the bearer scheme, the error answers by status, and the
//! route that serves it at `GET /api/openapi.json`.
//!
//! A handler lists its error answers by naming the extractors it takes (each implements
//! `utoipa::IntoResponses` in `extract`, with what it can refuse) and the statuses its service
//! call adds ([`errors`]); every error answer is one of [`ERRORS`], a `$ref` to the document's
//! `components/responses`.

use std::collections::BTreeMap;

use axum::Extension;
use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::schema::{Object, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi as _};

/// The tag of the employee portal's operations.
pub(crate) const EMPLOYEE_TAG: &str = "employee";
/// The tag of the staff operations.
pub(crate) const STAFF_TAG: &str = "staff";
/// The tag of this document's own route.
const DOCUMENT_TAG: &str = "document";
/// The name of the bearer security scheme.
pub(crate) const BEARER: &str = "bearer";

/// The name of the `{"message": …}` error body in the document's `components/schemas`, for an
/// embedder who documents the errors its own middleware answers in the same shape.
pub const ERROR_BODY_SCHEMA: &str = "ErrorBody";

/// The name of the 429 answer in the document's `components/responses` (with its
/// `Retry-After` header), for an embedder whose own middleware throttles too.
pub const TOO_MANY_REQUESTS_RESPONSE: &str = "TooManyRequests";

/// Every error answer, as `components/responses`: (status, name, description, body schema).
/// The bodies are [`ApiError`](super::ApiError)'s, which decides the statuses.
pub(crate) const ERRORS: &[(StatusCode, &str, &str, &str)] = &[
    (
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "The request cannot be read: a body that is not JSON (or not UTF-8), or a query \
         string with a field given twice.",
        ERROR_BODY_SCHEMA,
    ),
    (
        StatusCode::UNAUTHORIZED,
        "Unauthenticated",
        "No credentials, or credentials that prove nobody.",
        ERROR_BODY_SCHEMA,
    ),
    (
        StatusCode::FORBIDDEN,
        "Forbidden",
        "The caller may not do this: staff only, or an internal note written by an employee. \
         `reason` says which rule refused it.",
        "ForbiddenBody",
    ),
    (
        StatusCode::NOT_FOUND,
        "NotFound",
        "No such ticket, or one the caller may not see (an employee sees only their own), or a \
         ticket id that is not a positive integer.",
        ERROR_BODY_SCHEMA,
    ),
    (
        StatusCode::CONFLICT,
        "Conflict",
        "The Idempotency-Key was used before, by this user, for a different request.",
        ERROR_BODY_SCHEMA,
    ),
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        "PayloadTooLarge",
        "The body is larger than 65,536 bytes.",
        ERROR_BODY_SCHEMA,
    ),
    (
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UnsupportedMediaType",
        "A non-empty body not sent as `application/json` (or another `application/…+json`).",
        ERROR_BODY_SCHEMA,
    ),
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        "Invalid",
        "Validation failed: `errors` names every failing body field, query parameter or \
         header, each with its messages.",
        "ValidationBody",
    ),
    (
        StatusCode::TOO_MANY_REQUESTS,
        TOO_MANY_REQUESTS_RESPONSE,
        "Too many attempts: the caller's rate of writes (or, around the API, of failed \
         sign-ins or wrong tokens) is used up. `Retry-After` says in how many seconds to try \
         again.",
        ERROR_BODY_SCHEMA,
    ),
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "Unavailable",
        "The identity backend or the store is unavailable for now; retrying later may work.",
        ERROR_BODY_SCHEMA,
    ),
];

/// The error answers with these statuses, as `$ref`s to [`ERRORS`] (which holds every status
/// an operation can answer: see the tests below).
pub(crate) fn errors(
    statuses: &[StatusCode],
) -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
    statuses
        .iter()
        .filter_map(|status| {
            let (_, name, _, _) = ERRORS.iter().find(|(s, ..)| s == status)?;
            Some((
                status.as_u16().to_string(),
                RefOr::Ref(Ref::from_response_name(*name)),
            ))
        })
        .collect()
}

/// The document's frame; the routes add their paths to it.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "support-chat JSON API",
        description = "Tickets, chat, internal notes and the staff dashboard of the live-support \
            chat: the Laravel helpdesk's routes, answers and error shapes.\n\n\
            Sign in with `Authorization: Bearer <token>`. Successes answer `{\"data\": …}` \
            (pages add `next_cursor`; the dashboard adds `stats`); every error answers Laravel's \
            `{\"message\": …}`, and 422 adds `errors: {field: [messages]}`. Writes take \
            `Idempotency-Key` (a retried create answers the first result) and `X-Socket-ID` \
            (that websocket connection does not receive its own broadcast). A mounted path \
            with a method it does not have answers 405 with `Allow`.",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0"),
    ),
    tags(
        (name = "employee", description = "The employee portal: any signed-in user; an employee sees only their own tickets."),
        (name = "staff", description = "The staff side: support, admin and hr; 403 for anyone else."),
        (name = "document", description = "This document."),
    ),
    security(("bearer" = [])),
    components(schemas(super::error::ErrorBody, super::error::ForbiddenBody, super::error::ValidationBody)),
    modifiers(&Frame),
)]
struct ApiDoc;

/// Adds what the derive cannot say: the bearer scheme and the error responses.
struct Frame;

impl Modify for Frame {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The token the embedder's identity hook accepts (the reference server: \
                         the token of a user in its users file).",
                    ))
                    .build(),
            ),
        );
        for (status, name, description, schema) in ERRORS {
            let mut response = ResponseBuilder::new().description(*description).content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name(*schema)))
                    .build(),
            );
            if *status == StatusCode::TOO_MANY_REQUESTS {
                response = response.header(
                    "Retry-After",
                    HeaderBuilder::new()
                        .schema(
                            Object::builder()
                                .schema_type(Type::Integer)
                                .minimum(Some(1)),
                        )
                        .description(Some("Seconds to wait before trying again."))
                        .build(),
                );
            }
            components
                .responses
                .insert((*name).to_owned(), RefOr::T(response.build()));
        }
    }
}

/// The document before the routes add their paths.
pub(crate) fn frame() -> OpenApi {
    ApiDoc::openapi()
}

/// The creates that answer a new ticket: (operation id, where its id is in the 201 body).
const TICKET_CREATES: &[(&str, &str)] = &[
    ("employee_create_ticket", "/data/id"),
    ("employee_quick_chat", "/data/ticket/id"),
];

/// Links the 201 of each create that opens a ticket to every operation on one ticket (those
/// with a `{ticket}` path parameter): what a client can do next with the ticket it opened,
/// and what a stateful tester follows.
///
/// Written into the JSON, not with `utoipa::openapi::link::Link`, which utoipa 5 serializes
/// with snake-case keys (`operation_id`) where OpenAPI has `operationId`.
fn link_tickets(document: &mut Value) {
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    let on_one_ticket: Vec<String> = paths
        .values()
        .filter_map(Value::as_object)
        .flat_map(|item| item.values())
        .filter(|op| {
            op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|p| p["name"] == "ticket" && p["in"] == "path")
        })
        .filter_map(|op| op["operationId"].as_str().map(str::to_owned))
        .collect();
    for op in paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
    {
        let Some((_, pointer)) = TICKET_CREATES
            .iter()
            .find(|(id, _)| op["operationId"] == *id)
        else {
            continue;
        };
        let Some(created) = op
            .pointer_mut("/responses/201")
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        let links: serde_json::Map<String, Value> = on_one_ticket
            .iter()
            .map(|target| {
                let link = json!({
                    "operationId": target,
                    "parameters": {"ticket": format!("$response.body#{pointer}")},
                });
                (target.clone(), link)
            })
            .collect();
        created.insert("links".to_owned(), Value::Object(links));
    }
}

/// The document as served: serialized once, when the router is built.
#[derive(Clone)]
pub(crate) struct Served(Bytes);

impl Served {
    pub(crate) fn new(document: &OpenApi) -> Self {
        let json = serde_json::to_value(document)
            .and_then(|mut document| {
                link_tickets(&mut document);
                serde_json::to_vec(&document)
            })
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "the OpenAPI document cannot be serialized");
                b"{}".to_vec()
            });
        Served(Bytes::from(json))
    }
}

/// This document: every route of the API, its parameters, bodies and answers.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = DOCUMENT_TAG,
    operation_id = "openapi",
    security(()),
    responses(
        (status = 200, description = "The OpenAPI 3.1 document.", content_type = "application/json", body = Object),
    ),
)]
pub(crate) async fn openapi_json(Extension(Served(json)): Extension<Served>) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        json,
    )
        .into_response()
}

/// The 409 of a create that carries an `Idempotency-Key`: the key was used for another request.
pub(crate) struct Conflict;

impl utoipa::IntoResponses for Conflict {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        errors(&[StatusCode::CONFLICT])
    }
}

/// The 403 of a rule the policy checks in the service (an employee writing an internal note),
/// on routes any signed-in user may call.
pub(crate) struct Forbidden;

impl utoipa::IntoResponses for Forbidden {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        errors(&[StatusCode::FORBIDDEN])
    }
}

#[cfg(test)]
mod tests {
    use axum::response::IntoResponse;
    use support_core::Error;

    use super::*;
    use crate::api::{ApiError, MAX_BODY_BYTES};

    /// Every status [`ApiError`] answers on a mounted route is documented, with its body.
    /// Not here: 405 (a method no operation has, so no operation's answer) and 500 (a server
    /// error is never a documented answer).
    #[test]
    fn every_error_status_is_documented() {
        let failures = [
            ApiError::Unauthenticated,
            ApiError::MalformedJson("x".into()),
            ApiError::MalformedQuery("x".into()),
            ApiError::UnreadableBody("x".into()),
            ApiError::UnsupportedMediaType,
            ApiError::PayloadTooLarge,
            ApiError::Service(Error::NotFound),
            ApiError::Service(Error::Forbidden("x")),
            ApiError::Service(Error::invalid("x", "x")),
            ApiError::Service(Error::Conflict("x".into())),
            ApiError::Service(Error::Unavailable("x".into())),
            ApiError::TooManyRequests {
                retry_after: std::time::Duration::from_secs(1),
            },
        ];
        for error in failures {
            let what = format!("{error:?}");
            let status = error.into_response().status();
            let (_, name, _, schema) = ERRORS
                .iter()
                .find(|(s, ..)| *s == status)
                .unwrap_or_else(|| panic!("{what}: {status} is not documented"));
            assert_eq!(errors(&[status]).len(), 1, "{name}");
            let expected = match status {
                StatusCode::FORBIDDEN => "ForbiddenBody",
                StatusCode::UNPROCESSABLE_ENTITY => "ValidationBody",
                _ => ERROR_BODY_SCHEMA,
            };
            assert_eq!(*schema, expected, "{what}");
        }
        let frame = frame();
        let components = frame
            .components
            .as_ref()
            .map(|c| (&c.responses, &c.schemas));
        let (responses, schemas) = components.unwrap_or_else(|| panic!("components"));
        for (status, name, description, schema) in ERRORS {
            assert!(responses.contains_key(*name), "{status}: {name}");
            assert!(schemas.contains_key(*schema), "{status}: {schema}");
            assert!(!description.is_empty());
        }
        let too_large = ERRORS
            .iter()
            .find(|(s, ..)| *s == StatusCode::PAYLOAD_TOO_LARGE)
            .map(|(_, _, d, _)| *d);
        let limit = MAX_BODY_BYTES.to_string();
        let with_commas = format!(
            "{},{}",
            &limit[..limit.len() - 3],
            &limit[limit.len() - 3..]
        );
        assert!(
            too_large.is_some_and(|d| d.contains(&with_commas)),
            "{too_large:?}"
        );
    }

    #[test]
    fn the_tags_are_the_ones_the_operations_name() {
        let names: Vec<String> = frame()
            .tags
            .unwrap_or_default()
            .into_iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(names, [EMPLOYEE_TAG, STAFF_TAG, DOCUMENT_TAG]);
        assert!(
            frame()
                .security
                .unwrap_or_default()
                .iter()
                .any(|s| serde_json::to_value(s).is_ok_and(|v| v.get(BEARER).is_some()))
        );
    }
}
