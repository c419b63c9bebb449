//! The chat widget other sites embed:
//!
//! ```html
//! <script src="https://help.example.com/widget.js" data-token="JWT" async></script>
//! ```
//!
//! - `GET /widget.js` (`web/widget-loader.js`): adds one iframe of `/widget/frame` to the host
//!   page, sized by the frame's requests, and nothing else;
//! - `GET /widget/frame`: the widget's page (`web/frame.js`), which trades the JWT it is given
//!   in its URL fragment for a session of its own (`POST /sso/session`) and then runs the
//!   helpdesk's own widget, with its bearer token in memory only.
//!
//! Only the `--allowed-origin` origins may frame it (`frame-ancestors`), as only they may call
//! the API across origins (CORS, [`Embedding::cors`]) and open the websocket (the hub's Origin
//! check). Without any `--allowed-origin`, the frame may be shown by this site alone, and the
//! API answers no cross-origin call.

use axum::Router;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, REFERRER_POLICY};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::routing::get;
use html_escape::encode_double_quoted_attribute as attr;
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::{assets, html_with_policy};

/// Which sites may embed the widget and call the API from their pages.
#[derive(Debug, Clone)]
pub(crate) struct Embedding {
    app_key: String,
    origins: Vec<HeaderValue>,
}

/// An origin as a browser sends it: `scheme://host[:port]`, http or https, nothing after.
fn check_origin(origin: &str) -> Result<HeaderValue, String> {
    let bad = || {
        format!(
            "--allowed-origin {origin:?}: give an origin as the browser sends it, such as \
             https://portal.example.com or http://localhost:3000 (no path, no trailing slash)"
        )
    };
    let (scheme, rest) = origin.split_once("://").ok_or_else(bad)?;
    let host_ok = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !matches!(scheme, "http" | "https") || !host_ok {
        return Err(bad());
    }
    HeaderValue::from_str(origin).map_err(|_| bad())
}

impl Embedding {
    /// The widget of the app with this Pusher key, for these origins (checked: a typo fails
    /// the start-up rather than silently allowing nothing, or more).
    pub(crate) fn new(app_key: &str, origins: &[String]) -> Result<Self, String> {
        Ok(Embedding {
            app_key: app_key.to_owned(),
            origins: origins
                .iter()
                .map(|o| check_origin(o))
                .collect::<Result<_, _>>()?,
        })
    }

    /// CORS for the API and channel auth: the allowed origins may call them with a bearer
    /// token (never with cookies: credentials are not allowed), with the headers the
    /// helpdesk's clients send; `None` without any allowed origin (same-origin only).
    pub(crate) fn cors(&self) -> Option<CorsLayer> {
        if self.origins.is_empty() {
            return None;
        }
        Some(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(self.origins.iter().cloned()))
                .allow_methods([
                    Method::GET,
                    Method::POST,
                    Method::PUT,
                    Method::PATCH,
                    Method::DELETE,
                ])
                .allow_headers([
                    axum::http::header::AUTHORIZATION,
                    axum::http::header::CONTENT_TYPE,
                    axum::http::header::ACCEPT,
                    HeaderName::from_static("x-socket-id"),
                    HeaderName::from_static("idempotency-key"),
                ])
                .max_age(std::time::Duration::from_secs(600)),
        )
    }

    /// The `frame-ancestors` directive of the widget's frame.
    fn framing(&self) -> String {
        let mut directive = String::from("frame-ancestors 'self'");
        for origin in &self.origins {
            if let Ok(o) = origin.to_str() {
                directive.push(' ');
                directive.push_str(o);
            }
        }
        directive
    }
}

/// `/widget.js` and `/widget/frame`.
pub(crate) fn router(embedding: Embedding) -> Router {
    Router::new()
        .route("/widget.js", get(loader))
        .route("/widget/frame", get(frame))
        .with_state(embedding)
}

/// `GET /widget.js`: a classic script any page may include (it reads its own `data-token`).
async fn loader(headers: HeaderMap) -> Response {
    let mut response = assets::serve("widget-loader.js", &headers);
    let ok = response.status().is_success();
    let h = response.headers_mut();
    if ok {
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/javascript; charset=utf-8"),
        );
    }
    // Pages that isolate themselves (COEP) may still load it.
    h.insert(
        HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("cross-origin"),
    );
    response
}

/// `GET /widget/frame`: the widget's page, framable by the allowed origins only.
async fn frame(State(embedding): State<Embedding>) -> Response {
    let body = format!(
        r#"<!doctype html>
<html lang="en" class="embedded">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Chat with support</title>
<meta name="pusher-key" content="{key}">
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/vendor/pusher.min.js" defer></script>
<script src="/assets/vendor/echo.iife.js" defer></script>
<script type="module" src="/assets/frame.js"></script>
</head>
<body>
<noscript><p class="notice">Support chat needs JavaScript.</p></noscript>
</body>
</html>
"#,
        key = attr(&embedding.app_key),
    );
    let mut response = html_with_policy(StatusCode::OK, body, &embedding.framing());
    let h = response.headers_mut();
    // The JWT is in the fragment, which no Referer carries; say nothing of this page anyway.
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_checked_and_listed_as_frame_ancestors() {
        let e = Embedding::new(
            "key",
            &[
                "https://portal.example.com".into(),
                "http://localhost:3000".into(),
            ],
        )
        .unwrap();
        assert_eq!(
            e.framing(),
            "frame-ancestors 'self' https://portal.example.com http://localhost:3000"
        );
        assert!(e.cors().is_some());
        let none = Embedding::new("key", &[]).unwrap();
        assert_eq!(none.framing(), "frame-ancestors 'self'");
        assert!(none.cors().is_none());
        for bad in [
            "portal.example.com",
            "https://portal.example.com/",
            "https://portal.example.com/app",
            "ftp://portal.example.com",
            "https://a; script-src *",
            "https://",
            "*",
        ] {
            assert!(Embedding::new("key", &[bad.into()]).is_err(), "{bad:?}");
        }
    }
}
