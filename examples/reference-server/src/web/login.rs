//! Signing in and out: the sign-in page (email and password; the demo users in demo mode; an
//! API token, secondary), the sign-in post, refused from other sites and throttled after
//! failures (5 a minute per address, and per email named: then 429 with `Retry-After`, even
//! for the right password), and signing out (of this session or everywhere), which needs the
//! CSRF token.
//!
//! A wrong password, an unknown email and a disabled user get the same page and status
//! (Laravel's "These credentials do not match our records."), after the same work: an
//! unknown email is checked against a dummy hash.

use axum::Extension;
use axum::extract::{Form, Query, State};
use axum::http::header::{HOST, ORIGIN, RETRY_AFTER, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use serde::Deserialize;
use support_core::Actor;
use support_core::account::Email;
use support_transport_ws::{ClientAddr, Throttled};

use super::pages::{message_page, unavailable};
use super::{Web, home_of, redirect, secure_html};
use crate::audit::By;
use crate::auth::page_expired;
use crate::proxy::ForwardedHttps;
use support_core::audit::Action;

#[derive(Debug, Default, Deserialize)]
pub(super) struct LoginQuery {
    next: Option<String>,
    error: Option<String>,
}

/// Only paths on this site, as the query extractor gives them (percent-decoded): one leading
/// `/`, and no `//`, backslash, whitespace or control character anywhere. Browsers read a
/// backslash as `/` and drop tabs and line breaks, so `/\t/evil.example` is `//evil.example`, another
/// site; `https://…` has no leading `/`. Anything else goes home.
pub(super) fn safe_next(next: Option<&str>) -> Option<&str> {
    next.filter(|n| {
        n.starts_with('/')
            && !n.contains("//")
            && !n
                .chars()
                .any(|c| c == '\\' || c.is_whitespace() || c.is_control())
    })
}

/// What a failed sign-in by email and password says, whatever failed.
const NO_MATCH: &str = "These credentials do not match our records.";

pub(super) async fn page(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    match web.identity.signed_in(&headers).await {
        Ok(Some((_, actor))) => return redirect(home_of(&actor)),
        Ok(None) => {}
        Err(e) => return unavailable(&e),
    }
    let next = safe_next(q.next.as_deref()).unwrap_or("");
    let error = q
        .error
        .is_some()
        .then_some("That token does not belong to any user.");
    login_page(&web, next, error, StatusCode::OK)
}

/// The sign-in page, with `error` said at the top.
fn login_page(web: &Web, next: &str, error: Option<&str>, status: StatusCode) -> Response {
    let error = error.map_or_else(String::new, |e| {
        format!(r#"<p class="error" role="alert">{}</p>"#, text(e))
    });
    let demo: String = web
        .demo
        .iter()
        .flat_map(|d| d.iter())
        .map(|u| {
            format!(
                r#"<li><form method="post" action="/login"><input type="hidden" name="token" value="{token}"><input type="hidden" name="next" value="{next}"><button type="submit" class="user-choice">{name} <span class="role">{role}</span></button></form></li>"#,
                token = attr(&u.token),
                next = attr(next),
                name = text(&u.name),
                role = text(&u.role),
            )
        })
        .collect();
    let demo = if demo.is_empty() {
        String::new()
    } else {
        format!(
            r#"<section aria-labelledby="demo-users"><h2 id="demo-users">Demo users</h2><ul class="user-list">{demo}</ul></section>"#
        )
    };
    let body = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Support</title><link rel="icon" href="/assets/favicon.svg" type="image/svg+xml"><link rel="stylesheet" href="/assets/app.css"></head>
<body><main class="narrow">
<h1>Support</h1>
{error}
<section aria-labelledby="password-sign-in"><h2 id="password-sign-in">Sign in</h2>
<form method="post" action="/login" class="stack">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<input type="hidden" name="next" value="{next}">
<button type="submit">Sign in</button>
</form></section>
{demo}
<section aria-labelledby="token-sign-in" class="secondary"><h2 id="token-sign-in">Or sign in with an API token</h2>
<form method="post" action="/login" class="stack">
<label for="token">Access token</label>
<input id="token" name="token" type="password" autocomplete="off" required>
<input type="hidden" name="next" value="{next}">
<button type="submit">Sign in with the token</button>
</form></section>
</main></body></html>
"#,
        next = attr(next),
    );
    secure_html(status, body)
}

/// A sign-in: by `email` and `password`, or by `token` (an API token, a demo user's).
#[derive(Debug, Deserialize)]
pub(super) struct LoginForm {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    password: Option<String>,
    next: Option<String>,
}

/// A sign-in posted from another site (login CSRF) is refused: browsers say where a form
/// comes from in `Sec-Fetch-Site` and `Origin`.
fn same_site(headers: &HeaderMap) -> bool {
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if matches!(fetch_site, Some("cross-site" | "same-site")) {
        return false;
    }
    match (
        headers.get(ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(HOST).and_then(|v| v.to_str().ok()),
    ) {
        (Some("null"), _) => false,
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest == host),
        _ => true,
    }
}

/// The 429 page of a throttled sign-in: when to try again, in the page and in `Retry-After`.
pub(super) fn too_many_attempts(throttled: Throttled) -> Response {
    let seconds = throttled.retry_after_secs();
    let unit = if seconds == 1 { "second" } else { "seconds" };
    let mut response = message_page(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many attempts",
        &format!("Too many failed sign-ins. Try again in {seconds} {unit}."),
        None,
    );
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(seconds));
    response
}

