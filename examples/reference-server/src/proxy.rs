//! Who the client is behind a reverse proxy: `--trusted-proxy` names the proxies
//! (addresses or networks) whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed.
//!
//! A request from any other peer is its TCP peer, whatever headers it sends: a client cannot
//! pick the address its failed sign-ins count against by writing `X-Forwarded-For` itself.
//! From a trusted proxy, the client is the rightmost address of `X-Forwarded-For` that is not
//! itself a trusted proxy (each proxy appends the address it received the request from, so
//! everything left of the first untrusted entry is the client's to write).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;
use support_transport_ws::ClientAddr;

/// The proxies whose forwarding headers are believed. Empty: none, every client is its TCP
/// peer.
#[derive(Debug, Clone, Default)]
pub(crate) struct TrustedProxies(Arc<[IpNet]>);

impl TrustedProxies {
    pub(crate) fn new(proxies: Vec<IpNet>) -> Self {
        TrustedProxies(proxies.into())
    }

    /// A `--trusted-proxy` value: an address (`10.0.0.1`, `::1`) or a network
    /// (`10.0.0.0/8`).
    pub(crate) fn parse(value: &str) -> Result<IpNet, String> {
        let value = value.trim();
        value
            .parse::<IpNet>()
            .or_else(|_| value.parse::<IpAddr>().map(IpNet::from))
            .map_err(|_| {
                format!("{value:?} is neither an IP address nor a network like 10.0.0.0/8")
            })
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client of a request that `peer` sent with `headers`.
    pub(crate) fn client_addr(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.trusts(client) {
            return client;
        }
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .flat_map(|v| v.to_str().unwrap_or_default().split(','))
            .collect::<Vec<_>>();
        for entry in forwarded.into_iter().rev() {
            let Some(hop) = parse_hop(entry) else {
                // Not an address: what a trusted hop wrote cannot be read, so the last hop
                // known is the client.
                return client;
            };
            client = hop;
            if !self.trusts(hop) {
                return hop;
            }
        }
        client
    }

    /// Whether the client reached us over HTTPS, as a trusted proxy says in
    /// `X-Forwarded-Proto` (the value the nearest proxy set: the last, if several). A
    /// request straight from a client is HTTPS only if this server served TLS, which it does
    /// not.
    pub(crate) fn is_https(&self, peer: IpAddr, headers: &HeaderMap) -> bool {
        self.trusts(peer)
            && headers
                .get_all("x-forwarded-proto")
                .iter()
                .next_back()
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
    }
}

/// One `X-Forwarded-For` entry: an address, maybe with a port (`1.2.3.4:80`,
/// `[2001:db8::1]:80`) or in brackets.
fn parse_hop(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim().trim_matches('"');
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|a| a.ip()))
        .or_else(|_| {
            entry
                .strip_prefix('[')
                .and_then(|e| e.strip_suffix(']'))
                .unwrap_or_default()
                .parse::<IpAddr>()
        })
        .ok()
        .map(|ip| ip.to_canonical())
}

/// In a request's extensions when a trusted proxy says the client reached it over HTTPS
/// (`X-Forwarded-Proto: https`), which decides the session cookie's name and `Secure`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ForwardedHttps;

/// Puts the request's client, as [`TrustedProxies::client_addr`] says, in its extensions as
/// [`ClientAddr`], where every per-address limit reads it, and [`ForwardedHttps`] when a trusted
/// proxy says so. Needs the server's
/// `ConnectInfo<SocketAddr>`; without it nothing is added.
pub(crate) async fn attribute(
    State(proxies): State<TrustedProxies>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip());
    if let Some(peer) = peer {
        let client = proxies.client_addr(peer, request.headers());
        let https = proxies.is_https(peer, request.headers());
        request.extensions_mut().insert(ClientAddr(client));
        if https {
            request.extensions_mut().insert(ForwardedHttps);
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::new(
            list.iter()
                .map(|p| TrustedProxies::parse(p).unwrap())
                .collect(),
        )
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored() {
        let none = TrustedProxies::default();
        let spoofed = headers(&[("x-forwarded-for", "203.0.113.7")]);
        assert_eq!(
            none.client_addr(ip("198.51.100.1"), &spoofed),
            ip("198.51.100.1")
        );
        let some = proxies(&["10.0.0.1"]);
        assert_eq!(
            some.client_addr(ip("198.51.100.1"), &spoofed),
            ip("198.51.100.1")
        );
        assert!(!some.is_https(
            ip("198.51.100.1"),
            &headers(&[("x-forwarded-proto", "https")])
        ));
    }

    #[test]
    fn behind_trusted_proxies_the_client_is_the_rightmost_untrusted_address() {
        let p = proxies(&["10.0.0.1", "10.1.0.0/16"]);
        let peer = ip("10.0.0.1");
        let h = |v: &str| headers(&[("x-forwarded-for", v)]);
        assert_eq!(p.client_addr(peer, &h("203.0.113.7")), ip("203.0.113.7"));
        // What the client wrote itself (left of its own address) is not believed.
        assert_eq!(
            p.client_addr(peer, &h("1.1.1.1, 203.0.113.7, 10.1.2.3")),
            ip("203.0.113.7")
        );
        // Several headers are one list, in order.
        let two = headers(&[
            ("x-forwarded-for", "1.1.1.1, 203.0.113.8"),
            ("x-forwarded-for", "10.1.2.3"),
        ]);
        assert_eq!(p.client_addr(peer, &two), ip("203.0.113.8"));
        // Ports, brackets and IPv4-mapped addresses.
        assert_eq!(
            p.client_addr(peer, &h("203.0.113.9:4711")),
            ip("203.0.113.9")
        );
        assert_eq!(
            p.client_addr(peer, &h("[2001:db8::1]:4711")),
            ip("2001:db8::1")
        );
        assert_eq!(p.client_addr(peer, &h("[2001:db8::2]")), ip("2001:db8::2"));
        assert_eq!(
            p.client_addr(ip("::ffff:10.0.0.1"), &h("::ffff:203.0.113.1")),
            ip("203.0.113.1")
        );
        // No header, only proxies, or an unreadable entry: the last hop known.
        assert_eq!(p.client_addr(peer, &HeaderMap::new()), peer);
        assert_eq!(p.client_addr(peer, &h("10.1.0.9")), ip("10.1.0.9"));
        assert_eq!(
            p.client_addr(peer, &h("203.0.113.7, garbage, 10.1.2.3")),
            ip("10.1.2.3")
        );
    }

    #[test]
    fn https_is_what_a_trusted_proxy_says() {
        let p = proxies(&["10.0.0.1"]);
        let peer = ip("10.0.0.1");
        let proto = |v: &str| headers(&[("x-forwarded-proto", v)]);
        assert!(p.is_https(peer, &proto("https")));
        assert!(p.is_https(peer, &proto("HTTPS")));
        assert!(!p.is_https(peer, &proto("http")));
        assert!(p.is_https(peer, &proto("http, https")));
        assert!(!p.is_https(peer, &proto("https, http")));
        assert!(!p.is_https(peer, &HeaderMap::new()));
    }

    #[test]
    fn proxy_values_are_addresses_or_networks() {
        assert!(TrustedProxies::parse("10.0.0.1").is_ok());
        assert!(TrustedProxies::parse("::1").is_ok());
        assert!(TrustedProxies::parse("10.0.0.0/8").is_ok());
        assert!(TrustedProxies::parse("proxy.example").is_err());
    }
}
