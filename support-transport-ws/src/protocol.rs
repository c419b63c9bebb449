//! The wire format of Pusher Channels protocol 7 (clients of 4–6 are served the same, see
//! [`SUPPORTED_VERSIONS`]): client frames parsed into [`Incoming`], and the server's frames
//! built as text. Server events carry `data` as a JSON *string*; clients
//! send `data` as an object (or, for some clients, a string), and both are accepted.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

/// The `protocol` versions a client may ask for in `/app/{key}?protocol=N`: 4 to 7, the ones
/// Pusher still serves (it retired 1–3). Others are refused with
/// [`code::UNSUPPORTED_PROTOCOL`]. Pusher documents only the current version, 7; what the
/// record shows changed for a server since 4 is that protocol 6 put the Pusher error code and
/// reason into the websocket close frame (before, a client learned why it was closed only
/// from a `pusher:error` event), and protocol 7 added `activity_timeout` to
/// `pusher:connection_established` (pusher-js 2.1.5). The frames are otherwise the same, so
/// every version gets the same frames: a client of 4 or 5 reads a close code as a plain close
/// and ignores the extra handshake field, and refusals of the handshake come as `pusher:error`
/// before the close, which every version reads. (pysher 1.0.8 asks for 6, Pusher's own
/// documented example URL for 5.)
pub const SUPPORTED_VERSIONS: std::ops::RangeInclusive<u32> = 4..=7;

/// Pusher's error codes this server sends.
pub mod code {
    /// Unknown app key (do not reconnect).
    pub const APP_NOT_FOUND: u16 = 4001;
    /// Protocol version is not a number.
    pub const INVALID_VERSION: u16 = 4006;
    /// Protocol version not supported.
    pub const UNSUPPORTED_PROTOCOL: u16 = 4007;
    /// No protocol version given.
    pub const NO_PROTOCOL: u16 = 4008;
    /// The handshake's `Origin` is not in the app's
    /// [`allowed_origins`](crate::AppConfig::allowed_origins) (Reverb's code for it; 4009 is
    /// Pusher's "unauthorized", and in 4000–4099, so clients do not retry unchanged).
    pub const ORIGIN_NOT_ALLOWED: u16 = 4009;
    /// Over capacity, or fell too far behind: back off, then reconnect.
    pub const OVER_CAPACITY: u16 = 4100;
    /// The server is going away: reconnect at once.
    pub const GOING_AWAY: u16 = 4200;
    /// No pong after a ping.
    pub const PONG_TIMEOUT: u16 = 4201;
    /// The connection is not authorized. The close code of a connection whose user's access
    /// was revoked ([`Hub::disconnect_user`](crate::Hub::disconnect_user)); in 4000–4099, so
    /// clients do not reconnect unchanged. Sent as `pusher:error` (the connection stays open)
    /// for a client event from a subscription signed without a user, as Reverb sends it for
    /// a client that is not a member of the channel.
    pub const UNAUTHORIZED: u16 = 4009;
    /// Client events over the rate limit (sent as `pusher:error`, connection stays open).
    pub const CLIENT_EVENT_RATE: u16 = 4301;
    /// A client event refused: not on the allow-list, or its data too large. The same code
    /// as [`CLIENT_EVENT_RATE`] (Pusher's "client event rejected"), which soketi, sockudo and
    /// Reverb send for every refused client event; sent as `pusher:error`, the connection
    /// stays open.
    pub const CLIENT_EVENT_REJECTED: u16 = 4301;
}

/// A frame from a client, after parsing.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// `pusher:ping`.
    Ping,
    /// `pusher:pong`.
    Pong,
    /// `pusher:subscribe`.
    Subscribe {
        /// The channel.
        channel: String,
        /// `key:signature` for private and presence channels.
        auth: Option<String>,
        /// Presence: the signed member description, a JSON string.
        channel_data: Option<String>,
    },
    /// `pusher:unsubscribe`.
    Unsubscribe {
        /// The channel.
        channel: String,
    },
    /// `client-*`: a client event (an Echo whisper).
    ClientEvent {
        /// The event name, `client-` included.
        event: String,
        /// Where to send it.
        channel: String,
        /// Its data as JSON text (an object re-serialized, or the string as sent).
        data: String,
    },
}

/// Why a frame could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Not JSON, or not an object with a string `event`.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// An event this server does not know.
    #[error("unknown event {0:?}")]
    UnknownEvent(String),
    /// A known event missing a field.
    #[error("{event} needs {field}")]
    Missing {
        /// The event.
        event: &'static str,
        /// The missing field.
        field: &'static str,
    },
}

#[derive(Deserialize)]
struct RawFrame<'a> {
    #[serde(borrow)]
    event: std::borrow::Cow<'a, str>,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
}

#[derive(Deserialize, Default)]
struct SubscribeData {
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    channel_data: Option<String>,
}

/// `data` given either as an object or as a string holding the object's JSON.
fn object_data<T: for<'de> Deserialize<'de> + Default>(
    raw: Option<&RawValue>,
) -> Result<T, FrameError> {
    let Some(raw) = raw else {
        return Ok(T::default());
    };
    let parsed: Result<T, _> = match serde_json::from_str::<String>(raw.get()) {
        Ok(inner) => serde_json::from_str(&inner),
        Err(_) => serde_json::from_str(raw.get()),
    };
    parsed.map_err(|e| FrameError::Json(e.to_string()))
}

