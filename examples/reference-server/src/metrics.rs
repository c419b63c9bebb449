//! `GET /metrics`: the Prometheus text format, off unless asked for. `--metrics-token`
//! serves it on the main port to a bearer of the token; `--metrics-bind` serves it on a
//! listener of its own instead (guarded by the token too when one is given). What is measured
//! is listed in `support_transport_ws::metrics`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use support_core::SupportService;

/// The metrics flags.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct MetricsFlags {
    /// Serve `GET /metrics` (Prometheus text format) on the main port to requests with
    /// `Authorization: Bearer TOKEN`. With `--metrics-bind` too, the token guards that
    /// listener instead.
    #[arg(
        long,
        env = "SUPPORT_METRICS_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub(crate) metrics_token: Option<String>,
    /// Serve `GET /metrics` on a listener of its own at this address (e.g. `127.0.0.1:9090`),
    /// not on the main port; no token is asked there unless `--metrics-token` is given.
    #[arg(long, env = "SUPPORT_METRICS_BIND", value_name = "ADDR")]
    pub(crate) metrics_bind: Option<SocketAddr>,
}

impl MetricsFlags {
    /// Whether `/metrics` is served at all (and so whether a recorder is installed).
    pub(crate) fn enabled(&self) -> bool {
        self.metrics_token.is_some() || self.metrics_bind.is_some()
    }

    /// The token, refused when empty or too short to guess poorly.
    fn token(&self) -> Result<Option<Arc<[u8; 32]>>, String> {
        match &self.metrics_token {
            None => Ok(None),
            Some(t) if t.trim().len() < 16 => {
                Err("--metrics-token must be at least 16 characters".into())
            }
            Some(t) => Ok(Some(Arc::new(Sha256::digest(t.as_bytes()).into()))),
        }
    }
}

/// The buckets of the request and store latency histograms, in seconds: a millisecond to ten
/// seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The buckets of the websocket delivery latency, in seconds: a tenth of a millisecond (a
/// frame straight to an idle socket) to five seconds (a client on its way to being cut off).
const DELIVERY_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// How often the recorder's histograms are drained into their buckets.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The installed recorder, and what `/metrics` needs to answer.
#[derive(Clone)]
pub(crate) struct Metrics {
    handle: PrometheusHandle,
    token: Option<Arc<[u8; 32]>>,
}

impl Metrics {
    /// Installs the Prometheus recorder as the process's (before anything records, so the
    /// websocket hub's handles are its) and describes every metric. `None` when neither flag
    /// asks for metrics: then nothing is recorded at all.
    pub(crate) fn install(flags: &MetricsFlags) -> Result<Option<Self>, String> {
        if !flags.enabled() {
            return Ok(None);
        }
        let token = flags.token()?;
        let handle = PrometheusBuilder::new()
            // (A full name takes precedence over a suffix.)
            .set_buckets_for_metric(
                Matcher::Full("support_ws_delivery_latency_seconds".into()),
                DELIVERY_BUCKETS,
            )
            .map_err(|e| format!("metrics: {e}"))?
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
            .map_err(|e| format!("metrics: {e}"))?
            .install_recorder()
            .map_err(|e| format!("metrics: {e}"))?;
        support_transport_ws::metrics::describe();
        let upkeep = handle.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(UPKEEP_EVERY);
            loop {
                every.tick().await;
                upkeep.run_upkeep();
            }
        });
        Ok(Some(Metrics { handle, token }))
    }

    /// The `/metrics` route, for the main port or a listener of its own.
    pub(crate) fn router(&self, service: SupportService) -> Router {
        Router::new()
            .route("/metrics", get(scrape))
            .with_state(Scrape {
                metrics: self.clone(),
                service,
            })
    }
}

#[derive(Clone)]
struct Scrape {
    metrics: Metrics,
    service: SupportService,
}

/// Whether the request's bearer token is the metrics token: compared as SHA-256 digests, in
/// constant time, so neither its content nor its length shows in the time taken.
fn authorized(headers: &HeaderMap, token: &[u8; 32]) -> bool {
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    let given: [u8; 32] = Sha256::digest(given.trim().as_bytes()).into();
    bool::from(given.ct_eq(token))
}

async fn scrape(State(scrape): State<Scrape>, headers: HeaderMap) -> Response {
    if let Some(token) = &scrape.metrics.token {
        if !authorized(&headers, token) {
            let mut response = (
                StatusCode::UNAUTHORIZED,
                axum::Json(serde_json::json!({"message": "Unauthenticated."})),
            )
                .into_response();
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"metrics\""),
            );
            return response;
        }
    }
    // The ticket gauges are read now, so they are exact at every scrape; a store that cannot
    // answer makes them NaN (unknown) rather than stale.
    match scrape.service.store().stats().await {
        Ok(stats) => support_transport_ws::metrics::record_ticket_stats(&stats),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: the ticket counts are unknown");
            for name in [
                support_transport_ws::metrics::TICKETS_OPEN,
                support_transport_ws::metrics::TICKETS_IN_PROGRESS,
                support_transport_ws::metrics::TICKETS_URGENT,
            ] {
                metrics::gauge!(name).set(f64::NAN);
            }
        }
    }
    let body = scrape.metrics.handle.render();
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_right_bearer_token_is_authorized() {
        let token: [u8; 32] = Sha256::digest(b"a-metrics-token-of-some-length").into();
        let with = |value: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, value.parse().unwrap());
            h
        };
        assert!(authorized(
            &with("Bearer a-metrics-token-of-some-length"),
            &token
        ));
        assert!(!authorized(
            &with("Bearer a-metrics-token-of-some-lengtH"),
            &token
        ));
        assert!(!authorized(&with("Bearer a-metrics-token"), &token));
        assert!(!authorized(
            &with("Basic a-metrics-token-of-some-length"),
            &token
        ));
        assert!(!authorized(&HeaderMap::new(), &token));
    }
}
