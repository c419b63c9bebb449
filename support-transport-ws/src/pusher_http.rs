//! Pusher's HTTP API, signed as Pusher's server SDKs sign it: trigger events (one or a batch)
//! and query channels and presence users.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::hub::Hub;
use crate::names::{ChannelKind, channel_kind, valid_api_event};
use crate::signature;
use crate::throttle::{RateLimits, Throttle, Throttled};

/// A refusal with Pusher's status code and a plain-text reason.
pub(crate) struct Refusal(StatusCode, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.0, self.1).into_response()
    }
}

/// What the event routes refuse with: Pusher's refusals, or 429 past the app's rate.
pub(crate) enum Refused {
    Pusher(Refusal),
    Throttled(Throttled),
}

impl From<Refusal> for Refused {
    fn from(r: Refusal) -> Self {
        Refused::Pusher(r)
    }
}

impl From<Throttled> for Refused {
    fn from(t: Throttled) -> Self {
        Refused::Throttled(t)
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::Pusher(r) => r.into_response(),
            Refused::Throttled(t) => t.into_response(),
        }
    }
}

fn bad(message: impl Into<String>) -> Refusal {
    Refusal(StatusCode::BAD_REQUEST, message.into())
}

fn unauthorized(message: impl Into<String>) -> Refusal {
    Refusal(StatusCode::UNAUTHORIZED, message.into())
}

/// Checks app id, key, timestamp, body hash and signature of a request.
fn verify(
    hub: &Hub,
    app_id: &str,
    method: &Method,
    uri: &Uri,
    query: Option<&str>,
    body: &[u8],
) -> Result<BTreeMap<String, String>, Refusal> {
    let app = hub.app();
    if app_id != app.id {
        return Err(Refusal(
            StatusCode::NOT_FOUND,
            format!("Unknown app {app_id}"),
        ));
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or_default())
        .map_err(|_| bad("Malformed query string"))?;
    let params: BTreeMap<String, String> = pairs
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect();
    let get = |k: &str| params.get(k).map(String::as_str);
    if get("auth_key") != Some(app.key.as_str()) {
        return Err(unauthorized("Unknown auth_key"));
    }
    if get("auth_version") != Some("1.0") {
        return Err(unauthorized("auth_version must be 1.0"));
    }
    let timestamp: i64 = get("auth_timestamp")
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| unauthorized("Missing auth_timestamp"))?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default();
    // `abs_diff` cannot overflow, whatever the client sent (`now - timestamp` would, for
    // timestamps near i64::MIN).
    let off = now.abs_diff(timestamp);
    if off > app.limits.timestamp_window.as_secs() {
        let side = if timestamp < now {
            "behind"
        } else {
            "ahead of"
        };
        return Err(unauthorized(format!(
            "Timestamp expired: {off} seconds {side} the server's clock; check the clocks"
        )));
    }
    if !body.is_empty() {
        let expected = signature::body_md5(body);
        if get("body_md5") != Some(expected.as_str()) {
            return Err(unauthorized("body_md5 does not match the body"));
        }
    }
    let signed = signature::api_string(method.as_str(), uri.path(), &params);
    let given = get("auth_signature").unwrap_or_default();
    if !signature::verify(&app.secret, &signed, given) {
        return Err(unauthorized(
            "Invalid signature: you should have sent HmacSHA256Hex(secret, the string to sign)",
        ));
    }
    Ok(params)
}

#[derive(Debug, Deserialize)]
struct EventBody {
    name: Option<String>,
    data: Option<Value>,
    channels: Option<Vec<String>>,
    channel: Option<String>,
    socket_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct BatchBody {
    batch: Vec<EventBody>,
}

/// One validated event ready to publish.
struct Trigger {
    name: String,
    data: String,
    channels: Vec<String>,
    socket_id: Option<String>,
}

fn validate(hub: &Hub, e: EventBody) -> Result<Trigger, Refusal> {
    let limits = &hub.app().limits;
    let name = e
        .name
        .filter(|n| valid_api_event(n))
        .ok_or_else(|| bad("Invalid or missing event name"))?;
    let data = match e.data {
        Some(Value::String(s)) => s,
        Some(other) => other.to_string(),
        None => return Err(bad("Missing data")),
    };
    if data.len() > limits.max_event_bytes {
        return Err(Refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("Event data exceeds {} bytes", limits.max_event_bytes),
        ));
    }
    let channels = match (e.channels, e.channel) {
        (Some(list), None) => list,
        (None, Some(one)) => vec![one],
        _ => return Err(bad("Give either channels or channel")),
    };
    if channels.is_empty() || channels.len() > limits.max_event_channels {
        return Err(bad(format!(
            "An event goes to 1 to {} channels",
            limits.max_event_channels
        )));
    }
    if let Some(bad_name) = channels.iter().find(|c| channel_kind(c).is_none()) {
        return Err(bad(format!("Invalid channel name {bad_name:?}")));
    }
    if let Some(s) = &e.socket_id {
        if s.parse::<support_core::SocketId>().is_err() {
            return Err(bad("Invalid socket_id"));
        }
    }
    Ok(Trigger {
        name,
        data,
        channels,
        socket_id: e.socket_id,
    })
}

