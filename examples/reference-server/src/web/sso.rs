//! Sign-in from the host application by its JWT (see `auth::jwt`):
//!
//! - `GET /sso?token=JWT&next=/path`: the link a host application gives its user to open the
//!   helpdesk. The JWT is verified, its user created or updated, and a browser session
//!   started (ending any session the browser held, as a sign-in does); then a redirect to
//!   `next` (a same-origin path) or the user's home. A refused link answers 401 with a page
//!   that says the link is invalid or expired; the reason goes to the log only.
//! - `POST /sso/session` with `{"token": JWT}`: the embedded widget's exchange of its JWT for
//!   a session whose token it sends back as `Authorization: Bearer …` (a third-party frame
//!   cannot count on cookies). `201 {"token", "user": {"id", "name", "role"}, "expires_at"}`;
//!   401 `{"message": "Unauthenticated."}` for a refused JWT.
//!
//! Failures count against the sign-in throttle of the client's address. No answer may leak
//! the token: all are `no-store` with `Referrer-Policy: no-referrer`.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header::{CACHE_CONTROL, REFERRER_POLICY};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use support_core::Actor;
use support_transport_ws::ClientAddr;

use super::login::{safe_next, set_cookie, too_many_attempts};
use super::pages::{message_page, unavailable};
use super::{Web, home_of, redirect};
use crate::audit::By;
use crate::proxy::ForwardedHttps;
use support_core::audit::Action;

#[derive(Debug, Default, Deserialize)]
pub(super) struct SsoQuery {
    token: Option<String>,
    next: Option<String>,
}

/// No cache keeps it and no `Referer` carries the URL (and its token) elsewhere.
fn private(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// The user the JWT proves, or the answer to give: the reason is logged, with the address.
async fn verify(
    web: &Web,
    client: Option<std::net::IpAddr>,
    token: &str,
) -> Result<Option<Actor>, support_core::Error> {
    match web.identity.by_jwt(token).await? {
        Ok(actor) => Ok(Some(actor)),
        Err(why) => {
            tracing::warn!(
                address = client
                    .map(|ip| ip.to_string())
                    .as_deref()
                    .unwrap_or("unknown"),
                "SSO sign-in refused: {why}"
            );
            web.sign_ins.failed(client, None);
            let failed = Action::SignInFailed {
                method: "jwt".into(),
                reason: "invalid_token".into(),
            };
            web.audit.record(By::Unproven("", client), failed).await;
            Ok(None)
        }
    }
}

/// `GET /sso?token=JWT&next=/path`.
pub(super) async fn sso(
    State(web): State<Web>,
    client: Option<ClientAddr>,
    forwarded: Option<Extension<ForwardedHttps>>,
    headers: HeaderMap,
    Query(q): Query<SsoQuery>,
) -> Response {
    let client = client.map(|ClientAddr(ip)| ip);
    if let Err(throttled) = web.sign_ins.check(client, None) {
        return private(too_many_attempts(throttled));
    }
    let actor = match verify(&web, client, q.token.as_deref().unwrap_or_default()).await {
        Ok(Some(actor)) => actor,
        Ok(None) => {
            return private(message_page(
                StatusCode::UNAUTHORIZED,
                "Sign-in link not valid",
                "This sign-in link is invalid or has expired. Go back to the application and \
                 open the helpdesk from there again.",
                None,
            ));
        }
        Err(e) => return private(unavailable(&e)),
    };
    let sessions = &web.identity.sessions;
    let issued = match sessions.end_held(&headers).await {
        Ok(()) => sessions.issue(actor.id, web.https(forwarded)).await,
        Err(e) => Err(e),
    };
    let cookie = match issued {
        Ok((cookie, _)) => cookie,
        Err(e) => return private(unavailable(&e)),
    };
    let next = safe_next(q.next.as_deref()).unwrap_or(home_of(&actor));
    let mut response = redirect(next);
    set_cookie(&mut response, &cookie);
    tracing::info!(user = actor.id.0, "signed in by SSO");
    let signed_in = Action::SignedIn {
        method: "sso".into(),
    };
    web.audit.record(By::User(&actor, client), signed_in).await;
    private(response)
}

fn json(status: StatusCode, body: Value) -> Response {
    private((status, axum::Json(body)).into_response())
}

/// `POST /sso/session` with `{"token": JWT}`.
pub(super) async fn session(
    State(web): State<Web>,
    client: Option<ClientAddr>,
    body: Bytes,
) -> Response {
    let token = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("token").and_then(Value::as_str).map(str::to_owned))
        .filter(|t| !t.trim().is_empty());
    let Some(token) = token else {
        let required = "The token field is required.";
        return json(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"message": required, "errors": {"token": [required]}}),
        );
    };
    let client = client.map(|ClientAddr(ip)| ip);
    if let Err(throttled) = web.sign_ins.check(client, None) {
        return private(throttled.into_response());
    }
    let actor = match verify(&web, client, token.trim()).await {
        Ok(Some(actor)) => actor,
        Ok(None) => {
            return json(
                StatusCode::UNAUTHORIZED,
                json!({"message": "Unauthenticated."}),
            );
        }
        Err(e) => {
            tracing::warn!("sessions unavailable: {e}");
            return json(
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"message": "Service Unavailable."}),
            );
        }
    };
    let (token, expires_at) = match web.identity.sessions.issue_bearer(actor.id).await {
        Ok(issued) => issued,
        Err(e) => {
            tracing::warn!("sessions unavailable: {e}");
            return json(
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"message": "Service Unavailable."}),
            );
        }
    };
    tracing::info!(user = actor.id.0, "widget session by SSO");
    let signed_in = Action::SignedIn {
        method: "jwt".into(),
    };
    web.audit.record(By::User(&actor, client), signed_in).await;
    json(
        StatusCode::CREATED,
        json!({
            "token": token,
            "user": {"id": actor.id, "name": actor.name, "role": actor.role},
            "expires_at": expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }),
    )
}