/// Parses one text frame.
pub fn parse(text: &str) -> Result<Incoming, FrameError> {
    let frame: RawFrame<'_> =
        serde_json::from_str(text).map_err(|e| FrameError::Json(e.to_string()))?;
    match frame.event.as_ref() {
        "pusher:ping" => Ok(Incoming::Ping),
        "pusher:pong" => Ok(Incoming::Pong),
        "pusher:subscribe" => {
            let d: SubscribeData = object_data(frame.data)?;
            let channel = d.channel.ok_or(FrameError::Missing {
                event: "pusher:subscribe",
                field: "channel",
            })?;
            Ok(Incoming::Subscribe {
                channel,
                auth: d.auth,
                channel_data: d.channel_data,
            })
        }
        "pusher:unsubscribe" => {
            let d: SubscribeData = object_data(frame.data)?;
            let channel = d.channel.ok_or(FrameError::Missing {
                event: "pusher:unsubscribe",
                field: "channel",
            })?;
            Ok(Incoming::Unsubscribe { channel })
        }
        e if e.starts_with("client-") => {
            let channel = frame.channel.ok_or(FrameError::Missing {
                event: "client event",
                field: "channel",
            })?;
            let data = match frame.data {
                None => "{}".to_owned(),
                Some(raw) => match serde_json::from_str::<String>(raw.get()) {
                    Ok(s) => s,
                    Err(_) => raw.get().to_owned(),
                },
            };
            Ok(Incoming::ClientEvent {
                event: e.to_owned(),
                channel,
                data,
            })
        }
        other => Err(FrameError::UnknownEvent(other.chars().take(64).collect())),
    }
}

/// `pusher:connection_established`.
pub fn connection_established(socket_id: &str, activity_timeout_secs: u64) -> String {
    let data =
        json!({ "socket_id": socket_id, "activity_timeout": activity_timeout_secs }).to_string();
    json!({ "event": "pusher:connection_established", "data": data }).to_string()
}

/// `pusher:error` with a code (or none) and a message.
pub fn error(code: Option<u16>, message: &str) -> String {
    json!({ "event": "pusher:error", "data": { "code": code, "message": message } }).to_string()
}

/// `pusher:pong`.
pub fn pong() -> &'static str {
    r#"{"event":"pusher:pong","data":"{}"}"#
}

/// `pusher:ping`.
pub fn ping() -> &'static str {
    r#"{"event":"pusher:ping","data":"{}"}"#
}

/// `pusher_internal:subscription_succeeded`, with `data` (JSON text: `{}` or the presence list).
pub fn subscription_succeeded(channel: &str, data: &str) -> String {
    json!({ "event": "pusher_internal:subscription_succeeded", "channel": channel, "data": data })
        .to_string()
}

/// `pusher:subscription_error`, which makes pusher-js (and Echo's `.error()`) report a refusal.
pub fn subscription_error(channel: &str, status: u16, message: &str) -> String {
    json!({
        "event": "pusher:subscription_error",
        "channel": channel,
        "data": { "type": "AuthError", "error": message, "status": status },
    })
    .to_string()
}

/// An event on a channel; `data` is JSON text, sent as a string. Client events carry the
/// sender's `user_id`, the one their subscription was signed for.
pub fn event(channel: &str, event: &str, data: &str, user_id: Option<&str>) -> String {
    let mut frame = json!({ "event": event, "channel": channel, "data": data });
    if let (Some(user), Some(map)) = (user_id, frame.as_object_mut()) {
        map.insert("user_id".to_owned(), Value::String(user.to_owned()));
    }
    frame.to_string()
}

/// `pusher_internal:member_added`.
pub fn member_added(channel: &str, user_id: &str, user_info: &Value) -> String {
    let data = json!({ "user_id": user_id, "user_info": user_info }).to_string();
    json!({ "event": "pusher_internal:member_added", "channel": channel, "data": data }).to_string()
}

/// `pusher_internal:member_removed`.
pub fn member_removed(channel: &str, user_id: &str) -> String {
    let data = json!({ "user_id": user_id }).to_string();
    json!({ "event": "pusher_internal:member_removed", "channel": channel, "data": data })
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscribe_with_object_or_string_data() {
        let a =
            parse(r#"{"event":"pusher:subscribe","data":{"channel":"private-a","auth":"k:s"}}"#)
                .unwrap();
        let b = parse(
            r#"{"event":"pusher:subscribe","data":"{\"channel\":\"private-a\",\"auth\":\"k:s\"}"}"#,
        )
        .unwrap();
        assert_eq!(a, b);
        assert_eq!(
            a,
            Incoming::Subscribe {
                channel: "private-a".into(),
                auth: Some("k:s".into()),
                channel_data: None
            }
        );
    }

    #[test]
    fn client_events_keep_their_data_as_json_text() {
        let e = parse(r#"{"event":"client-typing","channel":"private-a","data":{"typing":true}}"#)
            .unwrap();
        assert_eq!(
            e,
            Incoming::ClientEvent {
                event: "client-typing".into(),
                channel: "private-a".into(),
                data: r#"{"typing":true}"#.into()
            }
        );
    }

    #[test]
    fn bad_frames_are_errors_not_panics() {
        for bad in [
            "",
            "{",
            "[]",
            "null",
            r#"{"event":5}"#,
            r#"{"event":"pusher:subscribe"}"#,
            r#"{"event":"pusher:subscribe","data":7}"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse(r#"{"event":"nope"}"#),
            Err(FrameError::UnknownEvent("nope".into()))
        );
    }

    #[test]
    fn server_frames_double_encode_data() {
        let f: Value = serde_json::from_str(&connection_established("1.2", 30)).unwrap();
        let data: Value = serde_json::from_str(f["data"].as_str().unwrap()).unwrap();
        assert_eq!(data["socket_id"], "1.2");
        assert_eq!(data["activity_timeout"], 30);
        let e: Value = serde_json::from_str(&event("c", "e", r#"{"x":1}"#, Some("7"))).unwrap();
        assert_eq!(e["data"], r#"{"x":1}"#);
        assert_eq!(e["user_id"], "7");
    }
}