fn publish(hub: &Hub, t: &Trigger) {
    for channel in &t.channels {
        hub.trigger(channel, &t.name, &t.data, t.socket_id.as_deref());
    }
}

/// The events the app may trigger through this API
/// ([`RateLimits::api_events_per_app`]): one app per hub, so one key.
#[derive(Clone)]
pub(crate) struct EventsThrottle(Throttle<()>);

impl EventsThrottle {
    pub(crate) fn new(limits: &RateLimits) -> Self {
        EventsThrottle(Throttle::new(limits.api_events_per_app))
    }

    /// Spends `n` events, or answers 429.
    fn spend(&self, n: usize) -> Result<(), Throttled> {
        self.0.check_n(&(), u32::try_from(n).unwrap_or(u32::MAX))
    }
}

fn parse_json<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, Refusal> {
    serde_json::from_slice(body).map_err(|e| bad(format!("Invalid JSON body: {e}")))
}

pub(crate) async fn events(
    State(hub): State<Hub>,
    Extension(throttle): Extension<EventsThrottle>,
    Path(app_id): Path<String>,
    method: Method,
    uri: Uri,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Json<Value>, Refused> {
    verify(&hub, &app_id, &method, &uri, query.as_deref(), &body)?;
    let trigger = validate(&hub, parse_json(&body)?)?;
    throttle.spend(1)?;
    publish(&hub, &trigger);
    Ok(Json(json!({})))
}

pub(crate) async fn batch_events(
    State(hub): State<Hub>,
    Extension(throttle): Extension<EventsThrottle>,
    Path(app_id): Path<String>,
    method: Method,
    uri: Uri,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Json<Value>, Refused> {
    verify(&hub, &app_id, &method, &uri, query.as_deref(), &body)?;
    let batch: BatchBody = parse_json(&body)?;
    let max = hub.app().limits.max_batch_events;
    if batch.batch.len() > max {
        return Err(bad(format!("A batch holds at most {max} events")).into());
    }
    // Validate all before publishing any: a batch is accepted or refused whole, and counts
    // as many events as it holds.
    let triggers = batch
        .batch
        .into_iter()
        .map(|e| validate(&hub, e))
        .collect::<Result<Vec<_>, _>>()?;
    throttle.spend(triggers.len())?;
    for t in &triggers {
        publish(&hub, t);
    }
    Ok(Json(json!({})))
}

fn wants(params: &BTreeMap<String, String>, attribute: &str) -> bool {
    params
        .get("info")
        .is_some_and(|i| i.split(',').any(|a| a.trim() == attribute))
}

pub(crate) async fn channels(
    State(hub): State<Hub>,
    Path(app_id): Path<String>,
    method: Method,
    uri: Uri,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, Refusal> {
    let params = verify(&hub, &app_id, &method, &uri, query.as_deref(), &[])?;
    let prefix = params
        .get("filter_by_prefix")
        .map(String::as_str)
        .unwrap_or_default();
    let user_count = wants(&params, "user_count");
    if user_count && !prefix.starts_with("presence-") {
        return Err(bad(
            "user_count is only available with filter_by_prefix=presence-",
        ));
    }
    let mut out = Map::new();
    for (name, info) in hub.channels(prefix) {
        let mut attributes = Map::new();
        if user_count {
            attributes.insert("user_count".into(), info.user_count.into());
        }
        out.insert(name, Value::Object(attributes));
    }
    Ok(Json(json!({ "channels": out })))
}

pub(crate) async fn channel(
    State(hub): State<Hub>,
    Path((app_id, channel)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, Refusal> {
    let params = verify(&hub, &app_id, &method, &uri, query.as_deref(), &[])?;
    let kind = channel_kind(&channel).ok_or_else(|| bad("Invalid channel name"))?;
    let info = hub.channel_info(&channel);
    let mut out = Map::new();
    out.insert("occupied".into(), (info.subscription_count > 0).into());
    if wants(&params, "subscription_count") {
        out.insert("subscription_count".into(), info.subscription_count.into());
    }
    if wants(&params, "user_count") {
        if kind != ChannelKind::Presence {
            return Err(bad("user_count is only available for presence channels"));
        }
        out.insert("user_count".into(), info.user_count.into());
    }
    Ok(Json(Value::Object(out)))
}

pub(crate) async fn users(
    State(hub): State<Hub>,
    Path((app_id, channel)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, Refusal> {
    verify(&hub, &app_id, &method, &uri, query.as_deref(), &[])?;
    if channel_kind(&channel) != Some(ChannelKind::Presence) {
        return Err(bad("Users are only listed for presence channels"));
    }
    let users: Vec<Value> = hub
        .presence_users(&channel)
        .into_iter()
        .map(|id| json!({ "id": id }))
        .collect();
    Ok(Json(json!({ "users": users })))
}
