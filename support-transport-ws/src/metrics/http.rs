//! [`HttpMetricsLayer`]: requests and their latency by route template and status.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::response::Response;
use tower::{Layer, Service};

pub(crate) const REQUESTS: &str = "support_http_requests_total";
pub(crate) const DURATION: &str = "support_http_request_duration_seconds";

/// A tower layer counting HTTP requests (`support_http_requests_total`, by method, route
/// template and status) and timing them to the response's head
/// (`support_http_request_duration_seconds`, by method and route template).
///
/// The route is axum's [`MatchedPath`], the template a route was declared with
/// (`/api/admin/support/{ticket}`), never the path the client sent, so the labels stay
/// bounded. The matched path is known inside the router only: add the layer with
/// [`Router::route_layer`](axum::Router::route_layer), after the routes (and merges) it is
/// to measure. Requests no route matched, or that a layer outside it answered, are not
/// counted.
///
/// ```
/// use axum::{Router, routing::get};
/// use support_transport_ws::HttpMetricsLayer;
///
/// let app: Router = Router::new()
///     .route("/api/things/{id}", get(|| async { "a thing" }))
///     .route_layer(HttpMetricsLayer::new());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct HttpMetricsLayer;

impl HttpMetricsLayer {
    /// The layer.
    pub fn new() -> Self {
        HttpMetricsLayer
    }
}

impl<S> Layer<S> for HttpMetricsLayer {
    type Service = HttpMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        HttpMetrics { inner }
    }
}

/// The service [`HttpMetricsLayer`] wraps around each route.
#[derive(Debug, Clone)]
pub struct HttpMetrics<S> {
    inner: S,
}

impl<S> Service<Request> for HttpMetrics<S>
where
    S: Service<Request, Response = Response> + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let started = Instant::now();
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map(|p| p.as_str().to_owned());
        let method = method_label(request.method());
        let answer = self.inner.call(request);
        Box::pin(async move {
            let response = answer.await?;
            if let Some(route) = route {
                let status = response.status().as_u16().to_string();
                let elapsed = started.elapsed().as_secs_f64();
                ::metrics::histogram!(DURATION, "method" => method, "route" => route.clone())
                    .record(elapsed);
                ::metrics::counter!(REQUESTS, "method" => method, "route" => route, "status" => status)
                    .increment(1);
            }
            Ok(response)
        })
    }
}

/// The method as a bounded label: the standard ones by name, anything else `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}
