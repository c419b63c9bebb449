//! The download's `Content-Disposition` for any file name: a valid header value of exactly
//! three parameters, the quoted ASCII fallback unable to break out of its quotes, and the
//! RFC 5987 value decoding back to the name exactly.

#![allow(clippy::unwrap_used)]

use axum::http::HeaderValue;
use proptest::prelude::*;
use support_transport_ws::attachments::content_disposition;

fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

fn check(name: &str, inline: bool) {
    let value = content_disposition(inline, name);
    assert!(HeaderValue::from_str(&value).is_ok(), "{value:?}");
    assert!(
        value.bytes().all(|b| (0x20..0x7f).contains(&b)),
        "{value:?}"
    );
    let parts: Vec<&str> = value.split("; ").collect();
    assert_eq!(parts.len(), 3, "{value:?}");
    assert_eq!(parts[0], if inline { "inline" } else { "attachment" });
    let fallback = parts[1]
        .strip_prefix("filename=\"")
        .and_then(|f| f.strip_suffix('"'))
        .unwrap();
    assert!(!fallback.is_empty());
    assert!(!fallback.contains(['"', '\\', ';']), "{fallback:?}");
    assert_eq!(value.matches('"').count(), 2, "{value:?}");
    let encoded = parts[2].strip_prefix("filename*=UTF-8''").unwrap();
    assert!(
        !encoded.contains(['\'', ' ', '"', ';', ',', '\\']),
        "{encoded:?}"
    );
    assert_eq!(percent_decode(encoded), name.as_bytes());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_name_gives_a_header_that_parses_and_holds_it(name in any::<String>(), inline in any::<bool>()) {
        check(&name, inline);
    }

    #[test]
    fn names_made_of_the_awkward_characters(name in "[\"\\\\;,=%'* \\t\\r\\n\\x00\\x7f\u{202e}é😀/.]{0,40}") {
        check(&name, false);
    }
}

#[test]
fn plain_and_empty_names() {
    assert_eq!(
        content_disposition(true, "shot.png"),
        "inline; filename=\"shot.png\"; filename*=UTF-8''shot.png"
    );
    assert_eq!(
        content_disposition(false, ""),
        "attachment; filename=\"file\"; filename*=UTF-8''"
    );
}