pub(super) async fn sign_in(
    State(web): State<Web>,
    client: Option<ClientAddr>,
    forwarded: Option<Extension<ForwardedHttps>>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    if !same_site(&headers) {
        return message_page(
            StatusCode::FORBIDDEN,
            "Refused",
            "Sign in from this site's own page.",
            None,
        );
    }
    let client = client.map(|ClientAddr(ip)| ip);
    let next = safe_next(form.next.as_deref()).map(str::to_owned);
    let Some(token) = &form.token else {
        return sign_in_by_password(&web, client, forwarded, &headers, &form, next).await;
    };
    // A token names no account.
    let account = None;
    if let Err(throttled) = web.sign_ins.check(client, account) {
        return too_many_attempts(throttled);
    }
    let actor = match web.identity.by_token(token.trim()).await {
        Ok(actor) => actor,
        Err(e) => return unavailable(&e),
    };
    let Some(actor) = actor else {
        web.sign_ins.failed(client, account);
        let failed = Action::SignInFailed {
            method: "token".into(),
            reason: "unknown_token".into(),
        };
        web.audit.record(By::Unproven("", client), failed).await;
        let mut query = vec![("error", "1")];
        if let Some(n) = &next {
            query.push(("next", n));
        }
        let query = serde_urlencoded::to_string(query).unwrap_or_default();
        return redirect(&format!("/login?{query}"));
    };
    start_session(
        &web,
        &actor,
        "token",
        client,
        forwarded,
        &headers,
        next.as_deref(),
    )
    .await
}

