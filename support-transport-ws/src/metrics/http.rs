//! [`HttpMetricsLayer`]: requests and their latency by route template and status.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use ::metrics::{Counter, Histogram, SharedString};
use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::response::Response;
use tower::{Layer, Service};

use super::handles::Handles;

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
///
/// Each route's handles are registered with the recorder at its first request (one per
/// method and status seen), and kept by the layer: create the layer after installing the
/// recorder, or at least before the first request.
#[derive(Debug, Clone, Default)]
pub struct HttpMetricsLayer {
    routes: Arc<Routes>,
}

impl HttpMetricsLayer {
    /// The layer.
    pub fn new() -> Self {
        HttpMetricsLayer::default()
    }
}

impl<S> Layer<S> for HttpMetricsLayer {
    type Service = HttpMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        HttpMetrics {
            inner,
            routes: self.routes.clone(),
        }
    }
}

/// The service [`HttpMetricsLayer`] wraps around each route.
#[derive(Debug, Clone)]
pub struct HttpMetrics<S> {
    inner: S,
    routes: Arc<Routes>,
}

/// The handles of every route template seen, then by method and status.
type Routes = Handles<Arc<str>, Arc<Route>>;

/// One route template's handles: the duration by method, the count by method and status.
#[derive(Debug, Default)]
struct Route {
    answered: Handles<(&'static str, u16), (Histogram, Counter)>,
}

/// The handles of a request to `route` by `method` answered with `status`.
fn handles(
    routes: &Routes,
    method: &'static str,
    route: &str,
    status: u16,
) -> (Histogram, Counter) {
    let template = routes.get(route, || (Arc::from(route), Arc::default()));
    template.answered.get(&(method, status), || {
        let route = SharedString::from(route.to_owned());
        let duration =
            ::metrics::histogram!(DURATION, "method" => method, "route" => route.clone());
        let status_label = SharedString::from(status.to_string());
        let requests = ::metrics::counter!(
            REQUESTS,
            "method" => method, "route" => route, "status" => status_label
        );
        ((method, status), (duration, requests))
    })
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
        // The template's text is shared (an `Arc`), not copied.
        let route = request.extensions().get::<MatchedPath>().cloned();
        let method = method_label(request.method());
        let routes = self.routes.clone();
        let answer = self.inner.call(request);
        Box::pin(async move {
            let response = answer.await?;
            if let Some(route) = route {
                let elapsed = started.elapsed().as_secs_f64();
                let (duration, requests) =
                    handles(&routes, method, route.as_str(), response.status().as_u16());
                duration.record(elapsed);
                requests.increment(1);
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
