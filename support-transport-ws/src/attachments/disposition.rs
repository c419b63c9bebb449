//! `Content-Disposition` for downloads (RFC 6266), with the file name as an ASCII fallback
//! and, in full, as RFC 5987's `filename*=UTF-8''…`.

/// The header value for a download of a file named `name`: `inline` or `attachment`, then
/// `filename="…"` with an ASCII-only fallback (every character outside a small safe set,
/// quotes, backslashes and control characters included, becomes `_`) and
/// `filename*=UTF-8''…` with the whole name percent-encoded. The value is always a valid header
/// value, and the name never breaks out of its parameter.
///
/// ```
/// use support_transport_ws::attachments::content_disposition;
/// assert_eq!(
///     content_disposition(false, "Résumé \"v2\".pdf"),
///     "attachment; filename=\"R_sum_ _v2_.pdf\"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%22v2%22.pdf"
/// );
/// ```
pub fn content_disposition(inline: bool, name: &str) -> String {
    let kind = if inline { "inline" } else { "attachment" };
    let mut fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " .-_()[]+,@!#$&'~=".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if fallback.trim().is_empty() {
        fallback = "file".to_owned();
    }
    let mut encoded = String::with_capacity(name.len() * 3);
    for b in name.bytes() {
        // RFC 5987 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." /
        // "^" / "_" / "`" / "|" / "~"
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}
