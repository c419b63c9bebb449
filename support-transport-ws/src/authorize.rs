//! `POST /broadcasting/auth`: Laravel's channel authorization endpoint, answered by asking the
//! embedder (and through it the core's `Policy`) whether the caller may join.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use support_core::{Actor, Channel, Error, SupportService, UserId};

use crate::hub::Hub;
use crate::identify::Identify;
use crate::metrics::ws::{self as metrics, SubscriptionKind};
use crate::names::{ChannelKind, channel_kind};
use crate::signature;
use crate::throttle::{ClientAddr, Rate, RateLimits, Throttle, Throttled};

/// A request to join a channel, as the auth endpoint received it.
#[derive(Debug, Clone)]
pub struct JoinRequest<'a> {
    /// The request's headers, to identify the caller (bearer token, session cookie).
    pub headers: &'a HeaderMap,
    /// The connection that wants to join.
    pub socket_id: &'a str,
    /// The full channel name (`private-support.ticket.5`).
    pub channel: &'a str,
}

/// The answer to a [`JoinRequest`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Decision {
    /// May join, as `member` when given.
    ///
    /// - A presence channel needs a member: `(user_id, user_info)`, what the other members
    ///   see of the caller.
    /// - On a private channel only the user id is used: the answer carries `channel_data`
    ///   `{"user_id": "…"}`, signed with the subscription, so the server knows who sends each
    ///   client event (Echo's whispers) and relays it with their `user_id`. Without a member
    ///   the subscription is signed the standard way (`socket_id:channel`): it receives
    ///   everything, but its client events are refused ([`Decision::allow_as`] gives one).
    Allow {
        /// `(user_id, user_info)`; for a private channel the `user_info` is not sent.
        member: Option<(String, Value)>,
    },
    /// The caller is not identified: 401 (Laravel answers 403 too; pusher-js treats both as a
    /// refusal).
    Unauthenticated,
    /// The caller may not join: 403.
    Forbidden,
    /// The caller's identity or the ticket cannot be looked up now (a backend is down): 503,
    /// so the client retries instead of treating it as a refusal.
    Unavailable,
    /// The caller asked too often: 429 with `Retry-After`, in Laravel's
    /// `{"message": "Too Many Attempts."}`.
    TooManyRequests {
        /// How long until the next attempt can succeed.
        retry_after: Duration,
    },
}

impl Decision {
    /// May join a private channel as user `user_id`: client events it sends are relayed with
    /// that id.
    pub fn allow_as(user_id: impl Into<String>) -> Self {
        Decision::Allow {
            member: Some((user_id.into(), Value::Null)),
        }
    }
}

/// Decides who may join which channel. The embedder implements it over its own sessions;
/// [`ServiceAuthorizer`] implements it over a `SupportService` and a way to identify callers.
///
/// # Contract
///
/// - `decide` is called once per private or presence subscription, with the headers of the
///   auth request. It must identify the caller from them and answer from the same policy that
///   guards the HTTP routes, never a second copy of the rules.
/// - It must not trust the socket id or channel name beyond parsing them.
/// - To let the caller send client events (Echo's whispers) on a private channel, it allows
///   them as their user id ([`Decision::allow_as`]): the server relays each client event with
///   that id, so receivers know the sender from the server, not from the event's data. A
///   plain `Allow { member: None }` subscribes, but its client events are refused.
/// - A backend that cannot answer now (sessions, store) is [`Decision::Unavailable`] (503),
///   never a refusal: a client told 403 stops trying, one told 503 retries.
/// - A caller who asks too often may be answered [`Decision::TooManyRequests`] (429);
///   [`ServiceAuthorizer`] counts per user. The endpoint itself counts the calls that end in
///   [`Decision::Unauthenticated`] per client address
///   ([`RateLimits::channel_auth`](crate::RateLimits::channel_auth)).
#[async_trait]
pub trait ChannelAuthorizer: Send + Sync + 'static {
    /// May the caller join?
    async fn decide(&self, request: JoinRequest<'_>) -> Decision;
}

