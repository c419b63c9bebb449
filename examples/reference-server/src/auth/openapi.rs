//! What the reference server adds to the JSON API's OpenAPI document: the browser's session
//! cookie as a second way to sign in, the CSRF check that comes with it (`auth::csrf_guard`:
//! a state-changing request authenticated by the cookie must carry `X-CSRF-TOKEN`, else 419),
//! and the 429 of any request with a bearer token from an address that sent too many wrong
//! ones (`auth::bearer_guard`).

use support_transport_ws::api::{ERROR_BODY_SCHEMA, TOO_MANY_REQUESTS_RESPONSE};
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{Object, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Required, ResponseBuilder};

use super::session::COOKIE_NAME;

/// The name of the cookie's security scheme.
const SESSION: &str = "session";
/// The name of the 419 response.
const CSRF_MISMATCH: &str = "CsrfTokenMismatch";

/// Adds the session cookie beside the bearer token, and to every state-changing operation the
/// 419 of a cookie-authenticated request without the session's CSRF token.
pub(crate) fn describe_session(document: &mut OpenApi) {
    let components = document.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        SESSION,
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            COOKIE_NAME,
            "The web UI's sign-in (`POST /login`): a session cookie, `__Host-support_session` \
             when served over HTTPS. Sessions are kept on the server and end at sign-out, \
             after the idle timeout, or when the user signs out everywhere. Without an \
             `Authorization` header, the request is judged by it; state-changing requests \
             then need `X-CSRF-TOKEN`.",
        ))),
    );
    components.responses.insert(
        CSRF_MISMATCH.to_owned(),
        RefOr::T(
            ResponseBuilder::new()
                .description(
                    "Authenticated by the session cookie, without the session's CSRF token in \
                     `X-CSRF-TOKEN` (Laravel's \"Page Expired\").",
                )
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name(ERROR_BODY_SCHEMA)))
                        .build(),
                )
                .build(),
        ),
    );
    // Either way of signing in: one requirement each.
    let security = document.security.get_or_insert_with(Vec::new);
    security.push(SecurityRequirement::new(SESSION, Vec::<String>::new()));

    for item in document.paths.paths.values_mut() {
        for operation in [
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            guard(operation);
        }
        for operation in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            throttled_tokens(operation);
        }
    }
}

/// An operation that takes a bearer token may answer 429 (`auth::bearer_guard`); the one
/// that needs no sign-in (`security: [{}]`, the document itself) too, when a token is sent,
/// so every operation does.
fn throttled_tokens(operation: &mut Operation) {
    operation
        .responses
        .responses
        .entry("429".to_owned())
        .or_insert_with(|| RefOr::Ref(Ref::from_response_name(TOO_MANY_REQUESTS_RESPONSE)));
}

/// A state-changing operation: it takes `X-CSRF-TOKEN` and may answer 419.
fn guard(operation: &mut Operation) {
    operation.parameters.get_or_insert_with(Vec::new).push(
        ParameterBuilder::new()
            .name("X-CSRF-TOKEN")
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(
                "The session's CSRF token (the page's `<meta name=\"csrf-token\">`): needed \
                 when the request is authenticated by the session cookie.",
            ))
            .schema(Some(Object::builder().schema_type(Type::String)))
            .build(),
    );
    operation.responses.responses.insert(
        "419".to_owned(),
        RefOr::Ref(Ref::from_response_name(CSRF_MISMATCH)),
    );
}
