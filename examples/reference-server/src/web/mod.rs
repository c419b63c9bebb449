//! The browser UI: sign-in, the Laravel helpdesk's pages (the API's paths without `/api`),
//! and the embedded assets.
//!
//! Pages are one HTML shell that names the page in `data-page`. The scripts under `web/`
//! draw it from the JSON API and keep it live over the realtime channels. No build step
//! happens: the files are embedded as they are, including the pinned `pusher-js` and
//! `laravel-echo` builds (see `web/vendor/README.md`).
//!
//! - [`pages`]: the page shells and the message pages (403, 404);
//! - [`login`]: the sign-in page, sign-in, sign-out and signing out everywhere;
//! - [`sso`]: sign-in by the host application's JWT (`/sso`, the widget's `/sso/session`);
//! - [`assets`]: the files under `web/`, with ETags, and `/favicon.ico`;
//! - [`widget`]: the chat widget other sites embed (`/widget.js` and its frame).

mod assets;
mod login;
mod pages;
mod sso;
mod widget;

pub(crate) use widget::{Embedding, router as widget_router};

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use support_core::Actor;

use crate::audit::AuditTrail;
use crate::auth::{Identity, Passwords, SignInThrottle, UserEntry};
use crate::proxy::ForwardedHttps;

use self::pages::Page;

/// What the UI's handlers share.
#[derive(Clone)]
pub(crate) struct Web {
    pub(super) identity: Arc<Identity>,
    /// The demo users listed on the sign-in page, in demo mode only.
    pub(super) demo: Option<Arc<Vec<UserEntry>>>,
    pub(super) app_key: String,
    /// Failed sign-ins, per address and account.
    pub(super) sign_ins: SignInThrottle,
    /// `--secure-cookies`: the server is reached over HTTPS.
    pub(super) secure_cookies: bool,
    /// Checks passwords at sign-in.
    pub(super) passwords: Passwords,
    /// Where sign-ins, failed ones and sign-outs are recorded.
    pub(super) audit: AuditTrail,
}

impl Web {
    pub(crate) fn new(
        identity: Arc<Identity>,
        demo: Option<Vec<UserEntry>>,
        app_key: &str,
        sign_ins: SignInThrottle,
        secure_cookies: bool,
        passwords: Passwords,
        audit: AuditTrail,
    ) -> Self {
        Web {
            audit,
            identity,
            demo: demo.map(Arc::new),
            app_key: app_key.to_owned(),
            sign_ins,
            secure_cookies,
            passwords,
        }
    }

    /// Whether this request reached the server over HTTPS (`--secure-cookies`, or a trusted
    /// proxy's `X-Forwarded-Proto`: `forwarded`), which decides the session cookie's name and
    /// `Secure` attribute.
    pub(super) fn https(&self, forwarded: Option<Extension<ForwardedHttps>>) -> bool {
        self.secure_cookies || forwarded.is_some()
    }
}

/// The UI's routes, merged beside the API and the realtime server.
pub(crate) fn router(web: Web) -> Router {
    let employee = "/employee/portal/support";
    let admin = "/admin/support";
    let page = |p: Page| {
        move |State(web): State<Web>, headers: HeaderMap, uri: Uri, ticket: Option<Path<String>>| {
            pages::render(web, headers, uri, p, ticket.map(|Path(t)| t))
        }
    };
    Router::new()
        .route("/", get(pages::home))
        .route("/login", get(login::page).post(login::sign_in))
        .route("/logout", post(login::sign_out))
        .route("/logout/everywhere", post(login::sign_out_everywhere))
        .route("/sso", get(sso::sso))
        .route("/sso/session", post(sso::session))
        .route("/assets/{*path}", get(assets::asset))
        .route("/favicon.ico", get(assets::favicon))
        .route(employee, get(page(Page::EmployeeIndex)))
        .route(
            &format!("{employee}/create"),
            get(page(Page::EmployeeCreate)),
        )
        .route(
            &format!("{employee}/search"),
            get(page(Page::EmployeeSearch)),
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
        .route("/admin/users", get(page(Page::AdminUsers)))
        .route(
            &format!("{admin}/canned-responses"),
            get(page(Page::AdminCanned)),
        )
        .route(
            &format!("{admin}/templates"),
            get(page(Page::AdminTemplates)),
        )
        .route(&format!("{admin}/audit"), get(page(Page::AdminAudit)))
        .route(&format!("{admin}/reports"), get(page(Page::AdminReports)))
        .route(&format!("{admin}/search"), get(page(Page::AdminSearch)))
        .route(&format!("{admin}/{{ticket}}"), get(page(Page::AdminShow)))
        .route(
            &format!("{admin}/{{ticket}}/live-chat"),
            get(page(Page::AdminLiveChat)),
        )
        .with_state(web)
}

// ----- what every HTML answer shares ---------------------------------------------------------

pub(super) fn home_of(actor: &Actor) -> &'static str {
    if actor.is_staff() {
        "/admin/support/dashboard"
    } else {
        "/employee/portal/support"
    }
}

pub(super) fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_owned())]).into_response()
}

/// Headers every HTML answer carries: scripts only from this origin, no framing, and no
/// caching of pages that hold a CSRF token.
pub(super) fn secure_html(status: StatusCode, body: String) -> Response {
    let mut response = html_with_policy(status, body, "frame-ancestors 'none'");
    response
        .headers_mut()
        .insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// An HTML answer with the policy every page shares plus `framing` (its `frame-ancestors`
/// directive), not cached, its referrer kept to this site.
/// The one `<style>` element a page may hold besides its stylesheets: the one the vendored
/// emoji picker (`web/vendor/emoji-picker-element`) puts in its shadow root, by its SHA-256.
/// The picker also positions its parts with `style` attributes, hence `style-src-attr
/// 'unsafe-inline'`: attributes only, and the page never inserts markup from user text, so
/// nobody else can write one. Scripts stay `'self'` only. The browser tests check that the
/// hash is the picker's (`tests/e2e/reactions.test.js`): an upgrade of the picker that
/// changes its styles fails there until this is updated.
const EMOJI_PICKER_STYLE: &str = "'sha256-rg2BpwZ4T9EADaas/dlxn0KsISPDXXIabE9pnJ++3UQ='";

pub(super) fn html_with_policy(status: StatusCode, body: String, framing: &str) -> Response {
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    let policy = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; \
         style-src-elem 'self' {EMOJI_PICKER_STYLE}; style-src-attr 'unsafe-inline'; \
         img-src 'self' data: blob:; connect-src 'self'; {framing}; base-uri 'none'; form-action 'self'"
    );
    // `framing` is built from checked origins; were it ever not a header value, the page
    // would still go out under the strict policy, never under none.
    let policy = HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ));
    h.insert(CONTENT_SECURITY_POLICY, policy);
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