/// A sign-in by email and password: throttled per address and per email named; a wrong
/// password, an unknown email and a disabled user all get the same page and status.
async fn sign_in_by_password(
    web: &Web,
    client: Option<std::net::IpAddr>,
    forwarded: Option<Extension<ForwardedHttps>>,
    headers: &HeaderMap,
    form: &LoginForm,
    next: Option<String>,
) -> Response {
    let typed = form.email.as_deref().unwrap_or_default().trim();
    let password = form.password.as_deref().unwrap_or_default();
    let next_value = next.as_deref().unwrap_or("");
    if typed.is_empty() || password.is_empty() {
        return login_page(
            web,
            next_value,
            Some("Give your email and your password."),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let account = typed.to_lowercase();
    if let Err(throttled) = web.sign_ins.check(client, Some(&account)) {
        return too_many_attempts(throttled);
    }
    let user = match Email::parse(typed) {
        Ok(email) => match web.identity.users.user_by_email(&email).await {
            Ok(user) => user,
            Err(e) => return unavailable(&e),
        },
        Err(_) => None,
    };
    // Verified whatever the user (the dummy hash without one), so every case does the same
    // work; a disabled user's right password still signs nobody in.
    let matched = match web
        .passwords
        .verify(password, user.as_ref().and_then(|u| u.password.as_ref()))
        .await
    {
        Ok(matched) => matched,
        Err(e) => return unavailable(&e),
    };
    let reason = match &user {
        None => "unknown_user",
        Some(_) if !matched => "wrong_password",
        Some(u) if u.disabled => "disabled",
        Some(_) => "",
    };
    let Some(user) = user.filter(|u| matched && !u.disabled) else {
        web.sign_ins.failed(client, Some(&account));
        let failed = Action::SignInFailed {
            method: "password".into(),
            reason: reason.into(),
        };
        web.audit.record(By::Unproven(typed, client), failed).await;
        return login_page(
            web,
            next_value,
            Some(NO_MATCH),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    let actor = user.actor();
    start_session(
        web,
        &actor,
        "password",
        client,
        forwarded,
        headers,
        next.as_deref(),
    )
    .await
}

/// A new session for `actor`, and a redirect to `next` or their home with its cookie.
async fn start_session(
    web: &Web,
    actor: &Actor,
    method: &str,
    client: Option<std::net::IpAddr>,
    forwarded: Option<Extension<ForwardedHttps>>,
    headers: &HeaderMap,
    next: Option<&str>,
) -> Response {
    // A new session every time, and the one the browser held before (whoever made it) ends:
    // a cookie planted before sign-in never becomes a signed-in session.
    let sessions = &web.identity.sessions;
    let issued = match sessions.end_held(headers).await {
        Ok(()) => sessions.issue(actor.id, web.https(forwarded)).await,
        Err(e) => Err(e),
    };
    let cookie = match issued {
        Ok((cookie, _)) => cookie,
        Err(e) => return unavailable(&e),
    };
    let mut response = redirect(next.unwrap_or(home_of(actor)));
    set_cookie(&mut response, &cookie);
    tracing::info!(user = actor.id.0, "signed in");
    let signed_in = Action::SignedIn {
        method: method.into(),
    };
    web.audit.record(By::User(actor, client), signed_in).await;
    response
}

pub(super) fn set_cookie(response: &mut Response, cookie: &str) {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        response.headers_mut().insert(SET_COOKIE, v);
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct LogoutForm {
    #[serde(rename = "_token", default)]
    token: String,
}

/// `POST /logout`: ends this session on the server, so its cookie proves nothing any more.
pub(super) async fn sign_out(
    State(web): State<Web>,
    client: Option<ClientAddr>,
    forwarded: Option<Extension<ForwardedHttps>>,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Response {
    let client = client.map(|ClientAddr(ip)| ip);
    end_sessions(&web, client, &headers, web.https(forwarded), &form, false).await
}

/// `POST /logout/everywhere`: ends every session of the signed-in user, on every browser
/// and every node.
pub(super) async fn sign_out_everywhere(
    State(web): State<Web>,
    client: Option<ClientAddr>,
    forwarded: Option<Extension<ForwardedHttps>>,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Response {
    let client = client.map(|ClientAddr(ip)| ip);
    end_sessions(&web, client, &headers, web.https(forwarded), &form, true).await
}

/// Signing out: with the session's CSRF token (else 419, and nothing ends), ends the session
/// or, `everywhere`, all of its user's; then clears the cookie and goes to the sign-in page.
/// Without a live session there is nothing to end, and the cookie is cleared all the same.
async fn end_sessions(
    web: &Web,
    client: Option<std::net::IpAddr>,
    headers: &HeaderMap,
    https: bool,
    form: &LogoutForm,
    everywhere: bool,
) -> Response {
    let sessions = &web.identity.sessions;
    let session = match web.identity.session(headers).await {
        Ok(session) => session,
        Err(e) => return unavailable(&e),
    };
    if let Some(session) = session {
        if !sessions.csrf_matches(&session, &form.token) {
            return message_page(
                page_expired(),
                "Page expired",
                "Reload the page and sign out again.",
                None,
            );
        }
        let ended = if everywhere {
            sessions.end_all(session.user).await.map(|n| {
                tracing::info!(user = session.user.0, sessions = n, "signed out everywhere");
            })
        } else {
            sessions.end(&session).await
        };
        if let Err(e) = ended {
            return unavailable(&e);
        }
        if let Ok(Some(user)) = web.identity.users.user(session.user).await {
            let actor = user.actor();
            web.audit
                .record(By::User(&actor, client), Action::SignedOut)
                .await;
        }
    }
    let mut response = redirect("/login");
    set_cookie(&mut response, &sessions.clear(https));
    response
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_keeps_only_paths_on_this_site() {
        for kept in [
            "/",
            "/employee/portal/support",
            "/admin/support/7/live-chat?tab=notes#last",
            "/employee/portal/support?q=a%2F%2Fb",
        ] {
            assert_eq!(safe_next(Some(kept)), Some(kept), "{kept:?}");
        }
        // What the query extractor gives after percent-decoding.
        for attack in [
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "/ /evil.example",
            "/\u{0}/evil.example",
            "/\u{7f}/evil.example",
            "/\u{a0}/evil.example",
            "/\u{2028}/evil.example",
            "/\u{3000}/evil.example",
            "/a//evil.example",
            "https://evil.example",
            "javascript:alert(1)",
            "evil.example",
            "",
        ] {
            assert_eq!(safe_next(Some(attack)), None, "{attack:?}");
        }
        assert_eq!(safe_next(None), None);
    }
}
