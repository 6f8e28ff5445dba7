//! Header rewriting of a reverse proxy: hop-by-hop headers removed (RFC 9110 §7.6.1) and
//! `x-forwarded-for`, `-proto` and `-host` added. Everything else passes unchanged.

use std::net::IpAddr;

use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};

/// Whether a header only concerns one connection and is never forwarded: RFC 9110 §7.6.1's
/// `Connection`, `TE`, `Trailer`, `Transfer-Encoding` and `Upgrade`, plus `Keep-Alive` and
/// the `Proxy-*` family that RFC 9112 and older practice name. (The headers `Connection`
/// names are hop-by-hop too; see [`strip_hop_by_hop`].)
pub fn is_hop_by_hop(name: &str) -> bool {
    const FIXED: [&str; 6] = [
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    ];
    FIXED.iter().any(|h| name.eq_ignore_ascii_case(h))
        || name
            .get(..6)
            .is_some_and(|p| p.eq_ignore_ascii_case("proxy-"))
}

/// Whether the message asks to switch protocols (`Connection: upgrade` with `Upgrade`).
pub fn wants_upgrade(headers: &HeaderMap) -> bool {
    headers.contains_key(header::UPGRADE)
        && headers
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
}

/// Removes the hop-by-hop headers: those [`is_hop_by_hop`] names and every header the
/// `Connection` header names. With `keep_upgrade`, `Connection: upgrade` and
/// `Upgrade` are put back, for a protocol switch passed through.
pub fn strip_hop_by_hop(headers: &mut HeaderMap, keep_upgrade: bool) {
    let upgrade = headers.get(header::UPGRADE).cloned();
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|t| HeaderName::from_bytes(t.trim().as_bytes()).ok())
        .collect();
    let fixed: Vec<HeaderName> = headers
        .keys()
        .filter(|k| is_hop_by_hop(k.as_str()))
        .cloned()
        .collect();
    for name in named.into_iter().chain(fixed) {
        headers.remove(name);
    }
    if let (true, Some(u)) = (keep_upgrade, upgrade) {
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(header::UPGRADE, u);
    }
}

/// Adds the client to `x-forwarded-for` (after any earlier proxies'), and sets
/// `x-forwarded-proto: http` and `x-forwarded-host` (the request's `Host`) unless an
/// earlier proxy set them.
pub fn add_forwarded(headers: &mut HeaderMap, client: IpAddr) {
    static FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
    static PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
    static HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
    let client = client.to_string();
    // Earlier proxies may have written several field lines: one list, in their order.
    let earlier: Vec<&str> = headers
        .get_all(&FOR)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    let value = if earlier.is_empty() {
        client
    } else {
        format!("{}, {client}", earlier.join(", "))
    };
    if let Ok(v) = HeaderValue::from_str(&value) {
        headers.insert(FOR.clone(), v);
    }
    if !headers.contains_key(&PROTO) {
        headers.insert(PROTO.clone(), HeaderValue::from_static("http"));
    }
    if !headers.contains_key(&HOST) {
        if let Some(h) = headers.get(header::HOST).cloned() {
            headers.insert(HOST.clone(), h);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn hop_by_hop_headers_and_those_connection_names_go() {
        let mut h = map(&[
            ("connection", "keep-alive, x-secret"),
            ("keep-alive", "timeout=5"),
            ("x-secret", "1"),
            ("te", "trailers"),
            ("transfer-encoding", "chunked"),
            ("proxy-authorization", "Basic x"),
            ("proxy-connection", "keep-alive"),
            ("trailer", "x-sum"),
            ("upgrade", "websocket"),
            ("content-type", "application/json"),
            ("x-request-id", "r1"),
        ]);
        strip_hop_by_hop(&mut h, false);
        let mut left: Vec<&str> = h.keys().map(|k| k.as_str()).collect();
        left.sort();
        assert_eq!(left, ["content-type", "x-request-id"]);
    }

    #[test]
    fn an_upgrade_keeps_its_two_headers() {
        let mut h = map(&[
            ("connection", "Upgrade"),
            ("upgrade", "websocket"),
            ("sec-websocket-key", "abc"),
        ]);
        assert!(wants_upgrade(&h));
        strip_hop_by_hop(&mut h, true);
        assert_eq!(h["connection"], "upgrade");
        assert_eq!(h["upgrade"], "websocket");
        assert_eq!(h["sec-websocket-key"], "abc");
        assert!(!wants_upgrade(&map(&[("upgrade", "websocket")])));
    }

    #[test]
    fn forwarded_headers_append_the_client() {
        let mut h = map(&[("host", "model.example:8000")]);
        add_forwarded(&mut h, "10.0.0.2".parse().unwrap());
        assert_eq!(h["x-forwarded-for"], "10.0.0.2");
        assert_eq!(h["x-forwarded-proto"], "http");
        assert_eq!(h["x-forwarded-host"], "model.example:8000");
        let mut h = map(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-proto", "https"),
        ]);
        add_forwarded(&mut h, "::1".parse().unwrap());
        assert_eq!(h["x-forwarded-for"], "1.2.3.4, ::1");
        assert_eq!(h["x-forwarded-proto"], "https");
        // Several field lines from earlier proxies stay one list, in order.
        let mut h = HeaderMap::new();
        h.append(
            "x-forwarded-for",
            HeaderValue::from_static("1.1.1.1, 2.2.2.2"),
        );
        h.append("x-forwarded-for", HeaderValue::from_static("3.3.3.3"));
        add_forwarded(&mut h, "10.0.0.2".parse().unwrap());
        assert_eq!(h.get_all("x-forwarded-for").iter().count(), 1);
        assert_eq!(h["x-forwarded-for"], "1.1.1.1, 2.2.2.2, 3.3.3.3, 10.0.0.2");
    }
}
