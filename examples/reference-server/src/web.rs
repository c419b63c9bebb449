//! The browser UI: sign-in, the seed's pages (the API's paths without `/api`), the embedded
//! assets, and the CSRF guard for requests authenticated by the session cookie.
//!
//! Pages are one HTML shell that names the page in `data-page`. The scripts under `web/`
//! draw it from the JSON API and keep it live over the realtime channels. No build step
//! happens: the files are embedded as they are, including the pinned `pusher-js` and
//! `laravel-echo` builds (see `web/vendor/README.md`).

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Form, Path, Query, Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, HOST, IF_NONE_MATCH, LOCATION,
    ORIGIN, REFERRER_POLICY, SET_COOKIE, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use rust_embed::RustEmbed;
use serde::Deserialize;
use serde_json::json;
use support_core::{Actor, Policy};

use crate::identity::Identity;
use crate::users::UserEntry;

/// The files under `web/`, embedded in the binary.
#[derive(RustEmbed)]
#[folder = "web/"]
struct Assets;

/// What the UI's handlers share.
#[derive(Clone)]
pub(crate) struct Web {
    identity: Arc<Identity>,
    /// The demo users listed on the sign-in page; empty with a users file.
    demo: Arc<Vec<UserEntry>>,
    app_key: String,
}

impl Web {
    pub(crate) fn new(identity: Arc<Identity>, demo: Vec<UserEntry>, app_key: &str) -> Self {
        Web {
            identity,
            demo: Arc::new(demo),
            app_key: app_key.to_owned(),
        }
    }
}

/// One of the seed's pages.
#[derive(Debug, Clone, Copy)]
enum Page {
    EmployeeIndex,
    EmployeeCreate,
    EmployeeShow,
    AdminDashboard,
    AdminIndex,
    AdminShow,
    AdminLiveChat,
}

impl Page {
    /// The name the scripts dispatch on.
    fn id(self) -> &'static str {
        match self {
            Page::EmployeeIndex => "employee.index",
            Page::EmployeeCreate => "employee.create",
            Page::EmployeeShow => "employee.show",
            Page::AdminDashboard => "admin.dashboard",
            Page::AdminIndex => "admin.index",
            Page::AdminShow => "admin.show",
            Page::AdminLiveChat => "admin.live-chat",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Page::EmployeeIndex => "My support tickets",
            Page::EmployeeCreate => "New support ticket",
            Page::EmployeeShow => "Support ticket",
            Page::AdminDashboard => "Live support",
            Page::AdminIndex => "All tickets",
            Page::AdminShow => "Ticket",
            Page::AdminLiveChat => "Live chat",
        }
    }

    fn staff_only(self) -> bool {
        matches!(
            self,
            Page::AdminDashboard | Page::AdminIndex | Page::AdminShow | Page::AdminLiveChat
        )
    }
}

/// The UI's routes, merged beside the API and the realtime server.
pub(crate) fn router(web: Web) -> Router {
    let employee = "/employee/portal/support";
    let admin = "/admin/support";
    let page = |p: Page| {
        move |State(web): State<Web>, headers: HeaderMap, ticket: Option<Path<String>>| {
            render_page(web, headers, p, ticket.map(|Path(t)| t))
        }
    };
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/assets/{*path}", get(asset))
        .route(employee, get(page(Page::EmployeeIndex)))
        .route(
            &format!("{employee}/create"),
            get(page(Page::EmployeeCreate)),
        )
        .route(
            &format!("{employee}/{{ticket}}"),
            get(page(Page::EmployeeShow)),
        )
        .route(
            &format!("{admin}/dashboard"),
            get(page(Page::AdminDashboard)),
        )
        .route(admin, get(page(Page::AdminIndex)))
        .route(&format!("{admin}/{{ticket}}"), get(page(Page::AdminShow)))
        .route(
            &format!("{admin}/{{ticket}}/live-chat"),
            get(page(Page::AdminLiveChat)),
        )
        .with_state(web)
}

/// Refuses a state-changing request that a session cookie authenticates unless it carries
/// the session's CSRF token in `X-CSRF-TOKEN`: 419, as Laravel answers. Requests with an
/// `Authorization` header are judged by it alone and pass through.
pub(crate) async fn csrf_guard(
    State(identity): State<Arc<Identity>>,
    request: Request,
    next: Next,
) -> Response {
    if !request.method().is_safe() {
        if let Some(session) = identity.session(request.headers()) {
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
fn page_expired() -> StatusCode {
    StatusCode::from_u16(419).unwrap_or(StatusCode::FORBIDDEN)
}

// ----- pages --------------------------------------------------------------------------------

fn home_of(actor: &Actor) -> &'static str {
    if actor.is_staff() {
        "/admin/support/dashboard"
    } else {
        "/employee/portal/support"
    }
}

fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_owned())]).into_response()
}

/// Headers every HTML answer carries: scripts only from this origin, no framing, and no
/// caching of pages that hold a CSRF token.
fn secure_html(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    );
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn home(State(web): State<Web>, headers: HeaderMap) -> Response {
    match web.identity.actor(&headers) {
        Some(actor) => redirect(home_of(&actor)),
        None => redirect("/login"),
    }
}