/// A [`ChannelAuthorizer`] that identifies the caller with `I` (the same [`Identify`] the JSON
/// API takes) and asks [`SupportService::authorize_channel`], i.e. the core's one `Policy`.
/// A join it allows is signed for the caller's user id ([`Decision::allow_as`]), so their
/// whispers carry it; a join of a ticket's staff presence (`presence-support.ticket.{id}.staff`)
/// is signed with the member `{"user_id": "<id>", "user_info": {"name": …, "role": …}}`.
/// Other presence channels are not part of the support channels, so they are refused. An identity backend or store that is [`Error::Unavailable`] gives
/// [`Decision::Unavailable`]. Each
/// identified user may ask at the default
/// [`RateLimits::channel_auth`](crate::RateLimits::channel_auth) ([`with_rate`](Self::with_rate)
/// for another), then gets [`Decision::TooManyRequests`].
/// [`SupportChat`](crate::SupportChat) builds one with the same `Identify` as its JSON API.
pub struct ServiceAuthorizer<I> {
    service: SupportService,
    identify: I,
    per_user: Throttle<UserId>,
}

impl<I: Identify> ServiceAuthorizer<I> {
    /// Authorizes joins for `service`'s channels.
    pub fn new(service: SupportService, identify: I) -> Self {
        let limits = RateLimits::default();
        ServiceAuthorizer {
            service,
            identify,
            per_user: Throttle::with_max_keys(limits.channel_auth, limits.max_keys),
        }
    }

    /// Lets each user ask `rate` (at most `max_keys` users remembered:
    /// [`RateLimits::max_keys`]); [`Rate::OFF`](crate::Rate::OFF) for no limit.
    pub fn with_rate(mut self, rate: Rate, max_keys: usize) -> Self {
        self.per_user = Throttle::with_max_keys(rate, max_keys);
        self
    }
}

#[async_trait]
impl<I: Identify> ChannelAuthorizer for ServiceAuthorizer<I> {
    async fn decide(&self, request: JoinRequest<'_>) -> Decision {
        let actor = match self.identify.identify(request.headers).await {
            Ok(Some(actor)) => actor,
            Ok(None) => return Decision::Unauthenticated,
            Err(e) => return refusal(e),
        };
        if let Err(Throttled { retry_after }) = self.per_user.check(&actor.id) {
            return Decision::TooManyRequests { retry_after };
        }
        let Ok(channel) = request.channel.parse::<Channel>() else {
            return Decision::Forbidden;
        };
        match self.service.authorize_channel(&actor, &channel).await {
            Ok(()) if matches!(channel, Channel::TicketStaff(_)) => Decision::Allow {
                member: Some((actor.id.to_string(), member_info(&actor))),
            },
            Ok(()) => Decision::allow_as(actor.id.to_string()),
            Err(e) => refusal(e),
        }
    }
}

/// What the other members of a presence channel see of `actor`: `{"name": …, "role": …}`.
fn member_info(actor: &Actor) -> Value {
    json!({ "name": actor.name, "role": actor.role })
}

/// A failed lookup: unavailable backends are 503, anything else refuses the join.
fn refusal(e: Error) -> Decision {
    match e {
        Error::Unavailable(why) => {
            tracing::warn!(%why, "channel auth: backend unavailable");
            Decision::Unavailable
        }
        Error::Forbidden(_) | Error::NotFound => Decision::Forbidden,
        other => {
            tracing::error!(error = %other, "channel auth failed");
            Decision::Forbidden
        }
    }
}

/// The state the auth route needs.
#[derive(Clone)]
pub(crate) struct AuthState {
    pub(crate) hub: Hub,
    pub(crate) authorizer: Arc<dyn ChannelAuthorizer>,
    /// Calls that identify nobody, per client address.
    pub(crate) unidentified: Throttle<IpAddr>,
}

