//! Webhooks as Pusher sends them: `channel_occupied`, `channel_vacated`, `member_added`,
//! `member_removed` and (if enabled) `client_event`, batched into one signed POST, retried with
//! backoff. Off unless [`AppConfig::webhooks`](crate::AppConfig::webhooks) names a URL.
//!
//! Occupancy is per server process: behind several nodes, each reports its own subscribers.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep, timeout_at};

use crate::signature;

/// Where webhooks go and how they are batched and retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    /// The endpoint that receives the POSTs.
    pub url: String,
    /// How long events are gathered into one request after the first.
    pub batch_window: Duration,
    /// The most events in one request.
    pub max_batch: usize,
    /// Attempts per request before it is dropped (and logged).
    pub max_attempts: u32,
    /// The wait before the second attempt; it doubles after each failure.
    pub first_retry: Duration,
    /// Whether client events (whispers) are reported too. Pusher leaves them off by default.
    pub client_events: bool,
    /// Events waiting to be sent at most; beyond, new events are dropped and logged rather than
    /// let an unreachable endpoint grow the server's memory.
    pub queue: usize,
    /// How long one request may take.
    pub request_timeout: Duration,
}

impl WebhookConfig {
    /// Webhooks to `url` with Pusher-like defaults.
    pub fn new(url: impl Into<String>) -> Self {
        WebhookConfig {
            url: url.into(),
            batch_window: Duration::from_millis(250),
            max_batch: 100,
            max_attempts: 5,
            first_retry: Duration::from_millis(500),
            client_events: false,
            queue: 10_000,
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// The sending side, held by the hub.
#[derive(Debug, Clone)]
pub(crate) struct Webhooks {
    events: mpsc::Sender<Value>,
    client_events: bool,
}

impl Webhooks {
    /// Starts the sender task; `None` (and an error logged) outside a tokio runtime.
    pub(crate) fn start(config: WebhookConfig, key: String, secret: String) -> Option<Self> {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::error!(
                "webhooks are configured but the hub was created outside a tokio runtime: they are off"
            );
            return None;
        };
        let (events, queue) = mpsc::channel(config.queue.max(1));
        let client_events = config.client_events;
        runtime.spawn(send_batches(config, key, secret, queue));
        Some(Webhooks {
            events,
            client_events,
        })
    }

    fn emit(&self, event: Value) {
        if self.events.try_send(event).is_err() {
            tracing::warn!("webhook queue full or closed: an event was dropped");
        }
    }

    pub(crate) fn channel_occupied(&self, channel: &str) {
        self.emit(json!({ "name": "channel_occupied", "channel": channel }));
    }

    pub(crate) fn channel_vacated(&self, channel: &str) {
        self.emit(json!({ "name": "channel_vacated", "channel": channel }));
    }

    pub(crate) fn member_added(&self, channel: &str, user_id: &str) {
        self.emit(json!({ "name": "member_added", "channel": channel, "user_id": user_id }));
    }

    pub(crate) fn member_removed(&self, channel: &str, user_id: &str) {
        self.emit(json!({ "name": "member_removed", "channel": channel, "user_id": user_id }));
    }

    pub(crate) fn client_event(
        &self,
        channel: &str,
        event: &str,
        data: &str,
        socket_id: &str,
        user_id: Option<&str>,
    ) {
        if !self.client_events {
            return;
        }
        let mut e = json!({ "name": "client_event", "channel": channel, "event": event, "data": data, "socket_id": socket_id });
        if let (Some(user), Some(map)) = (user_id, e.as_object_mut()) {
            map.insert("user_id".into(), user.into());
        }
        self.emit(e);
    }
}

async fn send_batches(
    config: WebhookConfig,
    key: String,
    secret: String,
    mut queue: mpsc::Receiver<Value>,
) {
    let client = match reqwest::Client::builder()
        .timeout(config.request_timeout)
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the webhook HTTP client: webhooks are off");
            return;
        }
    };
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        let until = Instant::now() + config.batch_window;
        while batch.len() < config.max_batch {
            match timeout_at(until, queue.recv()).await {
                Ok(Some(e)) => batch.push(e),
                Ok(None) | Err(_) => break,
            }
        }
        let time_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        let body = json!({ "time_ms": time_ms as u64, "events": batch }).to_string();
        deliver(&client, &config, &key, &secret, body).await;
    }
}

/// POSTs one batch, retrying with doubling waits; gives up after `max_attempts`.
async fn deliver(
    client: &reqwest::Client,
    config: &WebhookConfig,
    key: &str,
    secret: &str,
    body: String,
) {
    let signature = signature::sign(secret, &body);
    let mut wait = config.first_retry;
    for attempt in 1..=config.max_attempts.max(1) {
        let sent = client
            .post(&config.url)
            .header("content-type", "application/json")
            .header("x-pusher-key", key)
            .header("x-pusher-signature", &signature)
            .body(body.clone())
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => return,
            Ok(r) => tracing::warn!(status = %r.status(), attempt, "webhook refused"),
            Err(e) => tracing::warn!(error = %e, attempt, "webhook failed"),
        }
        if attempt < config.max_attempts {
            sleep(wait).await;
            wait *= 2;
        }
    }
    tracing::error!(url = %config.url, "webhook batch dropped after {} attempts", config.max_attempts);
}
