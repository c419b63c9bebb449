//! HMAC-SHA256 signatures as Pusher computes them, for channel auth and the HTTP API. Every
//! comparison of a signature is in constant time.

use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &str) -> HmacSha256 {
    // HMAC takes keys of any length: this cannot fail.
    HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length")
}

/// Hex HMAC-SHA256 of `message` under `secret`.
pub fn sign(secret: &str, message: &str) -> String {
    let mut m = mac(secret);
    m.update(message.as_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// True if `signature` (hex) is the HMAC of `message`; compared in constant time.
pub fn verify(secret: &str, message: &str, signature: &str) -> bool {
    let Ok(bytes) = hex::decode(signature) else {
        return false;
    };
    let mut m = mac(secret);
    m.update(message.as_bytes());
    m.verify_slice(&bytes).is_ok()
}

/// The string a private or presence subscription signs: `socket_id:channel[:channel_data]`.
pub fn channel_string(socket_id: &str, channel: &str, channel_data: Option<&str>) -> String {
    match channel_data {
        Some(data) => format!("{socket_id}:{channel}:{data}"),
        None => format!("{socket_id}:{channel}"),
    }
}

/// The `auth` value the auth endpoint answers: `key:signature`.
pub fn channel_auth(
    key: &str,
    secret: &str,
    socket_id: &str,
    channel: &str,
    channel_data: Option<&str>,
) -> String {
    format!(
        "{key}:{}",
        sign(secret, &channel_string(socket_id, channel, channel_data))
    )
}

/// Checks a subscription's `auth` value: the right key, and a valid signature.
pub fn verify_channel_auth(
    key: &str,
    secret: &str,
    auth: &str,
    socket_id: &str,
    channel: &str,
    channel_data: Option<&str>,
) -> bool {
    let Some((given_key, signature)) = auth.split_once(':') else {
        return false;
    };
    // The key is public; only the signature needs a constant-time comparison.
    given_key == key
        && verify(
            secret,
            &channel_string(socket_id, channel, channel_data),
            signature,
        )
}

/// Hex MD5 of a request body, as `body_md5` carries it.
pub fn body_md5(body: &[u8]) -> String {
    hex::encode(Md5::digest(body))
}

/// The string an HTTP API request signs: `METHOD\npath\nsorted query` where the query holds
/// every parameter but `auth_signature`, keys lowercased and sorted, values as received.
pub fn api_string(method: &str, path: &str, params: &BTreeMap<String, String>) -> String {
    let query: Vec<String> = params
        .iter()
        .filter(|(k, _)| k.as_str() != "auth_signature")
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    format!("{method}\n{path}\n{}", query.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The worked examples of Pusher's documentation (key 278d425bdf160c739803,
    // secret 7ad3773142a6692b25b8).
    const KEY: &str = "278d425bdf160c739803";
    const SECRET: &str = "7ad3773142a6692b25b8";

    #[test]
    fn private_channel_example() {
        let auth = channel_auth(KEY, SECRET, "1234.1234", "private-foobar", None);
        assert_eq!(
            auth,
            "278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4"
        );
        assert!(verify_channel_auth(
            KEY,
            SECRET,
            &auth,
            "1234.1234",
            "private-foobar",
            None
        ));
        assert!(!verify_channel_auth(
            KEY,
            SECRET,
            &auth,
            "1234.1235",
            "private-foobar",
            None
        ));
        assert!(!verify_channel_auth(
            "other",
            SECRET,
            &auth,
            "1234.1234",
            "private-foobar",
            None
        ));
    }

    #[test]
    fn presence_channel_example() {
        let data = r#"{"user_id":10,"user_info":{"name":"Mr. Channels"}}"#;
        let auth = channel_auth(KEY, SECRET, "1234.1234", "presence-foobar", Some(data));
        assert_eq!(
            auth,
            "278d425bdf160c739803:31935e7d86dba64c2a90aed31fdc61869f9b22ba9d8863bba239c03ca481bc80"
        );
    }

    #[test]
    fn http_api_example() {
        let body = r#"{"name":"foo","channels":["project-3"],"data":"{\"some\":\"data\"}"}"#;
        assert_eq!(
            body_md5(body.as_bytes()),
            "ec365a775a4cd0599faeb73354201b6f"
        );
        let mut params = BTreeMap::new();
        params.insert("auth_key".to_owned(), KEY.to_owned());
        params.insert("auth_timestamp".to_owned(), "1353088179".to_owned());
        params.insert("auth_version".to_owned(), "1.0".to_owned());
        params.insert("body_md5".to_owned(), body_md5(body.as_bytes()));
        let s = api_string("POST", "/apps/3/events", &params);
        assert_eq!(
            sign(SECRET, &s),
            "da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c"
        );
    }

    #[test]
    fn malformed_signatures_are_refused() {
        assert!(!verify(SECRET, "x", "zz"));
        assert!(!verify(SECRET, "x", ""));
        assert!(!verify_channel_auth(
            KEY,
            SECRET,
            "no-colon",
            "1.1",
            "private-x",
            None
        ));
    }
}