/// Reads `socket_id` and `channel_name` from a form (pusher-js) or JSON body.
fn fields(headers: &HeaderMap, body: &[u8]) -> Option<(String, String)> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let map: HashMap<String, String> = if json {
        let v: HashMap<String, Value> = serde_json::from_slice(body).ok()?;
        v.into_iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned())))
            .collect()
    } else {
        serde_urlencoded::from_bytes(body).ok()?
    };
    Some((
        map.get("socket_id")?.clone(),
        map.get("channel_name")?.clone(),
    ))
}

fn valid_socket_id(s: &str) -> bool {
    s.parse::<support_core::SocketId>().is_ok()
}

pub(crate) async fn handle(
    State(state): State<AuthState>,
    client: Option<ClientAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let client = client.map(|ClientAddr(ip)| ClientAddr::limit_key(ip));
    let Some((socket_id, channel)) = fields(&headers, &body) else {
        metrics::channel_auth_refused(SubscriptionKind::Public, "invalid_request");
        tracing::info!(
            reason = "invalid_request",
            "channel auth refused: no socket_id or channel_name"
        );
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"message": "socket_id and channel_name are required"})),
        )
            .into_response();
    };
    let kind = channel_kind(&channel);
    let counted = SubscriptionKind::of(&channel);
    if !valid_socket_id(&socket_id) || !kind.is_some_and(ChannelKind::is_authenticated) {
        metrics::channel_auth_refused(counted, "invalid_request");
        tracing::info!(
            channel_kind = counted.label(),
            reason = "invalid_request",
            "channel auth refused: invalid socket_id or channel_name"
        );
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"message": "invalid socket_id or channel_name"})),
        )
            .into_response();
    }
    let decision = state
        .authorizer
        .decide(JoinRequest {
            headers: &headers,
            socket_id: &socket_id,
            channel: &channel,
        })
        .await;
    let app = state.hub.app();
    let refused = |reason: &'static str| {
        metrics::channel_auth_refused(counted, reason);
        tracing::info!(
            %socket_id,
            channel_kind = counted.label(),
            reason,
            "channel auth refused"
        );
    };
    match decision {
        Decision::Unauthenticated => {
            refused("unauthenticated");
            // Asking as nobody counts against the client's address.
            if let Some(ip) = client {
                if let Err(throttled) = state.unidentified.check(&ip) {
                    return throttled.into_response();
                }
            }
            (
                StatusCode::UNAUTHORIZED,
                Json(json!({"message": "Unauthenticated."})),
            )
                .into_response()
        }
        Decision::TooManyRequests { retry_after } => {
            refused("throttled");
            Throttled { retry_after }.into_response()
        }
        Decision::Forbidden => {
            refused("forbidden");
            (
                StatusCode::FORBIDDEN,
                Json(json!({"message": "This action is unauthorized."})),
            )
                .into_response()
        }
        Decision::Unavailable => {
            refused("unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"message": "The service is temporarily unavailable."})),
            )
                .into_response()
        }
        Decision::Allow { member } => {
            let channel_data = match (kind, member) {
                (Some(ChannelKind::Presence), Some((user_id, user_info))) => {
                    Some(json!({ "user_id": user_id, "user_info": user_info }).to_string())
                }
                (Some(ChannelKind::Presence), None) => {
                    refused("forbidden");
                    return (
                        StatusCode::FORBIDDEN,
                        Json(json!({"message": "No presence data for this user."})),
                    )
                        .into_response();
                }
                // Private: the user id alone, so the websocket can tie whispers to it.
                (_, Some((user_id, _))) => Some(json!({ "user_id": user_id }).to_string()),
                (_, None) => None,
            };
            let auth = signature::channel_auth(
                &app.key,
                &app.secret,
                &socket_id,
                &channel,
                channel_data.as_deref(),
            );
            match channel_data {
                Some(channel_data) => {
                    Json(json!({ "auth": auth, "channel_data": channel_data })).into_response()
                }
                None => Json(json!({ "auth": auth })).into_response(),
            }
        }
    }
}
