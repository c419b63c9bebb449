//! The pages: one HTML shell per page of the Laravel helpdesk, which the scripts draw, and the
//! short message pages for refusals.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use serde_json::json;
use support_core::{Actor, Policy};

use super::{Web, home_of, redirect, secure_html};

/// One of the Laravel helpdesk's pages.
#[derive(Debug, Clone, Copy)]
pub(super) enum Page {
    EmployeeIndex,
    EmployeeCreate,
    EmployeeShow,
    AdminDashboard,
    AdminIndex,
    AdminShow,
    AdminLiveChat,
    AdminUsers,
    AdminCanned,
    AdminTemplates,
    AdminAudit,
    AdminReports,
    AdminSearch,
    EmployeeSearch,
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
            Page::AdminUsers => "admin.users",
            Page::AdminCanned => "admin.canned-responses",
            Page::AdminTemplates => "admin.templates",
            Page::AdminAudit => "admin.audit",
            Page::AdminReports => "admin.reports",
            Page::AdminSearch => "admin.search",
            Page::EmployeeSearch => "employee.search",
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
            Page::AdminUsers => "Users",
            Page::AdminCanned => "Canned responses",
            Page::AdminTemplates => "Ticket templates",
            Page::AdminAudit => "Audit log",
            Page::AdminReports => "Reports",
            Page::AdminSearch => "Search",
            Page::EmployeeSearch => "Search my tickets",
        }
    }

    fn staff_only(self) -> bool {
        matches!(
            self,
            Page::AdminDashboard
                | Page::AdminIndex
                | Page::AdminShow
                | Page::AdminLiveChat
                | Page::AdminUsers
                | Page::AdminCanned
                | Page::AdminTemplates
                | Page::AdminAudit
                | Page::AdminReports
                | Page::AdminSearch
        )
    }

    fn admins_only(self) -> bool {
        matches!(
            self,
            Page::AdminUsers | Page::AdminTemplates | Page::AdminAudit
        )
    }
}

pub(super) async fn home(State(web): State<Web>, headers: HeaderMap) -> Response {
    match web.identity.actor(&headers).await {
        Ok(Some(actor)) => redirect(home_of(&actor)),
        Ok(None) => redirect("/login"),
        Err(e) => unavailable(&e),
    }
}

pub(super) async fn render(
    web: Web,
    headers: HeaderMap,
    uri: Uri,
    page: Page,
    ticket: Option<String>,
) -> Response {
    let (session, actor) = match web.identity.signed_in(&headers).await {
        Ok(Some(signed_in)) => signed_in,
        Ok(None) => return redirect(&sign_in_then(&uri)),
        Err(e) => return unavailable(&e),
    };
    if page.staff_only() && Policy::check_staff(&actor).is_err() {
        return message_page(
            StatusCode::FORBIDDEN,
            "Staff only",
            "This page is for support staff.",
            Some(&actor),
        );
    }
    if page.admins_only() && actor.role != support_core::Role::Admin {
        return message_page(
            StatusCode::FORBIDDEN,
            "Admins only",
            "This page is for administrators.",
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
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
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

/// The sign-in page, asked to come back to `uri` (this page, with its query) afterwards.
/// The sign-in page checks `next` again (only paths on this site are followed).
fn sign_in_then(uri: &Uri) -> String {
    let back = uri.path_and_query().map_or("/", |p| p.as_str());
    match serde_urlencoded::to_string([("next", back)]) {
        Ok(query) => format!("/login?{query}"),
        Err(_) => "/login".to_owned(),
    }
}

pub(super) fn message_page(
    status: StatusCode,
    title: &str,
    message: &str,
    actor: Option<&Actor>,
) -> Response {
    let back = actor.map_or("/login", home_of);
    let body = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Support</title><link rel="icon" href="/assets/favicon.svg" type="image/svg+xml"><link rel="stylesheet" href="/assets/app.css"></head>
<body><main class="narrow"><h1>{title}</h1><p>{message}</p><p><a href="{back}">Back</a></p></main></body></html>
"#,
        title = text(title),
        message = text(message),
        back = attr(back),
    );
    secure_html(status, body)
}

/// 503: the session store cannot answer, so nobody's sign-in can be checked (or made) now.
pub(super) fn unavailable(e: &support_core::Error) -> Response {
    tracing::warn!("sessions unavailable: {e}");
    message_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Unavailable",
        "Sign-in cannot be checked right now. Try again in a moment.",
        None,
    )
}

#[cfg(test)]
mod tests {
    use axum::http::Uri;

    use super::sign_in_then;

    #[test]
    fn sign_in_comes_back_to_the_page_asked_for() {
        let uri: Uri = "/admin/support/7?from=mail&x=a%20b".parse().unwrap();
        let to = sign_in_then(&uri);
        assert_eq!(
            to,
            "/login?next=%2Fadmin%2Fsupport%2F7%3Ffrom%3Dmail%26x%3Da%2520b"
        );
        let next: Vec<(String, String)> =
            serde_urlencoded::from_str(to.trim_start_matches("/login?")).unwrap();
        assert_eq!(
            next,
            [(
                "next".to_owned(),
                "/admin/support/7?from=mail&x=a%20b".to_owned()
            )]
        );
    }
}