async fn render_page(web: Web, headers: HeaderMap, page: Page, ticket: Option<String>) -> Response {
    let Some((session, actor)) = web.identity.signed_in(&headers) else {
        return redirect("/login");
    };
    if page.staff_only() && Policy::check_staff(&actor).is_err() {
        return message_page(
            StatusCode::FORBIDDEN,
            "Staff only",
            "This page is for support staff.",
            Some(&actor),
        );
    }
    let ticket = match ticket {
        None => String::new(),
        Some(t) => match t.parse::<u64>() {
            Ok(id) if id > 0 => id.to_string(),
            _ => {
                return message_page(
                    StatusCode::NOT_FOUND,
                    "Not found",
                    "There is no such ticket.",
                    Some(&actor),
                );
            }
        },
    };
    let user =
        json!({"id": actor.id, "name": actor.name, "role": actor.role, "staff": actor.is_staff()});
    let body = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Support</title>
<meta name="csrf-token" content="{csrf}">
<meta name="support-user" content="{user}">
<meta name="pusher-key" content="{key}">
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/vendor/pusher.min.js" defer></script>
<script src="/assets/vendor/echo.iife.js" defer></script>
<script type="module" src="/assets/app.js"></script>
</head>
<body data-page="{page}" data-ticket="{ticket}">
<noscript><p class="notice">This helpdesk needs JavaScript.</p></noscript>
</body>
</html>
"#,
        title = text(page.title()),
        csrf = attr(&session.csrf),
        user = attr(&user.to_string()),
        key = attr(&web.app_key),
        page = page.id(),
    );
    secure_html(StatusCode::OK, body)
}

fn message_page(status: StatusCode, title: &str, message: &str, actor: Option<&Actor>) -> Response {
    let back = actor.map_or("/login", home_of);
    let body = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Support</title><link rel="stylesheet" href="/assets/app.css"></head>
<body><main class="narrow"><h1>{title}</h1><p>{message}</p><p><a href="{back}">Back</a></p></main></body></html>
"#,
        title = text(title),
        message = text(message),
        back = attr(back),
    );
    secure_html(status, body)
}

// ----- sign-in ------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
struct LoginQuery {
    next: Option<String>,
    error: Option<String>,
}

/// Only paths on this site: `//evil.example` and `https://…` would redirect away.
fn safe_next(next: Option<&str>) -> Option<&str> {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
}

async fn login_page(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    if let Some((_, actor)) = web.identity.signed_in(&headers) {
        return redirect(home_of(&actor));
    }
    let next = safe_next(q.next.as_deref()).unwrap_or("");
    let error = if q.error.is_some() {
        r#"<p class="error" role="alert">That token does not belong to any user.</p>"#
    } else {
        ""
    };
    let demo: String = web
        .demo
        .iter()
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
<title>Sign in · Support</title><link rel="stylesheet" href="/assets/app.css"></head>
<body><main class="narrow">
<h1>Support</h1>
{error}
{demo}
<section aria-labelledby="token-sign-in"><h2 id="token-sign-in">Sign in with a token</h2>
<form method="post" action="/login" class="stack">
<label for="token">Access token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
<input type="hidden" name="next" value="{next}">
<button type="submit">Sign in</button>
</form></section>
</main></body></html>
"#,
        next = attr(next),
    );
    secure_html(StatusCode::OK, body)
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    token: String,
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

async fn login(
    State(web): State<Web>,
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
    let next = safe_next(form.next.as_deref()).map(str::to_owned);
    let Some(actor) = web.identity.users.by_token(form.token.trim()) else {
        let mut query = vec![("error", "1")];
        if let Some(n) = &next {
            query.push(("next", n));
        }
        let query = serde_urlencoded::to_string(query).unwrap_or_default();
        return redirect(&format!("/login?{query}"));
    };
    let (cookie, _) = web.identity.sessions.issue(actor.id);
    let mut response = redirect(next.as_deref().unwrap_or(home_of(&actor)));
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(SET_COOKIE, v);
    }
    tracing::info!(user = actor.id.0, "signed in");
    response
}

#[derive(Debug, Deserialize)]
struct LogoutForm {
    #[serde(rename = "_token", default)]
    token: String,
}

async fn logout(
    State(web): State<Web>,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Response {
    if let Some(session) = web.identity.session(&headers) {
        if !web.identity.sessions.csrf_matches(&session, &form.token) {
            return message_page(
                page_expired(),
                "Page expired",
                "Reload the page and sign out again.",
                None,
            );
        }
    }
    let mut response = redirect("/login");
    if let Ok(v) = HeaderValue::from_str(&web.identity.sessions.clear()) {
        response.headers_mut().insert(SET_COOKIE, v);
    }
    response
}

// ----- assets -------------------------------------------------------------------------------

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    let Some(file) = Assets::get(&path) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let etag = format!("\"{}\"", hex::encode(file.metadata.sha256_hash()));
    if headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag)
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mut response = Response::new(Body::from(file.data.into_owned()));
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(file.metadata.mimetype()) {
        h.insert(CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(ETAG, v);
    }
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}
